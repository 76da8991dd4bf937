"""Roles and field limits of the user system."""

# Roles, as in the tutorial.
ADMIN = 0
STAFF = 1
USER = 2
TEST = 3
USER_ROLE = {ADMIN: "admin", STAFF: "staff", USER: "user", TEST: "test"}
ROLE_BY_NAME = {name: code for code, name in USER_ROLE.items()}

# Field limits (see the API contract's field rules).
MIN_USERNAME_LEN = 4
MAX_USERNAME_LEN = 30
MAX_NAME_LEN = 64
MAX_EMAIL_LEN = 254
MAX_PASSWORD_LEN = 128
MAX_LOGIN_LEN = 254
MAX_IP_LEN = 45

# Column widths: wide enough for any value the rules admit, and for an argon2id hash.
STRING_LEN = 64
PW_STRING_LEN = 255
