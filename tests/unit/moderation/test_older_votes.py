"""Votes from before issue 13 get the home the pages found them by then (moderation/meeting_votes.py
``older_home``); the help contact every page shows is checked before it is stored
(moderation/help_contact.py ``clean``)."""

from __future__ import annotations

import pytest

from engine.errors import Code, HubError
from moderation import help_contact, meeting_votes

MEETINGS = {"plenary", "health", "m-1"}


@pytest.mark.parametrize(
    ("vote_id", "eligibility", "home"),
    [
        ("plenary-1", "panelists", "plenary"),  # the console's "회의ID-번호"
        ("plenary-12", "panelists", "plenary"),
        ("m-1-3", "panelists", "m-1"),  # a meeting id with a dash: the number is the last part
        ("health-2", "health", "health"),  # restricted: its own meeting, whatever the name
        ("budget", "health", "health"),
        ("budget", "panelists", None),  # no number: never found by a page before either
        ("plenary-w1", "panelists", None),
        ("nowhere-1", "panelists", None),  # no such meeting
        ("gone-1", "gone", None),  # restricted to a meeting that is not there
        ("plenary-", "panelists", None),
    ],
)
def test_an_older_vote_s_home_is_where_the_pages_looked_for_it(
    vote_id: str, eligibility: str, home: str | None
) -> None:
    assert meeting_votes.older_home(vote_id, eligibility, MEETINGS) == home


def test_the_help_contact_is_cleaned_and_bounded() -> None:
    cleaned = help_contact.clean(help_contact.HelpContact(phone=" 02-2133-0000 ", hours="평일\u200b 9시"))
    assert cleaned == help_contact.HelpContact(phone="02-2133-0000", hours="평일 9시")
    assert help_contact.clean(help_contact.DEMO) == help_contact.DEMO
    with pytest.raises(HubError) as err:
        help_contact.clean(help_contact.HelpContact(phone="call 02-123"))
    assert err.value.code is Code.BAD_FIELD and "phone" in err.value.message
    with pytest.raises(HubError) as err:
        help_contact.clean(help_contact.HelpContact(note="가" * (help_contact.LIMITS["note"] + 1)))
    assert err.value.code is Code.BAD_FIELD and "note" in err.value.message
