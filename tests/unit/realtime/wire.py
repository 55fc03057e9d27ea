"""Hypothesis strategies for protocol v1 frames, derived from the declared message types.

Every strategy here is built from ``msgspec.inspect.type_info`` of the Structs in
realtime/protocol/, so a new command, field or constraint is covered the day it is declared, with
no test to edit: ``valid_frame(cls)`` draws a frame (a plain dict, as a client would send it) that
the type accepts, with its optional fields sometimes left out; ``wrong_values`` lists values of
another kind than a field takes, for mutated frames.

Values stay small (lists of a few items, strings of a few dozen characters): the decoder's
properties do not depend on size, and the size limits have their own named tests.
"""

from __future__ import annotations

from typing import Any

import msgspec
import msgspec.inspect as mi
from hypothesis import strategies as st

from realtime.protocol.messages import ALL_COMMANDS, Command

COMMAND_TYPES: tuple[type[Command], ...] = ALL_COMMANDS
SMALL = 6  # items in a generated list or dict
SHORT = 40  # characters in a generated string without a pattern

json_values: st.SearchStrategy[Any] = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**53), 2**53)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=10),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8,
)


def tag_of(cls: type[Command]) -> str:
    return str(cls.__struct_config__.tag)


def _int(t: mi.IntType) -> st.SearchStrategy[int]:
    low = t.ge if t.ge is not None else (t.gt + 1 if t.gt is not None else -(2**53))
    high = t.le if t.le is not None else (t.lt - 1 if t.lt is not None else 2**53)
    return st.integers(min_value=low, max_value=high)


def _str(t: mi.StrType) -> st.SearchStrategy[str]:
    low, high = t.min_length or 0, t.max_length
    if t.pattern is not None:
        return st.from_regex(t.pattern, fullmatch=True).filter(
            lambda s: len(s) >= low and (high is None or len(s) <= high)
        )
    return st.text(min_size=low, max_size=max(low, min(high if high is not None else SHORT, SHORT)))


def value_of(t: mi.Type) -> st.SearchStrategy[Any]:
    """A plain value (what a JSON or MessagePack decoder gives) that type ``t`` accepts."""
    if isinstance(t, mi.Metadata):  # a description: no constraint of its own
        return value_of(t.type)
    if isinstance(t, mi.IntType):
        return _int(t)
    if isinstance(t, mi.StrType):
        return _str(t)
    if isinstance(t, mi.BoolType):
        return st.booleans()
    if isinstance(t, mi.NoneType):
        return st.none()
    if isinstance(t, mi.LiteralType):
        return st.sampled_from(t.values)
    if isinstance(t, mi.AnyType):
        return json_values
    if isinstance(t, mi.UnionType):
        return st.one_of([value_of(x) for x in t.types])
    if isinstance(t, mi.ListType):
        high = min(t.max_length if t.max_length is not None else SMALL, SMALL)
        return st.lists(
            value_of(t.item_type), min_size=t.min_length or 0, max_size=max(high, t.min_length or 0)
        )
    if isinstance(t, mi.DictType):
        high = min(t.max_length if t.max_length is not None else SMALL, SMALL)
        return st.dictionaries(
            value_of(t.key_type), value_of(t.value_type), min_size=t.min_length or 0, max_size=high
        )
    if isinstance(t, mi.StructType):
        return _fields(t)
    raise NotImplementedError(f"no strategy for {t!r}: add one to tests/unit/realtime/wire.py")


def _fields(t: mi.StructType) -> st.SearchStrategy[dict[str, Any]]:
    required = {f.encode_name: value_of(f.type) for f in t.fields if f.required}
    optional = {f.encode_name: value_of(f.type) for f in t.fields if not f.required}
    if t.tag_field is not None:
        required = {t.tag_field: st.just(t.tag), **required}
    return st.fixed_dictionaries(required, optional=optional)


def valid_frame(cls: type[Command]) -> st.SearchStrategy[dict[str, Any]]:
    """A frame of command ``cls`` that its type accepts (``type`` first, then its fields)."""
    return _fields(mi.type_info(cls))  # type: ignore[arg-type]


def any_valid_frame() -> st.SearchStrategy[dict[str, Any]]:
    return st.sampled_from(COMMAND_TYPES).flatmap(valid_frame)


def fields_of(cls: type[Command]) -> tuple[msgspec.structs.FieldInfo, ...]:
    return msgspec.structs.fields(cls)


WRONG_CANDIDATES: tuple[Any, ...] = ({"x": [1]}, [{"x": 1}], "?", 1.5, True, -1, None, 2**53)


def wrong_values(field: msgspec.structs.FieldInfo) -> list[Any]:
    """Values that ``field`` refuses (none for a field that takes anything)."""
    out = []
    for value in WRONG_CANDIDATES:
        try:
            msgspec.convert(value, field.type)
        except msgspec.ValidationError:
            out.append(value)
    return out
