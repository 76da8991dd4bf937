"""The secret key: production's is checked, development's is made once in the instance folder.

Only the standard library is used here, so that a process can load this module alone.
"""

import os
import secrets

# Fragments that mark a key copied from documentation rather than generated. Each is at least
# seven characters long, so that a randomly generated key does not contain one by chance.
PLACEHOLDER_MARKERS = (
    "change-me",
    "changeme",
    "change_me",
    "replace",
    "placeholder",
    "example",
    "your-secret",
    "your_secret",
    "yoursecret",
    "secret-key",
    "secret_key",
    "secretkey",
    "not-secret",
    "insecure",
    "dev-key",
    "dev_key",
    "development",
)
MIN_SECRET_KEY_LEN = 32
MIN_DISTINCT_CHARACTERS = 10
SECRET_KEY_FILE = "secret_key"


def check_secret_key(key, name="SECRET_KEY"):
    """Refuse to run production on a missing, short or placeholder secret key."""
    lowered = (key or "").lower()
    if (
        len(lowered) < MIN_SECRET_KEY_LEN
        or len(set(lowered)) < MIN_DISTINCT_CHARACTERS
        or any(marker in lowered for marker in PLACEHOLDER_MARKERS)
    ):
        raise RuntimeError(
            f"Production needs {name} set to a random value of at least "
            f"{MIN_SECRET_KEY_LEN} characters, e.g. from "
            "`python -c 'import secrets; print(secrets.token_hex(32))'`."
        )


def instance_secret_key(instance_path: str) -> str:
    """Development's key, made once and kept in the instance folder.

    Written to a temporary file and hard-linked into place: the link either creates the
    complete file or fails because another process won, and everyone then reads the winner.
    """
    path = os.path.join(instance_path, SECRET_KEY_FILE)
    if not os.path.exists(path):
        tmp = f"{path}.{os.getpid()}.{secrets.token_hex(4)}"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_hex(32))
        try:
            os.link(tmp, path)
        except FileExistsError:
            pass
        finally:
            os.unlink(tmp)
    with open(path) as handle:
        return handle.read().strip()


def key_list(value) -> list[str]:
    """The keys of a setting that lists several, newest first: ``MFA_KEY`` and
    ``SECRET_KEY_FALLBACKS``, as comma-separated text (from the environment) or a list (a
    JSON ``FLASK_*`` value, or the config); none when it is unset.

    Text is split here, never taken as a list of its characters: Flask would otherwise
    accept every single character of a fallback as a key of its own.
    """
    if isinstance(value, str):
        value = value.split(",")
    return [key.strip() for key in value or () if key.strip()]
