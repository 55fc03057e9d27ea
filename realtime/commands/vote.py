"""Vote commands: thin calls into ballot/ (rules, store) and results onto the wire."""

from __future__ import annotations

import msgspec
from msgspec import UNSET

from ballot import results, rules, turnout
from ballot.export import decode_export
from ballot.model import Channel, VoteState
from ballot.store import Receipt, StaleDefinition, Voter
from engine.errors import Code, HubError, VoteError
from moderation import meeting_votes
from panel.roster import Participant
from realtime import roles
from realtime.commands import shortlist  # issue 14: shortlist and ballot
from realtime.commands.attendance import direct_cast_ok, hall_gate
from realtime.commands.registry import Directs, Done, Handlers, rate_take, registrar
from realtime.fanout.hub import Hub
from realtime.protocol import vote as v
from realtime.transport.client import Client

HANDLERS: Handlers = {}
"""This module's commands and their handlers, for ``realtime.commands.table``."""
handles = registrar(HANDLERS)
DIRECT: Directs = {}
"""This module's direct handlers (``registry.Direct``), for ``realtime.commands.table``."""


@handles(v.VoteCreate)
async def vote_create(hub: Hub, client: Client, cmd: v.VoteCreate) -> v.VoteCreateReply:
    defn = rules.decode_definition(msgspec.json.encode(cmd.definition))
    home = meeting_votes.home_meeting(defn.eligibility, cmd.meeting)
    if home is not None:
        await hub.meetings.get(home)  # UNKNOWN_MEETING, before anything is stored
    try:
        pub = await hub.votes.create(defn)
    except HubError as err:
        # The host's retry after an announcement that failed: the same vote exists, list it now.
        if (
            err.code is Code.BAD_TRANSITION
            and home is not None
            and await hub.votes.definition(defn.vote_id) == defn
        ):
            await meeting_votes.announce(hub.log, home, defn.vote_id, defn.title, defn.eligibility)
        raise
    if home is not None:  # a second step (another slot); announce() again lists it, idempotent
        await meeting_votes.announce(hub.log, home, defn.vote_id, defn.title, defn.eligibility)
    return v.VoteCreateReply(vote=defn.vote_id, status="draft", offset=pub.offset)


@handles(v.VoteOpen)
async def vote_open(hub: Hub, client: Client, cmd: v.VoteOpen) -> v.VoteOpenReply:
    defn = await hub.votes.definition(cmd.vote)
    eligible = rules.eligible_voters(defn, await hub.roster.all())
    pub = await hub.votes.open(cmd.vote, eligible)
    return v.VoteOpenReply(vote=cmd.vote, status="open", eligible=len(eligible), offset=pub.offset)


@handles(v.VoteClose)
async def vote_close(hub: Hub, client: Client, cmd: v.VoteClose) -> v.VoteCloseReply:
    closing = await hub.votes.announce_close(cmd.vote)
    return v.VoteCloseReply(
        vote=cmd.vote,
        closes_at=closing.closes_at,
        hard_close_at=closing.hard_close_at,
        repeated=closing.repeated,
        offset=UNSET if closing.offset is None else closing.offset,
    )


@handles(v.VotePublish)
async def vote_publish(hub: Hub, client: Client, cmd: v.VotePublish) -> v.VotePublishReply:
    try:
        result = await hub.votes.publish(cmd.vote)
    except VoteError as err:  # issue 14: a retry after a crash between publishing and following it
        if err.code is Code.BAD_TRANSITION:
            await shortlist.follow_publication(hub, cmd.vote)
        raise
    await shortlist.follow_publication(hub, cmd.vote)  # issue 14: the proposals it was made from
    return v.VotePublishReply(vote=cmd.vote, status="published", results=msgspec.to_builtins(result))


@handles(v.VoteGet)
async def vote_get(hub: Hub, client: Client, cmd: v.VoteGet) -> v.VoteGetReply:
    defn = await hub.votes.definition(cmd.vote)
    roles.check_vote(defn.eligibility, client.participant)
    status = await hub.votes.status(cmd.vote)
    out = v.VoteGetReply(definition=msgspec.to_builtins(defn), status=status.value)
    if status is VoteState.PUBLISHED:
        out = msgspec.structs.replace(out, **results.summary(decode_export(await hub.votes.export(cmd.vote))))
    return out


@handles(v.VoteMine)
async def vote_mine(hub: Hub, client: Client, cmd: v.VoteMine) -> v.VoteMineReply:
    # The caller's own id, never one from the command: nobody reads another panelist's ballots.
    eligible, choice = await hub.votes.choice_of(cmd.vote, client.participant.id)
    counted = choice.counted
    return v.VoteMineReply(
        vote=cmd.vote,
        eligible=eligible,
        voted=choice.voted,
        counted=None
        if counted is None
        else v.OwnBallot(
            channel=counted.channel.value,
            tracking_code=counted.tracking_code,
            received_ms=counted.received_ms,
            ranking=list(counted.ranking),
        ),
        superseded=[
            v.OwnBallot(channel=b.channel.value, tracking_code=b.tracking_code, received_ms=b.received_ms)
            for b in choice.superseded
        ],
        conflict=bool(choice.conflict),
    )


_VOTERS: dict[str, tuple[Participant, Voter]] = {}


def _voter(p: Participant) -> Voter:
    """A participant as the ballot store knows them: id and the strata turnout is counted by.
    Built once per connection's participant object, not per cast (a frozen dataclass costs a
    microsecond to build); keyed by id and checked by identity, so a participant read anew from
    the roster (another connection, a changed district) gets its own."""
    hit = _VOTERS.get(p.id)
    if hit is not None and hit[0] is p:
        return hit[1]
    if len(_VOTERS) >= 20_000:  # a bound (3,000 panelists, a few connections each), not an LRU
        _VOTERS.clear()
    voter = Voter(p.id, p.gender, p.age_band, p.district)
    _VOTERS[p.id] = (p, voter)
    return voter


@handles(v.VoteCast)
async def vote_cast(hub: Hub, client: Client, cmd: v.VoteCast) -> v.VoteCastReply:
    # The definition is read from Redis once per vote, not once per cast (it was a round trip and a
    # decode per ballot, about half the hub's CPU per cast); the cast script checks it is current.
    # The rate check is cast.lua's, in the ballot's own step (registry.RATE_IN_STORE).
    hub.votes.prefetch(cmd.vote)  # the definition's read beside the hall's (one round trip, not two)
    await hall_gate(hub, cmd.vote, client.participant.id)  # issue 14: a vote for the hall's panelists
    take = rate_take(client, "vote.cast")
    receipt = await hub.casts.cast_current(
        cmd.vote, _voter(client.participant), cmd.ranking, cmd.nonce, take=take
    )
    return _cast_done(hub, cmd, receipt)


def vote_cast_now(hub: Hub, client: Client, cmd: v.VoteCast, done: Done) -> bool:
    """``vote_cast`` from the frame's arrival, without a task: the cast is queued for the next
    batch at once and answered from the batch's own step when Redis answered, no future or loop
    turn per cast (the hub's hottest command: 3,000 in a second, docs/performance.md). False
    before the vote's definition is cached (``vote_cast`` reads it); a vote created anew
    meanwhile goes back to ``vote_cast`` too (``done(None)``)."""
    if not direct_cast_ok(hub, cmd.vote):  # issue 14: ``vote_cast`` checks the hall first
        return False

    def settle(outcome: Receipt | Exception) -> None:
        if isinstance(outcome, Receipt):
            done(_cast_done(hub, cmd, outcome))
        elif isinstance(outcome, StaleDefinition):
            hub.votes.forget(cmd.vote)
            done(None)
        else:
            done(outcome)

    return hub.casts.submit_current(
        cmd.vote,
        _voter(client.participant),
        cmd.ranking,
        cmd.nonce,
        settle,
        take=rate_take(client, "vote.cast"),
    )


DIRECT[v.VoteCast] = vote_cast_now


def _cast_done(hub: Hub, cmd: v.VoteCast, receipt: Receipt) -> v.VoteCastReply:
    """A stored cast: its vote's turnout is due (one event per vote a second), and its reply."""
    hub.turnout_dirty.add(cmd.vote)
    return v.VoteCastReply(
        vote=cmd.vote,
        tracking_code=receipt.tracking_code,
        retry=receipt.retry,
        received_ms=receipt.received_ms,
    )


@handles(v.VotePaper)
async def vote_paper(hub: Hub, client: Client, cmd: v.VotePaper) -> v.VotePaperReply:
    voter = await hub.roster.get(cmd.voter)
    if voter is None:
        raise HubError(Code.UNKNOWN_VOTER, f"no panelist {cmd.voter!r} in the roster")
    receipt = await hub.casts.cast_current(
        cmd.vote,
        _voter(voter),
        cmd.ranking,
        cmd.nonce,
        channel=Channel.PAPER,
        entered_by=client.participant.id,
        take=rate_take(client, "vote.paper"),  # the clerk's bucket (registry.RATE_IN_STORE)
    )
    hub.turnout_dirty.add(cmd.vote)
    return v.VotePaperReply(
        vote=cmd.vote, voter=voter.id, tracking_code=receipt.tracking_code, retry=receipt.retry
    )


@handles(v.VoteTurnout)
async def vote_turnout(hub: Hub, client: Client, cmd: v.VoteTurnout) -> v.VoteTurnoutReply:
    defn = await hub.votes.definition(cmd.vote)  # UNKNOWN_VOTE
    counts = await hub.votes.turnout(cmd.vote)
    eligible = await hub.votes.eligible(cmd.vote)
    table = turnout.turnout_table(defn.vote_id, eligible, await hub.roster.all(), await hub.present(), counts)
    return msgspec.convert(
        msgspec.to_builtins(table), v.VoteTurnoutReply
    )  # the rule's table, as the wire declares it


@handles(v.VoteList)
async def vote_list(hub: Hub, client: Client, cmd: v.VoteList) -> v.VoteListReply:
    who = client.participant
    out = []
    for vote_id in await hub.votes.ids():
        try:
            defn, _epoch = await hub.votes.cached_definition(vote_id)
            status = await hub.votes.status(vote_id)
        except VoteError:
            continue  # removed meanwhile
        if roles.may_see_vote(defn.eligibility, who):
            out.append(
                v.ListedVote(
                    vote=vote_id, title=defn.title, status=status.value, eligibility=defn.eligibility
                )
            )
    return v.VoteListReply(votes=out)
