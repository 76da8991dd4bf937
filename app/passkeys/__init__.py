"""Passkeys: WebAuthn credentials, their challenges, and the relying party's checks."""
