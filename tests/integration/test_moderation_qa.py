"""Q&A through two real hub processes: privacy of anonymous authors, the moderators' desk, votes,
the queue and the stream overlay, late joiners' snapshots."""

from __future__ import annotations

from typing import Any

from redis.asyncio import Redis

from tests.support import Client, HubProcess, connect, seed

QA = "meeting/m1/qa"
STAFF = "meeting/m1/staff"
OVERLAY = "overlay/m1"


def questions(events: list[dict[str, Any]]) -> dict[int, dict[str, Any]]:
    """Apply Q&A events as a client does: upsert questions, drop removed ids, set votes."""
    out: dict[int, dict[str, Any]] = {}
    for e in events:
        data = e["data"]
        for q in data.get("questions", []):
            out[q["id"]] = q
        for qid in data.get("removed", []):
            out.pop(qid, None)
        if e["event"] == "qa.voted" and data["id"] in out:
            out[data["id"]] = {**out[data["id"]], "votes": data["votes"]}
    return out


async def wait_for(c: Client, channel: str, event: str, n: int = 1) -> list[dict[str, Any]]:
    for _ in range(100):
        got = [e for e in c.events if e["channel"] == channel and e["event"] == event]
        if len(got) >= n:
            return got
        await c.wait_events(channel, len([e for e in c.events if e["channel"] == channel]) + 1, timeout=5)
    raise AssertionError(f"no {event} on {channel}")


async def test_anonymous_question_reaches_moderators_with_author_and_panelists_without(
    redis: Redis, hubs: tuple[HubProcess, HubProcess]
) -> None:
    tokens = await seed(redis)
    a, b = hubs
    async with (
        connect(a.ws_url, tokens["p1"]) as asker,
        connect(b.ws_url, tokens["p2"], "plenary.v1.msgpack") as reader,
        connect(b.ws_url, tokens["mod"]) as mod,
    ):
        await reader.ok("subscribe", channel=QA)
        await mod.ok("subscribe", channel=STAFF)
        assert (await reader.call("subscribe", channel=STAFF))["name"] == "forbidden"

        asked = await asker.ok(
            "qa.ask", meeting="m1", text="버스 배차 간격은 언제 줄어드나요?", anonymous=True
        )
        qid = asked["question"]
        [ev] = await wait_for(mod, STAFF, "qa.asked")
        assert ev["data"]["questions"][0]["author"] == {"id": "p1", "name": "패널 하나"}
        assert ev["data"]["questions"][0]["state"] == "pending"

        await mod.ok("qa.approve", meeting="m1", question=qid)
        [shown] = await wait_for(reader, QA, "qa.approved")
        q = shown["data"]["questions"][0]
        assert q["text"] == "버스 배차 간격은 언제 줄어드나요?" and q["anonymous"] is True
        assert "author" not in q  # never on the panelists' channel
        assert all(e["event"] != "qa.asked" for e in reader.events)  # pending was never shown

    async with connect(a.ws_url, tokens["p2"]) as late, connect(a.ws_url, tokens["host"]) as host:
        sub = await late.ok("subscribe", channel=QA)
        assert sub["snapshot"] == {f"q:{qid}": q}
        desk = await host.ok("subscribe", channel=STAFF)
        assert desk["snapshot"][f"q:{qid}"]["author"]["id"] == "p1"
        assert desk["offset"] == 2 and sub["offset"] == 1


async def test_votes_queue_order_and_overlay_across_hubs(
    redis: Redis, hubs: tuple[HubProcess, HubProcess]
) -> None:
    tokens = await seed(redis)
    a, b = hubs
    async with (
        connect(a.ws_url, tokens["p1"]) as p1,
        connect(b.ws_url, tokens["p2"]) as p2,
        connect(a.ws_url, tokens["mod"]) as mod,
        connect(b.ws_url, tokens["obs"]) as stream,
    ):
        await p2.ok("subscribe", channel=QA)
        await stream.ok("subscribe", channel=OVERLAY)
        ids = [(await p1.ok("qa.ask", meeting="m1", text=f"질문 {i}"))["question"] for i in range(3)]
        for qid in ids:
            await mod.ok("qa.approve", meeting="m1", question=qid)

        first = await p2.ok("qa.upvote", meeting="m1", question=ids[1])
        again = await p2.ok("qa.upvote", meeting="m1", question=ids[1])
        assert (first["votes"], first["changed"]) == (1, True)
        assert (again["votes"], again["changed"]) == (1, False)  # one vote each
        await p1.ok("qa.upvote", meeting="m1", question=ids[1])
        withdrawn = await p1.ok("qa.unvote", meeting="m1", question=ids[1])
        assert withdrawn["votes"] == 1
        assert (await p2.ok("qa.mine", meeting="m1")) == {"asked": [], "voted": [ids[1]]}

        for qid in ids:
            await mod.ok("qa.queue", meeting="m1", question=qid)
        assert (await mod.call("qa.reorder", meeting="m1", order=[ids[2], ids[0]]))["name"] == "bad_order"
        await mod.ok("qa.reorder", meeting="m1", order=[ids[2], ids[0], ids[1]])
        await mod.ok("qa.air", meeting="m1", question=ids[2])
        await mod.ok("qa.air", meeting="m1", question=ids[0])  # the one before is answered

        [*_, shown] = await wait_for(stream, OVERLAY, "overlay.shown", 2)
        assert shown["data"]["item"]["question"]["text"] == "질문 0"
        await wait_for(p2, QA, "qa.aired", 2)
        view = questions([e for e in p2.events if e["channel"] == QA])
        assert {qid: q["state"] for qid, q in view.items()} == {
            ids[0]: "on_air",
            ids[1]: "queued",
            ids[2]: "answered",
        }
        assert view[ids[1]]["votes"] == 1
        order_events = [e["data"]["order"] for e in p2.events if "order" in e["data"]]
        assert order_events[-1] == [ids[1]]

        await mod.ok("qa.answer", meeting="m1", question=ids[0])
        await wait_for(stream, OVERLAY, "overlay.cleared")
        await wait_for(p2, QA, "qa.answered")
        view = questions([e for e in p2.events if e["channel"] == QA])

    async with connect(b.ws_url, tokens["p1"]) as late:
        sub = await late.ok("subscribe", channel=QA)
        snap = sub["snapshot"]
        assert snap["order"] == [ids[1]]
        # the snapshot is what the events built, as of the offset it names
        assert {k: v for k, v in snap.items() if k.startswith("q:")} == {f"q:{k}": v for k, v in view.items()}
        assert sub["offset"] == max(e["offset"] for e in p2.events if e["channel"] == QA)


async def test_merge_moves_voters_and_bad_steps_store_nothing(
    redis: Redis, hubs: tuple[HubProcess, HubProcess]
) -> None:
    tokens = await seed(redis)
    a, b = hubs
    async with connect(a.ws_url, tokens["p1"]) as p1, connect(b.ws_url, tokens["mod"]) as mod:
        keep = (await p1.ok("qa.ask", meeting="m1", text="원래 질문"))["question"]
        dup = (await p1.ok("qa.ask", meeting="m1", text="중복 질문"))["question"]
        await mod.ok("qa.approve", meeting="m1", question=keep)
        await mod.ok("qa.approve", meeting="m1", question=dup)
        await p1.ok("qa.upvote", meeting="m1", question=dup)
        desk = await mod.ok("subscribe", channel=STAFF)
        cases = [
            ("qa.merge", {"question": dup, "into": dup}, "bad_merge"),
            ("qa.approve", {"question": keep}, "bad_transition"),
            ("qa.unqueue", {"question": keep}, "bad_transition"),
            ("qa.approve", {"question": 999}, "unknown_question"),
            ("qa.approve", {"question": 0}, "bad_field"),
            ("qa.approve", {"question": keep, "meeting": "nope"}, "unknown_meeting"),
        ]
        for cmd, fields, name in cases:
            err = await mod.call(cmd, **{"meeting": "m1", **fields})
            assert err["name"] == name, (cmd, fields, err)
        assert (await p1.call("qa.ask", meeting="m1", text="  "))["name"] == "empty_message"
        assert (await p1.call("qa.ask", meeting="m1", text="가" * 301))["name"] == "message_too_long"
        assert (await p1.call("qa.ask", meeting="m2", text="hi"))["name"] == "not_a_member"
        after = await mod.ok("subscribe", channel=STAFF)
        assert after["offset"] == desk["offset"]  # nothing stored by any refusal

        merged = await mod.ok("qa.merge", meeting="m1", question=dup, into=keep)
        assert merged["votes"] == 1
        assert (await p1.call("qa.upvote", meeting="m1", question=dup))["name"] == "bad_transition"
        again = await p1.ok("qa.upvote", meeting="m1", question=keep)
        assert again["changed"] is False  # their vote moved with the merge
