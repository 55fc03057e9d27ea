"""Seoul's clock: the instants people read on sheets and exports are the city's wall time."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from engine.seoul import in_seoul


def test_midnight_utc_is_nine_in_the_morning_in_seoul() -> None:
    ms = int(datetime(2026, 12, 5, 0, 0, tzinfo=UTC).timestamp() * 1000)
    assert f"{in_seoul(ms):%Y-%m-%d %H:%M %z}" == "2026-12-05 09:00 +0900"


@given(st.integers(min_value=600_000_000_000, max_value=4_000_000_000_000))  # 1989..2096
def test_the_fixed_offset_agrees_with_the_tz_database(ms: int) -> None:
    zone = ZoneInfo("Asia/Seoul")  # from the tzdata wheel (the test extra) where the system has none
    assert in_seoul(ms) == datetime.fromtimestamp(ms / 1000, zone)
    assert in_seoul(ms).utcoffset() == datetime.fromtimestamp(ms / 1000, zone).utcoffset()
