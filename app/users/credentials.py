"""The writes that depend on the user's current password: the trail, a new hash, the lock.

Each is one ``UPDATE`` in the caller's transaction that applies only while the password the
user object was loaded with is still the stored one (its credential version), so that a flow
that checked a password can never commit over a password change that came in between.
"""

from sqlalchemy import update
from sqlalchemy.orm.attributes import set_committed_value

from app.common.time import utcnow
from app.extensions import db


class Credentials:
    """Mixed into ``User``."""

    def start_trail(self, ip) -> None:
        """The account trail of a new account, whose signup counts as its first login."""
        self.last_login_at = utcnow()
        self.last_login_ip = ip
        self.login_count = 1

    def record_login(self, ip, new_hash=None) -> bool:
        """Count a login in the trail, and store ``new_hash`` (a rehash) if given.

        One ``UPDATE`` in the caller's transaction, so parallel logins never lose a count. It
        applies only while the password this object was loaded with is still the stored one
        (the credential version); False when a password change came in between.
        """
        cls = type(self)
        values = {
            cls.last_login_at: utcnow(),
            cls.last_login_ip: ip,
            cls.login_count: cls.login_count + 1,
        }
        if new_hash is not None:
            values[cls._password] = new_hash
        if not self._update_if_current(values):
            return False
        if new_hash is not None:
            set_committed_value(self, "_password", new_hash)
        return True

    def store_rehash(self, new_hash: str) -> bool:
        """Store ``new_hash``, a rehash of the password just checked, in the caller's
        transaction; False when the password changed since this object was loaded."""
        if not self._update_if_current({type(self)._password: new_hash}):
            return False
        set_committed_value(self, "_password", new_hash)
        return True

    def replace_password(self, new_hash: str) -> bool:
        """Store ``new_hash`` and move to the next credential version, which ends every session
        made with the old password; False when the password changed since this object was
        loaded. In the caller's transaction."""
        cls = type(self)
        values = {cls._password: new_hash, cls.credential_version: cls.credential_version + 1}
        if not self._update_if_current(values):
            return False
        # What the row now holds, without marking the object dirty: no flush may write it again.
        set_committed_value(self, "_password", new_hash)
        set_committed_value(self, "credential_version", self.credential_version + 1)
        return True

    def hold_if_current(self) -> bool:
        """Lock the user's row for the caller's transaction while the password this object was
        loaded with is still the stored one; False when a password change came in between.

        Whatever changes a user's sessions as a whole takes this row first, so two of them
        (a password change and a logout_all) queue on it instead of deadlocking on sessions.
        """
        version = type(self).credential_version
        return self._update_if_current({version: version})

    def _update_if_current(self, values) -> bool:
        cls = type(self)
        statement = (
            update(cls)
            .where(cls.id == self.id, cls.credential_version == self.credential_version)
            .values(values)
            .execution_options(synchronize_session=False)
        )
        return db.session.execute(statement).rowcount == 1
