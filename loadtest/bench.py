"""``make bench``: every benchmark of the project, one after the other.

Run: ``python -m loadtest.bench [--only fanout] [--only tally] ...``

Order: the fan-out benchmark (``loadtest.bench_fanout``, which also rewrites its section of
docs/performance.md), then the tally and lottery benchmarks when their modules exist. A module that
is not written yet is skipped with a note; one benchmark failing does not stop the others, but
the exit code says so.
"""

from __future__ import annotations

import argparse
import importlib
import inspect
import sys
import time
import traceback

STEPS: list[tuple[str, str]] = [
    ("fanout", "loadtest.bench_fanout"),
    ("cast", "loadtest.bench_cast"),
    ("tally", "loadtest.bench_tally"),
    ("lottery", "loadtest.bench_lottery"),
]


def run_step(module_name: str) -> str:
    """Import lazily and run ``main``; returns "ok", "skipped: ..." or "failed: ..."."""
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name == module_name:
            return "skipped: module not written yet"
        raise
    main = getattr(module, "main", None)
    if main is None:
        return "skipped: no main()"
    saved = sys.argv
    sys.argv = [f"python -m {module_name}"]  # each benchmark runs with its own defaults
    try:
        code = main([]) if inspect.signature(main).parameters else main()
    except SystemExit as exc:
        code = exc.code
    except Exception:
        traceback.print_exc()
        return "failed: exception (above)"
    finally:
        sys.argv = saved
    return "ok" if code in (None, 0) else f"failed: exit code {code}"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m loadtest.bench", description=__doc__.split("\n")[0])
    ap.add_argument("--only", action="append", choices=[name for name, _ in STEPS], help="run only this one")
    args = ap.parse_args(argv)
    results: list[tuple[str, str, float]] = []
    for name, module_name in STEPS:
        if args.only and name not in args.only:
            continue
        print(f"\n== {name} ({module_name})", flush=True)
        t0 = time.monotonic()
        outcome = run_step(module_name)
        results.append((name, outcome, time.monotonic() - t0))
        if outcome.startswith("skipped"):
            print(f"   {outcome}", flush=True)
    print("\n== summary")
    for name, outcome, seconds in results:
        print(f"   {name:<8} {outcome} ({seconds:.0f} s)")
    return 1 if any(o.startswith("failed") for _, o, _ in results) else 0


if __name__ == "__main__":
    raise SystemExit(main())
