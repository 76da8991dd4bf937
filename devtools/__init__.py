"""Process tooling shared by the tests, ``scripts/`` and ``bench/``: ports, servers, databases.

Nothing here runs on import.
"""
