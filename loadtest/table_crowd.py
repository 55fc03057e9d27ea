"""The live tables' crowd (issue 15, ``python -m loadtest.scenarios tables``): what one swarm worker's
panelists and facilitators do at their tables during a step of the table agenda.

Runs inside a ``loadtest.swarm`` worker (``op: "tables"`` sets it up with a ``TablePlan``; each
``op: "table-step"`` runs one step), on the worker's own connections. During a step every table
sends a ``table.say`` every ``message_every`` seconds (a random member of the table who is
connected; a worker holding part of a table sends its share), and each facilitator posts ``cards``
cards (``table.card``) at random instants of the step. A connection being replaced (the storm) is
passed over: another member of the table speaks, a card waits until its facilitator is back.

It also watches every event its connections receive (``SwarmPeer.watch``): an event on a table's
channel that names another table is counted (``wrong_table``: it must stay 0), the theme console's
``table.card`` events are counted (it must get every card), and every event is counted by name.

Its accounts (``TableTotals``), sent to the parent at the end (``op: "crowd"``): per table the
messages and cards acknowledged and those whose outcome is unknown (in flight when their connection
went), so that the parent can hold them against each table's record in Redis.
"""

from __future__ import annotations

import asyncio
import heapq
import random
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass
class TablePlan:
    """What the parent (``loadtest.tables_scenario``) tells a worker once."""

    meeting: str
    seats: dict[str, int]  # panelist -> their table
    facilitators: dict[str, int]  # facilitator -> the table they facilitate
    sizes: dict[int, int]  # table -> its members in the whole room (this worker holds part of them)
    message_every: float = 5.0  # seconds between two messages at one table
    cards: int = 3  # cards per table per step
    seed: int = 1


@dataclass
class TableTotals:
    """A worker's table accounts (``op: "crowd"``)."""

    sent: Counter[str] = field(default_factory=Counter)
    acked: Counter[str] = field(default_factory=Counter)
    refused: Counter[str] = field(default_factory=Counter)  # "command: code"
    skipped: Counter[str] = field(default_factory=Counter)  # nobody of the table connected all step
    said: Counter[int] = field(default_factory=Counter)  # table -> table.say acknowledged
    carded: Counter[int] = field(default_factory=Counter)  # table -> table.card acknowledged
    unsure: Counter[tuple[str, int]] = field(default_factory=Counter)  # (command, table) -> outcome unknown
    rtt: dict[str, Counter[int]] = field(default_factory=dict)  # command -> round trip histogram
    received: Counter[str] = field(default_factory=Counter)  # "event @channel kind" -> events
    wrong_table: int = 0  # events on a table's channel that name another table
    console_cards: int = 0  # table.card events the theme console received


class TableCrowd:
    """One worker's tables: ``step`` runs a step's messages and cards."""

    RETRY = 0.25  # seconds before a message or card whose senders are all reconnecting is tried again

    def __init__(self, worker: Any, plan: TablePlan, bucket: Callable[[float], int]) -> None:
        self.worker, self.plan, self.bucket = worker, plan, bucket
        self.totals = TableTotals()
        self.members: dict[int, list[int]] = {}  # table -> indexes into worker.peers (stable: a
        self.facilitator: dict[int, int] = {}  # reconnect replaces a peer at its index)
        for i, p in enumerate(worker.peers):
            t = plan.seats.get(p.participant)
            if t is not None:
                self.members.setdefault(t, []).append(i)
            f = plan.facilitators.get(p.participant)
            if f is not None:
                self.facilitator[f] = i
            p.watch = self.watch
        self.prefix = f"meeting/{plan.meeting}/table/"
        self.rng = random.Random(plan.seed * 7_919 + worker.spec.index)

    def watch(self, e: dict[str, Any]) -> None:
        ch: str = e["channel"]
        name: str = e["event"]
        if ch.startswith(self.prefix):
            self.totals.received[f"{name} @table"] += 1
            data = e.get("data")
            if isinstance(data, dict) and "table" in data and data["table"] != int(ch[len(self.prefix) :]):
                self.totals.wrong_table += 1
        else:
            kind = ch.rsplit("/", 1)[1]
            self.totals.received[f"{name} @{kind}"] += 1
            if kind == "cards" and name == "table.card":
                self.totals.console_cards += 1

    def _send(self, i: int, kind: str, table: int, cmd: dict[str, Any]) -> None:
        p = self.worker.peers[i]
        frame, fut = p.prepare(cmd)
        totals, meter = self.totals, p.meter

        def done(f: asyncio.Future[tuple[float, dict[str, Any]]]) -> None:
            if f.cancelled():
                return
            if f.exception() is not None:
                # In flight when its connection went (the storm): stored or not, the client cannot
                # know; the parent allows for it at that table.
                totals.unsure[(kind, table)] += 1
                meter.totals.cut += 1
                return
            at, msg = f.result()
            if msg["type"] != "reply":
                code = msg.get("name")
                totals.refused[f"{kind}: {code}"] += 1
                meter.error(f"{kind}: {code}")
                if code in ("unavailable", "internal"):
                    totals.unsure[(kind, table)] += 1
                return
            totals.acked[kind] += 1
            (totals.said if kind == "table.say" else totals.carded)[table] += 1
            totals.rtt.setdefault(kind, Counter())[self.bucket((at - t0) * 1000)] += 1

        fut.add_done_callback(done)
        t0 = time.perf_counter()
        p.send(frame)
        totals.sent[kind] += 1

    def _live(self, candidates: list[int]) -> list[int]:
        peers = self.worker.peers
        return [
            i
            for i in candidates
            if peers[i].live and peers[i].transport is not None and not peers[i].transport.is_closing()
        ]

    async def step(self, n: int, seconds: float) -> None:
        """One step of ``seconds``: this worker's share of every table's messages and its
        facilitators' cards, each at its instant (a heap of them, one task)."""
        plan, rng = self.plan, self.rng
        t0 = time.perf_counter()
        todo: list[tuple[float, int, str, int]] = []  # (at, tie, kind, table)
        k = 0
        for t, here in self.members.items():
            every = plan.message_every * plan.sizes[t] / len(here)
            at = rng.uniform(0, every)
            while at < seconds:
                todo.append((at, k, "table.say", t))
                k += 1
                at += every
        for t in self.facilitator:
            for at in sorted(rng.uniform(0.5, max(0.6, seconds - 0.5)) for _ in range(plan.cards)):
                todo.append((at, k, "table.card", t))
                k += 1
        heapq.heapify(todo)
        said = 0
        while todo:
            at, tie, kind, t = heapq.heappop(todo)
            delay = t0 + at - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            who = self._live(self.members[t] if kind == "table.say" else [self.facilitator[t]])
            if not who:
                if at + self.RETRY < seconds + 5:
                    heapq.heappush(todo, (at + self.RETRY, tie, kind, t))
                else:
                    self.totals.skipped[kind] += 1
                continue
            if kind == "table.say":
                said += 1
                text = f"테이블 {t}, 단계 {n}: 저는 이렇게 생각해요 {said}"
                self._send(
                    rng.choice(who),
                    kind,
                    t,
                    {"type": kind, "meeting": plan.meeting, "table": t, "text": text},
                )
            else:
                text = f"테이블 {t}의 생각 (단계 {n}, {tie})"
                self._send(who[0], kind, t, {"type": kind, "meeting": plan.meeting, "table": t, "text": text})

    def close(self) -> TableTotals:
        return self.totals
