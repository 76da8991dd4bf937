"""The account trail: last login time and IP, and a login count.

Revision ID: 0003_account_trail
Revises: 0002_keys_and_sessions
Create Date: 2026-11-28
"""

import sqlalchemy as sa
from alembic import op

revision = "0003_account_trail"
down_revision = "0002_keys_and_sessions"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("user") as batch:
        batch.add_column(sa.Column("last_login_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("last_login_ip", sa.String(length=45), nullable=True))
        batch.add_column(sa.Column("login_count", sa.Integer(), server_default="0", nullable=False))


def downgrade():
    with op.batch_alter_table("user") as batch:
        batch.drop_column("login_count")
        batch.drop_column("last_login_ip")
        batch.drop_column("last_login_at")
