"""``plenary tables facilitators SESSION FILE`` (issue 15): give each table of SESSION's seating its
facilitator from a CSV file (``table,participant``); every row is checked before any is stored
(``tables/facilitators.py``)."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path
from typing import Any

from cli.redis_args import redis_for
from engine.errors import HubError
from tables.facilitators import assign_from


def add_parser(tsub: Any, add_redis_args: Any) -> None:
    f = tsub.add_parser(
        "facilitators",
        help="give each table its facilitator from a CSV file (table,participant)",
        description="Each row names a table of SESSION's seating and a participant whose role is "
        "facilitator; all rows are checked first, so a bad file stores nothing.",
    )
    f.add_argument("session")
    f.add_argument("file", type=Path, help="CSV with the columns table,participant")
    add_redis_args(f)
    f.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    async def go() -> list[tuple[int, str]]:
        async with redis_for(args) as redis:
            return await assign_from(redis, args.session, args.file.read_text(encoding="utf-8"))

    try:
        rows = asyncio.run(go())
    except HubError as err:
        print(f"error [{err.name}]: {err.message}", file=sys.stderr)
        return 2
    for table, who in rows:
        print(f"table {table}: {who}")
    print(f"{len(rows)} facilitator(s) assigned for {args.session}")
    return 0
