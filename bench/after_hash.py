"""Why a login costs more than its hash: the same reads of the app, timed warm and right after
an argon2id verification (which sweeps 19 MiB through the caches), in a fresh interpreter
with ours' environment."""

import json

from bench.apps import run_probe
from bench.settings import ARGON2, PASSWORD, user_name

ROUNDS = 50

PROBE = """
import json, statistics, sys, time
from argon2 import PasswordHasher
from app import create_app
from app.mfa.login import methods_of
from app.extensions import db
from app.users.models import User

argon2, password, login = json.loads(sys.argv[1]), sys.argv[2], sys.argv[3]
rounds = int(sys.argv[4])
hasher = PasswordHasher(**argon2)
stored = hasher.hash(password)
app = create_app()
with app.test_request_context():
    def reads():
        start = time.perf_counter()
        user = User.find_by_login(login)
        methods_of(user)
        db.session.rollback()
        return time.perf_counter() - start

    for _ in range(rounds):
        reads()
    warm = statistics.median(reads() for _ in range(rounds))
    after = []
    for _ in range(rounds):
        hasher.verify(stored, password)
        after.append(reads())
    print(json.dumps({"warm": warm, "after_hash": statistics.median(after)}))
"""


def after_hash(database_url) -> dict:
    """The median time of a login's reads (the user, its second factors), warm and right
    after a hash, in seconds."""
    return run_probe(PROBE, database_url, json.dumps(ARGON2), PASSWORD, user_name(1), str(ROUNDS))
