"""The connection state machine, without sockets: hello first and once, rate limits, abuse closes."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from realtime.protocol.closecodes import CloseCode
from realtime.protocol.codec import CODECS, JSON
from realtime.protocol.messages import Event, Subscribed
from realtime.protocol.session import (
    TRANSITIONS,
    Accept,
    Close,
    Limits,
    Reject,
    Session,
    State,
    Trigger,
    subscribed_parts,
)
from tests.examples import examples
from tests.unit.realtime.wire import any_valid_frame

LIMITS = Limits(rate=10, burst=5, flood=20, window=10, max_errors=5)


def frame(kind: str, i: int, **kw: object) -> str:
    return json.dumps({"type": kind, "id": i, **kw})


def error_name(v: Reject | Close) -> str:
    assert v.frame is not None
    return str(json.loads(v.frame.payload)["name"])


def test_hello_first_then_only_once() -> None:
    s = Session(CODECS[JSON], LIMITS, 0.0)
    v = s.receive(frame("ping", 1), 0.0)
    assert isinstance(v, Reject) and error_name(v) == "not_authenticated"
    v = s.receive(frame("hello", 2, token="t"), 0.0)
    assert isinstance(v, Accept)
    s.fire(Trigger.HELLO_OK)
    v = s.receive(frame("hello", 3, token="t"), 0.0)
    assert isinstance(v, Reject) and error_name(v) == "already_authenticated"
    assert isinstance(s.receive(frame("ping", 4), 0.0), Accept)


def test_token_bucket_refills_with_time() -> None:
    s = Session(CODECS[JSON], LIMITS, 0.0)
    s.fire(Trigger.HELLO_OK)
    verdicts = [s.receive(frame("ping", i), 0.0) for i in range(8)]
    assert [type(v).__name__ for v in verdicts] == ["Accept"] * 5 + ["Reject"] * 3
    assert isinstance(s.receive(frame("ping", 99), 0.5), Accept)  # 0.5 s * 10/s refills


def test_flood_closes_4008_and_garbage_closes_4010() -> None:
    s = Session(CODECS[JSON], LIMITS, 0.0)
    s.fire(Trigger.HELLO_OK)
    verdicts = [s.receive(frame("ping", i), 0.0) for i in range(40)]
    closes = [v for v in verdicts if isinstance(v, Close)]
    assert closes and closes[0].code is CloseCode.FLOOD
    s = Session(CODECS[JSON], LIMITS, 0.0)
    verdicts = [s.receive("}{", 0.0) for _ in range(6)]
    assert isinstance(verdicts[-1], Close) and verdicts[-1].code is CloseCode.TOO_MANY_ERRORS


def test_the_error_before_4010_carries_the_frames_id() -> None:
    """Found by the fuzz (tests/fuzz/commands.py): the last error before the 4010 close answered a
    readable id with null, where every earlier error of the same kind carried it."""
    s = Session(CODECS[JSON], LIMITS, 0.0)
    s.fire(Trigger.HELLO_OK)
    verdicts = [s.receive(frame("no.such.command", 7 + i), 0.0) for i in range(6)]
    last = verdicts[-1]
    assert isinstance(last, Close) and last.code is CloseCode.TOO_MANY_ERRORS
    assert last.frame is not None
    answer = json.loads(last.frame.payload)
    assert (answer["name"], answer["id"]) == ("unknown_command", 12)


def test_illegal_transitions_are_refused() -> None:
    for state in State:
        for trigger in Trigger:
            s = Session(CODECS[JSON], LIMITS, 0.0)
            s.state = state
            if (state, trigger) in TRANSITIONS:
                assert s.fire(trigger) is TRANSITIONS[(state, trigger)]
            else:
                try:
                    s.fire(trigger)
                except Exception as exc:
                    assert "not allowed" in str(exc)
                else:
                    raise AssertionError(f"{state} --{trigger}--> should be refused")


@given(
    st.lists(
        st.tuples(
            st.one_of(st.just("garbage"), any_valid_frame()),
            st.floats(min_value=0, max_value=0.5),
        ),
        max_size=60,
    )
)
@settings(max_examples=examples(200), deadline=None)
def test_any_frame_sequence_yields_a_verdict_and_never_raises(
    steps: list[tuple[str | dict[str, object], float]],
) -> None:
    """Any sequence of frames of any command of the registry (and garbage) gets a verdict each."""
    s = Session(CODECS[JSON], LIMITS, 0.0)
    now = 0.0
    for sent, dt in steps:
        now += dt
        kind = sent if isinstance(sent, str) else str(sent["type"])
        data = "}{" if kind == "garbage" else json.dumps(sent)
        v = s.receive(data, now)
        assert isinstance(v, Accept | Reject | Close)
        if isinstance(v, Accept) and kind == "hello":
            s.fire(Trigger.HELLO_OK)
        if isinstance(v, Accept):
            assert s.state is State.READY or kind == "hello"
        if isinstance(v, Close):
            break


# -- a subscribe reply in parts -------------------------------------------------------------------
def _subscribed(sizes: list[int], snapshot: dict[str, object] | None) -> Subscribed:
    events = [
        Event(channel="c", epoch="e", offset=i + 1, time=0, event="chat.message", data={"text": "가" * n})
        for i, n in enumerate(sizes)
    ]
    return Subscribed(
        channel="c", epoch="e", offset=len(sizes), recovered=True, events=events, snapshot=snapshot
    )


@settings(max_examples=examples(200), deadline=None)
@given(
    sizes=st.lists(st.integers(min_value=0, max_value=3000), max_size=60),
    budget=st.integers(min_value=200, max_value=20_000),
    stateful=st.booleans(),
)
def test_subscribed_parts_keep_every_event_in_order_within_the_budget(
    sizes: list[int], budget: int, stateful: bool
) -> None:
    for codec in CODECS.values():
        whole = _subscribed(sizes, {"k": 1} if stateful else None)
        parts = subscribed_parts(codec, whole, budget)
        assert [e for p in parts for e in p.events] == whole.events
        assert [p.more for p in parts] == [True] * (len(parts) - 1) + [False]
        assert [p.snapshot for p in parts] == [None] * (len(parts) - 1) + [whole.snapshot]
        assert all((p.channel, p.epoch, p.offset, p.recovered) == ("c", "e", len(sizes), True) for p in parts)
        for p in parts:
            encoded = sum(len(codec.encode(e)) + 1 for e in p.events)
            assert encoded <= budget or len(p.events) == 1  # an event larger than the budget goes alone
        assert all(p.events for p in parts) or len(parts) == 1


def test_a_short_subscribe_reply_is_one_frame_and_a_long_one_several() -> None:
    session = Session(CODECS[JSON], Limits(), 0.0)
    assert len(session.replies(7, _subscribed([10] * 3, None))) == 1
    frames = session.replies(7, _subscribed([500] * 200, None))  # ~300 KB of events
    assert len(frames) > 4 and all(len(f.payload) <= 64 * 1024 for f in frames)
    assert all(json.loads(f.payload)["id"] == 7 for f in frames)
