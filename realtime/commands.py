"""Protocol commands to domain calls. Each handler returns its command's reply type
(``Command.reply_type``, realtime/protocol/) or raises a HubError.

The role check and the per-participant rate limit happen once, in ``run``, from the tables of
``realtime.roles`` (``COMMAND_ROLES``, ``COMMAND_RATES``); handlers never check either.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Any

from engine import keys
from engine.errors import ChannelError, Code, HubError, LimitError
from realtime import roles
from realtime.client import Client, Subscription, SubState, to_wire
from realtime.hub import Hub
from realtime.protocol import messages as m
from realtime.protocol.base import R

Handler = Callable[[Hub, Client, Any], Awaitable[R]]
HANDLERS: dict[type[m.Command], Handler[m.Result]] = {}


def handles(cls: type[m.Command[R]]) -> Callable[[Handler[R]], Handler[R]]:
    """Register the handler of ``cls``: it must return ``cls``'s reply type (mypy checks it)."""

    def register(fn: Handler[R]) -> Handler[R]:
        HANDLERS[cls] = fn
        return fn

    return register


def command_name(cmd: m.Command) -> str:
    return str(type(cmd).__struct_config__.tag)


async def run(hub: Hub, client: Client, cmd: m.Command) -> m.Result:
    """Check the role, then the participant's rate over every hub, then run the handler. A command
    refused by either has done nothing (``rate_limited`` carries ``retry_after_ms``); one the
    handler refuses (bad input, a state that does not allow it) gets its token back."""
    name = command_name(cmd)
    roles.check_command(name, client.participant.role)
    cls = roles.rate_class(name)
    if cls is None:  # reads skip the Redis check
        return await HANDLERS[type(cmd)](hub, client, cmd)
    who, bucket = client.participant.id, roles.RATE_CLASSES[cls]
    await hub.rates.take(who, cls, bucket, roles.COMMAND_COST)  # batched with every other check
    try:
        return await HANDLERS[type(cmd)](hub, client, cmd)
    except HubError:
        hub.rates.give_back(who, cls, bucket, roles.COMMAND_COST)
        raise


async def meetings_for(hub: Hub, client: Client) -> list[m.Meeting]:
    out = []
    for info in await hub.meetings.all():
        if client.participant.in_meeting(info.id):
            chans = [keys.meeting_chat(info.id)]
            out.append(
                m.Meeting(
                    id=info.id,
                    title=info.title,
                    youtube=info.youtube,
                    starts_at=info.starts_at,
                    ends_at=info.ends_at,
                    channels=chans,
                )
            )
    return out


@handles(m.Ping)
async def ping(hub: Hub, client: Client, cmd: m.Ping) -> m.PingReply:
    return m.PingReply(server_time=int(time.time() * 1000))


@handles(m.MeetingList)
async def meeting_list(hub: Hub, client: Client, cmd: m.MeetingList) -> m.MeetingListReply:
    return m.MeetingListReply(meetings=await meetings_for(hub, client))


@handles(m.Subscribe)
async def subscribe(hub: Hub, client: Client, cmd: m.Subscribe) -> m.Subscribed:
    """Follow ``cmd.channel`` and tell the client where it stands (``ChannelLog.recover``).

    An error changes nothing (docs/protocol.md ``subscribe``): every check comes before the
    subscription is touched, and if reading the channel fails afterwards a subscription the client
    already had goes on from where it was (a hole meanwhile gets a ``gap``), while a new one is
    dropped. A frame the codec rejects (a 300-character epoch) never reaches here, so it too
    leaves everything as it was."""
    channel = cmd.channel
    roles.check_channel(channel, client.participant)
    # Only channels of things that exist: a subscribe must not create keys for made-up names.
    meeting = keys.meeting_of(channel)
    if meeting is not None:
        await hub.meetings.get(meeting)  # UNKNOWN_MEETING
    elif channel.startswith("vote/"):
        vote_id = channel[len("vote/") :]
        await hub.votes.status(vote_id)  # UNKNOWN_VOTE
        defn, _epoch = await hub.votes.cached_definition(vote_id)
        roles.check_vote(defn.eligibility, client.participant)
    if channel not in client.subs and len(client.subs) >= hub.settings.max_subscriptions:
        raise LimitError(Code.TOO_MANY_SUBSCRIPTIONS, f"at most {hub.settings.max_subscriptions} channels")
    sub = client.subs.get(channel)
    had = sub is not None
    if sub is None:
        sub = client.subs[channel] = Subscription()
    sub.state, sub.pending, sub.gap_sent = SubState.RECOVERING, [], False
    try:
        await hub.attach(client, channel)
        rec = await hub.log.recover(channel, cmd.epoch, cmd.offset)
    except BaseException:
        if had and client.subs.get(channel) is sub:
            # attach took it off the live list with ``last`` up to date: resume from there,
            # releasing what arrived meanwhile (or a gap, if that left a hole).
            client.go_live(channel, sub, sub.epoch, sub.last)
        else:
            await hub.detach(client, channel)
        raise
    reply = m.Subscribed(
        channel=channel,
        epoch=rec.epoch,
        offset=rec.offset,
        recovered=rec.recovered,
        events=[to_wire(channel, rec.epoch, e) for e in rec.events],
        snapshot=rec.state,
    )
    return reply


def after_reply(client: Client, result: m.Result) -> None:
    """Called once the reply is written: a new subscription goes live only now, so that its reply
    comes before any live event and the events held meanwhile are released in order."""
    if isinstance(result, m.Subscribed):
        sub = client.subs.get(result.channel)
        if sub is not None and sub.state is SubState.RECOVERING:
            client.go_live(result.channel, sub, result.epoch, result.offset)


@handles(m.Unsubscribe)
async def unsubscribe(hub: Hub, client: Client, cmd: m.Unsubscribe) -> m.UnsubscribeReply:
    if cmd.channel not in client.subs:
        raise ChannelError(Code.NOT_SUBSCRIBED, f"not subscribed to {cmd.channel[:160]!r}")
    await hub.detach(client, cmd.channel)
    return m.UnsubscribeReply(channel=cmd.channel)


# Feature modules register their handlers on import (kept last: they import ``handles`` from here).
from realtime import cmd_chat, cmd_moderation, cmd_vote  # noqa: E402

__all__ = ["HANDLERS", "after_reply", "cmd_chat", "cmd_moderation", "cmd_vote", "handles", "run"]
