"""The plenary's people as Locust users: ``Panelist``, ``Moderator`` and ``Host``.

Every command is one Locust request of type ``WS`` named after the command, timed from just before
its frame is sent to its reply; an ``error`` reply, a timeout or a closed connection is a failure.
A refusal by one of the hub's per-participant limits (which the users pace themselves to avoid,
``limits``) is reported under its own name, ``<command> refused: <error name>``, so that a command's
row counts what the hub did. Besides the commands: ``connect`` (the WebSocket opening),
``reconnect`` (a panelist dropping its socket and coming back: connect, ``hello``, a ``subscribe``
per channel with the position it had, checked by ``recovery.check_recovery``), and two rows of
failures only: ``recovery`` (a resubscription that brought neither exactly the missed events nor a
fresh start) and ``event order`` (an event duplicated or skipped on a followed channel).
"""

from __future__ import annotations

import itertools
import random
import time
import uuid
from collections import Counter
from typing import Any

import gevent
import websocket
from locust import User, between, task
from locust.exception import StopUser

from . import limits
from .hub import CommandFailed, HubConnection, ws_url
from .recovery import Position, RecoveryFailed, check_recovery

FAILURES = (
    CommandFailed,
    RecoveryFailed,
    TimeoutError,
    ConnectionError,
    OSError,
    websocket.WebSocketException,
)
VISIBLE = ("approved", "queued", "on_air")  # the Q&A states panelists see and may upvote
QUEUE_SHARE = 0.5  # moderators put half the questions they approve in the queue
AWAY = (0.5, 3.0)  # seconds a panelist's phone stays offline before it comes back (a tunnel, a lift)

seats: dict[str, list[dict[str, str]]] = {}
"""Role -> the CSV's rows of that role (``locustfile`` loads them at init)."""
recovery: Counter[str] = Counter()
"""How resubscriptions with a position ended in this process: ``exact`` or ``fresh``, and
``missed``, the events the exact ones brought."""
_next_seat: dict[str, Any] = {}


def load_seats(rows: list[dict[str, str]], start_at_random: bool) -> None:
    """Seat the users from the tokens CSV's rows; workers of a distributed run start each role at a
    random seat so that they spread over the panel."""
    for role in (limits.PANELIST, limits.MODERATOR, limits.HOST):
        seats[role] = [r for r in rows if r["role"] == role]
        start = random.randrange(len(seats[role])) if start_at_random and seats[role] else 0
        _next_seat[role] = itertools.islice(itertools.cycle(seats[role]), start, None)


class PlenaryUser(User):
    """One participant's client: a seat, one connection, the channels it follows."""

    abstract = True
    role = ""
    wait_time = between(1, 3)

    def channels(self) -> list[str]:
        """The channels this kind of user follows: each concrete user class (``abstract`` is False
        there) names its own; Locust never instantiates this base."""
        raise NotImplementedError

    def on_event(self, channel: str, event: dict[str, Any]) -> None:
        """A live event, or one of a subscribe reply's, in order (called from the reader)."""

    def on_snapshot(self, channel: str, snapshot: dict[str, Any]) -> None:
        """A stateful channel's state, from a fresh start of its subscription."""

    def on_start(self) -> None:
        if not seats.get(self.role):
            raise RuntimeError(
                f"no {self.role} seats: run `python -m loadtest.voters seed` and pass --tokens"
            )
        seat = next(_next_seat[self.role])
        self.participant, self.token = seat["participant_id"], seat["token"]
        self.meeting, self.vote = seat["meeting"], seat["vote"]
        self.limits = limits.seat_limits(self.participant)
        self.conn: HubConnection | None = None
        self.disorder = 0
        try:
            self._connect({})
            self.started()
        except FAILURES as exc:
            if self.conn is not None:
                self.conn.close()
            raise StopUser() from exc

    def started(self) -> None:
        """What the role does once connected (read the vote, set the agenda...)."""

    def on_stop(self) -> None:
        if self.conn is not None:
            self.conn.close()

    # -- the connection -------------------------------------------------------------------------

    def _connect(self, positions: dict[str, Position]) -> None:
        """Open a connection, say hello and follow every channel, from ``positions`` where known."""
        self.conn = self._timed(
            "connect", lambda: (HubConnection(ws_url(self.host or ""), self.on_event, self._subscribed), 0)
        )
        self.command("hello", token=self.token, client="locust")
        for channel in self.channels():
            self.subscribe(channel, positions.get(channel))

    def subscribe(self, channel: str, at: Position | None) -> None:
        sent = {"epoch": at.epoch, "offset": at.offset} if at is not None else {}
        result = self.command("subscribe", channel=channel, **sent)
        try:
            outcome = check_recovery(at, result)
        except RecoveryFailed as exc:
            self._fail("recovery", exc)  # its own row (a reconnect also fails by it), then the caller's
            raise
        if at is not None:
            recovery[outcome] += 1
            if outcome == "exact":
                recovery["missed"] += len(result.get("events") or ())

    def _subscribed(self, channel: str, result: dict[str, Any]) -> None:
        """A subscribe reply, applied by the reader before any later event (docs/protocol.md §7):
        the missed events, or a fresh start's snapshot (stateful) or backlog (chat)."""
        snapshot = result.get("snapshot")
        if snapshot is not None and not result.get("recovered"):
            self.on_snapshot(channel, snapshot)
        else:
            for event in result.get("events") or ():
                self.on_event(channel, event)

    def reconnect(self, away: float = 0.0) -> None:
        """Drop the socket, stay away ``away`` seconds, and come back as a phone does: hello, then
        each channel from where it stood (docs/protocol.md §7). One ``reconnect`` request (timed
        from the new connection), failed if any step or any recovery check failed."""
        old = self.conn
        positions = dict(old.positions) if old is not None else {}
        if old is not None:
            old.close()
        gevent.sleep(away)
        start = time.perf_counter()
        try:
            self._connect(positions)
        except FAILURES as exc:
            if self.conn is not None:
                self.conn.close()  # the next turn comes back again
            self._report("reconnect", start, 0, exc)
            return
        self._report("reconnect", start, 0, None)

    def resubscribe_gaps(self) -> None:
        """A ``gap`` stopped a channel: subscribe again from the last position (§5 ``gap``)."""
        conn = self.conn
        assert conn is not None
        for channel in list(conn.gaps):
            at = conn.positions.get(channel)
            self.subscribe(channel, Position(at.epoch, at.offset) if at else None)

    def check_order(self) -> None:
        """Report events the hub duplicated or skipped (it promises neither) as ``event order``."""
        conn = self.conn
        if conn is not None and conn.duplicates + conn.holes + conn.callback_errors > self.disorder:
            self.disorder = conn.duplicates + conn.holes + conn.callback_errors
            self._fail(
                "event order",
                RecoveryFailed(
                    f"{conn.duplicates} duplicated, {conn.holes} skipped events so far"
                    f" ({conn.callback_errors} the user could not read)"
                ),
            )

    # -- commands, timed and reported -----------------------------------------------------------

    def command(self, name: str, **fields: Any) -> dict[str, Any]:
        """Send one command on the connection and report it (re-raises its failure). The caller
        has checked ``self.limits.may(name)``: the command is counted against the seat here."""
        conn = self.conn
        if conn is None or conn.closed:
            raise ConnectionError("connection closed")
        self.limits.took(name)
        try:
            return self._timed(name, lambda: conn.call(name, **fields))
        except CommandFailed as exc:
            if exc.name in limits.LIMIT_REFUSALS:
                self.limits.refused(name, exc.name, exc.retry_after_ms)
            raise

    def _timed(self, name: str, fn: Any) -> Any:
        # Locust kills a waiting user asynchronously: a user that woke up just as it was being
        # stopped would send a command and die before its reply. Yielding once first lets such a
        # pending kill land before anything is sent (then nothing is sent, nothing is lost).
        gevent.sleep(0)
        start = time.perf_counter()
        try:
            result, size = fn()
        except Exception as exc:
            if isinstance(exc, CommandFailed) and exc.name in limits.LIMIT_REFUSALS:
                name = f"{name} refused: {exc.name}"  # a row of its own: the command's row is the hub's work
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

    def turn(self) -> None:
        """One turn of the role (one command at most)."""

    @task
    def act(self) -> None:
        """Locust's task: come back if the connection dropped, catch up after a gap, take a turn."""
        conn = self.conn
        if conn is None or conn.closed:
            self.reconnect()
            return
        try:
            if conn.gaps:
                self.resubscribe_gaps()
            self.turn()
        except FAILURES:
            pass  # reported as a failure by _timed; the next turn tries again
        self.check_order()


class Panelist(PlenaryUser):
    """A panelist's phone in the plenary: follows chat, Q&A, agenda and the vote; casts (and
    recasts) a ranking, chats, asks and upvotes questions, and now and then loses its connection
    and comes back with its offsets."""

    role = limits.PANELIST
    weight = 100
    shares: dict[str, float] = {"chat": 0.05, "ask": 0.005, "upvote": 0.1, "reconnect": 0.02}  # noqa: RUF012
    """Of a panelist's turns, the share of each action; the rest are casts (set from the options)."""

    def channels(self) -> list[str]:
        m = f"meeting/{self.meeting}"
        return [f"{m}/chat", f"{m}/qa", f"{m}/agenda", f"vote/{self.vote}"]

    def on_start(self) -> None:
        self.questions: set[int] = set()  # the questions panelists see now
        self.upvoted: set[int] = set()
        super().on_start()

    def started(self) -> None:
        got = self.command("vote.get", vote=self.vote)
        defn = got["definition"]
        self.proposals = [p["id"] for p in defn["proposals"]]
        rule = defn["rule"]
        longest = len(self.proposals) if rule["kind"] == "rank_all" else int(rule["k"])
        shortest = int(rule["minimum"]) if rule.get("minimum") is not None else longest
        self.bounds = (shortest, longest)
        if got.get("status") != "open":
            self._fail("vote.cast", CommandFailed(f"vote {self.vote!r} is {got.get('status')}, not open"))
            raise StopUser()

    def on_snapshot(self, channel: str, snapshot: dict[str, Any]) -> None:
        if channel.endswith("/qa"):
            self.questions = {int(q["id"]) for k, q in snapshot.items() if k.startswith("q:")}

    def on_event(self, channel: str, event: dict[str, Any]) -> None:
        if channel.endswith("/qa"):
            data = event.get("data") or {}
            for q in data.get("questions") or ():
                (self.questions.add if q.get("state") in VISIBLE else self.questions.discard)(int(q["id"]))
            self.questions.difference_update(int(i) for i in data.get("removed") or ())

    def turn(self) -> None:
        r, s = random.random(), self.shares
        if r < s["chat"]:
            if self.limits.may("chat.send"):
                text = f"{self.participant}: 제안에 대한 의견 {random.randrange(1000)}"
                self.command("chat.send", meeting=self.meeting, text=text)
        elif r < s["chat"] + s["ask"]:
            if self.limits.may("qa.ask"):
                text = f"{self.participant}의 질문: 예산은 어떻게 마련하나요? ({random.randrange(1000)})"
                self.command("qa.ask", meeting=self.meeting, text=text, anonymous=random.random() < 0.3)
        elif r < s["chat"] + s["ask"] + s["upvote"]:
            choices = sorted(self.questions - self.upvoted)
            if choices and self.limits.may("qa.upvote"):
                question = random.choice(choices)
                self.upvoted.add(question)
                self.command("qa.upvote", meeting=self.meeting, question=question)
        elif r < s["chat"] + s["ask"] + s["upvote"] + s["reconnect"]:
            self.reconnect(random.uniform(*AWAY))
        elif self.limits.may("vote.cast"):
            ranking = random.sample(self.proposals, random.randint(*self.bounds))
            nonce = f"{self.participant}-{uuid.uuid4().hex[:16]}"
            self.command("vote.cast", vote=self.vote, ranking=ranking, nonce=nonce)
        # else: this seat may not act yet (a limit) or any more (its ballots): a person would
        # wait too, so this turn passes without a command.


class Moderator(PlenaryUser):
    """A moderator's desk: approves the questions panelists ask, puts some in the queue, deletes
    chat messages. The run's moderators split the work by question id and message offset (each
    takes the ids ``≡ its index`` modulo their number), so no two try the same step."""

    role = limits.MODERATOR
    fixed_count = 2
    STEPS = ("qa.approve", "qa.queue", "chat.delete")  # the desk's kinds of work, taken in turn
    delete_every = 10  # deletes one chat message in ten (its partition of them; set from the options)
    wait_time = between(0.3, 1.0)  # a desk clicks faster than a panelist's turn
    _count = itertools.count()

    def channels(self) -> list[str]:
        m = f"meeting/{self.meeting}"
        return [f"{m}/staff", f"{m}/chat"]

    def on_start(self) -> None:
        self.index = next(Moderator._count)
        self.pending: dict[int, None] = {}  # ordered sets: the oldest first
        self.approved: dict[int, None] = {}
        self.messages: dict[int, None] = {}
        self.work = itertools.cycle(self.STEPS)
        super().on_start()

    def _mine(self, n: int) -> bool:
        return n % max(1, Moderator.fixed_count) == self.index % max(1, Moderator.fixed_count)

    def _question(self, q: dict[str, Any]) -> None:
        qid = int(q["id"])
        self.pending.pop(qid, None)
        self.approved.pop(qid, None)
        if not self._mine(qid):
            return
        if q.get("state") == "pending":
            self.pending[qid] = None
        elif q.get("state") == "approved" and random.random() < QUEUE_SHARE:
            self.approved[qid] = None

    def on_snapshot(self, channel: str, snapshot: dict[str, Any]) -> None:
        if channel.endswith("/staff"):
            self.pending.clear()
            self.approved.clear()
            for key, q in snapshot.items():
                if key.startswith("q:"):
                    self._question(q)

    def on_event(self, channel: str, event: dict[str, Any]) -> None:
        data = event.get("data") or {}
        if channel.endswith("/staff"):
            for q in data.get("questions") or ():
                self._question(q)
        elif event.get("event") == "chat.message":
            offset = int(event["offset"])
            every = max(1, Moderator.delete_every)
            if offset % every == 0 and self._mine(offset // every):
                self.messages[offset] = None
        elif event.get("event") in ("chat.deleted", "chat.removed"):
            self.messages.pop(int(data.get("offset") or event["offset"]), None)

    def turn(self) -> None:
        """One step, taking the three kinds of work in turn (a desk that only approved would
        never queue nor clean the chat while questions keep coming)."""
        if not self.limits.may("qa.approve"):  # every step here is of the staff class
            return
        for _ in range(3):
            kind = next(self.work)
            if kind == "qa.approve" and self.pending:
                question = next(iter(self.pending))
                del self.pending[question]
                self.command(kind, meeting=self.meeting, question=question)
            elif kind == "qa.queue" and self.approved:
                question = next(iter(self.approved))
                del self.approved[question]
                self.command(kind, meeting=self.meeting, question=question)
            elif kind == "chat.delete" and self.messages:
                offset = next(iter(self.messages))
                del self.messages[offset]
                self.command(kind, meeting=self.meeting, offset=offset, reason="load test")
            else:
                continue
            return


class Host(PlenaryUser):
    """The host's console: sets the agenda, moves through it, shows and clears slides, and runs
    short votes of its own through their whole life (create, open, close, publish). The plenary
    vote the panelists cast in stays open: closing it would end their casting."""

    role = limits.HOST
    fixed_count = 1
    AGENDA = ("open", "report", "qa", "vote", "close")
    STEPS = (
        "agenda.current", "slide.show", "vote.create", "vote.open",
        "slide.clear", "vote.close", "agenda.current", "vote.publish",
    )  # fmt: skip

    def channels(self) -> list[str]:
        return [f"meeting/{self.meeting}/agenda"]

    def started(self) -> None:
        self.step = itertools.cycle(self.STEPS)
        self.item = itertools.cycle(self.AGENDA)
        self.slide = itertools.count(1)
        self.votes = itertools.count(1)
        self.current_vote = ""
        now = int(time.time() * 1000)
        items = [
            {"id": item, "title": f"시민총회 {i + 1}: {item}", "starts_at": now + i * 600_000, "minutes": 10}
            for i, item in enumerate(self.AGENDA)
        ]
        if self.limits.may("agenda.set"):
            self.command("agenda.set", meeting=self.meeting, items=items)

    def turn(self) -> None:
        step = next(self.step)
        if not self.limits.may(step):
            return
        m = self.meeting
        if step == "agenda.current":
            self.command(step, meeting=m, item=next(self.item))
        elif step == "slide.show":
            n = next(self.slide)
            self.command(
                step, meeting=m, url=f"https://example.org/plenary/slide-{n}.png", title=f"슬라이드 {n}"
            )
        elif step == "slide.clear":
            self.command(step, meeting=m)
        elif step == "vote.create":
            self.current_vote = f"lt-{self.participant}-{uuid.uuid4().hex[:8]}-{next(self.votes)}"
            self.command(step, definition=side_vote(self.current_vote))
        elif self.current_vote:  # open, close, publish: the vote this host created
            self.command(step, vote=self.current_vote)


def side_vote(vote_id: str, proposals: int = 5) -> dict[str, Any]:
    """A short vote a host runs beside the plenary one (a procedural question)."""
    ids = [f"S{i}" for i in range(proposals)]
    return {
        "vote_id": vote_id,
        "title": "절차 투표 (load test)",
        "proposals": [{"id": p, "title": f"안건 {p}"} for p in ids],
        "rule": {"kind": "top_k", "k": 3, "minimum": 1},
        "method": "schulze",
        "tie_break": ids,
    }
