"""Passkeys: WebAuthn credentials, their challenges, and each user's random user handle.

Revision ID: 0008_passkeys
Revises: 0007_second_factor
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0008_passkeys"
down_revision = "0007_second_factor"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("user") as batch:
        batch.add_column(sa.Column("passkey_handle", sa.String(64), nullable=True))
        batch.create_unique_constraint("uq_user_passkey_handle", ["passkey_handle"])
    op.create_table(
        "passkey",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("public_id", sa.String(32), nullable=False, unique=True),
        sa.Column(
            "user_id",
            sa.Integer(),
            sa.ForeignKey("user.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("credential_id", sa.String(1364), nullable=False, unique=True),
        sa.Column("public_key", sa.LargeBinary(), nullable=False),
        sa.Column("sign_count", sa.Integer(), nullable=False),
        sa.Column("transports", sa.String(128), nullable=False),
        sa.Column("backed_up", sa.Boolean(), nullable=False),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_passkey_user_id", "passkey", ["user_id"])
    op.create_table(
        "passkey_challenge",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("owner", sa.String(96), nullable=False),
        sa.Column("purpose", sa.String(16), nullable=False),
        sa.Column("challenge", sa.String(96), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_passkey_challenge_owner", "passkey_challenge", ["owner"])


def downgrade():
    op.drop_table("passkey_challenge")
    op.drop_table("passkey")
    with op.batch_alter_table("user") as batch:
        batch.drop_constraint("uq_user_passkey_handle", type_="unique")
        batch.drop_column("passkey_handle")
