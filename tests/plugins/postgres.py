"""The PostgreSQL server of the PostgreSQL pass: databases copied from the migrated template,
emptied for the next test, and dropped.

Copying the template (``CREATE DATABASE ... TEMPLATE``) costs some 60 ms with its drop, more
than most tests. So each worker keeps the database its last test had and empties it for the
next: every table's rows deleted (foreign keys unchecked: the cluster's own superuser may) and
every sequence restarted, in one transaction, which takes a few milliseconds. A database is
emptied only when it can be told to be as the template left it: no other session on it, and
the same schema (tables, columns, indexes, constraints, sequences) at the same migration.
Otherwise (a test that downgraded it, a server still leaving it) it is dropped, and the next
test gets a new copy.
"""

import uuid

import psycopg
from psycopg import sql
from sqlalchemy.engine import make_url

# Everything a test could change about the schema, in one text to compare.
SHAPE = """
SELECT concat_ws(E'\\n',
  (SELECT string_agg(version_num, ',' ORDER BY version_num) FROM alembic_version),
  (SELECT string_agg(concat_ws(' ', table_name, column_name, data_type, is_nullable,
                               character_maximum_length, column_default),
                     ';' ORDER BY table_name, column_name)
     FROM information_schema.columns WHERE table_schema = 'public'),
  (SELECT string_agg(indexdef, ';' ORDER BY indexname) FROM pg_indexes
     WHERE schemaname = 'public'),
  (SELECT string_agg(conname || ' ' || pg_get_constraintdef(c.oid), ';' ORDER BY conname)
     FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace
     WHERE n.nspname = 'public'),
  (SELECT string_agg(sequencename, ',' ORDER BY sequencename) FROM pg_sequences
     WHERE schemaname = 'public'))
"""
OTHER_SESSIONS = (
    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
    "AND pid <> pg_backend_pid()"
)
TABLES = (
    "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'alembic_version'"
)
SEQUENCES = "SELECT sequencename FROM pg_sequences WHERE schemaname = 'public'"


def unique_name(prefix):
    return f"{prefix}_{uuid.uuid4().hex[:16]}"


class PostgresServer:
    """The PostgreSQL server at ``url``: databases made from templates, and dropped."""

    def __init__(self, url):
        self.url = make_url(url)
        self.admin = psycopg.connect(self.url_of(self.url.database or "postgres"), autocommit=True)
        # {template: its shape}, and the emptied databases ready for a test: [(name, template)].
        self.shapes = {}
        self.ready = []

    def url_of(self, name) -> str:
        return self.url.set(database=name).render_as_string(hide_password=False)

    def create(self, name, template=None):
        """Create database ``name`` (a copy of ``template``); its URL."""
        statement = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
        if template is not None:
            statement += sql.SQL(" TEMPLATE {}").format(sql.Identifier(template))
        self.admin.execute(statement)
        return self.url_of(name)

    def drop(self, name):
        """Drop database ``name``, ending whatever sessions still use it."""
        self.admin.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )

    def take(self, template) -> str:
        """A test's database with ``template``'s schema and no rows: an emptied one, or a new
        copy; its name. Give it back with ``give_back``."""
        for index, (name, its_template) in enumerate(self.ready):
            if its_template == template:
                del self.ready[index]
                return name
        if template not in self.shapes:
            with psycopg.connect(self.url_of(template)) as connection:
                self.shapes[template] = connection.execute(SHAPE).fetchone()[0]
        name = unique_name("test")
        self.create(name, template=template)
        return name

    def give_back(self, name, template):
        """Empty ``name`` for the next test, or drop it if it is no longer as ``template``
        left it."""
        if self._emptied(name, template):
            self.ready.append((name, template))
        else:
            self.drop(name)

    def _emptied(self, name, template) -> bool:
        with psycopg.connect(self.url_of(name), autocommit=True) as connection:
            if connection.execute(OTHER_SESSIONS).fetchone()[0]:
                return False
            if connection.execute(SHAPE).fetchone()[0] != self.shapes[template]:
                return False
            tables = [table for (table,) in connection.execute(TABLES)]
            sequences = [sequence for (sequence,) in connection.execute(SEQUENCES)]
            try:
                with connection.transaction():
                    # A lock still held elsewhere is no wait: the database goes instead.
                    connection.execute("SET LOCAL lock_timeout = '1s'")
                    connection.execute("SET LOCAL session_replication_role = replica")
                    for table in tables:
                        connection.execute(sql.SQL("DELETE FROM {}").format(sql.Identifier(table)))
                    for sequence in sequences:
                        connection.execute(
                            sql.SQL("ALTER SEQUENCE {} RESTART").format(sql.Identifier(sequence))
                        )
            except psycopg.errors.LockNotAvailable:
                return False
        return True

    def close(self):
        for name, _template in self.ready:
            self.drop(name)
        self.ready.clear()
        self.admin.close()
