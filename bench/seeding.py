"""Bulk rows for the migrated schema: users, and session records, on SQLite or PostgreSQL."""

import secrets
import sqlite3

from argon2 import PasswordHasher, Type

from bench.settings import ARGON2, CREATED_ON, PASSWORD, USER_ROLE_CODE, email, user_name
from devtools.processes import HOST

SEED_CHUNK = 50_000
# How SQLAlchemy stores a DateTime on SQLite (UTC, without the zone).
SQLITE_DATETIME = "%Y-%m-%d %H:%M:%S.%f"
SQLITE_PREFIX = "sqlite:///"

USER_COLUMNS = (
    "first_name",
    "last_name",
    "user_name",
    "email",
    "user_name_key",
    "email_key",
    "created_on",
    "role_code",
    "password",
    "last_login_at",
    "last_login_ip",
    "login_count",
)
SESSION_COLUMNS = (
    "public_id",
    "token_hash",
    "user_id",
    "created_at",
    "last_seen_at",
    "remember",
    "ip",
    "user_agent",
    "credential_version",
    "verified_at",
)
# The labels of live and of expired filler sessions (the few and the many purged): in their
# public ids and user agents.
LIVE, EXPIRED, FEW_EXPIRED = "live", "gone", "few"


def filler_agent(label) -> str:
    """The user agent of the filler sessions labelled ``label``, for a count to find them."""
    return f"bench {label} filler"


def precomputed_hash() -> str:
    return PasswordHasher(type=Type.ID, **ARGON2).hash(PASSWORD)


def _user_row(i, password_hash):
    name, address = user_name(i), email(i)
    # Keys are the casefolded forms; these names and addresses are lower case already.
    return (
        *("Bench", f"User{i}", name, address, name, address),
        *(CREATED_ON, USER_ROLE_CODE, password_hash, None, None, 0),
    )


def _session_rows(count, users, created, last_seen, label):
    """``count`` sessions of users ``i % users + 1`` with random token hashes, never handed to
    anyone, in the order of their token hashes and public ids: the unique indexes then grow at
    their end, several times faster than random inserts."""
    agent = filler_agent(label)
    width = 32 - len(label)
    hashes = sorted(secrets.token_hex(32) for _ in range(count))
    for i, token_hash in enumerate(hashes):
        public_id, user_id = f"{label}{i:0{width}d}", i % users + 1
        yield (public_id, token_hash, user_id, created, last_seen, False, HOST, agent, 0, created)


def seed_users(url, count, password_hash):
    """``count`` users, ``bench0000001``…, all with ``password_hash``."""
    rows = (_user_row(i, password_hash) for i in range(1, count + 1))
    _insert(url, "user", USER_COLUMNS, rows)


def seed_sessions(url, count, users, created, last_seen, label=LIVE):
    """``count`` non-remembered session records spread over ``users`` users: live if
    ``last_seen`` is recent and ``created`` within the absolute lifetime, else expired."""
    _insert(
        url, "auth_session", SESSION_COLUMNS, _session_rows(count, users, created, last_seen, label)
    )


def _chunks(rows, size=SEED_CHUNK):
    chunk = []
    for row in rows:
        chunk.append(row)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _insert(url, table, columns, rows):
    if url.startswith(SQLITE_PREFIX):
        _insert_sqlite(url.removeprefix(SQLITE_PREFIX), table, columns, rows)
    else:
        _copy_postgres(url, table, columns, rows)


def _sqlite_value(value):
    return value.strftime(SQLITE_DATETIME) if hasattr(value, "strftime") else value


def _insert_sqlite(path, table, columns, rows):
    conn = sqlite3.connect(path)
    try:
        conn.execute("PRAGMA synchronous=OFF")
        # Built from constant names only; the values go as parameters.
        sql = 'INSERT INTO "{}" ({}) VALUES ({})'.format(  # noqa: S608
            table, ", ".join(columns), ", ".join("?" * len(columns))
        )
        for chunk in _chunks(rows):
            conn.executemany(sql, [tuple(map(_sqlite_value, row)) for row in chunk])
            conn.commit()
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        conn.close()


def _copy_postgres(url, table, columns, rows):
    import psycopg

    copy = 'COPY "{}" ({}) FROM STDIN'.format(table, ", ".join(columns))
    with psycopg.connect(url) as conn:
        for chunk in _chunks(rows):
            with conn.cursor() as cur, cur.copy(copy) as out:
                for row in chunk:
                    out.write_row(row)
            conn.commit()
        conn.execute(f'ANALYZE "{table}"')
