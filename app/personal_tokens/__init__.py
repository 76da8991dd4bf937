"""Personal access tokens: a bearer credential that a user makes for a script or another
client, with a name, scopes bounded by the owner's role, and an expiry.

Records in ``models.py``, the store in ``store.py``, the per-request read in ``lookup.py``,
the scopes in ``scopes.py``; the request side (which credential a request carries, and what
it may call) in ``guard.py``; the user's flows in ``flows.py``; the CLI in ``commands.py``.
"""
