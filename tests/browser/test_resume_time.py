"""The page's client after a reconnect (realtime/web/lib/client.js, ``Subscription``): it subscribes
with the epoch, offset **and time** of the last event it saw on the channel (docs/protocol.md §7),
and when the hub answers with a fresh start (``recovered: false``: the event at that offset is not
the one the page saw, as after a Redis Cluster failover that lost it and reused its offset), what
the page shows is replaced, not merged. The hub's side of this is
tests/integration/test_failover_branch.py; here the loss is made in the embedded Redis directly
(the channel's last event removed and its offset given back), which is what such a failover leaves.
One page load, its WebSocket routed through Playwright so that the test sees every frame."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from playwright.sync_api import BrowserContext, WebSocketRoute, expect

from engine import keys
from engine.connection import sync_client
from tests.browser.conftest import Assembly, HubCaller, OpenPage
from tests.browser.test_chat_page import messages, unique, wait_for

pytestmark = pytest.mark.browser
READER, WRITER = "p-004", "p-005"


class Relay:
    """Forwards the page's WebSocket both ways, keeps what each side sent, and can go deaf (frames
    from the hub not passed on) and then cut the connection, as a network that drops would."""

    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []
        self.received: list[dict[str, Any]] = []
        self.deaf = False
        self.routes: list[tuple[WebSocketRoute, WebSocketRoute]] = []

    def install(self, ctx: BrowserContext) -> None:
        ctx.route_web_socket(re.compile(r"/ws$"), self._handle)

    def _handle(self, ws: WebSocketRoute) -> None:
        server = ws.connect_to_server()
        self.routes.append((ws, server))

        def from_page(message: str | bytes) -> None:
            if isinstance(message, str):
                self.sent.append(json.loads(message))
            server.send(message)

        def from_hub(message: str | bytes) -> None:
            if self.deaf:
                return
            if isinstance(message, str):
                self.received.append(json.loads(message))
            ws.send(message)

        ws.on_message(from_page)
        server.on_message(from_hub)

    def cut(self) -> None:
        page, server = self.routes[-1]
        page.close(code=4000, reason="network gone")  # not one of NO_RECONNECT: the page comes back
        server.close()

    def events(self, channel: str) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        for msg in self.received:
            if msg.get("type") == "event" and msg["channel"] == channel:
                out.append(msg)
            elif msg.get("type") == "batch":
                out += [e for e in msg["events"] if e["channel"] == channel]
            elif msg.get("type") == "reply" and isinstance(msg.get("result"), dict):
                out += [e for e in msg["result"].get("events", []) if e.get("channel") == channel]
        return out

    def reply_to(self, command_id: int) -> dict[str, Any] | None:
        return next(
            (m for m in self.received if m.get("type") in ("reply", "error") and m.get("id") == command_id),
            None,
        )


def lose_the_last_event(assembly: Assembly, channel: str) -> None:
    """What a failover that lost the channel's last event leaves: the history without it, and its
    offset free for the next event (engine/lua/_lib.lua ``pl_publish``: seq, hist, log)."""
    hist, log, meta = (
        keys.channel_keys(channel).hist,
        keys.channel_keys(channel).log,
        keys.channel_keys(channel).meta,
    )
    redis = sync_client(assembly.redis.url)
    try:
        redis.rpop(hist)
        if redis.llen(log):
            redis.rpop(log)
        redis.hincrby(meta, "seq", -1)
    finally:
        redis.close()


def test_a_reconnect_sends_the_last_events_time_and_a_fresh_start_replaces_the_chat(
    open_page: OpenPage, assembly: Assembly, hub_call: HubCaller
) -> None:
    relay = Relay()
    reader = open_page(READER, before=relay.install)
    kept, lost, newer = unique("남는 글"), unique("사라질 글"), unique("새로 온 글")
    hub_call(WRITER, "chat.send", meeting="plenary", text=kept)
    sent = hub_call(WRITER, "chat.send", meeting="plenary", text=lost)["result"]
    expect(messages(reader, lost)).to_have_count(1)
    channel = sent["channel"]
    last = max(relay.events(channel), key=lambda e: e["offset"])
    assert (last["offset"], last["data"]["text"]) == (sent["offset"], lost)

    # The page hears nothing more; meanwhile the channel loses its last event and the next one
    # takes its offset, with another time.
    relay.deaf = True
    lose_the_last_event(assembly, channel)
    again = hub_call(WRITER, "chat.send", meeting="plenary", text=newer)["result"]
    assert again["offset"] == last["offset"] and again["time"] != last["time"]
    before = len(relay.sent)
    relay.deaf = False
    relay.cut()

    resub = wait_for(
        reader,
        lambda: next(
            (f for f in relay.sent[before:] if f["type"] == "subscribe" and f.get("channel") == channel), None
        ),
        timeout=20,
    )
    assert (resub.get("epoch"), resub.get("offset"), resub.get("time")) == (
        last["epoch"],
        last["offset"],
        last["time"],
    ), resub
    reply = wait_for(reader, lambda: relay.reply_to(resub["id"]), timeout=10)
    assert reply["type"] == "reply" and reply["result"]["recovered"] is False, reply

    expect(reader.locator("#conn")).to_have_attribute("data-state", "live")
    expect(messages(reader, newer)).to_have_count(1)
    expect(messages(reader, lost)).to_have_count(0)  # replaced, not merged
    expect(messages(reader, kept)).to_have_count(1)
    expect(reader.locator("#chat-log")).to_contain_text("채팅 목록을 새로 불러왔습니다")
    offsets = reader.eval_on_selector_all(
        "#chat-log li.msg", "els => els.map((e) => Number(e.dataset.offset))"
    )
    assert offsets == sorted(set(offsets)), "a message shown twice or out of order"
