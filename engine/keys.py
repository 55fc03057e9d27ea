"""Every channel name and every Redis key is built here, and only here.

Channels follow one pattern, ``<kind>/<id>[/<sub>]``: ``meeting/<id>/chat``, ``meeting/<id>/qa``,
``meeting/<id>/agenda``, ``vote/<id>``, ``ops``. A channel's keys share the hash tag
``{<channel>}`` so that its offset, history and state live in one Redis Cluster slot and each Lua
step stays single-slot; moving to Redis Cluster then changes no caller (see docs/architecture.md).
"""

from __future__ import annotations

import re
from typing import NamedTuple

from engine.errors import Code, HubError

PREFIX = "pl:"
EVENT_PREFIX = PREFIX + "ev:"  # pub/sub channel of a stream: pl:ev:<channel>

_ID = r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}"
ID_RE = re.compile(rf"^{_ID}$")
_TABLE = r"[1-9][0-9]{0,2}"  # issue 15: a table's number, 1-999
_CHANNEL_RE = re.compile(
    rf"^(?:meeting/{_ID}/(?:chat|qa|staff|agenda|speakers|polls|captions|votes|proposals|quorum|cards|tables"
    rf"|themes|theme_drafts|voice|seating)|meeting/{_ID}/table/{_TABLE}|vote/{_ID}|ops|overlay/{_ID})$"
)


def check_id(value: str, what: str = "id") -> str:
    """Ids are short ASCII tokens: they go into channel names and keys unescaped."""
    if not ID_RE.match(value):
        raise HubError(Code.BAD_FIELD, f"{what} must be 1-64 characters of A-Z a-z 0-9 _ . - : {value!r}")
    return value


def check_channel(name: str) -> str:
    if not _CHANNEL_RE.match(name):
        raise HubError(Code.UNKNOWN_CHANNEL, f"no such channel: {name[:100]!r}")
    return name


# -- channel names ------------------------------------------------------------------------------
def meeting_chat(meeting_id: str) -> str:
    return f"meeting/{meeting_id}/chat"


def meeting_qa(meeting_id: str) -> str:
    return f"meeting/{meeting_id}/qa"


def meeting_agenda(meeting_id: str) -> str:
    return f"meeting/{meeting_id}/agenda"


def meeting_captions(meeting_id: str) -> str:
    """A meeting's live captions (issue 13): the lines a captioner types, with their times."""
    return f"meeting/{meeting_id}/captions"


def meeting_votes(meeting_id: str) -> str:
    """The votes shown on a meeting's pages, announced as they are created (moderation/meeting_votes.py)."""
    return f"meeting/{meeting_id}/votes"


def vote(vote_id: str) -> str:
    return f"vote/{vote_id}"


OPS = "ops"


def channel_kind(channel: str) -> str:
    """The kind of a channel, the key of ``engine.channels.SPECS`` and of the roles' channel table:
    a meeting's channels by their last part (``chat``, ``qa``...), except a table's
    (``meeting/<id>/table/<n>``: ``table``); the others by their first (``vote``, ``ops``...)."""
    if channel.startswith("meeting/"):
        parts = channel.split("/")
        return "table" if len(parts) == 4 and parts[2] == "table" else parts[-1]
    return channel.split("/", 1)[0]


def meeting_of(channel: str) -> str | None:
    """The meeting a channel belongs to (its ``meeting/<id>/...`` channels and its stream overlay
    ``overlay/<id>``), or None. Following such a channel needs membership of the meeting."""
    if channel.startswith("meeting/"):
        return channel.split("/", 2)[1]
    if channel.startswith("overlay/"):
        return channel[len("overlay/") :]
    return None


# -- keys of a channel (one slot per channel) ---------------------------------------------------
def slot_tag(channel: str) -> str:
    """The hash tag of a channel's keys and pub/sub channel: the channel itself, except that a
    meeting's staff desk shares its Q&A channel's slot, so one script updates and publishes on both."""
    if channel.startswith("meeting/") and channel.endswith("/staff"):
        return channel[: -len("staff")] + "qa"
    return channel


def channel_prefix(channel: str) -> str:
    tag = slot_tag(channel)
    return f"{PREFIX}{{{tag}}}:" if tag == channel else f"{PREFIX}{{{tag}}}:{channel}:"


class ChannelKeys(NamedTuple):
    """The four keys of a channel. Read them by name; the field order is the order in which a
    script that writes the channel takes them in KEYS (``engine.channels.channel_write``; the Lua
    side, ``pl_script`` in ``engine/lua/_lib.lua``, names them in this order too)."""

    meta: str  # hash: epoch and seq (the last offset)
    hist: str  # list: the bounded history
    state: str  # hash: a stateful channel's state
    log: str  # list: the archive, for channels that keep one


def channel_keys(channel: str) -> ChannelKeys:
    p = channel_prefix(channel)
    return ChannelKeys(p + "meta", p + "hist", p + "state", p + "log")


def pubsub_channel(channel: str) -> str:
    """``pl:ev:{<channel>}``: the hash tag puts it in the channel's slot, as Redis Cluster's sharded
    pub/sub (SSUBSCRIBE) requires of a channel published from a script touching the channel's keys."""
    tag = slot_tag(channel)
    return f"{EVENT_PREFIX}{{{tag}}}" if tag == channel else f"{EVENT_PREFIX}{{{tag}}}{channel}"


def channel_from_pubsub(name: str) -> str:
    tag, _, own = name[len(EVENT_PREFIX) + 1 :].partition("}")
    return own or tag


def rate_key(channel: str, participant_id: str) -> str:
    return channel_prefix(channel) + "rate:" + participant_id


# -- the directory: identity, meetings, the list of votes ----------------------------------------
# Small keys written together (a roster import, a new link with its control message) in MULTI and
# read together with MGET: they share the hash tag ``{dir}``, so on Redis Cluster they sit in one
# slot and each of those transactions stays single-slot. One slot holds them easily (a few thousand
# participants and meetings); what grows with activity (channels, ballots) has its own slots.
DIRECTORY = PREFIX + "{dir}:"


def participant(participant_id: str) -> str:
    return f"{DIRECTORY}p:{participant_id}"


ROSTER = DIRECTORY + "roster"  # set of participant ids


def token(token_hash: str) -> str:
    return f"{DIRECTORY}tok:{token_hash}"


def meeting(meeting_id: str) -> str:
    return f"{DIRECTORY}m:{meeting_id}"


MEETINGS = DIRECTORY + "meetings"  # sorted set: meeting id scored by start time
VOTES = DIRECTORY + "votes"  # set of vote ids (each vote's own keys are in its channel's slot)
PUBLIC_URL = DIRECTORY + "public_url"  # string: base URL of personal links, announced by hubs
HELP_CONTACT = (
    DIRECTORY + "help"
)  # hash: whom to ask for help, shown on every page (moderation/help_contact.py)
VOTE_HOMES = DIRECTORY + "vote_homes"  # string: set once the votes from before issue 13 got their home
# meeting (moderation/meeting_votes.py ``home_older_votes``), so that it runs once per Redis
CONTROL = DIRECTORY + "ctl"  # pub/sub: hub-to-hub control messages (link revoked, ...), sent in the
# directory's transactions, so in its slot as sharded pub/sub requires (SPUBLISH inside MULTI)


# -- per-participant limits (engine/limits.py) ---------------------------------------------------
# Each family shares one hash tag of its own, so a batch of checks over many participants stays a
# single-slot Lua step on Redis Cluster too.
def rate_bucket(participant_id: str, rate_class: str) -> str:
    """A participant's token bucket for one class of commands (``realtime.roles.RATE_CLASSES``)."""
    return f"{PREFIX}{{rl}}:{participant_id}:{rate_class}"


def connection_slots(participant_id: str) -> str:
    """A participant's open connections over every hub: hash ``<hub instance>|<conn>`` -> instance."""
    return f"{PREFIX}{{conn}}:{participant_id}"


CONNECTION_HUBS = PREFIX + "{conn}:hubs"  # hash: hub instance -> last heartbeat (ms), next to the slots
HUBS = PREFIX + "{conn}:beats"  # hash: hub id -> last heartbeat (ms), read with every presence set


def presence(hub_id: str) -> str:
    """Participants connected to one hub (a set that expires if the hub dies). In the ``{conn}``
    slot with ``HUBS``: who is connected is one ``SUNION`` over the live hubs' sets."""
    return f"{PREFIX}{{conn}}:presence:{hub_id}"


def vote_key(vote_id: str, part: str) -> str:
    """A vote's private keys (definition, ballots, nonces, voters, eligible, strata, audit,
    counters) share its channel's hash tag: every cast is a single-slot Lua step."""
    return channel_prefix(vote(vote_id)) + part


def vote_rate_bucket(vote_id: str, participant_id: str, rate_class: str) -> str:
    """A participant's token bucket for the casts of one vote (``realtime.roles.RATE_CLASSES``:
    ``cast``, ``paper``), in the vote's slot so that ``cast.lua`` checks it in the ballot's own
    step. Per vote, where ``rate_bucket`` is per participant: a bucket in the ``{rl}`` slot could
    not be checked by a single-slot cast script on Redis Cluster."""
    return vote_key(vote_id, f"rl:{participant_id}:{rate_class}")


# -- moderated meetings (issue 5): Q&A, chat moderation, speakers, agenda, polls, overlay -------
def meeting_speakers(meeting_id: str) -> str:
    return f"meeting/{meeting_id}/speakers"


def meeting_polls(meeting_id: str) -> str:
    return f"meeting/{meeting_id}/polls"


def meeting_staff(meeting_id: str) -> str:
    """The moderators' desk of a meeting: every question with its author, and chat reports. Its keys
    share the slot of ``meeting/<id>/qa`` (see ``channel_prefix``) so one script updates both."""
    return f"meeting/{meeting_id}/staff"


def meeting_voice(meeting_id: str) -> str:
    """Who is live in a meeting's voice (issue 16, moderation/voice.py): the live speaker's record."""
    return f"meeting/{meeting_id}/voice"


def voice_stop(meeting_id: str) -> str:
    """A request to end the meeting's live voice session, from a hub that does not hold it (issue
    16): ``<session>|<by>``, short-lived; the holding hub's watch reads it (realtime/voice/sessions.py)."""
    return channel_key(meeting_voice(meeting_id), "stop")


def voice_requests(meeting_id: str) -> str:
    """Consoles on other hubs asking to listen to the meeting's live speaker (issue 16): a list of
    requests the holding hub's watch takes (realtime/voice/sessions.py)."""
    return channel_key(meeting_voice(meeting_id), "requests")


def voice_answer(meeting_id: str, request_id: str) -> str:
    """The holding hub's answer to one such request, read by the hub that asked (short-lived)."""
    return channel_key(meeting_voice(meeting_id), "answer:" + request_id)


def meeting_quorum(meeting_id: str) -> str:
    """A session's live quorum for hosts (issue 14): the figure, pushed at most once a second."""
    return f"meeting/{meeting_id}/quorum"


def overlay(meeting_id: str) -> str:
    """The stream overlay of a meeting (a page a broadcaster adds to OBS)."""
    return f"overlay/{meeting_id}"


def channel_key(channel: str, part: str) -> str:
    """A private key of a channel (voters of a question, mutes, answers): in the channel's slot, so a
    script may touch it together with the channel's log and state."""
    return channel_prefix(channel) + part


# issue 14: proposals
def meeting_proposals(meeting_id: str) -> str:
    """A meeting's citizens' proposals (proposals/): every record in its state, every change an
    event; the private keys of its proposals (supporters, versions, comments) are its channel keys."""
    return f"meeting/{meeting_id}/proposals"


def upload(meeting_id: str, upload_id: str) -> str:
    """An uploaded slide file (image or PDF) of a meeting, kept in the agenda channel's slot."""
    return channel_key(meeting_agenda(meeting_id), "upload:" + upload_id)


# -- attendance (issue 14): online presence per session, the hall desk --------------------------
# Online intervals sit in the ``{conn}`` slot with the hubs' heartbeats, so that one script closes
# a dead hub's intervals at its last beat (attendance/lua/reap.lua), as admit.lua frees its slots.
# hash '<hub instance>|<conn>|<session>' -> '<participant>|<start>'
ATTENDANCE_OPEN = PREFIX + "{conn}:att:open"
ATTENDANCE_CLOSED = PREFIX + "{conn}:att:closed"  # list: MessagePack [session, participant, start, end]


def attendance_key(session: str, part: str) -> str:
    """A session's hall desk (``hall``: who is in now; ``paper``: sign-ins; ``desk``: the log), in
    one slot per session so that a check-in's test and write are one script."""
    return f"{PREFIX}{{att/{session}}}:{part}"


# -- tables (issue 15): the seating of each session ----------------------------------------------
# One hash tag for every seating, so that saving one (the new seating, the old one into the history,
# the set of seated sessions) is one MULTI on Redis Cluster too. Small: ~30 KB per seating of 3,000.
SEATED_SESSIONS = PREFIX + "{tables}:sessions"  # set: sessions that have a seating


def seating(session: str) -> str:
    """A session's current seating (tables/seating_store.py): ``tables.model.Seating`` as MessagePack."""
    return f"{PREFIX}{{tables}}:seat:{session}"


def seating_history(session: str) -> str:
    """A session's earlier seatings (list, oldest first), replaced by a reseat or a new assignment:
    people who sat together in them have met (the encounter count of tables/assign.py)."""
    return f"{PREFIX}{{tables}}:seat-hist:{session}"


# -- live tables (issue 15): each table's channel, the cards of a meeting, the hosts' overview ------
def meeting_table(meeting_id: str, table: int) -> str:
    """Table ``table`` (1-based) of a meeting: its discussion, the step of the table agenda, its
    cards (tables/live.py). Only the table's members and its facilitator follow it."""
    return f"meeting/{meeting_id}/table/{table}"


def meeting_cards(meeting_id: str) -> str:
    """Every table's cards of a meeting, in one channel (tables/cards.py): the theme team follows it;
    its state is every card, so a console that comes back gets the session's cards at once."""
    return f"meeting/{meeting_id}/cards"


def meeting_tables(meeting_id: str) -> str:
    """The hosts' overview of every table of a meeting (tables/overview.py): one small record per
    table (cards this step, its flag, the step), so the hosts' page follows one channel, not 300."""
    return f"meeting/{meeting_id}/tables"


def meeting_seating(meeting_id: str) -> str:
    """News that a meeting's seating changed (tables/live.py ``announce_seating``): no names, only
    when and how many tables, so that every open page asks for its own table again and follows it."""
    return f"meeting/{meeting_id}/seating"


# issue 15: the theme team
def meeting_themes(meeting_id: str) -> str:
    """A meeting's published themes (tables/theme_store.py): what every table and the stream see."""
    return f"meeting/{meeting_id}/themes"


def meeting_theme_drafts(meeting_id: str) -> str:
    """The theme team's draft themes of a meeting, every change an event: the team's only."""
    return f"meeting/{meeting_id}/theme_drafts"
