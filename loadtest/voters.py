"""A plenary to load: seed panelists, a meeting and an open vote; write their tokens; count ballots.

Shared by ``loadtest.bench_cast`` (imported), ``loadtest/locustfile.py`` (reads the CSV only: it
never imports the hub's code) and the smoke test.

Commands (``--data-dir var`` is the embedded Redis a hub started with ``plenary serve`` uses; it is
joined if running, else started for the command and stopped after it, its AOF keeping the data):

    python -m loadtest.voters seed --n 3000 --data-dir var --out var/loadtest/tokens.csv
    python -m loadtest.voters seed --n 3000 --redis-url redis://10.0.0.5:6379/0 --out tokens.csv
    python -m loadtest.voters count --data-dir var [--vote plenary]

``seed`` upserts panelists ``lt-00000`` ..., ``--moderators`` moderators ``lt-mod-0`` ... and
``--hosts`` hosts ``lt-host``, ``lt-host-1`` ... into the roster, issues each a fresh token
(revoking older ones), stores the meeting ``plenary`` (chat open; its Q&A, agenda and slides need
no switch: moderators and hosts run them) and creates and opens the vote ``--vote`` (default
``plenary``; an already open vote of that id is reused). The CSV
(``participant_id,role,token,meeting,vote``, mode 0600: each row opens a seat) holds one row per
participant: ``loadtest/locustfile.py`` seats its panelists, moderators and hosts from it. ``count`` prints the ballots and the turnout stored for the vote.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import csv
import random
import sys
from dataclasses import dataclass
from pathlib import Path

from redis.asyncio import Redis

from ballot.model import BallotRule, Proposal, VoteDefinition, VoteState
from ballot.store import VoteStore
from engine import connection, keys
from engine.channels import ChannelLog
from engine.errors import Code, HubError, VoteError
from engine.roles import Role
from moderation.meetings import MeetingInfo, Meetings
from panel.roster import Participant, Roster
from panel.strata import AGE_BANDS, DISTRICT_NAMES, GENDERS

MEETING = "plenary"
VOTE = "plenary"
HOST = "lt-host"
MODERATOR_PREFIX = "lt-mod-"
FACILITATOR_PREFIX = "lt-fac-"  # the live tables' facilitators (loadtest.tables_scenario)
THEMER_PREFIX = "lt-themer"  # the theme team's console (loadtest.tables_scenario)
MODERATORS = 2
HOSTS = 1
PROPOSALS = 30
TOP_K = 10
CSV_COLUMNS = ("participant_id", "role", "token", "meeting", "vote")


def panelist_id(i: int) -> str:
    return f"lt-{i:05d}"


def panelists(n: int) -> list[Participant]:
    """``n`` panelists spread over the strata (gender, age band, district) like a drawn panel."""
    return [
        Participant(
            id=panelist_id(i),
            name=f"패널 {i:05d}",
            role=Role.PANELIST,
            gender=GENDERS[i % len(GENDERS)],
            age_band=AGE_BANDS[i % len(AGE_BANDS)],
            district=DISTRICT_NAMES[i % len(DISTRICT_NAMES)],
        )
        for i in range(n)
    ]


def proposal_ids(m: int = PROPOSALS) -> list[str]:
    return [f"P{i:02d}" for i in range(m)]


def definition(vote_id: str = VOTE, proposals: int = PROPOSALS, top_k: int = TOP_K) -> VoteDefinition:
    """The plenary's shape: ``proposals`` proposals, rank your top ``top_k`` (at least one), Schulze."""
    ids = proposal_ids(proposals)
    return VoteDefinition(
        vote_id=vote_id,
        title="시민총회 정책 우선순위 (load test)",
        proposals=tuple(Proposal(id=p, title=f"제안 {p}") for p in ids),
        rule=BallotRule(kind="top_k", k=min(top_k, proposals), minimum=1),
        method="schulze",
        tie_break=tuple(ids),
    )


def ranking(seed: int, ids: list[str], top_k: int = TOP_K) -> list[str]:
    """A valid ballot: 1 to ``top_k`` distinct proposals, best first (deterministic per seed)."""
    rng = random.Random(seed)
    return rng.sample(ids, 1 + rng.randrange(min(top_k, len(ids))))


def host_id(i: int) -> str:
    """The first host keeps the id ``lt-host`` (older token files and scripts name it)."""
    return HOST if i == 0 else f"{HOST}-{i}"


def staff(moderators: int = MODERATORS, hosts: int = HOSTS) -> list[Participant]:
    """The plenary's moderators (Q&A desk, chat) and hosts (agenda, slides, votes)."""
    return [
        *(
            Participant(id=f"{MODERATOR_PREFIX}{i}", name=f"진행자 {i}", role=Role.MODERATOR)
            for i in range(moderators)
        ),
        *(Participant(id=host_id(i), name=f"사회자 {i} (load test)", role=Role.HOST) for i in range(hosts)),
    ]


def seat_role(participant_id: str) -> Role:
    """The role of a seeded id (the ids say it: ``lt-host*``, ``lt-mod-*``, ``lt-fac-*``,
    ``lt-themer*``, else a panelist)."""
    if participant_id.startswith(HOST):
        return Role.HOST
    if participant_id.startswith(FACILITATOR_PREFIX):
        return Role.FACILITATOR
    if participant_id.startswith(THEMER_PREFIX):
        return Role.THEMER
    return Role.MODERATOR if participant_id.startswith(MODERATOR_PREFIX) else Role.PANELIST


async def seed_people(
    redis: Redis, n: int, meeting: str = MEETING, *, moderators: int = MODERATORS, hosts: int = HOSTS
) -> dict[str, str]:
    """Roster (n panelists, the moderators and hosts) and the meeting; returns participant id ->
    fresh token."""
    people = [*panelists(n), *staff(moderators, hosts)]
    roster = Roster(redis)
    await roster.upsert(people)
    await Meetings(redis).put(MeetingInfo(id=meeting, title="시민총회 (Plenary)"))
    return await roster.issue_tokens([p.id for p in people])


async def open_vote(redis: Redis, defn: VoteDefinition, eligible: list[str]) -> bool:
    """Create and open ``defn`` for ``eligible``; an already open vote of that id is kept (False)."""
    store = VoteStore(ChannelLog(redis))
    try:
        await store.create(defn)
    except VoteError as err:
        if err.code is not Code.BAD_TRANSITION or await store.status(defn.vote_id) is not VoteState.OPEN:
            raise
        return False
    await store.open(defn.vote_id, eligible)
    return True


async def ballot_count(redis: Redis, vote_id: str) -> int:
    return int(await redis.llen(keys.vote_key(vote_id, "ballots")))


@dataclass(frozen=True)
class Seat:
    participant_id: str
    role: str
    token: str
    meeting: str
    vote: str


def write_tokens(path: Path, tokens: dict[str, str], meeting: str, vote: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    with tmp.open("w", newline="", encoding="utf-8") as fh:
        tmp.chmod(0o600)
        w = csv.writer(fh)
        w.writerow(CSV_COLUMNS)
        for pid, tok in tokens.items():
            w.writerow([pid, seat_role(pid), tok, meeting, vote])
    tmp.replace(path)


def read_tokens(path: str | Path, role: str | None = Role.PANELIST) -> list[Seat]:
    with open(path, newline="", encoding="utf-8") as fh:
        seats = [Seat(**{c: row[c] for c in CSV_COLUMNS}) for row in csv.DictReader(fh)]
    return [s for s in seats if role is None or s.role == role]


def redis_at(redis_url: str | None, data_dir: Path) -> contextlib.AbstractAsyncContextManager[Redis]:
    return connection.redis_at(redis_url, data_dir, name="plenary-loadtest")


async def _seed(args: argparse.Namespace) -> int:
    async with redis_at(args.redis_url, args.data_dir) as redis:
        tokens = await seed_people(redis, args.n, args.meeting, moderators=args.moderators, hosts=args.hosts)
        fresh = await open_vote(
            redis, definition(args.vote, args.proposals, args.top_k), [panelist_id(i) for i in range(args.n)]
        )
        write_tokens(args.out, tokens, args.meeting, args.vote)
        state = "created and opened" if fresh else "already open, kept"
        print(
            f"seeded {args.n} panelists, {args.moderators} moderators and {args.hosts} hosts; meeting {args.meeting!r}; vote {args.vote!r} {state};"
            f" tokens in {args.out} (private: each row opens a seat)"
        )
    return 0


async def _count(args: argparse.Namespace) -> int:
    async with redis_at(args.redis_url, args.data_dir) as redis:
        turnout = await VoteStore(ChannelLog(redis)).turnout(args.vote)
        print(f"vote {args.vote!r}: {await ballot_count(redis, args.vote)} ballots, {turnout['voted']} voted")
    return 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m loadtest.voters", description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    for name in ("seed", "count"):
        p = sub.add_parser(name)
        p.add_argument("--redis-url", help="a Redis to use (default: the embedded one of --data-dir)")
        p.add_argument("--data-dir", type=Path, default=Path("var"))
        p.add_argument("--vote", default=VOTE)
        if name == "seed":
            p.add_argument("--n", type=int, default=3000, help="panelists (3000)")
            p.add_argument("--moderators", type=int, default=MODERATORS, help="moderators (2)")
            p.add_argument("--hosts", type=int, default=HOSTS, help="hosts (1; at least 1 for bench_cast)")
            p.add_argument("--meeting", default=MEETING)
            p.add_argument("--proposals", type=int, default=PROPOSALS)
            p.add_argument("--top-k", type=int, default=TOP_K)
            p.add_argument("--out", type=Path, default=Path("var/loadtest/tokens.csv"))
    args = ap.parse_args(argv)
    try:
        return asyncio.run(_seed(args) if args.cmd == "seed" else _count(args))
    except (HubError, OSError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
