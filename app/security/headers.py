"""Security headers on every answer, from one ``after_request``.

Flask-Talisman would do this too, but its defaults (``force_https`` and re-setting
``session_cookie_secure`` on every request) fight this app's rule that all HTTPS behaviour
follows ``SESSION_COOKIE_SECURE``; a dozen lines are easier to audit than switching those off.
"""

from flask import request

from app.common.paths import is_api_path

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        # Bootstrap draws checkbox ticks and validation icons as data: SVG images.
        "img-src 'self' data:",
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
        "form-action 'self'",
    ]
)
HSTS = "max-age=31536000; includeSubDomains"
HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}


def register(app):
    secure = app.config["SESSION_COOKIE_SECURE"]

    defaults = [*HEADERS.items(), *([("Strict-Transport-Security", HSTS)] if secure else [])]

    @app.after_request
    def set_security_headers(response):
        headers = response.headers
        # Werkzeug's setdefault raises and catches an HTTP exception for each absent name:
        # one look at the names that are there costs less on every answer.
        present = {name.lower() for name, _value in headers}
        for name, value in defaults:
            if name.lower() not in present:
                headers.add(name, value)
        if is_api_path(request.path):
            # Answers carry users and CSRF tokens: no cache may keep them.
            headers["Cache-Control"] = "no-store"
        return response
