"""The ``proposals`` load scenario (issue 14, "Scale"): 3,000 panelists, 500 proposals and 20,000
supports in an hour, compressed into ``--minutes``; then the hot proposal.

    python -m loadtest.scenarios proposals --minutes 1            # the hour 60x compressed
    python -m loadtest.scenarios proposals --minutes 1 --proposals 83 --supports 3333 ...  # 10x
    make proposals-load ARGS='--minutes 1'

``loadtest.scenarios`` starts Redis, the hub(s) and the swarm as for every scenario; this module is
the scenario's own part: the seats (``seed``: ``--panelists`` spread over ``--meetings`` topic
meetings, ``topic-0`` ..., every one also in the plenary, every section open everywhere, and the
proposal presented in the plenary already submitted), each panelist following its topic meeting's
``meeting/<id>/proposals`` and the plenary's; the steps (``steps``: each worker's share of the hour
as a ``loadtest.proposal_crowd.Plan``, run, wound down); the checks against Redis (``stored``);
and the verdicts and report section (``verdict``).

Two phases, each measured on its own: **the hour** (submissions, supports, withdrawals, comments and
co-author joins at their rates, each event to the 300 followers of its meeting) and **the hot
proposal** (``--hot-window`` s after it: every panelist presses 공감 on the plenary's proposal
while all 3,000 follow its count).
"""

from __future__ import annotations

import argparse
import math
import time
from collections import Counter
from pathlib import Path
from typing import Any

from loadtest.proposal_crowd import CrowdTotals, Plan
from loadtest.report import Check, Run, basic_checks, fmt, percentile
from loadtest.swarm import Second

PLENARY = "plenary"
HOT_PROPOSAL = 1
TARGET_RTT_P99_MS = 250.0  # issue 11's limits for the plenary's commands and events, applied here
TARGET_LAG_P99_MS = 250.0
COMMANDS = ("proposal.submit", "proposal.support", "proposal.unsupport", "proposal.comment", "proposal.join")


def topic(i: int, meetings: int) -> str:
    return f"topic-{i % meetings}"


def seat_meetings(args: argparse.Namespace) -> dict[str, str]:
    """Each seeded panelist -> its topic meeting (in turn: ``lt-00000`` in ``topic-0`` ...)."""
    from loadtest import voters as lt

    return {lt.panelist_id(i): topic(i, args.meetings) for i in range(args.panelists)}


def channels(args: argparse.Namespace) -> list[str]:
    """Every channel followed: the plenary's proposals, then each topic meeting's."""
    from engine import keys

    return [keys.meeting_proposals(m) for m in (PLENARY, *(f"topic-{k}" for k in range(args.meetings)))]


def seat_channels(args: argparse.Namespace) -> dict[str, tuple[str, ...]]:
    from engine import keys

    plenary = keys.meeting_proposals(PLENARY)
    return {pid: (keys.meeting_proposals(m), plenary) for pid, m in seat_meetings(args).items()}


async def seed(redis_url: str, args: argparse.Namespace, tokens: Path) -> None:
    """The roster (each panelist in its topic meeting and the plenary), the meetings with every
    section open, and the plenary's hot proposal (by ``lt-00000``)."""
    import msgspec

    from engine.channels import ChannelLog
    from engine.connection import command_client
    from engine.roles import Role
    from loadtest import voters as lt
    from moderation.meetings import MeetingInfo, Meetings
    from panel.roster import Roster
    from proposals.model import SECTIONS, Person
    from proposals.store import ProposalStore

    redis = command_client(redis_url, name="scenario-seed")
    try:
        where = seat_meetings(args)
        people = [
            msgspec.structs.replace(p, meetings=[where[p.id], PLENARY]) for p in lt.panelists(args.panelists)
        ]
        people += lt.staff()
        roster = Roster(redis)
        await roster.upsert(people)
        meetings = Meetings(redis)
        store = ProposalStore(ChannelLog(redis))
        for m in (PLENARY, *(f"topic-{k}" for k in range(args.meetings))):
            await meetings.put(MeetingInfo(id=m, title=f"시민총회 {m} (load test)"))
            await store.set_sections(m, Role.HOST, list(SECTIONS))
        first = people[0]
        await store.submit(
            PLENARY, Person(first.id, first.name), Role.PANELIST, "transport",
            "발표 중인 제안: 심야 버스 확대", "밤늦게 귀가하는 시민이 탈 버스가 부족합니다.",
            "시는 심야 버스 노선을 두 배로 늘려야 합니다.",
        )  # fmt: skip
        toks = await roster.issue_tokens([p.id for p in people])
        lt.write_tokens(tokens, toks, PLENARY, lt.VOTE)
    finally:
        await redis.aclose()


def plans(args: argparse.Namespace, workers: int) -> list[Plan]:
    """Each worker's share of the counts (the remainder to the first ones)."""

    def share(n: int, w: int) -> int:
        return n // workers + (w < n % workers)

    withdrawals = round(args.supports * args.withdraw_share)
    return [
        Plan(
            seconds=args.minutes * 60,
            proposals=share(args.proposals, w),
            supports=share(args.supports, w),
            withdrawals=share(withdrawals, w),
            comments=share(args.comments, w),
            joins=share(args.joins, w),
            hot_meeting=PLENARY,
            hot_proposal=HOT_PROPOSAL,
            hot_window=args.hot_window,
            seed=w + 1,
        )
        for w in range(workers)
    ]


async def redis_memory(redis_url: str, args: argparse.Namespace) -> dict[str, int]:
    """Redis' ``used_memory`` and the bytes (``MEMORY USAGE``) of every key of the proposals channels."""
    from engine import keys
    from engine.connection import command_client

    redis = command_client(redis_url, name="scenario-memory")
    try:
        info = await redis.info("memory")
        total = n_keys = 0
        for ch in channels(args):
            async for key in redis.scan_iter(match=keys.channel_prefix(ch) + "*", count=1000):
                total += int(await redis.memory_usage(key, samples=0) or 0)
                n_keys += 1
        return {"used_memory": int(info["used_memory"]), "proposal_keys": total, "keys": n_keys}
    finally:
        await redis.aclose()


async def stored(
    redis_url: str,
    args: argparse.Namespace,
    tally: Counter[tuple[str, int]],
    unknown: set[tuple[str, str, int]],
    submitted: int,
) -> dict[str, Any]:
    """Every proposal's ``supports`` in Redis against the generator's tally (acked supports less
    acked withdrawals) and against its supporters set; the proposals against the acked submissions.

    A support or withdrawal whose outcome the generator cannot know (no reply by the end, its
    connection gone, ``unavailable``: ``CrowdTotals.unknown``) is out of the tally; Redis' own
    answer for that panelist and proposal (in the supporters set or not) is added instead, as a
    client that retried with the same step would learn it. Every other support must match exactly."""
    from engine import keys
    from engine.channels import ChannelLog
    from engine.connection import command_client
    from proposals.store import ProposalStore

    redis = command_client(redis_url, name="scenario-verify")
    try:
        store = ProposalStore(ChannelLog(redis))
        expected = Counter(tally)
        doubtful = sorted(unknown)
        if doubtful:
            async with redis.pipeline(transaction=False) as pipe:
                for who, m, pid in doubtful:
                    pipe.sismember(keys.channel_key(keys.meeting_proposals(m), f"supporters:{pid}"), who)
                found = await pipe.execute()
            for (_, m, pid), yes in zip(doubtful, found, strict=True):
                expected[(m, pid)] += int(bool(yes))
        wrong: list[str] = []
        count = supports = 0
        for m in (PLENARY, *(f"topic-{k}" for k in range(args.meetings))):
            page = await store.page(m)
            count += len(page.proposals)
            for p in page.proposals:
                supports += p.supports
                want = expected.get((m, p.id), 0)
                scard = len(await store.supporters(m, p.id))
                if p.supports != want or scard != want:
                    wrong.append(f"{m}#{p.id}: {p.supports} in the record, {scard} supporters, tally {want}")
        return {
            "proposals": count,
            "expected_proposals": submitted + 1,  # and the hot one, seeded
            "supports": supports,
            "tally": sum(expected.values()),
            "unknown": len(doubtful),
            "wrong": wrong,
        }
    finally:
        await redis.aclose()


async def steps(st: Any) -> dict[str, Any]:
    """``st``: the run's ``loadtest.scenarios.Stage`` (not imported: that module imports this one).
    Connect everyone, run the hour and the hot phase (each worker its ``Plan``), wind down,
    and check Redis against the generator's accounts."""
    import asyncio

    args, swarm, marks = st.args, st.swarm, st.marks
    swarm.listen()
    connected = await st.connected()
    memory: dict[str, dict[str, int]] = {}
    memory["before"] = await redis_memory(st.redis_url, args)
    idle = (time.time(), 0.0)
    await asyncio.sleep(args.idle)  # the hub's idle rate with everyone connected, subtracted from its CPU
    idle = (idle[0], time.time())

    phases: dict[str, tuple[float, float]] = {}
    sched: dict[str, tuple[float, float]] = {}  # phase -> the hubs' (ran, waited for a core) s

    async def run() -> None:
        swarm.tell_each([{"op": "proposals", "plan": p} for p in plans(args, len(swarm.procs))])
        t0 = time.time()
        s0 = schedstat(st.hub_pids)
        phases["hour"] = (t0, t0 + args.minutes * 60)
        marks.mark(
            f"the hour in {args.minutes:g} min: {args.proposals} proposals, {args.supports:,} supports,"
            f" {round(args.supports * args.withdraw_share):,} withdrawals, {args.comments:,} comments,"
            f" {args.joins} joins over {args.meetings} topic meetings"
        )
        await asyncio.sleep(args.minutes * 60)
        sched["hour"] = _less(schedstat(st.hub_pids), s0)
        marks.mark("the hour over")
        if args.hot_window > 0:
            await asyncio.sleep(2.0)
            t1 = phases["hour"][1] + Plan.hot_gap
            phases["hot"] = (t1, t1 + args.hot_window)
            marks.mark(f"the hot proposal: everyone presses 공감 within {args.hot_window:g} s")
            s1 = schedstat(st.hub_pids)
            await asyncio.sleep(args.hot_window)
            sched["hot"] = _less(schedstat(st.hub_pids), s1)
            await asyncio.sleep(1.0)
            marks.mark("the hot phase over")

    await st.bounded(run)
    final = await st.wind_down()
    tally: Counter[tuple[str, int]] = Counter()
    unknown: set[tuple[str, str, int]] = set()
    submitted = unsure = 0
    for c in swarm.crowd:
        tally.update(c.tally)
        unknown |= c.unknown
        submitted += c.submitted
        unsure += c.unsure_submits
    memory["after"] = await redis_memory(st.redis_url, args)
    check = await stored(st.redis_url, args, tally, unknown, submitted)
    check["unsure_submits"] = unsure
    return {
        "connected": connected,
        "final": final,
        "problems": st.problems,
        "stored": check,
        "memory": memory,
        "idle": idle,
        "phases": phases,
        "sched": sched,
        "hub_counters": st.hub_counters,
    }


def schedstat(pids: list[int]) -> tuple[float, float]:
    """Seconds the processes' threads ran on a core and waited in the run queue for one
    (``/proc/<pid>/task/*/schedstat``): on a shared machine the wait says how starved the hub was."""
    ran = waited = 0
    for pid in pids:
        for task in Path(f"/proc/{pid}/task").glob("*"):
            try:
                fields = (task / "schedstat").read_text().split()
            except OSError:
                continue
            ran, waited = ran + int(fields[0]), waited + int(fields[1])
    return ran / 1e9, waited / 1e9


def _less(a: tuple[float, float], b: tuple[float, float]) -> tuple[float, float]:
    return a[0] - b[0], a[1] - b[1]


# -- the verdicts ------------------------------------------------------------------------------------
def _merged(crowds: list[CrowdTotals]) -> CrowdTotals:
    out = CrowdTotals()
    for c in crowds:
        for name, hist in c.rtt.items():
            out.rtt.setdefault(name, Counter()).update(hist)
        out.sent.update(c.sent)
        out.acked.update(c.acked)
        out.refused.update(c.refused)
        out.held.update(c.held)
        out.skipped.update(c.skipped)
        out.tally.update(c.tally)
        out.unknown |= c.unknown
        out.submitted += c.submitted
        out.hot_rtt.update(c.hot_rtt)
    return out


def _window(run: Run, t0: float, t1: float) -> tuple[Second, float]:
    """The readers' seconds within [t0, t1) merged, and the hub's CPU-seconds over the sampled
    seconds ending within (t0, t1], less its idle rate (``--idle`` s with everyone connected)."""
    s = Second(0)
    for x in run.seconds:
        if t0 <= x.sec and x.sec + 1 <= t1:
            s.merge(x)
    rows = [r["hub"]["cpu"] / 100 for r in run.resources if t0 < r["sec"] <= t1 and "hub" in r]
    return s, max(0.0, sum(rows) - idle_rate(run) * len(rows))


def idle_rate(run: Run) -> float:
    """The hub's CPU (cores) with everyone connected and nothing happening: the least second of the
    window (a starved hub may still be working off the connections' backlog in some of them)."""
    i0, i1 = run.result.get("idle", (0.0, 0.0))
    rows = [r["hub"]["cpu"] / 100 for r in run.resources if i0 < r["sec"] <= i1 and "hub" in r]
    return min(rows, default=0.0)


def verdict(args: argparse.Namespace, run: Run, crowds: list[CrowdTotals]) -> None:
    """The scenario's checks, summary figures and report section, into ``run.result``."""
    basic = basic_checks(run)
    c = _merged(crowds)
    st: dict[str, Any] = run.result.get("stored", {})
    mem: dict[str, dict[str, int]] = run.result.get("memory", {})
    wrong: list[str] = st.get("wrong", ["not checked"])
    unsure: int = st.get("unsure_submits", 0)
    # the parent's clock: when it told the workers to start, and the plan's spans from there
    hour = run.result.get("phases", {}).get("hour", (0.0, 0.0))
    hot = run.result.get("phases", {}).get("hot", (0.0, 0.0))
    hour_s, hour_cpu = _window(run, *hour)
    hot_s, hot_cpu = _window(run, *hot)
    support99 = percentile(c.rtt.get("proposal.support", Counter()), 99)
    hour_lag99 = percentile(hour_s.lag, 99)
    hot_lag99, hot99 = percentile(hot_s.lag, 99), percentile(c.hot_rtt, 99)
    conflicts = sum(n for k, n in c.refused.items() if k.endswith(": conflict"))
    cs = [
        basic["steps"],
        basic["connected"],
        Check(
            "every proposal's supports = the generator's tally",
            "acked supports − acked withdrawals, per proposal; = its supporters set",
            f"{st.get('supports', 0):,} in Redis, tally {st.get('tally', 0):,}"
            f" ({st.get('unknown', 0):,} of unknown outcome, read from Redis)"
            + (f"; wrong: {'; '.join(wrong[:5])}" if wrong else ""),
            not wrong and st.get("supports", -1) == st.get("tally", -2),
        ),
        Check(
            "every acknowledged submission stored",
            f"{st.get('expected_proposals', 0):,} proposals"
            + (f" (+ up to {unsure:,} of unknown outcome)" if unsure else ""),
            f"{st.get('proposals', 0):,}",
            0 <= st.get("proposals", -1) - st.get("expected_proposals", 0) <= unsure,
        ),
    ]
    if args.minutes > 0 and args.supports > 0:
        cs += [
            Check(
                "the hour: p99 support round trip",
                f"≤ {TARGET_RTT_P99_MS:g} ms",
                f"{fmt(support99)} ms",
                support99 <= TARGET_RTT_P99_MS,
            ),
            Check(
                "the hour: p99 event lag to followers",
                f"≤ {TARGET_LAG_P99_MS:g} ms",
                f"{fmt(hour_lag99)} ms",
                hour_lag99 <= TARGET_LAG_P99_MS,
            ),
        ]
    if args.hot_window > 0:
        cs += [
            Check("the hot proposal: p99 support round trip", f"≤ {TARGET_RTT_P99_MS:g} ms", f"{fmt(hot99)} ms",
                  hot99 <= TARGET_RTT_P99_MS),
            Check("the hot proposal: p99 event lag to followers", f"≤ {TARGET_LAG_P99_MS:g} ms",
                  f"{fmt(hot_lag99)} ms", hot_lag99 <= TARGET_LAG_P99_MS),
        ]  # fmt: skip
    cs += [
        Check(
            "unexpected errors",
            "0 (`conflict` counted apart)",
            basic["errors"].measured + f"; `conflict` {conflicts:,}",
            basic["errors"].met,
        ),
        basic["unplanned"],
        Check(
            "every follower saw every event once, in order",
            "0 lost, 0 doubled",
            basic["lost"].measured,
            basic["lost"].met,
        ),
    ]
    rows = []
    for name in (*COMMANDS, "hot support"):
        hist = c.hot_rtt if name == "hot support" else c.rtt.get(name, Counter())
        refused = ", ".join(
            f"`{k.split(': ')[1]}` {n:,}" for k, n in sorted(c.refused.items()) if k.startswith(name + ":")
        )
        rows.append(
            f"| {name} | {c.sent[name]:,} | {c.acked[name]:,} | {refused or '-'}"
            f" | {c.held[name]:,} / {c.skipped[name]:,} | {fmt(percentile(hist, 50))} / {fmt(percentile(hist, 99))} |"
        )
    hour_cmds = sum(c.sent[n] for n in COMMANDS)
    phases = []
    sched: dict[str, tuple[float, float]] = run.result.get("sched", {})
    for key, name, (t0, t1), s, cpu, cmds in (
        ("hour", "the hour", hour, hour_s, hour_cpu, hour_cmds),
        ("hot", "the hot proposal", hot, hot_s, hot_cpu, c.sent["hot support"]),
    ):
        if t1 <= t0:
            continue
        ran, waited = sched.get(key, (math.nan, math.nan))
        phases.append(
            f"| {name} | {t1 - t0:.0f} | {cmds:,} ({cmds / max(1e-9, t1 - t0):.1f}/s) | {s.events:,}"
            f" | {fmt(percentile(s.lag, 50))} / {fmt(percentile(s.lag, 99))} | {fmt(ran)} / {fmt(waited)} | {cpu:.1f}"
            f" | {fmt(1e6 * cpu / max(1, cmds), 0)} | {fmt(1e6 * cpu / max(1, s.events), 1)} |"
        )
    before, after = mem.get("before", {}), mem.get("after", {})
    section = "\n".join(
        [
            "## Proposals",
            "",
            f"{args.panelists:,} panelists in {args.meetings} topic meetings (each following its own"
            " meeting's proposals and the plenary's); the hour compressed into"
            f" {args.minutes:g} min, then the hot proposal ({args.hot_window:g} s). Round trip: from"
            " just before the command's frame is written to its reply. Held: no panelist of"
            f" {5} drawn had a token of the rate class left (the generator keeps the hub's buckets per"
            " panelist); skipped: still nothing to act on when the hour ended (an action with nothing"
            " to act on, no proposal known in the meeting yet, is tried again 0.5 s later). Hub CPU:"
            " its sampled CPU over the phase less its idle rate with everyone connected"
            f" ({100 * idle_rate(run):.1f}% of a core, measured for {args.idle:g} s before the hour)."
            " Ran / waited: the hub's threads' time on a core and in the run queue waiting for one"
            " over the phase (`/proc/<pid>/task/*/schedstat`): on a shared machine, how starved it was.",
            "",
            "| command | sent | acked | refused (code) | held / skipped | round trip p50 / p99 ms |",
            "|---|---|---|---|---|---|",
            *rows,
            "",
            "| phase | s | commands | events received | lag p50 / p99 ms | hub ran / waited for a core s | hub CPU s | hub µs per command | hub µs per event delivered |",
            "|---|---|---|---|---|---|---|---|---|",
            *phases,
            "",
            f"Redis: `used_memory` {before.get('used_memory', 0) / 2**20:.1f} MiB before the hour,"
            f" {after.get('used_memory', 0) / 2**20:.1f} MiB after; the proposals channels' keys"
            f" ({after.get('keys', 0):,}: records, logs, archives, supporter sets, versions, comments)"
            f" {after.get('proposal_keys', 0) / 2**20:.2f} MiB (`MEMORY USAGE`) for"
            f" {st.get('proposals', 0):,} proposals and {st.get('supports', 0):,} supports standing.",
        ]
    )
    run.result.update(
        checks=cs,
        headline=(
            f"{c.acked['proposal.submit']:,} proposals, {c.acked['proposal.support']:,} supports acked;"
            f" support round trip p99 {fmt(support99)} ms (hot {fmt(hot99)} ms),"
            f" lag p99 {fmt(hour_lag99)} ms (hot {fmt(hot_lag99)} ms); conflicts {conflicts}"
        ),
        sections=[section],
    )
