from app.frontend.views import frontend

__all__ = ["frontend"]
