"""``survive``: the one way a background step fails without stopping its loop, and without going unseen."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from typing import Any


@contextlib.contextmanager
def survive(logger: logging.Logger, what: str, level: int = logging.WARNING, **extra: Any) -> Iterator[None]:
    """Run a step of a background loop (or a clean-up) whose failure must neither stop the loop
    nor go unseen.

    Why: a bare ``suppress(Exception)`` hid every failure of the hub's sweeper (a vote that
    ``close_due`` could not read meant no vote closed by itself, with nothing in the log). Here
    the step's exception is logged, at ``level`` (a warning unless the failure is ordinary, like a
    peer that left mid-send), as ``"<what> failed"`` with ``step=what`` and its traceback, and the
    caller goes on. Cancellation is not caught: a loop still stops when told."""
    try:
        yield
    except Exception:
        logger.log(level, "%s failed", what, exc_info=True, extra={"step": what, **extra})
