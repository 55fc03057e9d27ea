"""Locust users for the plenary hub: panelists speaking protocol v1 over ``plenary.v1.msgpack``.

Each ``Panelist`` takes a seat (a row of the tokens CSV), opens ``/ws`` with ``websocket-client``
(gevent-friendly: Locust monkey-patches with gevent, so no asyncio client here), says ``hello``,
follows its meeting's chat and the vote's channel (``subscribe``), reads the vote's rule
(``vote.get``) and then, every 1-3 s, casts a ballot (a new nonce each time: a revote, the latest
one counts) or, for ``--chat-share`` of its actions, posts a chat message.

The hub's limits on one panelist stay on (issue 9), and the users follow them as a person would:
a seat recasts only when its ``cast`` bucket has a token (5 at once, then one per 5 s) and never
past the 20 online ballots a vote takes from one voter; a user whose seat may not cast yet lets
that turn pass (no command). ``SeatPace`` keeps that count per seat, shared by every user on the
seat in this process (seats are reused when there are more users than seats). A cast the hub
refuses anyway (seats shared across worker processes, a seat used just before the run) is
reported under its own name, ``vote.cast refused: rate_limited`` or ``... too_many_ballots``, as a
failure that is not a ``vote.cast``: the ``vote.cast`` row counts ballots and their latency only. Every command is one
Locust request of type ``WS`` named after the command (``vote.cast``, ``chat.send``, ``hello``,
``subscribe``, ``vote.get``), timed from just before the frame is sent to the reply; an ``error``
reply, a timeout or a closed connection is a failure. A reader greenlet per user takes every frame
(events of followed channels are counted, never left unread: a reader that stops would be a slow
client to the hub).

Seed a plenary (roster of panelists, meeting ``plenary``, vote ``plenary`` open) and its tokens,
start a hub on the same data, run a bounded headless test, then count what was stored (hub and
Locust pinned to different cores: DESIGN.md, "Load generators"):

    python -m loadtest.voters seed --n 3000 --data-dir var --out var/loadtest/tokens.csv
    taskset -c 0 plenary serve --data-dir var --port 8000 --log-level warning &
    taskset -c 1 locust -f loadtest/locustfile.py --headless -u 500 -r 100 -t 30s --stop-timeout 10 \\
        --host http://127.0.0.1:8000 --tokens var/loadtest/tokens.csv \\
        --csv var/loadtest/run --json-file var/loadtest/run
    python -m loadtest.voters count --data-dir var --vote plenary
    kill %1

Counting is exact: every ballot the hub stored during the run is one ``vote.cast`` request (a user
stopped in the middle of a command waits up to 2 s for its reply and reports it before it exits;
``--stop-timeout`` lets users finish their command anyway). Read the final counts from
``run.json`` (``--json-file``; Locust adds ``.json``): ``run_stats.csv`` is rewritten once a
second, so its last second may be missing. Options of this file (also environment variables):
``--tokens`` (``PLENARY_TOKENS``, default ``var/loadtest/tokens.csv``), ``--chat-share``
(``PLENARY_CHAT_SHARE``, default 0.05; 0: no chat; the hub allows 5 chat messages per 10 s per
panelist). With more users than seats, seats are reused (one panelist on several connections);
each worker of a distributed run (``--processes N``) starts at a random seat. Chat fans out to
every follower, so a high ``--chat-share`` with many users measures the generator's reading more
than the hub (a Python WebSocket client spends about 4 times the hub's CPU per received frame).
"""

from __future__ import annotations

import contextlib
import csv
import itertools
import os
import random
import time
import uuid
from typing import Any

import gevent
import msgpack
import websocket
from gevent.event import AsyncResult
from locust import User, between, events, task
from locust.exception import StopUser

MSGPACK = "plenary.v1.msgpack"
# The hub's rules for one panelist's casts, mirrored here (this file never imports the hub's code):
# realtime.roles.RATE_CLASSES["cast"] and ballot.rules.MAX_ONLINE_BALLOTS. The smoke test
# (tests/integration/test_loadtest_smoke.py) holds them equal to the hub's.
CAST_RATE = 0.2  # tokens per second
CAST_BURST = 5
MAX_ONLINE_BALLOTS = 20
PACE_MARGIN = 0.9  # refill counted 10 % slower than the hub: its clock starts when the cast arrives
LIMIT_REFUSALS = ("rate_limited", "too_many_ballots")
REPLY_TIMEOUT = 30.0
KILL_GRACE = 2.0

_seats: list[dict[str, str]] = []
_next_seat: Any = None


@events.init_command_line_parser.add_listener
def _options(parser: Any) -> None:
    parser.add_argument(
        "--tokens",
        default="var/loadtest/tokens.csv",
        env_var="PLENARY_TOKENS",
        help="CSV of seats from `python -m loadtest.voters seed`",
    )
    parser.add_argument(
        "--chat-share",
        type=float,
        default=0.05,
        env_var="PLENARY_CHAT_SHARE",
        help="share of a panelist's actions that are chat messages (0: none)",
    )


@events.init.add_listener
def _load_seats(environment: Any, **_: Any) -> None:
    global _next_seat
    opts = environment.parsed_options
    path = opts.tokens if opts is not None else os.environ.get("PLENARY_TOKENS", "var/loadtest/tokens.csv")
    if not os.path.exists(path):  # the master of a distributed run has no users: nothing to read
        return
    with open(path, newline="", encoding="utf-8") as fh:
        _seats[:] = [row for row in csv.DictReader(fh) if row["role"] == "panelist"]
    if _seats:
        # Workers of a distributed run (--processes, --worker) each start at a different seat.
        worker = type(environment.runner).__name__ == "WorkerRunner"
        start = random.randrange(len(_seats)) if worker else 0
        _next_seat = itertools.islice(itertools.cycle(_seats), start, None)


class CommandFailed(Exception):
    """The hub answered a command with an ``error`` (``name``, ``retry_after_ms`` as sent)."""

    def __init__(self, message: str, name: str = "", retry_after_ms: int = 0) -> None:
        super().__init__(message)
        self.name = name
        self.retry_after_ms = retry_after_ms


class SeatPace:
    """One seat's casts as the hub counts them: a mirror of its ``cast`` token bucket, and its
    ballots in this vote. Shared by every user on the seat in this process."""

    def __init__(self) -> None:
        self.tokens = float(CAST_BURST)
        self.at = time.monotonic()
        self.casts = 0

    def may_cast(self) -> bool:
        now = time.monotonic()
        self.tokens = min(CAST_BURST, self.tokens + (now - self.at) * CAST_RATE * PACE_MARGIN)
        self.at = now
        return self.tokens >= 1 and self.casts < MAX_ONLINE_BALLOTS

    def took(self) -> None:
        self.tokens -= 1
        self.casts += 1

    def refused(self, exc: CommandFailed) -> None:
        """The hub said no: believe it (a token comes back after ``retry_after_ms``; no more
        ballots after ``too_many_ballots``)."""
        if exc.name == "too_many_ballots":
            self.casts = MAX_ONLINE_BALLOTS
        else:
            self.tokens = min(self.tokens, 1 - exc.retry_after_ms / 1000 * CAST_RATE)


_paces: dict[str, SeatPace] = {}


class HubConnection:
    """One WebSocket to the hub: commands get their reply by id, events are counted."""

    def __init__(self, url: str) -> None:
        self.ws = websocket.create_connection(
            url,
            subprotocols=[MSGPACK],
            suppress_origin=True,  # a bot sends no Origin; its token admits it
            timeout=REPLY_TIMEOUT,
            enable_multithread=True,  # sends (user greenlet) and receives (reader) overlap
        )
        self.ids = itertools.count(1)
        self.pending: dict[int, AsyncResult] = {}
        self.events = 0
        self.closed = False
        self.kill: BaseException | None = None
        self.reader = gevent.spawn(self._read)

    def _read(self) -> None:
        try:
            while True:
                data = self.ws.recv()  # answers the hub's pings by itself
                if not data:
                    break
                msg = msgpack.unpackb(data)
                if msg.get("type") in ("reply", "error"):
                    waiter = self.pending.pop(msg.get("id"), None)
                    if waiter is not None:
                        waiter.set((msg, len(data)))
                else:
                    self.events += 1
        except (websocket.WebSocketException, OSError):
            pass
        finally:
            self.closed = True
            for waiter in self.pending.values():
                waiter.set_exception(ConnectionError("connection closed"))
            self.pending.clear()

    def call(self, kind: str, **fields: Any) -> tuple[dict[str, Any], int]:
        if self.closed:
            raise ConnectionError("connection closed")
        cid = next(self.ids)
        waiter = AsyncResult()
        self.pending[cid] = waiter
        self.ws.send(msgpack.packb({"type": kind, "id": cid, **fields}), opcode=websocket.ABNF.OPCODE_BINARY)
        try:
            msg, size = waiter.get(timeout=REPLY_TIMEOUT)
        except gevent.Timeout as exc:
            self.pending.pop(cid, None)
            raise TimeoutError(f"no reply to {kind} in {REPLY_TIMEOUT:g} s") from exc
        except gevent.GreenletExit as kill:
            # Locust killed the user with the command already sent (a stop without enough
            # --stop-timeout): wait briefly for the reply on its way, so that a ballot the hub
            # stored is still reported; the caller re-raises the kill once it has reported.
            self.kill = kill
            try:
                msg, size = waiter.get(timeout=KILL_GRACE)
            except BaseException as exc:
                raise ConnectionError(f"stopped before the reply to {kind}") from exc
        if msg["type"] == "error":
            raise CommandFailed(
                f"{msg.get('name')}: {msg.get('message')}",
                str(msg.get("name") or ""),
                int(msg.get("retry_after_ms") or 0),
            )
        return msg["result"], size

    def close(self) -> None:
        self.closed = True
        with contextlib.suppress(websocket.WebSocketException, OSError):
            self.ws.close(timeout=2)
        self.reader.kill(block=False)


def ws_url(host: str) -> str:
    base = host.rstrip("/")
    for http, ws in (("https://", "wss://"), ("http://", "ws://")):
        if base.startswith(http):
            base = ws + base[len(http) :]
    return base + "/ws"


class Panelist(User):
    """A panelist's phone in the plenary: follows chat and vote, casts (and recasts) a ranking."""

    wait_time = between(1, 3)

    def on_start(self) -> None:
        if _next_seat is None:
            raise RuntimeError("no seats: run `python -m loadtest.voters seed` and pass --tokens")
        seat = next(_next_seat)
        self.participant, self.vote, self.meeting = seat["participant_id"], seat["vote"], seat["meeting"]
        self.chat_share = float(getattr(self.environment.parsed_options, "chat_share", 0.05) or 0.0)
        self.conn: HubConnection | None = None
        self.casts = 0
        self.pace = _paces.setdefault(self.participant, SeatPace())
        try:
            self.conn = self._timed("connect", lambda: (HubConnection(ws_url(self.host or "")), 0))
            conn = self.conn
            welcome = self._timed("hello", lambda: conn.call("hello", token=seat["token"], client="locust"))
            meetings = {m["id"]: m for m in welcome["meetings"]}
            if self.meeting in meetings:
                self._timed(
                    "subscribe", lambda: conn.call("subscribe", channel=f"meeting/{self.meeting}/chat")
                )
            else:
                self.meeting = ""
            sub = self._timed("subscribe", lambda: conn.call("subscribe", channel=f"vote/{self.vote}"))
            got = self._timed("vote.get", lambda: conn.call("vote.get", vote=self.vote))
        except Exception as exc:
            if self.conn is not None:
                self.conn.close()
            raise StopUser() from exc
        snapshot = sub.get("snapshot") or {}
        defn = got["definition"]
        self.proposals = [p["id"] for p in defn["proposals"]]
        rule = defn["rule"]
        longest = len(self.proposals) if rule["kind"] == "rank_all" else int(rule["k"])
        shortest = int(rule["minimum"]) if rule.get("minimum") is not None else longest
        self.bounds = (shortest, longest)
        if snapshot.get("status") != "open":
            self._fail(
                "vote.cast", CommandFailed(f"vote {self.vote!r} is {snapshot.get('status')}, not open")
            )
            raise StopUser()

    def on_stop(self) -> None:
        if self.conn is not None:
            self.conn.close()

    def _timed(self, name: str, fn: Any) -> Any:
        """Run one command and report it to Locust (request type WS); re-raise its failure."""
        # Locust kills a waiting user asynchronously: a user that woke up just as it was being
        # stopped would send a command and die before its reply. Yielding once first lets such a
        # pending kill land before anything is sent (then nothing is sent, nothing is lost).
        gevent.sleep(0)
        start = time.perf_counter()
        try:
            result, size = fn()
        except Exception as exc:
            # The hub's limit answering: a row of its own, so vote.cast stays ballots only.
            if isinstance(exc, CommandFailed) and exc.name in LIMIT_REFUSALS:
                name = f"{name} refused: {exc.name}"
            self._report(name, start, 0, exc)
            raise
        self._report(name, start, size, None)
        return result

    def _report(self, name: str, start: float, size: int, exc: Exception | None) -> None:
        self.environment.events.request.fire(
            request_type="WS",
            name=name,
            response_time=(time.perf_counter() - start) * 1000,
            response_length=size,
            exception=exc,
            context={"participant": self.participant},
        )
        kill = self.conn.kill if self.conn is not None else None
        if kill is not None:  # killed while waiting for this reply: reported, now die
            raise kill

    def _fail(self, name: str, exc: Exception) -> None:
        self.environment.events.request.fire(
            request_type="WS", name=name, response_time=0, response_length=0, exception=exc, context={}
        )

    @task
    def act(self) -> None:
        conn = self.conn
        if conn is None or conn.closed:
            self._fail("vote.cast", ConnectionError("connection closed"))
            raise StopUser()
        try:
            if self.meeting and random.random() < self.chat_share:
                text = f"{self.participant}: 제안에 대한 의견 {random.randrange(1000)}"
                self._timed("chat.send", lambda: conn.call("chat.send", meeting=self.meeting, text=text))
            elif self.pace.may_cast():
                ranking = random.sample(self.proposals, random.randint(*self.bounds))
                nonce = f"{self.participant}-{uuid.uuid4().hex[:16]}"
                self.pace.took()
                try:
                    self._timed(
                        "vote.cast",
                        lambda: conn.call("vote.cast", vote=self.vote, ranking=ranking, nonce=nonce),
                    )
                except CommandFailed as exc:
                    self.pace.refused(exc)
                    raise
                self.casts += 1
            # else: this seat may not cast yet (its cast limit) or any more (its ballots): a person
            # would wait too, so this turn passes without a command.
        except (CommandFailed, TimeoutError, ConnectionError, OSError, websocket.WebSocketException):
            pass  # reported as a failure by _timed; the next action tries again
