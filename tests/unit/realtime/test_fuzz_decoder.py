"""The decoder fuzz (tests/fuzz/decoder.py) in a bounded run, and the fuzzer itself held to what it
claims: its inputs reach every command in both codecs, and its property does catch a decoder that
lets an exception escape. ``make fuzz`` runs the same with a million inputs."""

from __future__ import annotations

import random
from collections import Counter

import msgspec
import pytest

from realtime.protocol.codec import CODECS, JSON, MSGPACK
from realtime.protocol.messages import COMMANDS
from tests.fuzz import decoder
from tests.fuzz.frames import CODEC_NAMES, Inputs, documented_frames


def test_a_bounded_fuzz_of_the_decoder_finds_nothing() -> None:
    report = decoder.run(10_000, seconds=20, seed=12)
    assert report.findings == []
    assert report.inputs == 10_000
    # every outcome shows up: the inputs are neither all valid nor all garbage
    assert set(report.outcomes) == {"ok", "bad_frame", "bad_message", "unknown_command", "bad_field"}


def test_the_inputs_reach_every_command_in_both_codecs() -> None:
    source = Inputs(documented_frames(), random.Random(3))
    seen: Counter[tuple[str, str]] = Counter()
    for i in range(20_000):  # more commands each issue: enough draws to reach every one
        codec = CODEC_NAMES[i % 2]
        try:
            cmd = CODECS[codec].decode(source.next(codec))
        except Exception:
            continue
        seen[(codec, type(cmd).__struct_config__.tag)] += 1
    assert {tag for _, tag in seen} == set(COMMANDS)
    assert {codec for codec, _ in seen} == {JSON, MSGPACK}


def test_the_documented_frames_are_seeds() -> None:
    tags = {f["type"] for f in documented_frames()}
    assert {"hello", "chat.send", "vote.cast", "qa.ask"} <= tags


def test_the_property_catches_an_exception_that_escapes(monkeypatch: pytest.MonkeyPatch) -> None:
    """A decoder that lets a non-protocol exception out is a finding (the check can fail)."""
    codec = CODECS[MSGPACK]

    def explain_raises(self: object, data: bytes, detail: str) -> Exception:
        raise KeyError(detail)

    monkeypatch.setattr(type(codec), "_explain", explain_raises)
    with pytest.raises(decoder.Finding, match="KeyError"):
        decoder.check(MSGPACK, msgspec.msgpack.encode({"type": "ping", "id": "x"}))


def test_a_nan_in_a_free_form_field_is_no_finding() -> None:
    """The first million found this, a flaw of the property and not of the hub: a NaN inside
    ``vote.create``'s ``definition`` (typed ``Any``) round trips to itself, but NaN != NaN."""
    frame = {"type": "vote.create", "id": 1, "definition": {"x": float("nan")}}
    assert decoder.check(MSGPACK, msgspec.msgpack.encode(frame)) == "ok"
