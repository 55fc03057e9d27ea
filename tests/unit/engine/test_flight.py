"""engine.flight.Flights: the callers of one key share one read; a failure reaches every waiter
and the next caller reads again; a cancelled waiter leaves the read to the others. ``Unsent``:
the same, but a read is joined only until it begins."""

from __future__ import annotations

import asyncio

import pytest
from hypothesis import given
from hypothesis import strategies as st

from engine.flight import Flights, Unsent


def test_callers_of_one_key_share_one_read() -> None:
    async def run() -> tuple[list[int], int]:
        flights: Flights[str, int] = Flights()
        reads = 0
        gate = asyncio.Event()

        async def read() -> int:
            nonlocal reads
            reads += 1
            await gate.wait()
            return 7

        waiters = [asyncio.ensure_future(flights.once("v", read)) for _ in range(50)]
        await asyncio.sleep(0)
        assert flights.in_flight("v")
        gate.set()
        results = await asyncio.gather(*waiters)
        assert not flights.in_flight("v")
        return results, reads

    results, reads = asyncio.run(run())
    assert results == [7] * 50
    assert reads == 1


def test_other_keys_read_apart_and_a_later_caller_reads_again() -> None:
    async def run() -> list[str]:
        flights: Flights[str, str] = Flights()
        seen: list[str] = []

        async def read(key: str) -> str:
            seen.append(key)
            await asyncio.sleep(0)
            return key.upper()

        assert await asyncio.gather(
            flights.once("a", lambda: read("a")), flights.once("b", lambda: read("b"))
        ) == [
            "A",
            "B",
        ]
        assert await flights.once("a", lambda: read("a")) == "A"  # done: not kept, read again
        return seen

    assert asyncio.run(run()) == ["a", "b", "a"]


def test_a_failure_reaches_every_waiter_then_the_next_reads_again() -> None:
    async def run() -> int:
        flights: Flights[str, int] = Flights()
        calls = 0

        async def read() -> int:
            nonlocal calls
            calls += 1
            await asyncio.sleep(0)
            if calls == 1:
                raise ConnectionError("down")
            return 1

        outcomes = await asyncio.gather(*(flights.once("v", read) for _ in range(5)), return_exceptions=True)
        assert all(isinstance(o, ConnectionError) for o in outcomes)
        assert await flights.once("v", read) == 1
        return calls

    assert asyncio.run(run()) == 2


def test_a_cancelled_waiter_does_not_cancel_the_read() -> None:
    async def run() -> int:
        flights: Flights[str, int] = Flights()
        gate = asyncio.Event()

        async def read() -> int:
            await gate.wait()
            return 3

        first = asyncio.ensure_future(flights.once("v", read))
        second = asyncio.ensure_future(flights.once("v", read))
        await asyncio.sleep(0)
        first.cancel()
        with pytest.raises(asyncio.CancelledError):
            await first
        gate.set()
        return await second

    assert asyncio.run(run()) == 3


def test_start_begins_a_read_that_once_joins() -> None:
    async def run() -> int:
        flights: Flights[str, int] = Flights()
        reads = 0

        async def read() -> int:
            nonlocal reads
            reads += 1
            await asyncio.sleep(0)
            return 5

        started = flights.start("v", read)
        assert await flights.once("v", read) == 5
        assert started.done()
        return reads

    assert asyncio.run(run()) == 1


def test_unsent_callers_before_the_read_begins_share_it_later_ones_read_again() -> None:
    """``Unsent``: a caller joins a read only until it begins; one that comes while it is on its
    way gets a read of its own that begins after its call (a subscribe's recovery must not be read
    before the client's attach)."""

    async def run() -> tuple[list[int], list[int]]:
        flights: Unsent[str, int] = Unsent()
        began: list[int] = []  # the value of ``state`` as each read began
        state = 0
        gate = asyncio.Event()

        async def read() -> int:
            began.append(state)
            seen = state
            await gate.wait()
            return seen

        early = [asyncio.ensure_future(flights.once("c", read)) for _ in range(20)]
        while not began:  # the callers' first steps, then the read's: from now on it is not joined
            await asyncio.sleep(0)
        assert began == [0]
        assert not flights.in_flight("c")
        state = 1  # something the late callers made sure of before calling (their attach)
        late = [asyncio.ensure_future(flights.once("c", read)) for _ in range(20)]
        while len(began) < 2:
            await asyncio.sleep(0)
        assert began == [0, 1]
        gate.set()
        return await asyncio.gather(*early), await asyncio.gather(*late)

    early, late = asyncio.run(run())
    assert early == [0] * 20
    assert late == [1] * 20  # every late caller got a read that began after its call


@given(st.lists(st.sampled_from(["call", "turn", "answer"]), max_size=40))
def test_unsent_every_caller_gets_a_read_begun_after_its_call(steps: list[str]) -> None:
    """Any interleaving of calls, loop turns and answers: each caller's result was read at or
    after the moment of its call (a clock ticks at every call; ``Flights`` fails this), and the
    reads begun are never more than the callers."""

    async def run() -> None:
        flights: Unsent[str, int] = Unsent()
        clock = 0
        gates: list[asyncio.Event] = []
        calls: list[tuple[int, asyncio.Future[int]]] = []

        async def read() -> int:
            at = clock
            gate = asyncio.Event()
            gates.append(gate)
            await gate.wait()
            return at

        for step in steps:
            if step == "call":
                clock += 1
                calls.append((clock, asyncio.ensure_future(flights.once("k", read))))
            elif step == "turn":
                await asyncio.sleep(0)
            elif gates:
                gates.pop(0).set()
                await asyncio.sleep(0)
        while not all(f.done() for _, f in calls):
            for g in gates:
                g.set()
            await asyncio.sleep(0)
        for at, fut in calls:
            assert fut.result() >= at
        assert len(gates) <= len(calls)

    asyncio.run(run())
