"""The field tables of docs/protocol.md, written from the declared message types.

Every command's section holds one block between ``<!-- fields: TAG -->`` and
``<!-- end fields -->``: a table of the command's fields (type, whether required, the constraints
the decoder enforces) and a table of its reply's fields (type, whether always sent), then one
table per nested object. Everything in them comes from the msgspec Structs of realtime/protocol/:
types and constraints from their annotations, the words from a field's
``Meta(description=...)``. So a field added, a limit changed or a reply reshaped shows in the doc
the moment it is declared, and nowhere else needs an edit.

``python -m tests.protocol_tables`` rewrites the blocks (``python -m tests.protocol_examples``
does too, with the examples); ``--check`` only names the blocks that drifted (exit 1).
tests/unit/test_protocol_doc.py fails the build when one did.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import msgspec
import msgspec.inspect as mi

from realtime.protocol.base import Ident, ServerMessage
from realtime.protocol.messages import ALL_COMMANDS, Command

DOC = Path(__file__).resolve().parents[1] / "docs" / "protocol.md"
BLOCK = re.compile(r"^<!-- fields: (?P<name>[\w.\-]+) -->\n.*?^<!-- end fields -->\n", re.M | re.S)
IDENT_PATTERN = Ident.__metadata__[0].pattern  # type: ignore[attr-defined]
BY_TAG: dict[str, type[Command]] = {str(c.__struct_config__.tag): c for c in ALL_COMMANDS}


# -- one type in words --------------------------------------------------------------------------
def _unwrap(t: mi.Type) -> tuple[mi.Type, str]:
    """The type without its ``Metadata`` wrapper, and the description it carried."""
    words = ""
    while isinstance(t, mi.Metadata):
        words = (t.extra_json_schema or {}).get("description", words)
        t = t.type
    return t, words


def _number(n: int) -> str:
    return "2<sup>53</sup>−1" if n == 2**53 - 1 else f"{n:,}"


def _limits(t: mi.Type) -> list[str]:
    """What the decoder checks of a value of type ``t``, beyond its kind."""
    t, _ = _unwrap(t)
    if isinstance(t, mi.StrType):
        if t.pattern == IDENT_PATTERN:
            return []  # its kind says it: an id (docs/protocol.md §4, "Common field types")
        out = [f"matching `{t.pattern}`"] if t.pattern else []
        if t.min_length and t.max_length is not None:
            out.append(f"{_number(t.min_length)}–{_number(t.max_length)} characters")
        elif t.max_length is not None:
            out.append(f"at most {_number(t.max_length)} characters")
        elif t.min_length:
            out.append(f"at least {_number(t.min_length)} characters")
        return out
    if isinstance(t, mi.IntType):
        low = t.ge if t.ge is not None else (t.gt + 1 if t.gt is not None else None)
        high = t.le if t.le is not None else (t.lt - 1 if t.lt is not None else None)
        if low is not None and high is not None:
            return [f"{_number(low)} … {_number(high)}"]
        if low is not None:
            return [f"at least {_number(low)}"]
        return [f"at most {_number(high)}"] if high is not None else []
    if isinstance(t, mi.LiteralType):
        return ["one of " + ", ".join(f"`{v}`" for v in t.values)]
    if isinstance(t, mi.ListType | mi.DictType):
        what = "items" if isinstance(t, mi.ListType) else "keys"
        out = [f"at most {_number(t.max_length)} {what}"] if t.max_length is not None else []
        inner = t.item_type if isinstance(t, mi.ListType) else t.value_type
        if isinstance(t, mi.DictType):
            out += [f"keys {k}" for k in _limits(t.key_type)]
        out += [f"each {k}" for k in _limits(inner)]
        return out
    if isinstance(t, mi.UnionType):
        return [k for member in t.types for k in _limits(member)]
    return []


def kind(t: mi.Type) -> str:
    """The JSON kind of a value of type ``t``, as a reader says it."""
    t, _ = _unwrap(t)
    if isinstance(t, mi.StrType) and t.pattern == IDENT_PATTERN:
        return "id"
    if isinstance(t, mi.StrType | mi.LiteralType):
        return "string"
    if isinstance(t, mi.IntType):
        return "integer"
    if isinstance(t, mi.BoolType):
        return "boolean"
    if isinstance(t, mi.NoneType):
        return "null"
    if isinstance(t, mi.AnyType):
        return "any"
    if isinstance(t, mi.ListType):
        return f"array of {kind(t.item_type)}"
    if isinstance(t, mi.DictType):
        value = kind(t.value_type)
        return "object" if value == "any" else f"object of {value}"
    if isinstance(t, mi.UnionType):
        return " or ".join(dict.fromkeys(kind(x) for x in t.types))
    if isinstance(t, mi.StructType):
        return _struct_name(t.cls)
    raise NotImplementedError(f"no words for {t!r}: add them to tests/protocol_tables.py")


def _struct_name(cls: type) -> str:
    if issubclass(cls, ServerMessage):
        return str(cls.__struct_config__.tag)  # documented in §5
    return f"`{cls.__name__}`"


def _nested(t: mi.Type) -> list[mi.StructType]:
    """The objects of their own (nested Structs, not server messages) inside type ``t``."""
    t, _ = _unwrap(t)
    if isinstance(t, mi.StructType):
        return [] if issubclass(t.cls, ServerMessage) else [t]
    if isinstance(t, mi.ListType):
        return _nested(t.item_type)
    if isinstance(t, mi.DictType):
        return _nested(t.value_type)
    if isinstance(t, mi.UnionType):
        return [s for x in t.types for s in _nested(x)]
    return []


def _words(t: mi.Type) -> str:
    """A field's description, wherever its ``Meta`` put it (around the union or inside it)."""
    t, words = _unwrap(t)
    if not words and isinstance(t, mi.UnionType):
        words = next((w for x in t.types if (w := _unwrap(x)[1])), "")
    return words


def _default(f: mi.Field) -> str:
    value = f.default_factory() if f.default_factory is not msgspec.NODEFAULT else f.default
    return "`" + json.dumps(msgspec.to_builtins(value), ensure_ascii=False) + "`"


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


# -- the tables -----------------------------------------------------------------------------------
def _fields(info: mi.StructType) -> list[mi.Field]:
    return [f for f in info.fields if f.encode_name != "id" or not issubclass(info.cls, Command)]


def _table(head: list[str], rows: list[list[str]]) -> list[str]:
    """A markdown table; the last column is left out when no row has anything to say in it."""
    if not any(row[-1] for row in rows):
        head, rows = head[:-1], [row[:-1] for row in rows]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    return lines + ["| " + " | ".join(_cell(c) for c in row) + " |" for row in rows]


def _unset(f: mi.Field) -> bool:
    """A reply field that is left out while unset (``msgspec.UNSET``): inspect shows it as optional
    without a default."""
    return not f.required and f.default is msgspec.NODEFAULT and f.default_factory is msgspec.NODEFAULT


def input_table(info: mi.StructType) -> list[str]:
    rows = []
    for f in _fields(info):
        needed = "yes" if f.required else f"no (default {_default(f)})"
        said = "; ".join(_limits(f.type))
        words = _words(f.type)
        said = f"{said}; {words}" if said and words else said or words
        rows.append([f"`{f.encode_name}`", kind(f.type), needed, said])
    return _table(["field", "type", "required", "constraints"], rows)


def output_table(info: mi.StructType) -> list[str]:
    rows = [
        [f"`{f.encode_name}`", kind(f.type), "when set" if _unset(f) else "always", _words(f.type)]
        for f in info.fields
    ]
    return _table(["field", "type", "sent", "meaning"], rows)


def block(tag: str) -> str:
    """The generated block of command ``tag``'s section."""
    cls = BY_TAG[tag]
    command = mi.type_info(cls)
    reply = mi.type_info(cls.reply_type)
    assert isinstance(command, mi.StructType) and isinstance(reply, mi.StructType)
    lines = [
        f"<!-- fields: {tag} -->",
        "<!-- generated from the message types by tests/protocol_tables.py -->",
    ]
    if _fields(command):
        lines += ["Fields (besides `type` and `id`):", "", *input_table(command), ""]
    else:
        lines += ["Fields: none besides `type` and `id`.", ""]
    lines += [f"The result (`{cls.reply_type.__name__}`):", "", *output_table(reply), ""]
    seen: set[type] = set()
    pending = [(s, True) for f in _fields(command) for s in _nested(f.type)]
    pending += [(s, False) for f in reply.fields for s in _nested(f.type)]
    while pending:
        nested, sent_by_client = pending.pop(0)
        if nested.cls in seen:
            continue
        seen.add(nested.cls)
        table = input_table(nested) if sent_by_client else output_table(nested)
        lines += [f"{_struct_name(nested.cls)}:", "", *table, ""]
        pending += [(s, sent_by_client) for f in nested.fields for s in _nested(f.type)]
    return "\n".join([*lines, "<!-- end fields -->", ""])


def rewrite(text: str) -> str:
    """The doc with every fields block written from the types."""

    def one(mt: re.Match[str]) -> str:
        name = mt.group("name")
        if name not in BY_TAG:
            raise KeyError(f"docs/protocol.md has a fields block for {name!r}, which is no command")
        return block(name)

    return BLOCK.sub(one, text)


def blocks(text: str) -> dict[str, str]:
    """Every fields block of the doc, by command (a command may have one only)."""
    out: dict[str, str] = {}
    for mt in BLOCK.finditer(text):
        if mt.group("name") in out:
            raise ValueError(f"fields of {mt.group('name')!r} shown twice")
        out[mt.group("name")] = mt.group(0)
    return out


def drift(text: str) -> list[str]:
    """The commands whose block is missing or differs from what the types say."""
    shown = blocks(text)
    return [tag for tag in BY_TAG if shown.get(tag) != block(tag)]


def main(argv: list[str]) -> int:
    text = DOC.read_text(encoding="utf-8")
    if "--check" in argv:
        stale = drift(text)
        for name in stale:
            print(f"drifted: fields of {name}", file=sys.stderr)
        return 1 if stale else 0
    DOC.write_text(rewrite(text), encoding="utf-8")
    print(f"wrote {len(blocks(text))} field tables into {DOC}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
