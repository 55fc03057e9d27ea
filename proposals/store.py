"""A meeting's proposals in Redis: read what a step needs, let ``proposals/rules.py`` decide, commit.

Where things are, all in the slot of ``meeting/<id>/proposals`` (``engine.keys.channel_key``):

- the channel's state hash (what every member of the meeting sees, and a (re)subscribing page's
  snapshot): ``p:<id>`` one record each (``model.Proposal``), ``seq`` the last id given,
  ``sections`` the sections open for proposals;
- private keys, never in a snapshot: ``supporters:<id>`` (a set: who supports it; only counts are
  published), ``versions:<id>`` and ``comments:<id>`` (lists, for ``proposal.get`` and the record),
  ``authored`` and ``commented`` (per participant counts, the limits of ``model``), ``titles``
  (a title's key -> the proposal holding it, for duplicates).

Every step is read -> decide -> commit (``engine/commit.py``), retried when a guarded field moved
in between (another command on the same proposal), ``CONFLICT`` (retryable) after a few lost races;
supports, the hot path, are one script (``lua/support.lua``) that never retries.
Each commit publishes exactly one event on the channel, so its offset names the change.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Final

import msgspec

from engine import keys
from engine.channels import ChannelLog, Published
from engine.commit import commit
from engine.connection import raw, text
from engine.errors import Code, HubError
from proposals import response, rules
from proposals.model import CityResponse, Comment, FromTheme, Person, Proposal, PState, Version
from proposals.rules import Change, View

MAX_TRIES: Final = 8

_proposal = msgspec.msgpack.Decoder(Proposal)
_version = msgspec.msgpack.Decoder(Version)
_comment = msgspec.msgpack.Decoder(Comment)
_strings = msgspec.msgpack.Decoder(list[str])
_response = msgspec.msgpack.Decoder(CityResponse)


def now_ms() -> int:
    return int(time.time() * 1000)


@dataclass(frozen=True)
class Done:
    """A committed step: what its rule answered and where its event stands on the channel."""

    result: Any
    published: Published

    @property
    def offset(self) -> int:
        return self.published.offset


@dataclass(frozen=True)
class Need:
    """What one step reads: the proposals it names, the caller's supports of them, the whole
    supporter sets (a merge), the caller's counts (a submission, a comment), a title's holder."""

    ids: tuple[int, ...] = ()
    caller: str = ""
    supporters_of: tuple[int, ...] = ()
    counts: bool = False
    title: str = ""


@dataclass(frozen=True)
class Page:
    """A meeting's proposals for one caller: every record, the open sections, what they support."""

    proposals: list[Proposal]
    open_sections: list[str]
    supported: list[int]


@dataclass(frozen=True)
class Detail:
    """One proposal with its record: every version and comment, and whether the caller supports it."""

    proposal: Proposal
    versions: list[Version]
    comments: list[Comment]
    supported: bool


class ProposalStore:
    def __init__(self, log: ChannelLog, clock: Callable[[], int] = now_ms) -> None:
        self.log = log
        self.clock = clock

    # -- the steps ------------------------------------------------------------------------------
    async def submit(
        self,
        meeting: str,
        who: Person,
        role: str,
        section: str,
        title: str,
        problem: str,
        action: str,
        theme: FromTheme | None = None,
    ) -> Done:
        """A panelist's proposal, or with ``theme`` the theme team's made from it (issue 15)."""
        need = Need(caller=who.id, counts=True, title=rules.title_key(title))
        return await self._step(
            meeting, need, lambda v: rules.submit(v, who, role, section, title, problem, action, theme)
        )

    async def join(self, meeting: str, pid: int, who: Person, role: str) -> Done:
        return await self._step(meeting, Need(ids=(pid,)), lambda v: rules.join(v, pid, who, role))

    async def support(self, meeting: str, pid: int, who: str, role: str, add: bool = True) -> Done:
        """The hot path (thousands press at once): one script (``lua/support.lua``) that applies
        ``rules.support``'s rule with its table's states, instead of read, decide, commit, so that
        supports of one proposal never retry. ``result`` is the proposal's support count."""
        r = rules.RULES["support" if add else "unsupport"]
        rules.check_role(r, role)
        keys.check_id(meeting, "meeting")
        res = await self.log.write(
            "proposals",
            "support",
            _channel(meeting),
            keys=[_key(meeting, f"supporters:{pid}")],
            args=["1" if add else "0", pid, who, " ".join(sorted(r.sources)), r.event],
        )
        if int(res[0]) < 0:
            raise rules.refusal(text(res[1]), pid, meeting, text(res[2]))
        return Done(int(res[3]), Published(int(res[0]), text(res[1]), int(res[2])))

    async def comment(self, meeting: str, pid: int, who: Person, role: str, text_: str) -> Done:
        need = Need(ids=(pid,), caller=who.id, counts=True)
        return await self._step(meeting, need, lambda v: rules.comment(v, pid, who, role, text_))

    async def merge(self, meeting: str, pid: int, into: int, by: Person, role: str) -> Done:
        need = Need(ids=(pid, into), supporters_of=(pid, into))
        return await self._step(meeting, need, lambda v: rules.merge(v, pid, into, by, role))

    async def edit(self, meeting: str, pid: int, by: Person, role: str, **fields: str) -> Done:
        return await self._step(
            meeting, Need(ids=(pid,)), lambda v: rules.propose_edit(v, pid, by, role, **fields)
        )

    async def consent(self, meeting: str, pid: int, who: Person, role: str, accept: bool) -> Done:
        return await self._step(meeting, Need(ids=(pid,)), lambda v: rules.consent(v, pid, who, role, accept))

    async def return_(self, meeting: str, pid: int, by: Person, role: str, reason: str) -> Done:
        return await self._step(meeting, Need(ids=(pid,)), lambda v: rules.return_(v, pid, by, role, reason))

    async def set_sections(self, meeting: str, role: str, open_: Iterable[str]) -> Done:
        wanted = list(open_)
        return await self._step(meeting, Need(), lambda v: rules.set_sections(v, role, wanted))

    async def settle(
        self, meeting: str, ids: Iterable[int], decide: Callable[[View], Change | None]
    ) -> Done | None:
        """A step that may find nothing left to do (issue 14: following a vote's publication, which
        a retry or a restarted hub may follow twice): read ``ids``, decide, commit as every step;
        None, and nothing written, when ``decide`` says there is nothing to change."""
        keys.check_id(meeting, "meeting")
        need = Need(ids=tuple(ids))
        for _ in range(MAX_TRIES):
            view, stored = await self._read(meeting, need)
            change = decide(view)
            if change is None:
                return None
            published = await self._commit(meeting, change, stored)
            if published is not None:
                return Done(change.result, published)
        raise HubError(Code.CONFLICT, "too many changes to these proposals at once; try again")

    # -- reads ----------------------------------------------------------------------------------
    async def page(self, meeting: str, caller: str = "") -> Page:
        """Every proposal of the meeting by id, the open sections, and those ``caller`` supports."""
        state = keys.channel_keys(_channel(meeting)).state
        flat = await self.log.redis.hgetall(state)
        proposals: list[Proposal] = []
        sections: list[str] = []
        for k, v in flat.items():
            name = text(k)
            if name.startswith("p:"):
                proposals.append(_proposal.decode(raw(v)))
            elif name == rules.OPEN:
                sections = _strings.decode(raw(v))
        proposals.sort(key=lambda p: p.id)
        supported: list[int] = []
        if caller and proposals:
            async with self.log.redis.pipeline(transaction=False) as pipe:
                for p in proposals:
                    pipe.sismember(_key(meeting, f"supporters:{p.id}"), caller)
                found = await pipe.execute()
            supported = [p.id for p, yes in zip(proposals, found, strict=True) if yes]
        return Page(proposals, sections, supported)

    async def detail(self, meeting: str, pid: int, caller: str = "") -> Detail:
        async with self.log.redis.pipeline(transaction=True) as pipe:
            pipe.hget(keys.channel_keys(_channel(meeting)).state, rules.field_of(pid))
            pipe.lrange(_key(meeting, f"versions:{pid}"), 0, -1)
            pipe.lrange(_key(meeting, f"comments:{pid}"), 0, -1)
            pipe.sismember(_key(meeting, f"supporters:{pid}"), caller or "-")
            rec, versions, comments, supported = await pipe.execute()
        if rec is None:
            raise HubError(Code.NO_SUCH_PROPOSAL, f"no proposal {pid} in meeting {meeting}")
        return Detail(
            _proposal.decode(raw(rec)),
            [_version.decode(raw(v)) for v in versions],
            [_comment.decode(raw(c)) for c in comments],
            bool(supported) and bool(caller),
        )

    async def record(self, meeting: str) -> list[Detail]:
        """Every proposal of the meeting with its versions and comments, by id (the open record)."""
        page = await self.page(meeting)
        if not page.proposals:
            return []
        async with self.log.redis.pipeline(transaction=False) as pipe:
            for p in page.proposals:
                pipe.lrange(_key(meeting, f"versions:{p.id}"), 0, -1)
                pipe.lrange(_key(meeting, f"comments:{p.id}"), 0, -1)
            lists = await pipe.execute()
        return [
            Detail(
                p,
                [_version.decode(raw(v)) for v in lists[2 * i]],
                [_comment.decode(raw(c)) for c in lists[2 * i + 1]],
                False,
            )
            for i, p in enumerate(page.proposals)
        ]

    async def supporters(self, meeting: str, pid: int) -> set[str]:
        """Who supports a proposal: for the tests and the record's counts, never published."""
        return {text(m) for m in await self.log.redis.smembers(_key(meeting, f"supporters:{pid}"))}

    # -- read, decide, commit -------------------------------------------------------------------
    async def _step(self, meeting: str, need: Need, decide: Callable[[View], Change]) -> Done:
        keys.check_id(meeting, "meeting")
        for _ in range(MAX_TRIES):
            view, stored = await self._read(meeting, need)
            change = decide(view)  # raises to refuse: nothing written
            published = await self._commit(meeting, change, stored)
            if published is not None:
                return Done(change.result, published)
        raise HubError(Code.CONFLICT, "too many changes to this proposal at once; try again")

    async def _read(self, meeting: str, need: Need) -> tuple[View, dict[str, bytes]]:
        fields = [rules.SEQ, rules.OPEN, *(rules.field_of(i) for i in need.ids)]
        async with self.log.redis.pipeline(transaction=True) as pipe:
            pipe.hmget(keys.channel_keys(_channel(meeting)).state, fields)
            for pid in need.ids:
                pipe.sismember(_key(meeting, f"supporters:{pid}"), need.caller or "-")
            for pid in need.supporters_of:
                pipe.smembers(_key(meeting, f"supporters:{pid}"))
            if need.counts:
                pipe.hget(_key(meeting, "authored"), need.caller)
                pipe.hget(_key(meeting, "commented"), need.caller)
            if need.title:
                pipe.hget(_key(meeting, "titles"), need.title)
            out = list(await pipe.execute())
        values = out.pop(0)
        stored = {f: raw(v) for f, v in zip(fields, values, strict=True) if v is not None}
        supports = {pid: bool(out.pop(0)) and bool(need.caller) for pid in need.ids}
        supporters = {pid: frozenset(text(m) for m in out.pop(0)) for pid in need.supporters_of}
        authored = commented = 0
        if need.counts:
            authored, commented = int(out.pop(0) or 0), int(out.pop(0) or 0)
        title_of = int(out.pop(0) or 0) if need.title else 0
        seq = stored.get(rules.SEQ)
        sections = stored.get(rules.OPEN)
        view = View(
            meeting=meeting,
            now=self.clock(),
            proposals={
                pid: _proposal.decode(stored[rules.field_of(pid)])
                for pid in need.ids
                if rules.field_of(pid) in stored
            },
            open_sections=frozenset(_strings.decode(sections)) if sections else frozenset(),
            last_id=int(msgspec.msgpack.decode(seq)) if seq else 0,
            supports=supports,
            supporters=supporters,
            authored=authored,
            commented=commented,
            title_of=title_of,
        )
        return view, stored

    async def _commit(self, meeting: str, change: Change, stored: dict[str, bytes]) -> Published | None:
        return await commit(
            self.log,
            _channel(meeting),
            change.event,
            change.data,
            guards=change.guards,
            stored=stored,
            writes=change.ops,
        )

    # -- issue 14: the city's response and a proposal's path ------------------------------------
    async def respond(
        self, meeting: str, pid: int, by: Person, role: str, status: str, department: str, text_: str
    ) -> Done:
        """The city's response to a decided proposal (``proposals/response.py``), kept in the
        proposal's list of responses. Before the commit, the proposal is named in its plenary vote's
        index of responses (``index_key``): a pointer only, so one left by a step that then lost its
        race points to a record without that response, and the public route reads the records.
        ``result``: the proposal as it is now, and how many responses it has."""
        keys.check_id(meeting, "meeting")
        listed = _key(meeting, response.responses_key(pid))
        for _ in range(MAX_TRIES):
            view, stored = await self._read(meeting, Need(ids=(pid,)))
            kept = int(await self.log.redis.llen(listed))  # guarded by the record (response.respond)
            change = response.respond(view, pid, by, role, status, department, text_, kept)
            p: Proposal = change.result
            if p.ballot is not None:
                await self.log.redis.sadd(index_key(p.ballot.vote), f"{meeting}/{pid}")
            published = await self._commit(meeting, change, stored)
            if published is not None:
                return Done((p, kept + 1), published)
        raise HubError(Code.CONFLICT, "too many changes to this proposal at once; try again")

    async def path(self, meeting: str, pid: int) -> Path:
        """One proposal's whole path for its page: the record, every version, comment and response,
        and the proposals it was merged from or into (their titles link them)."""
        d = await self.detail(meeting, pid)
        p = d.proposal
        others = [*p.merged_from, *([p.merged_into] if p.merged_into else [])]
        async with self.log.redis.pipeline(transaction=False) as pipe:
            pipe.lrange(_key(meeting, response.responses_key(pid)), 0, -1)
            if others:
                pipe.hmget(keys.channel_keys(_channel(meeting)).state, [rules.field_of(i) for i in others])
            out = await pipe.execute()
        related = [_proposal.decode(raw(v)) for v in (out[1] if others else []) if v is not None]
        return Path(d, [_response.decode(raw(r)) for r in out[0]], {r.id: r for r in related})

    async def decided_responses(self, vote: str) -> list[Proposal]:
        """The proposals of a plenary vote that have the city's response, as their records are now:
        decided, on that vote's ballot, with a response (the index holds pointers, the records say)."""
        pointers = sorted(text(m) for m in await self.log.redis.smembers(index_key(vote)))
        found: list[Proposal] = []
        for pointer in pointers:
            meeting, _, pid = pointer.rpartition("/")
            rec = await self.log.redis.hget(
                keys.channel_keys(_channel(meeting)).state, rules.field_of(int(pid))
            )
            if rec is None:
                continue
            p = _proposal.decode(raw(rec))
            if p.state is PState.DECIDED and p.response is not None and p.ballot and p.ballot.vote == vote:
                found.append(p)
        return found


@dataclass(frozen=True)
class Path:
    """What a proposal's page reads (``ProposalStore.path``; ``proposals/path.py`` lays it out)."""

    detail: Detail
    responses: list[CityResponse]
    related: dict[int, Proposal]


def index_key(vote: str) -> str:
    """The set of ``<meeting>/<id>`` of a plenary vote's proposals that have the city's response,
    in the vote's slot: the public results page finds them without reading every meeting."""
    return keys.vote_key(vote, "responded")


def _channel(meeting: str) -> str:
    return keys.meeting_proposals(meeting)


def _key(meeting: str, part: str) -> str:
    return keys.channel_key(_channel(meeting), part)
