"""Who may do what, and how much: the tables the server checks, all in this one module.

- ``COMMAND_ROLES``: command -> roles, checked before every command (``realtime.commands.registry.run``);
  the Q&A rows come from ``moderation/qa.py``'s rule table, the chat's (who may send, report, delete
  a message, mute, ban...) from ``moderation/chat.py`` and the stream overlay's from
  ``moderation/overlay.py``, where those rules live.
- ``CHANNEL_ROLES`` and ``check_channel``: who may follow a channel; a meeting's channels (its
  overlay too) also need membership; a vote restricted to a meeting is its members' (``may_see_vote``).
- ``HTTP_ROLES``: every HTTP route -> roles, checked by ``realtime.http.guard`` before its handler.
- ``RATE_CLASSES`` and ``COMMAND_RATES``: how fast one participant may send each command that
  writes or fans out, over every connection and hub (issue 9); ``MAX_CONNECTIONS``: how many
  connections one participant may hold.

The roles themselves and the sets the tables name (``MODERATORS``, ``ATTENDEES``, ``HOSTS``...) are
``engine/roles.py``, shared with the domain's rules.

Pages hide buttons a role cannot use, but that is only convenience: these tables are the rule.
Tests run every command and every HTTP route against every role.
"""

from __future__ import annotations

from engine import keys
from engine.errors import Code, HubError
from engine.limits import Bucket
from engine.roles import (
    ALL,
    AT_TABLES,
    ATTENDEES,
    CAPTIONERS,
    CLERKS,
    DESK,
    FACILITATORS,
    HOSTS,
    MODERATORS,
    OPERATORS,
    PANELISTS,
    RECORD_KEEPERS,
    SPEAKERS,
    THEME_TEAM,
    Role,
)
from moderation import chat, overlay, qa
from panel.roster import Participant
from proposals import rules as proposal_rules  # issue 14: proposals
from tables import rules as table_rules  # issue 15: live tables

THEME_COMMANDS = (
    "theme.create", "theme.assign", "theme.rename", "theme.merge", "theme.delete",
    "theme.publish", "theme.suggest", "theme.to_poll", "theme.to_proposal",
)  # fmt: skip
"""The theme team's commands (issue 15)."""

COMMAND_ROLES: dict[str, frozenset[Role]] = {
    "hello": ALL,
    "ping": ALL,
    "subscribe": ALL,
    "unsubscribe": ALL,
    "meeting.list": ALL,
    "vote.create": HOSTS,
    "vote.open": HOSTS,
    "vote.close": HOSTS,
    "vote.publish": HOSTS,
    "vote.get": ALL,
    "vote.cast": PANELISTS,
    "vote.paper": CLERKS,
    "vote.turnout": OPERATORS,
    "vote.list": ALL,
    "vote.mine": PANELISTS,  # the caller's own ballots only
    # moderation (issue 5): Q&A rows come from the rule table (moderation/qa.py), the others here
    **{f"qa.{name}": r.roles for name, r in qa.RULES.items()},
    "qa.mine": PANELISTS,
    # chat: who sends, reports and moderates (deleting a message, mute, ban, settings, the console)
    **chat.command_roles(),
    "chat.status": ATTENDEES,
    "speakers.raise": PANELISTS,
    "speakers.lower": SPEAKERS,  # panelists their own hand only (moderation/speakers.py)
    "speakers.yield": SPEAKERS,  # panelists only while they have the floor
    **dict.fromkeys(("speakers.order", "speakers.next", "speakers.timer"), MODERATORS),
    **dict.fromkeys(("agenda.set", "agenda.current", "slide.show", "slide.clear", "materials.set"), HOSTS),
    **dict.fromkeys(
        ("poll.create", "poll.open", "poll.close", "poll.publish", "poll.results", "poll.export"), HOSTS
    ),
    **overlay.command_roles(),  # who puts things on the stream: moderation/overlay.py
    "poll.answer": PANELISTS,
    "caption.send": CAPTIONERS,  # live captions (issue 13): captioners, and hosts without one
    # issue 14: proposals. The steps' rows come from the rule table (proposals/rules.py); reading
    # is every member's (the open record), the meeting's membership checked by the handlers
    **{f"proposal.{name}": r.roles for name, r in proposal_rules.RULES.items()},
    **dict.fromkeys(("proposal.list", "proposal.get"), ATTENDEES),
    # issue 14: attendance (the hall desk; the quorum and the hall-only vote for hosts)
    **dict.fromkeys(("attendance.checkin", "attendance.checkout", "attendance.paper"), DESK),
    **dict.fromkeys(("attendance.quorum", "attendance.hall_vote"), HOSTS),
    # issue 15: live tables. Cards (and flags) from a table's facilitator, or a host standing in
    # (tables/rules.py ``check_poster`` holds a facilitator to their own table)
    "table.card": FACILITATORS,
    "table.flag": FACILITATORS,
    "table.facilitator": HOSTS,
    **dict.fromkeys(("table.step", "table.notice"), HOSTS),
    "table.say": AT_TABLES,  # at their own table only (``check_table``)
    "table.get": AT_TABLES | MODERATORS,  # a member their own table; staff any
    # issue 16: live voice. Speakers offer (moderation/voice.py: only the one who holds the floor),
    # moderators and hosts listen; the speaker ends their own session, moderators anyone's
    **dict.fromkeys(("voice.offer", "voice.candidate", "voice.end"), SPEAKERS),
    "voice.listen": MODERATORS,
    # the STUN/TURN servers for a page's own peer connection: the floor's holder, moderators, hosts
    # (moderation/voice_ice.py ``check_may_have_ice``)
    "voice.config": SPEAKERS,
    # issue 15: the theme team (tables/themes.py); reading the drafts is the team's too
    **dict.fromkeys(THEME_COMMANDS, THEME_TEAM),
}

# -- rates (issue 9): which commands write or fan out, and how fast one participant may send them --
# A class is one token bucket per participant in Redis, shared by every connection on every hub
# (``engine.limits.RateLimiter``); the check is made once, in ``realtime.commands.registry.run``
# (for ``registry.RATE_IN_STORE``, the casts, by ``cast.lua`` in the ballot's step, the bucket then
# per vote: ``engine.keys.vote_rate_bucket``). A command
# mapped to None reads only (or, for chat.send, is limited by the chat rule of moderation/chat.py,
# atomically with the send); every connection's own bucket (``Settings.rate``) still applies.
RATE_CLASSES: dict[str, Bucket] = {
    "qa_vote": Bucket(rate=1, burst=10),  # upvote/unvote: each changes a count everyone sees
    "ask": Bucket(rate=0.1, burst=3),  # a question every 10 s after the first three
    "cast": Bucket(rate=0.2, burst=5),  # one ballot counts; a few changes of mind and retries
    "paper": Bucket(rate=2, burst=30),  # a clerk keying in a stack of paper ballots
    "report": Bucket(rate=0.2, burst=5),
    "hand": Bucket(rate=0.5, burst=5),  # raise, lower, yield the floor
    "answer": Bucket(rate=1, burst=10),  # poll answers (one per poll and panelist anyway)
    "staff": Bucket(rate=5, burst=50),  # moderators' and hosts' commands that change state
    # captions: a finished line every second or two, and the line being typed at most every 250 ms
    # (moderation/captions.py PARTIAL_MS): 5 a second, 20 at once for a burst of short lines
    "caption": Bucket(rate=5, burst=20),
    # issue 14: proposals. Writing one takes minutes, so a few at once then one every 50 s;
    # supports and comments as the Q&A's votes and questions
    "propose": Bucket(rate=0.02, burst=3),
    "proposal_support": Bucket(rate=1, burst=10),
    "proposal_comment": Bucket(rate=0.2, burst=5),
    # issue 15: a facilitator's cards (about three a step; a burst when the table agrees on several)
    "card": Bucket(rate=0.5, burst=10),
    # issue 14: learning and the record (HTTP routes only, HTTP_RATES). Opening a material is
    # counted once per material anyway; a record read costs the meeting's whole archive, so a
    # page that reloads in a loop must not cost the hub the archive each time.
    "learning": Bucket(rate=1, burst=30),
    "record": Bucket(rate=0.2, burst=10),
    # issue 14: a hall desk at the doors, a queue of panelists scanned one after another
    "desk": Bucket(rate=3, burst=60),
    # issue 16: live voice signaling. A session is an offer, a few trickled candidates and an end;
    # a console listens again after each speaker. A burst of a whole trickle, then 5 a second
    # (each session's candidates are bounded anyway: moderation/voice.py MAX_CANDIDATES)
    "voice": Bucket(rate=5, burst=60),
    # issue 15: a suggestion clusters every card of the meeting (tens of ms for 900): a few at once
    "suggest": Bucket(rate=0.2, burst=3),
}

_STAFF_WRITES = (
    "vote.create", "vote.open", "vote.close", "vote.publish",
    "chat.delete", "chat.mute", "chat.ban", "chat.unmute", "chat.settings", "chat.dismiss_report",
    "speakers.order", "speakers.next", "speakers.timer",
    "agenda.set", "agenda.current", "slide.show", "slide.clear", "materials.set",
    "overlay.show", "overlay.clear",
    "poll.create", "poll.open", "poll.close", "poll.publish",
)  # fmt: skip

COMMAND_RATES: dict[str, str | None] = {
    **dict.fromkeys(
        ("hello", "ping", "subscribe", "unsubscribe", "meeting.list", "chat.send", "chat.status", "chat.moderation"),
        None,
    ),
    **dict.fromkeys(
        ("vote.get", "vote.list", "vote.mine", "vote.turnout", "qa.mine", "poll.results", "poll.export"), None
    ),
    **{f"qa.{name}": "staff" for name in qa.RULES},  # moderators' steps; the panelists' three next
    "qa.ask": "ask",
    "qa.upvote": "qa_vote",
    "qa.unvote": "qa_vote",
    "vote.cast": "cast",
    "vote.paper": "paper",
    "chat.report": "report",
    **dict.fromkeys(("speakers.raise", "speakers.lower", "speakers.yield"), "hand"),
    "poll.answer": "answer",
    **dict.fromkeys(_STAFF_WRITES, "staff"),
    "caption.send": "caption",
    # issue 14: proposals
    **dict.fromkeys(("proposal.submit", "proposal.join"), "propose"),
    **dict.fromkeys(("proposal.support", "proposal.unsupport", "proposal.consent"), "proposal_support"),
    "proposal.comment": "proposal_comment",
    **dict.fromkeys(("proposal.merge", "proposal.edit", "proposal.return", "proposal.sections"), "staff"),
    "proposal.respond": "staff",  # issue 14: response
    **dict.fromkeys(("proposal.list", "proposal.get"), None),
    # issue 14: shortlist and ballot
    **dict.fromkeys(("proposal.shortlist", "proposal.ballot"), "staff"),
    # issue 14: attendance
    **dict.fromkeys(("attendance.checkin", "attendance.checkout", "attendance.paper"), "desk"),
    "attendance.quorum": None,
    "attendance.hall_vote": "staff",
    # issue 15: live tables
    **dict.fromkeys(("table.card", "table.flag"), "card"),
    **dict.fromkeys(("table.facilitator", "table.step", "table.notice"), "staff"),
    "table.say": None,  # the chat's rate per participant, in the message's own step (tables/live.py)
    "table.get": None,
    # issue 16: live voice
    **dict.fromkeys(("voice.offer", "voice.candidate", "voice.listen", "voice.end", "voice.config"), "voice"),
    # issue 15: the theme team: dragging cards is quick work, the staff bucket (5/s, 50 at once)
    # takes a team's pace; a suggestion reads every card, so it is a read of its own class
    **dict.fromkeys(THEME_COMMANDS, "staff"),
    "theme.suggest": "suggest",
}  # fmt: skip
"""Every command of ``COMMAND_ROLES`` -> its rate class (a test checks none is missing)."""

COMMAND_COST = 1
"""Tokens one command takes from its class's bucket."""

# -- connections (issue 9): open connections per participant, over every hub --------------------
MAX_CONNECTIONS: dict[Role, int] = {
    Role.PANELIST: 5,  # a phone, a laptop, a few tabs; beyond that a script, not a person
    Role.CLERK: 10,
    Role.OBSERVER: 10,
    Role.MODERATOR: 20,  # desks, the moderation page, a second screen
    Role.HOST: 20,
    Role.OPS: 20,
    Role.CAPTIONER: 10,  # the console, a second screen to watch the stream
    Role.FACILITATOR: 5,  # a tablet at the table, a phone (issue 15)
    Role.THEMER: 20,  # issue 15: the theme console on a few desks and screens
}


def rate_class(command: str) -> str | None:
    """The rate class of a command (None: not rate-limited per participant)."""
    return COMMAND_RATES.get(command)


def max_connections(role: Role) -> int:
    return MAX_CONNECTIONS[role]


# Channel kind -> roles that may follow it (meeting channels additionally need membership).
CHANNEL_ROLES: dict[str, frozenset[Role]] = {
    "chat": ATTENDEES,
    "qa": ATTENDEES,
    "staff": MODERATORS,
    "agenda": ALL,
    "speakers": ATTENDEES,
    "polls": ATTENDEES,
    "vote": ALL,
    "votes": ALL,  # which votes a meeting's pages show (each vote/<id> is still checked by may_see_vote)
    "ops": OPERATORS,
    "overlay": ALL,
    "captions": ALL,  # what the stream shows anyway; the overlay page follows it with its own link
    "proposals": ATTENDEES,  # issue 14: every member of the meeting follows its proposals
    "quorum": HOSTS,  # issue 14: the live quorum, for whoever may ask for it (attendance.quorum)
    # issue 15: a table's channel, its members' and facilitator's (``check_table``: their own table
    # only) and the moderators' and hosts', who follow every table; every card of the meeting for
    # the staff; the hosts' overview of all tables
    "table": AT_TABLES | MODERATORS,
    "cards": MODERATORS | THEME_TEAM,  # issue 15: the theme team's console follows every card
    "tables": HOSTS,
    "seating": AT_TABLES | MODERATORS,  # issue 15: a reseat moves open table pages (no names in it)
    "voice": ATTENDEES,  # issue 16: who is live (the speakers' list is everyone's too)
    "themes": ALL,  # issue 15: the published themes: every table, the stream overlay, everyone
    "theme_drafts": THEME_TEAM,  # issue 15: the drafts, the theme team's only
}


# -- HTTP routes (issue 9): the same rule as the commands and channels they mirror --------------
PUBLIC = None
"""A route anyone may call, without a token (health, pages, a published vote's public record)."""

HTTP_ROLES: dict[str, frozenset[Role] | None] = {
    "GET /healthz": PUBLIC,
    "GET /readyz": PUBLIC,
    "GET /metrics": PUBLIC,  # operators; the public proxy does not expose it
    "GET /api/me": ALL,
    # The chat record is the chat channel's archive: whoever may follow the channel.
    "GET /api/meetings/{meeting}/chat": CHANNEL_ROLES["chat"],
    # Published votes are public by design (the board and results, see realtime/http/vote.py).
    "GET /api/votes/{vote}/results": PUBLIC,
    "POST /api/votes/{vote}/receipt": PUBLIC,  # the tracking code in the body, never in the URL
    "GET /api/votes/{vote}/receipt/{code}": PUBLIC,  # refused with secret_in_url, looks nothing up
    "POST /api/votes/{vote}/receipt/{code}": PUBLIC,
    "GET /api/votes/{vote}/turnout": PUBLIC,  # counts per stratum, never who (ballot/composition.py)
    "GET /api/votes/{vote}/{name}": PUBLIC,
    "POST /api/meetings/{meeting}/uploads": COMMAND_ROLES["slide.show"],
    "GET /api/meetings/{meeting}/uploads/{upload}": CHANNEL_ROLES["agenda"],  # the slides shown there
    "GET /api/meetings/{meeting}/polls/{poll}.csv": COMMAND_ROLES["poll.export"],
    "GET /api/meetings/{meeting}/polls/{poll}/counts": COMMAND_ROLES["poll.export"],  # per question
    "GET /api/help": PUBLIC,  # whom to ask (moderation/assembly.py): every page, the results' too
    # issue 14: learning. Panelists' openings are counted; the figures are for the hosts who set
    # the materials (the same roles as materials.set)
    "POST /api/meetings/{meeting}/materials/{material}/opened": PANELISTS,
    "GET /api/meetings/{meeting}/learning": COMMAND_ROLES["materials.set"],
    "GET /api/meetings/{meeting}/learning.csv": COMMAND_ROLES["materials.set"],
    # issue 14: the open record of a meeting, open to its members who may follow its chat (the
    # record shows the chat, so no one reads it there who may not read it live: not clerks, not
    # captioners); the page itself is public like every page
    "GET /api/meetings/{meeting}/record.json": CHANNEL_ROLES["chat"],
    "GET /api/meetings/{meeting}/record.csv": CHANNEL_ROLES["chat"],
    "GET /record/{meeting}": PUBLIC,
    # the meeting's record of captions with their times (issue 13): JSON, SubRip, plain text
    **dict.fromkeys(
        (
            "GET /api/meetings/{meeting}/captions",
            "GET /api/meetings/{meeting}/captions.srt",
            "GET /api/meetings/{meeting}/captions.txt",
        ),
        RECORD_KEEPERS,
    ),
    # issue 14: the open record of a meeting's proposals (JSON, CSV): whoever follows its channel
    **dict.fromkeys(
        ("GET /api/meetings/{meeting}/proposals", "GET /api/meetings/{meeting}/proposals.csv"),
        CHANNEL_ROLES["proposals"],
    ),
    # issue 14: a vote's items with their provenance: whoever follows proposals and may see the vote
    **dict.fromkeys(
        ("GET /api/votes/{vote}/provenance.json", "GET /api/votes/{vote}/provenance.csv"),
        CHANNEL_ROLES["proposals"],
    ),
    # issue 14: response. A proposal's path (JSON, CSV) as the meeting's proposals exports; the
    # city's responses to a published plenary vote are public as its results are (no names)
    **dict.fromkeys(
        (
            "GET /api/meetings/{meeting}/proposals/{proposal}.csv",
            "GET /api/meetings/{meeting}/proposals/{proposal}",
        ),
        CHANNEL_ROLES["proposals"],
    ),
    "GET /api/votes/{vote}/responses": PUBLIC,
    "GET /record/{meeting}/proposals/{proposal}": PUBLIC,
    # the protocol over HTTP (realtime/fallback.py): as for /ws, the hello in the stream's body
    # admits, and then each command is checked by COMMAND_ROLES; the session id admits the POSTs
    "POST /sse": PUBLIC,
    "POST /sse/cmd": PUBLIC,
    # the pages: each reads its token from the link's fragment and asks the hub over /ws
    **dict.fromkeys(
        (
            "GET /",
            "GET /host",
            "GET /vote",
            "GET /results/{vote}",
            "GET /moderate",
            "GET /ops",
            "GET /overlay/{meeting}",
            "GET /caption",
            "GET /checkin",  # issue 14: the hall desk's page
            "GET /table",  # issue 15: a table's page (its commands are checked as always)
            "GET /tables",  # issue 15: the hosts' view of all tables
            "GET /themes",  # issue 15: the theme team's console
            "GET /static/{name}",
            "GET /static/{folder}/{name}",
        ),
        PUBLIC,
    ),
}
"""Every HTTP route (``METHOD path`` as in the app's route list) -> the roles that may call it.
A route with ``{meeting}`` also needs membership of that meeting. ``realtime.http.guard`` checks
every request against this table; the app refuses to start with a route missing from it."""

HTTP_RATES: dict[str, str] = {
    "POST /api/meetings/{meeting}/uploads": "staff",
    # issue 14: learning and the record
    "POST /api/meetings/{meeting}/materials/{material}/opened": "learning",
    "GET /api/meetings/{meeting}/record.json": "record",
    "GET /api/meetings/{meeting}/record.csv": "record",
}
"""HTTP routes that write, -> their class of ``RATE_CLASSES`` (the same buckets as the commands)."""


def check_route(route: str, role: Role) -> None:
    allowed = HTTP_ROLES[route]
    if allowed is not None and role not in allowed:
        raise HubError(Code.FORBIDDEN, f"the role '{role}' may not call {route}")


def check_command(command: str, role: Role) -> None:
    allowed = COMMAND_ROLES.get(command)
    if allowed is None or role not in allowed:
        raise HubError(Code.FORBIDDEN, f"the role '{role}' may not run {command}")


def allowed_commands(role: Role) -> list[str]:
    return sorted(c for c, allowed in COMMAND_ROLES.items() if role in allowed)


def channel_kind(channel: str) -> str:
    return keys.channel_kind(channel)


def check_channel(channel: str, who: Participant) -> None:
    keys.check_channel(channel)
    kind = channel_kind(channel)
    if who.role not in CHANNEL_ROLES.get(kind, frozenset()):
        raise HubError(Code.FORBIDDEN, f"the role '{who.role}' may not follow {channel}")
    meeting = keys.meeting_of(channel)
    if meeting is not None and not who.in_meeting(meeting):
        raise HubError(Code.NOT_A_MEMBER, f"not a participant of meeting {meeting}")


def check_table(table: int, who: Participant, seated: int | None, facilitated: int | None) -> None:
    """Whether ``who`` may follow table ``table``'s channel or talk there (issue 15), given where
    they sit (``seated``) and which table they facilitate: a panelist and a facilitator their own
    table only; the staff of ``CHANNEL_ROLES['table']`` any (``tables.rules.may_follow``)."""
    if not table_rules.may_follow(who.role, seated, facilitated, table):
        raise HubError(Code.NOT_AT_TABLE, f"table {table} is its members' and its facilitator's")


def may_see_vote(eligibility: str, who: Participant) -> bool:
    """A vote open to all panelists is everyone's to see; one restricted to a meeting (its
    ``eligibility`` is the meeting id) only that meeting's members' and staff's. ``vote.get``,
    ``vote.list`` and the ``vote/<id>`` channel all answer by this rule."""
    return eligibility == "panelists" or who.in_meeting(eligibility)


def check_vote(eligibility: str, who: Participant) -> None:
    if not may_see_vote(eligibility, who):
        raise HubError(Code.NOT_A_MEMBER, f"this vote is for the participants of meeting {eligibility}")


def check_meeting(meeting_id: str, who: Participant) -> None:
    if not who.in_meeting(meeting_id):
        raise HubError(Code.NOT_A_MEMBER, f"not a participant of meeting {meeting_id}")
