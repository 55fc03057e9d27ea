"""The hub's collaborators on Redis, built once when the hub starts and handed to ``Hub``.

``Backend.open`` finds or starts Redis, checks it answers, and builds everything the hub works
through: the channel log, roster, meetings, speakers' lists, votes with their cast batcher, the rate buckets and
connection slots, and the dedicated pub/sub connection its event feed reads. Why one object built
before the hub: the hub used to declare these as ``None`` fields that ``start`` filled in, typed as
present (``# type: ignore``) yet ``None`` until then; now a ``Hub`` exists only with all of them.

Life: ``open``, then ``Hub(settings, backend)`` and ``Hub.start``; at the end ``Hub.stop``, then
``close`` (the command client, and the embedded Redis if no other hub still uses it).
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from dataclasses import dataclass

from redis.asyncio import Redis

from attendance.store import Presence
from ballot.store import CastBatcher, VoteStore
from engine import migrate
from engine.channels import ChannelLog
from engine.connection import close_dedicated, command_client, dedicated, pubsub_client
from engine.limits import ConnectionSlots, RateLimiter
from engine.scripts import Scripts
from engine.server import EmbeddedRedis, ensure_server
from moderation import meeting_votes
from moderation.meetings import Meetings
from moderation.speakers import SpeakersList
from panel.roster import Roster
from realtime.config import Settings

log = logging.getLogger("plenary.hub")


@dataclass(frozen=True, slots=True)
class Backend:
    hub_id: str
    embedded: EmbeddedRedis | None
    """The embedded Redis this hub started or joined; None with ``--redis-url``."""
    redis: Redis
    """The command client (a bounded pool, ``engine.connection``)."""
    pubsub: Redis
    """The pub/sub connection, no read timeout: the hub's ``EventFeed`` reads it."""
    log: ChannelLog
    roster: Roster
    meetings: Meetings
    votes: VoteStore
    casts: CastBatcher
    """Not started: ``Hub.start`` starts it and ``Hub.stop`` drains it."""
    rates: RateLimiter
    """Not started, as ``casts``."""
    slots: ConnectionSlots
    speakers: SpeakersList
    """The speakers' lists; live voice (issue 16) gives it its ``call_on`` hook here, at the build."""
    presence: Presence
    """Online attendance (issue 14): this hub's connections' intervals, under its slots' instance."""
    held: tuple[Redis, ...] = ()
    """Clients holding one connection each (the cast batcher's and the rate limiter's), closed first."""

    @classmethod
    async def open(cls, settings: Settings) -> Backend:
        hub_id = settings.hub_id or f"{socket.gethostname()}:{os.getpid()}"
        embedded = None
        url = settings.redis_url
        if url is None:
            embedded = await asyncio.to_thread(ensure_server, settings.data_dir)
            url = embedded.url
        redis = command_client(url, name=f"plenary-hub:{hub_id}")
        await redis.ping()
        await migrate.directory_keys(redis)  # a data dir an older hub wrote: today's key names
        channel_log = ChannelLog(redis, Scripts(redis))
        votes = VoteStore(channel_log)
        meetings = Meetings(redis)
        await meeting_votes.home_older_votes(votes, meetings)  # votes from before issue 13: once
        # The two group commits on every cast's path each hold a connection of their own (taken
        # from the pool once): a pool checkout per batch cost more than the batch's command.
        casts_redis, rates_redis = dedicated(redis), dedicated(redis)
        slots = ConnectionSlots(redis, channel_log.scripts, hub_id)
        return cls(
            hub_id=hub_id,
            embedded=embedded,
            redis=redis,
            pubsub=pubsub_client(url, name=f"plenary-hub-sub:{hub_id}"),
            log=channel_log,
            roster=Roster(redis),
            meetings=meetings,
            votes=votes,
            casts=CastBatcher(votes, redis=casts_redis, pace=settings.cast_pace),
            rates=RateLimiter(rates_redis, Scripts(rates_redis)),
            slots=slots,
            speakers=SpeakersList(channel_log),
            presence=Presence(redis, channel_log.scripts, slots.instance),
            held=(casts_redis, rates_redis),
        )

    async def close(self) -> None:
        """After ``Hub.stop``: the clients of the cast batcher and the rate limiter, the command
        client, then the embedded Redis if this hub was its last user."""
        for client in self.held:
            await close_dedicated(client, self.redis)
        await self.redis.aclose()
        if self.embedded is not None and await asyncio.to_thread(
            self.embedded.stop_if_last, ":" + self.hub_id
        ):
            log.info("embedded redis stopped: no other hub uses it")
