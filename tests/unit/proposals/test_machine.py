"""Random sequences of proposal steps against the real store (Redis, ``lua/commit.lua``) and a
plain model written from the issue's words, not from the rules' code: the meeting's steps, its
shortlist votes, the plenary ballot made from published shortlists (each feeding one ballot), its
publication (every item decided, with ranks 1..n) and the city's responses to decided proposals.

After every step the store must agree with the model: each proposal's state, authors, supporters
(and its count equal to its supporters' set), comments, versions and waiting edit; a refused step
changes nothing (the channel's offset does not move); each accepted step publishes one event.
"""

from __future__ import annotations

import asyncio
import itertools
from dataclasses import dataclass, field
from typing import Any

from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from ballot.store import VoteStore
from engine import keys
from engine.channels import ChannelLog
from engine.errors import HubError
from engine.server import EmbeddedRedis
from proposals.model import MAX_AUTHORS, MAX_PER_AUTHOR, Person
from proposals.response import MAX_RESPONSES
from proposals.store import ProposalStore
from proposals.voting import ProposalVotes
from tests.support import redis_client, run_machine

PANELISTS = ["p1", "p2", "p3", "p4"]
SECTIONS = ["transport", "health"]
TITLES = ["버스", "병원", "Bus", "bus "]  # "Bus" and "bus " are one title
MOD = Person("m1", "진행")
_meetings = itertools.count()


@dataclass
class P:
    authors: list[str]
    title: str
    state: str = "submitted"
    supporters: set[str] = field(default_factory=set)
    comments: int = 0
    version: int = 1
    edit: set[str] | None = None  # the consents of a waiting edit
    merged_into: int = 0
    shortlist: tuple[str, int] | None = None  # issue 14: the shortlist vote and rank
    ballot: tuple[str, int] | None = None  # the plenary vote, and the rank once it is published (0 before)
    response: tuple[str, str, str] | None = None  # the city's last (status, department, text)
    responses: int = 0


def key(title: str) -> str:
    return " ".join(title.casefold().split())


class ProposalMachine(RuleBasedStateMachine):
    url: str = ""

    @initialize()
    def start(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.redis = redis_client(self.url)
        self.store = ProposalStore(ChannelLog(self.redis))
        self.votes = VoteStore(self.store.log)  # issue 14: the shortlist votes
        self.meeting = f"pr{next(_meetings)}"
        self.votes_made = (
            itertools.count()
        )  # not the module's: names sorted for draws must not depend on other runs
        self.ps: dict[int, P] = {}
        self.open: set[str] = set()
        self.authored: dict[str, int] = {}
        self.offset = 0
        self.published: dict[str, str] = {}  # each published shortlist vote -> the ballot it feeds, or ""
        self.ballots: dict[str, list[int]] = {}  # each plenary ballot not yet published -> its proposals
        self.sections(["transport"])

    def teardown(self) -> None:
        if hasattr(self, "loop"):
            self.loop.run_until_complete(self.redis.aclose())
            self.loop.close()

    def attempt(self, coro: Any) -> str | None:
        """Run a step: its error's name, or None; a refused step must not move the channel."""
        try:
            self.loop.run_until_complete(coro)
        except HubError as err:
            assert self.channel_offset() == self.offset, "a refused step published"
            return err.name
        self.offset += 1
        assert self.channel_offset() == self.offset, "an accepted step published not exactly one event"
        return None

    def channel_offset(self) -> int:
        meta = keys.channel_keys(keys.meeting_proposals(self.meeting)).meta
        return int(self.loop.run_until_complete(self.redis.hget(meta, "seq")) or 0)

    def pick(self, data: st.DataObject) -> int:
        if self.ps and data.draw(st.integers(0, 9)) < 9:
            return data.draw(st.sampled_from(sorted(self.ps)))
        return len(self.ps) + 1

    # -- steps ----------------------------------------------------------------------------------
    @rule(open_=st.lists(st.sampled_from(SECTIONS), max_size=2))
    def sections(self, open_: list[str]) -> None:
        assert self.attempt(self.store.set_sections(self.meeting, "moderator", open_)) is None
        self.open = set(open_)

    @rule(who=st.sampled_from(PANELISTS), section=st.sampled_from(SECTIONS), title=st.sampled_from(TITLES))
    def submit(self, who: str, section: str, title: str) -> None:
        live = {key(p.title) for p in self.ps.values() if p.state != "returned"}
        if section not in self.open:
            expected: str | None = "section_closed"
        elif key(title) in live:
            expected = "duplicate_proposal"
        elif self.authored.get(who, 0) >= MAX_PER_AUTHOR:
            expected = "too_many_proposals"
        else:
            expected = None
        got = self.attempt(
            self.store.submit(self.meeting, Person(who, who), "panelist", section, title, "문제", "할 일")
        )
        assert got == expected
        if expected is None:
            self.ps[len(self.ps) + 1] = P([who], title.strip())
            self.authored[who] = self.authored.get(who, 0) + 1

    @rule(who=st.sampled_from(PANELISTS), data=st.data())
    def join(self, who: str, data: st.DataObject) -> None:
        pid = self.pick(data)
        p = self.ps.get(pid)
        if p is None:
            expected: str | None = "no_such_proposal"
        elif p.state != "submitted":
            expected = "proposal_state"
        elif who in p.authors:
            expected = "already_an_author"
        elif len(p.authors) >= MAX_AUTHORS:
            expected = "too_many_authors"
        else:
            expected = None
        assert self.attempt(self.store.join(self.meeting, pid, Person(who, who), "panelist")) == expected
        if expected is None and p is not None:
            p.authors.append(who)

    @rule(who=st.sampled_from(PANELISTS), add=st.booleans(), data=st.data())
    def support(self, who: str, add: bool, data: st.DataObject) -> None:
        pid = self.pick(data)
        p = self.ps.get(pid)
        if p is None:
            expected: str | None = "no_such_proposal"
        elif p.state != "submitted":
            expected = "proposal_state"
        elif add and who in p.supporters:
            expected = "already_supported"
        elif not add and who not in p.supporters:
            expected = "not_supported"
        else:
            expected = None
        assert self.attempt(self.store.support(self.meeting, pid, who, "panelist", add)) == expected
        if expected is None and p is not None:
            (p.supporters.add if add else p.supporters.discard)(who)

    @rule(who=st.sampled_from(PANELISTS), data=st.data())
    def comment(self, who: str, data: st.DataObject) -> None:
        pid = self.pick(data)
        p = self.ps.get(pid)
        open_ = ("submitted", "shortlisted")  # issue 14: a shortlisted proposal is still discussed
        expected = "no_such_proposal" if p is None else None if p.state in open_ else "proposal_state"
        assert (
            self.attempt(self.store.comment(self.meeting, pid, Person(who, who), "panelist", "의견"))
            == expected
        )
        if expected is None and p is not None:
            p.comments += 1

    @rule(data=st.data())
    def merge(self, data: st.DataObject) -> None:
        src, dst = self.pick(data), self.pick(data)
        a, b = self.ps.get(src), self.ps.get(dst)
        if a is None or b is None:
            expected: str | None = "no_such_proposal"
        elif src == dst:
            expected = "bad_proposal_merge"
        elif a.state != "submitted":
            expected = "proposal_state"
        elif b.state != "submitted":
            expected = "bad_proposal_merge"
        else:
            expected = None
        assert self.attempt(self.store.merge(self.meeting, src, dst, MOD, "moderator")) == expected
        if expected is None and a is not None and b is not None:
            b.supporters |= a.supporters
            b.authors += [x for x in a.authors if x not in b.authors]
            a.supporters, a.state, a.edit, a.merged_into = set(), "merged", None, dst
            # the title stays taken, now by the proposal it joined

    @rule(data=st.data(), n=st.integers(0, 99))
    def edit(self, data: st.DataObject, n: int) -> None:
        pid = self.pick(data)
        p = self.ps.get(pid)
        expected = "no_such_proposal" if p is None else None if p.state == "submitted" else "proposal_state"
        got = self.attempt(self.store.edit(self.meeting, pid, MOD, "moderator", problem=f"고친 문제 {n}"))
        if p is not None and expected is None and got == "bad_proposal":
            return  # the same text again: an edit that changes nothing
        assert got == expected
        if expected is None and p is not None:
            p.edit = set()

    @rule(who=st.sampled_from(PANELISTS), accept=st.booleans(), data=st.data())
    def consent(self, who: str, accept: bool, data: st.DataObject) -> None:
        pid = self.pick(data)
        p = self.ps.get(pid)
        if p is None:
            expected: str | None = "no_such_proposal"
        elif p.state != "submitted":
            expected = "proposal_state"
        elif who not in p.authors:
            expected = "not_an_author"
        elif p.edit is None:
            expected = "no_edit_pending"
        else:
            expected = None
        got = self.attempt(self.store.consent(self.meeting, pid, Person(who, who), "panelist", accept))
        assert got == expected
        if expected is None and p is not None and p.edit is not None:
            p.edit.add(who)
            if not accept:
                p.edit = None
            elif set(p.authors) <= p.edit:
                p.edit, p.version = None, p.version + 1

    @rule(data=st.data())
    def return_(self, data: st.DataObject) -> None:
        pid = self.pick(data)
        p = self.ps.get(pid)
        expected = "no_such_proposal" if p is None else None if p.state == "submitted" else "proposal_state"
        assert (
            self.attempt(self.store.return_(self.meeting, pid, MOD, "moderator", "다시 써 주세요"))
            == expected
        )
        if expected is None and p is not None:
            p.state, p.edit = "returned", None

    @precondition(lambda self: any(p.state == "submitted" for p in self.ps.values()))
    @rule(top=st.integers(0, 3), close=st.integers(0, 3))
    def shortlist(self, top: int, close: int) -> None:
        """Issue 14: the meeting's shortlist vote over every section, published with no ballot, so
        its order is its tie-break: the most supported first, then the earlier. Its first ``top``
        go shortlisted in one event; a refusal stores and publishes nothing. ``top`` 0: one more
        than there are proposals (refused), else at most their number. ``close`` 0: the sections
        stay as they are (an open one refuses it), else the moderators close them first and open
        them again after, as between two rounds."""
        submitted = sorted(
            (pid for pid, p in self.ps.items() if p.state == "submitted"),
            key=lambda pid: (-len(self.ps[pid].supporters), pid),
        )
        top = min(top, len(submitted)) if top else len(submitted) + 1
        was = sorted(self.open)
        if close:
            self.sections([])
        if self.open:
            expected: str | None = "section_still_open"
        elif top > len(submitted):
            expected = "bad_shortlist_size"
        else:
            expected = None
        vote = f"{self.meeting}-s{next(self.votes_made):03d}"  # by this machine: drawn from in order

        async def through() -> None:
            made = ProposalVotes(self.votes, self.store)
            await made.shortlist(self.meeting, vote, "추리기", "moderator", top=top)
            await self.votes.open(vote, ["p1"])
            await self.votes.announce_close(vote)
            await self.votes.publish(vote)
            await made.follow(vote)
            assert await made.follow(vote) == []  # followed again: nothing doubled

        assert self.attempt(through()) == expected
        if expected is None:
            self.published[vote] = ""
        if close:
            self.sections(was)  # open again, as between two rounds
        for rank, pid in enumerate(submitted[:top] if expected is None else [], start=1):
            self.ps[pid].state, self.ps[pid].edit, self.ps[pid].shortlist = "shortlisted", None, (vote, rank)

    @precondition(lambda self: bool(self.published))
    @rule(top=st.integers(0, 3), data=st.data())
    def plenary(self, top: int, data: st.DataObject) -> None:
        """The plenary ballot from some published shortlist votes: every proposal they kept, by
        shortlist rank then in the order the votes are named, goes ``on_ballot`` in one event. A
        shortlist vote feeds one ballot: naming one that feeds another is refused; ``top`` 0 (rank
        no proposal) is refused; a refusal puts nothing on a ballot and claims no shortlist."""
        free = sorted(sv for sv, fed in self.published.items() if not fed)
        pool = free if free and data.draw(st.integers(0, 3)) else sorted(self.published)  # mostly free ones
        named = data.draw(st.lists(st.sampled_from(pool), min_size=1, max_size=3, unique=True))
        kept = sorted(
            (rank, n, pid)
            for n, sv in enumerate(named)
            for pid, p in self.ps.items()
            if p.shortlist is not None and p.shortlist[0] == sv and (rank := p.shortlist[1])
        )
        if any(self.published[sv] for sv in named):
            expected: str | None = "already_on_ballot"
        elif top < 1:
            expected = "bad_shortlist_size"
        else:
            expected = None
        vote = f"{self.meeting}-b{next(self.votes_made):03d}"
        made = ProposalVotes(self.votes, self.store)
        assert self.attempt(made.ballot(vote, "우선순위", "host", named, top=top)) == expected
        if expected is None:
            for sv in named:
                self.published[sv] = vote
            self.ballots[vote] = [pid for _, _, pid in kept]
            for pid in self.ballots[vote]:
                self.ps[pid].state, self.ps[pid].ballot = "on_ballot", (vote, 0)

    @precondition(lambda self: bool(self.ballots))
    @rule(data=st.data())
    def decide(self, data: st.DataObject) -> None:
        """The plenary vote is opened, closed and published; following it decides every proposal
        on its ballot in one event, each with its place in the published order: ranks 1..n (the
        order itself is the ballot's count, tested with the tallies), followed twice nothing more."""
        vote = data.draw(st.sampled_from(sorted(self.ballots)))

        async def through() -> None:
            await self.votes.open(vote, ["p1"])
            await self.votes.announce_close(vote)
            await self.votes.publish(vote)
            made = ProposalVotes(self.votes, self.store)
            await made.follow(vote)
            assert await made.follow(vote) == []

        assert self.attempt(through()) is None
        pids = self.ballots.pop(vote)
        page = self.loop.run_until_complete(self.store.page(self.meeting))
        ranks = {r.id: r.ballot.rank for r in page.proposals if r.id in pids and r.ballot is not None}
        assert sorted(ranks.values()) == list(range(1, len(pids) + 1)), ranks
        for pid in pids:
            self.ps[pid].state, self.ps[pid].ballot = "decided", (vote, ranks[pid])

    @precondition(lambda self: any(p.state == "decided" for p in self.ps.values()))
    @rule(
        status=st.sampled_from(["accepted", "under_review", "rejected", "maybe"]),
        department=st.sampled_from(["교통정책과", "버스정책과"]),
        text=st.sampled_from(["", "예산이 없습니다"]),
        data=st.data(),
    )
    def respond(self, status: str, department: str, text: str, data: st.DataObject) -> None:
        """The city answers a decided proposal; every answer is kept (up to a bound), the same
        answer twice is refused, a rejection needs its reason; other states are refused."""
        decided = sorted(pid for pid, q in self.ps.items() if q.state == "decided")
        pid = data.draw(st.sampled_from(decided)) if data.draw(st.integers(0, 9)) else self.pick(data)
        p = self.ps.get(pid)
        if p is None:
            expected: str | None = "no_such_proposal"
        elif p.state != "decided":
            expected = "proposal_state"
        elif status not in ("accepted", "under_review", "rejected"):
            expected = "unknown_response_status"
        elif status == "rejected" and not text:
            expected = "response_needs_reason"
        elif p.responses >= MAX_RESPONSES:
            expected = "too_many_responses"
        elif p.response == (status, department, text):
            expected = "response_unchanged"
        else:
            expected = None
        by = Person("h1", "시청")
        got = self.attempt(self.store.respond(self.meeting, pid, by, "host", status, department, text))
        assert got == expected
        if expected is None and p is not None:
            p.response, p.responses = (status, department, text), p.responses + 1

    @rule(role=st.sampled_from(["moderator", "observer", "clerk"]), data=st.data())
    def forbidden(self, role: str, data: st.DataObject) -> None:
        """A role the table leaves out is refused before anything is read or written."""
        pid = self.pick(data)
        got = self.attempt(self.store.support(self.meeting, pid, "x", role, True))
        assert got == "forbidden"

    # -- the store agrees with the model ---------------------------------------------------------------
    @invariant()
    def store_agrees_with_model(self) -> None:
        if not hasattr(self, "store"):
            return
        page = self.loop.run_until_complete(self.store.page(self.meeting))
        assert set(page.open_sections) == self.open
        assert [p.id for p in page.proposals] == sorted(self.ps)
        for rec in page.proposals:
            m = self.ps[rec.id]
            supporters = self.loop.run_until_complete(self.store.supporters(self.meeting, rec.id))
            assert rec.state == m.state
            assert [a.id for a in rec.authors] == m.authors
            assert supporters == m.supporters and rec.supports == len(supporters)
            assert rec.comments == m.comments and rec.version == m.version
            assert rec.merged_into == m.merged_into
            placed = (rec.shortlist.vote, rec.shortlist.rank) if rec.shortlist else None
            assert placed == m.shortlist
            assert ((rec.ballot.vote, rec.ballot.rank) if rec.ballot else None) == m.ballot
            got = rec.response
            assert ((str(got.status), got.department, got.text) if got else None) == m.response
            assert (rec.edit is None) == (m.edit is None)
            if rec.edit is not None and m.edit is not None:
                assert set(rec.edit.consents) == m.edit
            path = self.loop.run_until_complete(self.store.path(self.meeting, rec.id))
            detail = path.detail
            assert [v.version for v in detail.versions] == list(range(1, m.version + 1))
            assert [c.n for c in detail.comments] == list(range(1, m.comments + 1))
            assert len(path.responses) == m.responses


def test_proposal_store_follows_the_rules_on_random_step_sequences(embedded: EmbeddedRedis) -> None:
    run_machine(ProposalMachine, embedded.url, examples=35, steps=40)


class FromShortlists(ProposalMachine):
    """The same machine, started from two published shortlist votes, the first on a ballot already
    published: most sequences go on to the city's responses and to a second ballot (reached by
    chance above only after a shortlist in a closed meeting)."""

    @initialize()
    def start(self) -> None:
        super().start()
        for who, title in zip(PANELISTS, TITLES[:3], strict=False):
            self.submit(who, "transport", title)
        self.support("p4", True, _Fixed(1))
        self.shortlist(top=1, close=1)
        self.shortlist(top=2, close=1)
        first = sorted(self.published)[0]
        self.plenary(1, _Fixed(first))  # one ballot decided, the other shortlist still free
        self.decide(_Fixed(sorted(self.ballots)[0]))


class _Fixed:
    """A stand-in for ``st.data()`` in the seeding steps: each draw gives ``value`` (a list when
    a list is drawn)."""

    def __init__(self, value: Any) -> None:
        self.value = value

    def draw(self, strategy: Any) -> Any:
        return [self.value] if "lists(" in repr(strategy) else self.value


def test_the_plenary_and_the_citys_responses_follow_the_rules_on_random_step_sequences(
    embedded: EmbeddedRedis,
) -> None:
    run_machine(FromShortlists, embedded.url, examples=15, steps=25)
