"""Personal access tokens: a bearer credential per script or client, stored as a hash.

Revision ID: 0011_personal_tokens
Revises: 0010_hardening
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0011_personal_tokens"
down_revision = "0010_hardening"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "personal_token",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("public_id", sa.String(32), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column(
            "user_id",
            sa.Integer(),
            sa.ForeignKey("user.id", ondelete="CASCADE", name="fk_personal_token_user_id_user"),
            nullable=False,
        ),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("scopes", sa.String(255), nullable=False),
        sa.Column("credential_version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_used_ip", sa.String(45), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_personal_token"),
        sa.UniqueConstraint("public_id", name="uq_personal_token_public_id"),
        sa.UniqueConstraint("token_hash", name="uq_personal_token_token_hash"),
    )
    op.create_index("ix_personal_token_user_id", "personal_token", ["user_id"])


def downgrade():
    op.drop_table("personal_token")
