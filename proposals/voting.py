"""Votes made from proposals, in Redis (issue 14): a meeting's shortlist vote, the plenary ballot
assembled from published shortlists, and what a publication does to the proposals. The rules are
``proposals/provenance.py``; this module reads what they need, writes what they decide, in order.

Where things are: the vote itself is ``ballot/``'s (``VoteStore``), untouched; its
:class:`~proposals.provenance.Origin` is one MessagePack value at ``keys.vote_key(vote, "origin")``,
in the vote's slot, written before the vote is created (so a vote made here never exists without
its origin; an origin left by a create that never came is read by nobody and replaced by the next
attempt); the proposals' states are their meetings' (``ProposalStore``), one step per meeting.

Nothing is stored half-way: every refusal comes before the first write. The steps that follow
cross slots (the vote, then each meeting), so a crash may stop between them; each is idempotent
and a retry finishes the rest: ``create`` again with the same definition goes on, ``follow`` of a
published vote again changes only what is left.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial

import msgspec

from ballot.export import decode_export
from ballot.model import MethodName, VoteDefinition, VoteState
from ballot.rules import validate_definition
from ballot.store import VoteStore
from engine import keys
from engine.connection import raw
from engine.errors import Code, HubError
from proposals import provenance, rules
from proposals.model import Proposal
from proposals.provenance import Origin
from proposals.store import Done, ProposalStore

_origin = msgspec.msgpack.Decoder(Origin)
_enc = msgspec.msgpack.Encoder()


@dataclass(frozen=True)
class Made:
    """A vote made from proposals: its definition and origin, the offset of its creation on
    ``vote/<id>`` (None: it existed already, the same, from an earlier attempt), and the steps it
    took on the meetings' proposals (the plenary: ``on_ballot``)."""

    definition: VoteDefinition
    origin: Origin
    offset: int | None
    steps: list[Done]


class ProposalVotes:
    def __init__(self, votes: VoteStore, proposals: ProposalStore) -> None:
        self.votes = votes
        self.proposals = proposals

    async def origin(self, vote: str) -> Origin | None:
        """What ``vote`` was made from; None for a vote not made from proposals."""
        data = await self.votes.redis.get(keys.vote_key(keys.check_id(vote, "vote id"), "origin"))
        return None if data is None else _origin.decode(raw(data))

    # -- making a vote ------------------------------------------------------------------------------
    async def shortlist(
        self,
        meeting: str,
        vote: str,
        title: str,
        role: str,
        *,
        section: str = "",
        top: int,
        chosen: Sequence[int] = (),
    ) -> Made:
        """Create ``meeting``'s shortlist vote (a draft: hosts open, close and publish it as any
        vote) from its submitted proposals (``provenance.shortlist_vote``)."""
        page = await self.proposals.page(meeting)
        defn, origin = provenance.shortlist_vote(
            vote,
            title,
            meeting,
            role,
            page.proposals,
            page.open_sections,
            section=section,
            top=top,
            chosen=chosen,
        )
        return Made(defn, origin, await self._create(defn, origin), [])

    async def ballot(
        self,
        vote: str,
        title: str,
        role: str,
        shortlists: Sequence[str],
        *,
        top: int = provenance.PLENARY_TOP,
        grace_seconds: int = 0,
        shown_methods: tuple[MethodName, ...] = (),
    ) -> Made:
        """Assemble the plenary ballot (a draft) from the published shortlist votes ``shortlists``
        and put its proposals ``on_ballot``. A shortlist vote published while a hub was down
        (its proposals not yet ``shortlisted``) is followed first."""
        rules.check_role(rules.RULES["ballot"], role)  # before anything, the follow-ups below included
        if len(set(shortlists)) != len(shortlists):
            raise HubError(Code.LISTED_TWICE, "a shortlist vote is named twice")
        read: list[tuple[Origin, list[Proposal]]] = []
        for sv in shortlists:
            origin = await self.origin(sv)
            if origin is None or origin.kind != "shortlist":
                raise HubError(Code.NOT_A_SHORTLIST, f"vote {sv} was not made from a meeting's proposals")
            if await self.votes.status(sv) is not VoteState.PUBLISHED:
                raise HubError(Code.SHORTLIST_NOT_PUBLISHED, f"the shortlist vote {sv} is not published yet")
            read.append((origin, []))
        for origin, _ in read:  # refusals first (above): following a published vote is its due anyway
            await self.follow(origin.vote)
        claimed = await self._claim(vote, [o.vote for o, _ in read])
        try:
            read = [(o, (await self.proposals.page(o.meeting)).proposals) for o, _ in read]
            defn, origin = provenance.plenary_vote(
                vote, title, role, read, top=top, grace_seconds=grace_seconds, shown_methods=shown_methods
            )
            offset = await self._create(defn, origin)
        except HubError:
            await self._unclaim(claimed)  # a refusal: nothing stored half-way, the shortlists free
            raise
        steps = []
        for meeting in dict.fromkeys(i.meeting for i in origin.items):
            ids = [i.proposal for i in origin.items if i.meeting == meeting]
            done = await self.proposals.settle(
                meeting, ids, partial(provenance.on_ballot, origin=origin, meeting=meeting)
            )
            if done is not None:
                steps.append(done)
        return Made(defn, origin, offset, steps)

    async def _claim(self, vote: str, shortlists: Sequence[str]) -> list[str]:
        """Each published shortlist vote feeds one plenary ballot: claimed for ``vote`` (``SET NX``
        in the shortlist vote's slot) before the ballot is made, so that two hosts assembling two
        ballots from one shortlist at the same moment cannot both go on (the second would find its
        proposals ``on_ballot`` already, after its vote was made). A claim of this same ``vote``
        holds (a retry after a crash or a lost reply). Refused (``already_on_ballot``): the
        claims just made are taken back. Returns the keys claimed now, for ``_unclaim``."""
        redis = self.votes.redis
        made: list[str] = []
        for sv in shortlists:
            key = keys.vote_key(sv, "claimed_by")
            if await redis.set(key, vote, nx=True):
                made.append(key)
                continue
            got = await redis.get(key)
            holder = got.decode() if isinstance(got, bytes) else got
            if holder is not None and holder != vote:
                await self._unclaim(made)
                raise HubError(
                    Code.ALREADY_ON_BALLOT, f"the shortlist vote {sv} feeds the plenary ballot {holder}"
                )
        return made

    async def _unclaim(self, claimed: Sequence[str]) -> None:
        for key in claimed:
            await self.votes.redis.delete(key)

    async def _create(self, defn: VoteDefinition, origin: Origin) -> int | None:
        """The origin, then the vote. The same vote made before (a retry after a crash or a lost
        reply): None, and nothing changes. Another vote with this id: ``bad_transition``."""
        vote = defn.vote_id
        validate_definition(defn)  # its refusal before the origin is written: nothing half-way
        keys.check_id(vote, "vote id")
        written = await self.proposals.log.scripts.call(
            "proposals",
            "origin",
            [keys.vote_key(vote, "definition"), keys.vote_key(vote, "origin")],
            [_enc.encode(origin)],
        )
        exists = not int(written)
        if exists:
            if await self.votes.definition(vote) == defn and await self.origin(vote) == origin:
                return None
            raise HubError(Code.BAD_TRANSITION, f"vote {vote!r} exists already")
        return (await self.votes.create(defn)).offset

    # -- a publication ------------------------------------------------------------------------------
    async def follow(self, vote: str) -> list[Done]:
        """What the publication of ``vote`` does to the proposals it was made from: a shortlist's
        first ``top`` go ``shortlisted``, a plenary's items ``decided`` with their ranks. Nothing for
        a vote not made from proposals, or not published. Idempotent: what was done is not redone."""
        origin = await self.origin(vote)
        if origin is None or await self.votes.status(vote) is not VoteState.PUBLISHED:
            return []
        exp = decode_export(await self.votes.export(vote))
        order = provenance.published_order(exp.results, exp.definition.method)
        steps: list[Done | None] = []
        if origin.kind == "shortlist":
            ids = [i.proposal for i in origin.items]
            steps.append(
                await self.proposals.settle(
                    origin.meeting, ids, lambda v: provenance.shortlisted(v, origin, order)
                )
            )
        else:
            for meeting in dict.fromkeys(i.meeting for i in origin.items):
                ids = [i.proposal for i in origin.items if i.meeting == meeting]
                steps.append(
                    await self.proposals.settle(
                        meeting, ids, partial(provenance.decided, origin=origin, meeting=meeting, order=order)
                    )
                )
        return [s for s in steps if s is not None]
