"""The floor: a bare Flask app answering verify_auth's JSON for a fixed user.

No session, no database, no extensions: what Flask and gunicorn cost on their own.
"""

from flask import Flask, jsonify

# The same shape as the app's user object (see app/users/models.py, ``User.to_json``).
USER = {
    "id": 500,
    "user_name": "bench0000500",
    "email": "bench0000500@example.org",
    "first_name": "Bench",
    "last_name": "User500",
    "role": "user",
    "created_on": "2026-01-01T00:00:00Z",
    "email_confirmed": False,
}
MESSAGE = "You are logged in"


def create_app():
    app = Flask(__name__)

    @app.get("/api/auth/verify_auth")
    def verify_auth():
        """Return the fixed user."""
        return jsonify({"success": True, "message": MESSAGE, "data": USER})

    return app


app = create_app()
