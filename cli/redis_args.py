"""Which Redis a command uses: ``--redis-url``, or the embedded one under ``--data-dir`` (joined if a
hub already runs it, started for the command and stopped after it otherwise)."""

from __future__ import annotations

import argparse
import contextlib
from pathlib import Path

from redis.asyncio import Redis

from engine.connection import redis_at


def add_redis_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--redis-url", help="a Redis server to use (default: the embedded one under --data-dir)")
    p.add_argument(
        "--data-dir", default="var", type=Path, help="where the embedded Redis keeps its data (var)"
    )


def redis_for(args: argparse.Namespace) -> contextlib.AbstractAsyncContextManager[Redis]:
    return redis_at(args.redis_url, args.data_dir)
