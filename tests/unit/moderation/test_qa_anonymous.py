"""Anonymous by default (issue 13): a question's asker is named to panelists and on the stream
overlay only when they agreed (``anonymous: false``); moderators always see who asked. The rule
(``moderation.qa.names_author``), the overlay that follows it, the wire default, and the store's Lua
copy of the rule on the real Redis, including a record that carries no flag at all."""

from __future__ import annotations

import itertools
from typing import Any

import msgspec
from redis.asyncio import Redis

from engine import keys
from engine.channels import ChannelLog
from moderation import overlay, qa
from moderation.qa_store import Asker, QAStore
from realtime.protocol import moderation as proto

AUTHOR = {"id": "p-001", "name": "김민준"}
BASE: dict[str, Any] = {
    "id": 3,
    "text": "버스는 언제 더 자주 오나요?",
    "votes": 2,
    "state": "approved",
    "author": AUTHOR,
}
_ids = itertools.count()


def test_only_an_asker_who_agreed_is_named() -> None:
    assert qa.ANONYMOUS_BY_DEFAULT is True
    assert qa.names_author({**BASE, "anonymous": False}) is True
    assert qa.names_author({**BASE, "anonymous": True}) is False
    assert qa.names_author(BASE) is False  # no flag at all: anonymous
    assert qa.names_author({**BASE, "anonymous": 0}) is False  # only an explicit false agrees


def test_the_panelists_view_and_the_overlay_leave_the_name_out_by_default() -> None:
    assert "author" not in qa.public_record(BASE)
    assert "author" not in qa.public_record({**BASE, "anonymous": True})
    assert qa.public_record({**BASE, "anonymous": False})["author"] == AUTHOR
    assert overlay.question_item(BASE)["question"] == {"id": 3, "text": BASE["text"], "votes": 2}
    named = overlay.question_item({**BASE, "anonymous": False})["question"]
    assert named["author"] == {"name": "김민준"}  # the name only, never the participant id
    rule = overlay.qa_stage("air", 3, {**BASE, "anonymous": True})
    assert rule is not None
    shown = rule({}).result["item"]["question"]
    assert "author" not in shown and shown["anonymous"] is True


def test_a_question_sent_without_the_field_is_anonymous_on_the_wire() -> None:
    cmd = msgspec.json.decode(b'{"id":2,"meeting":"m1","text":"q"}', type=proto.QaAsk)
    assert cmd.anonymous is qa.ANONYMOUS_BY_DEFAULT
    agreed = msgspec.json.decode(b'{"id":2,"meeting":"m1","text":"q","anonymous":false}', type=proto.QaAsk)
    assert agreed.anonymous is False


async def test_the_store_names_the_asker_to_moderators_and_to_panelists_only_with_consent(
    redis: Redis,
) -> None:
    store = QAStore(ChannelLog(redis))
    meeting = f"anon{next(_ids)}"
    quiet = (await store.ask(meeting, Asker("p-001", "김민준", "panelist"), "첫 질문")).question
    agreed = (
        await store.ask(meeting, Asker("p-002", "이서연", "panelist"), "둘째", anonymous=False)
    ).question
    for qid in (quiet, agreed):
        await store.move(meeting, "approve", qid, "moderator")
    desk = await store.questions(meeting)
    public = await store.questions(meeting, staff=False)
    assert desk[quiet]["author"]["name"] == "김민준" and desk[quiet]["anonymous"] is True
    assert "author" not in public[quiet]
    assert public[agreed]["author"] == {"id": "p-002", "name": "이서연"}


async def test_the_lua_copy_of_the_rule_treats_a_record_without_the_flag_as_anonymous(redis: Redis) -> None:
    store = QAStore(ChannelLog(redis))
    meeting = f"anon{next(_ids)}"
    qid = (await store.ask(meeting, Asker("p-003", "박지훈", "panelist"), "셋째", anonymous=False)).question
    staff_state = keys.channel_keys(keys.meeting_staff(meeting)).state
    rec = (await store.questions(meeting))[qid]
    del rec["anonymous"]  # as an older record, or one written by hand, would be
    await redis.hset(staff_state, f"q:{qid}", msgspec.msgpack.encode(rec))
    await store.move(meeting, "approve", qid, "moderator")
    public = (await store.questions(meeting, staff=False))[qid]
    assert "author" not in public
    assert public == qa.public_record((await store.questions(meeting))[qid])
