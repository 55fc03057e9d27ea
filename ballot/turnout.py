"""Turnout: how many of a vote's eligible panelists voted and how many are here, overall and by stratum.

The host's and the ops desk's table (``vote.turnout``): beside each stratum of the panel (gender, age
band, district) how many may vote, how many did and how many are connected now, so that a stratum
falling behind shows while the vote is open. :func:`turnout_table` is the rule, a pure function of
what the store and the hub hold; the handler only reads its inputs.

Who voted is counted in Redis as ballots arrive (``cast.lua``, a voter's first ballot only): a
``voted`` total and one counter per stratum, named :func:`counter_key`, for each stratum the voter
has, or :data:`UNKNOWN` for a stratum the roster gives no value (:func:`stratum_value`, the one rule
both sides use, so that every voter is in one row of each stratum). Who may vote (the eligible set, fixed at the open) and who is present are read as they are now.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from typing import Final, Protocol

import msgspec

STRATA: Final = ("gender", "age_band", "district")
"""The features turnout is broken down by, in the reply's order (the panel's lottery strata)."""

UNKNOWN: Final = "unknown"
"""The row of the eligible panelists the roster gives no value for a feature."""


class Stratified(Protocol):
    """What the table reads of a roster entry (``panel.roster.Participant``; ballot/ does not import
    panel/, so the rule names only the fields it needs)."""

    @property
    def id(self) -> str: ...

    @property
    def gender(self) -> str: ...

    @property
    def age_band(self) -> str: ...

    @property
    def district(self) -> str: ...


class Row(msgspec.Struct, frozen=True):
    """One stratum's value: eligible panelists, those who voted, those connected now."""

    eligible: int
    voted: int
    present: int


class Turnout(msgspec.Struct, frozen=True):
    """The table ``vote.turnout`` answers: the totals, then ``strata``: feature -> value -> row."""

    vote: str
    eligible: int
    voted: int
    present: int
    strata: dict[str, dict[str, Row]]


def stratum_value(value: str) -> str:
    """The row a panelist is counted in for one feature: their value, or :data:`UNKNOWN` when the roster
    gives none. The table's rows and the store's counters (``VoteStore`` passes it to ``cast.lua``)
    both take it from here: a voter with no value for a feature is counted in its unknown row, so a
    feature's ``voted`` adds up to the voters on the roster."""
    return value or UNKNOWN


def counter_key(feature: str, value: str) -> str:
    """The name of the counter of voters with ``value`` for ``feature`` (``cast.lua`` bumps
    ``gender:female`` and the like on a voter's first ballot, for each stratum the voter has)."""
    return f"{feature}:{value}"


def turnout_table(
    vote_id: str,
    eligible: Collection[str],
    roster: Iterable[Stratified],
    present: Collection[str],
    counts: Mapping[str, int],
) -> Turnout:
    """The turnout of ``vote_id`` from the ids that may vote in it (``eligible``), the roster, the ids
    connected now (``present``) and the store's counters (``counts``: ``voted`` and the
    :func:`counter_key` ones).

    Totals: ``eligible`` counts the eligible set, ``voted`` is the store's count, ``present`` the
    eligible panelists on the roster who are connected. By stratum, the rows list the values of the
    eligible panelists on the roster, in roster order (a panelist with no value for a feature is in
    the :data:`UNKNOWN` row, :func:`stratum_value`); each row's ``voted`` is the store's counter of
    that value. A feature's rows add up to the eligible and present totals of the eligible panelists
    on the roster, and their ``voted`` to those of them who voted.
    """
    people = [p for p in roster if p.id in eligible]
    strata: dict[str, dict[str, Row]] = {}
    for feature in STRATA:
        tally: dict[str, list[int]] = {}
        for p in people:
            row = tally.setdefault(stratum_value(getattr(p, feature)), [0, 0])
            row[0] += 1
            row[1] += p.id in present
        strata[feature] = {
            value: Row(eligible=n, voted=counts.get(counter_key(feature, value), 0), present=here)
            for value, (n, here) in tally.items()
        }
    return Turnout(
        vote=vote_id,
        eligible=len(eligible),
        voted=counts["voted"],
        present=sum(1 for p in people if p.id in present),
        strata=strata,
    )
