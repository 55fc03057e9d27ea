"""The ``plenary`` command: serve, demo, roster import, links, meeting add, help-contact.

Commands that touch Redis take ``--redis-url`` or ``--data-dir`` (the embedded Redis, joined if a
hub already runs it, started for the command and stopped after it otherwise).
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import logging
import sys
from collections.abc import Coroutine
from datetime import datetime
from pathlib import Path
from typing import Any

import msgspec

from cli.links import (
    base_url_for,
    confirm_revoke,
    issue_links,
    select,
    write_links,
)
from cli.redis_args import add_redis_args, redis_for
from cli.serve import add_serve_args, serve, settings_from
from engine import private
from engine.errors import Code, HubError
from moderation.meetings import MeetingInfo, Meetings
from panel.roster import Roster, read_roster
from realtime.ops import logs

log = logging.getLogger("plenary.cli")


# -- subcommands --------------------------------------------------------------------------------
def cmd_serve(args: argparse.Namespace) -> int:
    logs.setup(args.log_level)
    serve(settings_from(args), stop_timeout=args.stop_timeout)
    return 0


def _run(coro: Coroutine[Any, Any, int]) -> int:
    try:
        return asyncio.run(coro)
    except HubError as err:
        print(f"error [{err.name}]: {err.message}", file=sys.stderr)
        return 2


def cmd_roster_import(args: argparse.Namespace) -> int:
    async def go() -> int:
        people = read_roster(args.file)
        async with redis_for(args) as redis:
            # the base URL first: a missing one must stop the command before anything is stored
            base = await base_url_for(redis, args.base_url) if args.links_out else ""
            new = await Roster(redis).upsert(people)
            print(f"imported {len(people)} participants ({len(new)} new)")
            if args.links_out and new:
                # new participants hold no link yet: nothing is revoked, nothing to confirm
                write_links(await issue_links(redis, base, await select(redis, ids=new)), args.links_out)
            elif new:
                print("new participants have no link yet: run `plenary links` to issue them")
        return 0

    return _run(go())


def cmd_roster_list(args: argparse.Namespace) -> int:
    """Who is on the roster: ids, names, roles, meetings, and whether a link is out (never a token)."""

    async def go() -> int:
        async with redis_for(args) as redis:
            people = await select(redis, role=args.role)
        if args.meeting:
            people = [p for p in people if p.in_meeting(args.meeting)]
        print(f"{'participant_id':<14} {'role':<10} {'link':<5} {'meetings':<24} name")
        for p in people:
            meetings = "all" if "*" in p.meetings else ";".join(p.meetings)
            print(f"{p.id:<14} {p.role:<10} {'yes' if p.token_hash else 'no':<5} {meetings:<24} {p.name}")
        print(f"{len(people)} participant(s)", file=sys.stderr)
        return 0

    return _run(go())


def cmd_links(args: argparse.Namespace) -> int:
    async def go() -> int:
        if args.revoke and not (args.participant or args.role):
            print("--revoke needs --participant or --role", file=sys.stderr)
            return 2
        async with redis_for(args) as redis:
            people = await select(redis, ids=args.participant, role=args.role)
            if not people:
                print("no participants matched", file=sys.stderr)
                return 1
            if args.revoke:
                confirm_revoke(people, args.yes)
                for p in people:
                    await Roster(redis).revoke(p.id)
                print(f"revoked {sum(bool(p.token_hash) for p in people)} link(s)")
                return 0
            base = await base_url_for(redis, args.base_url)
            print(f"links open {base}", file=sys.stderr)
            confirm_revoke(people, args.yes)
            rows = await issue_links(redis, base, people)
        write_links(rows, args.out)
        if args.sheets:
            from cli.panel import link_sheets

            private.write_private(args.sheets, link_sheets(rows, "서울시민회의 Seoul Citizens' Assembly"))
            print(f"wrote {len(rows)} printable sheets to {args.sheets}", file=sys.stderr)
        print(f"{len(rows)} links issued for {base}", file=sys.stderr)
        return 0

    return _run(go())


def cmd_help_contact(args: argparse.Namespace) -> int:
    """Set whom participants ask for help (every page's "도움말·문의"); without options, print it."""
    from moderation import help_contact

    async def go() -> int:
        async with redis_for(args) as redis:
            given = {k: getattr(args, k) for k in help_contact.LIMITS if getattr(args, k) is not None}
            current = await help_contact.read(redis)
            if given:
                current = await help_contact.store(
                    redis, help_contact.HelpContact(**(msgspec.to_builtins(current) | given))
                )
        for name in help_contact.LIMITS:
            print(f"{name:<6} {getattr(current, name)}")
        return 0

    return _run(go())


def cmd_meeting_add(args: argparse.Namespace) -> int:
    def ms(value: str | None) -> int:
        return int(datetime.fromisoformat(value).timestamp() * 1000) if value else 0

    async def go() -> int:
        async with redis_for(args) as redis:
            info = MeetingInfo(
                id=args.id,
                title=args.title,
                youtube=args.youtube,
                starts_at=ms(args.starts),
                ends_at=ms(args.ends),
            )
            await Meetings(redis).put(info)
        print(f"meeting {args.id} saved")
        return 0

    return _run(go())


def cmd_verify(args: argparse.Namespace) -> int:
    """Recompute the board's chain and every method's result from the export alone."""
    from ballot.export import verify_export
    from ballot.store import tally

    report = verify_export(args.export, lambda defn, rankings: tally(defn, [tuple(r) for r in rankings]))
    if report.ok:
        print(f"OK: the chain and every result match. head hash {report.head_hash}")
        print("Compare this head hash with the one published at the plenary.")
        if args.sheet:
            from ballot.export import VoteExport, result_sheet
            from ballot.tally import published_tiers

            exp = msgspec.json.decode(Path(args.export).read_bytes(), type=VoteExport)
            print()
            print(result_sheet(exp, published_tiers(exp.results, exp.definition.method)), end="")
        return 0
    where = f" at entry {report.entry_index}" if report.entry_index is not None else ""
    fault = f" ({report.board_fault.value})" if report.board_fault else ""
    problem = report.problem.value if report.problem else "failed"
    print(f"FAILED: {problem}{fault}{where}: {report.detail}", file=sys.stderr)
    return 1


def cmd_vote_export(args: argparse.Namespace) -> int:
    async def go() -> int:
        from ballot import export as exports
        from ballot.store import VoteStore
        from engine.channels import ChannelLog
        from proposals import provenance, record
        from proposals.store import ProposalStore
        from proposals.voting import ProposalVotes

        async with redis_for(args) as redis:
            store = VoteStore(ChannelLog(redis))
            data = await store.export(args.vote)
            origin = await ProposalVotes(store, ProposalStore(store.log)).origin(args.vote)  # issue 14
        exp = msgspec.json.decode(data, type=exports.VoteExport)
        out = private.private_dir(args.out)  # exports: 0700 folder, 0600 files
        files = {name: exports.export_file(exp, data, name) for name in exports.EXPORT_FILES}
        if origin is not None:  # issue 14: a vote made from proposals, its items' provenance beside
            order = provenance.published_order(exp.results, exp.definition.method)
            files["provenance.json"] = msgspec.json.encode(record.provenance_json(origin, order))
            files["provenance.csv"] = record.provenance_csv(origin, order).encode()
        for name, body in files.items():
            private.write_private(out / f"{args.vote}-{name}", body)
        print(f"wrote {', '.join(files)} for {args.vote} to {out}; head hash {exp.head_hash}")
        return 0

    return _run(go())


def cmd_vote_merge_phone(args: argparse.Namespace) -> int:
    """Merge phone pre-votes (CSV: voter,ranking with ids separated by ';',nonce) as channel phone."""

    async def go() -> int:
        from ballot import rules
        from ballot.model import Channel
        from ballot.store import CastBatcher, Voter, VoteStore
        from engine.channels import ChannelLog

        rows = list(csv.DictReader(args.file.open(encoding="utf-8")))
        async with redis_for(args) as redis:
            store = VoteStore(ChannelLog(redis))
            defn = await store.definition(args.vote)
            roster = Roster(redis)
            problems = []
            for n, row in enumerate(rows, start=2):
                try:
                    if await roster.get(row.get("voter", "")) is None:
                        raise HubError(Code.UNKNOWN_VOTER, f"no panelist {row.get('voter')!r}")
                    rules.validate_ranking(defn, [x for x in (row.get("ranking") or "").split(";") if x])
                    rules.validate_nonce(row.get("nonce"))
                except HubError as err:
                    problems.append(f"row {n}: {err.message}")
            if problems:
                print("nothing merged:\n" + "\n".join(problems[:20]), file=sys.stderr)
                return 2
            batcher = CastBatcher(store)
            batcher.start()
            try:
                for row in rows:
                    p = await roster.get(row["voter"])
                    assert p is not None
                    await batcher.cast(
                        defn,
                        Voter(p.id, p.gender, p.age_band, p.district),
                        [x for x in row["ranking"].split(";") if x],
                        row["nonce"],
                        channel=Channel.PHONE,
                        entered_by=args.entered_by,
                    )
            finally:
                await batcher.stop()
        print(f"merged {len(rows)} phone pre-votes into {args.vote}")
        return 0

    return _run(go())


def cmd_demo(args: argparse.Namespace) -> int:
    from cli import demo

    return demo.run(args)


BASE_URL_HELP = "base of the links (default: the URL the hubs announced, e.g. their --public-url)"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="plenary", description="Live hub of the Seoul Citizens' Assembly")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("serve", help="run a hub process", description="Run one hub process.")
    add_serve_args(p)
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("demo", help="run a hub with a demo assembly and print its links")
    add_serve_args(p)
    p.set_defaults(func=cmd_demo, data_dir=Path("var/demo"))

    p = sub.add_parser("roster", help="manage the roster")
    rsub = p.add_subparsers(dest="roster_command", required=True)
    ri = rsub.add_parser("import", help="import a roster CSV (validated whole; nothing stored on error)")
    ri.add_argument("file", type=Path)
    ri.add_argument("--links-out", type=Path, help="write the new participants' links to this CSV")
    ri.add_argument("--base-url", help=BASE_URL_HELP)
    add_redis_args(ri)
    ri.set_defaults(func=cmd_roster_import)
    rl = rsub.add_parser("list", help="list participants: ids, roles, meetings, whether a link is out")
    rl.add_argument("--role", help="only this role")
    rl.add_argument("--meeting", help="only participants of this meeting")
    add_redis_args(rl)
    rl.set_defaults(func=cmd_roster_list)

    p = sub.add_parser(
        "links",
        help="issue personal links (revokes earlier ones, after saying whose)",
        description="Issue fresh personal links. Only token hashes are stored, so a link can be shown only "
        "when issued: this revokes each selected participant's earlier link. It names them first and asks; "
        "without a terminal, pass --yes.",
    )
    p.add_argument("--out", type=Path, help="write a CSV for mail merge instead of printing")
    p.add_argument(
        "--sheets", type=Path, help="also write printable sheets with QR codes (HTML) to this file"
    )
    p.add_argument(
        "--revoke", action="store_true", help="revoke the selected links instead of issuing new ones"
    )
    p.add_argument("--participant", action="append", help="only this participant (repeatable)")
    p.add_argument("--role", help="only this role")
    p.add_argument("--base-url", help=BASE_URL_HELP)
    p.add_argument("--yes", action="store_true", help="revoke earlier links without asking (for scripts)")
    add_redis_args(p)
    p.set_defaults(func=cmd_links)

    p = sub.add_parser("meeting", help="manage meetings")
    msub = p.add_subparsers(dest="meeting_command", required=True)
    ma = msub.add_parser("add", help="create or update a meeting")
    ma.add_argument("--id", required=True)
    ma.add_argument("--title", required=True)
    ma.add_argument("--youtube", default="", help="YouTube video id of the stream")
    ma.add_argument("--starts", help="ISO time, e.g. 2026-12-05T14:00+09:00")
    ma.add_argument("--ends", help="ISO time")
    add_redis_args(ma)
    ma.set_defaults(func=cmd_meeting_add)
    hc = sub.add_parser("help-contact", help="whom participants ask for help (every page's help dialog)")
    hc.add_argument("--phone", help="e.g. 02-2133-0000 (digits, spaces, + - ( ))")
    hc.add_argument("--hours", help="when someone answers, e.g. '회의가 열리는 날 오전 9시 ~ 오후 6시'")
    hc.add_argument("--place", help="where to ask at the venue")
    hc.add_argument("--note", help="anything else to say ('' clears a field)")
    add_redis_args(hc)
    hc.set_defaults(func=cmd_help_contact)
    from cli import panel as cli_panel

    cli_panel.add_parsers(sub, add_redis_args)
    # issue 14: attendance
    from cli import attendance as cli_attendance

    cli_attendance.add_parsers(sub, add_redis_args)
    # issue 15: tables
    from cli import tables as cli_tables

    cli_tables.add_parsers(sub, add_redis_args)

    p = sub.add_parser(
        "verify",
        help="check a vote export: the hash chain and every method's result",
        description="Recompute the bulletin board's hash chain and every method's result from a vote export "
        "alone and say whether they match the published ones.",
    )
    p.add_argument("export", type=Path, help="the export.json of a published vote")
    p.add_argument(
        "--sheet",
        action="store_true",
        help="once verified, also print the result sheet (official order and head hash) to read out and sign",
    )
    p.set_defaults(func=cmd_verify)

    p = sub.add_parser("vote", help="vote exports and phone pre-votes")
    vsub = p.add_subparsers(dest="vote_command", required=True)
    ve = vsub.add_parser("export", help="write a published vote's export (JSON, CSV, PrefLib .soi/.toi)")
    ve.add_argument("vote")
    ve.add_argument("--out", type=Path, default=Path("."))
    add_redis_args(ve)
    ve.set_defaults(func=cmd_vote_export)
    vm = vsub.add_parser("merge-phone", help="merge phone pre-votes (CSV: voter,ranking,nonce)")
    vm.add_argument("vote")
    vm.add_argument("file", type=Path)
    vm.add_argument("--entered-by", default="operator", help="who took the calls (audit)")
    add_redis_args(vm)
    vm.set_defaults(func=cmd_vote_merge_phone)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        code: int = args.func(args)
    except KeyboardInterrupt:
        # Ctrl-C is how a person stops a command: no traceback, the shell's usual status
        print(file=sys.stderr)
        return 130
    return code


if __name__ == "__main__":
    raise SystemExit(main())
