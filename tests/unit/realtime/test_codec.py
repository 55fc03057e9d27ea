"""The protocol decoder: round trips in both encodings; arbitrary bytes never escape the error path."""

from __future__ import annotations

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.errors import Code, ProtocolError
from realtime.protocol import messages as m
from realtime.protocol.codec import CODECS, JSON, MSGPACK, frame_header

ids = st.integers(min_value=0, max_value=2**53 - 1)
ident = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,20}", fullmatch=True)
texts = st.text(max_size=300)
commands = st.one_of(
    st.builds(m.Hello, id=ids, token=st.text(min_size=1, max_size=128), client=st.text(max_size=50)),
    st.builds(m.Ping, id=ids),
    st.builds(
        m.Subscribe,
        id=ids,
        channel=st.text(max_size=160),
        epoch=st.none() | st.text(max_size=30),
        offset=st.none() | st.integers(min_value=0, max_value=2**53 - 1),
    ),
    st.builds(m.Unsubscribe, id=ids, channel=st.text(max_size=160)),
    st.builds(m.MeetingList, id=ids),
    st.builds(m.ChatSend, id=ids, meeting=ident, text=texts),
)


@pytest.mark.parametrize("name", [JSON, MSGPACK])
@given(cmd=commands)
@settings(max_examples=300, deadline=None)
def test_every_command_round_trips(name: str, cmd: m.Command) -> None:
    codec = CODECS[name]
    data = codec.encode(cmd)
    assert codec.decode(data.decode() if codec.text else data) == cmd


@pytest.mark.parametrize("name", [JSON, MSGPACK])
@given(data=st.binary(max_size=512) | st.text(max_size=512))
@settings(max_examples=500, deadline=None)
def test_arbitrary_input_never_escapes_the_error_path(name: str, data: bytes | str) -> None:
    try:
        CODECS[name].decode(data)
    except ProtocolError as exc:
        assert exc.code in {Code.BAD_FRAME, Code.BAD_MESSAGE, Code.UNKNOWN_COMMAND, Code.BAD_FIELD}


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**63), 2**63 - 1)
    | st.floats(allow_nan=False)
    | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=20,
)


@pytest.mark.parametrize("name", [JSON, MSGPACK])
@given(
    obj=st.dictionaries(
        st.sampled_from(["type", "id", "token", "channel", "meeting", "text", "offset", "epoch"]), json_values
    )
)
@settings(max_examples=500, deadline=None)
def test_wellformed_but_wrong_objects_get_a_schema_code(name: str, obj: dict[str, object]) -> None:
    codec = CODECS[name]
    raw = msgspec.json.encode(obj) if codec.text else msgspec.msgpack.encode(obj)
    try:
        codec.decode(raw.decode() if codec.text else raw)
    except ProtocolError as exc:
        assert exc.code in {Code.BAD_MESSAGE, Code.UNKNOWN_COMMAND, Code.BAD_FIELD}


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ('{"type":"ping"}', Code.BAD_FIELD),
        ('{"type":"ping","id":"7"}', Code.BAD_FIELD),
        ('{"type":"ping","id":9007199254740992}', Code.BAD_FIELD),
        ('{"type":"nope","id":1}', Code.UNKNOWN_COMMAND),
        ('{"id":1}', Code.BAD_MESSAGE),
        ("[]", Code.BAD_MESSAGE),
        ("", Code.BAD_FRAME),
        ('{"type":"chat.send","id":1,"meeting":"a b","text":"x"}', Code.BAD_FIELD),
    ],
)
def test_named_bad_frames(raw: str, code: Code) -> None:
    with pytest.raises(ProtocolError) as exc:
        CODECS[JSON].decode(raw)
    assert exc.value.code == code


def test_server_frames_are_encoded_once_and_framed_unmasked() -> None:
    ev = m.Event(
        channel="meeting/m1/chat", epoch="1", offset=3, time=5, event="chat.message", data={"text": "안녕"}
    )
    for codec in CODECS.values():
        out = codec.frame(ev)
        assert out.wire == frame_header(0x1 if codec.text else 0x2, len(out.payload)) + out.payload
        assert out.wire[1] & 0x80 == 0  # no mask bit
    assert frame_header(0x2, 70_000)[1] == 127 and frame_header(0x2, 300)[1] == 126
