"""The types of a ranked vote: its definition, its lifecycle states and the ballots the store records.

Theory of operation: a host drafts a :class:`VoteDefinition`; when the vote opens the definition is
frozen and its hash (:func:`definition_hash`) becomes the genesis of the public bulletin board, so
every counted ballot is chained to the exact proposals and rule it was cast under. The store records
each accepted ballot as a :class:`BallotRecord` (private: it names the voter); only the tracking code
and the ranking of the counted ones ever reach the board.

Canonical encoding (:func:`canonical`): JSON, UTF-8, no whitespace, object keys sorted, every field
present (defaults included). It is the same as a generic "sort the keys, drop the whitespace"
canonicalisation of the parsed document, so a third-party verifier in any language can re-encode what
it parsed without knowing our schema. Hashes are computed over these bytes only. Because every field is
encoded, adding a field changes the encoding: that is a new export format, never a silent change.
"""

from __future__ import annotations

import hashlib
from enum import StrEnum
from typing import Any, Final, Literal, get_args

import msgspec

MethodName = Literal[
    "schulze", "ranked_pairs", "borda", "copeland", "instant_runoff"
]  # = keys of TallyResult
RuleKind = Literal["rank_all", "top_k"]

METHODS: Final[tuple[str, ...]] = get_args(MethodName)
RULE_KINDS: Final[tuple[str, ...]] = get_args(RuleKind)
PANELISTS: Final = "panelists"
"""The eligibility value meaning "every panelist of the assembly"; any other value is a meeting id."""


class Proposal(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """One policy proposal on the ballot. ``id`` is what ballots, the board and the exports carry."""

    id: str
    title: str
    description: str = ""
    topic: str = ""


class BallotRule(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """How long a ranking may be.

    - ``rank_all``: the ranking may list every proposal; ``k`` must be left unset.
    - ``top_k``: the ranking lists at most ``k`` proposals.

    ``minimum`` is the shortest accepted ranking; unset means "as long as the maximum", so the defaults
    ask for a full ballot under the rule (all proposals, or exactly ``k``). Truncated ballots are
    allowed only when the host says so by lowering ``minimum``.
    """

    kind: RuleKind
    k: int | None = None
    minimum: int | None = None


class VoteDefinition(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """Everything that decides how ballots are read and counted, fixed when the vote opens.

    ``method`` decides the published order; ``shown_methods`` are computed and shown beside it for
    transparency only. ``tie_break`` is a permutation of the proposal ids, earlier wins, used by every
    method so that no tie is ever broken by chance. ``eligibility`` is :data:`PANELISTS` or a meeting
    id. ``grace_seconds`` is how long after the close a ballot already in flight is still accepted.
    ``scheduled_close`` is a Unix time in milliseconds (UTC) shown to panelists; a host still closes
    the vote explicitly.
    """

    vote_id: str
    title: str
    proposals: tuple[Proposal, ...]
    rule: BallotRule
    method: MethodName
    tie_break: tuple[str, ...]
    shown_methods: tuple[MethodName, ...] = ()
    eligibility: str = PANELISTS
    grace_seconds: int = 0
    scheduled_close: int | None = None

    @property
    def proposal_ids(self) -> tuple[str, ...]:
        return tuple(p.id for p in self.proposals)

    def ranking_bounds(self) -> tuple[int, int]:
        """The (shortest, longest) accepted ranking length. Assumes a validated definition."""
        longest = len(self.proposals) if self.rule.kind == "rank_all" else (self.rule.k or 0)
        shortest = longest if self.rule.minimum is None else self.rule.minimum
        return shortest, longest


class VoteState(StrEnum):
    """Where a vote is in its lifecycle; the moves between states are in ``ballot.rules.TRANSITIONS``."""

    DRAFT = "draft"
    OPEN = "open"
    CLOSED = "closed"
    PUBLISHED = "published"


class Channel(StrEnum):
    """How a ballot reached the store; decides which of a panelist's ballots counts (``rules.choose_counted``)."""

    ONLINE = "online"  # the panelist's own device, through the hub; a later online ballot is a revote
    PAPER = "paper"  # a paper ballot handed in at the hall, keyed in by a clerk
    PHONE = "phone"  # a pre-vote taken by staff over the phone before the plenary, merged into the store


class BallotRecord(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """One accepted ballot as the store keeps it. Private: ``voter`` never leaves the store.

    ``seq`` is the store's acceptance order for the vote (a Redis counter, so a total order across
    hubs, unlike wall clocks); ``received_ms`` is the hub's time, for people, not for ordering.
    ``entered_by`` names the clerk or operator for paper and phone ballots, empty online.
    """

    vote_id: str
    voter: str
    ranking: tuple[str, ...]
    channel: Channel
    seq: int
    nonce: str
    salt: str
    tracking_code: str
    received_ms: int
    entered_by: str = ""


def _to_builtin(obj: Any) -> Any:
    # numpy scalars and arrays (the tally's output) have no JSON form of their own.
    if hasattr(obj, "tolist"):
        return obj.tolist()
    raise TypeError(f"cannot encode {type(obj).__name__} canonically")


_ENCODER: Final = msgspec.json.Encoder(order="sorted", enc_hook=_to_builtin)


def canonical(obj: object) -> bytes:
    """The canonical JSON bytes of ``obj`` (see the module docstring). The only input to our hashes.

    numpy values are turned into plain lists and numbers first, so a tally's output encodes the same
    whether it holds ``numpy.int64`` or ``int``.
    """
    return _ENCODER.encode(obj)


def sha256_hex(data: bytes) -> str:
    """Lower-case hex SHA-256: the one hash function of receipts, the board and exports."""
    return hashlib.sha256(data).hexdigest()


def definition_hash(defn: VoteDefinition) -> str:
    """SHA-256 of the canonical definition: the bulletin board's genesis ``prev_hash``."""
    return sha256_hex(canonical(defn))
