"""docs/protocol.md is the reference for third-party client writers: hold it to the code.

Every command, error code and close code must be documented; the tables of roles, channels and
limits must say what the code does; every JSON example must decode with the hub's own message
types (examples of rejected frames, fenced ``json-invalid``, must be rejected with the code of the
error shown after them, and every reply must be exactly its command's reply type), every
MessagePack example must be the exact encoding of the JSON example before it, and the field
tables of every command and its reply must be the ones ``tests.protocol_tables`` writes from the
types.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import msgspec
import pytest

from engine import keys
from engine.channels import SPECS
from engine.errors import CATALOGUE, Code, ProtocolError
from engine.roles import Role
from moderation import chat
from realtime import roles
from realtime.config import Settings
from realtime.protocol import messages as m
from realtime.protocol.closecodes import CloseCode
from realtime.protocol.codec import CODECS, JSON, MSGPACK, command_id_of
from realtime.protocol.session import Limits
from tests import protocol_examples, protocol_tables

DOC = Path(__file__).resolve().parents[2] / "docs" / "protocol.md"
TEXT = DOC.read_text(encoding="utf-8")

ServerUnion = m.Reply | m.Error | m.Event | m.Batch | m.Gap
SERVER_TYPES = {cls.__struct_config__.tag: cls for cls in (m.Reply, m.Error, m.Event, m.Batch, m.Gap)}

FENCE = re.compile(r"^```([\w-]*)\n(.*?)^```$", re.M | re.S)
BLOCKS = [(mt.group(1), mt.group(2), mt.start(), mt.end()) for mt in FENCE.finditer(TEXT)]
JSON_BLOCKS = [body for lang, body, _, _ in BLOCKS if lang == "json"]


# -- helpers ------------------------------------------------------------------------------------
def tables() -> list[list[list[str]]]:
    """Every markdown table of the doc outside code blocks, as rows of cells (header first)."""
    out: list[list[list[str]]] = []
    current: list[list[str]] = []
    outside = FENCE.sub("", TEXT)
    for line in [*outside.splitlines(), ""]:
        if line.startswith("|"):
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            if not all(re.fullmatch(r":?-+:?", c) for c in cells):
                current.append(cells)
        elif current:
            out.append(current)
            current = []
    return out


def table_with(*headers: str) -> tuple[list[str], list[list[str]]]:
    for table in tables():
        head = [h.lower() for h in table[0]]
        if all(any(h in cell for cell in head) for h in headers):
            return head, table[1:]
    raise AssertionError(f"docs/protocol.md has no table with columns {headers}")


def column(head: list[str], name: str) -> int:
    return next(i for i, h in enumerate(head) if name in h)


def unquote(cell: str) -> str:
    return cell.strip().strip("`")


def role_set(cell: str) -> frozenset[str]:
    cell = cell.strip()
    if cell == "all roles":
        return frozenset(Role)
    if cell.startswith("all roles except "):
        return frozenset(Role) - {r.strip() for r in cell.removeprefix("all roles except ").split(",")}
    return frozenset(r.strip() for r in cell.split(","))


def yes_no(cell: str) -> bool:
    assert cell in ("yes", "no"), cell
    return cell == "yes"


# -- everything is there ------------------------------------------------------------------------
@pytest.mark.parametrize("tag", sorted(m.COMMANDS))
def test_every_command_has_a_section(tag: str) -> None:
    assert f"### `{tag}`" in TEXT


def test_command_table_matches_roles() -> None:
    head, rows = table_with("command", "roles")
    cmd, who = column(head, "command"), column(head, "roles")
    documented = {unquote(r[cmd]): role_set(r[who]) for r in rows}
    assert set(documented) == set(m.COMMANDS)
    assert documented == dict(roles.COMMAND_ROLES)


def test_every_error_code_is_documented() -> None:
    head, rows = table_with("code", "name", "retryable")
    code, name = column(head, "code"), column(head, "name")
    documented = {int(r[code]): unquote(r[name]) for r in rows}
    assert documented == {int(c): c.name.lower() for c in Code}


def test_error_table_is_the_catalogue() -> None:
    """Category, retry flag and HTTP status of every code: the rows of ``engine.errors.CATALOGUE``."""
    head, rows = table_with("code", "category", "retryable", "http status")
    col = {k: column(head, k) for k in ("code", "category", "retryable", "http status")}
    documented = {
        Code(int(r[col["code"]])): (
            r[col["category"]],
            yes_no(r[col["retryable"]]),
            int(r[col["http status"]]),
        )
        for r in rows
    }
    assert documented == {c: (s.category.value, s.retryable, s.http_status) for c, s in CATALOGUE.items()}


def test_every_retryable_column_is_the_catalogues() -> None:
    """The tables of a part of the protocol (moderated meetings...) repeat the flag: the same."""
    checked = 0
    for table in tables():
        head = [h.lower() for h in table[0]]
        if "code" in head and "retryable" in head:
            code, retry = head.index("code"), head.index("retryable")
            for row in table[1:]:
                assert yes_no(row[retry]) == CATALOGUE[Code(int(row[code]))].retryable, row
                checked += 1
    assert checked > len(Code)


def test_http_statuses_in_the_text_are_the_catalogues() -> None:
    """§11 lists the codes of every HTTP status but 400, and §1 the refusals before the upgrade."""
    api = TEXT[TEXT.index("API errors are JSON") :]
    api = api[: api.index("A 429")]
    listed = {
        int(status): {unquote(n) for n in names.split(",")}
        for status, names in re.findall(r"(\d{3}) \(([^)]*)\)", " ".join(api.split()))
    }
    expected: dict[int, set[str]] = {}
    for c, s in CATALOGUE.items():
        if s.http_status != 400:
            expected.setdefault(s.http_status, set()).add(c.name.lower())
    assert listed == expected
    head, rows = table_with("http status", "body")
    status, body = column(head, "http status"), column(head, "body")
    for row in rows:
        code = Code(int(row[body].split()[0]))
        assert int(row[status]) == CATALOGUE[code].http_status, row


def test_every_close_code_is_documented() -> None:
    head, rows = table_with("close code", "name")
    code, name = column(head, "close code"), column(head, "name")
    documented = {int(r[code]): unquote(r[name]) for r in rows}
    for cc in CloseCode:
        assert documented.get(int(cc)) == cc.name, f"close code {int(cc)} {cc.name}"


def test_subprotocols_and_endpoint() -> None:
    for name in (JSON, MSGPACK, "`/ws`", "#t="):
        assert name in TEXT


# -- the tables say what the code does ------------------------------------------------------
def test_channel_table_matches_specs() -> None:
    head, rows = table_with("kind", "history", "backlog")
    col = {k: column(head, k) for k in ("kind", "name", "stateful", "history", "backlog", "archive")}
    col["coalesced"] = column(head, "coalesced")
    col["who"] = column(head, "who may follow")
    by_kind = {unquote(r[col["kind"]]): r for r in rows}
    assert set(by_kind) == set(SPECS)
    for kind, spec in SPECS.items():
        row = by_kind[kind]
        assert yes_no(row[col["stateful"]]) == spec.stateful, kind
        assert int(row[col["history"]]) == spec.history, kind
        assert int(row[col["backlog"]]) == spec.backlog, kind
        assert yes_no(row[col["archive"]]) == spec.archive, kind
        assert yes_no(row[col["coalesced"]]) == spec.coalesce, kind
        assert role_set(row[col["who"]]) == roles.CHANNEL_ROLES[kind], kind
        example = re.sub(r"<[a-z]+>", "x1", unquote(row[col["name"]]))
        assert keys.check_channel(example) == example
        assert roles.channel_kind(example) == kind


def test_limits_table_matches_code() -> None:
    head, rows = table_with("limit", "value")
    lim, val = column(head, "limit"), column(head, "value")
    values = {unquote(r[lim]): r[val] for r in rows}
    limits, settings = Limits(), Settings()

    def has(key: str, text: str) -> None:
        assert text in values[key], f"{key}: expected {text!r} in {values[key]!r}"

    has("rate", f"{limits.rate:g} commands per second")
    has("burst", f"{limits.burst:g}")
    has("flood", f"more than {limits.flood}")
    has("flood", f"{limits.window:g} s")
    has("max_errors", f"more than {limits.max_errors}")
    has("hello_timeout", f"{limits.hello_timeout:g} s")
    has("max_frame", f"{settings.max_frame // 1024} KiB")
    has("max_subscriptions", f"{settings.max_subscriptions} channels")
    has("chat_chars", f"{chat.MAX_CHARS} characters")
    has("chat_chars", f"{m.ChatText.__metadata__[0].max_length:,}")
    has("chat_rate", f"{chat.RATE_COUNT} chat messages per {chat.RATE_WINDOW_MS // 1000} s")
    has("write_cap", f"{settings.write_cap // 1024} KiB")
    has("stall_timeout", f"{settings.stall_timeout:g} s")
    has("hard_cap", f"{settings.hard_cap // 2**20} MiB")


# -- the examples are real frames -----------------------------------------------------------
def test_there_are_examples_of_every_message() -> None:
    types = {json.loads(body)["type"] for body in JSON_BLOCKS}
    assert set(m.COMMANDS) <= types
    assert set(SERVER_TYPES) <= types


@pytest.mark.parametrize("body", JSON_BLOCKS)
def test_json_example_decodes_with_the_real_types(body: str) -> None:
    frame = json.loads(body)
    kind = frame.get("type")
    if kind in m.COMMANDS:
        cmd = CODECS[JSON].decode(json.dumps(frame, ensure_ascii=False))
        assert isinstance(cmd, m.COMMANDS[kind])
        assert msgspec.json.decode(body, type=m.ClientMessage) == cmd
        return
    assert kind in SERVER_TYPES, f"a JSON example that is no protocol message: {body[:80]}"
    msg = msgspec.json.decode(body, type=ServerUnion)
    assert isinstance(msg, SERVER_TYPES[kind])
    if isinstance(msg, m.Error):
        assert Code(msg.code).name.lower() == msg.name
    if isinstance(msg, m.Reply) and isinstance(msg.result, dict):
        result = msg.result
        if "participant" in result:
            msgspec.convert(result, m.Welcome)
        elif "recovered" in result:
            sub = msgspec.convert(result, m.Subscribed)
            assert all(e.channel == sub.channel and e.epoch == sub.epoch for e in sub.events)
            assert all(e.offset <= sub.offset for e in sub.events)
        elif set(result) == {"channel", "epoch", "offset", "time"}:
            msgspec.convert(result, m.Sent)
        elif "meetings" in result:
            msgspec.convert(result["meetings"], list[m.Meeting])
    if isinstance(msg, m.Batch):
        offsets = [e.offset for e in msg.events]
        assert offsets == list(range(offsets[0], offsets[0] + len(offsets)))
        assert len({e.channel for e in msg.events}) == 1


def rejection(decode: Callable[[bytes | str], object], data: bytes | str) -> ProtocolError:
    with pytest.raises(ProtocolError) as caught:
        decode(data)
    return caught.value


def test_rejected_examples_are_rejected_as_shown() -> None:
    seen = 0
    for i, (lang, body, _, _) in enumerate(BLOCKS):
        if lang != "json-invalid":
            continue
        err = rejection(CODECS[JSON].decode, json.dumps(json.loads(body)))
        answer = next(b for lang2, b, _, _ in BLOCKS[i + 1 :] if lang2 == "json")
        shown = msgspec.json.decode(answer, type=ServerUnion)
        assert isinstance(shown, m.Error), f"no error after the rejected example {body[:60]}"
        assert (shown.code, shown.id) == (int(err.code), command_id_of(err))
        seen += 1
    assert seen


def test_msgpack_examples_are_the_json_examples_encoded() -> None:
    pairs = 0
    for i, (lang, body, start, _end) in enumerate(BLOCKS):
        if lang != "msgpack-hex":
            continue
        prev_lang, prev_body, _, prev_end = BLOCKS[i - 1]
        assert prev_lang in ("json", "json-invalid"), "msgpack-hex must follow a JSON example"
        assert not TEXT[prev_end:start].strip(), "msgpack-hex must follow a JSON example"
        data = bytes.fromhex("".join(body.split()))
        frame = json.loads(prev_body)
        assert data == msgspec.msgpack.encode(frame)
        kind = frame.get("type")
        if prev_lang == "json-invalid":
            json_err = rejection(CODECS[JSON].decode, json.dumps(frame))
            assert rejection(CODECS[MSGPACK].decode, data).code == json_err.code
        elif kind in m.COMMANDS:
            assert isinstance(CODECS[MSGPACK].decode(data), m.COMMANDS[kind])
        else:
            assert isinstance(msgspec.msgpack.decode(data, type=ServerUnion), SERVER_TYPES[kind])
        pairs += 1
    assert pairs >= len(m.COMMANDS) + len(SERVER_TYPES)


def test_code_examples_compile() -> None:
    blocks = [body for lang, body, _, _ in BLOCKS if lang == "python"]
    assert blocks
    for body in blocks:
        compile(body, "docs/protocol.md", "exec")


def test_every_example_is_generated_from_a_running_hub() -> None:
    """Every JSON example stands under a marker of ``tests.protocol_examples``, which writes it from
    a running hub (and tests/integration/test_protocol_examples.py fails when one drifts): an
    example added by hand would go unchecked."""
    lines = TEXT.splitlines()
    unmarked = [
        lines[i + 1][:60]
        for i, line in enumerate(lines)
        if line in ("```json", "```json-invalid") and not (i and lines[i - 1].startswith("<!-- example: "))
    ]
    assert not unmarked, f"examples without a marker: {unmarked}"


def test_reply_parts_keep_to_the_documented_budget() -> None:
    """The doc promises subscribe reply parts of at most 64 KiB (the client frame cap), about
    60 KiB of events each; the budget lives in ``session.PART_BUDGET``."""
    from realtime.protocol.session import PART_BUDGET

    assert PART_BUDGET // 1024 == 60 and "about 60 KiB" in TEXT
    assert Settings().max_frame > PART_BUDGET and re.search(r"A part is\s+at most 64 KiB", TEXT)


# -- the field tables are the types ---------------------------------------------------------------
def test_every_command_section_shows_fields_written_from_the_types() -> None:
    """Each command's fields and its reply's are shown once, as ``tests.protocol_tables`` writes
    them from the Structs (run ``python -m tests.protocol_tables`` after changing a type)."""
    assert set(protocol_tables.blocks(TEXT)) == set(m.COMMANDS)
    assert not protocol_tables.drift(TEXT), "field tables drifted: run `python -m tests.protocol_tables`"
    for tag in m.COMMANDS:  # in its own section
        section = TEXT.split(f"### `{tag}`\n", 1)[1].split("\n### ", 1)[0]
        assert f"<!-- fields: {tag} -->" in section, tag
    assert f"`{protocol_tables.IDENT_PATTERN}`" in TEXT  # what the tables call an "id"


def test_the_tables_check_is_not_blind() -> None:
    stale = TEXT.replace("| `vote` | id | yes | a vote id |", "| `vote` | id | no | a vote id |", 1)
    assert protocol_tables.drift(stale)
    assert protocol_tables.rewrite(stale) == TEXT


def _command_of(example: str) -> type[m.Command] | None:
    """The command whose reply an example shows (``vote.cast.retry.reply`` -> ``vote.cast``)."""
    parts = example.split(".")
    for n in range(len(parts) - 1, 0, -1):
        if ".".join(parts[:n]) in m.COMMANDS:
            return m.COMMANDS[".".join(parts[:n])]
    return None


def test_every_reply_example_is_its_commands_reply_type_field_for_field() -> None:
    """Every documented reply is exactly its declared type: the same fields in the same order, an
    unset one left out, nothing else (the examples are written from a running hub)."""
    checked = set()
    for name, frame in protocol_examples.marked(TEXT).items():
        cls = _command_of(name)
        if cls is None or frame.get("type") != "reply":
            continue
        typed = msgspec.convert(frame["result"], cls.reply_type)
        again = msgspec.to_builtins(typed)
        assert json.dumps(again, ensure_ascii=False) == json.dumps(frame["result"], ensure_ascii=False), name
        checked.add(cls)
    assert checked == set(m.COMMANDS.values())


NAMED_RESULTS = {
    "welcome": m.Welcome,
    "subscribed": m.Subscribed,
    "sent": m.Sent,
    "receipt": m.COMMANDS["vote.cast"].reply_type,
}


def _top_level_names(cell: str) -> set[str]:
    """The quoted field names of a result cell such as ``{"a", "b": [{"c"}]}; also "d"``, outside
    any nested brackets: ``{"a", "b", "d"}``."""
    depth, flat = 0, []
    for ch in cell:
        if ch in "[{":
            depth += 1
        elif ch in "]}":
            depth -= 1
        elif depth <= 1:
            flat.append(ch)
    return set(re.findall(r'"(\w+)"', "".join(flat)))


def test_the_command_tables_result_column_names_the_reply_fields() -> None:
    """The summary of §4 and of moderated meetings is written by hand: hold its ``result`` column
    to the reply types (every field named, nothing else at the top level) and its ``fields``
    column to the command types (every field named)."""
    checked = set()
    for table in tables():
        head = [h.lower() for h in table[0]]
        if not (any("command" in h for h in head) and "result" in head):
            continue
        cmd, fields, result = column(head, "command"), column(head, "fields"), head.index("result")
        for row in table[1:]:
            cls = m.COMMANDS[unquote(row[cmd])]
            cell = row[result].strip()
            if cell.startswith("as `"):
                assert cls.reply_type is m.COMMANDS[cell[4:].split("`")[0]].reply_type, row
            elif cell in NAMED_RESULTS:
                assert cls.reply_type is NAMED_RESULTS[cell], row
            else:
                assert _top_level_names(cell) == set(cls.reply_type.__struct_fields__), row
            named = set(re.findall(r"`(\w+)(?::[^`]*)?`", row[fields]))
            assert set(cls.__struct_fields__) - {"id"} <= named, row
            checked.add(cls)
    assert checked == set(m.COMMANDS.values())
