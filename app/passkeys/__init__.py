"""Passkeys: WebAuthn credentials, their challenges and the relying party's checks, beside
their flows (``flows`` for managing them, ``uses`` for each proof)."""
