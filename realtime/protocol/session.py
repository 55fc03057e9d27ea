"""The per-connection protocol state machine: frames in, commands or coded rejections out. No I/O.

Theory of operation: the endpoint hands every inbound frame to ``Session.receive`` with the current
time. The session decodes it, checks the connection state (``hello`` first, and only once), and
applies the connection's rate limit. It returns one of:

- ``Accept(command)``: the endpoint must run the command and answer it with ``reply``/``error``;
- ``Reject(frame)``: write this error frame; the connection lives on;
- ``Close(code, reason, frame)``: write the frame if any, then close with ``code`` (abuse).

The state table is ``TRANSITIONS``; an illegal move is a coded error, never an exception escaping.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from engine.errors import Code, HubError, ProtocolError
from realtime.protocol.closecodes import CloseCode
from realtime.protocol.codec import Codec, OutFrame, command_id_of
from realtime.protocol.messages import Command, Error, Event, Hello, Reply, Result, Subscribed

# Bytes of events one ``subscribe`` reply part may carry: a recovery of a whole history (1,000 chat
# messages, up to ~2 MB) goes out in parts that fit a client's frame budget (64 KiB, the size the
# hub itself accepts), leaving room for the reply's own fields.
PART_BUDGET = 60 * 1024


class State(Enum):
    AWAITING_HELLO = "awaiting_hello"
    READY = "ready"
    CLOSED = "closed"


class Trigger(Enum):
    HELLO_OK = "hello_ok"
    HELLO_FAILED = "hello_failed"
    CLOSE = "close"


TRANSITIONS: dict[tuple[State, Trigger], State] = {
    (State.AWAITING_HELLO, Trigger.HELLO_OK): State.READY,
    (State.AWAITING_HELLO, Trigger.HELLO_FAILED): State.CLOSED,
    (State.AWAITING_HELLO, Trigger.CLOSE): State.CLOSED,
    (State.READY, Trigger.CLOSE): State.CLOSED,
}


@dataclass(frozen=True)
class Limits:
    """Per-connection limits. ``rate``/``burst``: a token bucket of commands. Past ``flood`` rejected
    commands within one ``window`` seconds, or ``max_errors`` undecodable frames, the hub closes."""

    rate: float = 20.0
    burst: float = 40.0
    flood: int = 100
    window: float = 10.0
    max_errors: int = 20
    hello_timeout: float = 10.0


@dataclass(frozen=True)
class Accept:
    command: Command


@dataclass(frozen=True)
class Reject:
    frame: OutFrame
    error: HubError


@dataclass(frozen=True)
class Close:
    code: CloseCode
    reason: str
    frame: OutFrame | None = None


Inbound = Accept | Reject | Close


class Session:
    def __init__(self, codec: Codec, limits: Limits, now: float) -> None:
        self.codec = codec
        self.limits = limits
        self.state = State.AWAITING_HELLO
        self._tokens = limits.burst
        self._last = now
        self._window_start = now
        self._rejected = 0
        self._errors = 0

    # -- state -----------------------------------------------------------------------------------
    def fire(self, trigger: Trigger) -> State:
        nxt = TRANSITIONS.get((self.state, trigger))
        if nxt is None:
            raise HubError(Code.BAD_MESSAGE, f"{trigger.value} not allowed in state {self.state.value}")
        self.state = nxt
        return nxt

    # -- inbound ---------------------------------------------------------------------------------
    def receive(self, data: bytes | str, now: float) -> Inbound:
        if now - self._window_start > self.limits.window:
            self._window_start, self._rejected, self._errors = now, 0, 0
        try:
            cmd = self.codec.decode(data)
        except ProtocolError as exc:
            self._errors += 1
            # The id the frame carried, if it could be read, on the last error too (before 4010).
            answer = self.error(command_id_of(exc), exc)
            if self._errors > self.limits.max_errors:
                return Close(CloseCode.TOO_MANY_ERRORS, "too many undecodable frames", answer)
            return Reject(answer, exc)
        if not self._take(now):
            self._rejected += 1
            err = HubError(Code.RATE_LIMITED, f"over {self.limits.rate:g} commands/s")
            if self._rejected > self.limits.flood:
                return Close(CloseCode.FLOOD, "flooding", self.error(cmd.id, err))
            return Reject(self.error(cmd.id, err), err)
        if self.state is State.AWAITING_HELLO and not isinstance(cmd, Hello):
            err = HubError(Code.NOT_AUTHENTICATED, "send hello with your token first")
            return Reject(self.error(cmd.id, err), err)
        if self.state is State.READY and isinstance(cmd, Hello):
            err = HubError(Code.ALREADY_AUTHENTICATED, "this connection is already authenticated")
            return Reject(self.error(cmd.id, err), err)
        return Accept(cmd)

    def _take(self, now: float) -> bool:
        self._tokens = min(self.limits.burst, self._tokens + (now - self._last) * self.limits.rate)
        self._last = now
        if self._tokens >= 1.0:
            self._tokens -= 1.0
            return True
        return False

    # -- outbound --------------------------------------------------------------------------------
    def reply(self, command_id: int, result: Result) -> OutFrame:
        return self.codec.frame(Reply(id=command_id, result=result))

    def replies(self, command_id: int, result: Result) -> list[OutFrame]:
        """The frames that answer a command: one ``reply``, or for a ``subscribe`` whose events do
        not fit one part, several ``reply`` frames with the same id (``subscribed_parts``). The
        caller writes them in order, with no other reply in between, pacing them by the client's
        reading (``realtime.endpoint._drained``)."""
        if isinstance(result, Subscribed):
            return [self.reply(command_id, part) for part in subscribed_parts(self.codec, result)]
        return [self.reply(command_id, result)]

    def error(self, command_id: int | None, err: HubError) -> OutFrame:
        return self.codec.frame(
            Error(
                id=command_id,
                code=int(err.code),
                name=err.name,
                message=err.message,
                retryable=err.retryable,
                retry_after_ms=err.retry_after_ms,
            )
        )


def subscribed_parts(codec: Codec, sub: Subscribed, budget: int = PART_BUDGET) -> list[Subscribed]:
    """Split a ``subscribe`` result so that each part's events take at most ``budget`` bytes in
    ``codec`` (an event larger than that goes alone in its part). Every part repeats ``channel``,
    ``epoch``, ``offset`` and ``recovered``; ``more`` is true on all but the last; the last alone
    carries the ``snapshot``. Joining the parts' ``events`` in order gives ``sub.events``.

    Why parts and not one frame: a client that was 1,000 events away must get them all (the
    documented history), but a multi-MiB frame trips the 1 MiB default of common WebSocket
    libraries and holds the whole reply in memory on both sides."""
    chunks: list[list[Event]] = []
    current: list[Event] = []
    size = 0
    for event in sub.events:
        n = len(codec.encode(event)) + 1  # +1: the separator between array items in JSON
        if current and size + n > budget:
            chunks.append(current)
            current, size = [], 0
        current.append(event)
        size += n
    if current or not chunks:
        chunks.append(current)
    last = len(chunks) - 1
    return [
        Subscribed(
            channel=sub.channel,
            epoch=sub.epoch,
            offset=sub.offset,
            recovered=sub.recovered,
            events=chunk,
            snapshot=sub.snapshot if i == last else None,
            more=i != last,
        )
        for i, chunk in enumerate(chunks)
    ]
