"""One channel-write API, in engine/: nobody else builds a channel's script keys or publish arguments.

A publishing script takes each channel's keys (``keys.ChannelKeys``) and publish arguments
(``channels.PublishArgs``) first, in their fields' order, then its own; ``channels.channel_write``
is the one place that lays them out and ``pl_script`` in ``engine/lua/_lib.lua`` the one place that
reads them. So moving to Redis Cluster (hash tags, sharded pub/sub) touches only engine/. These
tests fail when code outside engine/ indexes or unpacks a key bundle, builds the publish arguments
itself, or runs a publishing script without the API, and when a Lua script reads a channel's keys
or arguments by position.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from engine import channels, keys

ROOT = Path(__file__).resolve().parents[2]
LUA_DIRS = [ROOT / p / "lua" for p in ("engine", "ballot", "moderation", "proposals")]
SKIP = {".venv", "var", "build", "node_modules", ".git"}


def _outside_engine() -> list[Path]:
    """Every Python module but the engine's own and this test's (which checks the engine's layout)."""
    return sorted(
        p
        for p in ROOT.rglob("*.py")
        if not SKIP & set(p.relative_to(ROOT).parts)
        and p.relative_to(ROOT).parts[0] != "engine"
        and p != Path(__file__).resolve()
    )


def _publishing_scripts() -> set[tuple[str, str]]:
    """(package, name) of every Lua script that publishes (calls ``pl_publish``)."""
    return {
        (lua.parent.name, f.stem)
        for lua in LUA_DIRS
        for f in lua.glob("*.lua")
        if not f.name.startswith("_") and "pl_publish(" in f.read_text(encoding="utf-8")
    }


def _name(node: ast.expr) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return ""


def offenders(source: str, where: str, publishing: set[tuple[str, str]]) -> list[str]:
    """What a module outside engine/ must not do, one line per offence."""
    tree = ast.parse(source)
    parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
    found = []
    for node in ast.walk(tree):
        line = f"{where}:{getattr(node, 'lineno', 0)}"
        if isinstance(node, ast.Call) and _name(node.func) == "channel_keys":
            parent = parents.get(node)
            if not (isinstance(parent, ast.Attribute) and parent.value is node):
                found.append(f"{line}: channel_keys(...) used whole or by position; read a field by name")
        if (
            isinstance(node, ast.Subscript)
            and isinstance(node.value, ast.Call)
            and _name(node.value.func).endswith("keys")
        ):
            found.append(f"{line}: a key bundle read by position; give it named fields")
        if isinstance(node, ast.Call) and _name(node.func) == "call" and len(node.args) >= 2:
            literal = [a.value for a in node.args[:2] if isinstance(a, ast.Constant)]
            if len(literal) == 2 and tuple(literal) in publishing:
                found.append(f"{line}: runs {literal[0]}/{literal[1]} by hand; use ChannelLog.write")
        if _name(node) in ("pubsub_channel", "PublishArgs", "archive_arg") and not isinstance(
            node, ast.alias
        ):
            found.append(f"{line}: builds the publish arguments itself ({_name(node)})")
    return found


def test_no_module_outside_engine_builds_a_channel_write_itself() -> None:
    publishing = _publishing_scripts()
    found = []
    for path in _outside_engine():
        found += offenders(path.read_text(encoding="utf-8"), str(path.relative_to(ROOT)), publishing)
    assert found == []


@pytest.mark.parametrize(
    "source",
    [
        "state = keys.channel_keys(ch)[2]",
        "meta, hist, state, log = keys.channel_keys(ch)",
        "ks = [*keys.channel_keys(ch), other]",
        "ks = list(channel_keys(ch))",
        "args = [keys.pubsub_channel(ch), etype, data, spec.history, 0]",
        "await log.scripts.call('moderation', 'chat_send', ks, args)",
        "answers = self._keys(meeting_id, poll_id)[5]",
    ],
)
def test_the_check_catches(source: str) -> None:
    """The check above can fail: each of these is what the API replaced."""
    assert offenders(source, "x.py", {("moderation", "chat_send")})


def test_the_check_lets_the_api_through() -> None:
    source = (
        "state = keys.channel_keys(ch).state\n"
        "await log.write('moderation', 'chat_send', ch, keys=[k], args=[a])\n"
        "await log.scripts.call('ballot', 'cast', ks, args)\n"
    )
    assert offenders(source, "x.py", {("moderation", "chat_send")}) == []


def test_channel_write_lays_out_each_channel_then_the_scripts_own() -> None:
    qa, staff = keys.meeting_qa("m1"), keys.meeting_staff("m1")
    call = channels.channel_write(qa, staff, keys=["own-key"], args=["op", 7])
    assert call.keys == [*keys.channel_keys(qa), *keys.channel_keys(staff), "own-key"]
    assert call.args == [*channels.publish_args(qa), *channels.publish_args(staff), "op", 7]
    vote = channels.publish_args(keys.vote("v1"))
    assert vote.pubsub == keys.pubsub_channel(keys.vote("v1"))
    assert (vote.hist_max, vote.archive_max) == (
        channels.SPECS["vote"].history,
        channels.SPECS["vote"].archive_max,
    )
    assert channels.publish_args(keys.OPS).archive_max == 0  # keeps no archive
    event = channels.publish_call(keys.OPS, "ops.note", {"n": 1})
    assert event.args[len(channels.PublishArgs._fields) :] == ["ops.note", channels.encode_data({"n": 1})]


def _lua_list(source: str, name: str) -> list[str]:
    match = re.search(rf"^local {name} = \{{(.*)\}}$", source, re.M)
    assert match, name
    return re.findall(r"'(\w+)'", match.group(1))


def test_the_lua_library_names_the_fields_in_the_python_order() -> None:
    """The NamedTuples' field order is the KEYS and ARGV order; ``pl_script`` reads them by these names."""
    lib = (ROOT / "engine/lua/_lib.lua").read_text(encoding="utf-8")
    assert _lua_list(lib, "PL_CHANNEL_KEYS") == list(keys.ChannelKeys._fields)
    assert _lua_list(lib, "PL_PUBLISH_ARGS") == list(channels.PublishArgs._fields)


def test_publishing_scripts_read_their_channels_by_name() -> None:
    """A script that publishes gets its channels, keys and arguments from ``pl_script`` and never
    reads KEYS or ARGV by position (which would hard-code the channels' layout)."""
    scripts = [
        f for lua in LUA_DIRS for f in lua.glob("*.lua") if (lua.parent.name, f.stem) in _publishing_scripts()
    ]
    assert len(scripts) >= 10
    for f in scripts:
        code = [ln for ln in f.read_text(encoding="utf-8").splitlines() if not ln.lstrip().startswith("--")]
        assert any("pl_script(" in ln for ln in code), f.name
        assert not [ln for ln in code if "KEYS" in ln or "ARGV" in ln], f.name
