"""Find the Debian programs the production topology runs (HAProxy, Redis 7), or install them, or
say at once how to.

``make cluster`` and ``make test`` run this first (the ``packages`` target), and the topology's
tests import ``find_program`` from here: where such a program may be, and which package brings
it, is decided in this one table. The rule is ``tools/chromium.py``'s:

1. ``$<NAME>`` if set (``$HAPROXY``, ``$REDIS_SERVER``; it must then be an executable: a wrong
   path is an error, not a fallback);
2. else the first executable of the program's ``candidates``;
3. none found: as root with ``apt-get``, install the missing programs' packages (no recommends;
   Debian's packages start no service where ``policy-rc.d`` forbids it, and nothing here needs
   one: the topology starts its own processes, on loopback, and stops them);
   otherwise stop at once, printing the one command to run.

Only the standard library: this runs on a fresh machine, before anything else is installed.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Program:
    """An executable of a Debian package, where Debian puts it."""

    package: str
    candidates: tuple[str, ...]

    def env_name(self, name: str) -> str:
        """The variable that names another executable for it (``redis-server`` -> ``REDIS_SERVER``)."""
        return name.upper().replace("-", "_")


PROGRAMS: dict[str, Program] = {
    "haproxy": Program("haproxy", ("/usr/sbin/haproxy",)),
    "redis-server": Program("redis-server", ("/usr/bin/redis-server",)),
    "iptables": Program("iptables", ("/usr/sbin/iptables",)),
    "ip": Program("iproute2", ("/usr/sbin/ip", "/sbin/ip", "/bin/ip")),
    "tc": Program("iproute2", ("/usr/sbin/tc", "/sbin/tc")),
    "nginx": Program("nginx-light", ("/usr/sbin/nginx",)),
    "turnserver": Program("coturn", ("/usr/bin/turnserver",)),
}
"""The programs ``make cluster`` runs (Debian 12: HAProxy 2.6, Redis 7.0), and those
``make faults`` breaks it with (``loadtest/faults.py``): the packet filter (a hub cut from Redis,
a lossy link) and iproute2 (a network namespace and its throttled link). And nginx (Debian's
smallest build, ``nginx-light``), which ``tests/integration/test_nginx.py`` runs with
``deploy/nginx.conf``, the docker-compose proxy, in front of two hubs. And coturn's
``turnserver``, the TURN server production puts in front of live voice, which
``tests/integration/test_voice_coturn.py`` runs on loopback with the hub's shared secret."""


class ProgramError(Exception):
    """``$<NAME>`` names something that is not an executable file."""


def _executable(path: str) -> bool:
    return os.path.isfile(path) and os.access(path, os.X_OK)


def find_program(name: str, env: Mapping[str, str] | None = None, root: str = "/") -> str | None:
    """The path of ``name`` (a key of ``PROGRAMS``), or None when it is not installed. Raises
    ``ProgramError`` when its variable is set to something that is not an executable (the user
    asked for that one: do not guess). ``root``: where the candidates' paths start (tests)."""
    program = PROGRAMS[name]
    env = os.environ if env is None else env
    chosen = env.get(program.env_name(name), "")
    if chosen:
        if not _executable(chosen):
            raise ProgramError(f"{program.env_name(name)}={chosen} is not an executable file")
        return chosen
    paths = (os.path.join(root, p.lstrip("/")) for p in program.candidates)
    return next((p for p in paths if _executable(p)), None)


def install_command(names: Sequence[str]) -> list[str]:
    """The ``apt-get install`` that brings ``names`` (one package each, in order, once)."""
    packages = dict.fromkeys(PROGRAMS[n].package for n in names)
    return ["apt-get", "install", "-y", "--no-install-recommends", *packages]


def main(argv: list[str] | None = None) -> int:
    """Print each program's path (one a line, in order) and return 0, or return 1 having said what
    to do."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("names", nargs="+", choices=sorted(PROGRAMS), help="programs to find")
    parser.add_argument("--root", default="/", help="look under this folder instead of / (tests)")
    args = parser.parse_args(argv)
    names: list[str] = args.names
    try:
        missing = [n for n in names if find_program(n, root=args.root) is None]
    except ProgramError as err:
        print(f"system packages: {err}; unset it or point it at the program", file=sys.stderr)
        return 1
    if missing:
        command = install_command(missing)
        if os.geteuid() != 0 or shutil.which("apt-get") is None or args.root != "/":
            print(
                f"{', '.join(missing)} not installed (looked in "
                + ", ".join(c for n in missing for c in PROGRAMS[n].candidates)
                + "). Install with:\n\n    sudo "
                + " ".join(command)
                + "\n",
                file=sys.stderr,
            )
            return 1
        print(f"system packages: installing {' '.join(command[4:])} with apt-get", file=sys.stderr)
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        # Another apt-get (a colleague's, the browser's) may hold the lock for a while: wait for it.
        lock = ["-o", "DPkg::Lock::Timeout=300"]
        for step in (["apt-get", "update", "-qq"], [*command[:2], *lock, *command[2:], "-qq"]):
            if subprocess.run(step, env=env).returncode != 0:
                print(f"system packages: `{' '.join(step)}` failed", file=sys.stderr)
                return 1
    paths = [find_program(n, root=args.root) for n in names]
    if None in paths:
        print("system packages: installed, but not found where expected", file=sys.stderr)
        return 1
    print("\n".join(p for p in paths if p))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
