"""The HTTP chat record comes in pages (issue 9): the archive keeps up to 200,000 events, and one
answer holding them all is megabytes for a phone and seconds of the hub's loop. Real hub, real
Redis: pages are newest first, ``next_before`` walks back to the start, deleted messages stay
hidden from panelists on every page, and a bad page request is a coded 400."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from redis.asyncio import Redis

from engine import channels, keys
from engine.channels import ChannelLog, ChannelSpec
from moderation import chat_admin
from tests.support import HubProcess, seed

CHAT = keys.meeting_chat("m1")
MOD = chat_admin.Actor("mod", "Moderator", "moderator")
AUTHOR = {"id": "p1", "name": "패널", "role": "panelist"}


async def _say(log: ChannelLog, n: int) -> list[int]:
    return [
        (await log.publish(CHAT, "chat.message", {"text": f"메시지 {i}", "author": AUTHOR})).offset
        for i in range(n)
    ]


async def _walk(http: httpx.AsyncClient, token: str, limit: int | None) -> list[list[dict[str, Any]]]:
    """Every page from the newest, following ``next_before`` until it is null."""
    pages, params = [], {} if limit is None else {"limit": limit}
    while True:
        r = await http.get(
            "/api/meetings/m1/chat", params=params, headers={"Authorization": f"Bearer {token}"}
        )
        assert r.status_code == 200, r.text
        body = r.json()
        pages.append(body["messages"])
        if body["next_before"] is None:
            return pages
        assert body["next_before"] == body["messages"][-1]["offset"]
        params = {**params, "before": body["next_before"]}


async def test_the_chat_record_comes_in_pages_newest_first_down_to_the_first_message(
    redis: Redis, hub: HubProcess
) -> None:
    tokens = await seed(redis)
    log = ChannelLog(redis)
    offsets = await _say(log, 250)
    await chat_admin.configure(log, "m1", slow_mode=5, links=None)  # an event that is no message
    offsets += await _say(log, 5)
    gone = offsets[200]
    await chat_admin.delete(log, "m1", gone, MOD, reason="personal_info")
    async with httpx.AsyncClient(base_url=hub.url) as http:
        pages = await _walk(http, tokens["p2"], None)
        assert [len(p) for p in pages] == [chat_admin.PAGE_DEFAULT, chat_admin.PAGE_DEFAULT, 54]
        shown = [m["offset"] for p in pages for m in p]
        assert shown == sorted(set(offsets) - {gone}, reverse=True)

        # Staff see the deleted one in its place, marked, on every page size.
        staff = [m for p in await _walk(http, tokens["mod"], 7) for m in p]
        assert [m["offset"] for m in staff] == sorted(offsets, reverse=True)
        [marked] = [m for m in staff if "deleted" in m]
        assert marked["offset"] == gone and marked["deleted"]["by"]["id"] == "mod"

        one = await http.get(
            "/api/meetings/m1/chat",
            params={"before": offsets[3], "limit": 2},
            headers={"Authorization": f"Bearer {tokens['p2']}"},
        )
        assert [m["offset"] for m in one.json()["messages"]] == [offsets[2], offsets[1]]


@pytest.mark.parametrize(
    "query", ["limit=0", f"limit={chat_admin.PAGE_MAX + 1}", "limit=ten", "before=0", "before=-3"]
)
async def test_a_bad_page_request_is_bad_field(redis: Redis, hub: HubProcess, query: str) -> None:
    tokens = await seed(redis)
    async with httpx.AsyncClient(base_url=hub.url) as http:
        r = await http.get(
            f"/api/meetings/m1/chat?{query}", headers={"Authorization": f"Bearer {tokens['p2']}"}
        )
    assert r.status_code == 400 and r.json()["name"] == "bad_field", r.text


async def test_pages_of_a_trimmed_archive_end_at_its_oldest_event(
    redis: Redis, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec = ChannelSpec(history=3, backlog=1, stateful=False, archive=True, coalesce=True, archive_max=5)
    monkeypatch.setitem(channels.SPECS, "chat", spec)
    log = ChannelLog(redis)
    await _say(log, 12)  # offsets 1..12; the archive keeps 8..12
    page, nxt = await chat_admin.chat_page(log, "m1", staff=False, limit=3)
    assert [m["offset"] for m in page] == [12, 11, 10] and nxt == 10
    page, nxt = await chat_admin.chat_page(log, "m1", staff=False, before=nxt, limit=3)
    assert [m["offset"] for m in page] == [9, 8] and nxt is None
    # A before past the newest, or below the oldest kept, is no error: the page is what exists.
    assert [
        m["offset"] for m in (await chat_admin.chat_page(log, "m1", staff=False, before=99, limit=1))[0]
    ] == [12]
    assert await chat_admin.chat_page(log, "m1", staff=False, before=4) == ([], None)
