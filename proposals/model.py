"""What a proposal is: its sections, states, fields and their bounds, as plain typed records.

A panelist of a topic meeting writes a proposal for the city: a title, the problem, what the city
should do, and the policy section it belongs to (:data:`SECTIONS`). Co-authors join it, other
panelists support it (공감) and comment; moderators merge duplicates, edit it with every author's
consent, or return it with a reason. The life of a proposal and every rule on it is
``proposals/rules.py``; this module only says what the records hold, so the store, the rules and
the protocol read one definition (docs/proposals.md).

Records are ``msgspec`` Structs because a channel's state is MessagePack (the subscribe snapshot
decodes it): a record goes to Redis and to the wire as a plain map.
"""

from __future__ import annotations

from enum import StrEnum
from types import MappingProxyType
from typing import Final

import msgspec

SECTIONS: Final = MappingProxyType(
    {
        "health": ("보건", "Health"),
        "childcare": ("돌봄·보육", "Care and childcare"),
        "transport": ("교통", "Transport"),
        "economy": ("경제", "Economy and jobs"),
        "environment": ("환경", "Environment"),
        "housing": ("주거", "Housing"),
        "education": ("교육", "Education"),
        "welfare": ("복지", "Welfare"),
        "safety": ("안전", "Safety"),
        "culture": ("문화", "Culture"),
    }
)
"""The policy sections a proposal belongs to: English key (what the wire and Redis carry) -> its
name in Korean and in English. The Seoul assembly's topic meetings follow such a list; a section is
open for proposals in a meeting only when its moderators open it (``proposal.sections``)."""


class PState(StrEnum):
    """Where a proposal is on its way to the plenary ballot."""

    SUBMITTED = "submitted"  # in its topic meeting: joined, supported, commented, edited
    MERGED = "merged"  # a moderator joined it into a duplicate; its supports went there (final)
    RETURNED = "returned"  # a moderator returned it with a reason (final; its authors may submit anew)
    SHORTLISTED = "shortlisted"  # its meeting's shortlist vote kept it
    ON_BALLOT = "on_ballot"  # a ballot item of the plenary vote
    DECIDED = "decided"  # the plenary decided; the city's response follows


TITLE_CHARS: Final = 100
TEXT_CHARS: Final = 2000
"""At most this many characters in ``problem`` and in ``action`` (after cleaning), and in a comment."""
COMMENT_CHARS: Final = 1000
REASON_CHARS: Final = 500
"""A moderator's reason for returning a proposal, or the note of an edit they propose."""
MAX_AUTHORS: Final = 10
"""The submitter and up to nine co-authors (a table of a topic meeting); a merge may add more."""
MAX_PER_AUTHOR: Final = 10
"""Proposals one panelist may submit in one meeting: far more than a person writes, and a bound on
the meeting's state (issue 9's rule: every record grows only as far as its bound)."""
MAX_COMMENTS_PER_AUTHOR: Final = 200
"""Comments one participant may write in one meeting, over all its proposals."""


class Person(msgspec.Struct, frozen=True):
    """An author, a commenter, a moderator who edited: the id and the name as the roster has them."""

    id: str
    name: str


class Edit(msgspec.Struct, frozen=True, kw_only=True):
    """A change a moderator proposes, waiting for every author's consent: the fields it changes
    (the others stay as they are), who proposed it, why, and the authors who accepted so far."""

    by: Person
    at: int
    note: str = ""
    section: str = ""
    title: str = ""
    problem: str = ""
    action: str = ""
    consents: tuple[str, ...] = ()


class ThemeCard(msgspec.Struct, frozen=True, kw_only=True):
    """One card of a theme (issue 15): its id, its table and its text when the theme team put it on
    the theme (``tables/themes.py`` ``CardRef``)."""

    id: str
    table: str
    text: str


class FromTheme(msgspec.Struct, frozen=True, kw_only=True):
    """Where a proposal made from a theme came from (issue 15, ``theme.to_proposal``): the meeting's
    theme, its title and its cards with their tables. Carried into every ballot item the proposal
    becomes (``provenance.Provenance.theme``): card, table, theme, ballot item."""

    theme: str
    title: str
    cards: tuple[ThemeCard, ...]

    def tables(self) -> list[str]:
        """The tables its cards came from, each once, in order of first card."""
        return list(dict.fromkeys(c.table for c in self.cards))


class Shortlisted(msgspec.Struct, frozen=True, kw_only=True):
    """Where its meeting's shortlist vote (a ranked vote of the meeting's panelists, ``ballot/``)
    put the proposal: the vote and the proposal's place in its published order (1 = first)."""

    vote: str
    rank: int


class OnBallot(msgspec.Struct, frozen=True, kw_only=True):
    """The proposal as an item of the plenary ballot: the plenary vote, the item's id on that
    ballot, and, once the result is published, its place in the published order (0 until then)."""

    vote: str
    item: str
    rank: int = 0


class ResponseStatus(StrEnum):
    """The city's answer to a proposal the plenary decided on."""

    ACCEPTED = "accepted"  # the city will do it
    UNDER_REVIEW = "under_review"  # the city is studying it
    REJECTED = "rejected"  # the city will not do it, and says why


class CityResponse(msgspec.Struct, frozen=True, kw_only=True):
    """The city's response to a decided proposal: the answer, the department responsible, the
    text (what the city will do, or why not: required when rejected), who recorded it and when."""

    status: ResponseStatus
    department: str
    text: str
    by: Person
    at: int


class Proposal(msgspec.Struct, frozen=True, kw_only=True):
    """A proposal as every member of its meeting sees it (``p:<id>`` of the channel's state).

    ``supports``: how many panelists support it (who, only they know: never published).
    ``version``: 1 at submission, one more per accepted edit (``proposal.get`` lists every one).
    ``merged_into``: the proposal it was merged into (0: none); ``merged_from``: those merged into
    it. ``reason``: why a moderator returned it. ``edit``: a moderator's edit waiting for consent.
    ``shortlist``, ``ballot``, ``response``: its provenance past the meeting (the shortlist vote and
    rank, the plenary ballot item and rank) and the city's response; unset until reached."""

    id: int
    meeting: str
    section: str
    title: str
    problem: str
    action: str
    authors: tuple[Person, ...]
    state: PState = PState.SUBMITTED
    version: int = 1
    supports: int = 0
    comments: int = 0
    merged_into: int = 0
    merged_from: tuple[int, ...] = ()
    reason: str = ""
    edit: Edit | None = None
    at: int = 0
    updated: int = 0
    shortlist: Shortlisted | None = None
    ballot: OnBallot | None = None
    response: CityResponse | None = None
    theme: FromTheme | None = None  # issue 15: made from a theme of the theme team (its provenance)

    def author_ids(self) -> frozenset[str]:
        return frozenset(a.id for a in self.authors)


class Version(msgspec.Struct, frozen=True, kw_only=True):
    """One version of a proposal's text, kept for the record: who wrote it (the submitter for the
    first, the moderator who proposed an edit for the others, with the authors who consented) and
    when."""

    version: int
    section: str
    title: str
    problem: str
    action: str
    by: Person
    at: int
    consents: tuple[str, ...] = ()
    note: str = ""


class Comment(msgspec.Struct, frozen=True, kw_only=True):
    n: int
    by: Person
    text: str
    at: int
