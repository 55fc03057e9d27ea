"""Typed both ways: every command declares its reply type, and its handler returns that type.

mypy checks the handlers where they are registered (``realtime.commands.handles``); this holds the
registry to the same rule at run time, so a handler annotated ``-> Any`` (which mypy lets through)
or a command without a reply type fails here. The wire shape of replies is held by the examples of
docs/protocol.md, written from a running hub (tests/protocol_examples.py).
"""

from __future__ import annotations

import typing

import msgspec
import pytest
from msgspec import UNSET

from realtime.commands.table import HANDLERS
from realtime.protocol import messages as m
from realtime.protocol import moderation as p
from realtime.protocol import vote as v
from realtime.protocol.codec import CODECS, JSON, MSGPACK
from tests.unit.realtime.wire import COMMAND_TYPES, tag_of


@pytest.mark.parametrize("cls", COMMAND_TYPES, ids=tag_of)
def test_every_command_names_a_reply_type(cls: type[m.Command]) -> None:
    assert issubclass(cls.reply_type, m.Result)
    assert not issubclass(cls.reply_type, m.Command)


@pytest.mark.parametrize("cls", sorted(HANDLERS, key=tag_of), ids=tag_of)
def test_every_handler_returns_its_commands_reply_type(cls: type[m.Command]) -> None:
    handler = HANDLERS[cls]
    hints = typing.get_type_hints(handler)
    assert hints["return"] is cls.reply_type, f"{handler.__qualname__} -> {hints['return']}"
    takes = hints.get("cmd", typing.Any)
    assert takes is typing.Any or issubclass(cls, takes), f"{handler.__qualname__} takes {takes}"


def test_a_reply_sends_every_field_in_order_and_leaves_out_only_unset_ones() -> None:
    """Replies keep the shape the dicts had: ``null`` is sent, an unset field is left out."""
    closed = v.VoteCloseReply(vote="v1", closes_at=1, hard_close_at=2, repeated=False, offset=3)
    repeated = v.VoteCloseReply(vote="v1", closes_at=1, hard_close_at=2, repeated=True)
    moved = p.QaMoveReply(question=4, offset=None, votes=0, state="dismissed")
    hand = p.SpeakersHandReply(raised=True, changed=False, offset=None)
    for codec in (CODECS[JSON], CODECS[MSGPACK]):
        decode = msgspec.json.decode if codec.text else msgspec.msgpack.decode
        assert list(decode(codec.encode(closed))) == [
            "vote",
            "closes_at",
            "hard_close_at",
            "repeated",
            "offset",
        ]
        assert "offset" not in decode(codec.encode(repeated))
        assert decode(codec.encode(moved)) == {
            "question": 4,
            "offset": None,
            "votes": 0,
            "state": "dismissed",
        }
        assert decode(codec.encode(hand)) == {"raised": True, "changed": False, "offset": None}
        assert decode(codec.encode(p.SpeakersHandReply(raised=True, offset=5))) == {
            "raised": True,
            "offset": 5,
        }
    assert v.VoteGetReply(definition={}, status="open").results is UNSET
