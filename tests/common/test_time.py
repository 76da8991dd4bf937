"""One notion of time: aware UTC, stored values treated as UTC, ISO 8601 with ``Z``."""

import time
from datetime import UTC, datetime, timedelta, timezone

import pytest

from app.common.time import as_utc, isoformat, seconds_until, utcnow


def test_utcnow_is_aware_utc():
    now = utcnow()
    assert now.tzinfo is not None
    assert now.utcoffset() == timedelta(0)
    assert abs(now - datetime.now(UTC)) < timedelta(seconds=5)


def test_as_utc_treats_naive_as_utc():
    naive = datetime(2026, 11, 28, 21, 38, 42)
    assert as_utc(naive) == datetime(2026, 11, 28, 21, 38, 42, tzinfo=UTC)
    assert as_utc(naive).tzinfo is UTC


def test_as_utc_converts_other_zones():
    tokyo = datetime(2026, 11, 29, 6, 38, 42, tzinfo=timezone(timedelta(hours=9)))
    converted = as_utc(tokyo)
    assert converted == datetime(2026, 11, 28, 21, 38, 42, tzinfo=UTC)
    assert converted.utcoffset() == timedelta(0)
    assert converted.hour == 21


def test_as_utc_keeps_utc():
    moment = datetime(2026, 11, 28, 21, 38, 42, tzinfo=UTC)
    assert as_utc(moment) == moment


def test_naive_and_aware_compare_after_as_utc():
    """The idle-timeout arithmetic mixes values from SQLite (naive) with utcnow() (aware)."""
    now = utcnow()
    stored = now.replace(tzinfo=None) - timedelta(minutes=5)
    with pytest.raises(TypeError):
        _ = now - stored
    assert now - as_utc(stored) == timedelta(minutes=5)


@pytest.mark.parametrize(
    ("moment", "text"),
    [
        (datetime(2026, 11, 28, 21, 38, 42, tzinfo=UTC), "2026-11-28T21:38:42Z"),
        (datetime(2026, 11, 28, 21, 38, 42, 999999, tzinfo=UTC), "2026-11-28T21:38:42Z"),
        (datetime(2026, 11, 28, 21, 38, 42), "2026-11-28T21:38:42Z"),
        (
            datetime(2026, 11, 28, 16, 38, 42, tzinfo=timezone(timedelta(hours=-5))),
            "2026-11-28T21:38:42Z",
        ),
        (datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC), "2026-01-02T03:04:05Z"),
    ],
)
def test_isoformat(moment, text):
    assert isoformat(moment) == text


def test_isoformat_has_no_offset():
    text = isoformat(utcnow())
    assert text.endswith("Z")
    assert "+" not in text
    assert datetime.fromisoformat(text.replace("Z", "+00:00")).tzinfo is not None


@pytest.mark.parametrize(("ahead", "seconds"), [(59.5, 60), (0.1, 1), (-5, 1), (299.5, 300)])
def test_seconds_until_rounds_up_to_at_least_one(ahead, seconds):
    assert seconds_until(time.time() + ahead) == seconds
