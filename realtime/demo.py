"""``plenary demo``: a small assembly on the embedded Redis, its links printed, the hub running.

The demo roster has every role; its meetings follow the 2020 assembly's topics (the YouTube ids
are placeholders of the right shape: the player shows "video unavailable").
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import csv
import io
import time
from importlib import resources

from ballot.model import BallotRule, Proposal, VoteDefinition
from ballot.store import VoteStore
from engine.channels import ChannelLog
from engine.connection import command_client
from engine.errors import VoteError
from engine.server import ensure_server
from moderation.meetings import MeetingInfo, Meetings
from panel.roster import Participant, Roster
from realtime import logs
from realtime.cli import issue_links, serve, settings_from

DISTRICTS = ["종로구", "강남구", "마포구", "노원구", "관악구", "송파구", "은평구", "강서구"]
AGE_BANDS = ["18-29", "30-39", "40-49", "50-59", "60-69", "70+"]
NAMES = ["김민준", "이서연", "박지훈", "최수아", "정예준", "강하은", "조도윤", "윤지우", "장서준", "임하린"]

STAFF = [
    Participant(id="host-1", name="사회자 한지민", role="host"),
    Participant(id="mod-1", name="진행자 오세훈", role="moderator"),
    Participant(id="ops-1", name="운영 김현우", role="ops"),
    Participant(id="obs-1", name="참관인 이다은", role="observer"),
    Participant(id="clerk-1", name="서기 박소연", role="clerk"),
]


def demo_roster() -> list[Participant]:
    panel = [
        Participant(
            id=f"p-{i:03d}",
            name=NAMES[i % len(NAMES)] + (f" {i // len(NAMES) + 1}" if i >= len(NAMES) else ""),
            role="panelist",
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
            title="시민총회 (Plenary)",
            youtube="dQw4w9WgXcQ",
            starts_at=now_ms,
            ends_at=now_ms + 3 * hour,
        ),
        MeetingInfo(id="health", title="주제별회의: 시민참여형 방역체계 (Health)", starts_at=now_ms + hour),
        MeetingInfo(id="transport", title="주제별회의: 교통 (Transport)", starts_at=now_ms + 2 * hour),
    ]


DEMO_VOTE = "plenary-1"  # the pages find a meeting's votes as <meeting>-1, <meeting>-2, ...


def demo_vote() -> VoteDefinition:
    """The plenary's priority vote: the first topic meeting's proposals (2020, sourced in the data
    file) and four invented ones in fields the 2020 assembly reported; rank your top 5."""
    text = resources.files("realtime").joinpath("data/demo_proposals.csv").read_text(encoding="utf-8")
    proposals = tuple(
        Proposal(id=r["id"], title=r["title_ko"], description=r["title_en"], topic=r["topic"])
        for r in csv.DictReader(io.StringIO(text))
    )
    return VoteDefinition(
        vote_id=DEMO_VOTE,
        title="시민총회 정책 우선순위 (Plenary priorities)",
        proposals=proposals,
        rule=BallotRule(kind="top_k", k=5, minimum=1),
        method="schulze",
        shown_methods=("borda", "ranked_pairs", "copeland", "instant_runoff"),
        tie_break=tuple(p.id for p in proposals),
        grace_seconds=20,
    )


async def seed(url: str, base: str) -> list[tuple[str, str, str, str]]:
    redis = command_client(url, name="plenary-demo")
    try:
        roster = Roster(redis)
        await roster.upsert(demo_roster())
        for m in demo_meetings(int(time.time() * 1000)):
            await Meetings(redis).put(m)
        votes = VoteStore(ChannelLog(redis))
        with contextlib.suppress(VoteError):  # a second `make demo` keeps the vote where it was
            await votes.create(demo_vote())
            await votes.open(DEMO_VOTE, [p.id for p in await roster.all() if p.role == "panelist"])
        return await issue_links(redis, base)
    finally:
        await redis.aclose()


def run(args: argparse.Namespace) -> int:
    logs.setup(args.log_level)
    settings = settings_from(args)
    url = settings.redis_url or ensure_server(settings.data_dir).url
    rows = asyncio.run(seed(url, settings.base_url))

    def banner() -> None:
        print(
            "\n  Plenary hub demo: open a link below (each is one participant's personal seat)\n", flush=True
        )
        for pid, name, role, link in rows:
            if role != "panelist" or pid in ("p-000", "p-001"):
                print(f"  {role:<10} {name:<14} {link}", flush=True)
            if role == "host":
                # the same seat, opened on the host's vote console
                print(f"  {'':<10} {'(vote console)':<14} {link.replace('/#t=', '/host#t=')}", flush=True)
            if role == "moderator":
                console = link.replace("/#t=", "/moderate?meeting=plenary#t=")
                print(f"  {'':<10} {'(console)':<14} {console}", flush=True)
            if role == "ops":
                print(f"  {'':<10} {'(dashboard)':<14} {link.replace('/#t=', '/ops#t=')}", flush=True)
            if role == "observer":
                overlay = link.replace("/#t=", "/overlay/plenary#t=")
                print(f"  {'':<10} {'(OBS overlay)':<14} {overlay}", flush=True)
        print(
            f"\n  The plenary vote {DEMO_VOTE!r} is open: panelists rank proposals on their page;", flush=True
        )
        print(f"  after the host publishes: {settings.base_url}/results/{DEMO_VOTE}", flush=True)
        print(
            f"\n  ... and {sum(r[2] == 'panelist' for r in rows) - 2} more panelists: `plenary links --data-dir "
            f"{settings.data_dir}` reissues them.",
            flush=True,
        )
        print(
            f"  metrics: {settings.base_url}/metrics   health: {settings.base_url}/readyz   Ctrl-C stops.\n",
            flush=True,
        )

    serve(settings, before=banner)
    return 0
