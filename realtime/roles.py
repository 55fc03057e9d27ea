"""Who may do what: one table of command to roles, checked on the server before every command.

Pages hide buttons a role cannot use, but that is only convenience: this table is the rule. A
test runs every command against every role. Channel access (``may_subscribe``) is checked on
subscribe, so a panelist cannot follow the ops channel or a meeting they are not part of.
"""

from __future__ import annotations

from engine import keys
from engine.errors import AuthError, Code
from moderation import qa
from panel.roster import ROLES, Participant

ALL = frozenset(ROLES)
SPEAKERS = frozenset({"panelist", "moderator", "host"})
MODERATORS = frozenset({"moderator", "host"})  # issue 5

COMMAND_ROLES: dict[str, frozenset[str]] = {
    "hello": ALL,
    "ping": ALL,
    "subscribe": ALL,
    "unsubscribe": ALL,
    "meeting.list": ALL,
    "chat.send": SPEAKERS,
    "vote.create": frozenset({"host"}),
    "vote.open": frozenset({"host"}),
    "vote.close": frozenset({"host"}),
    "vote.publish": frozenset({"host"}),
    "vote.get": ALL,
    "vote.cast": frozenset({"panelist"}),
    "vote.paper": frozenset({"clerk"}),
    "vote.turnout": frozenset({"host", "ops"}),
    "vote.list": ALL,
    "vote.mine": frozenset({"panelist"}),  # the caller's own ballots only
    # moderation (issue 5): Q&A rows come from the rule table (moderation/qa.py), the others here
    **{f"qa.{name}": r.roles for name, r in qa.RULES.items()},
    "qa.mine": frozenset({"panelist"}),
    **dict.fromkeys(("chat.delete", "chat.mute", "chat.ban", "chat.unmute"), MODERATORS),
    **dict.fromkeys(("chat.settings", "chat.dismiss_report"), MODERATORS),
    "chat.moderation": MODERATORS,  # others' restrictions and deleted text: staff only
    "chat.status": ALL - {"clerk"},
    "chat.report": frozenset({"panelist"}),
    "speakers.raise": frozenset({"panelist"}),
    "speakers.lower": SPEAKERS,  # panelists their own hand only (moderation/speakers.py)
    "speakers.yield": SPEAKERS,  # panelists only while they have the floor
    **dict.fromkeys(("speakers.order", "speakers.next", "speakers.timer"), MODERATORS),
    **dict.fromkeys(
        ("agenda.set", "agenda.current", "slide.show", "slide.clear", "materials.set"), frozenset({"host"})
    ),
    **dict.fromkeys(("overlay.show", "overlay.clear"), frozenset({"host"})),
    **dict.fromkeys(
        ("poll.create", "poll.open", "poll.close", "poll.publish", "poll.results", "poll.export"),
        frozenset({"host"}),
    ),
    "poll.answer": frozenset({"panelist"}),
}

# Channel kind -> roles that may follow it (meeting channels additionally need membership).
CHANNEL_ROLES: dict[str, frozenset[str]] = {
    "chat": ALL - {"clerk"},
    "qa": ALL - {"clerk"},
    "staff": frozenset({"moderator", "host"}),
    "agenda": ALL,
    "speakers": ALL - {"clerk"},
    "polls": ALL - {"clerk"},
    "vote": ALL,
    "ops": frozenset({"ops", "host"}),
    "overlay": ALL,
}


def check_command(command: str, role: str) -> None:
    allowed = COMMAND_ROLES.get(command)
    if allowed is None or role not in allowed:
        raise AuthError(Code.FORBIDDEN, f"the role {role!r} may not run {command}")


def allowed_commands(role: str) -> list[str]:
    return sorted(c for c, allowed in COMMAND_ROLES.items() if role in allowed)


def channel_kind(channel: str) -> str:
    if channel.startswith("meeting/"):
        return channel.rsplit("/", 1)[1]
    return channel.split("/", 1)[0]


def check_channel(channel: str, who: Participant) -> None:
    keys.check_channel(channel)
    kind = channel_kind(channel)
    if who.role not in CHANNEL_ROLES.get(kind, frozenset()):
        raise AuthError(Code.FORBIDDEN, f"the role {who.role!r} may not follow {channel}")
    meeting = keys.meeting_of(channel)
    if meeting is not None and not who.in_meeting(meeting):
        raise AuthError(Code.NOT_A_MEMBER, f"not a participant of meeting {meeting}")


def check_meeting(meeting_id: str, who: Participant) -> None:
    if not who.in_meeting(meeting_id):
        raise AuthError(Code.NOT_A_MEMBER, f"not a participant of meeting {meeting_id}")
