"""The one clock: timezone-aware UTC everywhere, and one definition of "today"."""

from __future__ import annotations

from datetime import UTC, datetime


def utcnow() -> datetime:
    return datetime.now(UTC)


def utc_day_start(now: datetime | None = None) -> datetime:
    """Midnight UTC of `now`'s day: the boundary of every daily budget, cap and "today" figure."""
    return (now or utcnow()).astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
