"""The protocol decoder: every command of the registry round trips in both encodings, every mutation
of one gets a stable code, and arbitrary bytes never escape the error path.

The frames come from the declared types (tests/unit/realtime/wire.py), so a new command is covered
without a line here.

Sizes (``tests/examples.py``): in ``make test`` each command gets 5 frames per encoding, and each
frame is checked in every way (sent with and without an unknown field; mutated each of the six ways),
so every command meets every mutation in every run; the arbitrary inputs get 200 examples per
encoding. ``make properties`` runs ten times as many of each."""

from __future__ import annotations

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.errors import Code, ProtocolError
from realtime.protocol import messages as m
from realtime.protocol.codec import CODECS, JSON, MSGPACK, Codec, command_id_of, frame_at, frame_header
from tests.examples import examples
from tests.unit.realtime.wire import COMMAND_TYPES, fields_of, tag_of, valid_frame, wrong_values

CODES = {Code.BAD_FRAME, Code.BAD_MESSAGE, Code.UNKNOWN_COMMAND, Code.BAD_FIELD}


def wire(codec: Codec, frame: object) -> bytes | str:
    """``frame`` as a client of ``codec`` sends it (a text frame for JSON, binary for MessagePack)."""
    return msgspec.json.encode(frame).decode() if codec.text else msgspec.msgpack.encode(frame)


def rejection(codec: Codec, data: bytes | str) -> ProtocolError:
    with pytest.raises(ProtocolError) as caught:
        codec.decode(data)
    return caught.value


def test_the_generated_frames_cover_every_command_of_the_registry() -> None:
    """The strategies are derived from the registry (``messages.ALL_COMMANDS``), not listed here."""
    assert {tag_of(cls) for cls in COMMAND_TYPES} == set(m.COMMANDS)
    assert len(COMMAND_TYPES) > 50


@pytest.mark.parametrize("name", [JSON, MSGPACK])
@pytest.mark.parametrize("cls", COMMAND_TYPES, ids=tag_of)
@given(data=st.data())
@settings(max_examples=examples(5), deadline=None)
def test_every_command_round_trips(name: str, cls: type[m.Command], data: st.DataObject) -> None:
    """A valid frame of any command decodes to that command with the fields sent, and as well with a
    field it does not know (ignored: schema evolution); the decoded command encodes back to itself."""
    codec = CODECS[name]
    frame = data.draw(valid_frame(cls))
    for sent_frame in (frame, {**frame, "zz_later_field": [1]}):
        cmd = codec.decode(wire(codec, sent_frame))
        assert type(cmd) is cls
        assert cmd == msgspec.convert(frame, m.ClientMessage)
        sent = codec.encode(cmd)
        assert codec.decode(sent.decode() if codec.text else sent) == cmd


@pytest.mark.parametrize("name", [JSON, MSGPACK])
@pytest.mark.parametrize("cls", COMMAND_TYPES, ids=tag_of)
@given(data=st.data())
@settings(max_examples=examples(5), deadline=None)
def test_every_mutated_command_gets_its_stable_code(
    name: str, cls: type[m.Command], data: st.DataObject
) -> None:
    """A valid frame, mutated each way in turn, gets the code that mutation calls for and the command
    id whenever the id itself was readable; never an exception of another type."""
    frame = data.draw(valid_frame(cls))
    for how in MUTATIONS:
        check_mutation(CODECS[name], cls, frame, how, data)


def test_a_cut_frame_is_bad_frame_even_where_the_cut_breaks_a_value_first() -> None:
    """``"seconds": 100`` cut to ``"seconds": 1``: the typed decoder meets the value's bound
    (at least 10) before the end of the bytes; the frame is still a cut frame (BAD_FRAME, found
    by the mutation property above on a random run)."""
    whole = '{"type": "speakers.timer", "id": 3, "meeting": "m1", "seconds": 100}'
    cut = whole[: whole.index("100") + 1]
    assert rejection(CODECS[JSON], cut).code == Code.BAD_FRAME


MUTATIONS = ("drop", "wrong", "unknown_type", "no_type", "bad_type", "truncate")


def check_mutation(
    codec: Codec, cls: type[m.Command], frame: dict[str, object], how: str, data: st.DataObject
) -> None:
    """``frame`` mutated the way ``how`` names (the field, value or cut drawn from ``data``) gets its
    code, with the command id whenever it was readable."""
    cid = frame["id"]
    fields = {f.encode_name: f for f in fields_of(cls)}
    required = [n for n, f in fields.items() if f.required]
    wrongable = [n for n, f in fields.items() if wrong_values(f)]
    if how == "drop":
        field = data.draw(st.sampled_from(required))
        mutated: object = {k: v for k, v in frame.items() if k != field}
        code, want_id = Code.BAD_FIELD, None if field == "id" else cid
    elif how == "wrong":
        field = data.draw(st.sampled_from(wrongable))
        mutated = {**frame, field: data.draw(st.sampled_from(wrong_values(fields[field])))}
        code, want_id = Code.BAD_FIELD, None if field == "id" else cid
    elif how == "unknown_type":
        mutated = {**frame, "type": "x." + tag_of(cls)}
        code, want_id = Code.UNKNOWN_COMMAND, cid
    elif how == "no_type":
        mutated = {k: v for k, v in frame.items() if k != "type"}
        code, want_id = Code.BAD_MESSAGE, cid
    elif how == "bad_type":
        mutated = {**frame, "type": data.draw(st.sampled_from([None, 1, ["ping"], {"ping": 1}]))}
        code, want_id = Code.BAD_MESSAGE, cid
    else:
        whole = wire(codec, frame)
        mutated = whole[: data.draw(st.integers(0, len(whole) - 1))]
        code, want_id = Code.BAD_FRAME, None
    err = rejection(codec, mutated if how == "truncate" else wire(codec, mutated))  # type: ignore[arg-type]
    assert err.code == code, (how, err.message)
    if code is not Code.BAD_FRAME:
        assert command_id_of(err) == want_id


@pytest.mark.parametrize("name", [JSON, MSGPACK])
@given(data=st.binary(max_size=512) | st.text(max_size=512))
@settings(max_examples=examples(200), deadline=None)
def test_arbitrary_input_never_escapes_the_error_path(name: str, data: bytes | str) -> None:
    try:
        CODECS[name].decode(data)
    except ProtocolError as exc:
        assert exc.code in CODES


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
@settings(max_examples=examples(200), deadline=None)
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


@given(
    opcode=st.sampled_from([0x1, 0x2, 0x9]),
    size=st.sampled_from([0, 1, 125, 126, 127, 65_535, 65_536, 70_000]),
    before=st.binary(max_size=12),
)
def test_frame_at_reads_back_what_frame_header_wrote_and_waits_for_a_whole_frame(
    opcode: int, size: int, before: bytes
) -> None:
    """Any header ``frame_header`` writes, after any bytes: ``frame_at`` finds its payload; cut
    anywhere before its end, the frame is not there yet (None)."""
    header = frame_header(opcode, size)
    data = before + header + b"p" * size
    start = len(before) + len(header)
    assert frame_at(data, len(before)) == (start, start + size)
    for cut in {len(before), len(before) + 1, start - 1, start + size - 1}:
        if len(before) <= cut < start + size:
            assert frame_at(data[:cut], len(before)) is None
