"""The theme team's board on the real embedded Redis (tables/theme_store.py): every step one
guarded commit, a refused step stores nothing, concurrent drags of one card leave it on one theme,
and publishing copies the themes that hold a card onto the public channel."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Mapping

import pytest
from redis.asyncio import Redis

from engine import keys
from engine.channels import ChannelLog
from engine.errors import Code, HubError
from engine.scripts import Scripts
from tables.theme_store import ThemeStore
from tables.themes import CardRef

CARDS = {
    f"t{n}-{n}": CardRef(f"t{n}-{n}", str(n), text)
    for n, text in enumerate(
        [
            "버스 배차 간격을 줄여 주세요",
            "마을버스 배차 간격이 너무 길다",
            "어린이집 대기",
            "어린이집 대기 기간",
        ],
        start=1,
    )
}


async def cards(meeting: str) -> Mapping[str, CardRef]:
    return CARDS if meeting == "m1" else {}


@pytest.fixture
def store(redis: Redis) -> ThemeStore:
    return ThemeStore(ChannelLog(redis, Scripts(redis)), cards, clock=lambda: 1000)


async def seq(redis: Redis, channel: str) -> int:
    return int(await redis.hget(keys.channel_keys(channel).meta, "seq") or 0)


async def test_steps_change_the_board_one_event_each(store: ThemeStore, redis: Redis) -> None:
    made = await store.create("m1", "대중교통", "s1", ["t1-1"])
    assert made.result == {"theme": "t1"}
    await store.create("m1", "보육", "s1")
    await store.assign("m1", ["t2-2", "t3-3"], "t1", "s1")
    await store.assign("m1", ["t3-3"], "t2", "s1")
    board = await store.board("m1")
    assert board["t1"].card_ids() == ["t1-1", "t2-2"] and board["t2"].card_ids() == ["t3-3"]
    assert board["t1"].cards[1] == CARDS["t2-2"]  # the table and text kept with the card
    assert await seq(redis, keys.meeting_theme_drafts("m1")) == 4
    again = await store.assign("m1", ["t3-3"], "t2", "s1")  # already there: nothing to do
    assert again.published is None and await seq(redis, keys.meeting_theme_drafts("m1")) == 4
    await store.merge("m1", "t2", "t1", "s1")
    assert list(await store.board("m1")) == ["t1"]
    await store.delete("m1", "t1", "s1")
    assert await store.board("m1") == {}
    assert [c.id for c in await store.unassigned("m1")] == sorted(CARDS)


@pytest.mark.parametrize(
    ("step", "code"),
    [
        (lambda s: s.assign("m1", ["nope"], "t1", "s1"), Code.UNKNOWN_CARD),
        (lambda s: s.assign("m1", ["t1-1"], "t9", "s1"), Code.UNKNOWN_THEME),
        (lambda s: s.create("m1", "교통", "s1"), Code.DUPLICATE_THEME),
        (lambda s: s.create("m1", "  ", "s1"), Code.BAD_THEME),
        (lambda s: s.merge("m1", "t1", "t1", "s1"), Code.BAD_THEME_MERGE),
        (lambda s: s.publish("m1", "s1"), Code.NOTHING_TO_PUBLISH),
    ],
)
async def test_a_refused_step_stores_nothing(
    store: ThemeStore, redis: Redis, step: object, code: Code
) -> None:
    await store.create("m1", "교통", "s1")
    before = await redis.hgetall(keys.channel_keys(keys.meeting_theme_drafts("m1")).state)
    with pytest.raises(HubError) as exc:
        await step(store)  # type: ignore[operator]
    assert exc.value.code is code
    assert await redis.hgetall(keys.channel_keys(keys.meeting_theme_drafts("m1")).state) == before
    assert await seq(redis, keys.meeting_theme_drafts("m1")) == 1
    assert await seq(redis, keys.meeting_themes("m1")) == 0


async def test_concurrent_drags_leave_each_card_on_one_theme(store: ThemeStore) -> None:
    for title in ("가", "나", "다"):
        await store.create("m1", title, "s1")
    ids = sorted(CARDS)
    results = await asyncio.gather(
        *(store.assign("m1", [ids[i % 4], ids[(i + 1) % 4]], f"t{i % 3 + 1}", "s1") for i in range(12)),
        return_exceptions=True,
    )
    # a step that lost too many races is refused whole (conflict, retryable); the others landed
    failed = [r for r in results if isinstance(r, BaseException)]
    assert all(isinstance(r, HubError) and r.code is Code.CONFLICT for r in failed)
    assert len(failed) < len(results)
    board = await store.board("m1")
    counts = Counter(c.id for t in board.values() for c in t.cards)
    assert set(counts.values()) == {1}


async def test_publish_copies_the_themes_that_hold_a_card(store: ThemeStore, redis: Redis) -> None:
    await store.create("m1", "교통", "s1", ["t1-1", "t2-2"])
    await store.create("m1", "빈 주제", "s1")
    done = await store.publish("m1", "s1")
    assert done.result == {"count": 1}
    shown = await store.published("m1")
    assert [(t["title"], t["count"], t["tables"]) for t in shown] == [("교통", 2, ["1", "2"])]
    # drafts stay the team's: the public channel holds only the published copy
    assert await seq(redis, keys.meeting_themes("m1")) == 1
    await store.rename("m1", "t1", "대중교통", "s1")
    assert (await store.published("m1"))[0]["title"] == "교통"  # until published again
    await store.publish("m1", "s1")
    assert (await store.published("m1"))[0]["title"] == "대중교통"
