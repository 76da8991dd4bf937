"""The database engines (SQLite's connection pragmas, PostgreSQL's pool and timeouts), and
deletes of many rows in batches."""

from flask import current_app
from sqlalchemy import delete, event, select

from app.extensions import db


def postgresql_engine_options(config) -> dict:
    """Pool and timeout settings for PostgreSQL, from the DATABASE_* keys.

    Connections are checked before use, and every wait is bounded, so that a dead or stalled
    database turns into quick 503s instead of workers hanging for gunicorn's 30 s.
    """
    return {
        "pool_pre_ping": True,
        "pool_size": int(config["DATABASE_POOL_SIZE"]),
        "max_overflow": int(config["DATABASE_MAX_OVERFLOW"]),
        "pool_timeout": float(config["DATABASE_POOL_TIMEOUT"]),
        "pool_recycle": int(config["DATABASE_POOL_RECYCLE"]),
        "connect_args": {
            "connect_timeout": int(config["DATABASE_CONNECT_TIMEOUT"]),
            "options": f"-c statement_timeout={int(config['DATABASE_STATEMENT_TIMEOUT_MS'])}",
        },
    }


def register(app):
    """Attach the database, with SQLite's pragmas on every new connection."""
    db.init_app(app)
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            event.listen(db.engine, "connect", _sqlite_pragmas)


def _sqlite_pragmas(dbapi_connection, _record):
    # WAL lets readers run beside the one writer; busy_timeout makes writers queue instead
    # of failing with "database is locked"; NORMAL is safe under WAL and commits faster.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def delete_in_batches(model, condition) -> int:
    """Delete the rows of ``model`` that match ``condition``, committing each batch of
    ``PURGE_BATCH_SIZE``; how many went.

    One DELETE of a million rows would be one long transaction: the write lock held (all of
    SQLite's), and the whole undo kept until the end. Batches walk the primary key, so each
    reads only the ids it deletes, and a login can write between two of them. The condition
    is checked again by each DELETE, so a row is deleted only if it matches then.
    """
    size = int(current_app.config["PURGE_BATCH_SIZE"])
    deleted, after = 0, None
    while True:
        page = select(model.id).where(condition).order_by(model.id).limit(size)
        if after is not None:
            page = page.where(model.id > after)
        ids = db.session.scalars(page).all()
        if not ids:
            return deleted
        deleted += db.session.execute(delete(model).where(model.id.in_(ids), condition)).rowcount
        db.session.commit()
        after = ids[-1]
