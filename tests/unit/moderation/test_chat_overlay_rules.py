"""Pure rules the chat and overlay handlers call (issue 10, step 1): whether chat is open, who may
moderate the chat, and what the stream overlay does after each Q&A step. No Redis."""

from __future__ import annotations

from typing import Any

import pytest

from engine import roles
from engine.errors import Code, HubError
from engine.roles import Role
from moderation import chat, chat_admin, overlay, qa
from moderation.state import State


def state(**values: Any) -> State:
    return State(values, {}, 0)


def code_of(fn: Any, *args: Any, **kwargs: Any) -> Code | None:
    try:
        fn(*args, **kwargs)
    except HubError as err:
        return err.code
    return None


QUESTION = {"id": 7, "text": "왜요?", "votes": 3, "state": "on_air", "author": {"id": "p1", "name": "김"}}


# -- chat -----------------------------------------------------------------------------------------
def test_a_closed_chat_refuses_and_an_open_one_does_not() -> None:
    assert code_of(chat.check_open, True) is None
    assert code_of(chat.check_open, False) == Code.CHAT_CLOSED


def test_only_moderators_and_hosts_moderate_the_chat() -> None:
    table = chat.moderation_roles()
    assert set(table) == {f"chat.{n}" for n in chat.MODERATION_COMMANDS}
    assert "chat.delete" in table  # who may delete a message for everyone
    for allowed in table.values():
        assert {r for r in Role if r in allowed} == {"moderator", "host"}


def test_panelists_and_their_moderators_write_in_chat_and_only_panelists_report() -> None:
    table = chat.command_roles()
    assert {r for r in Role if r in table["chat.send"]} == {"panelist", "moderator", "host"}
    assert {r for r in Role if r in table["chat.report"]} == {"panelist"}
    assert set(table) == {"chat.send", "chat.report", *chat.moderation_roles()}
    # every moderator may write where they moderate
    assert table["chat.send"] >= roles.MODERATORS


def test_who_reads_deleted_messages_is_who_may_delete_them() -> None:
    may_delete = chat.moderation_roles()["chat.delete"]
    assert {r for r in Role if chat.sees_deleted(r)} == {r for r in Role if r in may_delete}
    assert not chat.sees_deleted("panelist")


@pytest.mark.parametrize("kind", ["mute", "ban", "lift"])
def test_who_may_be_muted_or_banned(kind: str) -> None:
    mod = chat_admin.Actor("m1", "M", "moderator")
    lift = kind == "lift"
    assert code_of(chat_admin.check_target, kind, "panelist", "p1", mod) is None
    assert code_of(chat_admin.check_target, kind, "observer", "o1", mod) is None
    for role in ("moderator", "host"):
        assert code_of(chat_admin.check_target, kind, role, "x", mod) == (None if lift else Code.FORBIDDEN)
    assert code_of(chat_admin.check_target, kind, "moderator", "m1", mod) == (
        None if lift else Code.FORBIDDEN
    )
    want = None if lift else Code.UNKNOWN_PARTICIPANT  # lifting frees even someone no longer on the roster
    assert code_of(chat_admin.check_target, kind, None, "gone", mod) == want


# -- the Q&A -> overlay stage ---------------------------------------------------------------------
def test_every_stage_names_a_q_and_a_step() -> None:
    assert set(overlay.QA_STAGE) <= set(qa.RULES)


@pytest.mark.parametrize("step", sorted(qa.RULES))
def test_the_overlay_after_each_q_and_a_step(step: str) -> None:
    rule = overlay.qa_stage(step, 7, QUESTION)
    shown = {"kind": "question", "question": {"id": 7}}
    other = {"kind": "question", "question": {"id": 8}}
    if step == "air":
        assert rule is not None
        change = rule(state())
        assert change.event == "overlay.shown"
        assert change.sets["item"]["question"] == {
            "id": 7,
            "text": "왜요?",
            "votes": 3,
        }  # no ``anonymous: false`` in the record: the asker did not agree to be named
    elif step in ("answer", "dismiss", "unqueue"):
        assert rule is not None
        assert rule(state(item=shown)).event == "overlay.cleared"
        assert rule(state(item=other)).event == ""  # another question on air stays
        assert rule(state(item={"kind": "text", "text": "x"})).event == ""
    else:
        assert rule is None


def test_showing_needs_the_question() -> None:
    with pytest.raises(ValueError):
        overlay.qa_stage("air", 7)
    assert overlay.qa_stage("approve", 7) is None


async def test_follow_qa_reads_the_question_only_when_it_shows_it() -> None:
    reads: list[int] = []

    async def record() -> dict[str, Any]:
        reads.append(1)
        return QUESTION

    # Steps that leave the overlay do not touch Redis (no log is needed) and read nothing.
    assert await overlay.follow_qa(None, "m1", "approve", 7, record) is None  # type: ignore[arg-type]
    assert reads == []


# -- who puts things on air -------------------------------------------------------------------------
def test_only_hosts_show_and_clear_the_overlay() -> None:
    table = overlay.command_roles()
    assert set(table) == {"overlay.show", "overlay.clear"}
    for allowed in table.values():
        assert {r for r in Role if r in allowed} == {"host"}


# -- what overlay.show may put on air ---------------------------------------------------------------
def test_exactly_one_thing_is_shown() -> None:
    none: dict[str, Any] = {"question": None, "slide": False, "poll": None, "vote": None, "text": None}
    assert code_of(overlay.check_one, **none) == Code.BAD_FIELD
    assert code_of(overlay.check_one, **{**none, "question": 1, "text": "x"}) == Code.BAD_FIELD
    assert code_of(overlay.check_one, **{**none, "question": 1, "slide": True}) == Code.BAD_FIELD
    for one in ({"question": 0}, {"slide": True}, {"poll": "p"}, {"vote": "v"}, {"text": ""}):
        assert code_of(overlay.check_one, **{**none, **one}) is None


def test_items() -> None:
    assert code_of(overlay.public_question_item, 7, None) == Code.UNKNOWN_QUESTION
    anonymous = {**QUESTION, "anonymous": True}
    assert overlay.public_question_item(7, anonymous)["question"] == {
        "id": 7,
        "text": "왜요?",
        "votes": 3,
        "anonymous": True,
    }
    assert code_of(overlay.slide_item, None) == Code.BAD_SLIDE
    assert overlay.slide_item({"url": "u"}) == {"kind": "slide", "slide": {"url": "u"}}
    poll = {"id": "p", "title": "T", "questions": [], "answered": 2, "results": {}, "secret": 1}
    assert code_of(overlay.poll_item, {**poll, "visible": False}) == Code.BAD_TRANSITION
    assert overlay.poll_item({**poll, "visible": True}) == {
        "kind": "poll",
        "poll": {"id": "p", "title": "T", "questions": [], "answered": 2, "results": {}},
    }
    assert code_of(overlay.text_item, "  \n") == Code.BAD_FIELD
    assert overlay.text_item("  안녕 ") == {"kind": "text", "text": "안녕"}
