"""Several parts of a page on one channel (realtime/web/lib/client.js, issue 15): each part adds its
own listener with ``conn.subscribe`` and the connection keeps one subscription on the wire. A part
that joins a channel already followed gets its own start (the snapshot, the backlog) and then every
event once; closing one part leaves the others following; the last one unsubscribes. Driven at the
JS level in Chromium, against the demo assembly's real hub: the page's own ``Connection`` class,
with every command it sends recorded."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from tests.browser.conftest import Assembly, HubCaller, OpenUrl

pytestmark = pytest.mark.browser

SETUP = """async ({ token }) => {
  const { Connection, hubUrl } = await import("/static/lib/client.js");
  const { followState } = await import("/static/lib/meeting-common.js");
  const sent = [];
  const conn = new Connection({ url: hubUrl(), token });
  const request = conn.request.bind(conn);
  conn.request = (type, fields = {}, timeout) => {
    sent.push({ type, channel: fields.channel || "" });
    return request(type, fields, timeout);
  };
  const got = { a: [], b: [], snapA: 0, snapB: 0, startsA: 0, startsB: 0 };
  const part = (name) => ({
    onSnapshot: () => { got["snap" + name.toUpperCase()] += 1; },
    onEvents: (events, info) => {
      if (info.initial) got["starts" + name.toUpperCase()] += 1;
      if (info.snapshot) return; // held by the snapshot
      for (const e of events) if (e.event === "chat.message") got[name].push(e.data.text);
    },
  });
  window.t = { conn, sent, got, part, followState };
  conn.start();
  while (!conn.live) await new Promise((r) => setTimeout(r, 50));
}"""


def wait_until(page: Any, script: str, arg: Any = None) -> None:
    page.wait_for_function(script, arg=arg, timeout=10_000)


def test_two_parts_follow_one_channel_with_one_subscription(
    open_url: OpenUrl, assembly: Assembly, hub_call: HubCaller
) -> None:
    page, watch = open_url("/results/none", None, wait_live=False)  # a page of ours, not connected
    watch.expected.append(r"/api/votes/none/")  # the results page's own read of a vote that is not there
    page.evaluate(SETUP, {"token": assembly.tokens["p-001"]})
    chat = "meeting/plenary/chat"
    before = f"먼저 {uuid.uuid4().hex[:6]}"
    assert hub_call("host-1", "chat.send", meeting="plenary", text=before)["type"] == "reply"

    # part A follows the chat; part B joins it later: its own start, the same subscription
    page.evaluate("(ch) => { window.t.a = window.t.conn.subscribe(ch, window.t.part('a')); }", chat)
    wait_until(page, "() => window.t.got.startsA === 1")
    page.evaluate("(ch) => { window.t.b = window.t.conn.subscribe(ch, window.t.part('b')); }", chat)
    wait_until(page, "() => window.t.got.startsB === 1")
    assert page.evaluate(
        "(ch) => [window.t.conn.subs.size, window.t.conn.subs.get(ch).listeners.size]", chat
    ) == [1, 2]

    both = f"둘 다 {uuid.uuid4().hex[:6]}"
    assert hub_call("host-1", "chat.send", meeting="plenary", text=both)["type"] == "reply"
    wait_until(page, "(x) => window.t.got.a.includes(x) && window.t.got.b.includes(x)", both)
    got = page.evaluate("() => window.t.got")
    assert got["a"].count(both) == 1 and got["b"].count(both) == 1  # each event once to each part

    # B leaves: A keeps following, nothing is unsubscribed yet
    page.evaluate("() => window.t.b.close()")
    only = f"하나만 {uuid.uuid4().hex[:6]}"
    assert hub_call("host-1", "chat.send", meeting="plenary", text=only)["type"] == "reply"
    wait_until(page, "(x) => window.t.got.a.includes(x)", only)
    assert only not in page.evaluate("() => window.t.got.b")
    sent = page.evaluate("() => window.t.sent")
    assert [s for s in sent if s["type"] == "unsubscribe"] == []
    # the last part leaves: one unsubscribe
    page.evaluate("() => window.t.a.close()")
    wait_until(page, "() => window.t.sent.some((s) => s.type === 'unsubscribe')")
    sent = page.evaluate("() => window.t.sent")
    assert [s["channel"] for s in sent if s["type"] == "unsubscribe"] == [chat]
    assert page.evaluate("() => window.t.conn.subs.size") == 0


def test_a_part_joining_a_stateful_channel_gets_its_snapshot(open_url: OpenUrl, assembly: Assembly) -> None:
    page, watch = open_url("/results/none", None, wait_live=False)  # a page of ours, not connected
    watch.expected.append(r"/api/votes/none/")  # the results page's own read of a vote that is not there
    page.evaluate(SETUP, {"token": assembly.tokens["host-1"]})
    ch = "meeting/plenary/proposals"
    page.evaluate("(ch) => { window.t.a = window.t.followState(window.t.conn, ch, window.t.part('a')); }", ch)
    wait_until(page, "() => window.t.got.snapA === 1")
    page.evaluate("(ch) => { window.t.b = window.t.followState(window.t.conn, ch, window.t.part('b')); }", ch)
    wait_until(page, "() => window.t.got.snapB === 1")
    assert page.evaluate("() => [window.t.got.snapA, window.t.conn.subs.size]") == [
        1,
        1,
    ]  # A not started again
