"""``VoteFinder`` (realtime/web/lib/vote-common.js): a vote announced while the page is still
looking up the meeting's earlier votes (a page just opened on a meeting with many) is looked up
next, not after the whole backlog: waiting for it took the new vote past 5 s on a busy machine
(the flake of test_live_pages' ``..._whatever_its_name``). Driven in Chromium with the page's own
module and a connection stand-in whose replies the test releases one at a time."""

from __future__ import annotations

import pytest

from tests.browser.conftest import OpenUrl

pytestmark = pytest.mark.browser

SETUP = """async () => {
  const { VoteFinder } = await import("/static/lib/vote-common.js");
  const t = { asked: [], waiting: [], found: [], channel: null };
  const conn = {
    live: true,
    subscribe(channel, handlers) {
      t.channel = channel;
      t.handlers = handlers;
      return { close() {} };
    },
    request(type, fields) {
      t.asked.push(fields.vote);
      return new Promise((resolve) => t.waiting.push(() => resolve({ definition: { vote_id: fields.vote } })));
    },
  };
  t.finder = new VoteFinder(conn, { onFound: (id) => t.found.push(id) });
  t.answer = async () => {  // the hub answers the oldest lookup; the finder goes on
    t.waiting.shift()();
    for (let i = 0; i < 5; i++) await Promise.resolve();
  };
  window.t = t;
}"""

BACKLOG = [f"old-{i}" for i in range(5)]


def test_a_vote_announced_during_the_backlog_is_looked_up_next(open_url: OpenUrl) -> None:
    page, watch = open_url("/results/none", None, wait_live=False)  # a page of ours, not connected
    watch.expected.append(r"/api/votes/none/")  # the results page's own read of a vote that is not there
    page.evaluate(SETUP)
    page.evaluate(
        """(ids) => {
          t.finder.setMeeting("m1");
          const snapshot = Object.fromEntries(ids.map((v) => ["vote:" + v, { vote: v }]));
          t.handlers.onSnapshot(snapshot, { reset: false });
          t.handlers.onEvents([], { initial: true, snapshot: true });
        }""",
        BACKLOG,
    )
    assert page.evaluate("() => t.channel") == "meeting/m1/votes"
    assert len(page.evaluate("() => t.asked")) == 1  # one lookup at a time
    page.evaluate(
        """() => t.handlers.onEvents(
          [{ event: "vote.announced", data: { vote: "new-1" } }],
          { initial: false, snapshot: false },
        )"""
    )
    page.evaluate("() => t.answer()")
    asked = page.evaluate("() => t.asked")
    assert asked[1] == "new-1", asked  # next, before the four of the backlog still to ask
    for _ in range(len(BACKLOG)):
        page.evaluate("() => t.answer()")
    assert sorted(page.evaluate("() => t.found")) == sorted([*BACKLOG, "new-1"])  # and all of them
    assert sorted(page.evaluate("() => t.asked")) == sorted([*BACKLOG, "new-1"])  # each once
