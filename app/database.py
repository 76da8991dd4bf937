"""The database engines: SQLite's connection pragmas, PostgreSQL's pool and timeouts."""

from sqlalchemy import event

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
