"""Live voice's rules (issue 16, moderation/voice.py), without Redis or WebRTC: who may signal, what
an offer may be, the candidate bound, and a voice session's life as a state machine (hypothesis)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from engine.errors import Code, HubError
from engine.roles import MODERATORS, Role
from moderation import voice
from moderation.state import State
from moderation.voice import MAX_CANDIDATES, STEPS, Phase, Step

OFFER = (
    "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n"
    "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=ice-ufrag:abcd\r\na=ice-pwd:x\r\na=fingerprint:sha-256 AA\r\n"
)


def _code(fn: object, *args: object) -> Code | None:
    try:
        fn(*args)  # type: ignore[operator]
    except HubError as e:
        return e.code
    return None


def test_only_the_floor_holder_speaks() -> None:
    assert _code(voice.check_may_speak, "p1", "p1") is None
    assert _code(voice.check_may_speak, "p1", "p2") is Code.NOT_ON_THE_FLOOR
    assert _code(voice.check_may_speak, "p1", None) is Code.NOT_ON_THE_FLOOR


@pytest.mark.parametrize("role", list(Role))
def test_moderators_and_hosts_listen_and_end_anyones(role: Role) -> None:
    allowed = role in MODERATORS
    assert (_code(voice.check_may_listen, role) is None) is allowed
    assert (_code(voice.check_may_end, "x", role, "p1") is None) is allowed
    assert _code(voice.check_may_end, "p1", role, "p1") is None  # one's own, whatever the role


def test_the_floor_and_the_timer_end_a_speaker() -> None:
    cur = {"id": "p1", "ends_at": 10_000}
    assert voice.floor_lost("p1", {"current": cur}, 20_000) is None  # no cut-off chosen
    assert voice.floor_lost("p1", {"current": cur, "cut_off": True}, 9_999) is None
    assert voice.floor_lost("p1", {"current": cur, "cut_off": True}, 10_000) is Step.TIMER_OUT
    assert voice.floor_lost("p1", {"current": {**cur, "id": "p2"}}, 0) is Step.FLOOR_LOST
    assert voice.floor_lost("p1", {}, 0) is Step.FLOOR_LOST


@pytest.mark.parametrize(
    "sdp",
    [
        "",
        "hello",
        OFFER.replace("m=audio", "m=video"),
        OFFER.replace("a=fingerprint", "a=fp"),
        OFFER.replace("a=ice-ufrag", "a=ufrag"),
        OFFER + "a=x:" + "y" * voice.MAX_SDP,
    ],
)
def test_bad_offers_are_bad_sdp(sdp: str) -> None:
    assert _code(voice.check_offer, sdp) is Code.BAD_SDP


def test_a_good_offer_passes() -> None:
    assert voice.check_offer(OFFER) == OFFER


def test_candidate_lines() -> None:
    line = "candidate:1 1 udp 2122260223 127.0.0.1 40000 typ host"
    assert voice.check_candidate("a=" + line) == line
    for bad in ("", "candidate:1 1 udp", "x" * 600, "typ host candidate:1 1 udp 1 1.2.3.4 5 typ"):
        assert _code(voice.check_candidate, bad) is Code.BAD_SDP


@given(st.integers(min_value=0, max_value=3 * MAX_CANDIDATES))
def test_the_candidate_bound(seen: int) -> None:
    code = _code(voice.count_candidate, seen)
    assert (code is None) is (seen < MAX_CANDIDATES)
    if code is None:
        assert voice.count_candidate(seen) == seen + 1


def _state(values: dict[str, object]) -> State:
    return State(dict(values), {}, 0)


def test_go_live_and_end_on_the_voice_channel() -> None:
    live = {"id": "p1", "name": "a", "session": "s1", "hub": "h1", "started_at": 1}
    change = voice.go_live(live)(_state({}))
    assert change.event == "voice.live" and change.sets == {"live": live}
    other = {**live, "session": "s0", "hub": "h2"}
    assert _code(voice.go_live(live), _state({"live": other})) is Code.VOICE_ELSEWHERE
    taken = voice.go_live({**live, "replace": True})(_state({"live": other}))
    assert taken.sets == {"live": live}  # a dead hub's session is taken over; "replace" not stored
    ended = voice.end("s1", "floor_lost", "")(_state({"live": live}))
    assert ended.event == "voice.ended" and ended.deletes == ("live",)
    assert ended.data == {"id": "p1", "session": "s1", "reason": "floor_lost", "by": ""}
    assert voice.end("s0", "end", "p1")(_state({"live": live})).event == ""  # not the live one
    assert voice.end("s1", "end", "p1")(_state({})).event == ""


class SessionLife(RuleBasedStateMachine):
    """Any sequence of steps: the table decides, refusals change nothing, ``ended`` is final, the
    candidates never pass their bound, and only a connected session is ever live."""

    def __init__(self) -> None:
        super().__init__()
        self.phase = Phase.OFFERED
        self.candidates = 0
        self.was_connected = False
        self.ended = False

    @rule(what=st.sampled_from(list(Step)))
    def take(self, what: Step) -> None:
        before = self.phase
        try:
            if what is Step.CANDIDATE:
                count = voice.count_candidate(self.candidates)
                self.phase = voice.step(self.phase, what)
                self.candidates = count
            else:
                self.phase = voice.step(self.phase, what)
        except HubError as e:
            assert self.phase is before
            assert e.code in (Code.BAD_VOICE_STEP, Code.TOO_MANY_CANDIDATES)
            assert (before, what) not in STEPS or e.code is Code.TOO_MANY_CANDIDATES
            return
        assert STEPS[(before, what)] is self.phase
        self.was_connected |= what is Step.CONNECTED
        self.ended |= self.phase is Phase.ENDED

    @precondition(lambda self: self.phase is not Phase.ENDED)
    @rule(n=st.integers(min_value=1, max_value=60))
    def flood(self, n: int) -> None:
        for _ in range(n):
            self.take(Step.CANDIDATE)

    @invariant()
    def holds(self) -> None:
        assert self.candidates <= MAX_CANDIDATES
        assert (self.phase is Phase.ENDED) is self.ended
        if self.phase is Phase.LIVE:
            assert self.was_connected


TestSessionLife = SessionLife.TestCase


def test_ended_has_no_way_out() -> None:
    assert not [k for k in STEPS if k[0] is Phase.ENDED]
    for what in Step:
        assert _code(voice.step, Phase.ENDED, what) is Code.BAD_VOICE_STEP


# -- the optional video (the speaker's one camera) --------------------------------------------------
def _video(*codecs: str) -> str:
    rtpmaps = "".join(f"a=rtpmap:{96 + i} {c}/90000\r\n" for i, c in enumerate(codecs))
    return f"m=video 9 UDP/TLS/RTP/SAVPF {' '.join(str(96 + i) for i in range(len(codecs)))}\r\n{rtpmaps}"


def test_one_camera_in_vp8_or_h264() -> None:
    assert voice.check_video(OFFER) is False
    assert voice.check_video(OFFER + _video("VP8", "rtx")) is True
    assert voice.check_video(OFFER + _video("H264")) is True
    assert voice.check_offer(OFFER + _video("VP9", "VP8")) == OFFER + _video("VP9", "VP8")
    assert _code(voice.check_offer, OFFER + _video("VP8") + _video("VP8")) is Code.TOO_MANY_VIDEO
    assert _code(voice.check_offer, OFFER + _video("VP9", "AV1")) is Code.BAD_VIDEO_CODEC
    assert _code(voice.check_offer, OFFER + _video()) is Code.BAD_VIDEO_CODEC


@given(
    sections=st.lists(
        st.lists(st.sampled_from(["VP8", "H264", "VP9", "AV1", "rtx", "red"]), max_size=4), max_size=3
    )
)
def test_the_video_rule_as_a_property(sections: list[list[str]]) -> None:
    """At most one video section, and it offers one codec the relay decodes; else its own code."""
    sdp = OFFER + "".join(_video(*codecs) for codecs in sections)
    if len(sections) > voice.MAX_VIDEO:
        expected: Code | None = Code.TOO_MANY_VIDEO
    elif sections and not set(sections[0]) & voice.VIDEO_CODECS:
        expected = Code.BAD_VIDEO_CODEC
    else:
        expected = None
    assert _code(voice.check_offer, sdp) is expected


def test_a_console_only_receives() -> None:
    """An offer to listen says recvonly (or inactive) in each audio and video section; the default
    direction (none said) is sendrecv, so it is refused too."""
    recv = OFFER + "a=recvonly\r\n"
    assert voice.check_receive_only(recv) == recv
    assert voice.check_receive_only(recv + _video("VP8") + "a=recvonly\r\n") is not None
    assert voice.check_receive_only(recv + _video("VP8") + "a=inactive\r\n") is not None
    for bad in (
        OFFER,
        OFFER + "a=sendrecv\r\n",
        OFFER + "a=sendonly\r\n",
        recv + _video("VP8") + "a=sendrecv\r\n",
    ):
        assert _code(voice.check_receive_only, bad) is Code.LISTENER_SENDS
