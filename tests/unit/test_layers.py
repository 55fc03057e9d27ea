"""Who may import whom, read from the code with ``ast`` (imports inside functions included).

- The domain and the engine never import the transport: a rule is found in its own folder.
- Every first-party import names a module that exists (an editable install would otherwise let a
  stale ``realtime.cli`` import pass by loading another checkout's file).
- No import cycles anywhere: each failure names the cycle, module by module.
- The folders and ``realtime/``'s packages import only what their row of the table allows
  (docs/architecture.md draws the same tables; a test holds the doc to them).
"""

from __future__ import annotations

import ast
import re
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FIRST_PARTY = (
    "engine",
    "ballot",
    "moderation",
    "panel",
    "proposals",
    "attendance",
    "tables",
    "realtime",
    "cli",
    "tools",
    "loadtest",
)
DOMAIN = frozenset({"engine", "ballot", "moderation", "panel", "proposals", "attendance", "tables"})

FOLDERS_MAY_IMPORT: dict[str, frozenset[str]] = {
    "engine": frozenset(),
    "ballot": frozenset({"engine"}),
    "moderation": frozenset({"engine", "ballot"}),
    "panel": frozenset({"engine"}),
    "proposals": frozenset({"engine", "ballot", "moderation"}),
    "attendance": frozenset({"engine", "ballot", "panel"}),  # issue 14
    "tables": frozenset({"engine", "ballot", "moderation", "panel", "proposals", "attendance"}),  # issue 15
    "realtime": DOMAIN,
    "cli": DOMAIN | {"realtime", "tools"},
    "loadtest": DOMAIN | {"realtime", "cli"},
    "tools": frozenset(),
}
"""Folder -> the other first-party folders its modules may import."""

REALTIME_MAY_IMPORT: dict[str, frozenset[str]] = {
    "realtime.protocol": frozenset({"engine"}),
    "realtime.ops": frozenset({"engine"}),
    "realtime.config": frozenset(),
    "realtime.roles": DOMAIN,
    "realtime.transport": DOMAIN | {"realtime.protocol", "realtime.ops"},
    "realtime.fanout": DOMAIN
    | {"realtime.protocol", "realtime.ops", "realtime.transport", "realtime.config"},
    "realtime.commands": DOMAIN
    | {"realtime.protocol", "realtime.transport", "realtime.fanout", "realtime.roles", "realtime.voice"},
    "realtime.voice": DOMAIN | {"realtime.fanout", "realtime.config"},
    "realtime.endpoint": DOMAIN
    | {
        "realtime.protocol",
        "realtime.ops",
        "realtime.transport",
        "realtime.fanout",
        "realtime.commands",
        "realtime.roles",
    },
    "realtime.fallback": DOMAIN
    | {
        "realtime.protocol",
        "realtime.ops",
        "realtime.transport",
        "realtime.fanout",
        "realtime.endpoint",
        "realtime.http",
    },
    "realtime.http": DOMAIN | {"realtime.ops", "realtime.fanout", "realtime.roles"},
    "realtime.app": DOMAIN
    | {
        "realtime.config",
        "realtime.fanout",
        "realtime.http",
        "realtime.endpoint",
        "realtime.fallback",
        "realtime.voice",
    },
}
"""A part of ``realtime/`` -> the parts (and domain folders) it may import; a part may always
import itself. A module belongs to the longest name it starts with. ``realtime.endpoint``, where a
connection meets the hub and the commands, sits above all three beside ``realtime.app``: inside
``realtime.transport`` it would tie that package and the fan-out in a circle (the fan-out builds on
the transport's ``Client``). The package
``realtime`` itself (its ``__init__``) holds only a docstring."""


def _name_of(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


@cache
def modules() -> dict[str, Path]:
    """Every first-party module and package, by dotted name."""
    return {_name_of(p): p for top in FIRST_PARTY for p in (ROOT / top).rglob("*.py")}


def _imported(name: str, path: Path) -> set[str]:
    """The first-party names ``name`` imports: a module where ``from X import Y`` names one
    (``from realtime.commands import chat``), else the package or module ``X``."""
    is_package = path.name == "__init__.py"
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                package = name.split(".") if is_package else name.split(".")[:-1]
                package = package[: len(package) - node.level + 1]
                base = ".".join([*package, base] if base else package)
            for alias in node.names:
                sub = f"{base}.{alias.name}"
                found.add(sub if sub in modules() else base)
    return {n for n in found if n.split(".")[0] in FIRST_PARTY}


@cache
def graph() -> dict[str, frozenset[str]]:
    return {name: frozenset(_imported(name, path)) for name, path in modules().items()}


def test_the_graph_sees_imports_inside_functions() -> None:
    assert "cli.panel" in graph()["cli.main"]  # imported inside build_parser only


@pytest.mark.parametrize("package", ["engine", "ballot", "moderation", "panel", "proposals", "attendance"])
def test_no_import_of_realtime(package: str) -> None:
    offenders = []
    for path in (ROOT / package).rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            offenders += [
                f"{path.relative_to(ROOT)}: {n}"
                for n in names
                if n.split(".")[0] in ("realtime", "starlette", "uvicorn")
            ]
    assert offenders == []


def test_every_first_party_import_exists() -> None:
    missing = sorted(
        f"{name}: {target}" for name, targets in graph().items() for target in targets - set(modules())
    )
    assert missing == []


def _cycle(edges: dict[str, frozenset[str]]) -> list[str] | None:
    """One cycle of ``edges`` as a path that ends where it starts, or None (depth first)."""
    state: dict[str, int] = {}  # 1 on the current path, 2 done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(edges.get(node, ())):
            if state.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt]
            if nxt not in state and (found := visit(nxt)) is not None:
                return found
        path.pop()
        state[node] = 2
        return None

    for start in sorted(edges):
        if start not in state and (found := visit(start)) is not None:
            return found
    return None


def test_cycle_finder_names_the_cycle() -> None:
    edges = {"a": frozenset({"b"}), "b": frozenset({"c"}), "c": frozenset({"a"}), "d": frozenset({"a"})}
    assert _cycle(edges) == ["a", "b", "c", "a"]
    assert _cycle({"a": frozenset({"b"}), "b": frozenset()}) is None


def test_no_import_cycles() -> None:
    cycle = _cycle(graph())
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


def _part(name: str, parts: dict[str, frozenset[str]]) -> str:
    """The longest key of ``parts`` that ``name`` is or starts with; else its first component."""
    matches = [p for p in parts if name == p or name.startswith(p + ".")]
    return max(matches, key=len) if matches else name.split(".")[0]


@pytest.mark.parametrize("table", [FOLDERS_MAY_IMPORT, REALTIME_MAY_IMPORT], ids=["folders", "realtime"])
def test_the_table_has_no_cycle(table: dict[str, frozenset[str]]) -> None:
    within = {part: frozenset(t for t in allowed if t in table) for part, allowed in table.items()}
    cycle = _cycle(within)
    assert cycle is None, "the table allows a cycle: " + " -> ".join(cycle or [])


def test_folders_import_only_what_their_row_allows() -> None:
    offenders = []
    for name, targets in graph().items():
        folder = name.split(".")[0]
        for target in targets:
            other = target.split(".")[0]
            if other != folder and other not in FOLDERS_MAY_IMPORT[folder]:
                offenders.append(f"{name} -> {target}")
    assert sorted(offenders) == []


def test_realtime_parts_import_only_what_their_row_allows() -> None:
    offenders = []
    for name, targets in graph().items():
        if name == "realtime" or not name.startswith("realtime."):
            continue
        part = _part(name, REALTIME_MAY_IMPORT)
        assert part in REALTIME_MAY_IMPORT, f"{name} is in no row of REALTIME_MAY_IMPORT"
        for target in targets:
            other = _part(target, REALTIME_MAY_IMPORT)
            if other != part and other not in REALTIME_MAY_IMPORT[part]:
                offenders.append(f"{name} -> {target} ({part} may not import {other})")
    assert sorted(offenders) == []


def _doc_rows() -> dict[str, frozenset[str]]:
    """docs/architecture.md's tables: first cell a code span naming a folder or part, last cell
    the code spans it may import (``realtime/transport/client.py`` -> ``realtime.transport.client``)."""
    rows: dict[str, frozenset[str]] = {}
    for line in (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if not line.startswith("|") or len(cells) < 3:
            continue
        head = re.fullmatch(r"`([\w/.]+)`", cells[0])
        if head is None:
            continue

        def dotted(s: str) -> str:
            return s.removesuffix(".py").strip("/").replace("/", ".")

        names = {dotted(s) for s in re.findall(r"`([\w/.]+)`", cells[-1])}
        if "the domain" in cells[-1]:
            names |= DOMAIN
        rows[dotted(head.group(1))] = frozenset(names)
    return rows


@pytest.mark.parametrize("table", [FOLDERS_MAY_IMPORT, REALTIME_MAY_IMPORT], ids=["folders", "realtime"])
def test_the_doc_draws_the_tables(table: dict[str, frozenset[str]]) -> None:
    rows = _doc_rows()
    drawn = {part: rows.get(part) for part in table}
    assert drawn == table
