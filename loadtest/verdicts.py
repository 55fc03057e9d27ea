"""The verdicts of the load scenarios past plenary-burst: their checks, summary figures and report
sections, from what the run measured (``loadtest.report.Run``).

Each scenario states its limits here, once, next to the check that applies them:

- ``reconnect-storm``: every panelist back, each caught up (every channel's resubscribe answered,
  the missed events in it) within ``--catch-up-target`` s of the drop; every resubscribe
  ``recovered: true``; no event missed or doubled, per channel and per client; no error (commands
  in flight at the drop fail with it and are counted apart, as ``cut``).
- ``slow-readers``: the readers' delivery lag p50 and p99 in the slow phase at most ``1 +
  --tolerance`` times the baseline's, plus 1 ms (the events' times are whole milliseconds, so a
  difference under one bucket is not a change); the writer policy must have reached some slow
  ones (a ``gap`` or a close: else the scenario did not test what it claims; a slow reader whose
  backlog still fits the kernel's socket buffers, up to 4 MiB here, never reaches the hub's 256
  KiB cap), and those must not lose or double an event while connected.
- ``capacity``: the most connections a step held with delivery lag p99 within ``--lag-limit`` and
  no error or failed connection; target 10,000 on one hub process.
- ``scaling``: plenary-burst's own checks (``loadtest.report.checks``) in every round.
- ``soak``: memory flat on every hub: the median RSS of the run's last third at most
  ``MEM_TOLERANCE`` (5%) above the second third's, and the least-squares slope of RSS over the last
  two thirds under ``SLOPE_LIMIT_MB_PER_H`` (20 MiB an hour; the first third is warm-up: the
  allocator's arenas and the caches growing to the working set). No leak: the floor (the least
  sampled value) of each hub's open fds and asyncio tasks, over the samples where it holds as many
  connections as at the start, in the last third at most ``max(10, 1% of its connections)`` above
  the second third's (the floor leaves out the commands and reconnects in flight at a sample; a
  leak raises it; the first third holds the samples before the traffic's own tasks, about 60 at
  1,000 connections, were there: a first soak compared with it and saw that, not a leak); Redis' clients likewise (slack 5). Plus every vote's casts acknowledged and
  stored, every reconnect wave back, and the basic checks (no error, no event lost or doubled).
"""

from __future__ import annotations

import argparse
import math
import statistics
from collections import Counter
from typing import Any

from loadtest.report import Check, Run, accounts, basic_checks, checks, fmt, percentile
from loadtest.swarm import SLOW_RCVBUF, Second, Totals

CAPACITY_TARGET = 10_000
MEM_TOLERANCE = 0.05
SLOPE_LIMIT_MB_PER_H = 20.0
REDIS_CLIENTS_SLACK = 5


def judge(args: argparse.Namespace, run: Run) -> None:
    """Add the scenario's verdicts to ``run.result`` (plenary-burst's are ``report.checks``)."""
    fn = {"reconnect-storm": storm, "slow-readers": slow, "capacity": capacity, "soak": soak}.get(
        run.meta["scenario"]
    )
    if fn is not None:
        cs, headline, sections = fn(args, run)
        run.result.update(checks=cs, headline=headline, sections=sections)


def _ms_as_s(ms: float) -> str:
    return fmt(ms / 1000, 2)


def storm(args: argparse.Namespace, run: Run) -> tuple[list[Check], str, list[str]]:
    basic = basic_checks(run)
    a = accounts(run)
    back = sum(t.reconnected for t in run.totals)
    catch: Counter[int] = sum((t.catch_up for t in run.totals), Counter())
    not_recovered = sum(t.not_recovered for t in run.totals)
    cut = sum(t.cut for t in run.totals)
    retried = sum(t.retried for t in run.totals)
    worst = max(catch, default=float("nan"))
    target_ms = args.catch_up_target * 1000
    p50, p99 = percentile(catch, 50), percentile(catch, 99)
    cs = [
        basic["steps"],
        basic["connected"],
        Check("everyone back", f"{a.connected:,}", f"{back:,}", back == a.connected > 0),
        Check(
            "every client caught up",
            f"within {args.catch_up_target:g} s of the drop",
            f"p50 {_ms_as_s(p50)} s, p99 {_ms_as_s(p99)} s, slowest {_ms_as_s(worst)} s",
            back == a.connected > 0 and worst <= target_ms,
        ),
        Check(
            "every resubscribe recovered", "0 `recovered: false`", f"{not_recovered:,}", not_recovered == 0
        ),
        basic["errors"],
        basic["unplanned"],
        basic["lost"],
    ]
    headline = (
        f"{back:,} back, caught up p50/p99/slowest {_ms_as_s(p50)}/{_ms_as_s(p99)}/{_ms_as_s(worst)} s"
        f" after the drop, {cut:,} commands cut by the drop"
    )
    t_drop = next((at for name, at in run.marks.items() if " dropped at once" in name), 0.0)
    t_back = next((at for name, at in run.marks.items() if " back" in name and at >= t_drop), 0.0)
    hub_ms = _cpu_ms(run, t_drop, t_back) if t_drop and t_back else float("nan")
    section = "\n".join(
        [
            "## The storm",
            "",
            "Every connection aborted at once (no closing handshake), then reconnected as protocol.md"
            " tells clients to (a random wait within 0.5 s, doubling after a failed try, up to 5 tries;"
            " at most 200 handshakes in flight per generator process), resubscribing with its last"
            " (epoch, offset) on every channel. Caught up: the last channel's reply (the missed events"
            f" in it) received; measured from the drop. {retried:,} tries failed and were tried again."
            f" {cut:,} commands in flight at the drop failed with their connection (not errors: a"
            " client retries them with the same nonce).",
            "",
            f"From the drop until all were back or `--storm-timeout` passed ({t_back - t_drop:.1f} s)"
            f" the hub used {fmt(hub_ms / 1000)} CPU-seconds, {fmt(hub_ms / max(1, back), 2)} ms per"
            " panelist back by the end (the live traffic of those already back included).",
            "",
            "| caught up within | clients |",
            "|---|---|",
            *(
                f"| {lim / 1000:g} s | {sum(n for ms, n in catch.items() if ms <= lim):,} |"
                for lim in (250, 500, 1000, 2000, 5000, 10_000)
            ),
        ]
    )
    return cs, headline, [section]


def _phase(seconds: list[Second], t0: float, t1: float) -> Second:
    s = Second(0)
    for x in seconds:
        if t0 <= x.sec and x.sec + 1 <= t1:
            s.merge(x)
    return s


def _resources(run: Run, t0: float, t1: float, name: str) -> tuple[float, float]:
    """Median CPU (% of a core) and max memory (MiB) of ``name`` over [t0, t1)."""
    rows = [r for r in run.resources if t0 <= r["sec"] < t1 and name in r]
    if not rows:
        return float("nan"), float("nan")
    cpu = sorted(r[name]["cpu"] for r in rows)
    return cpu[len(cpu) // 2], max(r[name]["mb"] for r in rows)


def _cpu_ms(run: Run, t0: float, t1: float, name: str = "hub") -> float:
    """CPU milliseconds ``name`` used in the sampled seconds ending within (t0, t1] (whole
    seconds: an estimate to a second's worth at each end, so NaN for a window under 3 s)."""
    if t1 - t0 < 3:
        return float("nan")
    return sum(r[name]["cpu"] * 10 for r in run.resources if t0 < r["sec"] <= t1 and name in r)


def slow(args: argparse.Namespace, run: Run) -> tuple[list[Check], str, list[str]]:
    basic = basic_checks(run)
    phases: dict[str, float] = run.result.get("phases", {})
    base = slowp = Second(0)
    if {"baseline", "slow", "after"} <= phases.keys():
        base = _phase(run.seconds, phases["baseline"], phases["slow"])
        slowp = _phase(run.seconds, phases["slow"], phases["after"])
    tol = args.tolerance

    def unchanged(q: float) -> Check:
        b, x = percentile(base.lag, q), percentile(slowp.lag, q)
        limit = b * (1 + tol) + 1
        return Check(
            f"readers' lag p{q:g} unchanged",
            f"≤ baseline × {1 + tol:g} + 1 ms",
            f"{fmt(x)} ms (baseline {fmt(b)} ms, limit {fmt(limit)} ms)",
            x <= limit,
        )

    st = Totals()
    for t in run.slow_totals:
        st.peers += t.peers
        st.connected += t.connected
        st.gaps += t.gaps
        st.lost += t.lost
        st.doubled += t.doubled
        st.not_recovered += t.not_recovered
        st.errors.update(t.errors)
        st.unplanned += t.unplanned
    dropped = st.unplanned  # closed by the hub (or its ping timeout), then back from their offsets
    hub: dict[str, float] = run.result.get("hub_counters", {})
    cs = [
        basic["steps"],
        basic["connected"],
        unchanged(50),
        unchanged(99),
        Check(
            "the writer policy reached the slow readers",
            "≥ 1 `gap` or close (their buffers filled)",
            f"{st.gaps:,} gaps, {dropped:,} closed by the hub, of {st.connected:,} slow readers",
            st.gaps + dropped > 0,
        ),
        Check(
            "slow readers: nothing lost or doubled while connected",
            "0 (a `gap`, then recovered)",
            f"{st.lost:,} lost in holes, {st.doubled:,} doubled, {st.not_recovered:,} not recovered",
            st.lost == st.doubled == st.not_recovered == 0,
        ),
        Check(
            "readers' " + basic["errors"].name,
            basic["errors"].target,
            basic["errors"].measured,
            basic["errors"].met,
        ),
        Check(
            "readers' " + basic["lost"].name, basic["lost"].target, basic["lost"].measured, basic["lost"].met
        ),
    ]
    rows = []
    for name, t0, t1 in (
        ("baseline (everyone reads)", phases.get("baseline", 0), phases.get("slow", 0)),
        ("slow ones stopped", phases.get("slow", 0), phases.get("after", 0)),
        ("slow ones read again", phases.get("after", 0), phases.get("end", 0)),
    ):
        ph = _phase(run.seconds, t0, t1)
        cpu, mb = _resources(run, t0, t1, "hub")
        rows.append(
            f"| {name} | {t1 - t0:.0f} | {ph.events:,} | {fmt(percentile(ph.lag, 50))} / {fmt(percentile(ph.lag, 99))}"
            f" / {fmt(percentile(ph.lag, 100))} | {sum(ph.errors.values())} | {cpu:.0f} | {mb:.0f} |"
        )
    section = "\n".join(
        [
            "## Phases (the readers)",
            "",
            f"{st.connected:,} slow readers (every {args.slow_every}th connection, a {SLOW_RCVBUF:,}-byte"
            " receive buffer asked for, sending nothing); the rest read throughout. Lag percentiles"
            " over the whole seconds of each phase.",
            "",
            "| phase | s | readers' events | lag p50 / p99 / max ms | errors | hub CPU % (median) | hub MiB (max) |",
            "|---|---|---|---|---|---|---|",
            *rows,
            "",
            "The slow readers: "
            + f"{st.gaps:,} `gap` frames received, {dropped:,} connections closed by the hub"
            f" (its `/metrics`: {hub.get('plenary_slow_aborts_total', 0):,.0f} aborted for not reading past"
            f" the cap, {hub.get('plenary_dropped_frames_total', 0):,.0f} broadcast frames dropped; the"
            " other closes: most likely the hub's 20 s ping timeout, which a stopped reader cannot answer),"
            f" {st.not_recovered:,} resubscribes not recovered, {st.lost:,} events lost in holes,"
            f" {st.doubled:,} doubled; errors {dict(st.errors.most_common(5))}.",
        ]
    )
    headline = (
        f"readers' lag p50/p99 baseline {fmt(percentile(base.lag, 50))}/{fmt(percentile(base.lag, 99))} ms,"
        f" slow phase {fmt(percentile(slowp.lag, 50))}/{fmt(percentile(slowp.lag, 99))} ms;"
        f" slow readers: {st.gaps} gaps, {dropped} closed"
    )
    return cs, headline, [section]


def capacity(args: argparse.Namespace, run: Run) -> tuple[list[Check], str, list[str]]:
    basic = basic_checks(run)
    steps: list[dict[str, Any]] = run.result.get("steps", [])
    ok = [s for s in steps if s["p99"] <= args.lag_limit and not s["errors"] and not s["failed"]]
    held = max((s["connections"] for s in ok), default=0)
    stop = run.result.get("stop", "")
    cs = [
        basic["steps"],
        Check(
            "connections held on one hub process",
            f"≥ {CAPACITY_TARGET:,} with lag p99 ≤ {args.lag_limit:g} ms, no error, no failed connection",
            f"{held:,} (ramp stopped: {stop or 'not run'})",
            held >= CAPACITY_TARGET,
        ),
    ]
    rows = []
    for s in steps:
        cpu, mb = _resources(run, s["t0"], s["t1"], "hub")
        rows.append(
            f"| {s['connections']:,} | {s['connect_s']:.1f} | {fmt(_cpu_ms(run, s['c0'], s['t0']) / s['added'], 2)}"
            f" | {s['events']:,} | {fmt(s['p50'])} / {fmt(s['p99'])}"
            f" | {s['errors']} | {s['failed']} | {cpu:.0f} | {mb:.0f} |"
        )
    section = "\n".join(
        [
            "## The ramp",
            "",
            f"Limits, stated: a step fails when the delivery lag p99 of the broadcast over its {args.hold:g} s"
            f" hold passes {args.lag_limit:g} ms, or when it has an error or a failed connection. The host"
            " shows a slide every second (`slide.show`: one event on the meeting's agenda channel, which"
            f" every connection follows). At most {args.max_connections:,} connections"
            f" ({args.workers} generator processes), steps of {args.step:,}. Hub CPU per connection:"
            " the hub's CPU over the step's connecting (handshake, `hello`, `subscribe`) divided by"
            " the connections added, the broadcast included.",
            "",
            "| connections | connect s | hub CPU ms per connection | events | lag p50 / p99 ms | errors | failed connects | hub CPU % (median) | hub MiB (max) |",
            "|---|---|---|---|---|---|---|---|---|",
            *rows,
            "",
            f"Ramp stopped: {stop or 'not run'}.",
        ]
    )
    headline = f"held {held:,} connections within the limits on one hub; ramp stopped: {stop or 'not run'}"
    return cs, headline, [section]


def scaling(
    args: argparse.Namespace, rounds: list[tuple[int, Run, list[float]]], meta: dict[str, Any]
) -> Run:
    """One report of the rounds side by side: every round's seconds, processes and steps in one
    run (rounds follow each other in time), plenary-burst's checks per round."""
    cs: list[Check] = []
    rows = []
    for n, run, hub_cpu in rounds:
        rc = checks(run)
        a = accounts(run)
        whole = run.whole()
        missed = [c.name for c in rc if not c.met]
        cs.append(
            Check(
                f"plenary-burst on {n} hub(s)",
                "every plenary-burst check met",
                f"{len(rc) - len(missed)}/{len(rc)} met"
                + (f" (missed: {', '.join(missed)})" if missed else ""),
                not missed,
            )
        )
        redis_s = sum(r["redis"]["cpu"] for r in run.resources) / 100
        lost = a.lost + sum(a.tail_lost.values())
        rows.append(
            f"| {n} | {a.connected:,} | {a.acks:,}/{a.casts:,} | {fmt(percentile(whole.ack, 50))} / {fmt(percentile(whole.ack, 99))}"
            f" | {whole.events:,} | {fmt(percentile(whole.lag, 50))} / {fmt(percentile(whole.lag, 99))}"
            f" | {sum(a.errors.values())} | {lost} / {a.doubled} | {a.results:,}"
            f" | {sum(hub_cpu):.1f} ({', '.join(f'{c:.1f}' for c in hub_cpu)}) | {redis_s:.1f} |"
        )
    section = "\n".join(
        [
            "## Side by side",
            "",
            "Each round: a fresh Redis, the same seats, plenary-burst with the panelists spread over"
            " the hubs in turn (each connects to its hub directly, no load balancer). The hubs all"
            " share one core: the rounds compare the same CPU budget split over 1, 2 and 3 processes"
            " (the cost of the split: every hub receives every event from Redis), not more cores.",
            "",
            "| hubs | connected | acks/casts | cast→ack p50 / p99 ms | events | lag p50 / p99 ms | errors | lost / doubled | result received | hub CPU s (each) | Redis CPU s |",
            "|---|---|---|---|---|---|---|---|---|---|---|",
            *rows,
        ]
    )
    first = rounds[0][1]
    merged = Run(
        meta=meta,
        seconds=[s for _, r, _ in rounds for s in r.seconds],
        totals=[t for _, r, _ in rounds for t in r.totals],
        resources=[x for _, r, _ in rounds for x in r.resources],
        marks=first.marks,
        result={
            "problems": [p for _, r, _ in rounds for p in r.result.get("problems", [])],
            "checks": cs,
            "sections": [section],
            "headline_only": True,
            "headline": " · ".join(
                f"{n} hub(s): cast→ack p99 {fmt(percentile(r.whole().ack, 99))} ms,"
                f" lag p99 {fmt(percentile(r.whole().lag, 99))} ms, hub CPU {sum(c):.1f} s"
                for n, r, c in rounds
            ),
        },
        targets=first.targets,
    )
    return merged


# -- soak -------------------------------------------------------------------------------------------
def _thirds(samples: list[dict[str, Any]], t0: float, t1: float) -> list[list[dict[str, Any]]]:
    """The samples of [t0, t1) in three equal spans of time."""
    span = (t1 - t0) / 3
    return [[x for x in samples if t0 + k * span <= x["t"] < t0 + (k + 1) * span] for k in range(3)]


def _median(xs: list[float]) -> float:
    xs = [x for x in xs if not math.isnan(x)]
    return statistics.median(xs) if xs else math.nan


def leak_slack(connections: float) -> float:
    """How far the floor of a hub's fds or tasks may rise at the same connection count: 10, or 1%
    of the connections (a reconnect's task or socket not yet collected at the sample)."""
    return max(10.0, 0.01 * connections)


def rss_slope(points: list[tuple[float, float]]) -> float:
    """Least-squares slope of (seconds, MiB), in MiB an hour (NaN under 3 points)."""
    pts = [(t, mb) for t, mb in points if not math.isnan(mb)]
    if len(pts) < 3 or len({t for t, _ in pts}) < 2:
        return math.nan
    return statistics.linear_regression([t for t, _ in pts], [mb for _, mb in pts]).slope * 3600


def soak(args: argparse.Namespace, run: Run) -> tuple[list[Check], str, list[str]]:
    basic = basic_checks(run)
    samples: list[dict[str, Any]] = run.result.get("samples", [])
    phases: dict[str, float] = run.result.get("phases", {})
    votes: list[dict[str, Any]] = run.result.get("votes", [])
    waves: list[dict[str, Any]] = run.result.get("waves", [])
    connected = run.result.get("connected", 0)
    stored: list[str] = run.result.get("stored", ["not checked"])
    t0, t1 = phases.get("go", 0.0), phases.get("end", 0.0)
    thirds = _thirds(samples, t0, t1) if t1 > t0 else [[], [], []]
    n_hubs = len(samples[0]["hubs"]) if samples else 0
    cs = [basic["steps"], basic["connected"]]
    rows, heads = [], []
    for h in range(n_hubs):
        rss = [[x["hubs"][h]["rss_mb"] for x in third] for third in thirds]
        m2, m3 = _median(rss[1]), _median(rss[2])
        slope = rss_slope([(x["t"] - t0, x["hubs"][h]["rss_mb"]) for x in thirds[1] + thirds[2]])
        flat = m3 <= m2 * (1 + MEM_TOLERANCE) and slope < SLOPE_LIMIT_MB_PER_H
        cs.append(
            Check(
                f"hub {h}: memory flat",
                f"last third's median RSS ≤ second's × {1 + MEM_TOLERANCE:g}; slope < {SLOPE_LIMIT_MB_PER_H:g} MiB/h",
                f"{fmt(m2)} → {fmt(m3)} MiB; slope {fmt(slope)} MiB/h",
                flat,
            )
        )
        # the connection count the hub held at the start, once everyone was on
        full = next(
            (x["hubs"][h]["conns"] for x in thirds[0] if not math.isnan(x["hubs"][h]["conns"])), math.nan
        )
        floors: dict[str, tuple[float, float]] = {}
        for what in ("fds", "tasks"):
            at_full = [
                [
                    x["hubs"][h][what]
                    for x in third
                    if x["hubs"][h]["conns"] == full and not math.isnan(x["hubs"][h][what])
                ]
                for third in thirds
            ]
            first, last = min(at_full[1], default=math.nan), min(at_full[2], default=math.nan)
            floors[what] = (first, last)
            slack = leak_slack(full)
            cs.append(
                Check(
                    f"hub {h}: {what} back to their floor",
                    f"last third's floor ≤ second's + {slack:g} (at {fmt(full, 0)} connections)",
                    f"{fmt(first, 0)} → {fmt(last, 0)} ({len(at_full[1])} and {len(at_full[2])} samples at that count)",
                    last <= first + slack,
                )
            )
        rows.append(
            f"| {h} | {' / '.join(fmt(_median(r)) for r in rss)} | {fmt(slope)}"
            f" | {fmt(floors['fds'][0], 0)} → {fmt(floors['fds'][1], 0)}"
            f" | {fmt(floors['tasks'][0], 0)} → {fmt(floors['tasks'][1], 0)} | {fmt(full, 0)} |"
        )
        heads.append(
            f"hub {h}: RSS {fmt(m2)}→{fmt(m3)} MiB ({fmt(slope)} MiB/h), fds {fmt(floors['fds'][0], 0)}→"
            f"{fmt(floors['fds'][1], 0)}, tasks {fmt(floors['tasks'][0], 0)}→{fmt(floors['tasks'][1], 0)}"
        )
    rc = [[x["redis_clients"] for x in third if not math.isnan(x["redis_clients"])] for third in thirds]
    rc_first, rc_last = min(rc[1], default=math.nan), min(rc[2], default=math.nan)
    cs.append(
        Check(
            "Redis clients back to their floor",
            f"last third's floor ≤ second's + {REDIS_CLIENTS_SLACK}",
            f"{fmt(rc_first, 0)} → {fmt(rc_last, 0)}",
            rc_last <= rc_first + REDIS_CLIENTS_SLACK,
        )
    )
    cs += [
        Check(
            "every cast acknowledged",
            f"{connected:,} acks in each vote",
            f"{len(votes)} votes, acks {', '.join(str(v['acks']) for v in votes) or 'none'}",
            bool(votes) and all(v["acks"] == connected for v in votes),
        ),
        Check(
            "every acknowledged cast stored once",
            "each vote's ballots in Redis = its acks",
            "yes" if not stored else "; ".join(stored),
            not stored,
        ),
        Check(
            "every reconnect wave back",
            "all within 30 s",
            f"{sum(w['all_back'] for w in waves)} of {len(waves)} waves ({sum(w['dropped'] for w in waves):,} reconnects)",
            all(w["all_back"] for w in waves),
        ),
        basic["errors"],
        basic["unplanned"],
        basic["lost"],
    ]
    redis_mb = [x["redis_mb"] for x in samples if not math.isnan(x["redis_mb"])]
    every = max(1, round(60 / args.sample_every))
    table = [
        f"| {(x['t'] - t0) / 60:.1f} | "
        + " | ".join(
            f"{fmt(hub['rss_mb'])} / {fmt(hub['fds'], 0)} / {fmt(hub['tasks'], 0)} / {fmt(hub['conns'], 0)}"
            for hub in x["hubs"]
        )
        + f" | {fmt(x['redis_mb'])} / {fmt(x['redis_clients'], 0)} |"
        for x in samples[::every] + samples[-1:]
    ]
    section = "\n".join(
        [
            "## Memory, tasks and descriptors",
            "",
            f"Sampled every {args.sample_every:g} s over {(t1 - t0) / 60:.1f} minutes ({len(samples)} samples):"
            " each hub's RSS (/proc), open fds (/proc/<pid>/fd), asyncio tasks and connections (its"
            " `/metrics`: `plenary_asyncio_tasks`, `plenary_connections`); Redis' `used_memory` and"
            f" `connected_clients`. {len(votes)} votes opened, cast by everyone, closed and published;"
            f" {len(waves)} reconnect waves of {args.reconnect_share:.0%} of the panelists. The rules:"
            f" memory flat when the last third's median RSS is within {MEM_TOLERANCE:.0%} of the"
            f" second third's and the least-squares slope over the last two thirds is under"
            f" {SLOPE_LIMIT_MB_PER_H:g} MiB an hour; no leak when the floor of fds and of tasks at the"
            " starting connection count is, in the last third, within max(10, 1% of the connections)"
            " of the second third's.",
            "",
            "| hub | RSS median MiB: thirds 1 / 2 / 3 | RSS slope MiB/h (last two thirds) | fds floor second → last third | tasks floor second → last third | connections |",
            "|---|---|---|---|---|---|",
            *rows,
            "",
            f"Redis' used memory: {fmt(redis_mb[0] if redis_mb else math.nan)} MiB at the start,"
            f" {fmt(redis_mb[-1] if redis_mb else math.nan)} MiB at the end (the chat and Q&A logs and"
            " the ballots are kept: it grows with what was said and cast).",
            "",
            "About each minute (plot: `soak.png`):",
            "",
            "| minute | "
            + " | ".join(f"hub {h}: RSS MiB / fds / tasks / connections" for h in range(n_hubs))
            + " | Redis MiB / clients |",
            "|---" * (n_hubs + 2) + "|",
            *table,
        ]
    )
    headline = "; ".join(heads) + f"; {len(votes)} votes, {len(waves)} reconnect waves"
    return cs, headline, [section]
