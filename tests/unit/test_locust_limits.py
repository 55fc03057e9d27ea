"""The Locust users' copy of the hub's limits (``loadtest/plenary_locust/limits.py``) says what the
hub enforces. The users cannot import the hub's code (they run under gevent, possibly elsewhere),
so each number is stated there once, and held here to the module that states the rule."""

from __future__ import annotations

import ast

from ballot import rules
from engine.roles import Role
from loadtest.plenary_locust import limits
from moderation import chat, qa
from realtime import roles
from tests.support import ROOT


def test_the_rate_classes_are_the_hubs() -> None:
    for cls, (rate, burst) in limits.RATE_CLASSES.items():
        assert (rate, burst) == (roles.RATE_CLASSES[cls].rate, roles.RATE_CLASSES[cls].burst), cls


def test_every_command_the_users_send_has_the_hubs_rate_class() -> None:
    assert {c: roles.rate_class(c) for c in limits.COMMAND_CLASSES} == limits.COMMAND_CLASSES
    assert {c for c in limits.COMMAND_CLASSES.values() if c} <= set(limits.RATE_CLASSES)


def test_the_other_limits_are_the_hubs() -> None:
    assert limits.MAX_ONLINE_BALLOTS == rules.MAX_ONLINE_BALLOTS
    assert (limits.CHAT_COUNT, limits.CHAT_WINDOW_S * 1000) == (chat.RATE_COUNT, chat.RATE_WINDOW_MS)
    assert limits.MAX_QUESTIONS_PER_ASKER == qa.MAX_QUESTIONS_PER_ASKER
    assert {Role(r): n for r, n in limits.MAX_CONNECTIONS.items()} == {
        r: roles.MAX_CONNECTIONS[r] for r in (Role.PANELIST, Role.MODERATOR, Role.HOST)
    }


def test_the_roles_are_the_enums_and_may_send_what_the_users_send() -> None:
    assert (limits.PANELIST, limits.MODERATOR, limits.HOST) == (Role.PANELIST, Role.MODERATOR, Role.HOST)
    sent = _commands_sent()
    assert sent <= set(limits.COMMAND_CLASSES), sent - set(limits.COMMAND_CLASSES)
    for role, commands in (
        (Role.PANELIST, {"vote.cast", "vote.get", "chat.send", "qa.ask", "qa.upvote"}),
        (Role.MODERATOR, {"qa.approve", "qa.queue", "chat.delete"}),
        (Role.HOST, {"agenda.set", "agenda.current", "slide.show", "slide.clear"} | _vote_steps()),
    ):
        assert commands <= sent
        for command in commands:
            roles.check_command(command, role)  # raises forbidden otherwise


def _vote_steps() -> set[str]:
    return {"vote.create", "vote.open", "vote.close", "vote.publish"}


def _commands_sent() -> set[str]:
    """Every command name the users pass to ``command(...)`` (read from the source: importing the
    users would import Locust, which monkey-patches with gevent)."""
    tree = ast.parse((ROOT / "loadtest" / "plenary_locust" / "users.py").read_text(encoding="utf-8"))
    sent = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "command" and node.args:
            arg = node.args[0]
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                sent.add(arg.value)
    for cls in (n for n in ast.walk(tree) if isinstance(n, ast.ClassDef)):  # a role's STEPS, sent in turn
        for node in cls.body:
            if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") == "STEPS":
                sent |= set(ast.literal_eval(node.value))
    return sent


def test_a_seat_waits_for_its_bucket_as_the_hub_would() -> None:
    seat = limits.SeatLimits()
    sent = 0
    while seat.may("qa.ask"):
        seat.took("qa.ask")
        sent += 1
    assert sent == roles.RATE_CLASSES["ask"].burst
    for _ in range(limits.CHAT_COUNT):
        assert seat.may("chat.send")
        seat.took("chat.send")
    assert not seat.may("chat.send")
    seat.ballots = rules.MAX_ONLINE_BALLOTS
    assert not seat.may("vote.cast")
