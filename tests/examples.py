"""How many examples a property test runs: the size it states, scaled by the Hypothesis profile.

``make test`` runs every property at the size its test states (``examples(20)``: 20), chosen so the
whole suite stays under ten minutes on two cores; ``make properties`` runs the same tests with
``--hypothesis-profile=long`` (registered in ``tests/conftest.py``), ten times as many examples each,
for the long runs a change to a codec, a state machine or a tally deserves. A test that states its
size with a plain ``max_examples=`` instead would not grow in the long run.

A test whose cost is the size of one input rather than a number of examples (the lottery's big
draw) states both sizes with ``sized(small, full)``: the small one in ``make test``, the full one
under the long profile.
"""

from __future__ import annotations

from hypothesis import settings

LONG = "long"
"""The profile of ``make properties``: Hypothesis' default of 100 examples times ten."""
LONG_FACTOR = 10
DEFAULT_EXAMPLES = 100  # Hypothesis' own default: the size every profile is scaled from


def register_profiles() -> None:
    """Called by ``tests/conftest.py`` before pytest reads ``--hypothesis-profile``."""
    settings.register_profile(LONG, max_examples=DEFAULT_EXAMPLES * LONG_FACTOR)


def examples(n: int) -> int:
    """``n`` in ``make test``; ``n`` times the loaded profile's factor otherwise (read when the test
    module is imported, after pytest loaded the profile)."""
    return max(1, n * settings.default.max_examples // DEFAULT_EXAMPLES)


def sized(small: int, full: int) -> int:
    """``small`` in ``make test``; ``full`` under a longer profile (``make properties``): for an input
    whose size is what the test costs, checked at full size where the suite's budget is not at stake
    (read when the test module is imported, after pytest loaded the profile)."""
    return small if settings.default.max_examples <= DEFAULT_EXAMPLES else full
