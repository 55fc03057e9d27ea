"""engine.flight.Flights: the callers of one key share one read; a failure reaches every waiter
and the next caller reads again; a cancelled waiter leaves the read to the others."""

from __future__ import annotations

import asyncio

import pytest

from engine.flight import Flights


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
