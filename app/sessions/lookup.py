"""Finding a session and its user by token hash: one prebuilt read, below the ORM.

This runs on every authenticated request, where SQLAlchemy's bookkeeping would cost more
than the indexed read itself. So the statement is compiled once per engine, with the result
processors of its columns, and runs on the DB-API cursor of a pooled connection: the
driver keeps it prepared (sqlite3's statement cache, psycopg's automatic preparation).
Errors come out as SQLAlchemy's, a lost connection invalidated, as a Core read would
raise them. The row becomes two read-only snapshots; flows that change the user or start a
session load the ORM objects by id.
"""

import weakref
from dataclasses import dataclass, fields
from datetime import datetime

from sqlalchemy import and_, bindparam, select
from sqlalchemy.exc import DBAPIError

from app.extensions import db
from app.sessions.models import AuthSession
from app.users.models import ActiveUser, User


@dataclass(frozen=True, slots=True)
class SessionView:
    """A read-only snapshot of a live ``AuthSession`` row and its user."""

    id: int
    public_id: str
    user_id: int
    created_at: datetime
    last_seen_at: datetime
    remember: bool
    credential_version: int
    verified_at: datetime
    user: ActiveUser


# The columns come from the snapshots' own fields, so that the two cannot drift apart. Never
# the password hash: the hot path has no use for it.
_SESSION_COLUMNS = [getattr(AuthSession, f.name) for f in fields(SessionView) if f.name != "user"]
_USER_COLUMNS = [getattr(User, f.name) for f in fields(ActiveUser)]
_STATEMENT = (
    select(*_SESSION_COLUMNS, *_USER_COLUMNS)
    # A session made before the user's last password change names an older credential
    # version: it is no session any more, whenever it was made. Nor is one of a disabled
    # account, even one that a login racing the disable wrote after it.
    .join_from(
        AuthSession,
        User,
        and_(
            AuthSession.user_id == User.id,
            AuthSession.credential_version == User.credential_version,
            User.is_active,
        ),
    )
    .where(AuthSession.token_hash == bindparam("token_hash"))
)
_SPLIT = len(_SESSION_COLUMNS)


@dataclass(frozen=True)
class _Prepared:
    """The statement compiled for one engine's dialect, and how to read its row."""

    sql: str
    positional: bool
    processors: tuple

    @classmethod
    def of(cls, engine) -> "_Prepared":
        dialect = engine.dialect
        compiled = _STATEMENT.compile(dialect=dialect)
        processors = tuple(
            column.type.dialect_impl(dialect).result_processor(dialect, None)
            for column in (*_SESSION_COLUMNS, *_USER_COLUMNS)
        )
        return cls(str(compiled), compiled.positional, processors)

    def parameters(self, token_hash):
        return (token_hash,) if self.positional else {"token_hash": token_hash}

    def read(self, row) -> tuple:
        return tuple(
            value if process is None or value is None else process(value)
            for process, value in zip(self.processors, row, strict=True)
        )


_PREPARED = weakref.WeakKeyDictionary()


def _prepared(engine) -> _Prepared:
    prepared = _PREPARED.get(engine)
    if prepared is None:
        prepared = _PREPARED[engine] = _Prepared.of(engine)
    return prepared


def _fetch(engine, prepared, parameters):
    dialect = engine.dialect
    error = dialect.loaded_dbapi.Error
    connection = cursor = None
    try:
        connection = engine.raw_connection()
        cursor = connection.cursor()
        cursor.execute(prepared.sql, parameters)
        row = cursor.fetchone()
        cursor.close()
        return row
    except error as exc:
        raw = connection.dbapi_connection if connection is not None else None
        lost = dialect.is_disconnect(exc, raw, cursor)
        if lost and connection is not None:
            connection.invalidate(exc)
        raise DBAPIError.instance(
            prepared.sql, parameters, exc, error, connection_invalidated=lost, dialect=dialect
        ) from exc
    finally:
        if connection is not None:
            connection.close()


def find_by_token_hash(token_hash: str) -> SessionView | None:
    """The session with this token hash, with its user; or None."""
    engine = db.engine
    prepared = _prepared(engine)
    row = _fetch(engine, prepared, prepared.parameters(token_hash))
    if row is None:
        return None
    row = prepared.read(row)
    return SessionView(*row[:_SPLIT], user=ActiveUser(*row[_SPLIT:]))
