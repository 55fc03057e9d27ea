"""Run the real hub for the fan-out benchmark: ``cli.serve.serve`` with the production uvicorn
config (``realtime.transport.wsproto:HubWebSocketProtocol``, uvloop, no compression), on a Redis URL so the
hub never owns (or stops) the benchmark's embedded Redis.

Only two things differ from ``plenary serve``: the log level is ``warning`` (a log line per
connection is not the fan-out path), and the WebSocket keepalive ping is every ``--ping-interval``
seconds (default one hour): 2,000 pings and pongs every 20 s land in the CPU window at random and
are not part of the per-frame cost. ``--variant`` applies a prototype patch from
``loadtest.fanout_variants`` before the app is built, to measure a proposed change side by side.
"""

from __future__ import annotations

import argparse

from cli.serve import serve
from realtime.config import Settings
from realtime.ops import logs


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--redis-url", required=True)
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--ping-interval", type=float, default=3600.0)
    ap.add_argument("--log-level", default="warning")
    ap.add_argument("--variant", default="")
    args = ap.parse_args(argv)
    if args.variant:
        from loadtest import fanout_variants

        fanout_variants.apply(args.variant)
    logs.setup(args.log_level)
    settings = Settings(
        redis_url=args.redis_url,
        host="127.0.0.1",
        port=args.port,
        ping_interval=args.ping_interval,
        ping_timeout=args.ping_interval,
    )
    serve(settings)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
