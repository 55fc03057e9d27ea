"""Vote commands: thin calls into ballot/ (rules, store) and results onto the wire."""

from __future__ import annotations

from typing import Any

import msgspec

from ballot import rules
from ballot.store import Voter
from realtime.client import Client
from realtime.commands import handles
from realtime.hub import Hub
from realtime.protocol import vote as v


@handles(v.VoteCreate)
async def vote_create(hub: Hub, client: Client, cmd: v.VoteCreate) -> Any:
    defn = rules.decode_definition(msgspec.json.encode(cmd.definition))
    pub = await hub.votes.create(defn)
    return {"vote": defn.vote_id, "status": "draft", "offset": pub.offset}


@handles(v.VoteOpen)
async def vote_open(hub: Hub, client: Client, cmd: v.VoteOpen) -> Any:
    defn = await hub.votes.definition(cmd.vote)
    people = await hub.roster.all()
    eligible = [
        p.id
        for p in people
        if p.role == "panelist" and (defn.eligibility == "panelists" or p.in_meeting(defn.eligibility))
    ]
    pub = await hub.votes.open(cmd.vote, eligible)
    return {"vote": cmd.vote, "status": "open", "eligible": len(eligible), "offset": pub.offset}


@handles(v.VoteClose)
async def vote_close(hub: Hub, client: Client, cmd: v.VoteClose) -> Any:
    pub = await hub.votes.announce_close(cmd.vote)
    return {"vote": cmd.vote, "offset": pub.offset}


@handles(v.VotePublish)
async def vote_publish(hub: Hub, client: Client, cmd: v.VotePublish) -> Any:
    result = await hub.votes.publish(cmd.vote)
    return {"vote": cmd.vote, "status": "published", "results": msgspec.to_builtins(result)}


@handles(v.VoteGet)
async def vote_get(hub: Hub, client: Client, cmd: v.VoteGet) -> Any:
    defn = await hub.votes.definition(cmd.vote)
    return {"definition": msgspec.to_builtins(defn), "status": (await hub.votes.status(cmd.vote)).value}


@handles(v.VoteCast)
async def vote_cast(hub: Hub, client: Client, cmd: v.VoteCast) -> Any:
    defn = await hub.votes.definition(cmd.vote)
    p = client.participant
    receipt = await hub.casts.cast(
        defn, Voter(p.id, p.gender, p.age_band, p.district), cmd.ranking, cmd.nonce
    )
    hub.turnout_dirty.add(cmd.vote)
    return {
        "vote": cmd.vote,
        "tracking_code": receipt.tracking_code,
        "retry": receipt.retry,
        "received_ms": receipt.received_ms,
    }
