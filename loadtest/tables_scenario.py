"""The ``tables`` load scenario (issue 15, "Tests and scale"): 3,000 panelists at 300 tables over two
hubs, each table chatting and its facilitator posting cards, the theme console and the hosts'
overview following, then the table phones' storm.

    python -m loadtest.scenarios tables                       # 3,000 at 300 tables, 2 hubs
    python -m loadtest.scenarios tables --panelists 60 --tables 6 --step-seconds 4   # small
    make tables-load ARGS='--steps 3'

``loadtest.scenarios`` starts Redis, the hubs (``--hubs 2`` by default) and the swarm as for every
scenario; this module is the scenario's own part:

- **the seats** (``seed_tables``, shared with ``loadtest.tables_load``): ``--panelists`` seated at
  ``--tables`` tables (table *t* holds every ``--tables``-th panelist from the *t*-th), a
  facilitator per table (``lt-fac-<t>``), a themer (``lt-themer``: the theme console, following
  ``meeting/plenary/cards``) and a second host (``lt-host-1``: the hosts' overview, following
  ``meeting/plenary/tables``); each panelist and facilitator follows their own table's channel.
  The seats go to the swarm table by table, and the swarm spreads them over the hubs in turn, so
  each table's members sit on both hubs (``spread`` counts them);
- **the steps** (``steps``): the host (the orchestrator's connection) starts each of ``--steps``
  steps (``table.step``); during a step every table sends a message every ``--message-every`` s
  and its facilitator ``--cards`` cards (``loadtest.table_crowd``, in the workers). ``--storm-at``
  s into the last step, **every connection drops at once** and comes back from its offsets (the
  swarm's ``drop``, as reconnect-storm), while the tables go on;
- **the checks against Redis** (``stored``): each table's record (its channel's archive) holds
  every acknowledged message and card once, the cards channel every card;
- **the verdicts** (``verdict``): every event to every member of its table once and none of
  another table, the theme console got every card, delivery lag p99 before the storm within
  ``TARGET_LAG_P99_MS``, the storm's (everyone back and caught up within ``--catch-up-target``,
  every resubscribe recovered; ``loadtest.verdicts.storm``), no error.
"""

from __future__ import annotations

import argparse
import math
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from loadtest.report import Check, Run, accounts, basic_checks, fmt, percentile
from loadtest.swarm import Second
from loadtest.table_crowd import TablePlan, TableTotals

MEETING = "plenary"
THEMER = "lt-themer"
OVERVIEW_HOST = "lt-host-1"  # the hosts' overview page; ``lt-host`` pushes the steps
TARGET_LAG_P99_MS = 250.0  # plenary-burst's delivery target, for the tables' events
COMMANDS = ("table.say", "table.card")


def facilitator_id(t: int) -> str:
    from loadtest import voters as lt

    return f"{lt.FACILITATOR_PREFIX}{t}"


def seating(panelists: int, tables: int) -> list[tuple[str, ...]]:
    """Table t+1's members: every ``tables``-th panelist from the t-th (sorted ids)."""
    from loadtest import voters as lt

    ids = [lt.panelist_id(i) for i in range(panelists)]
    return [tuple(sorted(ids[t::tables])) for t in range(tables)]


async def seed_tables(
    redis_url: str, panelists: int, tables: int
) -> tuple[dict[str, str], list[tuple[str, ...]], list[str]]:
    """The roster (panelists, a moderator, two hosts, a facilitator per table, a themer), the
    meeting, the seating and each table's facilitator. Returns participant -> token, the tables'
    members and the facilitators (table order)."""
    from engine.connection import command_client
    from engine.roles import Role
    from loadtest import voters as lt
    from panel.roster import Participant, Roster
    from tables import live, seating_store
    from tables.model import Seating

    redis = command_client(redis_url, name="tables-seed")
    try:
        tokens = await lt.seed_people(redis, panelists, MEETING, moderators=1, hosts=2)
        staff = [
            Participant(id=facilitator_id(t), name=f"진행 {t}", role=Role.FACILITATOR, meetings=[MEETING])
            for t in range(1, tables + 1)
        ]
        staff.append(Participant(id=THEMER, name="주제팀", role=Role.THEMER, meetings=[MEETING]))
        roster = Roster(redis)
        await roster.upsert(staff)
        tokens.update(await roster.issue_tokens([p.id for p in staff]))
        seats = seating(panelists, tables)
        await seating_store.save_seating(redis, Seating(session=MEETING, seed=1, tables=tuple(seats)))
        for t in range(1, tables + 1):
            await live.assign_facilitator(redis, MEETING, t, facilitator_id(t))
    finally:
        await redis.aclose()
    return tokens, seats, [facilitator_id(t) for t in range(1, tables + 1)]


async def seed(redis_url: str, args: argparse.Namespace, tokens: Path) -> None:
    from loadtest import voters as lt

    toks, _, _ = await seed_tables(redis_url, args.panelists, args.tables)
    lt.write_tokens(tokens, toks, MEETING, lt.VOTE)


def seat_ids(args: argparse.Namespace) -> list[str]:
    """Every connection of the swarm, in order: table by table its members then its facilitator,
    then the theme console and the hosts' overview. Table by table, because the swarm deals the
    seats round its workers and each worker its seats round the hubs (``spread``): consecutive
    seats land on different hubs, so every table of three or more sits on both."""
    return [
        *(
            pid
            for t, members in enumerate(seating(args.panelists, args.tables), start=1)
            for pid in (*members, facilitator_id(t))
        ),
        THEMER,
        OVERVIEW_HOST,
    ]


def seats(args: argparse.Namespace, tokens: Path) -> list[tuple[str, str]]:
    from loadtest import voters as lt

    tok = {s.participant_id: s.token for s in lt.read_tokens(tokens, role=None)}
    return [(pid, tok[pid]) for pid in seat_ids(args)]


def table_plan(args: argparse.Namespace) -> TablePlan:
    members = seating(args.panelists, args.tables)
    return TablePlan(
        meeting=MEETING,
        seats={p: t for t, table in enumerate(members, start=1) for p in table},
        facilitators={facilitator_id(t): t for t in range(1, args.tables + 1)},
        sizes={t: len(table) for t, table in enumerate(members, start=1)},
        message_every=args.message_every,
        cards=args.cards,
    )


def channels(args: argparse.Namespace) -> list[str]:
    """Every channel followed: each table's, the cards (theme console), the overview (hosts)."""
    from engine import keys

    return [
        *(keys.meeting_table(MEETING, t) for t in range(1, args.tables + 1)),
        keys.meeting_cards(MEETING),
        keys.meeting_tables(MEETING),
    ]


def seat_channels(args: argparse.Namespace) -> dict[str, tuple[str, ...]]:
    from engine import keys

    out: dict[str, tuple[str, ...]] = {
        p: (keys.meeting_table(MEETING, t),) for p, t in table_plan(args).seats.items()
    }
    out.update({facilitator_id(t): (keys.meeting_table(MEETING, t),) for t in range(1, args.tables + 1)})
    out[THEMER] = (keys.meeting_cards(MEETING),)
    out[OVERVIEW_HOST] = (keys.meeting_tables(MEETING),)
    return out


def spread(args: argparse.Namespace, hubs: int) -> int:
    """How many tables have followers on more than one hub: the swarm gives seat k of worker w
    (seats dealt round the workers) hub ``(w + k) % hubs`` (``scenarios.start_workers``)."""
    plan = table_plan(args)
    table_of = plan.seats | plan.facilitators
    on: dict[int, set[int]] = {}
    for g, pid in enumerate(seat_ids(args)):
        t = table_of.get(pid)
        if t is not None:
            w, k = g % args.workers, g // args.workers
            on.setdefault(t, set()).add((w + k) % hubs)
    return sum(len(h) > 1 for h in on.values())


async def redis_stats(redis_url: str) -> dict[str, float]:
    """Redis' ``GET`` calls (the seating is read with one; so are a participant and a meeting) and
    the bytes it has sent: read before and after the storm, for what the storm's reads cost."""
    from engine.connection import command_client

    redis = command_client(redis_url, name="tables-stats")
    try:
        cmds = await redis.info("commandstats")
        stats = await redis.info("stats")
        return {
            "get": float(cmds.get("cmdstat_get", {}).get("calls", 0)),
            "out_bytes": float(stats.get("total_net_output_bytes", 0)),
        }
    finally:
        await redis.aclose()


async def stored(redis_url: str, args: argparse.Namespace, crowds: list[TableTotals]) -> dict[str, Any]:
    """Each table's record (its channel's archive) against the acknowledgements: every acked
    message and card there once, at most the unsure ones more; the cards channel's state (every
    card of the session) against the cards in the tables' records."""
    from engine import keys
    from engine.channels import ChannelLog
    from engine.connection import command_client
    from tables import cards_store

    said: Counter[int] = Counter()
    carded: Counter[int] = Counter()
    unsure: Counter[tuple[str, int]] = Counter()
    for c in crowds:
        said.update(c.said)
        carded.update(c.carded)
        unsure.update(c.unsure)
    redis = command_client(redis_url, name="tables-verify")
    try:
        log = ChannelLog(redis)
        wrong: list[str] = []
        messages = cards = steps = 0
        for t in range(1, args.tables + 1):
            got = Counter(e.type for e in await log.archive(keys.meeting_table(MEETING, t)))
            messages, cards, steps = (
                messages + got["table.message"],
                cards + got["table.card"],
                steps + got["table.step"],
            )
            for kind, event, acked in (
                ("table.say", "table.message", said[t]),
                ("table.card", "table.card", carded[t]),
            ):
                if not acked <= got[event] <= acked + unsure[(kind, t)]:
                    wrong.append(
                        f"table {t}: {got[event]} {event} stored, {acked} acked (+{unsure[(kind, t)]} unsure)"
                    )
            if got["table.step"] != args.steps:
                wrong.append(f"table {t}: {got['table.step']} steps of {args.steps}")
        in_cards = len(await cards_store.meeting_cards(redis, MEETING))
        return {
            "messages": messages,
            "cards": cards,
            "steps": steps,
            "cards_channel": in_cards,
            "said": sum(said.values()),
            "carded": sum(carded.values()),
            "unsure": sum(unsure.values()),
            "wrong": wrong,
        }
    finally:
        await redis.aclose()


async def steps(
    st: Any, host_call: Callable[[Any, dict[str, Any]], Awaitable[dict[str, Any]]]
) -> dict[str, Any]:
    """``st``: the run's ``loadtest.scenarios.Stage``, ``host_call`` its host's command with retries
    (both from that module, which imports this one: not imported here). Connect everyone, run the
    steps with the storm in the last, wind down, check Redis."""
    import asyncio

    args, swarm, marks = st.args, st.swarm, st.marks
    host = await st.host()
    swarm.listen()
    connected = await st.connected()
    swarm.tell({"op": "tables", "plan": table_plan(args)})
    phases: dict[str, float] = {}
    redis_at: dict[str, dict[str, float]] = {}

    async def run() -> None:
        for n in range(1, args.steps + 1):
            t0 = time.time()
            phases.setdefault("start", t0)
            await host_call(
                host,
                {
                    "type": "table.step",
                    "meeting": MEETING,
                    "title": f"단계 {n}",
                    "seconds": max(30, int(args.step_seconds)),
                },
            )
            swarm.tell({"op": "table-step", "n": n, "seconds": args.step_seconds})
            marks.mark(f"step {n} of {args.steps}: {args.tables} tables talking, {args.cards} cards each")
            if n == args.steps and args.storm_at >= 0:
                await asyncio.sleep(args.storm_at)
                redis_at["before"] = await redis_stats(st.redis_url)
                phases["drop"] = time.time()
                swarm.tell({"op": "drop"})
                marks.mark(f"all {connected} dropped at once; reconnecting from their offsets")
                back = await swarm.until(
                    lambda: len(swarm.reconnected) == len(swarm.procs), args.storm_timeout
                )
                phases["back"] = time.time()
                redis_at["after"] = await redis_stats(st.redis_url)
                n_back = sum(r["n"] for r in swarm.reconnected)
                marks.mark(
                    f"{n_back} of {connected} back"
                    + ("" if back else f" (not all within {args.storm_timeout:g} s)")
                )
            await asyncio.sleep(max(0.0, t0 + args.step_seconds - time.time()))
        phases["end"] = time.time()
        await asyncio.sleep(1.0)  # the last replies

    await st.bounded(run)
    final = await st.wind_down()
    await host.close()
    crowds: list[TableTotals] = [c for c in swarm.crowd if isinstance(c, TableTotals)]
    return {
        "connected": connected,
        "final": final,
        "problems": st.problems,
        "stored": await stored(st.redis_url, args, crowds),
        "phases": phases,
        "redis": redis_at,
        "spread": spread(args, len(st.urls)),
        "hubs": len(st.urls),
        "hub_counters": st.hub_counters,
    }


# -- the verdicts ------------------------------------------------------------------------------------
def _merged(crowds: list[TableTotals]) -> TableTotals:
    out = TableTotals()
    for c in crowds:
        for name, hist in c.rtt.items():
            out.rtt.setdefault(name, Counter()).update(hist)
        out.sent.update(c.sent)
        out.acked.update(c.acked)
        out.refused.update(c.refused)
        out.skipped.update(c.skipped)
        out.received.update(c.received)
        out.unsure.update(c.unsure)
        out.wrong_table += c.wrong_table
        out.console_cards += c.console_cards
    return out


def _phase(run: Run, t0: float, t1: float) -> Second:
    s = Second(0)
    for x in run.seconds:
        if t0 <= x.sec and x.sec + 1 <= t1:
            s.merge(x)
    return s


def verdict(args: argparse.Namespace, run: Run, crowds: list[Any]) -> None:
    """The scenario's checks, summary figures and report sections, into ``run.result``."""
    from engine import keys
    from engine.channels import spec_of
    from loadtest import verdicts as judged

    basic = basic_checks(run)
    a = accounts(run)
    c = _merged([x for x in crowds if isinstance(x, TableTotals)])
    # The hosts' overview is stateful: a page back after its history has passed gets the snapshot
    # (one record per table: all it shows), which is right for it; the swarm counts the events
    # between as lost. Counted apart here; every other channel must recover event by event.
    overview = keys.meeting_tables(MEETING)
    ov_resubs = sum(t.not_recovered_on[overview] for t in run.totals)
    ov_missed = sum(t.missed_on[overview] for t in run.totals)
    not_recovered = sum(t.not_recovered for t in run.totals) - ov_resubs
    lost = a.lost - ov_missed + sum(a.tail_lost.values())
    errors = a.errors - Counter({"resubscribe not recovered": ov_resubs})
    st: dict[str, Any] = run.result.get("stored", {})
    wrong: list[str] = st.get("wrong", ["not checked"])
    ph: dict[str, float] = run.result.get("phases", {})
    storming = "drop" in ph
    calm = _phase(run, ph.get("start", 0.0), ph.get("drop", ph.get("end", 0.0)))
    after = _phase(run, ph.get("back", math.inf), ph.get("end", 0.0))
    lag99 = percentile(calm.lag, 99)
    cs = [
        basic["steps"],
        basic["connected"],
        Check(
            "every message and card stored once at its table",
            "each table's record = its acks (+ those cut by the drop, unsure)",
            f"{st.get('messages', 0):,} messages, {st.get('cards', 0):,} cards stored;"
            f" {st.get('said', 0):,} and {st.get('carded', 0):,} acked, {st.get('unsure', 0):,} unsure"
            + (f"; wrong: {'; '.join(wrong[:5])}" if wrong else ""),
            not wrong and st.get("said", 0) > 0,
        ),
        Check(
            "every message and card to every member of its table once",
            "0 lost, 0 doubled, 0 of another table",
            f"{lost:,} lost ({a.lost - ov_missed:,} in holes, {sum(a.tail_lost.values()):,} not received"
            f" by the end), {a.doubled:,} doubled, {c.wrong_table:,} of another table",
            lost == 0 and a.doubled == 0 and c.wrong_table == 0,
        ),
        Check(
            "the theme console got every card",
            f"{st.get('cards_channel', 0):,} (the cards channel's)",
            f"{c.console_cards:,}",
            c.console_cards == st.get("cards_channel", -1) == st.get("cards", -2) > 0,
        ),
        Check(
            "p99 delivery lag (the steps before the storm)",
            f"≤ {TARGET_LAG_P99_MS:g} ms",
            f"{fmt(lag99)} ms",
            lag99 <= TARGET_LAG_P99_MS,
        ),
    ]
    storm_cs, storm_head, storm_sections = judged.storm(args, run) if storming else ([], "", [])
    cs += [x for x in storm_cs if x.name in ("everyone back", "every client caught up")]
    if storming:
        cs.append(
            Check(
                "every resubscribe recovered",
                "0 `recovered: false` (the hosts' overview: its snapshot will do)",
                f"{not_recovered:,}; the hosts' overview {ov_resubs:,} from its snapshot"
                f" (past its history of {spec_of(overview).history:,} events: {ov_missed:,} updates)",
                not_recovered == 0,
            )
        )
    n_errors = sum(errors.values())
    cs += [
        Check(
            "errors",
            "0",
            f"{n_errors:,}"
            + (f" ({', '.join(f'{k} {v}' for k, v in errors.most_common(6))})" if n_errors else ""),
            n_errors == 0,
        ),
        basic["unplanned"],
    ]
    rows = []
    for name in COMMANDS:
        hist = c.rtt.get(name, Counter())
        refused = ", ".join(
            f"`{k.split(': ')[1]}` {n:,}" for k, n in sorted(c.refused.items()) if k.startswith(name + ":")
        )
        rows.append(
            f"| {name} | {c.sent[name]:,} | {c.acked[name]:,} | {refused or '-'} | {c.skipped[name]:,}"
            f" | {fmt(percentile(hist, 50))} / {fmt(percentile(hist, 99))} |"
        )
    red: dict[str, dict[str, float]] = run.result.get("redis", {})
    b, a = red.get("before", {}), red.get("after", {})
    gets = a.get("get", math.nan) - b.get("get", math.nan)
    out_mb = (a.get("out_bytes", math.nan) - b.get("out_bytes", math.nan)) / 2**20
    hub_ms = judged._cpu_ms(run, ph["drop"], ph["back"]) if storming else math.nan
    back = sum(t.reconnected for t in run.totals)
    section = "\n".join(
        [
            "## The tables",
            "",
            f"{args.panelists:,} panelists at {args.tables} tables, a facilitator each, the theme console"
            f" and the hosts' overview, on {run.result.get('hubs', 0)} hub(s): {run.result.get('spread', 0)}"
            f" of {args.tables} tables have followers on more than one hub. {args.steps} steps of"
            f" {args.step_seconds:g} s; a message every {args.message_every:g} s per table, {args.cards}"
            " cards per table per step"
            + (f"; the storm {args.storm_at:g} s into the last step." if storming else "; no storm."),
            "Round trip: from just before the command's frame is written to its reply. Skipped: nobody"
            " of the table was connected until the step's end.",
            "",
            "| command | sent | acked | refused (code) | skipped | round trip p50 / p99 ms |",
            "|---|---|---|---|---|---|",
            *rows,
            "",
            "| phase | events received | lag p50 / p99 ms |",
            "|---|---|---|",
            f"| the steps before the storm | {calm.events:,} | {fmt(percentile(calm.lag, 50))} / {fmt(lag99)} |",
            f"| after everyone was back | {after.events:,} | {fmt(percentile(after.lag, 50))} / {fmt(percentile(after.lag, 99))} |",
            "",
            "Events received by kind: "
            + ", ".join(f"`{k}` {n:,}" for k, n in sorted(c.received.items()))
            + f". The theme console: {c.console_cards:,} cards.",
            "",
            "What the storm cost: from the drop until all were back"
            f" ({ph.get('back', 0) - ph.get('drop', 0):.1f} s) the hubs used {fmt(hub_ms / 1000)} CPU-seconds"
            f" ({fmt(hub_ms / max(1, back), 2)} ms per connection back, the tables' traffic included);"
            f" Redis answered {gets:,.0f} `GET`s (a participant at each `hello`, the meeting, and the"
            f" seating through each hub's 2 s cache) and sent {out_mb:,.1f} MiB.",
        ]
    )
    run.result.update(
        checks=cs,
        headline=(
            f"{c.acked['table.say']:,} messages, {c.acked['table.card']:,} cards acked at {args.tables} tables;"
            f" lag p99 {fmt(lag99)} ms" + (f"; storm: {storm_head}" if storming else "")
        ),
        sections=[section, *storm_sections],
    )
