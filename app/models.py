"""Every model, in one namespace for ``manage.py shell`` (``models.User``) and migrations."""

from app.sessions.models import AuthSession
from app.users.models import User

__all__ = ["AuthSession", "User"]
