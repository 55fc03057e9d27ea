"""The commands every connection has, whatever its role: ``ping``, the meeting list, and following
channels (``subscribe``, ``unsubscribe``, and ``after_reply``, which puts a new subscription live
once its reply is written). Where a subscription stands is the table of
``realtime.protocol.subscription``; these handlers feed it."""

from __future__ import annotations

import time

from engine import keys
from engine.errors import Code, HubError
from realtime import roles
from realtime.commands.attendance import learn_hall
from realtime.commands.registry import Handlers, registrar
from realtime.fanout.hub import Hub
from realtime.protocol import messages as m
from realtime.protocol.subscription import FAILED, SUBSCRIBE, Subscription
from realtime.transport.client import Client, to_wire
from tables import live

HANDLERS: Handlers = {}
"""This module's commands and their handlers, for ``realtime.commands.table``."""
handles = registrar(HANDLERS)


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
        await hub.meetings.check_exists(meeting)  # UNKNOWN_MEETING
        if keys.channel_kind(channel) == "table":  # issue 15: one's own table only
            table = int(channel.rsplit("/", 1)[1])
            await live.check_table(hub.redis, meeting, table)  # NO_SUCH_TABLE
            who = client.participant
            roles.check_table(table, who, *await live.standing(hub.redis, meeting, who.id, who.role))
    elif channel.startswith("vote/"):
        vote_id = channel[len("vote/") :]
        await hub.votes.status(vote_id)  # UNKNOWN_VOTE
        defn, _epoch = await hub.votes.cached_definition(vote_id)
        roles.check_vote(defn.eligibility, client.participant)
        learn_hall(hub, vote_id)  # before the casts (issue 11: the opening's casts on the direct path)
    if channel not in client.subs and len(client.subs) >= hub.settings.max_subscriptions:
        raise HubError(Code.TOO_MANY_SUBSCRIPTIONS, f"at most {hub.settings.max_subscriptions} channels")
    sub = client.subs.get(channel)
    had = sub is not None
    if sub is None:
        sub = client.subs[channel] = Subscription()
    client.apply(channel, SUBSCRIBE)  # live events are held until the reply is written
    try:
        await hub.attach(client, channel)
        rec = await hub.log.recover(channel, cmd.epoch, cmd.offset, cmd.time)
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


def after_reply(hub: Hub, client: Client, result: m.Result) -> None:
    """Called once the reply is written: a new subscription goes live only now, so that its reply
    comes before any live event and the events held meanwhile are released in order; in step, it
    joins the channel's live list at once (``Hub.answered``)."""
    if isinstance(result, m.Subscribed):
        hub.answered(client, result.channel, result.epoch, result.offset)


@handles(m.Unsubscribe)
async def unsubscribe(hub: Hub, client: Client, cmd: m.Unsubscribe) -> m.UnsubscribeReply:
    if cmd.channel not in client.subs:
        raise HubError(Code.NOT_SUBSCRIBED, f"not subscribed to {cmd.channel[:160]!r}")
    await hub.detach(client, cmd.channel)
    return m.UnsubscribeReply(channel=cmd.channel)
