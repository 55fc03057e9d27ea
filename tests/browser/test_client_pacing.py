"""A page's commands within the hub's per-connection rate (realtime/web/lib/client.js ``Pacer``,
docs/protocol.md §10: ``burst`` at once, then ``rate`` a second, the rest refused
``rate_limited``). A page opening a meeting sends more than that at once; the connection holds
what is past the budget and sends it as the bucket refills, so nothing is refused and nothing has
to be asked again seconds later (the flake of a vote announced while the panelist page's
``vote.get`` waited out such a refusal). Driven at the JS level in Chromium against the real hub:
the same burst over a bare WebSocket is refused in part, over the page's ``Connection`` not."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import Assembly, OpenUrl

pytestmark = pytest.mark.browser

BURST = 70  # commands at once: past the hub's bucket of 40 (rate 20)

BARE = """async ({ token, n }) => {
  const { hubUrl, SUBPROTOCOL } = await import("/static/lib/client.js");
  const ws = new WebSocket(hubUrl(), [SUBPROTOCOL]);
  await new Promise((ok) => { ws.onopen = ok; });
  const answers = new Map();
  const all = new Promise((ok) => {
    ws.onmessage = (e) => {
      const m = JSON.parse(e.data);
      if (m.id > 1) answers.set(m.id, m.type === "error" ? m.name : "ok");
      if (answers.size === n) ok();
    };
  });
  ws.send(JSON.stringify({ type: "hello", id: 1, token, client: "test/1" }));
  for (let i = 0; i < n; i++) ws.send(JSON.stringify({ type: "ping", id: i + 2 }));
  await all;
  ws.close();
  return [...answers.values()];
}"""

PACED = """async ({ token, n }) => {
  const { Connection, hubUrl } = await import("/static/lib/client.js");
  const conn = new Connection({ url: hubUrl(), token });
  conn.start();
  while (!conn.live) await new Promise((r) => setTimeout(r, 20));
  const t0 = performance.now();
  const got = await Promise.allSettled([...Array(n)].map(() => conn.request("ping")));
  const ms = performance.now() - t0;
  conn.stopped = true;
  conn.ws.close();
  return { ms, names: got.map((g) => (g.status === "fulfilled" ? "ok" : g.reason.name)) };
}"""


def test_a_burst_past_the_hub_s_bucket_waits_its_turn_instead_of_being_refused(
    open_url: OpenUrl, assembly: Assembly
) -> None:
    page, watch = open_url("/results/none", None, wait_live=False)  # a page of ours, not connected
    watch.expected.append(r"/api/votes/none/")  # the results page's own read of a vote that is not there
    token = assembly.tokens["p-001"]

    bare: list[str] = page.evaluate(BARE, {"token": token, "n": BURST})
    assert "rate_limited" in bare  # the hub's limit is real: a bare burst is refused in part
    assert bare.count("ok") < BURST

    paced: dict[str, Any] = page.evaluate(PACED, {"token": token, "n": BURST})
    assert paced["names"] == ["ok"] * BURST  # every one answered, none refused
    # and paced: what the bucket did not hold went out at the rate (0.9 × 20 a second)
    assert paced["ms"] >= (BURST - 36) / 18 * 1000 * 0.9
