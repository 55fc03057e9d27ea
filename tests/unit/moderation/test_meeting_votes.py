"""Which meeting's pages show a vote (moderation/meeting_votes.py): the rule as a pure function."""

from __future__ import annotations

import pytest

from engine.errors import Code, HubError
from moderation import meeting_votes
from moderation.state import State


def test_a_vote_for_all_panelists_is_shown_where_the_host_created_it() -> None:
    assert meeting_votes.home_meeting("panelists", "plenary") == "plenary"
    assert meeting_votes.home_meeting("panelists", "health") == "health"


def test_a_vote_for_all_panelists_created_without_a_meeting_has_no_home_whatever_its_name() -> None:
    assert meeting_votes.home_meeting("panelists", None) is None


def test_a_vote_restricted_to_a_meeting_is_shown_there() -> None:
    assert meeting_votes.home_meeting("health", None) == "health"
    assert meeting_votes.home_meeting("health", "health") == "health"


def test_a_vote_restricted_to_one_meeting_cannot_be_shown_in_another() -> None:
    with pytest.raises(HubError) as err:
        meeting_votes.home_meeting("health", "transport")
    assert err.value.code is Code.BAD_VOTE_DEFINITION


def test_announcing_twice_publishes_once() -> None:
    entry = meeting_votes.listing("v-1", "교통", "panelists")
    first = meeting_votes.announce_rule(entry)(State({}, {}, 0))
    assert first.event == meeting_votes.ANNOUNCED and first.sets == {"vote:v-1": entry}
    again = meeting_votes.announce_rule(entry)(State({"vote:v-1": entry}, {}, 1))
    assert again.event == ""
