"""Every key one Redis step touches is in one Redis Cluster slot (engine/keys.py): the directory's
transactions, the hubs' heartbeats with their presence sets, a channel with its pub/sub name, a vote's
private keys. A key that left its family's slot would fail on a cluster only (CROSSSLOT)."""

from __future__ import annotations

import pytest
from redis.crc import key_slot

from engine import keys
from engine.channels import channel_write, publish_args


def pubsub_name(channel: str) -> str:
    return publish_args(channel).pubsub


def four_keys(channel: str) -> list[str]:
    """A channel's four keys, field by field."""
    return [
        keys.channel_keys(channel).meta,
        keys.channel_keys(channel).hist,
        keys.channel_keys(channel).state,
        keys.channel_keys(channel).log,
    ]


def slots(*names: str) -> set[int]:
    return {key_slot(n.encode()) for n in names}


def test_the_directory_is_one_slot() -> None:
    directory = [
        keys.participant("p1"),
        keys.participant("someone-else"),
        keys.ROSTER,
        keys.token("ab" * 32),
        keys.meeting("m1"),
        keys.MEETINGS,
        keys.VOTES,
        keys.PUBLIC_URL,
        keys.CONTROL,  # published inside the roster's transactions (SPUBLISH on Redis 7)
    ]
    assert len(slots(*directory)) == 1


def test_the_hubs_heartbeats_and_presence_are_one_slot() -> None:
    assert len(slots(keys.HUBS, keys.presence("a"), keys.presence("b"), keys.CONNECTION_HUBS)) == 1
    assert len(slots(keys.connection_slots("p1"), keys.CONNECTION_HUBS)) == 1
    assert len(slots(keys.rate_bucket("p1", "cast"), keys.rate_bucket("p2", "chat"))) == 1


@pytest.mark.parametrize(
    "channel",
    ["meeting/m1/chat", "meeting/m1/qa", "meeting/m1/agenda", "vote/v1", "ops", "overlay/m1"],
)
def test_a_channel_its_keys_and_its_pubsub_name_are_one_slot(channel: str) -> None:
    call = channel_write(channel, keys=[keys.channel_key(channel, "x"), keys.rate_key(channel, "p1")])
    assert len(slots(*call.keys, pubsub_name(channel))) == 1


def test_a_vote_s_private_keys_and_a_meeting_s_staff_desk_share_their_channel_s_slot() -> None:
    vote = [keys.vote_key("v1", part) for part in ("ballots", "nonces", "voters", "eligible", "audit")]
    assert slots(*vote) == slots(*four_keys(keys.vote("v1")))
    staff = keys.meeting_staff("m1")
    assert slots(*four_keys(staff), pubsub_name(staff)) == slots(keys.channel_keys("meeting/m1/qa").meta)
    assert keys.channel_from_pubsub(pubsub_name(staff)) == staff


def test_different_channels_spread_over_slots() -> None:
    assert len(slots(*(keys.channel_keys(keys.meeting_chat(f"m{i}")).meta for i in range(50)))) > 40
