"""``survive``: the one way a background step fails without stopping its loop, and without going
unseen; ``within``: a clean-up that ends in a time known in advance, and says what it waited on."""

from __future__ import annotations

import asyncio
import contextlib
import io
import logging
from collections.abc import Coroutine, Iterator
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


def waiting_tasks(loop: asyncio.AbstractEventLoop) -> str:
    """The stacks of ``loop``'s unfinished tasks: what a stop that takes too long still waits on.
    Safe to call from another thread about to end the process (a best effort, never raising)."""
    out = io.StringIO()
    try:
        for task in list(asyncio.all_tasks(loop)):
            task.print_stack(limit=8, file=out)
    except Exception as exc:  # a diagnostic must not stop the exit
        out.write(f"(tasks not readable: {exc!r})")
    return out.getvalue()


async def within(logger: logging.Logger, what: str, seconds: float, step: Coroutine[Any, Any, None]) -> bool:
    """Run a clean-up ``step`` for at most ``seconds``; past that, log a warning with the stacks of
    what it still waited on, cancel it without waiting for it (a step that ignores cancellation
    must not hold the stop up either), and return False.

    Why: a hub's stop leaves Redis tidy, but what it leaves expires by itself, so a clean-up that
    stalls (a Redis that hangs, a socket whose close never completes) must not keep the process
    from exiting: a stop ends in a time known in advance (``cli.serve.STOP_TIMEOUT`` is the last
    resort, and exits with status 1), and the log names the await that stalled."""
    task = asyncio.ensure_future(step)
    done, _ = await asyncio.wait({task}, timeout=seconds)
    if done:
        task.result()  # its exception, if any, is the caller's
        return True
    logger.warning(
        "%s took longer than %g s: left to expire",
        what,
        seconds,
        extra={"step": what, "waiting": waiting_tasks(asyncio.get_running_loop())},
    )
    task.cancel()
    return False
