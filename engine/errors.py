"""One error type with stable codes, shared by the engine, the domain and the transport.

Exception tree::

    HubError(code, message, retryable)
    ├── ProtocolError      bad frames and schemas          (1000-1099)
    ├── AuthError          tokens, origin, roles           (1100-1199)
    ├── LimitError         rates, sizes                    (1200-1299)
    ├── ChannelError       channels and subscriptions      (1300-1399)
    ├── ChatError          meetings and chat               (1400-1499)
    ├── VoteError          votes and ballots               (1500-1599)
    ├── ModerationError    Q&A, speakers, agenda, polls    (1600-1699)
    ├── PanelError         roster, lottery, links          (1700-1799)
    └── InternalError      the hub's own failures          (1900-1999)

Codes are added, never renumbered: clients and dashboards key on them. ``realtime/`` maps each code
to a wire error (the code's ``name`` in lower case is its stable string), an HTTP status, and for
abuse a WebSocket close code (4000-4999, see ``realtime.protocol.closecodes``).
"""

from __future__ import annotations

from enum import IntEnum


class Code(IntEnum):
    """Every error the hub can report. ``code.name.lower()`` is the wire string."""

    # protocol
    BAD_FRAME = 1000  # not valid JSON / MessagePack
    BAD_MESSAGE = 1001  # valid encoding, but does not match any declared message
    UNKNOWN_COMMAND = 1002
    BAD_FIELD = 1003  # a field has the wrong type or value
    NOT_AUTHENTICATED = 1004  # a command before a successful hello
    ALREADY_AUTHENTICATED = 1005
    # identity and roles
    BAD_TOKEN = 1100
    FORBIDDEN = 1101  # the caller's role may not run this command
    BAD_ORIGIN = 1102
    NOT_A_MEMBER = 1103  # not a participant of that meeting
    # limits
    RATE_LIMITED = 1200
    TOO_LARGE = 1201
    TOO_MANY_SUBSCRIPTIONS = 1202
    TOO_MANY_CONNECTIONS = 1203  # a participant holds the most connections their role may (issue 9)
    TOO_MANY_BALLOTS = 1204  # a voter cast the most ballots online one vote takes from them (issue 9)
    TOO_MANY_QUESTIONS = 1205  # a panelist asked the most questions one meeting takes from them (issue 9)
    TOO_MANY_UPLOADS = 1206  # a meeting's slide files reached their total size (issue 9)
    # channels
    UNKNOWN_CHANNEL = 1300
    NOT_SUBSCRIBED = 1301
    # meetings and chat
    UNKNOWN_MEETING = 1400
    EMPTY_MESSAGE = 1401
    MESSAGE_TOO_LONG = 1402
    CHAT_CLOSED = 1403
    MUTED = 1404
    SECRET_IN_URL = 1405  # a tracking code (or token) sent in a URL: send it in the request body
    # votes
    UNKNOWN_VOTE = 1500
    VOTE_NOT_OPEN = 1501
    VOTE_CLOSED = 1502
    NOT_ELIGIBLE = 1503
    UNKNOWN_PROPOSAL = 1504
    REPEATED_PROPOSAL = 1505
    RANKING_TOO_SHORT = 1506
    RANKING_TOO_LONG = 1507
    BAD_NONCE = 1508
    BAD_TRANSITION = 1509
    BAD_VOTE_DEFINITION = 1510
    VOTE_NOT_PUBLISHED = 1511
    BALLOT_CONFLICT = 1512  # a panelist's paper entries disagree: resolve before publishing
    UNKNOWN_VOTER = 1513
    NONCE_REUSED = 1514  # the same nonce again with another ranking: a new ballot needs a new nonce
    # moderated meetings: Q&A, chat moderation, speakers, agenda and slides, polls (issue 5)
    UNKNOWN_QUESTION = 1600
    BAD_ORDER = 1601  # a new order is not a permutation of the queued questions / raised hands
    BAD_MERGE = 1602  # a question merged into itself or into one panelists cannot see
    SLOW_MODE = 1603  # slow mode: one chat message per interval; retryable
    BANNED = 1604  # a moderator banned you from this meeting's chat
    LINK_NOT_ALLOWED = 1605
    UNKNOWN_MESSAGE = 1606  # no chat message at that offset
    NOT_THE_SPEAKER = 1607
    NOBODY_WAITING = 1608  # no raised hand to call on (or the named participant has none)
    UNKNOWN_ITEM = 1609  # no agenda item with that id
    BAD_AGENDA = 1610
    BAD_SLIDE = 1611
    UNKNOWN_UPLOAD = 1612
    BAD_UPLOAD = 1613  # not a PNG, JPEG, WebP or PDF, or too large
    UNKNOWN_POLL = 1614
    BAD_POLL = 1615  # a poll or survey definition is invalid
    POLL_NOT_OPEN = 1616
    POLL_CLOSED = 1617
    ALREADY_ANSWERED = 1618
    BAD_ANSWER = 1619
    BAD_MATERIALS = 1620
    CONFLICT = 1621  # the state changed under a concurrent command several times: retry
    # client mistakes below the protocol, logged as warnings with these codes (issue 9)
    INVALID_UTF8 = 1622  # a text frame that is not valid UTF-8: closed 1007
    BAD_WEBSOCKET_FRAME = 1623  # a frame that breaks RFC 6455 (unmasked, bad opcode, ...): closed 1002
    REQUEST_ABORTED = (
        1624  # the client left or stopped sending before a request's body ended (an upload, a lookup)
    )
    BAD_HTTP_REQUEST = 1625  # a request the HTTP layer cannot read (answered 400 by uvicorn)
    # panel
    BAD_ROSTER = 1700
    UNKNOWN_PARTICIPANT = 1701
    BAD_QUOTAS = 1702
    INFEASIBLE_QUOTAS = 1703
    NO_BASE_URL = 1704  # links asked for, but no --base-url given and no hub announced its URL
    NOT_CONFIRMED = 1705  # revoking links needs a yes at the prompt, or --yes when not interactive
    # internal
    INTERNAL = 1900
    UNAVAILABLE = 1901  # Redis unreachable or shutting down: retry


class HubError(Exception):
    """An error with a stable code. ``retryable`` tells a client whether the same command may succeed later."""

    default_code: Code = Code.INTERNAL

    def __init__(
        self, code: Code | None = None, message: str = "", *, retryable: bool = False, retry_after_ms: int = 0
    ) -> None:
        self.code = code if code is not None else self.default_code
        self.message = message or self.code.name.lower().replace("_", " ")
        self.retryable = retryable
        self.retry_after_ms = retry_after_ms
        super().__init__(f"{self.code.name.lower()}: {self.message}")

    @property
    def name(self) -> str:
        return self.code.name.lower()


class ProtocolError(HubError):
    default_code = Code.BAD_MESSAGE


class AuthError(HubError):
    default_code = Code.FORBIDDEN


class LimitError(HubError):
    default_code = Code.RATE_LIMITED


class ChannelError(HubError):
    default_code = Code.UNKNOWN_CHANNEL


class ChatError(HubError):
    default_code = Code.UNKNOWN_MEETING


class VoteError(HubError):
    default_code = Code.UNKNOWN_VOTE


class ModerationError(HubError):
    default_code = Code.BAD_TRANSITION


class PanelError(HubError):
    default_code = Code.BAD_ROSTER


class InternalError(HubError):
    default_code = Code.INTERNAL
