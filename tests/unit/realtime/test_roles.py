"""The role table, every command against every role, written out by hand (not derived from the
table under test), plus channel access."""

from __future__ import annotations

import pytest

from engine.errors import AuthError, Code
from engine.roles import Role
from moderation import chat, overlay, qa
from panel.roster import Participant
from proposals import rules as proposal_rules
from realtime import roles
from realtime.commands.table import HANDLERS
from realtime.protocol.messages import COMMANDS, Hello

EVERYONE = set(Role)
EXPECTED: dict[str, set[str]] = {
    "hello": EVERYONE,
    "ping": EVERYONE,
    "subscribe": EVERYONE,
    "unsubscribe": EVERYONE,
    "meeting.list": EVERYONE,
    "chat.send": {"panelist", "moderator", "host"},
    "vote.create": {"host"},
    "vote.open": {"host"},
    "vote.close": {"host"},
    "vote.publish": {"host"},
    "vote.get": EVERYONE,
    "vote.cast": {"panelist"},
    "vote.paper": {"clerk"},
    "vote.turnout": {"host", "ops"},
    "vote.list": EVERYONE,
    "vote.mine": {"panelist"},
    # moderation
    "qa.ask": {"panelist"},
    "qa.upvote": {"panelist"},
    "qa.unvote": {"panelist"},
    "qa.mine": {"panelist"},
    "qa.approve": {"moderator", "host"},
    "qa.dismiss": {"moderator", "host"},
    "qa.reopen": {"moderator", "host"},
    "qa.merge": {"moderator", "host"},
    "qa.queue": {"moderator", "host"},
    "qa.unqueue": {"moderator", "host"},
    "qa.air": {"moderator", "host"},
    "qa.answer": {"moderator", "host"},
    "qa.reorder": {"moderator", "host"},
    "chat.delete": {"moderator", "host"},
    "chat.mute": {"moderator", "host"},
    "chat.ban": {"moderator", "host"},
    "chat.unmute": {"moderator", "host"},
    "chat.settings": {"moderator", "host"},
    "chat.status": {"panelist", "moderator", "host", "ops", "observer", "facilitator"},
    "chat.moderation": {"moderator", "host"},
    "chat.report": {"panelist"},
    "chat.dismiss_report": {"moderator", "host"},
    "speakers.raise": {"panelist"},
    "speakers.lower": {"panelist", "moderator", "host"},
    "speakers.order": {"moderator", "host"},
    "speakers.next": {"moderator", "host"},
    "speakers.yield": {"panelist", "moderator", "host"},
    "speakers.timer": {"moderator", "host"},
    "agenda.set": {"host"},
    "agenda.current": {"host"},
    "slide.show": {"host"},
    "slide.clear": {"host"},
    "materials.set": {"host"},
    "overlay.show": {"host"},
    "overlay.clear": {"host"},
    "poll.create": {"host"},
    "poll.open": {"host"},
    "poll.close": {"host"},
    "poll.publish": {"host"},
    "poll.results": {"host"},
    "poll.answer": {"panelist"},
    "poll.export": {"host"},
    # live captions (issue 13)
    "caption.send": {"captioner", "host"},
    # citizens' proposals (issue 14)
    "proposal.sections": {"moderator", "host"},
    "proposal.submit": {"panelist"},
    "proposal.join": {"panelist"},
    "proposal.support": {"panelist"},
    "proposal.unsupport": {"panelist"},
    "proposal.comment": {"panelist", "moderator", "host"},
    "proposal.merge": {"moderator", "host"},
    "proposal.edit": {"moderator", "host"},
    "proposal.consent": {"panelist"},
    "proposal.return": {"moderator", "host"},
    "proposal.list": {"panelist", "moderator", "host", "ops", "observer", "facilitator"},
    "proposal.get": {"panelist", "moderator", "host", "ops", "observer", "facilitator"},
    # issue 14: shortlist and ballot
    "proposal.shortlist": {"moderator", "host"},
    "proposal.ballot": {"host"},
    "proposal.respond": {"host"},  # issue 14: the city's response, keyed in by the secretariat
    # attendance (issue 14)
    "attendance.checkin": {"clerk", "host"},
    "attendance.checkout": {"clerk", "host"},
    "attendance.paper": {"clerk", "host"},
    "attendance.quorum": {"host"},
    "attendance.hall_vote": {"host"},
    # live tables (issue 15)
    "table.card": {"facilitator", "host"},
    "table.flag": {"facilitator", "host"},
    "table.facilitator": {"host"},
    "table.step": {"host"},
    "table.notice": {"host"},
    "table.say": {"panelist", "facilitator"},
    "table.get": {"panelist", "facilitator", "moderator", "host"},
    # issue 16: live voice (the floor and one's own session are moderation/voice.py's rules)
    **{
        key: {"panelist", "moderator", "host"}
        for key in ("voice.offer", "voice.candidate", "voice.end", "voice.config")
    },
    "voice.listen": {"moderator", "host"},
    # the theme team (issue 15)
    "theme.create": {"themer", "host"},
    "theme.assign": {"themer", "host"},
    "theme.rename": {"themer", "host"},
    "theme.merge": {"themer", "host"},
    "theme.delete": {"themer", "host"},
    "theme.publish": {"themer", "host"},
    "theme.suggest": {"themer", "host"},
    "theme.to_poll": {"themer", "host"},
    "theme.to_proposal": {"themer", "host"},
}


def test_every_command_has_a_row_and_a_handler() -> None:
    assert set(roles.COMMAND_ROLES) == set(COMMANDS) == set(EXPECTED)
    assert set(HANDLERS) == set(COMMANDS.values()) - {Hello}  # hello is the endpoint's own


@pytest.mark.parametrize("command", sorted(EXPECTED))
@pytest.mark.parametrize("role", Role)
def test_command_against_role(command: str, role: str) -> None:
    if role in EXPECTED[command]:
        roles.check_command(command, role)
    else:
        with pytest.raises(AuthError) as exc:
            roles.check_command(command, role)
        assert exc.value.code == Code.FORBIDDEN


def test_the_domains_rows_are_taken_from_the_domain() -> None:
    """Who may run a chat, overlay or Q&A command is decided in moderation/; the table holds the
    domain's own sets (the same objects), not copies that could drift."""
    domain = {
        **chat.command_roles(),
        **overlay.command_roles(),
        **{f"qa.{name}": r.roles for name, r in qa.RULES.items()},
        **{f"proposal.{name}": r.roles for name, r in proposal_rules.RULES.items()},  # issue 14
    }
    for command, allowed in domain.items():
        assert roles.COMMAND_ROLES[command] is allowed, command


def test_unknown_command_is_forbidden() -> None:
    with pytest.raises(AuthError):
        roles.check_command("vote.rig", "host")


def person(role: str, meetings: list[str] | None = None) -> Participant:
    return Participant(id="x", name="x", role=role, meetings=meetings or ["*"])


@pytest.mark.parametrize(
    ("channel", "role", "meetings", "code"),
    [
        ("meeting/m1/chat", "panelist", ["m1"], None),
        ("meeting/m2/chat", "panelist", ["m1"], Code.NOT_A_MEMBER),
        ("meeting/m2/chat", "moderator", ["m1"], None),  # staff see every meeting
        ("meeting/m1/chat", "clerk", None, Code.FORBIDDEN),
        ("ops", "panelist", None, Code.FORBIDDEN),
        ("ops", "ops", None, None),
        ("ops", "host", None, None),
        ("vote/v1", "observer", None, None),
        ("nonsense", "host", None, Code.UNKNOWN_CHANNEL),
        ("meeting/m1/captions", "panelist", ["m1"], None),
        ("meeting/m1/captions", "captioner", ["m1"], None),
        ("meeting/m2/captions", "captioner", ["m1"], Code.NOT_A_MEMBER),  # a captioner is no staff
        ("meeting/m1/chat", "captioner", None, Code.FORBIDDEN),  # captions, and nothing else
        ("meeting/m1/proposals", "panelist", ["m1"], None),  # issue 14
        ("meeting/m2/proposals", "panelist", ["m1"], Code.NOT_A_MEMBER),
        ("meeting/m1/proposals", "clerk", None, Code.FORBIDDEN),
        ("meeting/m1/themes", "panelist", ["m1"], None),  # issue 15: the published themes
        ("meeting/m2/themes", "panelist", ["m1"], Code.NOT_A_MEMBER),
        ("meeting/m1/theme_drafts", "panelist", ["m1"], Code.FORBIDDEN),  # the team's drafts
        ("meeting/m1/theme_drafts", "themer", None, None),
        ("meeting/m1/theme_drafts", "host", None, None),
        ("meeting/m1/chat", "themer", None, Code.FORBIDDEN),  # cards and themes, not the chat
    ],
)
def test_channel_access(channel: str, role: str, meetings: list[str] | None, code: Code | None) -> None:
    who = person(role, meetings)
    if code is None:
        roles.check_channel(channel, who)
    else:
        with pytest.raises(Exception) as exc:
            roles.check_channel(channel, who)
        assert exc.value.code == code  # type: ignore[attr-defined]
