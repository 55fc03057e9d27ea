"""Roles are one enum with named sets (``engine/roles.py``), and the code names them, never spells them.

Issue 10 step 4: ``{"moderator", "host"}`` was spelled out four times under two names. The enum's
values are the wire strings, so nothing a roster, Redis or a client sees changes.
"""

from __future__ import annotations

import ast
from pathlib import Path

from engine import roles
from engine.roles import Role
from panel.roster import parse_roster

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = (
    "engine",
    "ballot",
    "moderation",
    "panel",
    "proposals",
    "attendance",
    "tables",
    "realtime",
    "loadtest",
    "tools",
)

NOT_ROLES = {
    ("engine/channels.py", "ops"),  # the ops channel's kind
    ("engine/keys.py", "ops"),  # the ops channel's name
    ("realtime/roles.py", "ops"),  # the ops channel's kind, in the channel table
    ("loadtest/fanout_peers.py", "host"),  # a network host
    # The Locust users run in gevent workers and import nothing of ours: their roles are stated once
    # there, and tests/unit/test_locust_limits.py holds them to the enum.
    *(("loadtest/plenary_locust/limits.py", role) for role in ("panelist", "moderator", "host")),
}
"""String constants that equal a role's name but mean something else (or cannot import the enum)."""


def test_the_wire_strings_are_the_roles_of_before() -> None:
    assert [r.value for r in Role][:6] == ["panelist", "moderator", "host", "ops", "observer", "clerk"]
    assert [r.value for r in Role][6:] == ["captioner", "facilitator", "themer"]  # issues 13, 15: at the end
    assert all(r == r.value and hash(r) == hash(r.value) for r in Role)


def test_the_named_sets() -> None:
    assert set(Role) == roles.ALL
    assert {"moderator", "host"} == roles.MODERATORS
    assert {"panelist", "moderator", "host"} == roles.SPEAKERS
    assert roles.ALL - {"clerk", "captioner", "themer"} == roles.ATTENDEES
    assert {"moderator", "host", "ops", "observer", "themer"} == roles.IN_EVERY_MEETING
    assert {"ops", "host"} == roles.OPERATORS
    assert ({"host"}, {"panelist"}, {"clerk"}) == (roles.HOSTS, roles.PANELISTS, roles.CLERKS)
    assert {"captioner", "host"} == roles.CAPTIONERS
    assert {"host", "clerk", "captioner"} == roles.RECORD_KEEPERS
    assert {"clerk", "host"} == roles.DESK  # issue 14
    assert {"facilitator", "host"} == roles.FACILITATORS  # issue 15
    assert {"panelist", "facilitator"} == roles.AT_TABLES
    assert {"themer", "host"} == roles.THEME_TEAM  # issue 15


def test_a_roster_row_gets_its_role_as_the_enum() -> None:
    [p] = parse_roster("participant_id,name,role\np1,하나,Moderator\n")
    assert p.role is Role.MODERATOR


def test_no_role_is_spelled_out_outside_the_enum() -> None:
    names = {r.value for r in Role}
    found = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            rel = str(path.relative_to(ROOT))
            if rel == "engine/roles.py":
                continue
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if (
                    isinstance(node, ast.Constant)
                    and node.value in names
                    and (rel, node.value) not in NOT_ROLES
                ):
                    found.append(f"{rel}:{node.lineno}: {node.value!r}")
    assert found == []


def test_messages_show_a_role_as_its_wire_string() -> None:
    """``{role!r}`` of an enum member reads ``<Role.PANELIST: 'panelist'>``: messages say ``'panelist'``."""
    from engine.errors import HubError
    from moderation import qa
    from panel.roster import Participant
    from realtime import roles as tables

    who = Participant(id="p1", name="하나", role=Role.PANELIST, meetings=["m1"])
    for refuse in (
        lambda: tables.check_command("vote.create", Role.PANELIST),
        lambda: tables.check_route("POST /api/meetings/{meeting}/uploads", Role.PANELIST),
        lambda: tables.check_channel("meeting/m1/staff", who),
        lambda: qa.check_role(qa.rule("approve"), Role.PANELIST),
    ):
        try:
            refuse()
        except HubError as err:
            assert "the role 'panelist' may not" in err.message, err.message
        else:
            raise AssertionError("not refused")
