"""``plenary panel ...``: the stratified lottery from applicants to roster, and link sheets.

The lottery itself is ``panel.lottery`` (pure, with file helpers); this module only parses options,
shows progress, and turns a drawn panel into roster entries and personal links.
"""

from __future__ import annotations

import argparse
import asyncio
import html
import logging
import sys
from pathlib import Path
from typing import Any

from engine.errors import Code, HubError
from engine.roles import Role

# The sortition package prints progress on its own loggers; the CLI shows a rich bar instead.
_QUIET = ("sortition_algorithms", "sortition_algorithms_user")


def _quiet() -> None:
    for name in _QUIET:
        logging.getLogger(name).handlers[:] = [logging.NullHandler()]
        logging.getLogger(name).propagate = False


def _fail(err: HubError) -> int:
    print(f"error [{err.name}]: {err.message}", file=sys.stderr)
    return 2


def cmd_quotas(args: argparse.Namespace) -> int:
    from panel.quotas import quotas_for_size, write_quotas_csv

    quotas = quotas_for_size(args.size, tolerance=args.tolerance)
    write_quotas_csv(args.out, quotas)
    print(f"wrote {len(quotas)} quotas for a panel of {args.size} to {args.out}")
    return 0


def cmd_synthetic(args: argparse.Namespace) -> int:
    from panel.applicants import write_applicants_csv
    from panel.synthetic import synthetic_pool

    write_applicants_csv(args.out, synthetic_pool(args.n, args.seed))
    print(f"wrote {args.n} synthetic applicants to {args.out}")
    return 0


def cmd_draw(args: argparse.Namespace) -> int:
    from panel.applicants import read_applicants_csv
    from panel.lottery import RichProgress, draw, write_draw
    from panel.quotas import quotas_for_size, read_quotas_csv

    _quiet()
    try:
        applicants = read_applicants_csv(args.applicants)
        quotas = read_quotas_csv(args.quotas) if args.quotas else quotas_for_size(args.size)
        with RichProgress() as progress:
            result = draw(applicants, quotas, args.size, args.seed, method=args.method, progress=progress)
        files = write_draw(result, args.out, overwrite=args.overwrite)
    except HubError as err:
        return _fail(err)
    except FileExistsError as exc:
        print(f"error: {exc} (use --overwrite to replace an earlier draw)", file=sys.stderr)
        return 2
    print(f"drew {len(result.panel)} of {len(applicants)} with seed {args.seed!r} ({args.method})")
    for f in files:
        print(f"  {f}")
    return 0


def cmd_replace(args: argparse.Namespace) -> int:
    from panel.lottery import read_panel_csv, read_reserve_csv, replace, write_replacement
    from panel.quotas import read_quotas_csv

    folder: Path = args.draw
    try:
        result = replace(
            read_panel_csv(folder / "panel.csv"),
            read_reserve_csv(folder / "reserve.csv"),
            args.withdrawn,
            read_quotas_csv(args.quotas),
        )
        write_replacement(result, folder)
    except HubError as err:
        return _fail(err)
    print(
        f"{result.withdrawn.applicant_id} withdrew; {result.substitute.applicant_id} (reserve rank "
        f"{result.reserve_rank}) takes the seat: {result.reason}"
    )
    print(
        "run `plenary panel import` again, then "
        f"`plenary links --revoke --participant {result.withdrawn.applicant_id}` for the withdrawn panelist"
    )
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    """The drawn panel into the roster as panelists (strata kept for turnout by stratum)."""
    from cli.links import base_url_for, issue_links, select, write_links
    from cli.redis_args import redis_for
    from engine import keys
    from panel.lottery import read_panel_csv
    from panel.roster import ALL_MEETINGS, Participant, Roster

    try:
        people = read_panel_csv(args.panel)
    except HubError as err:
        return _fail(err)
    bad = [a.applicant_id for a in people if not keys.ID_RE.match(a.applicant_id)]
    if bad:
        return _fail(HubError(Code.BAD_ROSTER, f"applicant ids not usable as participant ids: {bad[:10]}"))
    meetings = [m for m in (args.meetings or "").split(";") if m] or [ALL_MEETINGS]
    participants = [
        Participant(
            id=a.applicant_id,
            name=a.name or a.applicant_id,
            role=Role.PANELIST,
            gender=a.gender,
            age_band=a.age_band,
            district=a.district,
            meetings=meetings,
        )
        for a in people
    ]

    async def go() -> int:
        async with redis_for(args) as redis:
            # the base URL first: a missing one must stop the command before anything is stored
            base = await base_url_for(redis, args.base_url) if args.links_out else ""
            new = await Roster(redis).upsert(participants)
            print(f"imported {len(participants)} panelists ({len(new)} new)")
            if args.links_out and new:
                # new panelists hold no link yet: nothing is revoked, nothing to confirm
                write_links(await issue_links(redis, base, await select(redis, ids=new)), args.links_out)
        return 0

    try:
        return asyncio.run(go())
    except HubError as err:
        return _fail(err)


def link_sheets(rows: list[tuple[str, str, str, str]], title: str) -> str:
    """Printable A4 sheets, one per participant, with the link as a QR code (segno, inline SVG)."""
    import segno

    pages = []
    for pid, name, role, url in rows:
        qr = segno.make(url, error="m").svg_inline(scale=6, dark="#000", light="#fff")
        pages.append(
            f'<section class="sheet"><h1>{html.escape(title)}</h1>'
            f"<p class=name>{html.escape(name)} <small>({html.escape(pid)}, {html.escape(role)})</small></p>"
            f'<div class="qr">{qr}</div>'
            "<p>휴대전화 카메라로 QR 코드를 비추면 본인 전용 입장 링크가 열립니다. "
            "이 종이는 본인만 보관하세요.</p>"
            "<p lang=en>Point your phone's camera at the code to open your personal link. Keep this sheet "
            "private: it opens your seat.</p>"
            f"<p class=url>{html.escape(url)}</p></section>"
        )
    style = (
        "body{font-family:'Noto Sans CJK KR',sans-serif;margin:0}"
        ".sheet{page-break-after:always;padding:24mm;font-size:16pt}"
        ".name{font-size:22pt;font-weight:bold}.qr svg{width:70mm;height:70mm}"
        ".url{font-size:9pt;word-break:break-all;color:#333}"
    )
    return (
        f'<!doctype html><html lang="ko"><meta charset="utf-8"><title>{html.escape(title)}</title>'
        f"<style>{style}</style>" + "".join(pages) + "</html>"
    )


def add_parsers(sub: Any, add_redis_args: Any) -> None:
    p = sub.add_parser("panel", help="the stratified lottery: quotas, draw, replace, import")
    psub = p.add_subparsers(dest="panel_command", required=True)

    q = psub.add_parser("quotas", help="quotas from Seoul's population shares for a panel size")
    q.add_argument("--size", type=int, default=3000)
    q.add_argument("--tolerance", type=float, default=0.0, help="band around each target, e.g. 0.05")
    q.add_argument("--out", type=Path, default=Path("quotas.csv"))
    q.set_defaults(func=cmd_quotas)

    s = psub.add_parser("synthetic", help="a synthetic applicant pool drawn from the population shares")
    s.add_argument("--n", type=int, default=20000)
    s.add_argument("--seed", type=int, default=1)
    s.add_argument("--out", type=Path, default=Path("applicants.csv"))
    s.set_defaults(func=cmd_synthetic)

    d = psub.add_parser(
        "draw",
        help="draw the panel from the applicants",
        description="Select the panel by stratified lottery (sortition-algorithms), meeting every quota or "
        "saying which cannot be met. Writes panel.csv, reserve.csv, report.csv and draw.json.",
    )
    d.add_argument("applicants", type=Path)
    d.add_argument("--quotas", type=Path, help="QUOTAS.csv (default: from the population shares)")
    d.add_argument("--size", type=int, default=3000)
    d.add_argument("--seed", required=True, help="the public seed: the same seed gives the same panel")
    d.add_argument("--method", default="legacy", choices=["legacy", "maximin", "nash"])
    d.add_argument("--out", type=Path, default=Path("draw"))
    d.add_argument("--overwrite", action="store_true")
    d.set_defaults(func=cmd_draw)

    r = psub.add_parser("replace", help="replace a panelist who withdrew from the reserve list")
    r.add_argument("draw", type=Path, help="the folder of the draw")
    r.add_argument("withdrawn", help="the withdrawn panelist's id")
    r.add_argument("--quotas", type=Path, required=True)
    r.set_defaults(func=cmd_replace)

    i = psub.add_parser("import", help="put the drawn panel into the roster (role panelist)")
    i.add_argument("panel", type=Path, help="panel.csv of a draw")
    i.add_argument("--meetings", help="meeting ids separated by ';' (default: every meeting)")
    i.add_argument("--links-out", type=Path, help="write the new panelists' links to this CSV")
    i.add_argument("--base-url", help="base of the links (default: the URL the hubs announced)")
    add_redis_args(i)
    i.set_defaults(func=cmd_import)
