"""Schemathesis's auth hook (loaded through ``SCHEMATHESIS_HOOKS``): a fresh login per case.

Every case gets a session of its own, with its cookie and CSRF token, because the fuzzer calls
logout, logout_all and session deletion too: a shared session would be gone after the first.
The live server and the account come from ``FUZZ_BASE_URL``, ``FUZZ_LOGIN`` and
``FUZZ_PASSWORD``; ``tests/system/test_schemathesis.py`` sets them.
"""

import os

import requests
import schemathesis

TIMEOUT = 30


@schemathesis.auth(refresh_interval=None)
class LoggedIn:
    def get(self, case, context):
        base = os.environ["FUZZ_BASE_URL"]
        with requests.Session() as http:
            token = http.get(f"{base}/api/auth/csrf", timeout=TIMEOUT).json()["csrf_token"]
            answer = http.post(
                f"{base}/api/auth/login",
                json={"login": os.environ["FUZZ_LOGIN"], "password": os.environ["FUZZ_PASSWORD"]},
                headers={"X-CSRFToken": token},
                timeout=TIMEOUT,
            )
            answer.raise_for_status()
            return {"cookies": dict(http.cookies), "token": answer.json()["csrf_token"]}

    def set(self, case, data, context):
        case.headers = {**(case.headers or {}), "X-CSRFToken": data["token"]}
        case.cookies = {**(case.cookies or {}), **data["cookies"]}
