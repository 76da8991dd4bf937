from app.api.auth import auth
from app.api.sessions import sessions_api

__all__ = ["auth", "sessions_api"]
