"""Where a worker's memory goes: resident size after each layer of imports, then after one
login's hash, in a fresh interpreter with ours' environment (what a gunicorn worker loads)."""

import json

from bench.apps import run_probe
from bench.settings import ARGON2, PASSWORD

# Each layer's modules, imported in this order; the app last, built as gunicorn builds it.
LAYERS = [
    ("Python and Flask (bare Flask's worker)", ["flask"]),
    ("SQLAlchemy's ORM and Flask-SQLAlchemy", ["sqlalchemy.orm", "flask_sqlalchemy"]),
    (
        "Flask-Login, Flask-WTF, Flask-Limiter, argon2-cffi",
        ["flask_login", "flask_wtf", "flask_limiter", "argon2", "email_validator"],
    ),
]

PROBE = """
import importlib, json, sys

def status(key):
    for line in open("/proc/self/status"):
        if line.startswith(key + ":"):
            return int(line.split()[1]) / 1024

layers, argon2, password = json.loads(sys.argv[1]), json.loads(sys.argv[2]), sys.argv[3]
figures = []
for name, modules in layers:
    for module in modules:
        importlib.import_module(module)
    figures.append((name, status("VmRSS")))
from app import create_app

app = create_app()
with app.test_request_context():
    app.preprocess_request()
figures.append(("the app and the rest of its imports, built", status("VmRSS")))
from argon2 import PasswordHasher

hasher = PasswordHasher(**argon2)
stored = hasher.hash(password)
hasher.verify(stored, password)
figures.append(("argon2id's working memory, once per login (peak)", status("VmHWM")))
print(json.dumps(figures))
"""


def footprint(database_url) -> list[tuple[str, float]]:
    """``(layer, MiB it adds)``, in import order, the last being the hash's memory."""
    figures = run_probe(PROBE, database_url, json.dumps(LAYERS), json.dumps(ARGON2), PASSWORD)
    added, previous = [], 0.0
    for name, mib in figures:
        added.append((name, mib - previous))
        previous = mib
    return added
