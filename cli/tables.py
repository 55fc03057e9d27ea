"""``plenary tables``: seat a session's panelists at tables of 8-10 (issue 15), reseat late arrivals
and absences, show a seating.

- ``assign SESSION --size 8..10 [--seed N] [--groups FILE] [--time-limit S] [--all]``: whoever
  attends SESSION now (checked in at the hall desk or online), or with ``--all`` the meeting's whole
  panel, seated by the optimiser (``tables/assign.py``) and stored; prints the report.
- ``reseat SESSION``: the absent leave, late arrivals sit, nobody else moves (``tables/reseat.py``).
- ``show SESSION [--csv FILE]``: the report again; the CSV lists every seat with the person's name,
  so it is written owner-only.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import io
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from cli import facilitators
from cli.redis_args import redis_for
from engine import private
from engine.channels import ChannelLog
from engine.errors import Code, HubError
from moderation.meetings import Meetings
from panel.roster import Participant
from tables import attendees, live, report
from tables.assign import DEFAULT_SIZE, PASSES, assign, parse_size
from tables.groups import check_known, parse_groups
from tables.mix import Person
from tables.reseat import reseat
from tables.seating_store import earlier_encounters, load_seating, require_seating

CSV_COLUMNS = ("table", "participant", "name", "gender", "age_band", "district")


def _people(members: Sequence[Participant]) -> dict[str, Person]:
    return {p.id: attendees.person(p) for p in members}


def _nobody(session: str, panel: int) -> HubError:
    return HubError(
        Code.NOBODY_TO_SEAT,
        f"nobody attends {session} now (checked in at the hall desk or online); "
        f"check people in first, or pass --all to seat the meeting's whole panel ({panel})",
    )


def print_report(rep: report.Report, console: Console, *, lines: bool = True) -> None:
    """Each table's mix against the room, then the totals."""
    if lines:
        t = Table(title=f"{rep.session}: {len(rep.tables)} tables, {rep.seated} people")
        for col in (
            "table",
            "people",
            "women/men (room)",
            "age bands (room)",
            "districts",
            "diversity",
            "met before",
        ):
            t.add_column(
                col, justify="right" if col in ("table", "people", "diversity", "met before") else "left"
            )
        for line in rep.tables:
            g = line.counts["gender"]
            ge = line.expected["gender"]
            gender = (
                f"{g.get('female', 0)}/{g.get('male', 0)} ({ge.get('female', 0):.1f}/{ge.get('male', 0):.1f})"
            )
            ages = " ".join(
                f"{band}:{line.counts['age_band'].get(band, 0)}({exp:.1f})"
                for band, exp in line.expected["age_band"].items()
            )
            d = line.counts["district"]
            districts = f"{len(d)} different, most {max(d.values(), default=0)}"
            t.add_row(
                str(line.table),
                str(line.size),
                gender,
                ages,
                districts,
                f"{line.diversity:.2f}",
                str(line.repeats),
            )
        console.print(t)
    sizes = ", ".join(f"{n} of {size}" for size, n in rep.sizes.items())
    console.print(
        f"{rep.seated} people at {len(rep.tables)} tables ({sizes}); diversity mean {rep.mean_diversity:.3f}, "
        f"lowest {rep.min_diversity:.3f} (1 = the room in small); {rep.repeats} pairs met before"
    )


def seats_csv(seating_tables: Sequence[Sequence[str]], members: Mapping[str, Participant]) -> str:
    out = io.StringIO(newline="")
    w = csv.writer(out)
    w.writerow(CSV_COLUMNS)
    for i, table in enumerate(seating_tables, start=1):
        for pid in table:
            p = members.get(pid)
            w.writerow([i, pid, p.name if p else "", *(getattr(p, f) if p else "" for f in CSV_COLUMNS[3:])])
    return "\ufeff" + out.getvalue()  # the BOM: a spreadsheet opens it as UTF-8 (as attendance's)


async def do_assign(redis: Any, args: argparse.Namespace, console: Console) -> None:
    session = args.session
    await Meetings(redis).get(session)
    members, seat = await attendees.to_seat(redis, session, everyone=args.all)
    if not seat:
        raise _nobody(session, len(members))
    groups: dict[str, tuple[str, ...]] = {}
    if args.groups:
        groups = parse_groups(args.groups.read_text(encoding="utf-8-sig"))
        check_known(groups, (p.id for p in members))
    met = await earlier_encounters(redis, session)
    earlier = await load_seating(redis, session)
    result = assign(
        session,
        seat,
        size=args.size,
        seed=args.seed,
        groups=groups,
        met=met,
        time_limit=args.time_limit,
        passes=args.passes,
    )
    await live.seat(ChannelLog(redis), result.seating)  # open pages follow (table.seating)
    print_report(report.build(result.seating, _people(members), met), console)
    s = result.stats
    how = (
        f"optimiser: {s.passes} passes, {s.solves} pairs of tables solved by CP-SAT, {s.improved} improved, "
        f"{s.skipped} already at their bound "
        f"(objective {s.before / 1000:.1f} -> {s.after / 1000:.1f}) in {result.seconds:.1f} s"
    )
    if s.improved == 0:
        how += "; the greedy seating stands (the solver found nothing better)"
    if s.wall_stop:
        how += f"; stopped by the time limit ({args.time_limit:g} s): another machine may seat differently"
    console.print(how)
    if earlier is not None:
        console.print(f"replaced the earlier seating of {session} (kept for the encounter count)")


async def do_reseat(redis: Any, args: argparse.Namespace, console: Console) -> None:
    session = args.session
    seating = await require_seating(redis, session)
    members = await attendees.panel(redis, session)
    ids = {p.id for p in members}
    present = ids if args.all else (await attendees.attending(redis, session)) & ids
    if not present:
        raise _nobody(session, len(members))
    met = await earlier_encounters(redis, session)
    people = _people(members)
    got = reseat(seating, present, people, size=args.size, met=met)
    await live.seat(ChannelLog(redis), got.seating)  # open pages move at once (table.seating)
    console.print(
        f"{len(got.left)} left their seats: {' '.join(got.left[:20])}{' ...' if len(got.left) > 20 else ''}"
    )
    for pid, table in sorted(got.arrived.items()):
        console.print(f"  {pid} -> table {table}")
    for pid, (frm, to) in sorted(got.moved.items()):
        console.print(f"  {pid}: table {frm} -> {to} (table {frm} fell below the minimum)")
    console.print(
        f"{len(got.arrived)} late arrivals seated, {len(got.moved)} moved; everyone else kept their table"
    )
    print_report(report.build(got.seating, people, met), console, lines=args.verbose)


async def do_show(redis: Any, args: argparse.Namespace, console: Console) -> None:
    seating = await require_seating(redis, args.session)
    members = await attendees.panel(redis, args.session)
    met = await earlier_encounters(redis, args.session)
    print_report(report.build(seating, _people(members), met), console)
    if args.csv:
        path = Path(args.csv)
        private.private_dir(path.parent if str(path.parent) else ".")
        private.write_private(path, seats_csv(seating.tables, {p.id: p for p in members}))
        console.print(f"wrote {seating.seated} seats to {path}")


def _run(args: argparse.Namespace, step: Any) -> int:
    console = Console(soft_wrap=False)

    async def go() -> int:
        async with redis_for(args) as redis:
            await step(redis, args, console)
        return 0

    try:
        return asyncio.run(go())
    except HubError as err:
        print(f"error [{err.name}]: {err.message}", file=sys.stderr)
        return 2
    except ModuleNotFoundError as err:
        if err.name is None or not err.name.startswith("ortools"):
            raise
        print("error: seating needs OR-Tools: pip install 'plenary-hub[tables]'", file=sys.stderr)
        return 2


def _size(text: str) -> tuple[int, int]:
    try:
        return parse_size(text)
    except HubError as err:
        raise argparse.ArgumentTypeError(err.message) from None


def add_parsers(sub: Any, add_redis_args: Any) -> None:
    p = sub.add_parser("tables", help="seat a session's panelists at tables of 8-10 (issue 15)")
    tsub = p.add_subparsers(dest="tables_command", required=True)
    a = tsub.add_parser(
        "assign",
        help="seat whoever attends SESSION now at tables mirroring the room's strata",
        description="Seat the panelists attending SESSION (checked in at the hall desk or online) at tables "
        "whose gender, age band and district mirror the room, spreading apart people who met at earlier "
        "tables and keeping named groups together; store the seating and print the report.",
    )
    a.add_argument("session", help="the meeting id, e.g. plenary")
    a.add_argument("--size", type=_size, default=DEFAULT_SIZE, help="MIN..MAX people per table (8..10)")
    a.add_argument(
        "--seed", type=int, default=0, help="the same seed and attendance give the same seating (0)"
    )
    a.add_argument("--groups", type=Path, help="CSV: a group's name, then the ids kept at one table")
    a.add_argument("--time-limit", type=float, default=60.0, help="seconds the optimiser may take (60)")
    a.add_argument(
        "--passes", type=int, default=PASSES, help=f"optimiser passes over pairs of tables ({PASSES})"
    )
    a.add_argument("--all", action="store_true", help="seat the meeting's whole panel, attending or not")
    add_redis_args(a)
    a.set_defaults(func=lambda args: _run(args, do_assign))
    r = tsub.add_parser(
        "reseat",
        help="seat late arrivals and free the seats of the absent; nobody else moves",
        description="The absent leave their seats, late arrivals sit where they fit best; a table below the "
        "minimum is merged into others (its people are the only ones moved).",
    )
    r.add_argument("session")
    r.add_argument("--size", type=_size, default=None, help="MIN..MAX (default: the seating's own)")
    r.add_argument("--all", action="store_true", help="treat the meeting's whole panel as present")
    r.add_argument("--verbose", action="store_true", help="also print every table")
    add_redis_args(r)
    r.set_defaults(func=lambda args: _run(args, do_reseat))
    s = tsub.add_parser("show", help="print a session's seating report; --csv writes every seat")
    s.add_argument("session")
    s.add_argument("--csv", type=Path, help="write table,participant,name,strata (owner-only: names)")
    add_redis_args(s)
    s.set_defaults(func=lambda args: _run(args, do_show))
    facilitators.add_parser(tsub, add_redis_args)  # issue 15: the live tables' facilitators
