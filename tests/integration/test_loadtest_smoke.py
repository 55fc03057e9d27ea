"""The load harnesses work and count right: a tiny ``loadtest.bench_cast`` run, and short headless
Locust runs against a real hub (every user class of the plenary; seats shared past the cast limit). Both run as subprocesses: Locust monkey-patches with gevent when
imported, so it is never imported into pytest."""

from __future__ import annotations

import asyncio
import csv
import json
import os
import re
import subprocess
import sys
from pathlib import Path

from redis.asyncio import Redis

from ballot.store import VoteStore
from engine.channels import ChannelLog
from engine.server import EmbeddedRedis
from loadtest import bench_cast
from loadtest import voters as lt
from realtime import roles
from tests.support import ROOT, HubProcess, env_without_pytest


def processes_mentioning(text: str) -> list[str]:
    found = []
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            try:
                cmd = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            except OSError:
                continue
            if text in cmd:
                found.append(f"{pid}: {cmd}")
    return found


def test_bench_cast_quick_run_stores_every_acknowledged_cast(tmp_path: Path) -> None:
    out = tmp_path / "cast.json"
    proc = subprocess.run(
        [sys.executable, "-m", "loadtest.bench_cast", "--quick", "--json", str(out), "--max-seconds", "60"],
        cwd=ROOT,
        env=env_without_pytest(),
        capture_output=True,
        text=True,
        timeout=90,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    data = json.loads(out.read_text())
    assert data["ok"]
    store = data["store"]
    assert {r["variant"] for r in store} == set(bench_cast.VARIANTS)
    for run in store:
        assert run["stored"] == run["voted"] == run["casts"] > 0, run
        assert run["rate"] > 0
    batched = next(r for r in store if r["variant"] == bench_cast.VARIANTS[0])
    single = next(r for r in store if r["variant"] == bench_cast.VARIANTS[1])
    assert single["round_trips"] == single["casts"]  # one cast per round trip, really
    assert batched["round_trips"] < batched["casts"] // 10  # and batches, really
    hub = data["hub"]
    assert hub["problems"] == []
    # a round disturbed by other processes is repeated (the machine may be shared): each kind ran
    assert {r["spread_s"] for r in hub["rounds"]} == {0.5, 0.0}
    for r in hub["rounds"]:
        assert r["acks"] == r["casts"] == r["stored"] == hub["voters"], r
        assert r["errors"] == {} and r["rate_limited"] == 0
        assert 0 < r["p50_ms"] <= r["p99_ms"] <= r["max_ms"]
        # every follower's subscribe at the round's start, timed, with the hub's CPU over it
        assert r["subscribes"] == hub["voters"] and 0 < r["sub_wall_ms"] < 60_000, r
        assert r["sub_cpu_s"] > 0 and r["sub_cpu_us_per_subscribe"] >= 0
        # Redis' own stalls over the round, read from its latency monitor (kind: longest ms)
        stalls = r["redis_stalls"]
        assert 0 <= r["send_span_ms"] < 60_000, r
        assert isinstance(stalls, dict) and all(
            ms >= bench_cast.LATENCY_THRESHOLD_MS for ms in stalls.values()
        )
    assert "| Redis' longest stall |" in proc.stdout
    assert "Every acknowledged ballot stored once, as acknowledged: yes." in proc.stdout
    # every child is gone: hub, load process and both embedded redis-servers
    assert processes_mentioning(data["meta"]["workdir"]) == []


def test_bench_cast_paces_rounds_past_the_cast_burst_instead_of_measuring_refusals(tmp_path: Path) -> None:
    """Eight rounds: each voter casts eight ballots (one per vote), three more than the cast bucket's
    burst of five; the hub's limit stays on, so the harness must wait for it, not count its refusals.
    (Six rounds, one past the burst, did not always wait: the bucket refills one ballot in 5 s, and on
    a quiet machine six rounds took that long. Three past the burst need 15 s of refill.)"""
    out = tmp_path / "cast.json"
    argv = [
        sys.executable, "-m", "loadtest.bench_cast", "--no-store", "--voters", "20",
        "--hub-rounds", "7", "--spread", "0.1", "--max-others", "1",
        "--no-docs", "--json", str(out), "--max-seconds", "90",
    ]  # fmt: skip
    proc = subprocess.run(
        argv, cwd=ROOT, env=env_without_pytest(), capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    rounds = json.loads(out.read_text())["hub"]["rounds"]
    assert len(rounds) >= 8  # more if other processes disturbed a round (it is then repeated)
    for r in rounds:
        assert r["acks"] == r["casts"] == r["stored"] == 20 and r["rate_limited"] == 0, r
    assert sum(r["paced_s"] for r in rounds) > 0  # past the burst it waited for the limit
    assert "| refused rate_limited |" in proc.stdout


PLENARY_COMMANDS = {
    "Panelist": (
        "hello",
        "subscribe",
        "vote.get",
        "vote.cast",
        "chat.send",
        "qa.ask",
        "qa.upvote",
        "reconnect",
    ),
    "Moderator": ("qa.approve", "qa.queue", "chat.delete"),
    "Host": (
        "agenda.set",
        "agenda.current",
        "slide.show",
        "slide.clear",
        "vote.create",
        "vote.open",
        "vote.close",
        "vote.publish",
    ),
}
"""Every command (and the reconnect) each user class sends: each must get through in the smoke run."""


async def test_locust_runs_the_whole_plenary_and_every_counted_cast_is_stored(
    redis: Redis, embedded: EmbeddedRedis, tmp_path: Path
) -> None:
    """Every user class a few seconds against a real hub, with quick turns and high shares so that
    every command type comes up: each gets through without a failure, the reconnects recover
    exactly, and the casts Locust counted are the ballots stored."""
    n = 20
    tokens = await lt.seed_people(redis, n)
    await lt.open_vote(redis, lt.definition(), [lt.panelist_id(i) for i in range(n)])
    lt.write_tokens(tmp_path / "tokens.csv", tokens, lt.MEETING, lt.VOTE)
    prefix = tmp_path / "run"
    hub = HubProcess(embedded.url).wait_ready()
    argv = [
        sys.executable, "-m", "locust", "-f", "loadtest/locustfile.py", "--headless",
        "-u", "13", "-r", "13", "-t", "10s", "--stop-timeout", "5", "--host", hub.url,
        "--tokens", str(tmp_path / "tokens.csv"), "--moderators", "2", "--hosts", "1",
        "--panelist-turn", "0.6", "--host-turn", "0.6", "--delete-every", "1",
        "--chat-share", "0.2", "--ask-share", "0.1", "--upvote-share", "0.3", "--reconnect-share", "0.1",
        "--csv", str(prefix),
        "--json-file", str(prefix),  # Locust adds .json; unlike the CSV (rewritten each second) it is final
        "--only-summary",
    ]  # fmt: skip
    try:
        proc = await asyncio.to_thread(
            subprocess.run,
            argv,
            cwd=ROOT,
            env=env_without_pytest(),
            capture_output=True,
            text=True,
            timeout=60,
        )
    finally:
        hub.stop()
    assert proc.returncode == 0, proc.stdout + proc.stderr
    with open(f"{prefix}_stats.csv", newline="") as fh:
        rows = {r["Name"]: r for r in csv.DictReader(fh)}
    assert int(rows["Aggregated"]["Failure Count"]) == 0
    final = {e["name"]: e for e in json.loads(Path(f"{prefix}.json").read_text())}
    failed = {name: e["num_failures"] for name, e in final.items() if e["num_failures"]}
    assert failed == {}, (failed, proc.stderr[-3000:])
    missing = [
        c for cs in PLENARY_COMMANDS.values() for c in cs if final.get(c, {}).get("num_requests", 0) == 0
    ]
    assert missing == [], (missing, {n: e["num_requests"] for n, e in final.items()}, proc.stderr[-2000:])
    # every user said hello once, and once more each time it came back (a user stopped in the
    # middle of coming back has said hello without a reconnect row)
    assert final["hello"]["num_requests"] >= 13 + final["reconnect"]["num_requests"]
    # The reconnects came back from their offsets: exactly what they missed (no fresh start here,
    # the history reaches back), and no event came twice or not at all (no "event order" row).
    line = next(x for x in proc.stdout.splitlines() if x.startswith("plenary recovery:"))
    exact, missed, fresh = (int(w) for w in re.findall(r"(\d+) (?:resubscriptions|missed|fresh)", line))
    assert exact > 0 and missed > 0 and fresh == 0, line
    # every cast Locust counted is stored, and nothing else (the users finish their command first)
    casts = final["vote.cast"]["num_requests"]
    ballots = await VoteStore(ChannelLog(redis)).ballots(lt.VOTE)
    assert len(ballots) == casts
    voters = {b.voter for b in ballots}
    assert voters <= {lt.panelist_id(i) for i in range(10)}  # the first ten panelists' seats
    assert (await VoteStore(ChannelLog(redis)).turnout(lt.VOTE))["voted"] == len(voters)


async def test_locust_users_sharing_seats_recast_within_the_cast_limit(
    redis: Redis, embedded: EmbeddedRedis, tmp_path: Path
) -> None:
    """Twenty users on ten seats, recasting every 1-3 s for 10 s: twice the cast limit's pace per
    seat, past its burst (reached in about 5 s). They must cast only when the hub takes the ballot: no refusal is a
    vote.cast, none is needed, and every vote.cast is a stored ballot."""
    seats = 10
    tokens = await lt.seed_people(redis, seats)
    await lt.open_vote(redis, lt.definition(), [lt.panelist_id(i) for i in range(seats)])
    lt.write_tokens(tmp_path / "tokens.csv", tokens, lt.MEETING, lt.VOTE)
    prefix = tmp_path / "run"
    hub = HubProcess(embedded.url).wait_ready()
    argv = [
        sys.executable, "-m", "locust", "-f", "loadtest/locustfile.py", "--headless",
        "-u", "20", "-r", "20", "-t", "10s", "--stop-timeout", "5", "--host", hub.url,
        "--tokens", str(tmp_path / "tokens.csv"), "--chat-share", "0", "--moderators", "0", "--hosts", "0",
        "--ask-share", "0", "--upvote-share", "0", "--reconnect-share", "0",
        "--json-file", str(prefix), "--only-summary",
    ]  # fmt: skip
    try:
        proc = await asyncio.to_thread(
            subprocess.run,
            argv,
            cwd=ROOT,
            env=env_without_pytest(),
            capture_output=True,
            text=True,
            timeout=60,
        )
    finally:
        hub.stop()
    assert proc.returncode == 0, proc.stdout + proc.stderr
    final = {e["name"]: e for e in json.loads(Path(f"{prefix}.json").read_text())}
    assert final["vote.cast"]["num_failures"] == 0, final["vote.cast"]
    refused = {n: e["num_requests"] for n, e in final.items() if "refused" in n}
    assert refused == {}, refused
    casts = final["vote.cast"]["num_requests"]
    # Each seat: at most its burst plus what refilled in the run (with the 10 % margin, fewer).
    assert seats * roles.RATE_CLASSES["cast"].burst <= casts <= seats * (5 + 0.2 * 20)
    assert len(await VoteStore(ChannelLog(redis)).ballots(lt.VOTE)) == casts


def test_bench_cast_profiles_the_hub_and_the_reader_finds_the_cast_handler(tmp_path: Path) -> None:
    """``--profile``: py-spy samples the real hub during each round; ``loadtest.pyspy_top`` reads the
    stacks it wrote: the hub's serving loop is in them (not a given handler: a round this small is
    tens of milliseconds of the hub's CPU, a handful of samples)."""
    prefix = tmp_path / "prof"
    argv = [
        sys.executable, "-m", "loadtest.bench_cast", "--no-store", "--voters", "300",
        "--hub-rounds", "1", "--no-at-once", "--spread", "0.5", "--max-others", "1",
        "--no-docs", "--profile", str(prefix), "--max-seconds", "60",
    ]  # fmt: skip
    proc = subprocess.run(
        argv, cwd=ROOT, env=env_without_pytest(), capture_output=True, text=True, timeout=90
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    files = sorted(tmp_path.glob("prof.*.txt"))
    # the round's casts, and the followers' subscribe burst before them
    assert [f.name for f in files] == ["prof.hub-1.subscribe.txt", "prof.hub-1.txt"]
    top = subprocess.run(
        [sys.executable, "-m", "loadtest.pyspy_top", *map(str, files), "--under", "serve"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert top.returncode == 0, top.stdout + top.stderr
    assert "under serve" in top.stdout and "serve (serve.py)" in top.stdout
