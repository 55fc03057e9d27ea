"""The hub's limits on one participant, mirrored so that the Locust users keep to them as people do.

This module never imports the hub's code (the users run under gevent, possibly on another machine):
each number names where it comes from, and ``tests/unit/test_locust_limits.py`` holds every one of
them to the hub's own. Standard library only, so that pytest imports it without gevent.

A user that may not send a command yet (its bucket is empty, its seat asked its 30 questions) lets
the turn pass, as a person would wait. Buckets are per seat (participant), shared by every user on
that seat in one process: the hub counts per participant over every connection.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

# engine.roles.Role values: the roles of the tokens CSV's seats.
PANELIST = "panelist"
MODERATOR = "moderator"
HOST = "host"

RATE_CLASSES: dict[str, tuple[float, float]] = {
    # realtime.roles.RATE_CLASSES: class -> (tokens per second, burst)
    "cast": (0.2, 5),
    "ask": (0.1, 3),
    "qa_vote": (1, 10),
    "staff": (5, 50),
}
COMMAND_CLASSES: dict[str, str | None] = {
    # realtime.roles.COMMAND_RATES for every command these users send (None: no per-participant bucket)
    "hello": None,
    "subscribe": None,
    "vote.get": None,
    "chat.send": None,  # limited by the chat rule below instead
    "vote.cast": "cast",
    "qa.ask": "ask",
    "qa.upvote": "qa_vote",
    "qa.approve": "staff",
    "qa.queue": "staff",
    "chat.delete": "staff",
    "agenda.set": "staff",
    "agenda.current": "staff",
    "slide.show": "staff",
    "slide.clear": "staff",
    "vote.create": "staff",
    "vote.open": "staff",
    "vote.close": "staff",
    "vote.publish": "staff",
}
MAX_ONLINE_BALLOTS = 20  # ballot.rules.MAX_ONLINE_BALLOTS: a voter's online ballots in one vote
CHAT_COUNT = 5  # moderation.chat.RATE_COUNT messages ...
CHAT_WINDOW_S = 10.0  # ... per moderation.chat.RATE_WINDOW_MS, per participant and meeting
MAX_QUESTIONS_PER_ASKER = 30  # moderation.qa.MAX_QUESTIONS_PER_ASKER, per meeting
MAX_CONNECTIONS = {PANELIST: 5, MODERATOR: 20, HOST: 20}  # realtime.roles.MAX_CONNECTIONS

PACE_MARGIN = 0.9  # refill counted 10 % slower than the hub: its clock starts when the command arrives
CHAT_WINDOW_MARGIN_S = 1.0  # the hub's window starts when the first message arrives, after ours


class Bucket:
    """A mirror of one of the hub's token buckets (``engine.limits``) for one seat."""

    def __init__(self, cls: str) -> None:
        self.rate, self.burst = RATE_CLASSES[cls]
        self.tokens = float(self.burst)
        self.at = time.monotonic()

    def ready(self) -> bool:
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.at) * self.rate * PACE_MARGIN)
        self.at = now
        return self.tokens >= 1

    def take(self) -> None:
        self.tokens -= 1

    def refused(self, retry_after_ms: int) -> None:
        """The hub said ``rate_limited``: believe it (a token comes back after ``retry_after_ms``)."""
        self.tokens = min(self.tokens, 1 - retry_after_ms / 1000 * self.rate)


class ChatWindow:
    """The chat rule's fixed window (``moderation/lua/chat_send.lua``): at most ``CHAT_COUNT``
    messages in the window that the first one opens."""

    def __init__(self) -> None:
        self.start = -1e9
        self.count = 0

    def ready(self) -> bool:
        if time.monotonic() - self.start > CHAT_WINDOW_S + CHAT_WINDOW_MARGIN_S:
            self.start, self.count = time.monotonic(), 0
        return self.count < CHAT_COUNT

    def take(self) -> None:
        self.count += 1

    def refused(self, retry_after_ms: int) -> None:
        self.start = time.monotonic() + retry_after_ms / 1000 - CHAT_WINDOW_S
        self.count = CHAT_COUNT


@dataclass
class SeatLimits:
    """Everything the hub counts for one seat: its buckets, its chat window, its ballots and
    questions. One per participant per process (``seat_limits``)."""

    buckets: dict[str, Bucket] = field(default_factory=dict)
    chat: ChatWindow = field(default_factory=ChatWindow)
    ballots: int = 0
    questions: int = 0

    def bucket(self, command: str) -> Bucket | None:
        cls = COMMAND_CLASSES[command]
        if cls is None:
            return None
        if cls not in self.buckets:
            self.buckets[cls] = Bucket(cls)
        return self.buckets[cls]

    def may(self, command: str) -> bool:
        """Whether the hub would take ``command`` from this seat now (and, for casts and
        questions, at all)."""
        if command == "vote.cast" and self.ballots >= MAX_ONLINE_BALLOTS:
            return False
        if command == "qa.ask" and self.questions >= MAX_QUESTIONS_PER_ASKER:
            return False
        if command == "chat.send":
            return self.chat.ready()
        bucket = self.bucket(command)
        return bucket is None or bucket.ready()

    def took(self, command: str) -> None:
        """Count ``command`` as sent (before its reply: the hub counts it when it arrives)."""
        if command == "chat.send":
            self.chat.take()
            return
        bucket = self.bucket(command)
        if bucket is not None:
            bucket.take()
        if command == "vote.cast":
            self.ballots += 1
        elif command == "qa.ask":
            self.questions += 1

    def refused(self, command: str, name: str, retry_after_ms: int) -> None:
        """The hub refused ``command`` by a limit: pace by what it said."""
        if name == "too_many_ballots":
            self.ballots = MAX_ONLINE_BALLOTS
        elif name == "too_many_questions":
            self.questions = MAX_QUESTIONS_PER_ASKER
        elif command == "chat.send":
            self.chat.refused(retry_after_ms)
        elif (bucket := self.bucket(command)) is not None:
            bucket.refused(retry_after_ms)


LIMIT_REFUSALS = ("rate_limited", "too_many_ballots", "too_many_questions")
"""Error names by which the hub's limits answer: reported as rows of their own, never as the command."""

_seats: dict[str, SeatLimits] = {}


def seat_limits(participant: str) -> SeatLimits:
    """The one ``SeatLimits`` of a participant in this process."""
    return _seats.setdefault(participant, SeatLimits())
