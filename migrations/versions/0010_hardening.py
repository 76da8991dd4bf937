"""The second review's hardening: user ids never reused on SQLite, the recovery codes' key
kept sealed in the database, and notices merged into one message while one waits.

Revision ID: 0010_hardening
Revises: 0009_disabled_accounts
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0010_hardening"
down_revision = "0009_disabled_accounts"
branch_labels = None
depends_on = None


def _user_autoincrement(on: bool):
    """SQLite's ``AUTOINCREMENT`` on ``user.id``, so that a deleted account's id is never
    given again. The table is copied (batch mode); PostgreSQL's sequences never reuse ids."""
    if op.get_bind().dialect.name != "sqlite":
        return
    with op.batch_alter_table("user", recreate="always", table_kwargs={"sqlite_autoincrement": on}):
        pass


def upgrade():
    _user_autoincrement(True)
    op.create_table(
        "sealed_key",
        sa.Column("purpose", sa.String(32), primary_key=True),
        sa.Column("sealed", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("details", sa.Text(), nullable=True))


def downgrade():
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("details")
    op.drop_table("sealed_key")
    _user_autoincrement(False)
