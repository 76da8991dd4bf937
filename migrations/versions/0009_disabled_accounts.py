"""Disabled accounts: ``user.is_active``, true for every account that exists.

Revision ID: 0009_disabled_accounts
Revises: 0008_passkeys
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0009_disabled_accounts"
down_revision = "0008_passkeys"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("user") as batch:
        batch.add_column(
            sa.Column("is_active", sa.Boolean(), nullable=False, server_default=sa.true())
        )


def downgrade():
    with op.batch_alter_table("user") as batch:
        batch.drop_column("is_active")
