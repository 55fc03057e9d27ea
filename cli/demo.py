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
import csv
import io
import sys
import time
import unicodedata
from collections.abc import Iterable
from importlib import resources
from pathlib import Path

from ballot.model import PANELISTS, BallotRule, Proposal, VoteDefinition, VoteState
from ballot.rules import eligible_voters
from ballot.store import CastBatcher, Voter, VoteStore
from cli.links import LinkRow, link, read_links_csv, save_links_csv
from cli.serve import serve, settings_from
from engine import keys
from engine.channels import ChannelLog
from engine.connection import command_client
from engine.roles import Role
from engine.server import ensure_server
from moderation import help_contact, meeting_votes
from moderation.meetings import MeetingInfo, Meetings
from panel.roster import Participant, Roster
from proposals.model import Person
from proposals.provenance import item_id
from proposals.store import ProposalStore
from proposals.voting import ProposalVotes
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
    # issue 15: a table facilitator of the plenary (a host gives them a table: table.facilitator)
    Participant(id="fac-1", name="테이블 진행 문하나", role=Role.FACILITATOR, meetings=["plenary"]),
    # issue 15: the theme team (staff of every meeting; their link opens the theme console)
    Participant(id="theme-1", name="주제팀 한결", role=Role.THEMER),
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
    """A priority vote of twelve proposals: the first topic meeting's proposals (2020, sourced in
    the data file) and four invented ones in fields the 2020 assembly reported; rank your top 5.
    The results page's tests publish it (a ballot long enough for its charts); the demo's own
    plenary vote is assembled from its topic meetings' shortlists (:func:`seed_plenary`)."""
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


# issue 14: the topic meetings' proposals start from panelists. Invented for the demo (in the fields
# the 2020 assembly reported): meeting, its open section, then (author, title, problem, what the city
# should do, supporters) per proposal, the authors and supporters members of that meeting.
DEMO_PROPOSALS: tuple[tuple[str, str, tuple[tuple[str, str, str, str, tuple[str, ...]], ...]], ...] = (
    (
        "health",
        "health",
        (
            (
                "p-001",
                "동네 보건소에 시민 방역 도우미를",
                "감염병이 돌 때 보건소 일손이 모자라 검사와 안내가 늦어요.",
                "구마다 시민 방역 도우미를 뽑아 교육하고, 보건소의 안내와 검사를 돕게 해 주세요.",
                ("p-003", "p-005", "p-007"),
            ),
            (
                "p-003",
                "방역 안내를 쉬운 말로",
                "방역 수칙 안내에 어려운 말이 많아 어르신과 외국인 주민이 알아듣기 어려워요.",
                "안내문을 쉬운 말과 여러 나라 말로 만들고, 동네 게시판과 문자로 알려 주세요.",
                ("p-001", "p-009"),
            ),
            (
                "p-005",
                "동네 의원 밤과 주말 진료 늘리기",
                "밤이나 주말에 아이가 아프면 문을 연 병원을 찾기 어려워요.",
                "동네 의원이 돌아가며 밤과 주말에도 진료하도록 지원해 주세요.",
                ("p-001", "p-007", "p-009", "p-011"),
            ),
            (
                "p-007",
                "정류장과 역에 마스크 수거함을",
                "쓴 마스크를 아무 데나 버려서 거리가 지저분하고 걱정돼요.",
                "버스 정류장과 지하철역에 마스크 수거함을 놓아 주세요.",
                ("p-011",),
            ),
        ),
    ),
    (
        "transport",
        "transport",
        (
            (
                "p-002",
                "마을버스 배차 간격 줄이기",
                "출퇴근 시간에 마을버스가 20분 넘게 오지 않는 동네가 많아요.",
                "출퇴근 시간에는 마을버스가 10분마다 다니도록 지원해 주세요.",
                ("p-004", "p-006", "p-008", "p-010"),
            ),
            (
                "p-004",
                "버스 정류장 그늘막과 온열 의자",
                "여름에는 정류장이 너무 덥고 겨울에는 너무 추워요.",
                "정류장마다 그늘막과 온열 의자를 늘려 주세요.",
                ("p-002",),
            ),
            (
                "p-006",
                "끊긴 자전거 도로 잇기",
                "자전거 도로가 중간에 끊겨서 차도로 다녀야 해요.",
                "끊긴 자전거 도로를 잇고 알아보기 쉬운 표지판을 달아 주세요.",
                (),
            ),
        ),
    ),
)


async def seed_proposals(store: ProposalStore, names: dict[str, str]) -> None:
    """The demo's proposals, through the same steps panelists take, where a meeting has none yet
    (a restart keeps the proposals as people left them)."""
    for meeting, section, items in DEMO_PROPOSALS:
        page = await store.page(meeting)
        if page.proposals or page.open_sections:
            continue
        await store.set_sections(meeting, Role.HOST, [section])
        for author, title, problem, action, supporters in items:
            done = await store.submit(
                meeting, Person(author, names[author]), Role.PANELIST, section, title, problem, action
            )
            for who in supporters:
                await store.support(meeting, done.result.id, who, Role.PANELIST)


# issue 14: the plenary ballot starts from the panelists' proposals. Each topic meeting shortlists
# its proposals with a ranked vote of its panelists (the ballots below, by proposal number), keeping
# two; the hosts assemble the plenary's vote from the two shortlists. The ballot items are the
# meetings' proposals with their provenance (proposals/provenance.py).
DEMO_SHORTLISTS: tuple[tuple[str, str, str, tuple[tuple[str, tuple[int, ...]], ...]], ...] = (
    (
        "health",
        "health-short",
        "보건 분과 제안 추리기",
        (
            ("p-001", (1, 3)),
            ("p-003", (2, 1)),
            ("p-005", (3, 1)),
            ("p-007", (1, 4)),
            ("p-009", (3, 1)),
            ("p-011", (1,)),
        ),
    ),
    (
        "transport",
        "transport-short",
        "교통 분과 제안 추리기",
        (
            ("p-000", (1, 3)),
            ("p-002", (1, 2)),
            ("p-004", (2, 1)),
            ("p-006", (3, 1)),
            ("p-008", (1, 2)),
            ("p-010", (2,)),
        ),
    ),
)
DEMO_KEPT = 2  # each meeting keeps its first two
DEMO_PLENARY_TITLE = "시민총회 정책 우선순위"


async def _through(
    votes: VoteStore,
    casts: CastBatcher,
    roster: list[Participant],
    vote: str,
    ballots: Iterable[tuple[str, list[str]]],
) -> None:
    """A vote of the demo from where it stands to published: opened for its eligible panelists,
    the ballots cast (a nonce each: cast again, they count once), closed, published. Each step
    only from the state before it, so a demo stopped halfway goes on from there."""
    defn = await votes.definition(vote)
    if await votes.status(vote) is VoteState.DRAFT:
        await votes.open(vote, eligible_voters(defn, roster))
    if await votes.status(vote) is VoteState.OPEN:
        for who, ranking in ballots:
            await casts.cast(defn, Voter(who), ranking, f"demo-{vote}-{who}")
        await votes.announce_close(vote)  # no grace: closed at once
    if await votes.status(vote) is VoteState.CLOSED:
        await votes.publish(vote)


async def seed_plenary(votes: VoteStore, store: ProposalStore, roster: list[Participant]) -> None:
    """The topic meetings' shortlist votes, published, and the plenary's vote assembled from them
    and opened, through the domain's own steps (``proposals.voting``), where the plenary's vote
    does not exist yet. A data dir from before keeps its plenary vote as it was."""
    if await votes.redis.exists(keys.vote_key(DEMO_VOTE, "definition")):
        return
    made = ProposalVotes(votes, store)
    casts = CastBatcher(votes)
    casts.start()
    try:
        for meeting, vote, title, ballots in DEMO_SHORTLISTS:
            section = next(sec for m, sec, _ in DEMO_PROPOSALS if m == meeting)
            await store.set_sections(meeting, Role.HOST, [])  # the proposals on the vote are all in
            await made.shortlist(meeting, vote, title, Role.MODERATOR, section=section, top=DEMO_KEPT)
            await meeting_votes.announce(votes.log, meeting, vote, title, meeting)
            ranked = [(who, [item_id(meeting, n) for n in ns]) for who, ns in ballots]
            await _through(votes, casts, roster, vote, ranked)
            await made.follow(vote)  # as vote.publish does: its first two are shortlisted
            await store.set_sections(meeting, Role.HOST, [section])  # open again for new proposals
        plenary = await made.ballot(
            DEMO_VOTE,
            DEMO_PLENARY_TITLE,
            Role.HOST,
            [vote for _, vote, _, _ in DEMO_SHORTLISTS],
            grace_seconds=20,
            shown_methods=("borda", "ranked_pairs", "copeland", "instant_runoff"),
        )
        await votes.open(DEMO_VOTE, eligible_voters(plenary.definition, roster))
    finally:
        await casts.stop()


DEMO_TABLE_SIZE = (4, 6)  # 12 panelists: two tables of 6 (tables of 8-10 need 16 or more)


DEMO_CARDS = (
    (1, "마을버스 배차 간격을 줄여 주세요"),
    (1, "어린이집 대기 기간을 줄여 주세요"),
    (1, "버스 정류장에 비를 피할 쉼터를 늘려 주세요"),
    (2, "버스 배차 간격이 너무 길어요"),
    (2, "어린이집 대기 기간이 길어요"),
    (2, "공원에 여름 그늘막을 늘려 주세요"),
)
"""Issue 15: the tables' first ideas, so the theme console has cards to group (the two bus cards
and the two childcare cards are what its 비슷한 카드 묶음 제안 groups)."""


async def seed_tables(log: ChannelLog, roster: list[Participant]) -> None:
    """Issue 15: the plenary's panelists seated at tables, the demo's facilitator given table 1 and
    a few cards from both tables, once (a restart keeps them, and whatever was changed since)."""
    from attendance.rules import counted
    from tables.assign import assign
    from tables.attendees import person
    from tables.cards_store import meeting_cards, post_card
    from tables.live import assign_facilitator, facilitators, seat
    from tables.seating_store import load_seating

    redis = log.redis
    seating = await load_seating(redis, "plenary")
    if seating is None:
        panel = [person(p) for p in roster if counted(p) and p.in_meeting("plenary")]
        if panel:
            seating = await seat(log, assign("plenary", panel, size=DEMO_TABLE_SIZE, passes=1).seating)
    helpers = [p.id for p in roster if p.role == Role.FACILITATOR and p.in_meeting("plenary")]
    if helpers and not await facilitators(redis, "plenary"):  # their link opens a table at once
        await assign_facilitator(redis, "plenary", 1, helpers[0])
    if seating is None or await meeting_cards(redis, "plenary"):
        return
    table_1 = await facilitators(redis, "plenary")
    host = next((p.id for p in roster if p.role == Role.HOST), "")
    for table, text in DEMO_CARDS:
        if table <= seating.count:  # table 1's facilitator posts its own; a host stands in for the rest
            await post_card(log, "plenary", table, text, table_1.get(table) or host, 0)


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
        if not await redis.exists(keys.HELP_CONTACT):  # the organisers' own contact is kept
            await help_contact.store(redis, help_contact.DEMO)  # a placeholder that says it is one
        proposals = ProposalStore(votes.log)
        await seed_proposals(proposals, {p.id: p.name for p in await roster.all()})
        # issue 14: the plenary's vote from the meetings' shortlists; a second `make demo` keeps it
        await seed_plenary(votes, proposals, await roster.all())
        # listed on its meeting's pages (again: repeating it changes nothing)
        await meeting_votes.announce(votes.log, DEMO_VOTE_HOME, DEMO_VOTE, DEMO_PLENARY_TITLE, PANELISTS)
        await seed_tables(votes.log, await roster.all())
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
        out.append(f"  {_pad(role, 12)}{_pad(name, 18)}{url}")

    team = [(name, url) for _pid, name, role, url in rows if role == Role.THEMER]
    for pid, name, role, url in rows:
        if role == Role.THEMER:
            continue  # beside the host's console links, below
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
        if role == Role.FACILITATOR:  # their table (issue 15)
            line("", "(table)", url.replace("/#t=", "/table?meeting=plenary#t="))
        if role == Role.HOST:  # every table (issue 15)
            line("", "(tables)", url.replace("/#t=", "/tables?meeting=plenary#t="))
        if role == Role.HOST:  # the theme team's console (issue 15): hosts are on the team
            line("", "(themes)", url.replace("/#t=", "/themes?meeting=plenary#t="))
            for themer, their in team:  # the theme team's own seat opens on the console
                line(str(Role.THEMER), themer, their.replace("/#t=", "/themes?meeting=plenary#t="))
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
