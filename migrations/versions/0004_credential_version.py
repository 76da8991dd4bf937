"""Credential versions on users and sessions; email keys lower-cased instead of case-folded.

Revision ID: 0004_credential_version
Revises: 0003_account_trail
Create Date: 2026-12-02
"""

import contextlib
import unicodedata

import sqlalchemy as sa
from alembic import op
from email_validator import EmailNotValidError, validate_email

revision = "0004_credential_version"
down_revision = "0003_account_trail"
branch_labels = None
depends_on = None

user = sa.table(
    "user",
    sa.column("id", sa.Integer),
    sa.column("email", sa.String),
    sa.column("email_key", sa.String),
)


def _email_key(email):
    # Frozen copy of app.users.models.email_key as of this revision.
    email = email.strip()
    with contextlib.suppress(EmailNotValidError):
        email = validate_email(email, check_deliverability=False).normalized
    return unicodedata.normalize("NFC", email.lower())


def _casefolded_email_key(email):
    # Frozen copy of the key of revision 0002, for the downgrade.
    email = email.strip()
    with contextlib.suppress(EmailNotValidError):
        email = validate_email(email, check_deliverability=False).normalized
    return email.casefold()


def _rekey(key):
    """Give every row the email key that ``key`` derives, refusing duplicates before any change."""
    connection = op.get_bind()
    rows = connection.execute(sa.select(user.c.id, user.c.email).order_by(user.c.id)).all()
    keys = {row.id: key(row.email) for row in rows}
    seen = {}
    for row_id, value in keys.items():
        if value in seen:
            raise RuntimeError(
                f'Nothing was changed: rows {seen[value]} and {row_id} of table "user" would '
                f"share the email key {value!r}. Give one of them another email first."
            )
        seen[value] = row_id
    for row_id, value in keys.items():
        connection.execute(user.update().where(user.c.id == row_id).values(email_key=value))


def upgrade():
    # Lower-casing merges fewer addresses than case-folding did, so no new clash can appear.
    _rekey(_email_key)
    # 0 on both sides: every existing session stays valid until the next password change.
    with op.batch_alter_table("user") as batch:
        batch.add_column(
            sa.Column("credential_version", sa.Integer(), server_default="0", nullable=False)
        )
    with op.batch_alter_table("auth_session") as batch:
        batch.add_column(
            sa.Column("credential_version", sa.Integer(), server_default="0", nullable=False)
        )


def downgrade():
    with op.batch_alter_table("auth_session") as batch:
        batch.drop_column("credential_version")
    with op.batch_alter_table("user") as batch:
        batch.drop_column("credential_version")
    _rekey(_casefolded_email_key)
