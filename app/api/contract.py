"""``GET /api/openapi.json``: the contract, ``openapi.yaml`` at the repository root, as JSON."""

import json
from functools import cache
from pathlib import Path

from flask import Blueprint, current_app

from app.common.paths import API_PREFIX

DOCUMENT_PATH = Path(__file__).resolve().parents[2] / "openapi.yaml"

contract = Blueprint("contract", __name__, url_prefix=API_PREFIX)


@cache
def document_json(path=DOCUMENT_PATH) -> str:
    """The document as JSON text, in its own key order; read once per process."""
    import yaml  # read once, so no worker needs to keep the parser loaded before that

    return json.dumps(yaml.safe_load(path.read_text(encoding="utf-8")))


@contract.get("/openapi.json")
def openapi():
    """Serve the OpenAPI document."""
    return current_app.response_class(document_json(), mimetype="application/json")
