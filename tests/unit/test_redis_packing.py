"""``engine.connection.packed_by_hiredis``: the hub's Redis commands packed by hiredis, in C, are the
bytes redis-py's own Python packer makes, and what hiredis does not take is refused as before."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from redis.asyncio.connection import Connection, UnixDomainSocketConnection
from redis.exceptions import DataError

from engine.connection import packed_by_hiredis

PYTHON = Connection()
HIREDIS = packed_by_hiredis(Connection)()

ARGUMENT = st.one_of(
    st.text(max_size=40),
    st.binary(max_size=40),
    st.binary(min_size=7000, max_size=7001),  # past redis-py's buffer cutoff: packed in chunks
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.floats(allow_nan=False, allow_infinity=False),
)


def both(*args: Any) -> tuple[bytes, bytes]:
    return b"".join(PYTHON.pack_command(*args)), b"".join(HIREDIS.pack_command(*args))


@given(st.lists(ARGUMENT, max_size=30))
def test_the_bytes_are_redis_pys_own(args: list[Any]) -> None:
    python, hiredis = both("EVALSHA", *args)
    assert hiredis == python


@pytest.mark.parametrize("name", ["SCRIPT LOAD", b"CLIENT SETNAME", "GET", b"GET"])
def test_a_command_name_with_a_space_is_several_arguments_as_in_redis_py(name: str | bytes) -> None:
    python, hiredis = both(name, "x")
    assert hiredis == python


@pytest.mark.parametrize("bad", [None, True, {"a": 1}])
def test_what_hiredis_does_not_take_is_refused_by_redis_py_as_before(bad: Any) -> None:
    with pytest.raises(DataError):
        HIREDIS.pack_command("SET", "k", bad)


def test_each_kind_of_connection_keeps_its_class_and_gets_one_packed_class() -> None:
    unix = packed_by_hiredis(UnixDomainSocketConnection)
    assert issubclass(unix, UnixDomainSocketConnection)
    assert packed_by_hiredis(UnixDomainSocketConnection) is unix
    assert packed_by_hiredis(Connection) is type(HIREDIS)
