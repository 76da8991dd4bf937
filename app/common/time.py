"""One notion of time: aware UTC datetimes, serialised as ISO 8601 with a trailing ``Z``."""

import math
import time
from datetime import UTC, datetime


def utcnow() -> datetime:
    """The current time as an aware UTC datetime."""
    return datetime.now(UTC)


def as_utc(value: datetime) -> datetime:
    """Treat a stored datetime as UTC: SQLite hands back naive values even for aware columns."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def isoformat(value: datetime) -> str:
    """Serialise a datetime as UTC ISO 8601 with second precision and a ``Z`` suffix."""
    return as_utc(value).replace(microsecond=0, tzinfo=None).isoformat() + "Z"


def seconds_until(timestamp: float) -> int:
    """Whole seconds from now until the Unix time ``timestamp``, at least 1: a Retry-After."""
    return max(1, math.ceil(timestamp - time.time()))
