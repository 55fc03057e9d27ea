"""A command failure's traceback is logged once per kind of exception and interval, the others with
their text only (``realtime.endpoint.TraceBudget``): a starved hub must not spend itself formatting
thousands of alike tracebacks."""

from __future__ import annotations

from realtime.endpoint import TraceBudget


def test_one_traceback_per_kind_and_interval() -> None:
    now = [100.0]
    budget = TraceBudget(every=10.0, clock=lambda: now[0])
    assert budget.due(TimeoutError)  # the first of its kind: traced
    assert not budget.due(TimeoutError)  # the same kind at once: text only
    assert budget.due(ConnectionError)  # another kind has its own budget
    now[0] += 9.9
    assert not budget.due(TimeoutError)
    now[0] += 0.2
    assert budget.due(TimeoutError)  # the interval has passed
    assert not budget.due(TimeoutError)
