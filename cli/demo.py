"""``plenary demo``: a small assembly on the embedded Redis, its links printed, the hub running.

The demo roster has every role; its meetings follow the 2020 assembly's topics (the YouTube ids
are placeholders of the right shape: the player shows "video unavailable").

A restart on the same data dir keeps everything, links included: open pages reconnect and go on.
Tokens are stored only hashed, so the demo keeps its links in ``demo-links.csv`` in the data dir,
readable by its owner only (0600), and reuses every one that still authenticates; only a
participant without a working link gets a new one. Why a file of links rather than tokens derived
from a secret kept in the data dir: the file holds no more than that secret would unlock (the data
dir's owner could read either), the tokens stay the random, revocable tokens of production
(``plenary links`` can still revoke and reissue one, and the demo then takes the new state as it
finds it), and the roster code needs no second way of making tokens.

The hub's logs go to ``hub.log`` in the data dir so the banner stays readable; errors also show on
the terminal. Ctrl-C stops the hub (and the embedded Redis it started) without a traceback.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import csv
import io
import sys
import time
import unicodedata
from importlib import resources
from pathlib import Path

from ballot.model import BallotRule, Proposal, VoteDefinition
from ballot.store import VoteStore
from cli.links import LinkRow, link, read_links_csv, save_links_csv
from cli.serve import serve, settings_from
from engine.channels import ChannelLog
from engine.connection import command_client
from engine.errors import VoteError
from engine.roles import Role
from engine.server import ensure_server
from moderation import meeting_votes
from moderation.meetings import MeetingInfo, Meetings
from panel.roster import Participant, Roster
from realtime.ops import logs

LINKS_FILE = "demo-links.csv"  # in the data dir, mode 0600: the demo's links across restarts
LOG_FILE = "hub.log"  # in the data dir: the hub's JSON logs, off the terminal

DISTRICTS = ["종로구", "강남구", "마포구", "노원구", "관악구", "송파구", "은평구", "강서구"]
AGE_BANDS = ["18-29", "30-39", "40-49", "50-59", "60-69", "70+"]
NAMES = ["김민준", "이서연", "박지훈", "최수아", "정예준", "강하은", "조도윤", "윤지우", "장서준", "임하린"]

STAFF = [
    Participant(id="host-1", name="사회자 한지민", role=Role.HOST),
    Participant(id="mod-1", name="진행자 오세훈", role=Role.MODERATOR),
    Participant(id="ops-1", name="운영 김현우", role=Role.OPS),
    Participant(id="obs-1", name="참관인 이다은", role=Role.OBSERVER),
    Participant(id="clerk-1", name="서기 박소연", role=Role.CLERK),
    Participant(id="cap-1", name="자막 최유리", role=Role.CAPTIONER),
]


def demo_roster() -> list[Participant]:
    panel = [
        Participant(
            id=f"p-{i:03d}",
            name=NAMES[i % len(NAMES)] + (f" {i // len(NAMES) + 1}" if i >= len(NAMES) else ""),
            role=Role.PANELIST,
            gender="female" if i % 2 else "male",
            age_band=AGE_BANDS[i % len(AGE_BANDS)],
            district=DISTRICTS[i % len(DISTRICTS)],
            meetings=["plenary", "health"] if i % 2 else ["plenary", "transport"],
        )
        for i in range(12)
    ]
    return STAFF + panel


def demo_meetings(now_ms: int) -> list[MeetingInfo]:
    hour = 3_600_000
    return [
        MeetingInfo(
            id="plenary",
            title="시민총회",
            youtube="dQw4w9WgXcQ",
            starts_at=now_ms,
            ends_at=now_ms + 3 * hour,
        ),
        MeetingInfo(id="health", title="주제별회의: 시민참여형 방역체계", starts_at=now_ms + hour),
        MeetingInfo(id="transport", title="주제별회의: 교통", starts_at=now_ms + 2 * hour),
    ]


DEMO_VOTE = "plenary-1"
DEMO_VOTE_HOME = "plenary"  # the meeting whose pages show it (moderation/meeting_votes.py)


def demo_vote() -> VoteDefinition:
    """The plenary's priority vote: the first topic meeting's proposals (2020, sourced in the data
    file) and four invented ones in fields the 2020 assembly reported; rank your top 5."""
    text = resources.files("cli").joinpath("data/demo_proposals.csv").read_text(encoding="utf-8")
    proposals = tuple(
        Proposal(id=r["id"], title=r["title_ko"], topic=r["topic"])  # no English subtitle: Korean first
        for r in csv.DictReader(io.StringIO(text))
    )
    return VoteDefinition(
        vote_id=DEMO_VOTE,
        title="시민총회 정책 우선순위",
        proposals=proposals,
        rule=BallotRule(kind="top_k", k=5, minimum=1),
        method="schulze",
        shown_methods=("borda", "ranked_pairs", "copeland", "instant_runoff"),
        tie_break=tuple(p.id for p in proposals),
        grace_seconds=20,
    )


async def seed(url: str, base: str, links_file: Path | None = None) -> list[LinkRow]:
    """Store the demo assembly where it is missing and return one link per participant.

    With ``links_file``, links saved there by an earlier run are reused while they authenticate,
    and the file is rewritten (0600) with the current ones: a restart revokes nobody. Without it,
    every participant gets a fresh link (revoking any earlier one)."""
    redis = command_client(url, name="plenary-demo")
    try:
        roster = Roster(redis)
        await roster.upsert(demo_roster())  # existing participants keep their token
        meetings = Meetings(redis)
        have = {m.id for m in await meetings.all()}
        for m in demo_meetings(int(time.time() * 1000)):
            if m.id not in have:  # a restart keeps the meetings as the host left them
                await meetings.put(m)
        votes = VoteStore(ChannelLog(redis))
        with contextlib.suppress(VoteError):  # a second `make demo` keeps the vote where it was
            await votes.create(demo_vote())
            await votes.open(DEMO_VOTE, [p.id for p in await roster.all() if p.role == Role.PANELIST])
        demo = demo_vote()  # listed on its meeting's pages (again: repeating it changes nothing)
        await meeting_votes.announce(votes.log, DEMO_VOTE_HOME, DEMO_VOTE, demo.title, demo.eligibility)
        kept: dict[str, str] = {}
        for pid, token in (read_links_csv(links_file) if links_file else {}).items():
            who = await roster.authenticate(token)
            if who is not None and who.id == pid:
                kept[pid] = token
        people = await roster.all()
        fresh = await roster.issue_tokens([p.id for p in people if p.id not in kept])
        rows = [(p.id, p.name, str(p.role), link(base, kept.get(p.id) or fresh[p.id])) for p in people]
        if links_file:
            save_links_csv(rows, links_file)
        return rows
    finally:
        await redis.aclose()


def _pad(text: str, width: int) -> str:
    """``text`` padded to ``width`` terminal columns (Hangul takes two), so the banner lines up."""
    cols = sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)
    return text + " " * max(1, width - cols)


def banner(rows: list[LinkRow], base_url: str, data_dir: Path) -> str:
    """What the demo prints before serving: a few links per role, where the rest and the logs are."""
    out = ["", "  Plenary hub demo: open a link below (each is one participant's personal seat)", ""]

    def line(role: str, name: str, url: str) -> None:
        out.append(f"  {_pad(role, 11)}{_pad(name, 16)}{url}")

    for pid, name, role, url in rows:
        if role != Role.PANELIST or pid in ("p-000", "p-001"):
            line(role, name, url)
        if role == Role.HOST:  # the same seat, opened on the host's vote console
            line("", "(vote console)", url.replace("/#t=", "/host#t="))
        if role == Role.MODERATOR:
            line("", "(console)", url.replace("/#t=", "/moderate?meeting=plenary#t="))
        if role == Role.OPS:
            line("", "(dashboard)", url.replace("/#t=", "/ops#t="))
        if role == Role.OBSERVER:
            line("", "(OBS overlay)", url.replace("/#t=", "/overlay/plenary#t="))
        if role == Role.CAPTIONER:  # the captions console (issue 13)
            line("", "(captions)", url.replace("/#t=", "/caption?meeting=plenary#t="))
        if role == Role.CLERK:  # the hall desk (issue 14)
            line("", "(hall desk)", url.replace("/#t=", "/checkin?session=plenary#t="))
    more = sum(r[2] == Role.PANELIST for r in rows) - 2
    out += [
        "",
        f"  The plenary vote {DEMO_VOTE!r} is open: panelists rank proposals on their page;",
        f"  after the host publishes: {base_url}/results/{DEMO_VOTE}",
        "",
        f"  All {len(rows)} links ({more} more panelists): {data_dir / LINKS_FILE} (private: each opens a seat)",
        f"  Logs: {data_dir / LOG_FILE}   metrics: {base_url}/metrics   health: {base_url}/readyz",
        "  Ctrl-C stops the demo; starting it again on the same data keeps these links working.",
        "",
        "  " + "─" * 76,
    ]
    return "\n".join(out)


def run(args: argparse.Namespace) -> int:
    settings = settings_from(args)
    data_dir = Path(settings.data_dir)
    logs.setup(args.log_level, data_dir / LOG_FILE)
    embedded = None if settings.redis_url else ensure_server(data_dir)
    url = settings.redis_url or (embedded.url if embedded else "")
    try:
        rows = asyncio.run(seed(url, settings.base_url, data_dir / LINKS_FILE))
    except KeyboardInterrupt:
        if embedded is not None and embedded.started:
            embedded.stop()  # no hub ran yet to stop it
        raise
    try:
        serve(settings, before=lambda: print(banner(rows, settings.base_url, data_dir), flush=True))
    except KeyboardInterrupt:
        # uvicorn shut the hub down cleanly, then re-raised Ctrl-C: stopping is the normal way out
        print(
            "\n  Demo stopped. `make demo` again (same DATA) and the links above work again.", file=sys.stderr
        )
    return 0
