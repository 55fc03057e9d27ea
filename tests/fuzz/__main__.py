"""``python -m tests.fuzz [decoder|commands|all]``: the fuzz runs of ``make fuzz``, each bounded in
inputs and in seconds, a progress line now and then, exit status 1 if anything was found.

``commands`` starts its own embedded Redis (in a temporary folder) and one hub process on
127.0.0.1, and stops both in the end whatever happens; ``--pin`` puts the hub on core 0 and the
fuzzer on core 1 (as docs/performance.md pins its runs).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import subprocess
import sys
import tempfile

from engine.server import ensure_server
from tests.fuzz import commands, decoder
from tests.support import ROOT, HubProcess, redis_client

ARTIFACTS = ROOT / "var" / "fuzz"


async def _commands(inputs: int, seconds: float, seed: int, pin: bool) -> int:
    with tempfile.TemporaryDirectory(prefix="plenary-fuzz-") as data:
        server = ensure_server(data)
        hub: HubProcess | None = None
        try:
            # No per-connection rate limit: every frame reaches the hub's checks (the per-participant
            # buckets of realtime/roles.py still apply, and answer rate_limited).
            hub = HubProcess(server.url, "--rate", "1000000")
            if pin:
                with contextlib.suppress(OSError):
                    os.sched_setaffinity(hub.proc.pid, {0})
                    os.sched_setaffinity(0, {1})
            hub.wait_ready()
            redis = redis_client(server.url)
            try:
                report = await commands.fuzz(
                    redis, hub.ws_url, inputs, seconds, seed, every=5_000, out=lambda s: print(s, flush=True)
                )
            finally:
                await redis.aclose()
        finally:
            if hub is not None:
                hub.stop()
            server.stop()
        tracebacks = hub.output().count("Traceback") if hub is not None else 0
        print(
            f"commands: done, {report.inputs:,} inputs in {report.seconds:.1f} s ({report.rate:,.0f}/s, "
            f"seed {seed}), {len(report.findings)} findings, {tracebacks} tracebacks in the hub's log; "
            f"closes {dict(report.closes)}; ballots acknowledged {dict(report.acked_ballots)}, "
            f"chat messages {len(report.chat_offsets) + 1}; outcomes {dict(report.outcomes)}",
            flush=True,
        )
        if tracebacks and hub is not None:
            print(hub.output()[-4000:])
        return 1 if report.findings or tracebacks else 0


def _libfuzzer(inputs: int, seconds: float, seed: int) -> int:
    """libFuzzer exits the process it runs in: it gets one of its own (inheriting the pinning)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="plenary-fuzz-corpus-") as corpus:
        cmd = [
            sys.executable,
            "-m",
            "tests.fuzz.libfuzzer",
            str(inputs),
            str(seconds),
            str(seed),
            str(ARTIFACTS),
            corpus,
        ]
        try:
            done = subprocess.run(cmd, cwd=ROOT, timeout=seconds + 60, check=False)
        except subprocess.TimeoutExpired:  # run() has killed it
            print("decoder (libFuzzer): did not stop in time", flush=True)
            return 1
    print(f"decoder (libFuzzer): exit {done.returncode}; findings, if any, under {ARTIFACTS}", flush=True)
    return 1 if done.returncode else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.fuzz", description=__doc__.split("\n\n")[0])
    parser.add_argument("layer", choices=["decoder", "commands", "all"], nargs="?", default="all")
    parser.add_argument("--decoder-inputs", type=int, default=1_000_000)
    parser.add_argument("--decoder-seconds", type=float, default=600)
    parser.add_argument(
        "--libfuzzer-inputs",
        type=int,
        default=200_000,
        help="then as many through libFuzzer (atheris, tests/fuzz/libfuzzer.py); 0: skip",
    )
    parser.add_argument("--commands-inputs", type=int, default=50_000)
    parser.add_argument("--commands-seconds", type=float, default=180)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--pin", action="store_true", help="hub on core 0, fuzzer on core 1")
    args = parser.parse_args(argv)
    status = 0
    if args.layer in ("decoder", "all"):
        if args.pin:
            with contextlib.suppress(OSError):
                os.sched_setaffinity(0, {1})
        status |= decoder.main(args.decoder_inputs, args.decoder_seconds, args.seed)
        if args.libfuzzer_inputs:
            status |= _libfuzzer(args.libfuzzer_inputs, args.decoder_seconds, args.seed)
    if args.layer in ("commands", "all"):
        status |= asyncio.run(_commands(args.commands_inputs, args.commands_seconds, args.seed, args.pin))
    return status


if __name__ == "__main__":
    sys.exit(main())
