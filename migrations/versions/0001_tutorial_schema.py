"""The tutorial's schema: the ``user`` table its ``initdb`` created.

Revision ID: 0001_tutorial_schema
Revises:
Create Date: 2026-11-28
"""

import sqlalchemy as sa
from alembic import context, op

revision = "0001_tutorial_schema"
down_revision = None
branch_labels = None
depends_on = None


TUTORIAL_COLUMNS = {
    "id",
    "first_name",
    "last_name",
    "user_name",
    "email",
    "created_on",
    "password",
    "role_code",
}


def upgrade():
    # A database made by the tutorial's own initdb, before Alembic, already holds this very
    # table (and no alembic_version): adopt it as it is, so that `db upgrade` works there too.
    if not context.is_offline_mode():
        inspector = sa.inspect(op.get_bind())
        if inspector.has_table("user"):
            columns = {column["name"] for column in inspector.get_columns("user")}
            if columns != TUTORIAL_COLUMNS:
                raise RuntimeError(
                    'Nothing was changed. The database has a table "user" that is not the '
                    f"tutorial's (its columns are {', '.join(sorted(columns))}); "
                    "upgrade an empty database or one made by the tutorial or by this project."
                )
            return
    op.create_table(
        "user",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("first_name", sa.String(length=64), nullable=False),
        sa.Column("last_name", sa.String(length=64), nullable=False),
        sa.Column("user_name", sa.String(length=64), nullable=False),
        sa.Column("email", sa.String(length=64), nullable=False),
        sa.Column("created_on", sa.DateTime(), nullable=False),
        sa.Column("password", sa.String(length=80), nullable=False),
        sa.Column("role_code", sa.SmallInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_user"),
    )
    op.create_index("ix_user_user_name", "user", ["user_name"], unique=True)
    op.create_index("ix_user_email", "user", ["email"], unique=True)


def downgrade():
    op.drop_index("ix_user_email", table_name="user")
    op.drop_index("ix_user_user_name", table_name="user")
    op.drop_table("user")
