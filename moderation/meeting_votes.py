"""Which votes a meeting's pages show, and how a new one reaches them at once.

**The rule** (:func:`home_meeting`): a vote is shown on the pages of one meeting, its *home*:

- the meeting it is restricted to (its ``eligibility`` is a meeting id); a vote restricted to one
  meeting cannot be shown on another's pages (only the first meeting's members may see it);
- otherwise (open to every panelist) the meeting the host created it in (``vote.create``'s
  ``meeting``: the host console sends the meeting chosen in its form);
- a vote open to every panelist and created without a meeting has no home: it is reached by its
  own link (``/vote?vote=<id>``), never found by a page.

Before issue 13 the pages found a meeting's votes by their names (``<meeting>-<n>``), looking again
every 15-30 s. Now the name means nothing: the home is announced on the meeting's channel
``meeting/<id>/votes`` (state ``vote:<id>`` per vote, event ``vote.announced``), which a page follows
like any other, so a new vote reaches it within the fan-out's delay, and a late joiner's snapshot
lists every vote of the meeting. Seeing a vote's contents is still ``realtime.roles.may_see_vote``'s
rule, checked by ``vote.get`` and the ``vote/<id>`` channel.

The announcement follows the vote's creation (they are in different Redis Cluster slots, so not one
script): a vote whose announcement failed exists but is not listed, and the host got an error.
The host's retry (the same ``vote.create``) is refused as a vote that exists already, but lists it
first (``realtime/commands/vote.py``): announcing is idempotent.
"""

from __future__ import annotations

from typing import Any

from ballot.model import PANELISTS
from engine import keys
from engine.channels import ChannelLog
from engine.errors import Code, HubError
from moderation.state import Change, Committed, State, StateChannel

ANNOUNCED = "vote.announced"


def home_meeting(eligibility: str, meeting: str | None) -> str | None:
    """The meeting whose pages show a vote (None: none), by the rule above; a vote restricted to a
    meeting but created in another is ``bad_vote_definition``."""
    if eligibility != PANELISTS:
        if meeting is not None and meeting != eligibility:
            raise HubError(
                Code.BAD_VOTE_DEFINITION,
                f"a vote for the members of {eligibility!r} is shown in that meeting, not in {meeting!r}",
            )
        return eligibility
    return meeting


def listing(vote_id: str, title: str, eligibility: str) -> dict[str, Any]:
    """What the channel says of a vote: enough to decide to ask ``vote.get``, nothing secret."""
    return {"vote": vote_id, "title": title, "eligibility": eligibility}


def announce_rule(entry: dict[str, Any]) -> Any:
    field = f"vote:{entry['vote']}"

    def rule(state: State) -> Change:
        if state.get(field) == entry:
            return Change("", None, result=entry)  # announced already: nothing to publish
        return Change(ANNOUNCED, entry, sets={field: entry}, guards=(field,), result=entry)

    return rule


async def announce(log: ChannelLog, meeting: str, vote_id: str, title: str, eligibility: str) -> Committed:
    """List a vote on its home meeting's channel (idempotent)."""
    channel = keys.meeting_votes(keys.check_id(meeting, "meeting id"))
    return await StateChannel(log, channel).update(announce_rule(listing(vote_id, title, eligibility)))
