"""Find the Chromium the browser tests drive, or install it, or say at once how to.

``make test`` runs this first (the ``browser`` target), and ``tests/browser/conftest.py`` imports
``find_chromium`` from here: where a browser may be is decided in this one place.

The rule:

1. ``$CHROMIUM`` if set (it must then be an executable: a wrong path is an error, not a fallback);
2. else the first executable of ``CANDIDATES`` (Debian's ``chromium`` package);
3. none found: as root with ``apt-get``, install ``PACKAGES`` (no recommends);
   otherwise stop at once, printing ``INSTALL_COMMAND``: the one command to run.

Only the standard library: this runs on a fresh machine, before anything else is installed.
"""

from __future__ import annotations

import argparse
import enum
import os
import shutil
import subprocess
import sys
from collections.abc import Mapping, Sequence

CANDIDATES = ("/usr/bin/chromium", "/usr/lib/chromium/chromium")
PACKAGES = ("chromium", "fonts-noto-cjk")  # the pages are Korean first: without CJK fonts they show boxes
APT_INSTALL = ("apt-get", "install", "-y", "--no-install-recommends", *PACKAGES)
INSTALL_COMMAND = "sudo " + " ".join(APT_INSTALL)


class Action(enum.Enum):
    """What ``make test`` does about the browser."""

    USE = "use"  # a Chromium is there
    INSTALL = "install"  # none, but we may install it (root with apt-get)
    STOP = "stop"  # none, and we may not: print INSTALL_COMMAND and fail


class ChromiumError(Exception):
    """$CHROMIUM names something that is not an executable file."""


def _executable(path: str) -> bool:
    return os.path.isfile(path) and os.access(path, os.X_OK)


def find_chromium(env: Mapping[str, str] | None = None, candidates: Sequence[str] = CANDIDATES) -> str | None:
    """The Chromium to use, or None when there is none. Raises ``ChromiumError`` when ``$CHROMIUM``
    is set to something that is not an executable (the user asked for that one: do not guess)."""
    env = os.environ if env is None else env
    chosen = env.get("CHROMIUM", "")
    if chosen:
        if not _executable(chosen):
            raise ChromiumError(f"CHROMIUM={chosen} is not an executable file")
        return chosen
    return next((p for p in candidates if _executable(p)), None)


def decide(found: str | None, is_root: bool, has_apt: bool) -> Action:
    """Use what is there; install only when nobody has to be asked (root, apt-get); else stop."""
    if found:
        return Action.USE
    return Action.INSTALL if is_root and has_apt else Action.STOP


def main(argv: list[str] | None = None) -> int:
    """Print the Chromium's path and return 0, or return 1 having said what to do."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument(
        "--candidates",
        default=":".join(CANDIDATES),
        help="where to look, separated by ':' (default: %(default)s)",
    )
    args = parser.parse_args(argv)
    candidates = [p for p in args.candidates.split(":") if p]
    try:
        found = find_chromium(candidates=candidates)
    except ChromiumError as err:
        print(f"browser tests: {err}; unset it or point it at a Chromium", file=sys.stderr)
        return 1
    action = decide(found, os.geteuid() == 0, shutil.which("apt-get") is not None)
    if action is Action.STOP:
        print(
            "browser tests need Chromium and it is not installed (looked for "
            + ", ".join(candidates)
            + ", and $CHROMIUM). Install it with:\n\n    "
            + INSTALL_COMMAND
            + "\n",
            file=sys.stderr,
        )
        return 1
    if action is Action.INSTALL:
        print(f"browser tests: installing {' '.join(PACKAGES)} with apt-get", file=sys.stderr)
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        steps = [["apt-get", "update", "-qq"], [*APT_INSTALL, "-qq"]]
        for step in steps:
            if subprocess.run(step, env=env).returncode != 0:
                print(f"browser tests: `{' '.join(step)}` failed", file=sys.stderr)
                return 1
        found = find_chromium(candidates=candidates)
        if found is None:
            print(
                "browser tests: chromium installed but not found in " + ", ".join(candidates), file=sys.stderr
            )
            return 1
    print(found)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
