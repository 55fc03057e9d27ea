"""The Q&A rule table, written out by hand, and every transition tried against every role and from
every state on the real store."""

from __future__ import annotations

import itertools

import pytest
from redis.asyncio import Redis

from engine.channels import ChannelLog
from engine.errors import HubError
from engine.roles import Role
from moderation import qa
from moderation.qa_store import Asker, QAStore

MODS = {"moderator", "host"}
EXPECTED = {
    # rule: (roles, source states, target)
    "ask": ({"panelist"}, set(), "pending"),
    "approve": (MODS, {"pending"}, "approved"),
    "dismiss": (MODS, {"pending", "approved", "queued"}, "dismissed"),
    "reopen": (MODS, {"dismissed"}, "pending"),
    "merge": (MODS, {"pending", "approved", "queued"}, "merged"),
    "queue": (MODS, {"approved"}, "queued"),
    "unqueue": (MODS, {"queued"}, "approved"),
    "air": (MODS, {"approved", "queued", "on_air"}, "on_air"),
    "answer": (MODS, {"approved", "queued", "on_air"}, "answered"),
    "upvote": ({"panelist"}, {"approved", "queued", "on_air"}, None),
    "unvote": ({"panelist"}, {"approved", "queued", "on_air"}, None),
    "reorder": (MODS, set(), None),
}
PATHS = {
    "pending": [],
    "approved": ["approve"],
    "dismissed": ["dismiss"],
    "queued": ["approve", "queue"],
    "on_air": ["approve", "air"],
    "answered": ["approve", "answer"],
    "merged": ["merge"],
}
_ids = itertools.count()


def test_the_table() -> None:
    got = {n: (set(r.roles), set(r.sources), r.target) for n, r in qa.RULES.items()}
    assert got == EXPECTED
    assert set(qa.QState) == set(PATHS)


def test_what_each_step_answers_as_the_questions_state() -> None:
    assert {n: qa.target_state(n) for n in qa.RULES} == {
        n: target or "" for n, (_roles, _sources, target) in EXPECTED.items()
    }
    assert qa.target_state("approve") == "approved" and qa.target_state("upvote") == ""


async def question_in(store: QAStore, meeting: str, state: str, target: int) -> int:
    # A new asker for each question: one panelist may ask only so many per meeting (issue 9).
    asker = Asker(f"p{next(_ids)}", "One", "panelist")
    step = await store.ask(meeting, asker, "질문", anonymous=False)
    for name in PATHS[state]:
        if name == "merge":
            await store.merge(meeting, step.question, target, "moderator")
        else:
            await store.move(meeting, name, step.question, "moderator")
    return step.question


@pytest.mark.parametrize("name", ["approve", "dismiss", "reopen", "queue", "unqueue", "air", "answer"])
async def test_every_move_from_every_state_by_every_role(redis: Redis, name: str) -> None:
    store = QAStore(ChannelLog(redis))
    meeting = f"r{next(_ids)}"
    target = await question_in(store, meeting, "approved", 0)
    roles, sources, new = EXPECTED[name]
    for state in PATHS:
        for role in Role:
            qid = await question_in(store, meeting, state, target)
            try:
                step = await store.move(meeting, name, qid, role)
                got = None
            except HubError as err:
                got = err.name
            want = "forbidden" if role not in roles else None if state in sources else "bad_transition"
            assert got == want, (name, state, role)
            now = (await store.questions(meeting))[qid]["state"]
            assert now == (new if want is None else state)
            if want is None:
                assert step.changed


async def test_votes_and_merges_from_every_state(redis: Redis) -> None:
    store = QAStore(ChannelLog(redis))
    meeting = f"r{next(_ids)}"
    target = await question_in(store, meeting, "approved", 0)
    for state in PATHS:
        qid = await question_in(store, meeting, state, target)
        for role in Role:
            want = "forbidden" if role != "panelist" else None if state in qa.VOTABLE else "bad_transition"
            try:
                await store.vote(meeting, qid, f"v-{role}", role)
                got = None
            except HubError as err:
                got = err.name
            assert got == want, (state, role)
        # merge: from a state that may merge, into one panelists see
        for into_state in PATHS:
            src = await question_in(store, meeting, state, target)
            into = await question_in(store, meeting, into_state, target)
            try:
                await store.merge(meeting, src, into, "host")
                got = None
            except HubError as err:
                got = err.name
            if state not in EXPECTED["merge"][1]:
                assert got == "bad_transition"
            else:
                assert got == (None if into_state in qa.MERGE_TARGETS else "bad_merge"), (state, into_state)
