"""The second factor: TOTP secrets, recovery codes, and logins waiting for a code.

Revision ID: 0007_second_factor
Revises: 0006_reauthentication
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0007_second_factor"
down_revision = "0006_reauthentication"
branch_labels = None
depends_on = None


def _user_id(**kwargs):
    return sa.Column(
        "user_id", sa.Integer(), sa.ForeignKey("user.id", ondelete="CASCADE"), **kwargs
    )


def upgrade():
    op.create_table(
        "totp_credential",
        _user_id(primary_key=True),
        sa.Column("secret", sa.String(255), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_step", sa.Integer(), nullable=True),
    )
    op.create_table(
        "recovery_code",
        sa.Column("id", sa.Integer(), primary_key=True),
        _user_id(nullable=False),
        sa.Column("code_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_recovery_code_user_id", "recovery_code", ["user_id"])
    op.create_table(
        "pending_login",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        _user_id(nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("remember", sa.Boolean(), nullable=False),
        sa.Column("credential_version", sa.Integer(), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False, server_default="0"),
    )
    op.create_index("ix_pending_login_user_id", "pending_login", ["user_id"])


def downgrade():
    op.drop_table("pending_login")
    op.drop_table("recovery_code")
    op.drop_table("totp_credential")
