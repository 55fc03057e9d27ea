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

**Votes from before** (:func:`older_home`, :func:`home_older_votes`): a vote created before issue 13
was never announced, so without a step of its own it would vanish from the pages after the upgrade.
Its home is what the pages looked for then: the meeting it is restricted to, else the meeting its
name starts with (``<meeting>-<n>``, the host console's "회의ID-번호"), if that meeting exists; a
hub gives those votes their home when it starts, once per Redis (``engine.keys.VOTE_HOMES``), so a
vote created afterwards without a meeting stays without a home whatever its name.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Collection
from typing import Any

from ballot.model import PANELISTS
from ballot.store import VoteStore
from engine import keys
from engine.channels import ChannelLog
from engine.errors import Code, HubError
from moderation.meetings import Meetings
from moderation.state import Change, Committed, State, StateChannel

_log = logging.getLogger("plenary.moderation.meeting_votes")

ANNOUNCED = "vote.announced"
OLDER_NAME = re.compile(r"^(?P<meeting>.+)-[0-9]+$")
"""How the pages found a meeting's votes before issue 13: ``<meeting id>-<number>``."""


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


def older_home(vote_id: str, eligibility: str, meetings: Collection[str]) -> str | None:
    """The home of a vote created before votes were announced (None: none): the meeting it is
    restricted to, else the existing meeting its name starts with (``plenary-2``: ``plenary``), as
    the pages found it then."""
    if eligibility != PANELISTS:
        return eligibility if eligibility in meetings else None
    named = OLDER_NAME.match(vote_id)
    if named is not None and named.group("meeting") in meetings:
        return named.group("meeting")
    return None


async def home_older_votes(votes: VoteStore, meetings: Meetings) -> list[tuple[str, str]]:
    """List every vote from before issue 13 on its home meeting's channel (:func:`older_home`), once
    per Redis: after the first run (``keys.VOTE_HOMES`` set) it does nothing. Returns the (vote,
    meeting) pairs it listed. Two hubs starting together may both run it: announcing is idempotent."""
    redis = votes.log.redis
    if await redis.exists(keys.VOTE_HOMES):
        return []
    known = {m.id for m in await meetings.all()}
    listed: list[tuple[str, str]] = []
    for vote_id in await votes.ids():
        try:
            defn = await votes.definition(vote_id)
        except HubError:  # listed but never stored (a create that failed half-way): nothing to show
            continue
        home = older_home(vote_id, defn.eligibility, known)
        if home is not None:
            await announce(votes.log, home, vote_id, defn.title, defn.eligibility)
            listed.append((vote_id, home))
    await redis.set(keys.VOTE_HOMES, "1")
    if listed:
        _log.warning("listed %d votes from before issue 13 on their meetings' pages", len(listed))
    return listed
