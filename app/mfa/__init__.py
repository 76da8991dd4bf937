"""Second factors: TOTP, recovery codes, and the pending login that waits for one; their
records beside their flows (``flows`` for managing them, ``login`` for the second step)."""
