"""py-spy on the fan-out bench's hub during its one-event-per-frame windows: where its CPU per frame goes.

``python -m loadtest.bench_fanout --profile DIR`` samples the hub as it is with ``py-spy record``
(``--nonblocking``: the hub is never stopped to be read, so the window's figures move little;
still, read figures from a run without ``--profile``) around each of its one-event windows only,
pinned with the peers, and writes the collapsed stacks (``DIR/hub-*.txt``, py-spy's ``raw``
format: one ``frame;frame;... count`` line per stack, frames as ``function (file:line)``) and a
summary (``DIR/summary.md``): the lines where samples end (self) and the functions they pass
through (inclusive), as shares of every sample. py-spy sees Python frames only: time in the
kernel's ``send`` or in uvloop's C code counts to the Python line that called it. Idle samples
(the loop waiting in ``epoll``) are left out, so the shares are of the time the hub was running.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import re
import signal
import subprocess
import sys
from pathlib import Path

FRAME = re.compile(r"^(?P<func>.*) \((?P<file>[^()]*?)(?::(?P<line>\d+))?\)$")


class Sampler:
    """One ``py-spy record`` of one process, started and stopped around a window."""

    def __init__(self, pid: int, out: Path, prefix: list[str], rate: int = 499) -> None:
        self.argv = [
            *prefix,
            str(Path(sys.executable).with_name("py-spy")),
            "record",
            "--pid",
            str(pid),
            "--rate",
            str(rate),
            "--nonblocking",
            "--format",
            "raw",
            "--output",
            str(out),
        ]
        self.proc: asyncio.subprocess.Process | None = None

    async def __aenter__(self) -> Sampler:
        self.proc = await asyncio.create_subprocess_exec(
            *self.argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        await asyncio.sleep(0.5)  # attaching takes a moment; the window must not start before
        return self

    async def __aexit__(self, *exc: object) -> None:
        """SIGINT makes py-spy write its file; SIGKILL if it does not end in time."""
        proc = self.proc
        if proc is None or proc.returncode is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            proc.send_signal(signal.SIGINT)
        try:
            await asyncio.wait_for(proc.wait(), 15)
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
            await asyncio.wait_for(proc.wait(), 5)


def where(frame: str, root: Path) -> tuple[str, str]:
    """(``function (file:line)``, ``function (file)``) with the file shortened to the project's path
    or the installed package's."""
    m = FRAME.match(frame)
    if not m:
        return frame, frame
    file = m["file"]
    if "site-packages/" in file:
        file = file.split("site-packages/", 1)[1]
    elif file.startswith(str(root)):
        file = file[len(str(root)) + 1 :]
    func = f"{m['func']} ({file})"
    return (f"{m['func']} ({file}:{m['line']})" if m["line"] else func), func


def summarise(files: list[Path], root: Path, top: int = 25) -> str:
    """Markdown: the self and inclusive shares of the samples in ``files`` (py-spy raw format)."""
    own: collections.Counter[str] = collections.Counter()
    through: collections.Counter[str] = collections.Counter()
    total = 0
    for path in files:
        if not path.exists():
            continue
        for line in path.read_text().splitlines():
            stack, _, count = line.rpartition(" ")
            if not stack or not count.isdigit():
                continue
            n = int(count)
            frames = [where(f, root) for f in stack.split(";")]  # outermost first (no ``--threads``)
            if not frames:
                continue
            total += n
            own[frames[-1][0]] += n
            for func in {func for _, func in frames}:
                through[func] += n
    if not total:
        return "no samples (is py-spy allowed to read the hub's memory?)"
    lines = [
        f"{total:,} samples of the hub in its one-event-per-frame windows.",
        "",
        "| where samples end (self) | share |",
        "|---|---|",
        *(f"| `{k}` | {v / total:.1%} |" for k, v in own.most_common(top)),
        "",
        "| functions they pass through (inclusive) | share |",
        "|---|---|",
        *(f"| `{k}` | {v / total:.1%} |" for k, v in through.most_common(top)),
    ]
    return "\n".join(lines)
