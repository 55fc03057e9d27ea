"""Seoul's clock: the one time zone of the assembly's records, sheets and exports.

Every time the hub stores is Unix milliseconds (UTC); people read them in Seoul. Korea has kept
UTC+9 without daylight saving since 1988, so a fixed offset is exact and needs no tz database on
the machine (``zoneinfo`` would need the system's tzdata or the ``tzdata`` wheel).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Final

SEOUL: Final = timezone(timedelta(hours=9), "KST")


def in_seoul(ms: int) -> datetime:
    """The instant ``ms`` (Unix milliseconds) as an aware datetime in Seoul."""
    return datetime.fromtimestamp(ms / 1000, UTC).astimezone(SEOUL)
