from app.api.auth import auth
from app.api.contract import contract
from app.api.sessions import sessions_api

__all__ = ["auth", "contract", "sessions_api"]
