"""Schemathesis's hooks (``hooks`` in ``tests/system/schemathesis.toml``): a live credential for
every case, and the account's password where change_email asks for it.

Every case gets a session that is still live, with its cookie and CSRF token; or, when
``FUZZ_SCOPES`` names scopes, a live personal access token with them, and nothing else. The
fuzzer calls logout, logout_all, session deletion, token revocation and logins too, each of
which can end the credential the last case used: one is kept while ``verify_auth`` still
answers 200 for it (a few milliseconds), and a new one (a login: an argon2 hash) is made only
once it does not. The live server and the account come from ``FUZZ_BASE_URL``, ``FUZZ_LOGIN``
and ``FUZZ_PASSWORD``; ``tests/system/test_schemathesis.py`` sets them.
"""

import os

import requests
import schemathesis

TIMEOUT = 30
# The bounds of ChangeEmailFields.password in openapi.yaml.
PASSWORD_LENGTHS = range(1, 129)


def log_in():
    """A new credential of the fuzzer's account: a session's cookies and CSRF token, or with
    ``FUZZ_SCOPES``, a token of the session's making, alone."""
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
        session = {"cookies": dict(http.cookies), "token": answer.json()["csrf_token"]}
        if not os.environ.get("FUZZ_SCOPES"):
            return session
        # A fresh login is a recent re-authentication: the session may make a token.
        answer = http.post(
            f"{base}/api/auth/tokens",
            json={"name": "fuzzer", "scopes": os.environ["FUZZ_SCOPES"].split()},
            headers={"X-CSRFToken": session["token"]},
            timeout=TIMEOUT,
        )
        answer.raise_for_status()
        return {
            "cookies": {},
            "headers": {"Authorization": f"Bearer {answer.json()['data']['token']}"},
        }


def is_live(credential):
    """Whether the server still honours ``credential``. While a session is live, its CSRF token
    stays good: only a new session (a login, a rotation) brings a new one, and it ends the old."""
    answer = requests.get(
        f"{os.environ['FUZZ_BASE_URL']}/api/auth/verify_auth",
        cookies=credential["cookies"],
        headers=credential.get("headers"),
        timeout=TIMEOUT,
    )
    return answer.status_code == 200


# Schemathesis's own cache (refresh_interval) would keep a session that a case has ended.
@schemathesis.auth(refresh_interval=None)
class LoggedIn:
    session = None

    def get(self, case, context):
        if LoggedIn.session is None or not is_live(LoggedIn.session):
            LoggedIn.session = log_in()
        return LoggedIn.session

    def set(self, case, data, context):
        headers = data.get("headers") or {"X-CSRFToken": data["token"]}
        case.headers = {**(case.headers or {}), **headers}
        case.cookies = {**(case.cookies or {}), **data["cookies"]}


@schemathesis.hook("before_call").apply_to(path="/api/auth/change_email", method="POST")
def with_the_right_password(context, case, **kwargs):
    """Give change_email the account's password, or every case stops at the 403 and the rest
    of the flow (the 202, the 409, the unchanged address) goes unfuzzed.

    Only a password that already fits the schema is replaced, so that a case meant to break
    the schema still breaks it. The address changes only once its link is used, which the
    fuzzer never sees: the account stays as it was. (change_password is left at its 403:
    with the right password it would lock the fuzzer out.)
    """
    body = case.body
    password = body.get("password") if isinstance(body, dict) else None
    if isinstance(password, str) and len(password) in PASSWORD_LENGTHS:
        body["password"] = os.environ["FUZZ_PASSWORD"]
