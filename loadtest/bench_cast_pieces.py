"""The cast path's per-cast pieces, each timed alone in thread CPU time: the way they were before
the fifth pass (docs/performance.md, "Issue 11: the cast path, fifth pass") beside the way they
are now. Why a bench of pieces: each lever is worth about a microsecond of a cast's 130-160, far
inside the round-to-round spread of ``loadtest.bench_cast``; timed alone, in CPU time, pinned, the
other processes on the machine barely move them.

    taskset -c 0 python -m loadtest.bench_cast_pieces [--n 200000] [--repeats 5]

Prints each piece's median [min-max] in µs per cast. A few seconds; nothing it starts outlives it.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from collections.abc import Callable
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram

from ballot import rules
from ballot.model import BallotRule, Proposal, VoteDefinition
from ballot.store import Voter
from engine.limits import Take
from engine.roles import Role
from panel.roster import Participant
from realtime import roles
from realtime.commands import registry
from realtime.commands.vote import _voter
from realtime.ops.metrics import PlainCounter, PlainHistogram

BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5)


def timed(fn: Callable[[], None], n: int, repeats: int) -> str:
    runs = []
    for _ in range(repeats):
        t = time.thread_time()
        fn()
        runs.append((time.thread_time() - t) / n * 1e6)
    return f"{statistics.median(runs):.2f} [{min(runs):.2f}-{max(runs):.2f}]"


def metrics_pieces(n: int) -> tuple[Callable[[], None], Callable[[], None]]:
    """What a cast counts: a frame in, the command's outcome, the ack's latency."""
    theirs, ours = CollectorRegistry(), CollectorRegistry()
    frames = Counter("f_total", "f", registry=theirs)
    outcome = Counter("c_total", "c", ["command", "outcome"], registry=theirs).labels("vote.cast", "ok")
    ack = Histogram("h", "h", buckets=BUCKETS, registry=theirs)
    p_frames = PlainCounter("f_total", "f", registry=ours)
    p_outcome = PlainCounter("c_total", "c", ["command", "outcome"], registry=ours).labels("vote.cast", "ok")
    p_ack = PlainHistogram("h", "h", buckets=BUCKETS, registry=ours)

    def before() -> None:
        for _ in range(n):
            frames.inc()
            outcome.inc()
            ack.observe(0.004)

    def after() -> None:
        for _ in range(n):
            p_frames.inc()
            p_outcome.inc()
            p_ack.observe(0.004)

    return before, after


async def settle_pieces(n: int, repeats: int) -> tuple[str, str]:
    """A cast settled through a future and its done-callback (a turn of the loop each), against
    the batch calling each cast's ``done`` itself."""
    loop = asyncio.get_running_loop()
    sink: list[Any] = []

    def via_future() -> None:
        futs = []
        for _ in range(n):
            fut = loop.create_future()
            fut.add_done_callback(lambda f: sink.append(f.result()))
            futs.append(fut)
        for fut in futs:
            fut.set_result(1)

    def via_call() -> None:
        dones = []
        for _ in range(n):

            def settle(outcome: Any) -> None:
                sink.append(outcome)

            dones.append(settle)
        for d in dones:
            d(1)

    out = []
    for fn in (via_future, via_call):
        runs = []
        for _ in range(repeats):
            sink.clear()
            t = time.thread_time()
            fn()
            while len(sink) < n:  # the futures' callbacks run on the loop's next turns
                await asyncio.sleep(0)
            runs.append((time.thread_time() - t) / n * 1e6)
        out.append(f"{statistics.median(runs):.2f} [{min(runs):.2f}-{max(runs):.2f}]")
    return out[0], out[1]


def _defn() -> VoteDefinition:
    ids = tuple(f"p{i}" for i in range(5))
    return VoteDefinition(
        vote_id="bench-1",
        title="우선 과제",
        proposals=tuple(Proposal(id=i, title=f"제안 {i}", topic="transport") for i in ids),
        rule=BallotRule(kind="rank_all"),
        method="schulze",
        tie_break=ids,
    )


def object_pieces(n: int) -> list[tuple[str, Callable[[], None], Callable[[], None]]]:
    p = Participant(id="P0001", name="n", role=Role.PANELIST, gender="f", age_band="30s", district="d")

    class _Client:
        participant = p

    client: Any = _Client()
    defn = _defn()
    ranking = ["p3", "p1", "p0", "p4", "p2"]

    def voter_before() -> None:
        for _ in range(n):
            Voter(p.id, p.gender, p.age_band, p.district)

    def voter_after() -> None:
        for _ in range(n):
            _voter(p)

    def take_before() -> None:
        for _ in range(n):
            cls = roles.rate_class("vote.cast") or ""
            Take(p.id, cls, roles.RATE_CLASSES[cls], roles.COMMAND_COST)

    def take_after() -> None:
        for _ in range(n):
            registry.rate_take(client, "vote.cast")

    def ranking_before() -> None:
        for _ in range(n):
            rules.validate_ranking(defn, ranking)

    def ranking_after() -> None:
        for _ in range(n):
            rules.check_ranking(defn, ranking)

    return [
        ("the Voter", voter_before, voter_after),
        ("the rate Take", take_before, take_after),
        ("the ranking's check", ranking_before, ranking_after),
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=200_000, help="casts per timing")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    n, repeats = args.n, args.repeats
    rows = []
    before, after = metrics_pieces(n)
    rows.append(
        ("metrics (frame in, outcome, ack histogram)", timed(before, n, repeats), timed(after, n, repeats))
    )
    try:
        import uvloop

        settled = uvloop.run(settle_pieces(n, repeats))
    except ImportError:
        settled = asyncio.run(settle_pieces(n, repeats))
    rows.append(("settling a cast (future + callback, then a call)", *settled))
    for name, b, a in object_pieces(n):
        rows.append((name, timed(b, n, repeats), timed(a, n, repeats)))
    print("| piece | before, µs/cast | after, µs/cast |")
    print("|---|---|---|")
    for name, b_s, a_s in rows:
        print(f"| {name} | {b_s} | {a_s} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
