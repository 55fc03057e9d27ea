"""One error type with stable codes, and the catalogue that says what each code is.

``Code`` numbers every error; ``CATALOGUE`` gives each code its row: its category, whether the
same command may succeed later (``retryable``, sent in every ``error`` frame) and its HTTP status.
A raise site names only the code, ``raise HubError(Code.UNKNOWN_VOTE, "...")``; the row decides
the rest, so a category, a retry flag or a status can never disagree with the code.

Exception tree (the class of an error is its code's category, chosen by ``HubError`` itself)::

    HubError(code, message)
    ├── ProtocolError      frames, schemas, requests        (1000-1099, and 1405, 1622-1625)
    ├── AuthError          tokens, origin, roles            (1100-1199)
    ├── LimitError         rates, sizes, counts             (1200-1299)
    ├── ChannelError       channels and subscriptions       (1300-1399)
    ├── ChatError          meetings and chat                (1400-1499)
    ├── VoteError          votes and ballots                (1500-1599)
    ├── ModerationError    Q&A, chat moderation, speakers, agenda, polls  (1600-1699)
    ├── PanelError         roster, lottery, links           (1700-1799)
    ├── ProposalError      citizens' proposals (issue 14)   (1800-1899)
    ├── InternalError      the hub's own failures           (1900-1999)
    ├── TableError         tables: seating, live tables (issue 15)  (2000-2099)
    ├── ThemeError         the theme team's themes (issue 15)  (2100-2199)
    └── VoiceError         live voice over WebRTC (issue 16) (2200-2299)

So ``except VoteError`` catches every error whose code is a vote code, wherever it was raised;
the subclasses are views of the catalogue, never chosen at a raise site (``VoteError(Code.X)``
with a code of another category is a ``TypeError``). A new code takes a number in its category's
range; the five protocol codes numbered elsewhere are older than that rule.

Codes are added, never renumbered: clients and dashboards key on them. ``realtime/`` sends a code
as a wire error (the code's ``name`` in lower case is its stable string), as an HTTP answer with
the row's status, and for abuse as a WebSocket close code (4000-4999, see
``realtime.protocol.closecodes``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import IntEnum, StrEnum
from types import MappingProxyType
from typing import Any, ClassVar


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
    NOT_CHECKED_IN = 1515  # issue 14: a vote for those checked in at the hall, cast by one who is not
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
    # issue 14: learning
    UNKNOWN_MATERIAL = 1660  # no material with that id in the meeting's list (now)
    # panel
    BAD_ROSTER = 1700
    UNKNOWN_PARTICIPANT = 1701
    BAD_QUOTAS = 1702
    INFEASIBLE_QUOTAS = 1703
    NO_BASE_URL = 1704  # links asked for, but no --base-url given and no hub announced its URL
    NOT_CONFIRMED = 1705  # revoking links needs a yes at the prompt, or --yes when not interactive
    # issue 14: proposals (proposals/rules.py)
    NO_SUCH_PROPOSAL = 1800  # no proposal with that id in the meeting
    PROPOSAL_STATE = 1801  # the step is not allowed in the proposal's state (merged, returned...)
    BAD_PROPOSAL = 1802  # a field empty or too long (the message names it), or an edit that changes nothing
    UNKNOWN_SECTION = 1803
    SECTION_CLOSED = 1804  # the section takes no proposals in this meeting now
    DUPLICATE_PROPOSAL = 1805  # a proposal with the same title is in the meeting: support or join it
    TOO_MANY_PROPOSALS = 1806  # the most proposals one panelist may submit in a meeting
    ALREADY_AN_AUTHOR = 1807
    TOO_MANY_AUTHORS = 1808
    ALREADY_SUPPORTED = 1809  # one support (공감) per panelist and proposal
    NOT_SUPPORTED = 1810  # withdrawing a support never given
    TOO_MANY_COMMENTS = 1811  # the most comments one participant may write in a meeting
    BAD_PROPOSAL_MERGE = 1812  # into itself, or into one that is not submitted (merged: a cycle)
    NOT_AN_AUTHOR = 1813  # only authors consent to an edit
    NO_EDIT_PENDING = 1814  # consent with no edit waiting
    # issue 14: shortlist and ballot (proposals/provenance.py)
    NOTHING_TO_SHORTLIST = 1815  # no submitted proposal to put on a shortlist vote or a plenary ballot
    SECTION_STILL_OPEN = 1816  # a shortlist of a section that still takes proposals: close it first
    BAD_SHORTLIST_SIZE = 1817  # how many to keep: 1 to the number of proposals on the vote
    NOT_A_SHORTLIST = 1818  # the vote was not made from a meeting's proposals (proposal.shortlist)
    SHORTLIST_NOT_PUBLISHED = 1819  # a plenary ballot from a shortlist vote whose result is not published
    LISTED_TWICE = 1820  # the same proposal or shortlist vote named twice
    ALREADY_ON_BALLOT = 1821  # a proposal of the shortlist is an item of another plenary ballot
    # issue 14: response (proposals/response.py)
    UNKNOWN_RESPONSE_STATUS = 1825  # not accepted, under_review or rejected
    BAD_RESPONSE = 1826  # the department or the text empty or too long (the message names it)
    RESPONSE_NEEDS_REASON = 1827  # a rejection without the reason
    TOO_MANY_RESPONSES = 1828  # the most responses kept for one proposal
    RESPONSE_UNCHANGED = 1829  # the same answer, department and text as the current response
    # issue 15: seating of tables (tables/assign.py, tables/seating_store.py): 2000-2019
    NO_SEATING = 2000  # the session has no seating yet: plenary tables assign SESSION
    BAD_TABLE_SIZE = 2001  # the size range is not MIN..MAX with 2 <= MIN <= MAX
    NOBODY_TO_SEAT = 2002  # nobody attends the session (checked in or online): --all seats the roster
    BAD_SEATING = 2003  # a seating with a person twice, an empty table or a bad session id
    BAD_GROUPS = 2004  # a group file unreadable, a group larger than a table, a person in two groups
    # issue 15: live tables (tables/live.py, tables/cards.py, tables/rules.py): 2020-2079
    NOT_AT_TABLE = 2020  # not seated at that table, nor its facilitator: its channel is its members'
    NO_SUCH_TABLE = 2021  # the meeting has no table with that number (no seating, or fewer tables)
    NOT_THE_FACILITATOR = 2022  # a card or a flag from someone who does not facilitate that table
    NOT_A_FACILITATOR = 2023  # table.facilitator names a participant whose role is not facilitator
    BAD_STEP = 2024  # a step's title empty or too long, or its duration out of range
    TOO_MANY_CARDS = 2025  # the most cards one table may post in one step
    BAD_FLAG = 2026  # a help flag's reason empty or too long
    BAD_NOTICE = 2027  # a notice to the facilitators empty or too long
    # issue 15: the theme team (tables/themes.py)
    UNKNOWN_THEME = 2100  # no theme with that id in the meeting (deleted, merged away)
    BAD_THEME = 2101  # a title empty or too long, or a rename that changes nothing
    UNKNOWN_CARD = 2102  # no card with that id in the meeting's tables
    DUPLICATE_THEME = 2103  # a theme with the same title is in the meeting: assign to it
    TOO_MANY_THEMES = 2104  # the most themes one meeting keeps
    BAD_THEME_MERGE = 2105  # a theme merged into itself
    EMPTY_THEME = 2106  # a theme without cards cannot be published, polled or proposed
    NOTHING_TO_PUBLISH = 2107  # no theme holds a card yet
    TOO_MANY_CARDS_NAMED = 2108  # more cards named in one theme command than it takes
    # internal
    INTERNAL = 1900
    UNAVAILABLE = 1901  # Redis unreachable or shutting down: retry
    # issue 16: live voice (moderation/voice.py, realtime/voice/)
    VOICE_UNAVAILABLE = 2200  # this hub runs without the voice extra (aiortc) or with voice off
    NOT_ON_THE_FLOOR = 2201  # a voice offer from a panelist who does not hold the floor of that meeting
    BAD_SDP = 2202  # an offer or answer that is not a usable WebRTC session description (audio)
    TOO_MANY_CANDIDATES = 2203  # more ICE candidates for one session than a participant may send
    NO_VOICE_SESSION = 2204  # nobody is live in that meeting (or the session named has ended)
    VOICE_ELSEWHERE = 2205  # the meeting's voice session lives on another hub: retry (docs/voice.md)
    BAD_VOICE_STEP = 2206  # the step is not allowed in the session's state (moderation/voice.py table)
    TOO_MANY_LISTENERS = 2207  # the meeting's voice session relays to its most listeners already
    TOO_MANY_VIDEO = 2208  # an offer with more than one video section (the speaker's one camera)
    BAD_VIDEO_CODEC = 2209  # an offer's video offers neither VP8 nor H.264 (what the relay decodes)
    LISTENER_SENDS = 2210  # a console's offer to listen would send media (it must only receive)


class Category(StrEnum):
    """What an error is about; each has its exception class below (``HubError`` picks it)."""

    PROTOCOL = "protocol"
    AUTH = "auth"
    LIMIT = "limit"
    CHANNEL = "channel"
    CHAT = "chat"
    VOTE = "vote"
    MODERATION = "moderation"
    PANEL = "panel"
    PROPOSAL = "proposal"
    TABLE = "table"
    INTERNAL = "internal"
    VOICE = "voice"
    THEME = "theme"  # issue 15


@dataclass(frozen=True, slots=True)
class ErrorSpec:
    """One row of the catalogue. ``retryable``: the same command, unchanged, may succeed later
    (after ``retry_after_ms`` when the error gives one). ``http_status``: the status of an HTTP
    answer with this code (400 for the client's mistakes unless a row says otherwise)."""

    category: Category
    retryable: bool = False
    http_status: int = 400


CATALOGUE: Mapping[Code, ErrorSpec] = MappingProxyType(
    {
        Code.BAD_FRAME: ErrorSpec(Category.PROTOCOL),
        Code.BAD_MESSAGE: ErrorSpec(Category.PROTOCOL),
        Code.UNKNOWN_COMMAND: ErrorSpec(Category.PROTOCOL),
        Code.BAD_FIELD: ErrorSpec(Category.PROTOCOL),
        Code.NOT_AUTHENTICATED: ErrorSpec(Category.PROTOCOL),
        Code.ALREADY_AUTHENTICATED: ErrorSpec(Category.PROTOCOL),
        Code.BAD_TOKEN: ErrorSpec(Category.AUTH, http_status=401),
        Code.FORBIDDEN: ErrorSpec(Category.AUTH, http_status=403),
        Code.BAD_ORIGIN: ErrorSpec(Category.AUTH, http_status=403),
        Code.NOT_A_MEMBER: ErrorSpec(Category.AUTH, http_status=403),
        Code.RATE_LIMITED: ErrorSpec(Category.LIMIT, retryable=True, http_status=429),
        Code.TOO_LARGE: ErrorSpec(Category.LIMIT),
        Code.TOO_MANY_SUBSCRIPTIONS: ErrorSpec(Category.LIMIT),
        Code.TOO_MANY_CONNECTIONS: ErrorSpec(Category.LIMIT, retryable=True),  # once one closes
        Code.TOO_MANY_BALLOTS: ErrorSpec(Category.LIMIT),
        Code.TOO_MANY_QUESTIONS: ErrorSpec(Category.LIMIT),
        Code.TOO_MANY_UPLOADS: ErrorSpec(Category.LIMIT),
        Code.UNKNOWN_CHANNEL: ErrorSpec(Category.CHANNEL, http_status=404),
        Code.NOT_SUBSCRIBED: ErrorSpec(Category.CHANNEL),
        Code.UNKNOWN_MEETING: ErrorSpec(Category.CHAT, http_status=404),
        Code.EMPTY_MESSAGE: ErrorSpec(Category.CHAT),
        Code.MESSAGE_TOO_LONG: ErrorSpec(Category.CHAT),
        Code.CHAT_CLOSED: ErrorSpec(Category.CHAT),
        Code.MUTED: ErrorSpec(Category.CHAT, retryable=True),  # when the mute ends (retry_after_ms)
        Code.SECRET_IN_URL: ErrorSpec(Category.PROTOCOL),
        Code.UNKNOWN_VOTE: ErrorSpec(Category.VOTE, http_status=404),
        Code.VOTE_NOT_OPEN: ErrorSpec(Category.VOTE),
        Code.VOTE_CLOSED: ErrorSpec(Category.VOTE),
        Code.NOT_ELIGIBLE: ErrorSpec(Category.VOTE),
        Code.UNKNOWN_PROPOSAL: ErrorSpec(Category.VOTE),
        Code.REPEATED_PROPOSAL: ErrorSpec(Category.VOTE),
        Code.RANKING_TOO_SHORT: ErrorSpec(Category.VOTE),
        Code.RANKING_TOO_LONG: ErrorSpec(Category.VOTE),
        Code.BAD_NONCE: ErrorSpec(Category.VOTE),
        Code.BAD_TRANSITION: ErrorSpec(Category.VOTE),
        Code.BAD_VOTE_DEFINITION: ErrorSpec(Category.VOTE),
        Code.VOTE_NOT_PUBLISHED: ErrorSpec(Category.VOTE, http_status=404),
        Code.BALLOT_CONFLICT: ErrorSpec(Category.VOTE),
        Code.UNKNOWN_VOTER: ErrorSpec(Category.VOTE),
        Code.NONCE_REUSED: ErrorSpec(Category.VOTE),
        Code.NOT_CHECKED_IN: ErrorSpec(Category.VOTE, retryable=True),  # once checked in at the desk
        Code.UNKNOWN_QUESTION: ErrorSpec(Category.MODERATION),
        Code.BAD_ORDER: ErrorSpec(Category.MODERATION),
        Code.BAD_MERGE: ErrorSpec(Category.MODERATION),
        Code.SLOW_MODE: ErrorSpec(Category.MODERATION, retryable=True),  # after retry_after_ms
        Code.BANNED: ErrorSpec(Category.MODERATION),
        Code.LINK_NOT_ALLOWED: ErrorSpec(Category.MODERATION),
        Code.UNKNOWN_MESSAGE: ErrorSpec(Category.MODERATION),
        Code.NOT_THE_SPEAKER: ErrorSpec(Category.MODERATION),
        Code.NOBODY_WAITING: ErrorSpec(Category.MODERATION),
        Code.UNKNOWN_ITEM: ErrorSpec(Category.MODERATION),
        Code.BAD_AGENDA: ErrorSpec(Category.MODERATION),
        Code.BAD_SLIDE: ErrorSpec(Category.MODERATION),
        Code.UNKNOWN_UPLOAD: ErrorSpec(Category.MODERATION, http_status=404),
        Code.BAD_UPLOAD: ErrorSpec(Category.MODERATION),
        Code.UNKNOWN_POLL: ErrorSpec(Category.MODERATION, http_status=404),
        Code.BAD_POLL: ErrorSpec(Category.MODERATION),
        Code.POLL_NOT_OPEN: ErrorSpec(Category.MODERATION),
        Code.POLL_CLOSED: ErrorSpec(Category.MODERATION),
        Code.ALREADY_ANSWERED: ErrorSpec(Category.MODERATION),
        Code.BAD_ANSWER: ErrorSpec(Category.MODERATION),
        Code.BAD_MATERIALS: ErrorSpec(Category.MODERATION),
        # issue 14: learning
        Code.UNKNOWN_MATERIAL: ErrorSpec(Category.MODERATION, http_status=404),
        Code.CONFLICT: ErrorSpec(Category.MODERATION, retryable=True),
        Code.INVALID_UTF8: ErrorSpec(Category.PROTOCOL),
        Code.BAD_WEBSOCKET_FRAME: ErrorSpec(Category.PROTOCOL),
        Code.REQUEST_ABORTED: ErrorSpec(Category.PROTOCOL, retryable=True),  # nothing stored: resend
        Code.BAD_HTTP_REQUEST: ErrorSpec(Category.PROTOCOL),
        Code.BAD_ROSTER: ErrorSpec(Category.PANEL),
        Code.UNKNOWN_PARTICIPANT: ErrorSpec(Category.PANEL),
        Code.BAD_QUOTAS: ErrorSpec(Category.PANEL),
        Code.INFEASIBLE_QUOTAS: ErrorSpec(Category.PANEL),
        Code.NO_BASE_URL: ErrorSpec(Category.PANEL),
        Code.NOT_CONFIRMED: ErrorSpec(Category.PANEL),
        # issue 14: proposals
        Code.NO_SUCH_PROPOSAL: ErrorSpec(Category.PROPOSAL, http_status=404),
        Code.PROPOSAL_STATE: ErrorSpec(Category.PROPOSAL),
        Code.BAD_PROPOSAL: ErrorSpec(Category.PROPOSAL),
        Code.UNKNOWN_SECTION: ErrorSpec(Category.PROPOSAL),
        Code.SECTION_CLOSED: ErrorSpec(Category.PROPOSAL),
        Code.DUPLICATE_PROPOSAL: ErrorSpec(Category.PROPOSAL),
        Code.TOO_MANY_PROPOSALS: ErrorSpec(Category.PROPOSAL),
        Code.ALREADY_AN_AUTHOR: ErrorSpec(Category.PROPOSAL),
        Code.TOO_MANY_AUTHORS: ErrorSpec(Category.PROPOSAL),
        Code.ALREADY_SUPPORTED: ErrorSpec(Category.PROPOSAL),
        Code.NOT_SUPPORTED: ErrorSpec(Category.PROPOSAL),
        Code.TOO_MANY_COMMENTS: ErrorSpec(Category.PROPOSAL),
        Code.BAD_PROPOSAL_MERGE: ErrorSpec(Category.PROPOSAL),
        Code.NOT_AN_AUTHOR: ErrorSpec(Category.PROPOSAL),
        Code.NO_EDIT_PENDING: ErrorSpec(Category.PROPOSAL),
        # issue 14: shortlist and ballot
        Code.NOTHING_TO_SHORTLIST: ErrorSpec(Category.PROPOSAL),
        Code.SECTION_STILL_OPEN: ErrorSpec(Category.PROPOSAL),
        Code.BAD_SHORTLIST_SIZE: ErrorSpec(Category.PROPOSAL),
        Code.NOT_A_SHORTLIST: ErrorSpec(Category.PROPOSAL, http_status=404),
        Code.SHORTLIST_NOT_PUBLISHED: ErrorSpec(Category.PROPOSAL),
        Code.LISTED_TWICE: ErrorSpec(Category.PROPOSAL),
        Code.ALREADY_ON_BALLOT: ErrorSpec(Category.PROPOSAL),
        # issue 14: response
        Code.UNKNOWN_RESPONSE_STATUS: ErrorSpec(Category.PROPOSAL),
        Code.BAD_RESPONSE: ErrorSpec(Category.PROPOSAL),
        Code.RESPONSE_NEEDS_REASON: ErrorSpec(Category.PROPOSAL),
        Code.TOO_MANY_RESPONSES: ErrorSpec(Category.PROPOSAL),
        Code.RESPONSE_UNCHANGED: ErrorSpec(Category.PROPOSAL),
        # issue 15: seating
        Code.NO_SEATING: ErrorSpec(Category.TABLE, http_status=404),
        Code.BAD_TABLE_SIZE: ErrorSpec(Category.TABLE),
        Code.NOBODY_TO_SEAT: ErrorSpec(Category.TABLE, retryable=True),  # once people check in
        Code.BAD_SEATING: ErrorSpec(Category.TABLE),
        Code.BAD_GROUPS: ErrorSpec(Category.TABLE),
        # issue 15: live tables
        Code.NOT_AT_TABLE: ErrorSpec(Category.TABLE),
        Code.NO_SUCH_TABLE: ErrorSpec(Category.TABLE),
        Code.NOT_THE_FACILITATOR: ErrorSpec(Category.TABLE),
        Code.NOT_A_FACILITATOR: ErrorSpec(Category.TABLE),
        Code.BAD_STEP: ErrorSpec(Category.TABLE),
        Code.TOO_MANY_CARDS: ErrorSpec(Category.TABLE),
        Code.BAD_FLAG: ErrorSpec(Category.TABLE),
        Code.BAD_NOTICE: ErrorSpec(Category.TABLE),
        # issue 15: the theme team
        Code.UNKNOWN_THEME: ErrorSpec(Category.THEME, http_status=404),
        Code.BAD_THEME: ErrorSpec(Category.THEME),
        Code.UNKNOWN_CARD: ErrorSpec(Category.THEME, http_status=404),
        Code.DUPLICATE_THEME: ErrorSpec(Category.THEME),
        Code.TOO_MANY_THEMES: ErrorSpec(Category.THEME),
        Code.BAD_THEME_MERGE: ErrorSpec(Category.THEME),
        Code.EMPTY_THEME: ErrorSpec(Category.THEME),
        Code.NOTHING_TO_PUBLISH: ErrorSpec(Category.THEME),
        Code.TOO_MANY_CARDS_NAMED: ErrorSpec(Category.THEME),
        Code.INTERNAL: ErrorSpec(Category.INTERNAL, http_status=500),  # it may or may not have taken effect
        # Redis unreachable, or the hub starting or stopping
        Code.UNAVAILABLE: ErrorSpec(Category.INTERNAL, retryable=True, http_status=503),
        # issue 16: live voice
        Code.VOICE_UNAVAILABLE: ErrorSpec(Category.VOICE),
        Code.NOT_ON_THE_FLOOR: ErrorSpec(Category.VOICE),
        Code.BAD_SDP: ErrorSpec(Category.VOICE),
        Code.TOO_MANY_CANDIDATES: ErrorSpec(Category.VOICE),
        Code.NO_VOICE_SESSION: ErrorSpec(Category.VOICE, retryable=True),  # once live
        Code.VOICE_ELSEWHERE: ErrorSpec(Category.VOICE, retryable=True),
        Code.BAD_VOICE_STEP: ErrorSpec(Category.VOICE),
        Code.TOO_MANY_LISTENERS: ErrorSpec(Category.VOICE, retryable=True),  # once one leaves
        Code.TOO_MANY_VIDEO: ErrorSpec(Category.VOICE),
        Code.BAD_VIDEO_CODEC: ErrorSpec(Category.VOICE),
        Code.LISTENER_SENDS: ErrorSpec(Category.VOICE),
    }
)
"""Every code's row: the one place its category, retry flag and HTTP status are stated."""

if _missing := set(Code) - set(CATALOGUE):
    raise RuntimeError(f"codes without a row in CATALOGUE: {sorted(c.name for c in _missing)}")


class HubError(Exception):
    """An error with a stable code; everything else about it is the code's row in ``CATALOGUE``.

    ``HubError(code, message)`` returns an instance of the code's category class (``VoteError``
    for a vote code...), so ``except`` clauses catch by category. ``retry_after_ms``: how long to
    wait, when the hub knows (a rate limit, a mute, slow mode)."""

    _views: ClassVar[dict[Category, type[HubError]]] = {}
    _category: ClassVar[Category | None] = None

    def __init_subclass__(cls, category: Category | None = None, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if category is not None:
            cls._category = category
            HubError._views[category] = cls

    def __new__(cls, code: Code, message: str = "", *, retry_after_ms: int = 0) -> HubError:
        view = HubError._views[CATALOGUE[code].category]
        if cls is HubError:
            cls = view
        elif not issubclass(cls, view):
            raise TypeError(f"{code.name} is a {view.__name__}: raise HubError(Code.{code.name}, ...)")
        return super().__new__(cls)

    def __init__(self, code: Code, message: str = "", *, retry_after_ms: int = 0) -> None:
        self.code = code
        self.message = message or code.name.lower().replace("_", " ")
        self.retry_after_ms = retry_after_ms
        super().__init__(f"{code.name.lower()}: {self.message}")

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild, (self.code, self.message, self.retry_after_ms))

    @property
    def name(self) -> str:
        return self.code.name.lower()

    @property
    def spec(self) -> ErrorSpec:
        return CATALOGUE[self.code]

    @property
    def category(self) -> Category:
        return CATALOGUE[self.code].category

    @property
    def retryable(self) -> bool:
        """Whether the same command may succeed later: the code's row, never the raise site."""
        return CATALOGUE[self.code].retryable

    @property
    def http_status(self) -> int:
        return CATALOGUE[self.code].http_status


def _rebuild(code: Code, message: str, retry_after_ms: int) -> HubError:
    return HubError(code, message, retry_after_ms=retry_after_ms)


class ProtocolError(HubError, category=Category.PROTOCOL):
    pass


class AuthError(HubError, category=Category.AUTH):
    pass


class LimitError(HubError, category=Category.LIMIT):
    pass


class ChannelError(HubError, category=Category.CHANNEL):
    pass


class ChatError(HubError, category=Category.CHAT):
    pass


class VoteError(HubError, category=Category.VOTE):
    pass


class ModerationError(HubError, category=Category.MODERATION):
    pass


class PanelError(HubError, category=Category.PANEL):
    pass


class ProposalError(HubError, category=Category.PROPOSAL):
    pass


class TableError(HubError, category=Category.TABLE):
    pass


class InternalError(HubError, category=Category.INTERNAL):
    pass


class VoiceError(HubError, category=Category.VOICE):
    """Live voice (issue 16): who may signal, the session's steps, bad SDP, candidate floods."""


class ThemeError(HubError, category=Category.THEME):
    """The theme team's themes (issue 15, ``tables/themes.py``)."""
