"""When each session's user last proved who they are, for re-authentication.

A session that exists before this revision counts as proved when it began.

Revision ID: 0006_reauthentication
Revises: 0005_mail
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0006_reauthentication"
down_revision = "0005_mail"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("auth_session") as batch:
        batch.add_column(sa.Column("verified_at", sa.DateTime(timezone=True), nullable=True))
    op.execute("UPDATE auth_session SET verified_at = created_at")
    with op.batch_alter_table("auth_session") as batch:
        batch.alter_column("verified_at", existing_type=sa.DateTime(timezone=True), nullable=False)


def downgrade():
    with op.batch_alter_table("auth_session") as batch:
        batch.drop_column("verified_at")
