"""What every account has, and its flows: logging in and signing up, the password, the
address, a reset, re-authentication, sessions, export and deletion."""
