"""The passkey records: the user's handle, adding, listing, renaming, removing, using; each
in the caller's transaction."""

import secrets

from sqlalchemy import delete, exists, func, select, update

from app.common.base64url import base64url_to_bytes, bytes_to_base64url
from app.common.time import utcnow
from app.extensions import db
from app.passkeys.models import DEFAULT_NAME, Passkey
from app.sessions.store import PUBLIC_ID_SHAPE
from app.users.models import User

HANDLE_BYTES = 32
PUBLIC_ID_BYTES = 12


def handle_of(user) -> bytes:
    """The user's WebAuthn user handle: random, made on first use, never the id or email."""
    if user.passkey_handle is None:
        handle = bytes_to_base64url(secrets.token_bytes(HANDLE_BYTES))
        # Only if still unset: two first registrations at once agree on the winner's handle.
        db.session.execute(
            update(User)
            .where(User.id == user.id, User.passkey_handle.is_(None))
            .values(passkey_handle=handle)
            .execution_options(synchronize_session=False)
        )
        db.session.refresh(user, ["passkey_handle"])
    return base64url_to_bytes(user.passkey_handle)


def user_by_handle(handle: str):
    return db.session.scalar(select(User).where(User.passkey_handle == handle))


def of_user(user_id) -> list[Passkey]:
    """The user's passkeys, oldest first."""
    return db.session.scalars(
        select(Passkey).where(Passkey.user_id == user_id).order_by(Passkey.id)
    ).all()


def has_any(user_id):
    """The SQL truth of "the user has a passkey", to select with other things."""
    return exists().where(Passkey.user_id == user_id)


def count(user_id) -> int:
    return db.session.scalar(
        select(func.count()).select_from(Passkey).where(Passkey.user_id == user_id)
    )


def add(user, new, name) -> Passkey:
    """Store the verified credential ``new`` for ``user``, in the caller's transaction."""
    passkey = Passkey(
        public_id=secrets.token_urlsafe(PUBLIC_ID_BYTES),
        user_id=user.id,
        credential_id=new.credential_id,
        public_key=new.public_key,
        sign_count=new.sign_count,
        transports=new.transports,
        backed_up=new.backed_up,
        name=name or DEFAULT_NAME,
    )
    db.session.add(passkey)
    return passkey


def find(user_id, public_id) -> Passkey | None:
    """The user's passkey ``public_id``, or None (any other user's is not found either)."""
    if not PUBLIC_ID_SHAPE.fullmatch(public_id):
        return None
    return db.session.scalar(
        select(Passkey).where(Passkey.user_id == user_id, Passkey.public_id == public_id)
    )


def by_credential_id(credential_id, user_id=None) -> Passkey | None:
    """The passkey of ``credential_id`` (of ``user_id`` only, if given), or None."""
    statement = select(Passkey).where(Passkey.credential_id == credential_id)
    if user_id is not None:
        statement = statement.where(Passkey.user_id == user_id)
    return db.session.scalar(statement)


def record_use(passkey, new_sign_count) -> bool:
    """Store the sign count and time of a use of ``passkey``, in the caller's transaction,
    only while its counter is still the one checked: two uses of one answer, or of a cloned
    authenticator, cannot both pass."""
    conditions = [Passkey.id == passkey.id, Passkey.sign_count == passkey.sign_count]
    if new_sign_count > 0:
        conditions.append(Passkey.sign_count < new_sign_count)
    statement = (
        update(Passkey)
        .where(*conditions)
        .values(sign_count=new_sign_count, last_used_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    return db.session.execute(statement).rowcount == 1


def remove(passkey) -> bool:
    """Delete ``passkey``, in the caller's transaction; False when it was gone already."""
    return db.session.execute(delete(Passkey).where(Passkey.id == passkey.id)).rowcount == 1


def remove_all(user_id):
    db.session.execute(delete(Passkey).where(Passkey.user_id == user_id))
