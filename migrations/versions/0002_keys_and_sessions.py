"""Case-insensitive unique keys, wider columns, aware timestamps, server-side sessions.

Revision ID: 0002_keys_and_sessions
Revises: 0001_tutorial_schema
Create Date: 2026-11-28
"""

import sqlalchemy as sa
from alembic import op
from email_validator import EmailNotValidError, validate_email
import contextlib
import itertools

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


# The tutorial's width of user_name and email, which a suggested new value must fit.
TUTORIAL_WIDTH = 64


def _suggested_update(column, value, row_id):
    """The statement that gives row ``row_id`` the new ``value``: printed, never run here."""
    quoted = "'" + value.replace("'", "''") + "'"
    return f'UPDATE "user" SET {column} = {quoted} WHERE id = {row_id};'  # noqa: S608


def _marked(column, row, taken):
    """A new value for ``row``'s ``column``: the old one marked with the row's id, clashing with
    no key in ``taken`` (which it joins)."""
    value = getattr(row, column)
    key = _user_name_key if column == "user_name" else _email_key
    local, at, domain = value.rpartition("@")
    for attempt in itertools.count():
        mark = str(row.id) if attempt == 0 else f"{row.id}x{attempt}"
        if column == "email" and at:
            room = TUTORIAL_WIDTH - len(f"+{mark}@{domain}")
            candidate = f"{local[:room]}+{mark}@{domain}"
        else:
            candidate = value[: TUTORIAL_WIDTH - len(mark)] + mark
        if key(candidate) not in taken:
            taken.add(key(candidate))
            return candidate


def _refuse_duplicates(rows, keys):
    """Stop before any change when rows collide ignoring case: which one to keep is not ours."""
    clashes, fixes = [], []
    for index, column in enumerate(("user_name", "email")):
        groups = {}
        for row in rows:
            groups.setdefault(keys[row.id][index], []).append(row)
        taken = set(groups)
        for group in groups.values():
            if len(group) > 1:
                listed = ", ".join(f"id {row.id} {getattr(row, column)!r}" for row in group)
                clashes.append(f"  {column}: {listed}")
                fixes += [
                    "  " + _suggested_update(column, _marked(column, row, taken), row.id)
                    for row in group[1:]
                ]
    if clashes:
        raise RuntimeError(
            "Nothing was changed. User names and emails must now be unique ignoring letter "
            'case, and these rows of table "user" are not:\n'
            + "\n".join(clashes)
            + "\nGive all but one row of each group another value, or delete them, then run "
            "`python manage.py db upgrade` again. For example, to keep the first row of each "
            "group and mark the others with their id:\n" + "\n".join(fixes)
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
