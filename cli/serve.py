"""``plenary serve``: a hub process's arguments, its settings, and uvicorn run with the hub's
production configuration (``demo`` and the fan-out benchmark serve the same way)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import logging
import os
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from types import FrameType

from cli.links import announce_base_url
from cli.redis_args import add_redis_args
from engine.background import waiting_tasks
from realtime.config import Settings
from realtime.ops import gcpause


def add_serve_args(p: argparse.ArgumentParser) -> None:
    add_redis_args(p)
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (127.0.0.1)")
    p.add_argument("--port", default=8000, type=int, help="port to listen on (8000)")
    p.add_argument("--public-url", default="", help="base URL of personal links (default http://HOST:PORT)")
    p.add_argument(
        "--allow-origin",
        action="append",
        default=[],
        help="an extra Origin allowed to open WebSockets (repeatable)",
    )
    p.add_argument("--log-level", default="info")
    v = p.add_argument_group("live voice (issue 16, docs/voice.md)")
    v.add_argument(
        "--ice-server",
        action="append",
        default=None,
        help="a STUN or TURN URL (stun:host:3478, turn:host:3478?transport=udp), repeatable; without it "
        "$PLENARY_ICE_SERVERS (comma-separated), else none (loopback and one LAN need none). TURN "
        "credentials come from $PLENARY_TURN_USERNAME and $PLENARY_TURN_CREDENTIAL, never from a flag",
    )
    v.add_argument(
        "--turn-secret-file",
        default=None,
        help="a file holding coturn's static-auth-secret (use-auth-secret): each page that may use voice "
        "then gets its own TURN credential, expiring after --turn-ttl (docs/operations.md); else "
        "$PLENARY_TURN_SECRET. Never the secret itself on a command line (it would show in ps)",
    )
    v.add_argument(
        "--turn-ttl",
        type=int,
        default=Settings.turn_ttl,
        help=f"seconds a page's TURN credential lasts ({Settings.turn_ttl})",
    )
    v.add_argument(
        "--voice-record",
        action="store_true",
        help="also write each speech to an owner-only Ogg file under DATA_DIR/records/<meeting>/voice/",
    )
    v.add_argument("--no-voice", action="store_true", help="voice commands answer voice_unavailable")
    v.add_argument(
        "--voice-max-listeners",
        type=int,
        default=Settings.voice_max_listeners,
        help=f"consoles one speaker is relayed to ({Settings.voice_max_listeners})",
    )
    v.add_argument(
        "--voice-encode-per-listener",
        action="store_true",
        help="encode the speaker's Opus once per listener, as aiortc does by default (benchmarks' "
        "before; the default encodes once for all listeners)",
    )
    t = p.add_argument_group("limits (defaults suit production; tests shorten them)")
    t.add_argument("--hello-timeout", type=float, default=10.0, help="seconds to authenticate (10)")
    t.add_argument(
        "--stall-timeout", type=float, default=15.0, help="seconds a client may stay past the write cap (15)"
    )
    t.add_argument(
        "--redis-cut-close",
        type=float,
        default=Settings.redis_cut_close,
        help="seconds this hub's path to Redis may be cut before it closes its WebSockets with 1012 "
        f"so that they move to a hub with Redis; 0: never ({Settings.redis_cut_close:g})",
    )
    t.add_argument(
        "--write-cap",
        type=int,
        default=256 * 1024,
        help="unsent bytes past which broadcast frames drop (256 KiB)",
    )
    t.add_argument(
        "--send-buffer",
        type=int,
        default=Settings.send_buffer,
        help=f"SO_SNDBUF of each client socket, bytes; 0: the kernel's autotuning ({Settings.send_buffer // 1024} KiB)",
    )
    t.add_argument(
        "--cast-pace",
        type=float,
        default=Settings.cast_pace,
        help="seconds between two batches of casts that are not full; 0: each batch as soon as the "
        f"previous returned ({Settings.cast_pace:g})",
    )
    t.add_argument(
        "--hold-listeners",
        type=_listeners,
        default=Settings.hold_listeners,
        help="listeners on this hub that hold a chat or Q&A channel's events one 25 ms tick more, up to "
        f"four; 0: every channel at the next tick ({Settings.hold_listeners})",
    )
    t.add_argument("--rate", type=float, default=20.0, help="commands per second per connection (20)")
    t.add_argument("--ping-interval", type=float, default=20.0, help="WebSocket ping interval, s (20)")
    t.add_argument(
        "--stop-timeout",
        type=float,
        default=STOP_TIMEOUT,
        help=f"seconds from SIGTERM to exit, whatever the hub waits for ({STOP_TIMEOUT:g})",
    )


def _listeners(value: str) -> int:
    """``--hold-listeners``: a count of listeners, 0 or more (0: no hold)."""
    try:
        n = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {value!r}") from None
    if n < 0:
        raise argparse.ArgumentTypeError(f"must be 0 (no hold) or more, not {n}")
    return n


def settings_from(args: argparse.Namespace) -> Settings:
    return Settings(
        redis_url=args.redis_url,
        data_dir=Path(args.data_dir),
        host=args.host,
        port=args.port,
        public_url=args.public_url,
        allowed_origins=tuple(args.allow_origin),
        hello_timeout=args.hello_timeout,
        stall_timeout=args.stall_timeout,
        redis_cut_close=args.redis_cut_close,
        write_cap=args.write_cap,
        send_buffer=args.send_buffer,
        cast_pace=args.cast_pace,
        hold_listeners=args.hold_listeners,
        rate=args.rate,
        burst=args.rate * 2,
        ping_interval=args.ping_interval,
        ping_timeout=args.ping_interval,
        voice=not args.no_voice,
        ice_servers=tuple(
            args.ice_server or [u for u in os.environ.get("PLENARY_ICE_SERVERS", "").split(",") if u]
        ),
        ice_username=os.environ.get("PLENARY_TURN_USERNAME", ""),
        ice_credential=os.environ.get("PLENARY_TURN_CREDENTIAL", ""),
        turn_secret=_turn_secret(args.turn_secret_file),
        turn_ttl=args.turn_ttl,
        voice_record=args.voice_record,
        voice_max_listeners=args.voice_max_listeners,
        voice_encode_once=not args.voice_encode_per_listener,
    )


def _turn_secret(path: str | None) -> str:
    """coturn's shared secret: the file's first line, else ``$PLENARY_TURN_SECRET``, else none."""
    if path:
        lines = Path(path).read_text().splitlines()
        return lines[0].strip() if lines else ""
    return os.environ.get("PLENARY_TURN_SECRET", "").strip()


# A hub listening on every address without --public-url knows no address people could open:
# it announces nothing, and `plenary links` then asks for --base-url instead of printing http://0.0.0.0.
WILDCARD_HOSTS = frozenset({"0.0.0.0", "::", ""})


GC_YOUNG = 50_000
"""Allocations the collector lets pass before it scans the youngest generation (CPython: 700)."""


def tune_gc() -> None:
    """Keep the cyclic garbage collector off the hub's hot paths.

    Why: with 3,000 connections a hub holds millions of long-lived objects, and CPython's default
    (a young collection every 700 allocations) promotes whatever is in flight at that instant
    (the futures, records and frames of 3,000 pending casts) until a full collection walks
    everything: measured on a cast round, full collections of 0.2-0.9 s and young ones every few
    milliseconds (docs/performance.md, "Issue 11: the cast path"). So: what exists once the app is
    built (modules, tables, the app itself) is frozen out of every collection, and the youngest
    generation is scanned every ``GC_YOUNG`` allocations; what dies by reference counting, nearly
    everything a command allocates, is never scanned at all. Cycles are still collected. Every
    collection from then on is timed (``realtime.ops.gcpause``: ``/metrics``, and a warning from 50 ms)."""
    gc.collect()
    gc.freeze()
    _young, middle, old = gc.get_threshold()
    gc.set_threshold(GC_YOUNG, middle, old)
    gcpause.watch()


GRACEFUL_TIMEOUT = 5
"""Seconds uvicorn gives open connections to close after SIGTERM (it sends each WebSocket a close
1012) before it cancels their tasks and runs the app's shutdown."""

STOP_TIMEOUT = 12.0
"""Seconds from SIGTERM (or Ctrl-C) to the process' exit, whatever it waits for.

Why: after ``GRACEFUL_TIMEOUT`` the app's shutdown (``Hub.stop``) leaves Redis tidy, and a Redis
that hangs (stopped, overloaded, cut off) makes that clean-up wait for the command client's 10 s
socket timeout: measured 10.3 s from SIGTERM to exit with Redis stopped, and a hub that misses its
orchestrator's grace period (docker-compose.yml: 15 s) is killed anyway, mid-write. Past this
deadline the process says so in its log and exits with status 1: a stop always ends, in a time
known in advance, below the orchestrator's. What the clean-up leaves in Redis (the hub's
heartbeat, its connection slots) expires by itself."""

log = logging.getLogger("plenary.cli")


def arm_stop_deadline(seconds: float, loop: asyncio.AbstractEventLoop | None = None) -> threading.Timer:
    """Exit the process ``seconds`` from now unless it has exited by then (a daemon thread: it
    never keeps the process alive, and runs even while the event loop is stuck). With ``loop``,
    the log names what the stop was still waiting on: every task's stack, so that a stop that
    hangs says where."""

    def give_up() -> None:
        log.error(
            "stop took longer than %g s: exiting now",
            seconds,
            extra={"step": "stop", "waiting": waiting_tasks(loop) if loop is not None else ""},
        )
        for handler in logging.getLogger().handlers:
            handler.flush()
        os._exit(1)

    timer = threading.Timer(seconds, give_up)
    timer.daemon = True
    timer.start()
    return timer


def serve(
    settings: Settings, before: Callable[[], None] | None = None, stop_timeout: float = STOP_TIMEOUT
) -> None:
    import uvicorn

    class Server(uvicorn.Server):
        """uvicorn's server, whose first stop signal also arms the stop deadline."""

        def handle_exit(self, sig: int, frame: FrameType | None) -> None:
            if not self.should_exit:
                loop: asyncio.AbstractEventLoop | None = None
                with contextlib.suppress(RuntimeError):  # the loop, to name what a hung stop awaits
                    loop = asyncio.get_running_loop()
                arm_stop_deadline(stop_timeout, loop)
                close_streams()
            super().handle_exit(sig, frame)

    from realtime.app import create_app

    def close_streams() -> None:
        """The HTTP fallback's streams get 1012 now, as uvicorn gives its WebSockets
        (``realtime.fallback.close_all``); from the loop, not inside the signal handler."""
        from realtime import fallback
        from realtime.protocol.closecodes import CloseCode

        with contextlib.suppress(RuntimeError):  # no loop running: nothing is open
            asyncio.get_running_loop().call_soon_threadsafe(
                fallback.close_all, CloseCode.SERVICE_RESTART, "the hub is restarting: reconnect"
            )

    app = create_app(settings)
    config = uvicorn.Config(
        app,
        host=settings.host,
        port=settings.port,
        ws="realtime.transport.wsproto:HubWebSocketProtocol",
        ws_max_size=settings.max_frame,
        ws_per_message_deflate=False,
        ws_ping_interval=settings.ping_interval,
        ws_ping_timeout=settings.ping_timeout,
        loop="uvloop" if sys.platform != "win32" else "asyncio",
        lifespan="on",
        log_config=None,
        access_log=False,
        timeout_graceful_shutdown=GRACEFUL_TIMEOUT,
    )
    server = Server(config)
    if settings.public_url or settings.host not in WILDCARD_HOSTS:
        if settings.redis_url:
            announce_base_url(settings.redis_url, settings.base_url)
        else:
            from engine.server import ensure_server

            # started here so that the base URL can be recorded; the hub joins it and, last out, stops it
            announce_base_url(ensure_server(settings.data_dir).url, settings.base_url)
    if before:
        before()
    tune_gc()
    # uvicorn re-raises SIGTERM/SIGINT after its shutdown: clean-up belongs in the app's lifespan
    # (Hub.stop), not after this call.
    server.run()
