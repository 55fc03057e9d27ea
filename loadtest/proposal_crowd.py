"""The citizens' proposals crowd (issue 14, ``python -m loadtest.scenarios proposals``): what one swarm
worker's panelists do with proposals over a compressed hour, then the hot proposal.

Runs inside a ``loadtest.swarm`` worker (``op: "proposals"``), on the worker's own connections. Its
share of the hour (``Plan``): proposals submitted in the first 60% of ``seconds``, supports (공감)
from 5% in to the end, withdrawals as a share of the supports, comments and co-author joins
spread over the same span; then, ``hot_window`` seconds long, every panelist of the worker
supports the one proposal being presented in the plenary. Each action is drawn as a person
would act: a panelist of the meeting, a proposal that exists (learnt from the ``proposal.submitted``
events its followers receive), never one it supports already (or withdraws one it does not),
never two commands of one panelist on one proposal in flight; popular proposals drawn more often
(weight ``1/sqrt(id)``: the early ones had longer to gather support).

The rate classes (``realtime.roles.RATE_CLASSES``: ``propose``, ``proposal_support``,
``proposal_comment``) are kept per panelist by a local copy of the hub's buckets: an action its
panelist may not take now goes to another panelist (a crowd has others who press), and is counted
``held`` when none of a few may. So a ``rate_limited`` reply is a real disagreement, counted as
an unexpected error. ``conflict`` (a step that lost its race eight times: a comment or a join on a
proposal being supported meanwhile) is expected under load and counted apart.

Its accounts (``CrowdTotals``): per command the round trip (send to reply, 1 ms buckets), what was
sent and acknowledged, every refusal by code, and the tally of supports per proposal (acked
supports less acked withdrawals) that the parent holds against Redis at the end.
"""

from __future__ import annotations

import asyncio
import heapq
import math
import random
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from proposals.model import SECTIONS
from realtime.roles import COMMAND_RATES, RATE_CLASSES

EXPECTED = frozenset({"conflict"})
UNSURE = frozenset({"unavailable", "internal"})
"""Refusals after which a support may or may not be stored (the hub lost its wait on Redis)."""
"""Refusals a crowd under load may meet that are nobody's fault: counted apart, not as errors."""

SUBMIT_SHARE = 0.6  # proposals come in over the first 60% of the hour
SUPPORT_FROM = 0.05  # supports start once the first proposals are there
TRIES = 5  # panelists tried for an action before it counts as held back by the rate limits
RETRY_AFTER = 0.5  # an action with nothing to act on yet (no proposal known) is tried again after


@dataclass
class Plan:
    """One worker's share of the hour, from the parent (``loadtest.proposals_scenario``)."""

    seconds: float
    proposals: int
    supports: int
    withdrawals: int
    comments: int
    joins: int
    hot_meeting: str = ""
    hot_proposal: int = 0
    hot_window: float = 0.0
    hot_gap: float = 2.0  # between the hour and the hot phase
    seed: int = 1


@dataclass
class CrowdTotals:
    """A worker's proposal accounts, sent to the parent at the end (``op: "crowd"``)."""

    rtt: dict[str, Counter[int]] = field(default_factory=dict)  # command -> round trip histogram
    sent: Counter[str] = field(default_factory=Counter)
    acked: Counter[str] = field(default_factory=Counter)
    refused: Counter[str] = field(default_factory=Counter)  # "command: code"
    held: Counter[str] = field(default_factory=Counter)  # not sent: no panelist of a few had a token
    skipped: Counter[str] = field(default_factory=Counter)  # not sent: still nothing to act on at the end
    tally: Counter[tuple[str, int]] = field(default_factory=Counter)  # (meeting, id) -> net supports
    # (participant, meeting, id): whose support or withdrawal has an unknown outcome (no reply by
    # the end, the connection gone, `unavailable`: the script may have run); left out of ``tally``
    # and ``known``, the parent reads Redis' answer for them (``stored``)
    unknown: set[tuple[str, str, int]] = field(default_factory=set)
    known: Counter[tuple[str, str, int]] = field(default_factory=Counter)  # the same pairs' net acked
    submitted: int = 0  # proposals this worker's panelists submitted, acknowledged
    unsure_submits: int = 0  # submissions of unknown outcome (stored or not: Redis says)
    hot_rtt: Counter[int] = field(default_factory=Counter)  # the hot phase's supports apart


class Bucket:
    """The hub's token bucket for one panelist and rate class, kept on this side (engine/limits.py
    is the rule: ``rate`` tokens a second up to ``burst``; one per command)."""

    __slots__ = ("burst", "rate", "t", "tokens")

    def __init__(self, rate: float, burst: float) -> None:
        self.rate, self.burst, self.tokens, self.t = rate, burst, burst, time.monotonic()

    def take(self) -> bool:
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.t) * self.rate)
        self.t = now
        if self.tokens >= 1:
            self.tokens -= 1
            return True
        return False


def meeting_of_channel(channel: str) -> str:
    return channel.split("/")[1]


class Crowd:
    """One worker's panelists acting on proposals (the module's docstring)."""

    def __init__(
        self, worker: Any, plan: Plan, meeting_of: dict[str, str], ms_bucket: Callable[[float], int]
    ) -> None:
        """``worker``: the ``loadtest.swarm.Worker`` it runs in (its ``peers``, ``spec``), which
        passes its histogram's ``ms_bucket`` too (this module is imported by the swarm's)."""
        self.w = worker
        self.plan = plan
        self.meeting_of = meeting_of  # participant -> its topic meeting
        self.totals = CrowdTotals()
        self.rng = random.Random(plan.seed * 7_919 + worker.spec.index)
        self.known: dict[str, int] = {}  # meeting -> highest proposal id seen
        self.supports: dict[str, set[tuple[str, int]]] = {}  # participant -> acked supports
        self.busy: set[tuple[str, str, int]] = set()  # (participant, meeting, id) in flight
        self.counting: set[tuple[str, str, int]] = set()  # of those, supports and withdrawals
        self.submitting = 0  # submissions in flight
        self.authored: dict[str, set[tuple[str, int]]] = {}  # participant -> proposals it is an author of
        self.submitters: set[str] = set()
        self.buckets: dict[tuple[str, str], Bucket] = {}
        self.k = 0
        self.ms_bucket = ms_bucket
        for p in worker.peers:
            p.watch = self.seen

    # -- what the followers see -------------------------------------------------------------------
    def seen(self, e: dict[str, Any]) -> None:
        if e["event"] == "proposal.submitted":
            m = meeting_of_channel(e["channel"])
            pid = int(e["data"]["proposal"]["id"])
            if pid > self.known.get(m, 0):
                self.known[m] = pid

    # -- the schedule -----------------------------------------------------------------------------
    def schedule(self) -> list[tuple[float, str]]:
        plan, rng = self.plan, self.rng
        t = plan.seconds
        acts = [(rng.uniform(0, SUBMIT_SHARE * t), "submit") for _ in range(plan.proposals)]
        for name, n in (("support", plan.supports), ("unsupport", plan.withdrawals),
                        ("comment", plan.comments), ("join", plan.joins)):  # fmt: skip
            acts += [(rng.uniform(SUPPORT_FROM * t, t), name) for _ in range(n)]
        return sorted(acts)

    async def run(self) -> None:
        plan = self.plan
        t0 = time.perf_counter()
        todo = self.schedule()
        heapq.heapify(todo)
        while todo:
            at, what = heapq.heappop(todo)
            delay = t0 + at - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            if self.act(what):
                continue
            if at + RETRY_AFTER < plan.seconds:
                heapq.heappush(todo, (at + RETRY_AFTER, what))  # nothing to act on yet: later
            else:
                self.totals.skipped[f"proposal.{what}"] += 1
        await asyncio.sleep(max(0.0, t0 + plan.seconds - time.perf_counter()))
        if plan.hot_window > 0 and plan.hot_proposal:
            await asyncio.sleep(plan.hot_gap)
            await self.hot()

    async def hot(self) -> None:
        """Every panelist of the worker supports the hot proposal once, at a random instant of the
        window (a person whose bucket is empty presses again a little later)."""
        plan = self.plan
        peers = list(self.w.peers)
        order = sorted((self.rng.uniform(0, plan.hot_window), i) for i in range(len(peers)))
        t0 = time.perf_counter()
        late: list[asyncio.Task[None]] = []
        for at, i in order:
            delay = t0 + at - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            p = peers[i]
            if not self.hot_press(p):
                late.append(asyncio.create_task(self.hot_later(p)))
        if late:
            await asyncio.gather(*late)

    async def hot_later(self, p: Any) -> None:
        for _ in range(30):
            await asyncio.sleep(0.5)
            if self.hot_press(p):
                return
        self.totals.held["hot support"] += 1

    def hot_press(self, p: Any) -> bool:
        plan = self.plan
        if not p.live or not self.token(p.participant, "proposal.support"):
            return False
        self.send(p, "proposal.support", plan.hot_meeting, plan.hot_proposal, hot=True)
        return True

    def doubt(self, pair: tuple[str, str, int]) -> None:
        """A support or withdrawal whose outcome this side cannot know: the pair leaves the tally
        (Redis answers for it at the end) and is not acted on again."""
        self.totals.unknown.add(pair)
        self.totals.known.pop(pair, None)
        self.supports.get(pair[0], set()).discard(pair[1:])

    def close(self) -> CrowdTotals:
        """The accounts at the end: what is still in flight has an unknown outcome; ``tally`` per
        proposal from the pairs whose every outcome is known."""
        for pair in list(self.counting):
            self.doubt(pair)
        self.totals.unsure_submits += self.submitting
        self.submitting = 0
        self.totals.tally = Counter()
        for (_, m, pid), n in self.totals.known.items():
            self.totals.tally[(m, pid)] += n
        return self.totals

    # -- one action -------------------------------------------------------------------------------
    def token(self, who: str, command: str) -> bool:
        cls = COMMAND_RATES[command]
        if cls is None:
            return True
        b = self.buckets.get((who, cls))
        if b is None:
            spec = RATE_CLASSES[cls]
            b = self.buckets[(who, cls)] = Bucket(spec.rate, spec.burst)
        return b.take()

    def pick(self, m: str, exclude: set[tuple[str, int]], who: str) -> int:
        """A proposal of meeting ``m`` (weight 1/sqrt(id)), not in ``exclude`` nor in flight for ``who``."""
        n = self.known.get(m, 0)
        ids = [
            i
            for i in range(1, n + 1)
            if (m, i) not in exclude
            and (who, m, i) not in self.busy
            and (who, m, i) not in self.totals.unknown
        ]
        if not ids:
            return 0
        return self.rng.choices(ids, weights=[1 / math.sqrt(i) for i in ids])[0]

    def act(self, what: str) -> bool:
        """One action by a panelist drawn (sent, or held back by its rate class); False when none
        of ``TRIES`` drawn had anything to act on: the caller tries it again later."""
        peers = self.w.peers
        if not peers:
            return False
        command = f"proposal.{what}"
        for _ in range(TRIES):
            p = peers[self.rng.randrange(len(peers))]
            who = p.participant
            if not p.live:
                continue
            m = self.meeting_of[who]
            pid = 0
            if what == "submit":
                if who in self.submitters:
                    continue
            elif what == "support":
                pid = self.pick(m, self.supports.get(who, set()), who)
            elif what == "unsupport":
                mine = [x for x in self.supports.get(who, set()) if x[0] == m and (who, *x) not in self.busy]
                pid = self.rng.choice(mine)[1] if mine else 0
            elif what == "comment":
                pid = self.pick(m, set(), who)
            else:  # join
                pid = self.pick(m, self.authored.get(who, set()), who)
            if what != "submit" and not pid:
                continue
            if not self.token(who, command):
                self.totals.held[command] += 1
                return True
            self.send(p, command, m, pid)
            return True
        return False

    def send(self, p: Any, command: str, m: str, pid: int, hot: bool = False) -> None:
        who, k = p.participant, self.k
        self.k += 1
        cmd: dict[str, Any] = {"type": command, "meeting": m}
        if command == "proposal.submit":
            self.submitters.add(who)
            sections = list(SECTIONS)
            cmd |= {
                "section": sections[k % len(sections)],
                "title": f"{m} 제안 {self.w.spec.index}-{k}: 동네 {k % 97}번 버스 노선 개선",
                "problem": "출퇴근 시간에 버스 배차 간격이 길어 시민들이 오래 기다립니다. " * 4,
                "action": "시는 출퇴근 시간 배차 간격을 10분 이내로 줄이고 정류장 안내를 늘려야 합니다. " * 4,
            }
        else:
            cmd["proposal"] = pid
            self.busy.add((who, m, pid))
        if command == "proposal.comment":
            cmd["text"] = f"좋은 제안입니다. 우리 동네에도 필요합니다 ({k})."
        frame, fut = p.prepare(cmd)
        meter, totals = p.meter, self.totals
        sent = time.perf_counter()
        totals.sent["hot support" if hot else command] += 1

        pair = (who, m, pid)
        counts = command in ("proposal.support", "proposal.unsupport")
        if counts:
            self.counting.add(pair)
        submits = command == "proposal.submit"
        self.submitting += submits

        def done(f: asyncio.Future[tuple[float, dict[str, Any]]]) -> None:
            self.busy.discard(pair)
            self.counting.discard(pair)
            self.submitting -= submits
            if f.cancelled() or f.exception() is not None:
                meter.totals.cut += 1
                if counts:
                    self.doubt(pair)
                totals.unsure_submits += submits
                return
            at, msg = f.result()
            name = "hot support" if hot else command
            ms = self.ms_bucket((at - sent) * 1000)
            (totals.hot_rtt if hot else totals.rtt.setdefault(command, Counter()))[ms] += 1
            if msg["type"] != "reply":
                code = str(msg.get("name"))
                totals.refused[f"{name}: {code}"] += 1
                if code not in EXPECTED:
                    meter.error(f"{name}: {code}")
                if counts and code in UNSURE:
                    self.doubt(pair)
                if code in UNSURE:
                    totals.unsure_submits += submits
                if command == "proposal.submit":
                    self.submitters.discard(who)
                return
            totals.acked[name] += 1
            r = msg["result"]
            if command == "proposal.submit":
                totals.submitted += 1
                new = int(r["proposal"]["id"])
                self.authored.setdefault(who, set()).add((m, new))
                if new > self.known.get(m, 0):
                    self.known[m] = new
            elif command == "proposal.join":
                self.authored.setdefault(who, set()).add((m, pid))
            elif command == "proposal.support" and pair not in totals.unknown:
                totals.known[pair] += 1
                self.supports.setdefault(who, set()).add((m, pid))
            elif command == "proposal.unsupport" and pair not in totals.unknown:
                totals.known[pair] -= 1
                self.supports.get(who, set()).discard((m, pid))

        fut.add_done_callback(done)
        if p.transport is None or p.transport.is_closing():
            fut.set_exception(ConnectionError("closed"))
            return
        p.send(frame)
