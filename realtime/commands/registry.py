"""Protocol commands to domain calls. Each handler returns its command's reply type
(``Command.reply_type``, realtime/protocol/) or raises a HubError.

The role check and the per-participant rate limit happen once, in ``run``, from the tables of
``realtime.roles`` (``COMMAND_ROLES``, ``COMMAND_RATES``); handlers never check either.

Each handler module keeps its own mapping of command type -> handler (``HANDLERS``, filled by its
``handles`` decorator); ``realtime.commands.table`` joins them into the one table that ``run`` is
given. This module holds the handlers every connection has (ping, meetings, subscriptions) and
imports no handler module: the table is written out in one place, not gathered by import.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Any

from engine import keys
from engine.errors import Code, HubError
from realtime import roles
from realtime.fanout.hub import Hub
from realtime.protocol import messages as m
from realtime.protocol.base import R
from realtime.protocol.subscription import FAILED, SUBSCRIBE, Answered, Subscription
from realtime.transport.client import Client, to_wire

Handler = Callable[[Hub, Client, Any], Awaitable[R]]
Handlers = dict[type[m.Command[Any]], Handler[m.Result]]


class registrar:
    """The ``handles(Command)`` decorator of one handler module: it files each handler in that
    module's own ``table``, and (a generic ``__call__``, so per command) takes only a handler that
    returns the command's reply type (mypy checks it). A command handled twice in a module is a
    mistake, caught at import."""

    def __init__(self, table: Handlers) -> None:
        self.table = table

    def __call__(self, cls: type[m.Command[R]]) -> Callable[[Handler[R]], Handler[R]]:
        table = self.table

        def register(fn: Handler[R]) -> Handler[R]:
            if cls in table:
                raise ValueError(f"{command_tag(cls)} is handled twice")
            table[cls] = fn
            return fn

        return register


def combine(*tables: Handlers) -> Handlers:
    """One table from the handler modules' own: a command handled in two modules is a mistake."""
    out: Handlers = {}
    for table in tables:
        twice = out.keys() & table.keys()
        if twice:
            raise ValueError(f"handled twice: {sorted(command_tag(c) for c in twice)}")
        out.update(table)
    return out


def command_tag(cls: type[m.Command[Any]]) -> str:
    return str(cls.__struct_config__.tag)


HANDLERS: Handlers = {}
"""This module's own handlers; the full table is ``realtime.commands.table.HANDLERS``."""
handles = registrar(HANDLERS)


def command_name(cmd: m.Command[Any]) -> str:
    return command_tag(type(cmd))


async def run(handlers: Handlers, hub: Hub, client: Client, cmd: m.Command[Any]) -> m.Result:
    """Check the role, then the participant's rate over every hub, then run the handler. A command
    refused by either has done nothing (``rate_limited`` carries ``retry_after_ms``); one the
    handler refuses (bad input, a state that does not allow it) gets its token back."""
    name = command_name(cmd)
    roles.check_command(name, client.participant.role)
    cls = roles.rate_class(name)
    if cls is None:  # reads skip the Redis check
        return await handlers[type(cmd)](hub, client, cmd)
    who, bucket = client.participant.id, roles.RATE_CLASSES[cls]
    await hub.rates.take(who, cls, bucket, roles.COMMAND_COST)  # batched with every other check
    try:
        return await handlers[type(cmd)](hub, client, cmd)
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
        raise HubError(Code.TOO_MANY_SUBSCRIPTIONS, f"at most {hub.settings.max_subscriptions} channels")
    sub = client.subs.get(channel)
    had = sub is not None
    if sub is None:
        sub = client.subs[channel] = Subscription()
    client.apply(channel, SUBSCRIBE)  # live events are held until the reply is written
    try:
        await hub.attach(client, channel)
        rec = await hub.log.recover(channel, cmd.epoch, cmd.offset)
    except BaseException:
        if had and client.subs.get(channel) is sub:
            # attach took it off the live list with ``last`` up to date; the subscription table
            # says where it goes back to (live from there, or still owed a gap).
            client.apply(channel, FAILED)
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
        client.apply(result.channel, Answered(result.epoch, result.offset))


@handles(m.Unsubscribe)
async def unsubscribe(hub: Hub, client: Client, cmd: m.Unsubscribe) -> m.UnsubscribeReply:
    if cmd.channel not in client.subs:
        raise HubError(Code.NOT_SUBSCRIBED, f"not subscribed to {cmd.channel[:160]!r}")
    await hub.detach(client, cmd.channel)
    return m.UnsubscribeReply(channel=cmd.channel)
