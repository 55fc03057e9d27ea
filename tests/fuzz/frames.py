"""Frames for the fuzzers: valid frames of every command, mutated structurally, encoded in either
codec, sometimes broken at the byte level too. Deterministic from a seed (``random.Random``), so a
finding is replayed by its seed and input number.

Why a generator of our own and not hypothesis here: the fuzz run is a million inputs, and
hypothesis draws a few hundred to a few thousand a second; this draws, encodes and checks 7,000
to 15,000 a second on this machine (docs/reliability.md). The frames still come
from the declared types (``msgspec.inspect``), as tests/unit/realtime/wire.py's strategies do, so a
new command or field is fuzzed the day it is declared; the seeds also hold every client frame of
docs/protocol.md's examples (captured from a real hub by tests/protocol_examples.py).

A mutation is one of: a field dropped, a field added, a value replaced by one of another kind or
at an edge (huge and negative ints, NaN and infinities, floats for ints, long strings, control
and non-BMP characters, deep nesting, bytes, maps with non-string keys, MessagePack extension
types), the same inside nested lists and maps, the ``type`` swapped for another command's (its
fields then belong to someone else), the whole frame replaced by a non-object. Then, for some
inputs, the bytes: flipped, cut, spliced, padded with a nesting bomb, made invalid UTF-8.
"""

from __future__ import annotations

import copy
import json
import math
import random
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import msgspec
import msgspec.inspect as mi

from realtime.protocol.codec import JSON, MSGPACK
from realtime.protocol.messages import ALL_COMMANDS, COMMANDS, Command

DOC = Path(__file__).resolve().parents[2] / "docs" / "protocol.md"
EXAMPLE = re.compile(
    r"^<!-- example: (?P<name>[\w.\-]+) -->\n```json(?:-invalid)?\n(?P<body>.*?)^```", re.M | re.S
)
TAGS: tuple[str, ...] = tuple(sorted(COMMANDS))
Hints = dict[str, list[Any]]
"""Field name -> values worth trying (ids that exist on the hub under test), tried first."""

# Strings that match the protocol's patterns (ids, nonces), tried in order for a pattern field.
PATTERN_CANDIDATES = ("m1", "p1", "plenary-1", "nonce-fuzz-0001", "a", "Z9_.-x", "x" * 64)


def documented_frames() -> list[dict[str, Any]]:
    """Every client frame of docs/protocol.md's examples (valid and rejected), as objects."""
    out = []
    for match in EXAMPLE.finditer(DOC.read_text()):
        try:
            obj = json.loads(match["body"])
        except ValueError:
            continue
        if isinstance(obj, dict) and obj.get("type") in COMMANDS:
            out.append(obj)
    return out


# -- valid values, from the declared types ------------------------------------------------------
def _bounds(t: mi.IntType) -> tuple[int, int]:
    low = t.ge if t.ge is not None else (t.gt + 1 if t.gt is not None else -(2**53))
    high = t.le if t.le is not None else (t.lt - 1 if t.lt is not None else 2**53)
    return low, high


def valid_value(t: mi.Type, rng: random.Random, depth: int = 0) -> Any:
    """A plain value (what a decoder gives) that ``t`` accepts."""
    if isinstance(t, mi.Metadata):
        return valid_value(t.type, rng, depth)
    if isinstance(t, mi.IntType):
        low, high = _bounds(t)
        return rng.choice([low, min(high, low + rng.randrange(10)), high, rng.randint(low, high)])
    if isinstance(t, mi.StrType):
        low, high = t.min_length or 0, t.max_length if t.max_length is not None else 64
        if t.pattern is not None:
            fits = [s for s in PATTERN_CANDIDATES if re.search(t.pattern, s) and low <= len(s) <= high]
            return rng.choice(fits) if fits else "a" * max(low, 1)
        n = rng.randint(low, max(low, min(high, 24)))
        return "".join(rng.choice("abc 가나다 ✓😀\n") for _ in range(n))
    if isinstance(t, mi.BoolType):
        return rng.random() < 0.5
    if isinstance(t, mi.NoneType):
        return None
    if isinstance(t, mi.LiteralType):
        return rng.choice(t.values)
    if isinstance(t, mi.AnyType):
        return rng.choice([None, 1, "x", [1, "a"], {"k": [True]}])
    if isinstance(t, mi.UnionType):
        return valid_value(rng.choice(t.types), rng, depth)
    if isinstance(t, mi.ListType):
        high = min(t.max_length if t.max_length is not None else 4, 4)
        n = rng.randint(t.min_length or 0, max(high, t.min_length or 0))
        return [valid_value(t.item_type, rng, depth + 1) for _ in range(n)]
    if isinstance(t, mi.DictType):
        n = rng.randint(t.min_length or 0, max(t.min_length or 0, 3))
        return {
            valid_value(t.key_type, rng, depth + 1): valid_value(t.value_type, rng, depth + 1)
            for _ in range(n)
        }
    if isinstance(t, mi.StructType):
        return _fields(t, rng, {}, depth + 1)
    raise NotImplementedError(f"no value for {t!r}: add it to tests/fuzz/frames.py")


def _fields(t: mi.StructType, rng: random.Random, hints: Hints, depth: int) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if t.tag_field is not None:
        out[t.tag_field] = t.tag
    for f in t.fields:
        if not f.required and rng.random() < 0.3:
            continue
        hinted = hints.get(f.encode_name)
        if hinted and rng.random() < 0.8:
            out[f.encode_name] = rng.choice(hinted)
        else:
            out[f.encode_name] = valid_value(f.type, rng, depth)
    return out


_INFO: dict[type[Command], mi.StructType] = {
    cls: mi.type_info(cls)  # type: ignore[misc]
    for cls in ALL_COMMANDS
}


def valid_frame(cls: type[Command], rng: random.Random, hints: Hints | None = None) -> dict[str, Any]:
    """A frame of ``cls`` its type accepts, biased to ``hints`` (mostly: a hinted value need not fit)."""
    return _fields(_INFO[cls], rng, hints or {}, 0)


# -- nasty values -------------------------------------------------------------------------------
def _nested(depth: int, leaf: Any, as_map: bool) -> Any:
    out = leaf
    for _ in range(depth):
        out = {"a": out} if as_map else [out]
    return out


# Built once: the large values are shared (never mutated in place: ``mutate`` copies its frame
# before changing it, and these only go in after the copy).
_LONG = tuple(
    c * n for c in ("x", "가", "😀", "\x00") for n in (64, 65, 129, 257, 301, 501, 2001, 4001, 20_000, 70_000)
)
_DEEP = tuple(_nested(d, leaf, m) for d in (2, 10, 64, 150) for leaf in (1, "x", None) for m in (False, True))
_WIDE = tuple([v] * n for v in (1, "a", None, 2.5) for n in (1, 101, 1001, 5000)) + tuple(
    {f"k{i}": i for i in range(n)} for n in (1, 50, 2000)
)
_EDGES: tuple[Any, ...] = (
    None,
    True,
    False,
    0,
    -1,
    1,
    "",
    [],
    {},
    # ints at and past every edge the protocol names, and past what the codecs carry
    2**53 - 1,
    2**53,
    -(2**53),
    2**31,
    2**63 - 1,
    2**63,
    -(2**63),
    2**64 - 1,
    2**64,
    10**30,
    -(10**30),
    1.0,
    0.5,
    -0.0,
    1e308,
    5e-324,
    math.nan,
    math.inf,
    -math.inf,
    # control, bidi, non-BMP, line separators
    "\x00",
    "\x1b[2J",
    "\u202e",
    "\u2028\u2029",
    "😀" * 3,
    "\ufeff",
    "\r\n",
    "a\tb",
    "\U0010ffff",
    b"\x00\xff bytes",  # MessagePack bin (a JSON string of the same text)
    {1: "int key", None: 2},
    {2: [3]},
    msgspec.msgpack.Ext(-1, b"\x01"),
    msgspec.msgpack.Ext(5, b""),
    msgspec.msgpack.Ext(127, b"\x01\x02"),
    "m1",
    "p1",
    "plenary-1",
    "../../etc",
    "meeting/m1/chat",
    "*",
    "a b",
    "m1\x00",
    "1",
    "-1",
    "1e5",
    "NaN",
    "true",
    "null",
    "0x10",
)


def _all_containers(obj: Any) -> list[Any]:
    out, todo = [], [obj]
    while todo:
        x = todo.pop()
        if isinstance(x, list | dict):
            out.append(x)
            todo.extend(x.values() if isinstance(x, dict) else x)
    return out


_SHARED = frozenset(id(c) for v in (*_EDGES, *_DEEP, *_WIDE) for c in _all_containers(v))
"""The shared values' containers: ``mutate`` never changes them in place."""


def nasty_value(rng: random.Random) -> Any:
    """A value of another kind, or at an edge of its kind: mostly small, sometimes long, deep or
    wide, sometimes another command's name."""
    pick = rng.random()
    if pick < 0.7:
        return rng.choice(_EDGES)
    if pick < 0.8:
        return rng.choice(_LONG)
    if pick < 0.87:
        return rng.choice(_DEEP)
    if pick < 0.92:
        return rng.choice(_WIDE)
    return rng.choice(TAGS)


# -- structural mutations -----------------------------------------------------------------------
def _containers(obj: Any, depth: int = 0) -> list[Any]:
    """Every list and dict inside ``obj`` (itself included), to mutate one deep inside."""
    if depth > 6 or not isinstance(obj, list | dict) or id(obj) in _SHARED:
        return []
    out: list[Any] = [obj]
    for v in obj.values() if isinstance(obj, dict) else obj:
        out += _containers(v, depth + 1)
    return out


def _mutate_inside(container: Any, rng: random.Random) -> None:
    if isinstance(container, dict):
        if container and rng.random() < 0.7:
            key = rng.choice(list(container))
            if rng.random() < 0.3:
                del container[key]
            else:
                container[key] = nasty_value(rng)
        else:
            container[rng.choice(["zz", "type", "id", "", "__proto__"])] = nasty_value(rng)
    elif container and rng.random() < 0.7:
        i = rng.randrange(len(container))
        if rng.random() < 0.3:
            del container[i]
        else:
            container[i] = nasty_value(rng)
    else:
        container.append(nasty_value(rng))


def mutate(frame: dict[str, Any], rng: random.Random, rounds: int | None = None) -> Any:
    """``frame`` (a copy) with one to three structural mutations."""
    try:  # a deep copy (a frame decoded loosely may hold bytes, extension types, huge ints)
        obj: Any = msgspec.msgpack.decode(msgspec.msgpack.encode(frame))
    except (TypeError, OverflowError, RecursionError):
        obj = copy.deepcopy(frame)
    for _ in range(rounds if rounds is not None else rng.choice([1, 1, 1, 2, 3])):
        how = rng.randrange(10)
        if not isinstance(obj, dict):
            how = 7
        if how <= 1 and obj:
            del obj[rng.choice(list(obj))]
        elif how <= 4 and obj:
            obj[rng.choice(list(obj))] = nasty_value(rng)
        elif how == 5:
            obj[rng.choice(["zz_new", "extra", "nonce", "meeting", "text", "ranking", "token"])] = (
                nasty_value(rng)
            )
        elif how == 6:
            obj["type"] = rng.choice(
                [rng.choice(TAGS), "x." + rng.choice(TAGS), "", "PING", None, 7, ["ping"]]
            )
        elif how == 7:
            inside = _containers(obj)
            if inside:
                _mutate_inside(rng.choice(inside), rng)
        elif how == 8:
            obj["id"] = rng.choice([0, 2**53 - 1, 2**53, -1, 1.0, "1", None, True, 2**64])
        elif rng.random() < 0.3:
            obj = rng.choice([[obj], "text", 1, None, [], nasty_value(rng)])
    return obj


# -- encoding -----------------------------------------------------------------------------------
def _json_default(obj: Any) -> Any:
    if isinstance(obj, bytes):
        return obj.decode("latin-1")
    if isinstance(obj, msgspec.msgpack.Ext):
        return {"ext": obj.code}
    raise TypeError(type(obj).__name__)


def _for_msgpack(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {_for_msgpack(k): _for_msgpack(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_for_msgpack(v) for v in obj]
    if isinstance(obj, int) and not isinstance(obj, bool) and not -(2**63) <= obj < 2**64:
        return float(obj)  # MessagePack carries no wider integer
    return obj


def encode(obj: Any, codec: str, rng: random.Random) -> bytes | str:
    """``obj`` as a client of ``codec`` sends it: a text frame (str) for JSON, binary for
    MessagePack; JSON as Python writes it (NaN and Infinity included, escaped or raw non-ASCII)."""
    if codec == JSON:
        try:
            return json.dumps(obj, allow_nan=True, ensure_ascii=rng.random() < 0.3, default=_json_default)
        except RecursionError:
            return "[" * 10_000 + "1" + "]" * 10_000
    try:
        return msgspec.msgpack.encode(obj)
    except OverflowError:
        return msgspec.msgpack.encode(_for_msgpack(obj))
    except RecursionError:  # nested past what the encoder writes: the decoder gets a bomb anyway
        return b"\x91" * 10_000 + b"\x01"


def break_bytes(data: bytes | str, codec: str, rng: random.Random) -> bytes | str:
    """The frame damaged at the byte level. A JSON frame stays a str (a WebSocket text frame is
    valid UTF-8 by the time the hub reads it: bytes that are not end in replacement characters)."""
    raw = bytearray(data.encode() if isinstance(data, str) else data)
    how = rng.randrange(7)
    if how == 0 and raw:
        for _ in range(rng.randint(1, 4)):
            raw[rng.randrange(len(raw))] = rng.randrange(256)
    elif how == 1 and raw:
        del raw[rng.randrange(len(raw)) :]
    elif how == 2:
        at = rng.randrange(len(raw) + 1)
        raw[at:at] = rng.choice(
            [b"\xff\xfe", b"\xed\xa0\x80", b"\xc0\x80", b"\x00", b"\\u0000", b"\xc1", b"\xd9"]
        )
    elif how == 3:  # a nesting bomb in front
        bomb = (b"[" if codec == JSON else b"\x91") * rng.choice([100, 1000, 10_000, 60_000])
        raw[0:0] = bomb
    elif how == 4 and raw:
        a = rng.randrange(len(raw))
        raw[a:a] = raw[a : a + rng.randint(1, 32)]
    elif how == 5:
        raw += rng.choice([b" ", b"\n{}", b"\x00", b"garbage", b"\xc0"])
    else:
        raw = bytearray(rng.randbytes(rng.randint(0, 64)))
    if codec == JSON:
        return raw.decode("utf-8", errors="replace")
    return bytes(raw)


class Inputs:
    """Fuzz inputs for either codec, from a pool of valid frames (the seeds and frames of every
    command, one of them replaced by a fresh one now and then).

    Each input is a pool frame mutated structurally and encoded (sometimes damaged at the byte
    level after), or a pool frame's encoding damaged at the byte level only (cheap: the pool's
    encodings are kept), or now and then the frame as it is; rarely the wrong kind of frame for
    the subprotocol (bytes on JSON, a str on MessagePack)."""

    def __init__(
        self, seeds: list[dict[str, Any]], rng: random.Random, hints: Hints | None = None, size: int = 512
    ) -> None:
        self.rng = rng
        self.hints = hints or {}
        self.pool = list(seeds) + [self.fresh() for _ in range(max(0, size - len(seeds)))]
        self._encoded: dict[tuple[int, str], bytes | str] = {}

    def fresh(self, among: Sequence[type[Command]] = ALL_COMMANDS) -> dict[str, Any]:
        """A new valid frame of one of ``among`` (by default any command)."""
        return valid_frame(self.rng.choice(among), self.rng, self.hints)

    def frame(self) -> dict[str, Any]:
        """A valid (or documented) frame from the pool, unmutated."""
        return self.rng.choice(self.pool)

    def next(self, codec: str) -> bytes | str:
        rng = self.rng
        i = rng.randrange(len(self.pool))
        if rng.random() < 0.02:
            self.pool[i] = self.fresh()
            self._encoded = {k: v for k, v in self._encoded.items() if k[0] != i}
        how = rng.random()
        if how < 0.35:
            key = (i, codec)
            if key not in self._encoded:
                self._encoded[key] = encode(self.pool[i], codec, rng)
            data = break_bytes(self._encoded[key], codec, rng)
        elif how < 0.95:
            data = encode(mutate(self.pool[i], rng), codec, rng)
            if rng.random() < 0.1:
                data = break_bytes(data, codec, rng)
        else:
            data = encode(self.pool[i], codec, rng)
        if rng.random() < 0.01:
            data = data.encode() if isinstance(data, str) else data.decode("latin-1")
        return data


CODEC_NAMES = (JSON, MSGPACK)
