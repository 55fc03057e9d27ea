"""Cards over two real hubs and Redis (issue 15): a facilitator's card is stored once and reaches
the table's channel and the meeting's cards channel on the other hub; only the table's facilitator
(or a host) posts for it; bad input gets a stable code and stores nothing; a retry with the same
nonce posts nothing new; the cap per table and step holds."""

from __future__ import annotations

from redis.asyncio import Redis

from engine import keys
from engine.roles import Role
from panel.roster import Participant
from tables import cards, cards_store, seating_store
from tables.model import Seating
from tests.support import HubProcess, connect, seed

FACILITATORS = [
    Participant(id="f1", name="진행 하나", role=Role.FACILITATOR, meetings=["m1"]),
    Participant(id="f2", name="진행 둘", role=Role.FACILITATOR, meetings=["m1"]),
]
CARDS, TABLE1 = keys.meeting_cards("m1"), keys.meeting_table("m1", 1)
SEATING = Seating(session="m1", seed=1, tables=(("p1",), ("p2",), (), (), ()))


async def seat(redis: Redis) -> dict[str, str]:
    tokens = await seed(redis, FACILITATORS)
    await seating_store.save_seating(redis, SEATING)
    return tokens


async def test_a_card_reaches_its_table_and_the_cards_channel_on_the_other_hub(
    redis: Redis, hubs: tuple[HubProcess, HubProcess]
) -> None:
    a, b = hubs
    tokens = await seat(redis)
    async with (
        connect(a.ws_url, tokens["host"]) as host,
        connect(a.ws_url, tokens["f1"]) as f1,
        connect(b.ws_url, tokens["mod"]) as theme,
    ):
        assert await host.ok("table.facilitator", meeting="m1", table=1, participant="f1") == {
            "table": 1,
            "facilitator": "f1",
            "replaced": "",
        }
        await theme.ok("subscribe", channel=CARDS)
        await theme.ok("subscribe", channel=TABLE1)
        got = await f1.ok(
            "table.card", meeting="m1", table=1, text="  버스 노선을\u200b 늘리자 ", nonce="card-0001"
        )
        card = got["card"]
        assert card["id"] == "t1-1" and card["text"] == "버스 노선을 늘리자"
        assert (card["meeting"], card["table"], card["by"], card["step"]) == ("m1", 1, "f1", 0)
        [on_cards] = await theme.wait_events(CARDS, 1)
        [on_table] = await theme.wait_events(TABLE1, 1)
        assert on_cards["event"] == on_table["event"] == cards.EVENT
        assert on_cards["data"] == on_table["data"] == card
        # a retry with the same nonce: the first card, nothing new
        again = await f1.ok("table.card", meeting="m1", table=1, text="버스 노선을 늘리자", nonce="card-0001")
        assert again["retry"] is True and again["card"] == card
        assert [c.id for c in await cards_store.meeting_cards(redis, "m1")] == ["t1-1"]
        # a fresh console gets every card in the snapshot
        async with connect(b.ws_url, tokens["host"]) as late:
            fresh = await late.ok("subscribe", channel=CARDS)
            assert fresh["snapshot"] == {"t1-1": card}


async def test_only_the_tables_facilitator_or_a_host_posts_and_bad_input_stores_nothing(
    redis: Redis, hubs: tuple[HubProcess, HubProcess]
) -> None:
    a, b = hubs
    tokens = await seat(redis)
    async with (
        connect(a.ws_url, tokens["host"]) as host,
        connect(b.ws_url, tokens["f2"]) as f2,
        connect(a.ws_url, tokens["p1"]) as p1,
    ):
        await host.ok("table.facilitator", meeting="m1", table=2, participant="f2")
        refused = {
            "not_the_facilitator": await f2.call("table.card", meeting="m1", table=1, text="남의 테이블"),
            "forbidden": await p1.call("table.card", meeting="m1", table=1, text="패널은 못 씀"),
            "empty_message": await f2.call("table.card", meeting="m1", table=2, text=" \u200b "),
            "message_too_long": await f2.call("table.card", meeting="m1", table=2, text="가" * 201),
            "bad_field": await f2.call("table.card", meeting="m1", table=0, text="영번"),
            "bad_nonce": await f2.call("table.card", meeting="m1", table=2, text="x", nonce="!"),
            "not_a_facilitator": await host.call(
                "table.facilitator", meeting="m1", table=3, participant="p1"
            ),
        }
        for code, msg in refused.items():
            assert msg["type"] == "error" and msg["name"] == code, (code, msg)
        assert await cards_store.meeting_cards(redis, "m1") == []
        assert await redis.exists(keys.channel_keys(TABLE1).hist) == 0
        # a host stands in for any table; reassigning table 2 to f1 replaces f2
        assert (await host.ok("table.card", meeting="m1", table=5, text="호스트 대리"))["card"][
            "by"
        ] == "host"
        moved = await host.ok("table.facilitator", meeting="m1", table=2, participant="f1")
        assert moved["replaced"] == "f2"
        assert (await f2.call("table.card", meeting="m1", table=2, text="이제 아님"))[
            "name"
        ] == "not_the_facilitator"


async def test_a_table_posts_at_most_its_cap_in_one_step(redis: Redis) -> None:
    from engine.channels import ChannelLog

    await seed(redis, FACILITATORS)
    log = ChannelLog(redis)
    for i in range(cards.MAX_PER_STEP):
        await cards_store.post_card(log, "m1", 4, f"생각 {i}", "f1", step=1)
    try:
        await cards_store.post_card(log, "m1", 4, "하나 더", "f1", step=1)
        raise AssertionError("the cap did not hold")
    except Exception as exc:
        assert getattr(exc, "name", "") == "too_many_cards"
    assert len(await cards_store.meeting_cards(redis, "m1")) == cards.MAX_PER_STEP
    await cards_store.post_card(log, "m1", 4, "다음 단계", "f1", step=2)  # a new step, a new count
