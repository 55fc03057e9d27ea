"""``plenary attendance``: who attended which session and for how long, as CSV files for the
honoraria (a row per panelist per session) and per stratum (attended of the panel, by gender, age
band and district). The files hold names and times: written owner-only (0600, in a 0700 folder).

Reading closes the online intervals of hubs that died, at their last heartbeat
(``attendance.store.Presence``); intervals still open count up to now.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path
from typing import Any

from attendance import report, rules, store
from cli.redis_args import redis_for
from engine import private
from engine.errors import Code, HubError
from moderation.meetings import Meetings
from panel.roster import Roster

PANELISTS_FILE = "attendance-panelists.csv"
STRATA_FILE = "attendance-strata.csv"


async def build(
    redis: Any, sessions: list[str] | None
) -> tuple[list[report.PanelistRow], list[report.StratumRow]]:
    """The two tables for ``sessions`` (every meeting when None), in the meetings' start order."""
    meetings = await Meetings(redis).all()
    if sessions:
        known = {m.id for m in meetings}
        unknown = [s for s in sessions if s not in known]
        if unknown:
            raise HubError(Code.UNKNOWN_MEETING, f"no meeting {', '.join(unknown[:10])}")
        meetings = [m for m in meetings if m.id in sessions]
    people = await Roster(redis).all()
    panelists: list[report.PanelistRow] = []
    strata: list[report.StratumRow] = []
    for m in meetings:
        panel = [p for p in people if rules.counted(p) and p.in_meeting(m.id)]
        rows = report.panelist_rows(await store.read_session(redis, m.id), panel)
        panelists += rows
        strata += report.stratum_rows(m.id, panel, {r.participant_id: r.attended for r in rows})
    return panelists, strata


def cmd_attendance(args: argparse.Namespace) -> int:
    async def go() -> int:
        async with redis_for(args) as redis:
            panelists, strata = await build(redis, args.session)
        out = private.private_dir(args.out)
        private.write_private(out / PANELISTS_FILE, report.to_csv(report.PANELIST_COLUMNS, panelists))
        private.write_private(out / STRATA_FILE, report.to_csv(report.STRATUM_COLUMNS, strata))
        print(
            f"wrote {len(panelists)} panelist rows to {out / PANELISTS_FILE} and {len(strata)} stratum rows to {out / STRATA_FILE}"
        )
        return 0

    try:
        return asyncio.run(go())
    except HubError as err:
        print(f"error [{err.name}]: {err.message}", file=sys.stderr)
        return 2


def add_parsers(sub: Any, add_redis_args: Any) -> None:
    p = sub.add_parser(
        "attendance",
        help="attendance per panelist and session (CSV for honoraria) and per stratum",
        description="Write attendance-panelists.csv (per panelist and session: online minutes, hall check-in "
        "and check-out, paper sign-in, total minutes) and attendance-strata.csv (per session and stratum: "
        "attended of the panel), owner-only.",
    )
    p.add_argument("--session", action="append", help="only this session (a meeting id; repeatable)")
    p.add_argument("--out", type=Path, default=Path("."), help="folder for the two CSV files")
    add_redis_args(p)
    p.set_defaults(func=cmd_attendance)
