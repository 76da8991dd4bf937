"""One indexed read per authenticated request, below the ORM.

A request's credential (a session cookie, a personal access token) is looked up on every
authenticated request, where SQLAlchemy's bookkeeping would cost more than the indexed read
itself. So each such statement is compiled once per engine, with the result processors of its
columns, and runs on the DB-API cursor of a pooled connection: the driver keeps it prepared
(sqlite3's statement cache, psycopg's automatic preparation). Errors come out as
SQLAlchemy's, a lost connection invalidated, as a Core read would raise them.
"""

import weakref
from dataclasses import dataclass, fields

from sqlalchemy import and_, bindparam, select
from sqlalchemy.exc import DBAPIError

from app.extensions import db
from app.users.models import ActiveUser, User


@dataclass(frozen=True)
class Compiled:
    """A statement compiled for one engine's dialect, and how to read its row."""

    sql: str
    positional: bool
    processors: tuple

    @classmethod
    def of(cls, statement, columns, engine) -> "Compiled":
        dialect = engine.dialect
        compiled = statement.compile(dialect=dialect)
        processors = tuple(
            column.type.dialect_impl(dialect).result_processor(dialect, None) for column in columns
        )
        return cls(str(compiled), compiled.positional, processors)

    def read(self, row) -> tuple:
        return tuple(
            value if process is None or value is None else process(value)
            for process, value in zip(self.processors, row, strict=True)
        )


class PreparedRead:
    """``statement`` (a select of ``columns`` with one bind parameter, ``parameter``), ready
    to run on any engine."""

    def __init__(self, statement, columns, parameter):
        self.statement = statement
        self.columns = tuple(columns)
        self.parameter = parameter
        self.compiled = weakref.WeakKeyDictionary()

    def compiled_for(self, engine) -> Compiled:
        compiled = self.compiled.get(engine)
        if compiled is None:
            compiled = self.compiled[engine] = Compiled.of(self.statement, self.columns, engine)
        return compiled

    def row(self, value) -> tuple | None:
        """The one row whose parameter is ``value``, its columns processed; or None."""
        engine = db.engine
        compiled = self.compiled_for(engine)
        parameters = (value,) if compiled.positional else {self.parameter: value}
        row = _fetch(engine, compiled.sql, parameters)
        return None if row is None else compiled.read(row)


class CredentialRead:
    """Find a live credential (``model``: a session, a personal access token) and its owner by
    the credential's token hash, as ``view``: a snapshot of the record's columns, named as its
    fields, and ``user``, an ``ActiveUser``.

    A record made before the owner's last password change names an older credential version:
    it is no credential any more, whenever it was made. Nor is one of a disabled account, even
    one that a login racing the disable wrote after it. The columns come from the snapshots'
    own fields, so that the two cannot drift apart; never the password hash, which the hot path
    has no use for.
    """

    def __init__(self, model, view):
        own = [getattr(model, f.name) for f in fields(view) if f.name != "user"]
        owner = [getattr(User, f.name) for f in fields(ActiveUser)]
        statement = (
            select(*own, *owner)
            .join_from(
                model,
                User,
                and_(
                    model.user_id == User.id,
                    model.credential_version == User.credential_version,
                    User.is_active,
                ),
            )
            .where(model.token_hash == bindparam("token_hash"))
        )
        self.view = view
        self.split = len(own)
        self.prepared = PreparedRead(statement, [*own, *owner], "token_hash")

    def find(self, token_hash: str):
        """The live credential with this token hash, with its owner; or None."""
        row = self.prepared.row(token_hash)
        if row is None:
            return None
        return self.view(*row[: self.split], user=ActiveUser(*row[self.split :]))


def _fetch(engine, sql, parameters):
    dialect = engine.dialect
    error = dialect.loaded_dbapi.Error
    connection = cursor = None
    try:
        connection = engine.raw_connection()
        cursor = connection.cursor()
        cursor.execute(sql, parameters)
        row = cursor.fetchone()
        cursor.close()
        return row
    except error as exc:
        raw = connection.dbapi_connection if connection is not None else None
        lost = dialect.is_disconnect(exc, raw, cursor)
        if lost and connection is not None:
            connection.invalidate(exc)
        raise DBAPIError.instance(
            sql, parameters, exc, error, connection_invalidated=lost, dialect=dialect
        ) from exc
    finally:
        if connection is not None:
            connection.close()
