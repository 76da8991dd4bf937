"""Finding a session record and its user by token hash, in one prebuilt statement.

This runs on every authenticated request. Building an ORM query per call was most of
verify_auth's cost (py-spy, bench/README.md), so the statement is built once, run through
Core, and the row is turned into ORM objects without a second query: they are ordinary
persistent objects afterwards (views can change and commit them).
"""

from sqlalchemy import bindparam, inspect, select
from sqlalchemy.orm import make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value

from app.extensions import db
from app.sessions.models import AuthSession
from app.users.models import User

_MODELS = {"s": AuthSession, "u": User}


def _labelled_columns(prefix, model):
    return [column.label(f"{prefix}_{column.key}") for column in model.__table__.columns]


_STATEMENT = (
    select(*_labelled_columns("s", AuthSession), *_labelled_columns("u", User))
    .join_from(AuthSession, User, AuthSession.user_id == User.id)
    .where(AuthSession.token_hash == bindparam("token_hash"))
)


def _persistent(model, prefix, row):
    """The ORM object for ``row``'s columns, added to the session as if it had been loaded."""
    mapper = inspect(model)
    key = mapper.identity_key_from_primary_key([row[f"{prefix}_id"]])
    existing = db.session.identity_map.get(key)
    if existing is not None:
        # Already loaded in this session: like an ORM query, keep that object.
        return existing
    instance = mapper.class_manager.new_instance()
    for prop in mapper.column_attrs:
        set_committed_value(instance, prop.key, row[f"{prefix}_{prop.columns[0].key}"])
    make_transient_to_detached(instance)
    db.session.add(instance)
    return instance


def find_by_token_hash(token_hash: str):
    """The ``AuthSession`` with this token hash, its ``user`` loaded; or None."""
    connection = db.session.connection()
    row = connection.execute(_STATEMENT, {"token_hash": token_hash}).mappings().first()
    if row is None:
        return None
    record = _persistent(AuthSession, "s", row)
    set_committed_value(record, "user", _persistent(User, "u", row))
    return record
