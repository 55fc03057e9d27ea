"""The report every load scenario ends in: ``report.md``, PNG plots and one summary line.

``write(folder, run)`` takes a ``Run`` (what the scenario measured: the swarm's merged seconds, its
workers' totals, the processes' CPU and memory each second, when each step happened, and the
scenario's own result) and writes, under ``loadtest/reports/<scenario>-<UTC time>/``:

- ``report.md``: the command and placement, the checks against the issue's targets (met/missed),
  the steps' times, and the per-second table;
- ``connections.png`` (connections, events received, casts and acks per second),
  ``latency.png`` (p50/p99 of delivery lag and of cast→ack per second),
  ``resources.png`` (CPU and memory of the hub, Redis and the swarm); the soak also ``soak.png``
  (each hub's RSS, open fds, asyncio tasks and connections, and Redis', over the run).

Plots use matplotlib's Agg backend (no display). The checks are stated once, in ``checks``.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from loadtest.swarm import Second, Totals, percentile

__all__ = ["Check", "Run", "checks", "fmt", "percentile", "write"]


def fmt(ms: float, digits: int = 1) -> str:
    return "-" if math.isnan(ms) else f"{ms:,.{digits}f}"


@dataclass
class Run:
    meta: dict[str, Any]
    seconds: list[Second]
    totals: list[Totals]
    resources: list[dict[str, Any]]  # {"sec", name: {"cpu" (% of a core), "mb"}}
    marks: dict[str, float]  # step -> time.time()
    # The scenario's: connected, final offsets, problems, eligible; a scenario past plenary-burst
    # adds its own verdicts (``loadtest.verdicts``): "checks" (a list of Check), "headline" (the
    # summary line's figures) and "sections" (markdown after the checks).
    result: dict[str, Any]
    targets: dict[str, float]
    slow_seconds: list[Second] = field(default_factory=list)  # slow-readers: the slow ones apart
    slow_totals: list[Totals] = field(default_factory=list)

    def whole(self) -> Second:
        s = Second(0)
        for x in self.seconds:
            s.merge(x)
        return s


@dataclass
class Check:
    name: str
    target: str
    measured: str
    met: bool


@dataclass
class Accounts:
    """The workers' totals added up, and the events missing at the tail of each channel."""

    panelists: int = 0
    connected: int = 0
    casts: int = 0
    acks: int = 0
    lost: int = 0
    doubled: int = 0
    gaps: int = 0
    results: int = 0
    min_turnout: int = 0
    errors: Counter[str] = field(default_factory=Counter)
    tail_lost: dict[str, int] = field(default_factory=dict)
    unplanned: int = 0  # connections lost without the scenario dropping them (loadtest.swarm)
    unplanned_back: int = 0
    unplanned_catch_up: Counter[int] = field(default_factory=Counter)


def accounts(run: Run) -> Accounts:
    a = Accounts()
    for t in run.totals:
        a.panelists += t.peers
        a.connected += t.connected
        a.casts += t.casts
        a.acks += t.acks
        a.lost += t.lost
        a.doubled += t.doubled
        a.gaps += t.gaps
        a.results += t.results
        a.errors.update(t.errors)
        a.unplanned += t.unplanned
        a.unplanned_back += t.unplanned_back
        a.unplanned_catch_up.update(t.unplanned_catch_up)
    a.min_turnout = min((t.min_turnout_events for t in run.totals if t.connected), default=0)
    final: dict[str, int] = run.result.get("final", {})
    for ch, last in final.items():
        a.tail_lost[ch] = sum(
            max(0, last - off) * n for t in run.totals for off, n in t.last.get(ch, Counter()).items()
        )
    return a


def basic_checks(run: Run) -> dict[str, Check]:
    """The rows every scenario has: its steps done, everyone connected, no error, no event lost
    or doubled (of the connections in ``run.totals``)."""
    a = accounts(run)
    problems: list[str] = run.result.get("problems", ["the scenario did not finish"])
    errors = sum(a.errors.values())
    lost = a.lost + sum(a.tail_lost.values())
    return {
        "steps": Check(
            "every step done", "in time", "yes" if not problems else "; ".join(problems), not problems
        ),
        "connected": Check(
            "connected", f"all {a.panelists:,}", f"{a.connected:,}", a.connected == a.panelists > 0
        ),
        "errors": Check(
            "errors",
            "0",
            f"{errors:,}"
            + (f" ({', '.join(f'{k} {v}' for k, v in a.errors.most_common(6))})" if errors else ""),
            errors == 0,
        ),
        "unplanned": Check(
            "every connection lost unasked came back",
            "all, from their offsets",
            f"{a.unplanned_back:,} of {a.unplanned:,} back"
            + (
                f", caught up p50/max {fmt(percentile(a.unplanned_catch_up, 50) / 1000, 2)}"
                f"/{fmt(percentile(a.unplanned_catch_up, 100) / 1000, 2)} s after the loss"
                if a.unplanned_back
                else ""
            ),
            a.unplanned_back == a.unplanned,
        ),
        "lost": Check(
            "lost or doubled events",
            "0",
            f"{lost:,} lost ({a.lost:,} in holes, {sum(a.tail_lost.values()):,} not received by the end),"
            f" {a.doubled:,} doubled",
            lost == 0 and a.doubled == 0,
        ),
    }


def checks(run: Run) -> list[Check]:
    """The scenario's verdicts: its own when it states them (``result["checks"]``), else the
    issue's targets for plenary-burst, one row each."""
    if "checks" in run.result:
        own: list[Check] = run.result["checks"]
        return own
    a = accounts(run)
    whole = run.whole()
    ack99, lag99 = percentile(whole.ack, 99), percentile(whole.lag, 99)
    stored: list[str] = run.result.get("stored", ["not checked"])
    t_ack, t_lag = run.targets["ack_p99_ms"], run.targets["lag_p99_ms"]
    basic = basic_checks(run)
    return [
        basic["steps"],
        basic["connected"],
        Check(
            "every cast acknowledged",
            f"{a.connected:,} acks",
            f"{a.acks:,} acks of {a.casts:,} casts",
            a.acks == a.casts == a.connected,
        ),
        Check(
            "every acknowledged cast stored once",
            "Redis' ballots = the receipts",
            "yes" if not stored else "; ".join(stored),
            not stored,
        ),
        Check("p99 cast→ack", f"≤ {t_ack:g} ms", f"{fmt(ack99)} ms", ack99 <= t_ack),
        Check("p99 delivery lag", f"≤ {t_lag:g} ms", f"{fmt(lag99)} ms", lag99 <= t_lag),
        basic["errors"],
        basic["unplanned"],
        basic["lost"],
        Check(
            "turnout reached everyone",
            "≥ 1 `vote.turnout` each",
            f"at least {a.min_turnout} each",
            a.min_turnout >= 1,
        ),
        Check(
            "everyone received the result", f"{a.connected:,}", f"{a.results:,}", a.results == a.connected > 0
        ),
    ]


POLICY_COUNTERS = ("plenary_slow_aborts_total", "plenary_dropped_frames_total")
"""What the hubs' ``/metrics`` say of the writer policy: connections aborted for not reading,
broadcast frames dropped for slow clients."""
BROADCAST_COUNTERS = ("plenary_frames_out_total", "plenary_events_out_total", "plenary_fanout_writes_total")
"""What the hubs' ``/metrics`` say of the broadcast: frames written, the events in them (one per
client), whose ratio says how much the coalescing hold gathered, and the writes that carried the
frames (a meeting's chat and Q&A flushed in one tick share a client's write): the fan-out's cost
is the writes' (a ``send`` each), not the events'."""


def hub_counter_lines(counters: Mapping[str, float]) -> list[str]:
    """The hubs' counters (``scenarios.HUB_COUNTERS``, summed) as the report's sentences: the
    writer policy, then the broadcast with its events per frame (what the coalescing gathered)."""
    frames, events, writes = (counters.get(name) for name in BROADCAST_COUNTERS)
    policy = {k: v for k, v in counters.items() if k not in BROADCAST_COUNTERS}
    out = [
        "The hubs' writer policy (their `/metrics`, summed): "
        + ", ".join(f"`{k}` {v:,.0f}" for k, v in policy.items())
        + "."
    ]
    if frames and events is not None:
        out.append(
            f"The hubs' broadcast: {frames:,.0f} frames written holding {events:,.0f} events,"
            f" {events / frames:.2f} events a frame (`{BROADCAST_COUNTERS[0]}`, `{BROADCAST_COUNTERS[1]}`)."
        )
        if writes:
            out[-1] += (
                f" They went out in {writes:,.0f} writes, {frames / writes:.2f} frames a write"
                f" (`{BROADCAST_COUNTERS[2]}`)."
            )
    return out


GENERATOR_BUSY = 85.0
"""The generator's median CPU, % of a core, from which a report says its figures hold its own wait:
the swarm's workers share one core (with Redis), and a swarm that has no time left reads its
sockets late, so the lag and cast→ack it measures include its own queue, not only the hub's."""


def median_cpu(run: Run, process: str) -> float | None:
    """A sampled process' median CPU over the run, % of a core (None: not sampled)."""
    cpu = sorted(r[process]["cpu"] for r in run.resources if process in r)
    return cpu[len(cpu) // 2] if cpu else None


def generator_busy(run: Run) -> str:
    """The summary's warning when the swarm was busy past :data:`GENERATOR_BUSY`, else ``""``."""
    busy = median_cpu(run, "swarm")
    if busy is None or busy < GENERATOR_BUSY:
        return ""
    return f"; the generator used {busy:.0f}% of a core (median): its own wait is in the latencies"


def summary_line(run: Run, cs: list[Check]) -> str:
    a = accounts(run)
    whole = run.whole()
    met = sum(c.met for c in cs)
    others = median_cpu(run, "others")
    noise = f"; other processes used {others:.0f}% of a core (median)" if others is not None else ""
    noise += generator_busy(run)
    verdict = f" checks {met}/{len(cs)} met" + (
        "" if met == len(cs) else f" (missed: {', '.join(c.name for c in cs if not c.met)})"
    )
    if run.result.get("headline_only"):
        return f"{run.meta['scenario']}: {run.result['headline']};{verdict}{noise}"
    head = run.result.get(
        "headline",
        f"{a.acks:,}/{a.casts:,} casts acked, cast→ack p50/p99"
        f" {fmt(percentile(whole.ack, 50))}/{fmt(percentile(whole.ack, 99))} ms",
    )
    return (
        f"{run.meta['scenario']}: {a.connected:,}/{a.panelists:,} connected, {head},"
        f" lag p50/p99 {fmt(percentile(whole.lag, 50))}/{fmt(percentile(whole.lag, 99))} ms"
        f" over {whole.events:,} events, errors {sum(a.errors.values())},"
        + (f" unplanned reconnects {a.unplanned_back}/{a.unplanned} back," if a.unplanned else "")
        + " lost"
        f" {a.lost + sum(a.tail_lost.values())}, doubled {a.doubled};{verdict}{noise}"
    )


def markdown(run: Run, cs: list[Check], summary: str, plots: list[str]) -> str:
    m = run.meta
    t0 = run.seconds[0].sec if run.seconds else 0
    lines = [
        f"# {m['scenario']}: {m['started']}",
        "",
        f"`{m['command']}`",
        "",
        f"{m['machine']}; {m['placement']}.",
        "",
        f"**{summary}**",
        "",
        "## Checks",
        "",
        "| check | target | measured | |",
        "|---|---|---|---|",
        *(f"| {c.name} | {c.target} | {c.measured} | {'met' if c.met else '**missed**'} |" for c in cs),
        "",
    ]
    for section in run.result.get("sections", []):
        lines += [section, ""]
    counters = run.result.get("hub_counters")
    if counters:
        for sentence in hub_counter_lines(counters):
            lines += [sentence, ""]
    if m.get("hub_errors"):
        lines += [
            "The hub's log has an error or a traceback: its tail is in `hub-log-tail.txt`.",
            "",
        ]
    lines += ["## Steps", "", "| t (s) | step |", "|---|---|"]
    lines += [f"| {at - t0:.1f} | {name} |" for name, at in sorted(run.marks.items(), key=lambda kv: kv[1])]
    lines += ["", "## Plots", "", *(f"![{p}]({p})" for p in plots), ""]
    lines += [
        "## Each second",
        "",
        "Lag: now less the event's `time` (the hub's Redis clock, whole ms) for every event received;"
        " cast→ack: from just before the frame is written to its reply. Percentiles from 1 ms buckets.",
        "",
        "| t (s) | connections | events | lag p50 / p99 ms | casts | acks | cast→ack p50 / p99 ms | chat | Q&A votes | errors |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for s in run.seconds:
        lines.append(
            f"| {s.sec - t0} | {s.conns:,} | {s.events:,} | {fmt(percentile(s.lag, 50), 0)} / {fmt(percentile(s.lag, 99), 0)}"
            f" | {s.casts:,} | {s.acks:,} | {fmt(percentile(s.ack, 50), 0)} / {fmt(percentile(s.ack, 99), 0)}"
            f" | {s.chat} | {s.upvotes} | {sum(s.errors.values())} |"
        )
    if run.resources:
        names = [k for k in run.resources[0] if k != "sec"]
        lines += [
            "",
            "## Processes",
            "",
            "Sampled each second. `swarm` is its worker processes together; `others` is every other"
            " process on the machine meanwhile (the box is shared: a figure measured while others ran"
            " says so here).",
            "",
            "| process | CPU % of a core: median / max | memory MiB: start / max |",
            "|---|---|---|",
        ]
        for n in names:
            cpu = sorted(r[n]["cpu"] for r in run.resources)
            mb = [r[n]["mb"] for r in run.resources]
            memory = f"{mb[0]:.0f} / {max(mb):.0f}" if any(mb) else "-"
            lines.append(f"| {n} | {cpu[len(cpu) // 2]:.0f} / {cpu[-1]:.0f} | {memory} |")
        if "hub" in names and "swarm" in names:
            events = run.whole().events
            hub_s = sum(r["hub"]["cpu"] for r in run.resources) / 100
            swarm_s = sum(r["swarm"]["cpu"] for r in run.resources) / 100
            lines += [
                "",
                f"Over the run the hub used {hub_s:.1f} CPU-seconds and the swarm {swarm_s:.1f} for"
                f" {events:,} events delivered: {1e6 * hub_s / max(1, events):.1f} µs of hub CPU per event"
                f" (connecting, commands and casts included) and {1e6 * swarm_s / max(1, events):.1f} µs of"
                " the generator's.",
            ]
    return "\n".join(lines) + "\n"


def plot(folder: Path, run: Run) -> list[str]:
    """The three PNGs; returns their file names (none when matplotlib is missing)."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return []
    if not run.seconds:
        return []
    t0 = run.seconds[0].sec
    xs = [s.sec - t0 for s in run.seconds]
    marks = [(at - t0, name) for name, at in run.marks.items() if at >= t0]
    out = []

    def steps(ax: Any) -> None:
        for x, _name in marks:
            ax.axvline(x, color="grey", lw=0.6, ls=":")

    fig, ax = plt.subplots(figsize=(9, 4))
    ax.plot(xs, [s.conns for s in run.seconds], label="connections", color="C0")
    ax.set_xlabel("s")
    ax.set_ylabel("connections")
    ax.set_ylim(bottom=0)
    ax2 = ax.twinx()
    ax2.plot(xs, [s.acks for s in run.seconds], label="acks/s", color="C2")
    ax2.plot(
        xs,
        [s.events / s.conns if s.conns > 0 else math.nan for s in run.seconds],  # none open: no rate
        label="events/s per connection",
        color="C3",
    )
    ax2.set_ylabel("per second")
    ax2.set_ylim(bottom=0)
    steps(ax)
    fig.legend(loc="upper left")
    ax.set_title(f"{run.meta['scenario']}: connections and traffic")
    fig.tight_layout()
    fig.savefig(folder / "connections.png", dpi=90)
    plt.close(fig)
    out.append("connections.png")

    fig, ax = plt.subplots(figsize=(9, 4))
    for name, key, color in (("lag", "lag", "C0"), ("cast→ack", "ack", "C1")):
        p50 = [percentile(getattr(s, key), 50) for s in run.seconds]
        p99 = [percentile(getattr(s, key), 99) for s in run.seconds]
        ax.plot(xs, p50, color=color, ls="--", label=f"{name} p50")
        ax.plot(xs, p99, color=color, label=f"{name} p99")
    ax.axhline(run.targets["lag_p99_ms"], color="red", lw=0.8, label="target p99")
    ax.set_yscale("symlog", linthresh=10)
    ax.set_ylim(bottom=0)
    ax.set_xlabel("s")
    ax.set_ylabel("ms")
    steps(ax)
    ax.legend(loc="upper left")
    ax.set_title("latency percentiles per second")
    fig.tight_layout()
    fig.savefig(folder / "latency.png", dpi=90)
    plt.close(fig)
    out.append("latency.png")

    if run.resources:
        names = [k for k in run.resources[0] if k != "sec"]
        rx = [r["sec"] - t0 for r in run.resources]
        fig, (a1, a2) = plt.subplots(2, 1, figsize=(9, 6), sharex=True)
        for n in names:
            a1.plot(rx, [r[n]["cpu"] for r in run.resources], label=n)
            if any(r[n]["mb"] for r in run.resources):  # "others" is CPU only
                a2.plot(rx, [r[n]["mb"] for r in run.resources], label=n)
        a1.set_ylabel("CPU, % of a core")
        a2.set_ylabel("memory, MiB")
        a2.set_xlabel("s")
        a1.legend(loc="upper left")
        steps(a1)
        steps(a2)
        a1.set_title("processes")
        fig.tight_layout()
        fig.savefig(folder / "resources.png", dpi=90)
        plt.close(fig)
        out.append("resources.png")
    if run.result.get("samples"):
        out.append(plot_soak(folder, run, plt, marks))
    return out


def plot_soak(folder: Path, run: Run, plt: Any, marks: list[tuple[float, str]]) -> str:
    """``soak.png``: four panels over the run's minutes, one line per hub (Redis' on the memory
    and connections panels, dashed): RSS, open fds, asyncio tasks, connections."""
    samples: list[dict[str, Any]] = run.result["samples"]
    t0 = run.seconds[0].sec
    xs = [(x["t"] - t0) / 60 for x in samples]
    fig, axes = plt.subplots(4, 1, figsize=(9, 10), sharex=True)
    panels = (
        ("rss_mb", "RSS, MiB"),
        ("fds", "open fds"),
        ("tasks", "asyncio tasks"),
        ("conns", "connections"),
    )
    for ax, (key, label) in zip(axes, panels, strict=True):
        for h in range(len(samples[0]["hubs"])):
            ax.plot(xs, [x["hubs"][h][key] for x in samples], label=f"hub {h}")
        ax.set_ylabel(label)
        ax.set_ylim(bottom=0)
        for at, _name in marks:
            ax.axvline(at / 60, color="grey", lw=0.4, ls=":")
    axes[0].plot(xs, [x["redis_mb"] for x in samples], ls="--", label="Redis used_memory")
    axes[3].plot(xs, [x["redis_clients"] for x in samples], ls="--", label="Redis clients")
    for ax in (axes[0], axes[3]):
        ax.legend(loc="lower right")
    axes[-1].set_xlabel("minutes")
    axes[0].set_title(f"{run.meta['scenario']}: the hubs over the run (dotted: votes, reconnect waves)")
    fig.tight_layout()
    fig.savefig(folder / "soak.png", dpi=90)
    plt.close(fig)
    return "soak.png"


def write(folder: Path, run: Run) -> tuple[str, bool]:
    """Write the report and print the checks (met or missed) on stdout; returns the summary line
    and whether every check was met."""
    folder.mkdir(parents=True, exist_ok=True)
    cs = checks(run)
    for c in cs:
        print(f"  {'met   ' if c.met else 'MISSED'} {c.name}: {c.measured} (target {c.target})", flush=True)
    summary = summary_line(run, cs)
    plots = plot(folder, run)
    if run.meta.get("hub_errors"):
        (folder / "hub-log-tail.txt").write_text(run.meta.get("hub_log_tail", ""), encoding="utf-8")
    (folder / "report.md").write_text(markdown(run, cs, summary, plots), encoding="utf-8")
    if run.result.get("samples"):  # the soak's raw samples: to judge again under another rule
        import json

        (folder / "samples.json").write_text(json.dumps(run.result["samples"]), encoding="utf-8")
    return f"{summary} — {folder / 'report.md'}", all(c.met for c in cs)
