"""Moderated-meeting commands (Q&A, speakers, agenda and slides, overlay, polls): thin calls into
moderation/. Chat moderation is in chat.py.

Every handler first checks the caller belongs to the meeting and that it exists; the role check has
already happened (``roles.COMMAND_ROLES``). Each returns its command's reply type (realtime/protocol/
moderation.py); a state channel's ``offset`` is null when the step changed nothing.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import msgspec
from msgspec import UNSET

from ballot.rules import HostCommand
from engine import keys
from engine.background import survive
from moderation import agenda, overlay, polls, qa, speakers, uploads
from moderation.qa_store import Asker, QAStore
from moderation.state import Committed, StateChannel
from realtime import roles
from realtime.commands.registry import Handlers, registrar
from realtime.fanout.hub import Hub
from realtime.protocol import moderation as p
from realtime.transport.client import Client

HANDLERS: Handlers = {}
"""This module's commands and their handlers, for ``realtime.commands.table``."""
handles = registrar(HANDLERS)

log = logging.getLogger("plenary.moderation")


async def in_meeting(hub: Hub, client: Client, meeting_id: str) -> None:
    roles.check_meeting(meeting_id, client.participant)
    # UNKNOWN_MEETING. Cached (``Meetings.check_exists``: meetings are never deleted): a Redis GET
    # on every meeting command was a third of a support's hub time and held a pool connection
    # (docs/performance.md, "Issue 14: proposals at scale").
    await hub.meetings.check_exists(meeting_id)


def _hand(c: Committed) -> p.SpeakersHandReply:
    """A raised or lowered hand: ``changed`` (false) only when it was so already."""
    return p.SpeakersHandReply(
        raised=c.result["raised"], changed=c.result.get("changed", UNSET), offset=c.offset
    )


# -- Q&A ----------------------------------------------------------------------------------------
@handles(p.QaAsk)
async def qa_ask(hub: Hub, client: Client, cmd: p.QaAsk) -> p.QaAskReply:
    await in_meeting(hub, client, cmd.meeting)
    who = client.participant
    step = await QAStore(hub.log).ask(cmd.meeting, Asker(who.id, who.name, who.role), cmd.text, cmd.anonymous)
    return p.QaAskReply(question=step.question, state="pending")


async def _vote(hub: Hub, client: Client, meeting: str, question: int, add: bool) -> p.QaVoteReply:
    await in_meeting(hub, client, meeting)
    who = client.participant
    step = await QAStore(hub.log).vote(meeting, question, who.id, who.role, add)
    return p.QaVoteReply(question=step.question, voted=add, votes=step.votes, changed=step.changed)


@handles(p.QaUpvote)
async def qa_upvote(hub: Hub, client: Client, cmd: p.QaUpvote) -> p.QaVoteReply:
    return await _vote(hub, client, cmd.meeting, cmd.question, True)


@handles(p.QaUnvote)
async def qa_unvote(hub: Hub, client: Client, cmd: p.QaUnvote) -> p.QaVoteReply:
    return await _vote(hub, client, cmd.meeting, cmd.question, False)


@handles(p.QaMine)
async def qa_mine(hub: Hub, client: Client, cmd: p.QaMine) -> p.QaMineReply:
    await in_meeting(hub, client, cmd.meeting)
    mine = await QAStore(hub.log).mine(cmd.meeting, client.participant.id)
    return p.QaMineReply(asked=[p.AskedQuestion(**q) for q in mine["asked"]], voted=mine["voted"])


async def _move(hub: Hub, client: Client, cmd: Any, rule: str) -> p.QaMoveReply:
    await in_meeting(hub, client, cmd.meeting)
    store = QAStore(hub.log)
    step = await store.move(cmd.meeting, rule, cmd.question, client.participant.role)
    out = p.QaMoveReply(
        question=step.question,
        offset=step.public_offset or None,
        votes=step.votes,
        state=str(qa.target_state(rule)),
    )

    async def record() -> dict[str, Any]:
        return (await store.questions(cmd.meeting))[cmd.question]

    await overlay.follow_qa(hub.log, cmd.meeting, rule, cmd.question, record)
    return out


for _cls, _rule in (
    (p.QaApprove, "approve"),
    (p.QaDismiss, "dismiss"),
    (p.QaReopen, "reopen"),
    (p.QaQueue, "queue"),
    (p.QaUnqueue, "unqueue"),
    (p.QaAir, "air"),
    (p.QaAnswer, "answer"),
):

    async def _handler(hub: Hub, client: Client, cmd: Any, _rule: str = _rule) -> p.QaMoveReply:
        return await _move(hub, client, cmd, _rule)

    handles(_cls)(_handler)


@handles(p.QaMerge)
async def qa_merge(hub: Hub, client: Client, cmd: p.QaMerge) -> p.QaMergeReply:
    await in_meeting(hub, client, cmd.meeting)
    step = await QAStore(hub.log).merge(cmd.meeting, cmd.question, cmd.into, client.participant.role)
    return p.QaMergeReply(
        question=cmd.question, into=cmd.into, votes=step.votes, offset=step.public_offset or None
    )


@handles(p.QaReorder)
async def qa_reorder(hub: Hub, client: Client, cmd: p.QaReorder) -> p.QaReorderReply:
    await in_meeting(hub, client, cmd.meeting)
    step = await QAStore(hub.log).reorder(cmd.meeting, cmd.order, client.participant.role)
    return p.QaReorderReply(order=cmd.order, offset=step.public_offset or None)


# -- speakers list ------------------------------------------------------------------------------
@handles(p.SpeakersRaise)
async def speakers_raise(hub: Hub, client: Client, cmd: p.SpeakersRaise) -> p.SpeakersHandReply:
    await in_meeting(hub, client, cmd.meeting)
    who = client.participant
    rule = speakers.raise_hand(who.id, who.name, speakers._now())
    return _hand(await hub.speakers.apply(cmd.meeting, rule))


@handles(p.SpeakersLower)
async def speakers_lower(hub: Hub, client: Client, cmd: p.SpeakersLower) -> p.SpeakersHandReply:
    await in_meeting(hub, client, cmd.meeting)
    who = client.participant
    rule = speakers.lower_hand(cmd.participant or who.id, who.id, who.role)
    return _hand(await hub.speakers.apply(cmd.meeting, rule))


@handles(p.SpeakersOrder)
async def speakers_order(hub: Hub, client: Client, cmd: p.SpeakersOrder) -> p.SpeakersOrderReply:
    await in_meeting(hub, client, cmd.meeting)
    done = await hub.speakers.apply(cmd.meeting, speakers.order(cmd.order))
    return p.SpeakersOrderReply(order=done.result["order"], offset=done.offset)


@handles(p.SpeakersNext)
async def speakers_next(hub: Hub, client: Client, cmd: p.SpeakersNext) -> p.SpeakersNextReply:
    await in_meeting(hub, client, cmd.meeting)
    done = await hub.speakers.next(cmd.meeting, cmd.participant, cmd.seconds)
    return p.SpeakersNextReply(current=p.Speaker(**done.result["current"]), offset=done.offset)


@handles(p.SpeakersYield)
async def speakers_yield(hub: Hub, client: Client, cmd: p.SpeakersYield) -> p.SpeakersYieldReply:
    await in_meeting(hub, client, cmd.meeting)
    who = client.participant
    done = await hub.speakers.yield_(cmd.meeting, who.id, who.role)
    return p.SpeakersYieldReply(
        speaker=done.result["speaker"],
        by=done.result["by"],
        spoke_ms=done.result["spoke_ms"],
        offset=done.offset,
    )


@handles(p.SpeakersTimer)
async def speakers_timer(hub: Hub, client: Client, cmd: p.SpeakersTimer) -> p.SpeakersTimerReply:
    await in_meeting(hub, client, cmd.meeting)
    done = await hub.speakers.apply(cmd.meeting, speakers.set_timer(cmd.seconds, cmd.cut_off))
    return p.SpeakersTimerReply(
        seconds=done.result["seconds"], offset=done.offset, cut_off=done.result["cut_off"]
    )


# -- agenda, slides, materials ------------------------------------------------------------------
async def _agenda(hub: Hub, meeting: str, rule: Any) -> Committed:
    return await StateChannel(hub.log, keys.meeting_agenda(meeting)).update(rule)


@handles(p.AgendaSet)
async def agenda_set(hub: Hub, client: Client, cmd: p.AgendaSet) -> p.AgendaSetReply:
    await in_meeting(hub, client, cmd.meeting)
    done = await _agenda(hub, cmd.meeting, agenda.set_items([msgspec.to_builtins(i) for i in cmd.items]))
    return p.AgendaSetReply(items=done.result["items"], offset=done.offset)


@handles(p.AgendaCurrent)
async def agenda_current(hub: Hub, client: Client, cmd: p.AgendaCurrent) -> p.AgendaCurrentReply:
    await in_meeting(hub, client, cmd.meeting)
    done = await _agenda(hub, cmd.meeting, agenda.set_current(cmd.item))
    return p.AgendaCurrentReply(current=done.result["current"], offset=done.offset)


@handles(p.SlideShow)
async def slide_show(hub: Hub, client: Client, cmd: p.SlideShow) -> p.SlideReply:
    await in_meeting(hub, client, cmd.meeting)
    agenda.check_slide_source(cmd.upload, cmd.url)
    if cmd.upload is not None:
        up = await uploads.meta(hub.redis, cmd.meeting, cmd.upload)
        slide = agenda.slide_from_upload(cmd.meeting, up.meta(), cmd.page, cmd.title)
    else:
        slide = agenda.slide_from_url(cmd.url or "", cmd.title)
    done = await _agenda(hub, cmd.meeting, agenda.show_slide(slide))
    return p.SlideReply(slide=done.result["slide"], offset=done.offset)


@handles(p.SlideClear)
async def slide_clear(hub: Hub, client: Client, cmd: p.SlideClear) -> p.SlideReply:
    await in_meeting(hub, client, cmd.meeting)
    done = await _agenda(hub, cmd.meeting, agenda.clear_slide())
    return p.SlideReply(slide=done.result["slide"], offset=done.offset)


@handles(p.MaterialsSet)
async def materials_set(hub: Hub, client: Client, cmd: p.MaterialsSet) -> p.MaterialsSetReply:
    await in_meeting(hub, client, cmd.meeting)
    done = await _agenda(hub, cmd.meeting, agenda.set_materials([msgspec.to_builtins(i) for i in cmd.items]))
    return p.MaterialsSetReply(materials=done.result["materials"], offset=done.offset)


# -- overlay ------------------------------------------------------------------------------------
@handles(p.OverlayShow)
async def overlay_show(hub: Hub, client: Client, cmd: p.OverlayShow) -> p.OverlayReply:
    await in_meeting(hub, client, cmd.meeting)
    overlay.check_one(question=cmd.question, slide=cmd.slide, poll=cmd.poll, vote=cmd.vote, text=cmd.text)
    item: dict[str, Any]
    if cmd.question is not None:
        public = await QAStore(hub.log).questions(cmd.meeting, staff=False)
        item = overlay.public_question_item(cmd.question, public.get(cmd.question))
    elif cmd.slide:
        item = overlay.slide_item(
            (await StateChannel(hub.log, keys.meeting_agenda(cmd.meeting)).read()).get("slide")
        )
    elif cmd.poll is not None:
        item = overlay.poll_item(await polls.PollStore(hub.log).record(cmd.meeting, cmd.poll))
    elif cmd.vote is not None:
        item = {"kind": "vote", "vote": await hub.votes.results_on_air(cmd.vote)}
    else:
        item = overlay.text_item(cmd.text or "")
    done = await overlay.apply(hub.log, cmd.meeting, overlay.show(item))
    return p.OverlayReply(item=done.result["item"], offset=done.offset)


@handles(p.OverlayClear)
async def overlay_clear(hub: Hub, client: Client, cmd: p.OverlayClear) -> p.OverlayReply:
    await in_meeting(hub, client, cmd.meeting)
    done = await overlay.apply(hub.log, cmd.meeting, overlay.clear())
    return p.OverlayReply(item=done.result["item"], offset=done.offset)


# -- polls and surveys --------------------------------------------------------------------------
_refreshing: set[tuple[str, str]] = set()
_timers: set[asyncio.Task[None]] = set()  # held so that a pending refresh is not garbage-collected


async def _refresh_later(hub: Hub, meeting: str, poll: str) -> None:
    """Publish results held back by the interval once it passed (one timer per poll per hub)."""
    try:
        await asyncio.sleep(polls.RESULTS_INTERVAL_MS / 1000)
        with survive(log, "poll refresh", meeting=meeting, poll=poll):
            await polls.PollStore(hub.log).refresh(meeting, poll)
    finally:
        _refreshing.discard((meeting, poll))


@handles(p.PollCreate)
async def poll_create(hub: Hub, client: Client, cmd: p.PollCreate) -> p.PollCreateReply:
    await in_meeting(hub, client, cmd.meeting)
    defn = polls.decode_definition(cmd.poll)
    offset = await polls.PollStore(hub.log).create(cmd.meeting, defn)
    return p.PollCreateReply(poll=defn.id, status="draft", offset=offset)


async def _poll_move(hub: Hub, client: Client, cmd: Any, command: HostCommand) -> p.PollMoveReply:
    await in_meeting(hub, client, cmd.meeting)
    done = await polls.PollStore(hub.log).move(cmd.meeting, cmd.poll, command)
    return p.PollMoveReply(
        poll=done["poll"], status=done["status"], answered=done["answered"], offset=done["offset"]
    )


@handles(p.PollOpen)
async def poll_open(hub: Hub, client: Client, cmd: p.PollOpen) -> p.PollMoveReply:
    return await _poll_move(hub, client, cmd, HostCommand.OPEN)


@handles(p.PollClose)
async def poll_close(hub: Hub, client: Client, cmd: p.PollClose) -> p.PollMoveReply:
    return await _poll_move(hub, client, cmd, HostCommand.CLOSE)


@handles(p.PollPublish)
async def poll_publish(hub: Hub, client: Client, cmd: p.PollPublish) -> p.PollMoveReply:
    return await _poll_move(hub, client, cmd, HostCommand.PUBLISH)


@handles(p.PollResults)
async def poll_results(hub: Hub, client: Client, cmd: p.PollResults) -> p.PollResultsReply:
    await in_meeting(hub, client, cmd.meeting)
    done = await polls.PollStore(hub.log).show_results(cmd.meeting, cmd.poll, cmd.visible)
    return p.PollResultsReply(
        poll=done["poll"], visible=done["visible"], answered=done["answered"], offset=done["offset"]
    )


@handles(p.PollAnswer)
async def poll_answer(hub: Hub, client: Client, cmd: p.PollAnswer) -> p.PollAnswerReply:
    await in_meeting(hub, client, cmd.meeting)
    who = client.participant
    strata = {"gender": who.gender, "age_band": who.age_band, "district": who.district}
    res = await polls.PollStore(hub.log).answer(cmd.meeting, cmd.poll, who.id, strata, cmd.answers)
    key = (cmd.meeting, cmd.poll)
    if res["pending"] and key not in _refreshing:
        _refreshing.add(key)
        task = asyncio.get_running_loop().create_task(_refresh_later(hub, cmd.meeting, cmd.poll))
        _timers.add(task)
        task.add_done_callback(_timers.discard)
    return p.PollAnswerReply(poll=res["poll"], answered=res["answered"])


@handles(p.PollExport)
async def poll_export(hub: Hub, client: Client, cmd: p.PollExport) -> p.PollExportReply:
    await in_meeting(hub, client, cmd.meeting)
    return p.PollExportReply(poll=cmd.poll, csv=await polls.PollStore(hub.log).export(cmd.meeting, cmd.poll))
