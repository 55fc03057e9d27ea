"""Who voted against who is on the panel: a published vote's turnout by stratum, as shares.

The public results page draws, for each stratum of the panel (gender, age band, district) and each
of its values, two bars: the value's share of the panel (the vote's eligible panelists) and its
share of those who voted. A stratum whose voters are a smaller share than its seats on the panel
was under-represented in the count. This module is that rule, a pure function of the turnout table
(:func:`ballot.turnout.turnout_table`), so the page only draws what it is given.

Public on purpose, and only once the vote is published (``GET /api/votes/<vote>/turnout``): counts
of people per stratum value, never who. Who is connected now (the table's ``present``) is left out:
it says nothing about the count and changes by the second.
"""

from __future__ import annotations

import msgspec

from ballot.turnout import STRATA, Turnout


class Share(msgspec.Struct, frozen=True, kw_only=True):
    """One stratum value: its panelists (``panel``, of ``panel_total``) and its voters (``voted``,
    of ``voted_total``), each also as a share in [0, 1] rounded to 4 places (0 when the total is 0)."""

    value: str
    panel: int
    voted: int
    panel_share: float
    voted_share: float


class Stratum(msgspec.Struct, frozen=True, kw_only=True):
    """One feature (``gender``, ``age_band``, ``district``): its values in the table's order (roster
    order), and the totals the shares are of."""

    feature: str
    panel_total: int
    voted_total: int
    values: list[Share]


class Composition(msgspec.Struct, frozen=True, kw_only=True):
    """What ``GET /api/votes/<vote>/turnout`` answers: the totals, then one :class:`Stratum` per
    feature of :data:`ballot.turnout.STRATA`, in that order."""

    vote: str
    eligible: int
    voted: int
    strata: list[Stratum]


def share(part: int, whole: int) -> float:
    """``part / whole`` rounded to 4 places; 0 for an empty whole (a feature nobody voted in has no
    share to show, not a division error)."""
    return round(part / whole, 4) if whole > 0 else 0.0


def composition(table: Turnout) -> Composition:
    """The shares of ``table``, per feature: each value's panelists over the feature's panelists on
    the roster, and its voters over the feature's voters. A feature's totals are sums of its rows
    (not the table's totals), so that its shares add up to 1: an eligible panelist missing from the
    roster is in no row, and the two sets of totals may differ by them."""
    strata = []
    for feature in STRATA:
        rows = table.strata.get(feature, {})
        panel_total = sum(r.eligible for r in rows.values())
        voted_total = sum(r.voted for r in rows.values())
        strata.append(
            Stratum(
                feature=feature,
                panel_total=panel_total,
                voted_total=voted_total,
                values=[
                    Share(
                        value=value,
                        panel=r.eligible,
                        voted=r.voted,
                        panel_share=share(r.eligible, panel_total),
                        voted_share=share(r.voted, voted_total),
                    )
                    for value, r in rows.items()
                ],
            )
        )
    return Composition(vote=table.vote, eligible=table.eligible, voted=table.voted, strata=strata)
