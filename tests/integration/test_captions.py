"""Live captions over a real hub and Redis (issue 13): who may caption, the length and rate
limits (a refused caption stores nothing, the connection lives on), what followers receive, and
the meeting's record over HTTP."""

from __future__ import annotations

import csv
from pathlib import Path

import httpx
import pytest
from redis.asyncio import Redis

from engine import keys
from engine.roles import Role
from moderation import captions
from panel.roster import Participant
from realtime import roles
from tests.integration.test_cli import plenary
from tests.support import HubProcess, connect, seed

CAPTIONS = keys.meeting_captions("m1")
CAPTIONER = Participant(id="cap", name="자막 최유리", role=Role.CAPTIONER, meetings=["m1"])


@pytest.fixture
async def tokens(redis: Redis) -> dict[str, str]:
    return await seed(redis, extra=[CAPTIONER])


async def _offset(redis: Redis) -> int:
    return int(await redis.hget(keys.channel_keys(CAPTIONS).meta, "seq") or 0)


async def test_a_captioners_lines_reach_the_meeting_and_its_record_keeps_them(
    redis: Redis, hub: HubProcess, tokens: dict[str, str]
) -> None:
    async with connect(hub.ws_url, tokens["cap"]) as cap, connect(hub.ws_url, tokens["p1"]) as p1:
        assert cap.welcome["limits"]["caption_chars"] == captions.MAX_CHARS
        await p1.ok("subscribe", channel=CAPTIONS)
        partial = await cap.ok("caption.send", meeting="m1", text="회의를 시", final=False)
        line = await cap.ok("caption.send", meeting="m1", text="회의를 시작하겠습니다.\n")
        assert (partial["channel"], partial["offset"], line["offset"]) == (CAPTIONS, 1, 2)
        got = await p1.wait_events(CAPTIONS, 2)
        assert [(e["event"], e["data"]["text"]) for e in got] == [
            ("caption.partial", "회의를 시"),
            ("caption.line", "회의를 시작하겠습니다."),
        ]
        assert got[1]["data"]["by"] == {"id": "cap", "name": "자막 최유리"}
        host = await cap.ok("caption.send", meeting="m1", text="사회자가 직접 씁니다")  # hosts too
        assert host["offset"] == 3
    async with connect(hub.ws_url, tokens["host"]) as h:
        await h.ok("caption.send", meeting="m1", text="사회자 자막")
        assert (await h.call("caption.send", meeting="nope", text="없는 회의"))["name"] == "unknown_meeting"
    async with httpx.AsyncClient(base_url=hub.url, timeout=10) as http:
        auth = {"Authorization": f"Bearer {tokens['clerk']}"}
        r = await http.get("/api/meetings/m1/captions", headers=auth)
        assert r.status_code == 200, r.text
        record = r.json()["captions"]
        assert [c["text"] for c in record] == [
            "회의를 시작하겠습니다.",
            "사회자가 직접 씁니다",
            "사회자 자막",
        ]
        assert [c["by"]["id"] for c in record] == ["cap", "cap", "host"]
        assert record[0]["time"] <= record[1]["time"] <= record[2]["time"]
        srt = await http.get(f"/api/meetings/m1/captions.srt?start={record[0]['time'] - 2000}", headers=auth)
        assert srt.headers["content-type"].startswith("application/x-subrip")
        assert srt.text.startswith("1\n00:00:02,000 --> ") and "\n회의를 시작하겠습니다.\n" in srt.text
        txt = await http.get("/api/meetings/m1/captions.txt", headers=auth)
        assert txt.text.count("\n") == 3 and txt.text.endswith("] 사회자 자막\n")
        bad = await http.get("/api/meetings/m1/captions.srt?start=soon", headers=auth)
        assert (bad.status_code, bad.json()["name"]) == (400, "bad_field")


async def test_a_late_joiner_gets_the_last_finished_lines_only(
    hub: HubProcess, tokens: dict[str, str]
) -> None:
    async with connect(hub.ws_url, tokens["cap"]) as cap, connect(hub.ws_url, tokens["p2"]) as p2:
        for i in range(5):
            await cap.ok("caption.send", meeting="m1", text=f"줄 {i}")
            await cap.ok("caption.send", meeting="m1", text=f"줄 {i + 1} 쓰는 중", final=False)
        res = await p2.ok("subscribe", channel=CAPTIONS)
        assert [e["data"]["text"] for e in res["events"]] == ["줄 2", "줄 3", "줄 4"]


@pytest.mark.parametrize("who", ["p1", "mod", "obs", "ops", "clerk"])
async def test_only_captioners_and_hosts_caption(
    redis: Redis, hub: HubProcess, tokens: dict[str, str], who: str
) -> None:
    async with connect(hub.ws_url, tokens[who]) as ws:
        err = await ws.call("caption.send", meeting="m1", text="끼어들기")
        assert (err["type"], err["name"]) == ("error", "forbidden")
        assert (await ws.call("ping"))["type"] == "reply"  # the connection lives on
    assert await _offset(redis) == 0


async def test_too_long_empty_and_elsewhere_are_refused_and_store_nothing(
    redis: Redis, hub: HubProcess, tokens: dict[str, str]
) -> None:
    async with connect(hub.ws_url, tokens["cap"]) as cap:
        long = await cap.call("caption.send", meeting="m1", text="가" * (captions.MAX_CHARS + 1))
        assert long["name"] == "message_too_long"
        wire = await cap.call("caption.send", meeting="m1", text="가" * 2001)
        assert wire["name"] == "bad_field"
        empty = await cap.call("caption.send", meeting="m1", text=" \n ", final=False)
        assert empty["name"] == "empty_message"
        other = await cap.call("caption.send", meeting="m2", text="다른 회의")  # the roster lists m1
        assert other["name"] == "not_a_member"
        assert (await cap.call("subscribe", channel="meeting/m1/chat"))["name"] == "forbidden"
        assert await _offset(redis) == 0
        assert (await cap.ok("caption.send", meeting="m1", text="이제 됩니다"))["offset"] == 1


async def test_a_fast_captioner_is_held_to_the_caption_rate(
    redis: Redis, hub: HubProcess, tokens: dict[str, str]
) -> None:
    bucket = roles.RATE_CLASSES[roles.rate_class("caption.send") or ""]
    async with connect(hub.ws_url, tokens["cap"]) as cap:
        answers = [
            await cap.call("caption.send", meeting="m1", text=f"빠르게 {i}", final=False)
            for i in range(int(bucket.burst) + 3)
        ]
        refused = [a for a in answers if a["type"] == "error"]
        assert refused and all(a["name"] == "rate_limited" and a["retry_after_ms"] > 0 for a in refused)
        stored = len(answers) - len(refused)
        assert int(bucket.burst) <= stored < len(answers)
        assert await _offset(redis) == stored  # a refused caption left nothing behind


async def test_the_record_is_for_those_who_keep_it(hub: HubProcess, tokens: dict[str, str]) -> None:
    async with httpx.AsyncClient(base_url=hub.url, timeout=10) as http:
        for who, status in (("host", 200), ("clerk", 200), ("cap", 200), ("p1", 403), ("mod", 403)):
            for path in ("/api/meetings/m1/captions", "/api/meetings/m1/captions.txt"):
                r = await http.get(path, headers={"Authorization": f"Bearer {tokens[who]}"})
                assert r.status_code == status, (who, path, r.text[:200])
        r = await http.get("/api/meetings/m2/captions", headers={"Authorization": f"Bearer {tokens['cap']}"})
        assert (r.status_code, r.json()["name"]) == (403, "not_a_member")
        assert (await http.get("/api/meetings/m1/captions")).status_code == 401


def test_a_roster_takes_captioners_and_links_are_issued_to_them(tmp_path: Path) -> None:
    data, roster, links = tmp_path / "d", tmp_path / "roster.csv", tmp_path / "links.csv"
    roster.write_text(
        "participant_id,name,role,meetings\ncap-1,자막 최유리,Captioner,town\nh1,Host,host,\n",
        encoding="utf-8",
    )
    out = plenary("roster", "import", str(roster), "--data-dir", str(data))
    assert "imported 2 participants" in out.stdout
    listed = plenary("roster", "list", "--role", "captioner", "--data-dir", str(data)).stdout
    assert "cap-1" in listed and "captioner" in listed and "h1" not in listed
    plenary(
        "links", "--role", "captioner", "--out", str(links), "--base-url", "http://127.0.0.1:9",
        "--data-dir", str(data),
    )  # fmt: skip
    [row] = list(csv.DictReader(links.open(encoding="utf-8")))
    assert row["participant_id"] == "cap-1" and row["link"].startswith("http://127.0.0.1:9/#t=")
