"""From a meeting's proposals to a ranked vote and back (issue 14): the shortlist vote of a topic
meeting, the plenary ballot assembled from the shortlists, and what each publication does to the
proposals. Pure functions and records; ``proposals/voting.py`` reads and writes them in Redis.

Theory of operation. A vote made from proposals is an ordinary ranked vote of ``ballot/`` (no copy
of it): its definition's items are the proposals (:func:`item_id` names them), its eligibility the
meeting (a shortlist) or every panelist (the plenary). Beside the vote, in its own slot, lies an
:class:`Origin`: what the vote was made from, one :class:`Provenance` per ballot item (which
meeting, which proposal, its authors, and for a plenary item the shortlist vote and rank that
brought it). Why beside and not inside the definition: a definition's canonical bytes are hashed
into the bulletin board's genesis, every receipt and every export; a new field on
``ballot.model.Proposal`` would change the bytes (and so the hash) of every definition, past ones
included, unless encoded with ``omit_defaults``, which would also drop the empty ``description``
and ``topic`` every existing definition spells out. A side record leaves the vote's bytes alone.

When a vote with an origin is published, its strict published order (the official method's order,
ties broken by the definition's tie-break: ``resolved``) decides: for a shortlist the first
``top`` items go ``shortlisted`` (:func:`shortlisted`), for the plenary every item gets its rank
and goes ``decided`` (:func:`decided`). Each is one step per meeting, one event, guarded like
every step of ``rules.py``; each returns None when there is nothing left to do, so following a
publication twice (a host's retry, a hub that crashed in between) changes nothing the second time.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Final, Literal

import msgspec

from ballot import model as ballot
from ballot.tally import tiers_to_ids
from engine.errors import Code, HubError
from engine.roles import HOSTS
from proposals import rules
from proposals.model import SECTIONS, FromTheme, OnBallot, Person, Proposal, PState, Shortlisted
from proposals.rules import Change, View

S = PState
METHOD: Final = "schulze"
"""How a vote made from proposals is counted; ``ballot/`` holds the method, this only names it."""
MAX_ITEMS: Final = 100
"""The most items one vote holds (``ballot.rules.MAX_PROPOSALS``)."""
PLENARY_TOP: Final = 10
"""The plenary ranks its Top 10, as Seoul's 2020 assembly did."""
DECIDE: Final = rules.Rule(
    "decide",
    HOSTS,
    frozenset({S.ON_BALLOT}),
    S.DECIDED,
    "proposal.decided",
    "the plenary's result is published: each item's rank (not a command: vote.publish takes it)",
)
"""The step a plenary's publication takes; not in ``rules.RULES`` because no command of its own
takes it (``vote.publish`` does), and every row of that table is a command."""


class Provenance(msgspec.Struct, frozen=True, kw_only=True):
    """Where one ballot item came from: the meeting, the proposal and its authors when the vote was
    made, and, on the plenary ballot, the shortlist vote and the rank that brought it there."""

    item: str
    meeting: str
    proposal: int
    section: str
    title: str
    authors: tuple[Person, ...]
    shortlist: Shortlisted | None = None
    theme: FromTheme | None = None  # issue 15: the theme, its cards and their tables it was made from


class Origin(msgspec.Struct, frozen=True, kw_only=True):
    """What a vote was made from. ``shortlist``: one meeting's proposals (of ``section``, or all
    when empty); its first ``top`` go ``shortlisted`` when it is published. ``plenary``: the
    shortlisted proposals of the shortlist votes ``shortlists``."""

    kind: Literal["shortlist", "plenary"]
    vote: str
    items: tuple[Provenance, ...]
    meeting: str = ""
    section: str = ""
    top: int = 0
    shortlists: tuple[str, ...] = ()

    def by_item(self) -> dict[str, Provenance]:
        return {p.item: p for p in self.items}


def item_id(meeting: str, pid: int) -> str:
    """A proposal's id on a ballot: ``<meeting>-<n>``, within ``ballot.rules``' id rule
    (``A-Z a-z 0-9 _ -``, at most 64): a ``.`` of the meeting's id becomes ``_`` and a long id
    is cut. Two meetings whose ids differ only there would give one id twice, which the vote's
    definition refuses (``bad_vote_definition``); the item's :class:`Provenance` names the meeting,
    so nothing reads the meeting back from the id."""
    tail = f"-{pid}"
    return meeting.replace(".", "_")[: 64 - len(tail)] + tail


def _provenance(p: Proposal, shortlist: Shortlisted | None = None) -> Provenance:
    return Provenance(
        item=item_id(p.meeting, p.id),
        meeting=p.meeting,
        proposal=p.id,
        section=p.section,
        title=p.title,
        authors=p.authors,
        shortlist=shortlist,
        theme=p.theme,
    )


def _definition(
    vote: str, title: str, items: Sequence[Provenance], texts: Mapping[str, str], top: int, eligibility: str
) -> ballot.VoteDefinition:
    ids = tuple(i.item for i in items)
    return ballot.VoteDefinition(
        vote_id=vote,
        title=title,
        proposals=tuple(
            ballot.Proposal(id=i.item, title=i.title, description=texts.get(i.item, ""), topic=i.section)
            for i in items
        ),
        rule=ballot.BallotRule(kind="top_k", k=top, minimum=1),
        method=METHOD,
        tie_break=ids,
        eligibility=eligibility,
    )


# -- the shortlist vote -----------------------------------------------------------------------------
def shortlist_vote(
    vote: str,
    title: str,
    meeting: str,
    role: str,
    proposals: Iterable[Proposal],
    open_sections: Iterable[str],
    *,
    section: str = "",
    top: int,
    chosen: Sequence[int] = (),
) -> tuple[ballot.VoteDefinition, Origin]:
    """The shortlist vote of ``meeting``: its submitted proposals (of ``section``, or every section
    when empty; only ``chosen`` when given, each of them submitted) as the items, the meeting's
    panelists as the voters, each ranking up to ``top`` (what the meeting keeps), and its
    :class:`Origin`.

    Refusals: ``section_still_open`` while a section on the vote takes proposals (one submitted
    after the vote is made would miss it), ``nothing_to_shortlist``, ``bad_shortlist_size`` unless
    1 <= ``top`` <= the number of items, ``listed_twice``, ``proposal_state`` for a chosen proposal
    that is not submitted. The tie-break (which no method leaves to chance) puts more 공감 first,
    then the earlier proposal."""
    r = rules.RULES["shortlist"]
    rules.check_role(r, role)
    if section:
        rules.check_section(section)
    every = {p.id: p for p in proposals}
    if len(set(chosen)) != len(chosen):
        raise HubError(Code.LISTED_TWICE, "a proposal is named twice")
    if chosen:
        picked = []
        for pid in chosen:
            p = every.get(pid)
            if p is None:
                raise HubError(Code.NO_SUCH_PROPOSAL, f"no proposal {pid} in meeting {meeting}")
            if p.state not in r.sources:
                raise HubError(Code.PROPOSAL_STATE, f"proposal {pid} is {p.state}, not submitted")
            picked.append(p)
    else:
        picked = [p for p in every.values() if p.state in r.sources and (not section or p.section == section)]
    # the sections on the vote: the one named and the chosen proposals' own, or (all) every section
    on_vote = {section} if section else set() if chosen else set(SECTIONS)
    on_vote |= {p.section for p in picked} if chosen else set()
    still_open = sorted(on_vote & set(open_sections))
    if still_open:
        raise HubError(
            Code.SECTION_STILL_OPEN,
            f"the section(s) {', '.join(still_open)} still take proposals: close them before the shortlist vote",
        )
    if not picked:
        raise HubError(Code.NOTHING_TO_SHORTLIST, f"no submitted proposal in meeting {meeting} to shortlist")
    if len(picked) > MAX_ITEMS:
        raise HubError(
            Code.BAD_SHORTLIST_SIZE, f"at most {MAX_ITEMS} proposals on one vote (got {len(picked)})"
        )
    if not 1 <= top <= len(picked):
        raise HubError(Code.BAD_SHORTLIST_SIZE, f"keep between 1 and {len(picked)} proposals (got {top})")
    picked.sort(key=lambda p: (-p.supports, p.id))
    items = tuple(_provenance(p) for p in picked)
    texts = {i.item: p.action for i, p in zip(items, picked, strict=True)}
    defn = _definition(vote, title, items, texts, top, meeting)
    return defn, Origin(kind="shortlist", vote=vote, items=items, meeting=meeting, section=section, top=top)


def published_order(results: Mapping[str, Any], method: str) -> list[str]:
    """The strict published order of a vote's items, best first: the official method's order with
    its ties broken by the definition's tie-break (``resolved``), as the result sheet prints it."""
    strict = (results.get(method) or {}).get("resolved") or []
    return tiers_to_ids([strict], results.get("proposals") or [])[0]


def shortlisted(view: View, origin: Origin, order: Sequence[str]) -> Change | None:
    """A published shortlist vote's first ``top`` items go ``shortlisted`` with their rank (their
    place in the published order). One already shortlisted by this vote is left as it is (a
    publication followed twice); one no longer submitted (merged, returned meanwhile) is passed over
    and named in the event (``skipped``). None when nothing is left to change."""
    r = rules.RULES["shortlist"]
    where = origin.by_item()
    changed: list[Proposal] = []
    skipped: list[int] = []
    for rank, item in enumerate(order[: origin.top], start=1):
        pid = where[item].proposal
        p = view.proposals.get(pid)
        if p is None or (p.shortlist is not None and p.shortlist.vote == origin.vote):
            continue
        if p.state not in r.sources:
            skipped.append(pid)
            continue
        changed.append(
            msgspec.structs.replace(
                p,
                state=S.SHORTLISTED,
                shortlist=Shortlisted(vote=origin.vote, rank=rank),
                edit=None,
                updated=view.now,
            )
        )
    if not changed:
        return None
    return rules.saved(r.event, {"vote": origin.vote, "proposals": changed, "skipped": skipped}, changed)


# -- the plenary ballot -----------------------------------------------------------------------------
def plenary_vote(
    vote: str,
    title: str,
    role: str,
    shortlists: Sequence[tuple[Origin, Sequence[Proposal]]],
    *,
    top: int = PLENARY_TOP,
    grace_seconds: int = 0,
    shown_methods: tuple[ballot.MethodName, ...] = (),
) -> tuple[ballot.VoteDefinition, Origin]:
    """The plenary ballot (a draft) from published shortlist votes: every proposal each kept
    (``shortlisted`` by it, or already ``on_ballot`` of this very vote: a retry), by shortlist
    rank then in the order the shortlists are given; every panelist votes, ranking up to ``top``.
    ``grace_seconds`` and ``shown_methods`` as the definition's (``ballot.model``).

    ``shortlists``: each shortlist vote's :class:`Origin` and its meeting's proposals.
    Refusals: ``listed_twice`` (a shortlist vote twice), ``already_on_ballot`` (a kept proposal is
    an item of another ballot), ``nothing_to_shortlist`` (no proposal kept), ``bad_shortlist_size``."""
    rules.check_role(rules.RULES["ballot"], role)
    names = [o.vote for o, _ in shortlists]
    if len(set(names)) != len(names):
        raise HubError(Code.LISTED_TWICE, "a shortlist vote is named twice")
    kept: list[tuple[int, int, Proposal]] = []
    for n, (origin, proposals) in enumerate(shortlists):
        if origin.kind != "shortlist":
            raise HubError(Code.NOT_A_SHORTLIST, f"vote {origin.vote} is not a meeting's shortlist vote")
        for p in proposals:
            if p.shortlist is None or p.shortlist.vote != origin.vote:
                continue
            if p.ballot is not None and p.ballot.vote != vote:
                raise HubError(
                    Code.ALREADY_ON_BALLOT,
                    f"proposal {p.id} of meeting {p.meeting} is on the ballot of vote {p.ballot.vote} already",
                )
            if p.state is S.SHORTLISTED or (p.ballot is not None and p.ballot.vote == vote):
                kept.append((p.shortlist.rank, n, p))
    if not kept:
        raise HubError(Code.NOTHING_TO_SHORTLIST, "the shortlist votes kept no proposal")
    if len(kept) > MAX_ITEMS:
        raise HubError(
            Code.BAD_SHORTLIST_SIZE, f"at most {MAX_ITEMS} proposals on one vote (got {len(kept)})"
        )
    if top < 1:
        raise HubError(Code.BAD_SHORTLIST_SIZE, f"rank at least 1 proposal (got {top})")
    kept.sort(key=lambda k: (k[0], k[1]))
    items = tuple(_provenance(p, p.shortlist) for _, _, p in kept)
    texts = {i.item: p.action for i, (_, _, p) in zip(items, kept, strict=True)}
    defn = msgspec.structs.replace(
        _definition(vote, title, items, texts, min(top, len(items)), ballot.PANELISTS),
        grace_seconds=grace_seconds,
        shown_methods=shown_methods,
    )
    return defn, Origin(kind="plenary", vote=vote, items=items, shortlists=tuple(names), top=top)


def on_ballot(view: View, origin: Origin, meeting: str) -> Change | None:
    """The proposals of ``meeting`` on the plenary ballot ``origin`` go ``on_ballot`` with their
    item (rank 0 until the result). None when each is on it already (a retry)."""
    r = rules.RULES["ballot"]
    changed: list[Proposal] = []
    for prov in origin.items:
        if prov.meeting != meeting:
            continue
        p = view.proposals.get(prov.proposal)
        if p is None or (p.ballot is not None and p.ballot.vote == origin.vote):
            continue
        if p.state not in r.sources:
            raise HubError(
                Code.PROPOSAL_STATE, f"proposal {p.id} of meeting {meeting} is {p.state}, not shortlisted"
            )
        changed.append(
            msgspec.structs.replace(
                p, state=S.ON_BALLOT, ballot=OnBallot(vote=origin.vote, item=prov.item), updated=view.now
            )
        )
    if not changed:
        return None
    return rules.saved(r.event, {"vote": origin.vote, "proposals": changed}, changed)


def decided(view: View, origin: Origin, meeting: str, order: Sequence[str]) -> Change | None:
    """The plenary's result is published: each of ``meeting``'s proposals on the ballot goes
    ``decided`` with its rank (``ballot.rank``: 1 is first; the Top 10 are ranks 1 to 10). None
    when each is decided already (a publication followed twice)."""
    rank = {item: n for n, item in enumerate(order, start=1)}
    changed: list[Proposal] = []
    for prov in origin.items:
        p = view.proposals.get(prov.proposal)
        if prov.meeting != meeting or p is None or p.ballot is None or p.ballot.vote != origin.vote:
            continue
        if p.state not in DECIDE.sources:
            continue
        changed.append(
            msgspec.structs.replace(
                p,
                state=S.DECIDED,
                ballot=msgspec.structs.replace(p.ballot, rank=rank.get(prov.item, 0)),
                updated=view.now,
            )
        )
    if not changed:
        return None
    return rules.saved(DECIDE.event, {"vote": origin.vote, "proposals": changed}, changed)
