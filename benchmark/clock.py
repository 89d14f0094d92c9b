"""UTC time as the toolkit stores it: ISO 8601 text with a `Z`, which sorts as it reads."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

STAMP = "%Y-%m-%dT%H:%M:%S.%fZ"


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


def utc_stamp(at: datetime | None = None, after_seconds: float = 0.0) -> str:
    """`at` (default now), plus `after_seconds`, as `2026-12-03T13:54:03.000000Z`."""
    return ((at or utc_now()) + timedelta(seconds=after_seconds)).strftime(STAMP)


def parse_stamp(text: str) -> datetime:
    """A stamp (with or without its fraction of a second) back to an aware datetime."""
    return datetime.fromisoformat(text.replace("Z", "+00:00"))
