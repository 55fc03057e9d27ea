"""Chat text end to end (issue 9): emoji sequences and scripts arrive whole on both codecs, what
hides or reorders text does not, and a link is judged by the host a browser would open."""

from __future__ import annotations

import pytest
from redis.asyncio import Redis

from tests.support import HubProcess, connect, seed

CHAT = "meeting/m1/chat"
FAMILY = "\U0001f468\u200d\U0001f469\u200d\U0001f467"
ENGLAND = "\U0001f3f4\U000e0067\U000e0062\U000e0065\U000e006e\U000e0067\U000e007f"
HINDI = "क\u094d\u200dष"
PERSIAN = "می\u200cخواهم"


@pytest.mark.parametrize("codec", ["plenary.v1.json", "plenary.v1.msgpack"])
async def test_emoji_and_scripts_arrive_whole_and_hidden_characters_do_not(
    redis: Redis, hub: HubProcess, codec: str
) -> None:
    tokens = await seed(redis)
    async with connect(hub.ws_url, tokens["p1"], codec) as alice, connect(hub.ws_url, tokens["p2"]) as bob:
        await bob.ok("subscribe", channel=CHAT)
        text = f"우리 가족 {FAMILY} {ENGLAND} {HINDI} {PERSIAN}"
        await alice.ok("chat.send", meeting="m1", text=text)
        await alice.ok("chat.send", meeting="m1", text="file\u202etxt.exe \u3164 pa\u200dss")
        first, second = await bob.wait_events(CHAT, 2)
        assert first["data"]["text"] == text
        assert second["data"]["text"] == "filetxt.exe  pass"


async def test_a_link_is_judged_by_the_host_a_browser_opens(redis: Redis, hub: HubProcess) -> None:
    tokens = await seed(redis)
    async with connect(hub.ws_url, tokens["p1"]) as alice:
        for link in [
            "https://evil.example\\.youtube.com/x",
            "youtube.com@evil.example",
            "https://youtube.com%2Eevil.example",
        ]:
            err = await alice.call("chat.send", meeting="m1", text=f"보세요 {link}")
            assert (err["type"], err["name"]) == ("error", "link_not_allowed"), (link, err)
        sent = await alice.ok("chat.send", meeting="m1", text="보세요 https://WWW.YouTube.com./watch?v=x")
        assert sent["offset"] == 1  # the refused ones stored nothing
