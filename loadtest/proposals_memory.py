"""Redis' memory for the hour's proposals, and the store's cost per step, without a hub (issue 14).

    python -m loadtest.proposals_memory                  # 500 proposals, 20,000 supports, 10 meetings
    python -m loadtest.proposals_memory --supports 40000 --concurrency 64

The ``proposals`` scenario measures the hub; on a loaded machine its hour may not get all its
commands through, so the memory of the whole hour is measured here, at the store level: a fresh
embedded Redis (AOF, ``appendfsync always``, as the hub's), the meetings with every section
open, then through ``proposals.store.ProposalStore`` (the same Lua scripts the commands run) the
hour's steps in the scenario's proportions and text sizes (``loadtest.proposal_crowd``):
``--proposals`` submissions spread over ``--meetings``, ``--supports`` supports (weight
``1/sqrt(id)``, never twice by one panelist), 5% withdrawals, comments and co-author joins, with
``--concurrency`` steps in flight. It prints Redis' ``used_memory`` before and after, the bytes of
every key of the proposals channels (``MEMORY USAGE``), the steps per second of each kind, and
checks that every proposal's count equals its supporters set and the steps' own tally.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import random
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any

from proposals.model import SECTIONS


async def fill(redis_url: str, args: argparse.Namespace) -> dict[str, float]:
    from engine import keys
    from engine.channels import ChannelLog
    from engine.connection import command_client
    from engine.errors import Code, HubError
    from engine.roles import Role
    from proposals.model import Person
    from proposals.store import ProposalStore

    redis = command_client(redis_url, max_connections=args.concurrency + 4, name="proposals-memory")
    rng = random.Random(1)
    out: dict[str, float] = {}
    try:
        store = ProposalStore(ChannelLog(redis))
        meetings = [f"topic-{k}" for k in range(args.meetings)]
        for m in meetings:
            await store.set_sections(m, Role.HOST, list(SECTIONS))
        info = await redis.info("memory")
        out["before_mib"] = int(info["used_memory"]) / 2**20
        per = args.panelists // args.meetings
        sem = asyncio.Semaphore(args.concurrency)

        async def timed(
            name: str, steps: Sequence[tuple[Any, ...]], step: Callable[..., Awaitable[None]]
        ) -> None:
            async def one(*a: Any) -> None:
                async with sem:
                    for _ in range(50):  # `conflict` is retryable: a client tries again, so does this
                        try:
                            await step(*a)
                            return
                        except HubError as err:
                            if err.code is not Code.CONFLICT:
                                raise
                            out[f"{name}_conflicts"] = out.get(f"{name}_conflicts", 0) + 1
                    raise RuntimeError(f"{name}: 50 conflicts in a row")

            t0 = time.perf_counter()
            await asyncio.gather(*(one(*s) for s in steps))
            out[f"{name}_per_s"] = len(steps) / (time.perf_counter() - t0)

        sections = list(SECTIONS)
        subs = [(meetings[k % args.meetings], f"p{k:05d}", str(k)) for k in range(args.proposals)]

        async def submit(m: str, who: str, k: str) -> None:
            await store.submit(
                m, Person(who, who), Role.PANELIST, sections[int(k) % len(sections)],
                f"{m} 제안 {k}: 동네 {int(k) % 97}번 버스 노선 개선",
                "출퇴근 시간에 버스 배차 간격이 길어 시민들이 오래 기다립니다. " * 4,
                "시는 출퇴근 시간 배차 간격을 10분 이내로 줄이고 정류장 안내를 늘려야 합니다. " * 4,
            )  # fmt: skip

        await timed("submit", subs, submit)
        n_of = Counter(m for m, _, _ in subs)
        pairs: set[tuple[str, str, int]] = set()
        while len(pairs) < args.supports:
            m = meetings[rng.randrange(args.meetings)]
            who = f"p{rng.randrange(per):05d}-{m}"
            ids = list(range(1, n_of[m] + 1))
            pairs.add((m, who, rng.choices(ids, weights=[1 / math.sqrt(i) for i in ids])[0]))
        supports = sorted(pairs)
        rng.shuffle(supports)

        async def support(m: str, who: str, pid: int) -> None:
            await store.support(m, pid, who, Role.PANELIST, True)

        await timed("support", supports, support)
        withdrawn = supports[: round(args.supports * 0.05)]

        async def unsupport(m: str, who: str, pid: int) -> None:
            await store.support(m, pid, who, Role.PANELIST, False)

        await timed("unsupport", withdrawn, unsupport)

        async def comment(m: str, who: str, pid: int) -> None:
            await store.comment(
                m, pid, Person(who, who), Role.PANELIST, f"좋은 제안입니다. 우리 동네에도 필요합니다 ({who})."
            )

        await timed("comment", supports[: args.comments], comment)

        async def join(m: str, who: str, pid: int) -> None:
            await store.join(m, pid, Person(who, who), Role.PANELIST)

        joins = list({(m, pid): (m, who, pid) for m, who, pid in supports}.values())[: args.joins]
        await timed("join", joins, join)
        info = await redis.info("memory")
        out["after_mib"] = int(info["used_memory"]) / 2**20
        total = n_keys = 0
        for m in meetings:
            async for key in redis.scan_iter(
                match=keys.channel_prefix(keys.meeting_proposals(m)) + "*", count=1000
            ):
                total += int(await redis.memory_usage(key, samples=0) or 0)
                n_keys += 1
        out["keys"], out["keys_mib"] = n_keys, total / 2**20
        want = Counter((m, pid) for m, _, pid in supports) - Counter((m, pid) for m, _, pid in withdrawn)
        wrong = 0
        for m in meetings:
            for p in (await store.page(m)).proposals:
                scard = len(await store.supporters(m, p.id))
                wrong += p.supports != scard or p.supports != want.get((m, p.id), 0)
        out["wrong"] = wrong
        out["supports_standing"] = sum(want.values())
        return out
    finally:
        await redis.aclose()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        prog="python -m loadtest.proposals_memory", description=__doc__.split("\n")[0]
    )
    ap.add_argument("--meetings", type=int, default=10)
    ap.add_argument("--panelists", type=int, default=3000)
    ap.add_argument("--proposals", type=int, default=500)
    ap.add_argument("--supports", type=int, default=20_000)
    ap.add_argument("--comments", type=int, default=2000)
    ap.add_argument("--joins", type=int, default=150)
    ap.add_argument("--concurrency", type=int, default=32, help="steps in flight (32)")
    args = ap.parse_args(argv)
    from loadtest.bench_cast import embedded_redis

    with (
        tempfile.TemporaryDirectory(prefix="pmem-", dir="/tmp") as d,
        embedded_redis(Path(d) / "redis", None) as server,
    ):
        out = asyncio.run(fill(server.url, args))
    print(
        f"{args.proposals} proposals in {args.meetings} meetings, {out['supports_standing']:,.0f} supports standing"
        f" ({args.supports:,} given, 5% withdrawn), {args.comments:,} comments, {args.joins} joins:"
        f" used_memory {out['before_mib']:.1f} -> {out['after_mib']:.1f} MiB; the proposals channels'"
        f" {out['keys']:,.0f} keys {out['keys_mib']:.2f} MiB (MEMORY USAGE). Steps per second"
        f" ({args.concurrency} in flight, appendfsync always): "
        + ", ".join(f"{k.removesuffix('_per_s')} {v:,.0f}" for k, v in out.items() if k.endswith("_per_s"))
        + ". Conflicts retried: "
        + (
            ", ".join(
                f"{k.removesuffix('_conflicts')} {v:,.0f}" for k, v in out.items() if k.endswith("_conflicts")
            )
            or "none"
        )
        + f". Proposals whose count differs from its set or the tally: {out['wrong']:.0f}."
    )
    return 0 if out["wrong"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
