"""The error catalogue is the one table of what a code is, and every raise site names a real code.

``engine.errors.CATALOGUE`` gives each code its category, retry flag and HTTP status; the class of
an error follows from its code, never from the raise site (issue 10 step 4: 39 raise sites used a
subclass of another range). These tests hold the table whole and every raise site in the code base
to it, by reading the source (a raise site that never runs in a test is still checked).
"""

from __future__ import annotations

import ast
import pickle
import re
from pathlib import Path

import pytest

from engine.errors import (
    CATALOGUE,
    AuthError,
    Category,
    ChannelError,
    ChatError,
    Code,
    HubError,
    InternalError,
    LimitError,
    ModerationError,
    PanelError,
    ProposalError,
    ProtocolError,
    TableError,
    ThemeError,
    VoiceError,
    VoteError,
)

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

VIEWS: dict[Category, type[HubError]] = {
    Category.PROTOCOL: ProtocolError,
    Category.AUTH: AuthError,
    Category.LIMIT: LimitError,
    Category.CHANNEL: ChannelError,
    Category.CHAT: ChatError,
    Category.VOTE: VoteError,
    Category.MODERATION: ModerationError,
    Category.PANEL: PanelError,
    Category.PROPOSAL: ProposalError,
    Category.TABLE: TableError,
    Category.INTERNAL: InternalError,
    Category.VOICE: VoiceError,
    Category.THEME: ThemeError,
}

RANGES: dict[Category, range] = {
    Category.PROTOCOL: range(1000, 1100),
    Category.AUTH: range(1100, 1200),
    Category.LIMIT: range(1200, 1300),
    Category.CHANNEL: range(1300, 1400),
    Category.CHAT: range(1400, 1500),
    Category.VOTE: range(1500, 1600),
    Category.MODERATION: range(1600, 1700),
    Category.PANEL: range(1700, 1800),
    Category.PROPOSAL: range(1800, 1900),
    Category.TABLE: range(2000, 2100),
    Category.INTERNAL: range(1900, 2000),
    Category.TABLE: range(2000, 2100),
    Category.VOICE: range(2200, 2300),
    Category.THEME: range(2100, 2200),
}
NUMBERED_BEFORE_THE_TABLE = {
    Code.SECRET_IN_URL,
    Code.INVALID_UTF8,
    Code.BAD_WEBSOCKET_FRAME,
    Code.REQUEST_ABORTED,
    Code.BAD_HTTP_REQUEST,
}
"""Codes outside their category's range (codes are never renumbered); the module docstring lists them."""


# -- the table ----------------------------------------------------------------------------------
def test_every_code_has_a_row_and_every_row_a_code() -> None:
    assert set(CATALOGUE) == set(Code)


def test_every_category_has_its_class() -> None:
    assert {c for c in Category} == set(VIEWS)
    for category, view in VIEWS.items():
        assert issubclass(view, HubError) and view._category is category


@pytest.mark.parametrize("code", list(Code), ids=lambda c: c.name.lower())
def test_an_error_is_an_instance_of_its_codes_category(code: Code) -> None:
    err = HubError(code, "x", retry_after_ms=5)
    spec = CATALOGUE[code]
    assert type(err) is VIEWS[spec.category]
    assert (err.category, err.retryable, err.http_status) == (spec.category, spec.retryable, spec.http_status)
    assert (err.code, err.message, err.retry_after_ms, err.name) == (code, "x", 5, code.name.lower())
    again = pickle.loads(pickle.dumps(err))
    assert type(again) is type(err) and (again.code, again.message) == (code, "x")


@pytest.mark.parametrize("code", list(Code), ids=lambda c: c.name.lower())
def test_a_class_of_another_category_is_refused(code: Code) -> None:
    own = VIEWS[CATALOGUE[code].category]
    assert type(own(code)) is own
    for view in set(VIEWS.values()) - {own}:
        with pytest.raises(TypeError):
            view(code)


def test_codes_sit_in_their_categorys_range() -> None:
    """New codes are numbered in their category's range; the few older exceptions are listed."""
    outside = {c for c in Code if int(c) not in RANGES[CATALOGUE[c].category]}
    assert outside == NUMBERED_BEFORE_THE_TABLE


def test_http_statuses_are_client_or_server_errors() -> None:
    for code, spec in CATALOGUE.items():
        server = spec.category is Category.INTERNAL
        assert (500 <= spec.http_status < 600) if server else (400 <= spec.http_status < 500), code


# -- every raise site ---------------------------------------------------------------------------
def _error_calls() -> list[tuple[str, ast.Call, str]]:
    names = {"HubError", *(v.__name__ for v in VIEWS.values())}
    found = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                if isinstance(node, ast.Call):
                    f = node.func
                    name = f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else ""
                    if name in names:
                        found.append((f"{path.relative_to(ROOT)}:{node.lineno}", node, name))
    return found


CALLS = _error_calls()


def test_the_source_has_raise_sites_to_check() -> None:
    assert len(CALLS) > 100


def test_every_raise_site_raises_by_code() -> None:
    """``HubError(Code.X, ...)``, never a category class: the code decides the class."""
    by_class = [site for site, _call, name in CALLS if name != "HubError"]
    assert by_class == []


def test_every_raise_site_names_a_real_code() -> None:
    bad = []
    for site, call, _name in CALLS:
        first = call.args[0] if call.args else None
        if first is None:
            bad.append(f"{site}: no code")
            continue
        literals = [
            n
            for n in ast.walk(first)
            if isinstance(n, ast.Attribute) and isinstance(n.value, ast.Name) and n.value.id == "Code"
        ]
        bad += [f"{site}: Code.{n.attr}" for n in literals if n.attr not in Code.__members__]
        if any(k.arg == "retryable" for k in call.keywords):
            bad.append(f"{site}: retryable is the code's row, not the raise site's")
    assert bad == []


@pytest.mark.parametrize(
    ("script", "refusal", "handled"),
    [
        ("ballot/lua/cast.lua", r"\{0, '(\w+)'", {"code_taken", "definition_changed"}),
        ("moderation/lua/poll.lua", r"\{-1, '(\w+)'", {"exists"}),
    ],
)
def test_every_refusal_a_script_returns_is_a_code(script: str, refusal: str, handled: set[str]) -> None:
    """The stores turn a script's refusal name into ``Code[name.upper()]``: each must be a code
    (or one of the names the store handles itself)."""
    names = set(re.findall(refusal, (ROOT / script).read_text(encoding="utf-8")))
    assert names
    assert {n for n in names - handled if n.upper() not in Code.__members__} == set()
