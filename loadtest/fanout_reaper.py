"""Cleans up after the fan-out benchmark however its orchestrator ends, SIGKILL included.

The embedded redis-server is a daemon (it outlives whoever started it) and the benchmark's data
lives in a temporary directory. The orchestrator stops and removes both itself; this process is the
net under it: it blocks on its stdin (a pipe from the orchestrator), and when that pipe closes,
because the orchestrator exited or was killed, it shuts that Redis down and removes the directory.
Run by ``loadtest.bench_fanout``: ``python -m loadtest.fanout_reaper REDIS_DATA_DIR TMP_DIR``.
"""

from __future__ import annotations

import contextlib
import shutil
import signal
import sys
from pathlib import Path

from engine.server import SOCKET_NAME, EmbeddedRedis


class Stop(Exception):
    pass


def stop(signum: int, frame: object) -> None:
    raise Stop


def main(argv: list[str] | None = None) -> int:
    data_dir, tmp = (Path(a) for a in (sys.argv[1:] if argv is None else argv))
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the orchestrator's to handle
    signal.signal(signal.SIGTERM, stop)  # SIGTERM: clean up now
    with contextlib.suppress(Stop, OSError):
        sys.stdin.buffer.read()
    if (data_dir / SOCKET_NAME).exists():
        EmbeddedRedis(data_dir, data_dir / SOCKET_NAME, started=True).stop()
    shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
