"""``survive``: a failing background step is logged with its name and traceback, and never hides
a cancellation."""

from __future__ import annotations

import asyncio
import logging

import pytest

from engine.background import survive


def test_a_failing_step_is_a_warning_with_its_name_and_the_caller_goes_on(
    caplog: pytest.LogCaptureFixture,
) -> None:
    log = logging.getLogger("test.background")
    ran_after = False
    with caplog.at_level(logging.DEBUG, "test.background"):
        with survive(log, "close_due", vote="v1"):
            raise ValueError("broken vote")
        ran_after = True
    assert ran_after
    [record] = caplog.records
    assert (record.levelno, record.getMessage()) == (logging.WARNING, "close_due failed")
    assert (record.__dict__["step"], record.__dict__["vote"]) == ("close_due", "v1")
    assert record.exc_info is not None and isinstance(record.exc_info[1], ValueError)


def test_a_cancellation_goes_through() -> None:
    with pytest.raises(asyncio.CancelledError), survive(logging.getLogger("test.background"), "step"):
        raise asyncio.CancelledError
