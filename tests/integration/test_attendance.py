"""Attendance over real hubs and Redis (issue 14): online presence from connections on two hubs
(two devices at once counted once, an unsubscribe or a close ends it, a dead hub's intervals closed
at its last heartbeat), the hall desk (twice is once, bad input a stable code and nothing stored,
the connection lives on), the hosts' quorum, the hall-only vote, and ``plenary attendance``'s CSV."""

from __future__ import annotations

import asyncio
import csv
import itertools
import stat
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from redis.asyncio import Redis

from attendance.intervals import covered_ms
from attendance.rules import Mark
from attendance.store import Desk, Presence
from engine import keys
from tests.integration.test_cli import plenary
from tests.integration.test_vote import DEFINITION
from tests.support import HubProcess, connect, seed

CHAT, QA = keys.meeting_chat("m1"), keys.meeting_qa("m1")


async def presence_is(presence: Presence, who: set[str]) -> bool:
    return await presence.online("m1") == who


async def span_count(presence: Presence, panelist: str, n: int) -> bool:
    _now, spans = await presence.spans("m1")
    return len(spans.get(panelist, [])) == n


RANKING = [p["id"] for p in DEFINITION["proposals"][:3]]


async def until(check: Callable[[], Awaitable[bool]], seconds: float = 3.0) -> None:
    """Online intervals reach Redis with the hub's next sweep (one batch a second): wait for it."""
    deadline = time.monotonic() + seconds
    while not await check():
        assert time.monotonic() < deadline, "not written within the hub's sweep"
        await asyncio.sleep(0.1)


async def test_online_presence_runs_from_the_first_subscribe_to_the_last_channel_on_two_hubs(
    redis: Redis, hubs: tuple[HubProcess, HubProcess]
) -> None:
    a, b = hubs
    tokens = await seed(redis)
    presence = Presence(redis)
    async with connect(a.ws_url, tokens["p1"]) as phone, connect(b.ws_url, tokens["host"]) as host:
        t0 = time.time() * 1000
        await phone.ok("subscribe", channel=CHAT)
        await phone.ok("subscribe", channel=QA)  # the same session: no second interval
        await host.ok("subscribe", channel=CHAT)  # staff: no attendance recorded
        async with connect(b.ws_url, tokens["p1"]) as laptop:  # the same panelist on the other hub
            await laptop.ok("subscribe", channel=CHAT)
            await until(lambda: presence_is(presence, {"p1"}))
            q = await host.ok("attendance.quorum", session="m1")
            assert q == {"session": "m1", "panel": 2, "online": 1, "hall": 0, "present": 1}
            await asyncio.sleep(0.6)
        await asyncio.sleep(0.6)
        await phone.ok("unsubscribe", channel=CHAT)
        await until(lambda: span_count(presence, "p1", 2))  # the laptop's closed, the phone's open
        await phone.ok("unsubscribe", channel=QA)  # its last channel of m1: the interval ends
        t1 = time.time() * 1000
        await until(lambda: presence_is(presence, set()))
        assert (await host.ok("attendance.quorum", session="m1"))["online"] == 0
    _now, spans = await presence.spans("m1")
    assert set(spans) == {"p1"}
    phone_span, laptop_span = sorted(spans["p1"], key=lambda s: s[1] - s[0], reverse=True)
    assert 1000 <= phone_span[1] - phone_span[0] <= t1 - t0 + 50
    assert 500 <= laptop_span[1] - laptop_span[0] < phone_span[1] - phone_span[0]
    # the laptop's time lies inside the phone's: the union is the phone's alone
    assert covered_ms(spans["p1"]) == phone_span[1] - phone_span[0]
    assert await redis.hlen(keys.ATTENDANCE_OPEN) == 0


async def test_a_connection_that_closes_ends_its_interval_and_a_dead_hubs_end_at_its_last_beat(
    redis: Redis, hub: HubProcess
) -> None:
    tokens = await seed(redis)
    async with connect(hub.ws_url, tokens["p2"]) as c:
        await c.ok("subscribe", channel=CHAT)
        await until(lambda: presence_is(Presence(redis), {"p2"}))
    for _ in range(50):  # the hub closes it when it sees the close
        if not await redis.hlen(keys.ATTENDANCE_OPEN):
            break
        await asyncio.sleep(0.05)
    assert await redis.hlen(keys.ATTENDANCE_OPEN) == 0
    # A hub that died (no heartbeat for a minute) left an interval open: closed at its last beat.
    now = int(time.time() * 1000)
    await redis.hset(keys.CONNECTION_HUBS, "dead-hub#1", now - 60_000)
    await redis.hset(keys.ATTENDANCE_OPEN, "dead-hub#1|7|m1", f"p1|{now - 180_000}")
    _now, spans = await Presence(redis).spans("m1")
    assert spans["p1"] == [(now - 180_000, now - 60_000)]
    assert await redis.hlen(keys.ATTENDANCE_OPEN) == 0


async def test_the_desk_checks_in_once_and_refuses_bad_input_with_a_stable_code(
    redis: Redis, hub: HubProcess
) -> None:
    tokens = await seed(redis)
    async with connect(hub.ws_url, tokens["clerk"]) as clerk, connect(hub.ws_url, tokens["p1"]) as p1:
        first = await clerk.ok("attendance.checkin", session="m1", participant="p1")
        assert (first["panelist"], first["name"], first["mark"], first["changed"]) == (
            "p1",
            "패널 하나",
            "in",
            True,
        )
        again = await clerk.ok("attendance.checkin", session="m1", token=tokens["p1"])  # the QR link, scanned
        assert (again["changed"], again["at"]) == (False, first["at"])  # twice is once: a no-op, no error
        out = await clerk.ok("attendance.checkout", session="m1", participant="p1")
        assert out["changed"] and out["at"] >= first["at"]
        assert (await clerk.ok("attendance.checkout", session="m1", participant="p1"))["changed"] is False
        paper = await clerk.ok("attendance.paper", session="m1", participant="p2")
        assert (await clerk.ok("attendance.paper", session="m1", participant="p2"))["at"] == paper["at"]
        refusals = {
            "unknown": ("attendance.checkin", {"session": "m1", "participant": "p9"}),
            "staff": ("attendance.checkin", {"session": "m1", "participant": "mod"}),
            "revoked link": ("attendance.checkin", {"session": "m1", "token": "not-a-token"}),
            "other session": ("attendance.checkin", {"session": "m1", "participant": "p3"}),
            "both": ("attendance.checkin", {"session": "m1", "participant": "p1", "token": tokens["p1"]}),
            "neither": ("attendance.checkout", {"session": "m1"}),
            "no session": ("attendance.paper", {"session": "nope", "participant": "p1"}),
            "bad number": ("attendance.paper", {"session": "m1", "participant": "p 1"}),
        }
        got = {k: (await clerk.call(kind, **f))["name"] for k, (kind, f) in refusals.items()}
        assert got == {
            "unknown": "unknown_participant",
            "staff": "unknown_participant",
            "revoked link": "unknown_participant",
            "other session": "not_a_member",
            "both": "bad_field",
            "neither": "bad_field",
            "no session": "unknown_meeting",
            "bad number": "bad_field",
        }
        assert (await p1.call("attendance.checkin", session="m1", participant="p1"))["name"] == "forbidden"
        assert (await p1.call("attendance.quorum", session="m1"))["name"] == "forbidden"
        await clerk.ok("ping")  # the connection lives on
    entries = await Desk(redis).entries("m1")
    assert [(e.mark, e.participant, e.clerk) for e in entries] == [
        (Mark.IN, "p1", "clerk"),
        (Mark.OUT, "p1", "clerk"),
        (Mark.PAPER, "p2", "clerk"),
    ]  # nothing stored by a no-op or a refusal


async def test_the_quorum_reaches_a_subscribed_host_after_a_check_in_at_most_once_a_second(
    redis: Redis, hubs: tuple[HubProcess, HubProcess]
) -> None:
    a, b = hubs
    tokens = await seed(redis)
    quorum = keys.meeting_quorum("m1")
    async with (
        connect(b.ws_url, tokens["host"]) as host,
        connect(a.ws_url, tokens["clerk"]) as clerk,
        connect(b.ws_url, tokens["p2"]) as p2,
    ):
        assert (await p2.call("subscribe", channel=quorum))["name"] == "forbidden"  # hosts only
        await host.ok("subscribe", channel=quorum)
        # three changes at the desk of the other hub within a moment
        await clerk.ok("attendance.checkin", session="m1", participant="p1")
        await clerk.ok("attendance.checkout", session="m1", participant="p1")
        await clerk.ok("attendance.checkin", session="m1", participant="p1")
        await p2.ok("subscribe", channel=CHAT)  # online, on the host's hub

        def latest() -> dict[str, object]:
            got = [e for e in host.events if e["channel"] == quorum]
            return got[-1]["data"] if got else {}

        async def settled() -> bool:
            return latest() == {"session": "m1", "panel": 2, "online": 1, "hall": 1, "present": 2}

        await until(settled, 5.0)
        events = [e for e in host.events if e["channel"] == quorum]
        assert all(e["event"] == "attendance.quorum" for e in events)
        times = [e["time"] for e in events]
        assert all(t1 - t0 >= 900 for t0, t1 in itertools.pairwise(times)), times  # one a second
        # a host that comes later gets the last figure on subscribing (the backlog of one)
        async with connect(a.ws_url, tokens["host"]) as late:
            reply = await late.ok("subscribe", channel=quorum)
            assert [e["data"]["present"] for e in reply["events"]] == [2]


async def test_a_vote_limited_to_the_hall_refuses_a_cast_until_the_panelist_checks_in(
    redis: Redis, hub: HubProcess
) -> None:
    tokens = await seed(redis)
    vote = DEFINITION["vote_id"]
    async with connect(hub.ws_url, tokens["host"]) as host, connect(hub.ws_url, tokens["p1"]) as p1:
        await host.ok("vote.create", definition=DEFINITION)
        assert (await host.call("attendance.hall_vote", vote="nope", session="m1"))["name"] == "unknown_vote"
        assert await host.ok("attendance.hall_vote", vote=vote, session="m1") == {
            "vote": vote,
            "session": "m1",
        }
        await host.ok("vote.open", vote=vote)
        assert (await host.call("attendance.hall_vote", vote=vote, session="m2"))["name"] == "bad_transition"
        refused = await p1.call("vote.cast", vote=vote, ranking=RANKING, nonce="nonce-hall-1")
        assert (refused["name"], refused["retryable"]) == ("not_checked_in", True)
        await host.ok("attendance.checkin", session="m1", participant="p1")  # hosts keep the desk too
        assert (await host.ok("attendance.quorum", session="m1"))["hall"] == 1
        cast = await p1.ok("vote.cast", vote=vote, ranking=RANKING, nonce="nonce-hall-1")
        assert cast["tracking_code"]
        await host.ok("attendance.checkout", session="m1", participant="p1")
        again = await p1.call("vote.cast", vote=vote, ranking=RANKING, nonce="nonce-hall-2")
        assert again["name"] == "not_checked_in"  # left the hall: no new ballot
    assert await redis.hlen(keys.vote_key(vote, "voters")) == 1


async def test_the_cli_writes_the_honoraria_and_strata_csv_owner_only(
    redis: Redis, redis_url: str, tmp_path: Path
) -> None:
    await seed(redis)
    now = int(time.time() * 1000)
    await redis.hset(keys.CONNECTION_HUBS, "gone#1", now - 3_600_000)
    await redis.hset(keys.ATTENDANCE_OPEN, "gone#1|1|m1", f"p1|{now - 3_600_000 - 25 * 60_000}")
    await Desk(redis).mark("m1", Mark.IN, "p2", "clerk")
    await Desk(redis).mark("m1", Mark.PAPER, "p1", "clerk")
    out = tmp_path / "attendance"
    done = plenary("attendance", "--redis-url", redis_url, "--out", str(out), "--session", "m1")
    assert "wrote 2 panelist rows" in done.stdout
    for name in ("attendance-panelists.csv", "attendance-strata.csv"):
        assert stat.S_IMODE((out / name).stat().st_mode) == 0o600
    with (out / "attendance-panelists.csv").open(encoding="utf-8-sig") as fh:
        rows = {r["participant_id"]: r for r in csv.DictReader(fh)}
    assert (rows["p1"]["online_minutes"], rows["p1"]["paper"], rows["p1"]["total_minutes"]) == (
        "25",
        "yes",
        "25",
    )
    assert (rows["p2"]["hall_in"] != "", rows["p2"]["hall_out"], rows["p2"]["attended"]) == (True, "", "yes")
    with (out / "attendance-strata.csv").open(encoding="utf-8-sig") as fh:
        strata = list(csv.DictReader(fh))
    assert {(r["feature"], r["panel"], r["attended"]) for r in strata} >= {("gender", "2", "2")}
    bad = plenary("attendance", "--redis-url", redis_url, "--out", str(out), "--session", "nope", check=False)
    assert bad.returncode == 2 and "unknown_meeting" in bad.stderr


async def test_a_hall_rule_read_when_the_vote_is_followed_still_gates_every_cast(
    redis: Redis, hub: HubProcess
) -> None:
    """Following the vote's channel starts the read of its hall rule (so the opening's casts take
    the direct path, issue 11); one followed while still a draft, before the limit was set, is not
    kept, and one followed once open is the limit: neither lets a cast past the desk."""
    tokens = await seed(redis)
    vote = DEFINITION["vote_id"]
    channel = f"vote/{vote}"
    async with (
        connect(hub.ws_url, tokens["host"]) as host,
        connect(hub.ws_url, tokens["p1"]) as p1,
        connect(hub.ws_url, tokens["p2"]) as p2,
    ):
        await host.ok("vote.create", definition=DEFINITION)
        await p1.ok("subscribe", channel=channel)  # a draft with no limit yet: read, not kept
        await host.ok("attendance.hall_vote", vote=vote, session="m1")
        await host.ok("vote.open", vote=vote)
        await p2.ok("subscribe", channel=channel)  # open: the limit read and kept
        for who, nonce in ((p1, "nonce-follow-1"), (p2, "nonce-follow-2")):
            refused = await who.call("vote.cast", vote=vote, ranking=RANKING, nonce=nonce)
            assert refused["name"] == "not_checked_in"
        await host.ok("attendance.checkin", session="m1", participant="p2")
        assert (await p2.ok("vote.cast", vote=vote, ranking=RANKING, nonce="nonce-follow-2"))["tracking_code"]
    assert await redis.hkeys(keys.vote_key(vote, "voters")) == [b"p2"]
