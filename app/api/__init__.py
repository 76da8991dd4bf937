from app.api.auth import auth

__all__ = ["auth"]
