"""Everything stored about an account, for its owner: the profile, the trail, the sessions,
the second factors, the passkeys and the personal access tokens, never a secret, a hash or a
token."""

from app.common.time import isoformat, utcnow
from app.mfa import flows as mfa
from app.passkeys import store as passkeys
from app.personal_tokens import store as personal_tokens
from app.security.events import ACCOUNT_EXPORTED, security_event
from app.sessions import cookie
from app.sessions import store as sessions


def export_of(user, current=None) -> dict:
    """The export of ``user`` (an ORM ``User``); its sessions as the user's own list shows
    them, ``current`` (this request's record) marked."""
    return {
        "exported_at": isoformat(utcnow()),
        "profile": user.to_json(),
        "trail": trail(user),
        "sessions": sessions.listed(user.id, user.credential_version, current),
        "mfa": mfa.state_of(user),
        "passkeys": [passkey.to_json() for passkey in passkeys.of_user(user.id)],
        "tokens": personal_tokens.listed(user.id, user.credential_version),
    }


def export_own(user) -> dict:
    """The export of the session's own ``user``, logged as a security event."""
    data = export_of(user, cookie.current_record())
    security_event(ACCOUNT_EXPORTED, user=user)
    return data


def trail(user) -> dict:
    """The account trail: when it was made, and its logins."""
    return {
        "created_on": isoformat(user.created_on),
        "last_login_at": isoformat(user.last_login_at) if user.last_login_at else None,
        "last_login_ip": user.last_login_ip,
        "login_count": user.login_count,
    }
