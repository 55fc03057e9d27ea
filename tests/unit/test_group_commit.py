"""engine.batching.GroupCommit: the group-commit loop the cast batcher and the rate limiter share."""

from __future__ import annotations

import asyncio

import pytest

from engine.batching import GroupCommit


async def test_items_waiting_when_a_batch_returns_go_together_in_order_within_max_batch() -> None:
    seen: list[list[int]] = []
    gate = asyncio.Event()

    async def flush(batch: list[int]) -> None:
        seen.append(batch)
        await gate.wait()  # the first batch is "in Redis" while the others arrive

    gc: GroupCommit[int] = GroupCommit(flush, "test", max_batch=3)
    gc.start()
    gc.put(0)
    await asyncio.sleep(0)
    for i in range(1, 8):
        gc.put(i)
    await asyncio.sleep(0.01)
    assert seen == [[0]]  # a lone item leaves at once, not held back to fill a batch
    gate.set()
    await asyncio.sleep(0.01)
    assert seen == [[0], [1, 2, 3], [4, 5, 6], [7]]
    assert gc.batches == 4
    assert await gc.stop() == []


async def test_an_item_put_again_during_a_flush_goes_in_a_later_batch() -> None:
    seen: list[list[str]] = []

    async def flush(batch: list[str]) -> None:
        seen.append(batch)
        if "retry" in batch:
            gc.put("retried")

    gc: GroupCommit[str] = GroupCommit(flush, "test", max_batch=10)
    gc.start()
    gc.put("retry")
    await asyncio.sleep(0.01)
    assert seen == [["retry"], ["retried"]]
    await gc.stop()


async def test_stop_returns_what_was_still_waiting() -> None:
    async def flush(batch: list[int]) -> None:
        await asyncio.sleep(10)

    gc: GroupCommit[int] = GroupCommit(flush, "test", max_batch=1)
    gc.start()
    for i in range(3):
        gc.put(i)
    await asyncio.sleep(0.01)  # 0 is in flight; 1 and 2 wait
    assert await gc.stop() == [1, 2]


def test_a_batch_holds_at_least_one_item() -> None:
    async def flush(batch: list[int]) -> None:
        return None

    with pytest.raises(ValueError):
        GroupCommit(flush, "test", max_batch=0)


async def test_with_two_in_flight_the_next_batch_leaves_while_the_first_runs_and_a_third_waits() -> None:
    started: list[list[int]] = []
    gates = [asyncio.Event() for _ in range(4)]

    async def flush(batch: list[int]) -> None:
        started.append(batch)
        await gates[len(started) - 1].wait()

    gc: GroupCommit[int] = GroupCommit(flush, "test", max_batch=2, in_flight=2)
    gc.start()
    for i in range(7):
        gc.put(i)
    await asyncio.sleep(0.01)
    assert started == [[0, 1], [2, 3]]  # two in flight, in order; the rest waits for a slot
    gates[1].set()  # the second returns first: its slot takes the next batch
    await asyncio.sleep(0.01)
    assert started == [[0, 1], [2, 3], [4, 5]]
    gates[0].set()
    gates[2].set()
    await asyncio.sleep(0.01)
    assert started == [[0, 1], [2, 3], [4, 5], [6]]
    gates[3].set()
    assert gc.batches == 4
    assert await gc.stop() == []


async def test_batches_in_flight_start_in_order_up_to_their_first_suspension() -> None:
    """What keeps a connection's writes in batch order (``engine.scripts.ScriptPipe``): each flush
    runs up to its first real suspension before the next batch's flush begins."""
    steps: list[str] = []

    async def flush(batch: list[int]) -> None:
        steps.append(f"write {batch}")  # the first step: no suspension before it
        await asyncio.sleep(0)
        steps.append(f"reply {batch}")

    gc: GroupCommit[int] = GroupCommit(flush, "test", max_batch=1, in_flight=3)
    gc.start()
    for i in range(3):
        gc.put(i)
    await asyncio.sleep(0.01)
    assert steps[:3] == ["write [0]", "write [1]", "write [2]"]
    await gc.stop()


async def test_stop_cancels_the_batches_in_flight_and_returns_the_waiting_ones() -> None:
    cancelled: list[list[int]] = []

    async def flush(batch: list[int]) -> None:
        try:
            await asyncio.sleep(10)
        except asyncio.CancelledError:
            cancelled.append(batch)  # the flush settles its items (CastBatcher: UNAVAILABLE)
            raise

    gc: GroupCommit[int] = GroupCommit(flush, "test", max_batch=1, in_flight=2)
    gc.start()
    for i in range(4):
        gc.put(i)
    await asyncio.sleep(0.01)
    assert await gc.stop() == [2, 3]
    assert sorted(cancelled) == [[0], [1]]


def test_at_least_one_batch_is_in_flight() -> None:
    async def flush(batch: list[int]) -> None:
        return None

    with pytest.raises(ValueError):
        GroupCommit(flush, "test", max_batch=1, in_flight=0)


@pytest.mark.parametrize("in_flight", [1, 2])
async def test_with_a_pace_a_trickle_is_gathered_a_lone_item_and_a_full_batch_leave_at_once(
    in_flight: int,
) -> None:
    seen: list[list[int]] = []

    async def flush(batch: list[int]) -> None:
        seen.append(batch)

    pace = 0.05
    gc: GroupCommit[int] = GroupCommit(flush, "test", max_batch=4, in_flight=in_flight, pace=pace)
    gc.start()
    gc.put(0)
    for _ in range(5):
        await asyncio.sleep(0)
    assert seen == [[0]]  # the first after a quiet spell: at once
    for i in (1, 2, 3):  # a trickle right behind it: held until the pace has passed, then together
        gc.put(i)
        await asyncio.sleep(0.005)
    assert seen == [[0]]
    await asyncio.sleep(pace)
    assert seen == [[0], [1, 2, 3]]
    for i in range(4, 8):  # a full batch does not wait for the pace
        gc.put(i)
    for _ in range(5):
        await asyncio.sleep(0)
    assert seen == [[0], [1, 2, 3], [4, 5, 6, 7]]
    assert await gc.stop() == []


def test_a_negative_pace_is_refused() -> None:
    async def flush(batch: list[int]) -> None:
        return None

    with pytest.raises(ValueError, match="pace"):
        GroupCommit(flush, "test", max_batch=1, pace=-1)
