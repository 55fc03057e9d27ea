"""Issue 9: every archive that grows with what participants send has a bound. Channel archives keep
their last ``archive_max`` events (real Redis; the chat kind gets a small bound for the test), and
lookups by offset still find the events that are left."""

from __future__ import annotations

import pytest
from redis.asyncio import Redis
from redis.exceptions import ResponseError

from ballot import rules
from ballot.model import Channel
from ballot.store import Voter
from engine import channels, keys
from engine.channels import SPECS, ChannelLog, ChannelSpec
from engine.errors import Code, LimitError, ModerationError
from moderation import chat_admin, qa, uploads
from moderation.qa_store import Asker, QAStore
from tests.integration.test_vote_store import DEFN, IDS, opened

CHAT = keys.meeting_chat("m1")


def test_every_archive_has_a_bound() -> None:
    for kind, spec in SPECS.items():
        assert spec.archive_max >= spec.history if spec.archive else spec.archive_max == 0, kind
        channel = (
            "ops" if kind == "ops" else (f"{kind}/x" if kind in ("vote", "overlay") else f"meeting/x/{kind}")
        )
        assert channels.publish_args(channel).archive_max == (spec.archive_max if spec.archive else 0), kind


@pytest.fixture
def small_chat(monkeypatch: pytest.MonkeyPatch) -> ChannelSpec:
    spec = ChannelSpec(history=3, backlog=1, stateful=False, archive=True, coalesce=True, archive_max=5)
    monkeypatch.setitem(channels.SPECS, "chat", spec)
    return spec


async def _say(log: ChannelLog, n: int) -> None:
    for i in range(1, n + 1):
        author = {"id": "p1", "name": "패널", "role": "panelist"}
        await log.publish(CHAT, "chat.message", {"text": f"메시지 {i}", "author": author})


async def test_an_archive_keeps_its_last_events_only(redis: Redis, small_chat: ChannelSpec) -> None:
    log = ChannelLog(redis)
    await _say(log, 8)
    assert await redis.llen(keys.channel_keys(CHAT).log) == 5
    assert [e.offset for e in await log.archive(CHAT)] == [4, 5, 6, 7, 8]


async def test_offsets_still_find_their_message_after_the_archive_was_trimmed(
    redis: Redis, small_chat: ChannelSpec
) -> None:
    log = ChannelLog(redis)
    await _say(log, 8)
    assert (await chat_admin.message_at(log, "m1", 6))["text"] == "메시지 6"
    with pytest.raises(ModerationError) as gone:
        await chat_admin.message_at(log, "m1", 2)  # trimmed away
    assert gone.value.code is Code.UNKNOWN_MESSAGE
    mod = chat_admin.Actor(id="mod", name="Moderator", role="moderator")
    published, message = await chat_admin.delete(log, "m1", 7, mod)
    assert published is not None and message["text"] == "메시지 7"
    with pytest.raises(ModerationError) as gone:
        await chat_admin.delete(log, "m1", 2, mod)
    assert gone.value.code is Code.UNKNOWN_MESSAGE


async def test_a_publish_with_the_old_archive_flag_writes_nothing(
    redis: Redis, monkeypatch: pytest.MonkeyPatch
) -> None:
    log = ChannelLog(redis)
    await log.publish(CHAT, "chat.message", {"text": "하나"})
    bound = channels.publish_args
    monkeypatch.setattr(channels, "publish_args", lambda ch: bound(ch)._replace(archive_max=1))
    with pytest.raises(ResponseError, match="archive bound"):
        await log.publish(CHAT, "chat.message", {})
    assert int(await redis.hget(keys.channel_keys(CHAT).meta, "seq")) == 1
    assert await redis.llen(keys.channel_keys(CHAT).hist) == 1
    assert await redis.llen(keys.channel_keys(CHAT).log) == 1


async def test_online_recasts_stop_at_the_bound_paper_and_retries_still_pass(redis: Redis) -> None:
    """1,100 recasts grew the ballot and audit lists without end; now one voter's online ballots
    are bounded, a retry of an accepted nonce is still answered, and paper is never refused."""
    store, batcher = await opened(redis, ["v1"])
    try:
        for i in range(rules.MAX_ONLINE_BALLOTS):
            await batcher.cast(DEFN, Voter("v1"), IDS, f"nonce-{i:05d}")
        with pytest.raises(LimitError) as exc:
            await batcher.cast(DEFN, Voter("v1"), IDS, "nonce-extra")
        assert exc.value.code is Code.TOO_MANY_BALLOTS
        again = await batcher.cast(DEFN, Voter("v1"), IDS, "nonce-00003")
        assert again.retry
        paper = await batcher.cast(
            DEFN, Voter("v1"), IDS, "nonce-paper", channel=Channel.PAPER, entered_by="c"
        )
        assert not paper.retry
        assert len(await store.ballots("s1")) == rules.MAX_ONLINE_BALLOTS + 1
        audit = await redis.llen(keys.vote_key("s1", "audit"))
        assert audit == rules.MAX_ONLINE_BALLOTS + 1
    finally:
        await batcher.stop()


async def test_a_panelist_asks_at_most_so_many_questions_per_meeting_and_the_refusal_stores_nothing(
    redis: Redis,
) -> None:
    store = QAStore(ChannelLog(redis))
    p1, p2 = Asker("p1", "하나", "panelist"), Asker("p2", "둘", "panelist")
    for i in range(qa.MAX_QUESTIONS_PER_ASKER):
        last = await store.ask("m1", p1, f"질문 {i}")
    desk = keys.channel_keys(keys.meeting_staff("m1")).meta
    before = await redis.hget(desk, "seq")
    with pytest.raises(LimitError) as exc:
        await store.ask("m1", p1, "하나 더")
    assert exc.value.code is Code.TOO_MANY_QUESTIONS
    assert await redis.hget(desk, "seq") == before
    assert (await store.ask("m1", p2, "제 질문")).question == last.question + 1
    assert (await store.ask("m2", p1, "다른 회의")).question == 1


async def test_a_meetings_slide_files_stop_at_their_total_and_a_refusal_stores_nothing(
    redis: Redis, monkeypatch: pytest.MonkeyPatch
) -> None:
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
    monkeypatch.setattr(uploads, "MAX_MEETING_BYTES", 2 * len(png))
    await uploads.store(redis, "m1", png, "a.png")
    await uploads.store(redis, "m1", png, "b.png")
    before = set(await redis.keys("*"))
    with pytest.raises(LimitError) as exc:
        await uploads.store(redis, "m1", png, "c.png")
    assert exc.value.code is Code.TOO_MANY_UPLOADS
    assert set(await redis.keys("*")) == before
    await uploads.store(redis, "m2", png, "other meeting.png")
