"""Case-insensitive unique keys, wider columns, aware timestamps, server-side sessions.

Revision ID: 0002_keys_and_sessions
Revises: 0001_tutorial_schema
Create Date: 2026-11-28
"""

import sqlalchemy as sa
from alembic import op
from email_validator import EmailNotValidError, validate_email
import contextlib

revision = "0002_keys_and_sessions"
down_revision = "0001_tutorial_schema"
branch_labels = None
depends_on = None

user = sa.table(
    "user",
    sa.column("id", sa.Integer),
    sa.column("user_name", sa.String),
    sa.column("email", sa.String),
    sa.column("user_name_key", sa.String),
    sa.column("email_key", sa.String),
)


def _user_name_key(user_name):
    # Frozen copy of app.users.models.user_name_key as of this revision.
    return user_name.strip().casefold()


def _email_key(email):
    # Frozen copy of app.users.models.email_key as of this revision.
    email = email.strip()
    with contextlib.suppress(EmailNotValidError):
        email = validate_email(email, check_deliverability=False).normalized
    return email.casefold()


EXAMPLE_FIX = "UPDATE \"user\" SET user_name = 'spchuang2' WHERE id = 2;"


def _refuse_duplicates(rows, keys):
    """Stop before any change when rows collide ignoring case: which one to keep is not ours."""
    clashes = []
    for index, column in enumerate(("user_name", "email")):
        groups = {}
        for row in rows:
            groups.setdefault(keys[row.id][index], []).append(row)
        for group in groups.values():
            if len(group) > 1:
                listed = ", ".join(f"id {row.id} {getattr(row, column)!r}" for row in group)
                clashes.append(f"  {column}: {listed}")
    if clashes:
        raise RuntimeError(
            "Nothing was changed. User names and emails must now be unique ignoring letter "
            'case, and these rows of table "user" are not:\n'
            + "\n".join(clashes)
            + f"\nGive all but one row of each group another value (for example {EXAMPLE_FIX})"
            " or delete them, then run `python manage.py db upgrade` again."
        )


def upgrade():
    connection = op.get_bind()
    rows = connection.execute(
        sa.select(user.c.id, user.c.user_name, user.c.email).order_by(user.c.id)
    ).all()
    keys = {row.id: (_user_name_key(row.user_name), _email_key(row.email)) for row in rows}
    _refuse_duplicates(rows, keys)

    with op.batch_alter_table("user") as batch:
        batch.add_column(sa.Column("user_name_key", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("email_key", sa.String(length=254), nullable=True))
        batch.alter_column("email", existing_type=sa.String(64), type_=sa.String(254))
        batch.alter_column("password", existing_type=sa.String(80), type_=sa.String(255))
        batch.alter_column(
            "created_on",
            existing_type=sa.DateTime(),
            type_=sa.DateTime(timezone=True),
            # The tutorial stored naive UTC.
            postgresql_using="created_on AT TIME ZONE 'UTC'",
        )

    for row in rows:
        user_name_key, email_key = keys[row.id]
        connection.execute(
            user.update()
            .where(user.c.id == row.id)
            .values(user_name_key=user_name_key, email_key=email_key)
        )

    with op.batch_alter_table("user") as batch:
        batch.alter_column("user_name_key", existing_type=sa.String(64), nullable=False)
        batch.alter_column("email_key", existing_type=sa.String(254), nullable=False)
        batch.drop_index("ix_user_user_name")
        batch.drop_index("ix_user_email")
        batch.create_unique_constraint("uq_user_user_name_key", ["user_name_key"])
        batch.create_unique_constraint("uq_user_email_key", ["email_key"])

    op.create_table(
        "auth_session",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("public_id", sa.String(length=32), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("remember", sa.Boolean(), nullable=False),
        sa.Column("ip", sa.String(length=45), nullable=True),
        sa.Column("user_agent", sa.String(length=512), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user.id"], name="fk_auth_session_user_id_user", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_auth_session"),
        sa.UniqueConstraint("public_id", name="uq_auth_session_public_id"),
        sa.UniqueConstraint("token_hash", name="uq_auth_session_token_hash"),
    )
    op.create_index("ix_auth_session_user_id", "auth_session", ["user_id"])


def downgrade():
    op.drop_index("ix_auth_session_user_id", table_name="auth_session")
    op.drop_table("auth_session")
    with op.batch_alter_table("user") as batch:
        batch.drop_constraint("uq_user_email_key", type_="unique")
        batch.drop_constraint("uq_user_user_name_key", type_="unique")
        batch.create_index("ix_user_email", ["email"], unique=True)
        batch.create_index("ix_user_user_name", ["user_name"], unique=True)
        batch.drop_column("email_key")
        batch.drop_column("user_name_key")
        batch.alter_column(
            "created_on",
            existing_type=sa.DateTime(timezone=True),
            type_=sa.DateTime(),
            postgresql_using="created_on AT TIME ZONE 'UTC'",
        )
        batch.alter_column("password", existing_type=sa.String(255), type_=sa.String(80))
        batch.alter_column("email", existing_type=sa.String(254), type_=sa.String(64))
