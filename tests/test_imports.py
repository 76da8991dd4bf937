"""What a serving worker imports: the heavy libraries only once a request needs them.

zxcvbn's dictionaries, Alembic, py_webauthn, cryptography, the redis client, segno and PyYAML
cost a worker tens of MiB between them. The page, signup's neighbours, login and verify_auth
need none of them; the password rule loads zxcvbn on first use, and still refuses what it
refused before. Each check runs in a fresh interpreter, since this one has loaded them all.
"""

import json
import os
import subprocess
import sys

from app.common import messages
from tests.helpers import PASSWORD, ROOT

HEAVY = ["zxcvbn", "alembic", "flask_migrate", "webauthn", "cryptography", "redis", "segno", "yaml"]

WORKER = """
import json, sys
from app import create_app

app = create_app({"SQLALCHEMY_DATABASE_URI": sys.argv[1]})
client = app.test_client()
heavy = sys.argv[2].split(",")


def loaded():
    return sorted(name for name in heavy if name in sys.modules)


def post(path, body):
    token = client.get("/api/auth/csrf").get_json()["data"]["csrf_token"]
    answer = client.post(path, json=body, headers={"X-CSRFToken": token})
    return answer.status_code, answer.get_json()


statuses = [client.get("/").status_code]
statuses.append(post("/api/auth/login", {"login": "alice", "password": sys.argv[3]})[0])
statuses.append(client.get("/api/auth/verify_auth").status_code)
statuses.append(post("/api/auth/logout", {})[0])
served = loaded()
weak = {
    "user_name": "bobby", "email": "bob@example.com", "first_name": "Bob",
    "last_name": "Stone", "password": "password1234567", "confirm": "password1234567",
}
status, answer = post("/api/auth/signup", weak)
print(json.dumps({
    "statuses": statuses,
    "served": served,
    "signup": [status, answer["errors"]["fields"]["password"][0]],
    "after_signup": loaded(),
}))
"""


def run_worker(database_url):
    result = subprocess.run(
        [sys.executable, "-c", WORKER, database_url, ",".join(HEAVY), PASSWORD],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.splitlines()[-1])


def test_serving_the_page_and_sessions_imports_no_heavy_library(auth, database_url):
    assert auth.signup().status_code == 201
    report = run_worker(database_url)
    assert report["statuses"] == [200, 200, 200, 200]
    assert report["served"] == []


def test_the_password_rule_loads_zxcvbn_on_first_use_and_still_refuses(auth, database_url):
    assert auth.signup().status_code == 201
    report = run_worker(database_url)
    status, problem = report["signup"]
    assert (status, problem.startswith(messages.PASSWORD_WEAK)) == (422, True)
    assert report["after_signup"] == ["zxcvbn"]
