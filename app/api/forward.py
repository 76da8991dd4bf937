"""Forward auth: what a reverse proxy (nginx's ``auth_request``, Traefik's ForwardAuth,
Caddy's ``forward_auth``) asks before each request to an app it protects."""

from flask import Blueprint, Response
from flask_login import current_user, login_required

from app.common.paths import API_PREFIX
from app.forward_auth import identity_headers
from app.personal_tokens.scopes import ACCOUNT_READ, bearer

forward_api = Blueprint("forward", __name__, url_prefix=f"{API_PREFIX}/auth")


@forward_api.get("/forward")
@bearer(ACCOUNT_READ)
@login_required
def forward():
    """204 with the user in ``X-Auth-*`` headers, or 401: the same one read as verify_auth,
    no write of its own, and no cookie set."""
    response = Response(status=204, headers=identity_headers(current_user))
    # No content, so no type (Werkzeug would call the empty body text/html).
    del response.headers["Content-Type"]
    return response
