"""Where the databases live: SQLite files in a temporary folder, or a PostgreSQL server, and
the throwaway PostgreSQL cluster and Redis server of the PostgreSQL + Redis turn."""

import os
import sqlite3
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from bench.seeding import SQLITE_PREFIX
from bench.settings import DATABASE_URL, log
from devtools.processes import free_port
from devtools.services import PostgresCluster, RedisServer


class Databases:
    """Named databases: SQLite files in ``tmp`` or, given ``server_url``, throwaway databases
    created beside that one on its server (and dropped by ``drop_all``)."""

    def __init__(self, tmp, server_url=None):
        self.tmp = Path(tmp)
        self.server_url = server_url
        self.created = []

    @property
    def engine(self):
        return "PostgreSQL" if self.server_url else "SQLite"

    def url(self, name) -> str:
        if not self.server_url:
            return f"{SQLITE_PREFIX}{self.tmp / (name + '.db')}"
        parts = urlsplit(self.server_url)
        return urlunsplit(parts._replace(path=f"/{self._pg_name(name)}"))

    def _pg_name(self, name):
        base = urlsplit(self.server_url).path.lstrip("/") or "postgres"
        return f"{base}_{name}_{os.getpid()}"

    def create(self, name) -> str:
        if self.server_url:
            import psycopg
            from psycopg import sql

            with psycopg.connect(self.server_url, autocommit=True) as conn:
                conn.execute(
                    sql.SQL("CREATE DATABASE {}").format(sql.Identifier(self._pg_name(name)))
                )
            self.created.append(name)
        return self.url(name)

    def drop_all(self):
        if not self.created:
            return
        import psycopg
        from psycopg import sql

        with psycopg.connect(self.server_url, autocommit=True) as conn:
            for name in self.created:
                conn.execute(
                    sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                        sql.Identifier(self._pg_name(name))
                    )
                )
        self.created = []


def count(url, sql, *parameters) -> int:
    """The one number that ``sql`` (with ``?`` placeholders) selects from the database."""
    if url.startswith(SQLITE_PREFIX):
        conn = sqlite3.connect(url.removeprefix(SQLITE_PREFIX))
        try:
            return conn.execute(sql, parameters).fetchone()[0]
        finally:
            conn.close()
    import psycopg

    with psycopg.connect(url) as conn:
        return conn.execute(sql.replace("?", "%s"), parameters).fetchone()[0]


@contextmanager
def postgres_and_redis(tmp):
    """Databases on PostgreSQL and a Redis URL, both removed afterwards whatever happens:
    BENCH_DATABASE_URL's server if given, else a throwaway cluster; a throwaway redis-server."""
    cluster = store = dbs = None
    try:
        if DATABASE_URL:
            server_url = DATABASE_URL
        else:
            cluster = PostgresCluster(free_port())
            cluster.start()
            server_url = cluster.url
        store = RedisServer(free_port())
        store.start()
        log(f"  PostgreSQL at {server_url}, Redis at {store.url}")
        dbs = Databases(tmp, server_url)
        yield dbs, store.url
    finally:
        try:
            if dbs is not None:
                dbs.drop_all()
        finally:
            if store is not None:
                store.remove()
            if cluster is not None:
                cluster.remove()
