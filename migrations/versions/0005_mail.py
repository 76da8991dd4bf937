"""Mail: confirmed addresses, tokens sent by mail, and the outbox.

Accounts that exist before this revision (the tutorial's included) count as unconfirmed:
nobody ever proved that the address is theirs. Nobody is locked out by it while
REQUIRE_CONFIRMED_EMAIL is off (the default); each can confirm from the page's banner.

Revision ID: 0005_mail
Revises: 0004_credential_version
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0005_mail"
down_revision = "0004_credential_version"
branch_labels = None
depends_on = None


def _user_fk():
    return sa.ForeignKey("user.id", ondelete="CASCADE")


def upgrade():
    with op.batch_alter_table("user") as batch:
        batch.add_column(sa.Column("email_confirmed_at", sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        "account_token",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("user_id", sa.Integer(), _user_fk(), nullable=False),
        sa.Column("purpose", sa.String(length=32), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False, unique=True),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("credential_version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_account_token_user_id", "account_token", ["user_id"])
    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("message_id", sa.String(length=255), nullable=False, unique=True),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.Integer(), _user_fk(), nullable=True),
        sa.Column("recipient", sa.String(length=254), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("send_after", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.String(length=500), nullable=True),
        sa.Column("claimed_by", sa.String(length=64), nullable=True),
        sa.Column("claimed_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_outbox_status", "outbox", ["status"])
    op.create_index("ix_outbox_user_id", "outbox", ["user_id"])


def downgrade():
    op.drop_table("outbox")
    op.drop_table("account_token")
    with op.batch_alter_table("user") as batch:
        batch.drop_column("email_confirmed_at")
