"""Alembic environment: the app's engine and metadata, batch mode for SQLite."""

import logging
from logging.config import fileConfig

from alembic import context
from flask import current_app
from sqlalchemy import create_engine, event
from sqlalchemy.pool import NullPool

config = context.config
# Keep the app's loggers alive: fileConfig disables existing loggers by default.
fileConfig(config.config_file_name, disable_existing_loggers=False)
logger = logging.getLogger("alembic.env")

migrate_ext = current_app.extensions["migrate"]
target_metadata = migrate_ext.db.metadata


def run_migrations_offline():
    """Emit SQL for the configured URL without connecting."""
    url = migrate_ext.db.engine.url.render_as_string(hide_password=False)
    context.configure(
        url=url, target_metadata=target_metadata, literal_binds=True, render_as_batch=True
    )
    with context.begin_transaction():
        context.run_migrations()


def _skip_empty_autogenerate(_context, _revision, directives):
    if getattr(config.cmd_opts, "autogenerate", False) and directives[0].upgrade_ops.is_empty():
        directives[:] = []
        logger.info("No changes in schema detected.")


def _migration_engine():
    """The engine to migrate with: the app's, except on SQLite.

    On SQLite a private engine makes DDL transactional (pysqlite would commit it at once), so
    an upgrade that fails half-way changes nothing, and leaves foreign keys unenforced, so
    that batch mode's table copies do not cascade deletes into other tables.
    """
    engine = migrate_ext.db.engine
    if engine.dialect.name != "sqlite":
        return engine
    sqlite_engine = create_engine(engine.url, poolclass=NullPool)

    @event.listens_for(sqlite_engine, "connect")
    def _manual_transactions(dbapi_connection, _record):
        dbapi_connection.isolation_level = None

    @event.listens_for(sqlite_engine, "begin")
    def _begin(connection):
        connection.exec_driver_sql("BEGIN")

    return sqlite_engine


def run_migrations_online():
    """Run every pending migration in one transaction."""
    conf_args = dict(migrate_ext.configure_args)
    conf_args.setdefault("process_revision_directives", _skip_empty_autogenerate)
    with _migration_engine().connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            transactional_ddl=True,
            **conf_args,
        )
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
