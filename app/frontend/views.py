"""The single page, served for ``/`` and every path outside ``/api/`` and ``/static/``; and the
API reference at ``/docs``."""

from flask import Blueprint, make_response, render_template, request
from werkzeug.routing import PathConverter

from app.accounts.mailings import LINK_PATHS
from app.common.paths import API_PREFIX
from app.forward_auth import return_address
from app.personal_tokens.scopes import SCOPES, grantable
from app.users.constants import USER_ROLE

frontend = Blueprint("frontend", __name__)
# The paths that mailed links open, a token in their fragment.
TOKEN_PAGES = frozenset(path.lstrip("/") for path in LINK_PATHS.values())
# Each scope with the roles that may give it to a token, by name: the page offers each user
# only the scopes of their role, from the same table the API checks.
TOKEN_SCOPES = tuple(
    (scope, tuple(name for code, name in USER_ROLE.items() if scope in grantable(code)))
    for scope in SCOPES
)


class PagePathConverter(PathConverter):
    """Any path not under ``api/`` or ``static/``, so that unknown API routes 404/405 as JSON
    and a static path that names no file (``/static//js/api.js``) is a 404, not the page."""

    regex = rf"(?!(?:{API_PREFIX.strip('/')}|static)(?:/|$))[^/].*?"


@frontend.record_once
def _register_converter(state):
    state.app.url_map.converters["page"] = PagePathConverter


@frontend.get("/docs")
def docs():
    """Serve the API reference: Swagger UI on /api/openapi.json."""
    return render_template("docs.html")


@frontend.get("/")
@frontend.get("/<page:path>")
def index(path=None):
    """Serve the page; the client decides what to show from its path and verify_auth. A
    ``?next=`` that forward auth may return to is where a login on the page goes back to."""
    return_to = return_address(request.args.get("next"))
    page = render_template("app.html", return_to=return_to, token_scopes=TOKEN_SCOPES)
    response = make_response(page)
    # The page carries this session's CSRF token: no cache may keep it.
    response.headers["Cache-Control"] = "no-store"
    if path in TOKEN_PAGES:
        # Whatever a page opened by a token loads or links to learns nothing of its address.
        response.headers["Referrer-Policy"] = "no-referrer"
    return response
