"""The single page, served for ``/`` and every path outside ``/api/``."""

from flask import Blueprint, render_template
from werkzeug.routing import PathConverter

frontend = Blueprint("frontend", __name__)


class PagePathConverter(PathConverter):
    """Any path not under ``api/``, so that unknown API routes 404/405 as JSON."""

    regex = r"(?!api(?:/|$))[^/].*?"


@frontend.record_once
def _register_converter(state):
    state.app.url_map.converters["page"] = PagePathConverter


@frontend.get("/")
@frontend.get("/<page:path>")
def index(path=None):
    """Serve the page; the client decides what to show from verify_auth."""
    return render_template("app.html")
