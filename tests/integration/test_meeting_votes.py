"""Issue 13: a new vote reaches its meeting's pages through ``meeting/<id>/votes``, through real hubs.

The rule (moderation/meeting_votes.py): a vote open to every panelist is shown where ``vote.create``
says (``meeting``), a restricted one in its own meeting; a bad ``meeting`` is refused with a stable
code before anything is stored; the channel is its meeting's members' only.
"""

from __future__ import annotations

from typing import Any

from redis.asyncio import Redis

from tests.support import HubProcess, connect, seed

VOTES = "meeting/m1/votes"


def definition(vote_id: str, eligibility: str = "panelists") -> dict[str, Any]:
    return {
        "vote_id": vote_id,
        "title": f"투표 {vote_id}",
        "proposals": [{"id": "A", "title": "가"}, {"id": "B", "title": "나"}],
        "rule": {"kind": "rank_all"},
        "method": "schulze",
        "tie_break": ["A", "B"],
        "eligibility": eligibility,
    }


async def test_a_new_vote_is_announced_to_its_meeting_on_every_hub(
    redis: Redis, hubs: tuple[HubProcess, HubProcess]
) -> None:
    tokens = await seed(redis)
    a, b = hubs
    async with (
        connect(a.ws_url, tokens["host"]) as host,
        connect(b.ws_url, tokens["p1"]) as p1,
        connect(a.ws_url, tokens["p3"]) as p3,
    ):
        first = await p1.ok("subscribe", channel=VOTES)
        assert first["snapshot"] == {}
        # p3 is in m2 only: the channel is the meeting's members'.
        assert (await p3.call("subscribe", channel=VOTES))["name"] == "not_a_member"

        await host.ok("vote.create", definition=definition("budget"), meeting="m1")
        await host.ok("vote.create", definition=definition("m1-only", "m1"))  # restricted: its meeting
        await host.ok("vote.create", definition=definition("homeless"))  # no meeting: on no page
        events = await p1.wait_events(VOTES, 2)
        assert [(e["event"], e["data"]["vote"]) for e in events] == [
            ("vote.announced", "budget"),
            ("vote.announced", "m1-only"),
        ]
        assert events[0]["data"] == {"vote": "budget", "title": "투표 budget", "eligibility": "panelists"}

        # As if its announcement had failed: the host's retry is refused (it exists) but lists it.
        again = await host.call("vote.create", definition=definition("homeless"), meeting="m1")
        assert again["name"] == "bad_transition", again
        assert (await p1.wait_events(VOTES, 3))[2]["data"]["vote"] == "homeless"
        other = await host.call(
            "vote.create", definition=definition("homeless") | {"title": "다른 투표"}, meeting="m1"
        )
        assert other["name"] == "bad_transition"  # another vote of that id: not listed again

        late = await p3.call("subscribe", channel="meeting/m2/votes")
        assert late["result"]["snapshot"] == {}
        snap = (await host.ok("subscribe", channel=VOTES))["snapshot"]
        assert sorted(snap) == ["vote:budget", "vote:homeless", "vote:m1-only"]
        assert len(await p1.wait_events(VOTES, 3)) == 3


async def test_a_bad_meeting_is_refused_before_the_vote_is_stored(
    redis: Redis, hubs: tuple[HubProcess, HubProcess]
) -> None:
    tokens = await seed(redis)
    async with connect(hubs[0].ws_url, tokens["host"]) as host, connect(hubs[1].ws_url, tokens["p1"]) as p1:
        refused = await host.call("vote.create", definition=definition("nowhere"), meeting="no-such")
        assert refused["name"] == "unknown_meeting", refused
        mismatch = await host.call("vote.create", definition=definition("elsewhere", "m2"), meeting="m1")
        assert mismatch["name"] == "bad_vote_definition", mismatch
        bad = await host.call("vote.create", definition=definition("spaced"), meeting="m 1")
        assert bad["name"] == "bad_field", bad
        for vote_id in ("nowhere", "elsewhere", "spaced"):
            assert (await host.call("vote.get", vote=vote_id))["name"] == "unknown_vote"
        # A panelist may not create one, with or without a meeting; the connection lives on.
        assert (await p1.call("vote.create", definition=definition("mine"), meeting="m1"))[
            "name"
        ] == "forbidden"
        assert (await p1.ok("subscribe", channel=VOTES))["snapshot"] == {}
