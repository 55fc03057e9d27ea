"""``vote.mine`` on the wire: the command decodes in both encodings, a bad vote id is a coded error,
and the typed reply encodes to the documented shape (a superseded ballot carries no ranking)."""

from __future__ import annotations

import json

import msgspec
import pytest

from engine.errors import Code, ProtocolError
from realtime.protocol import vote as v
from realtime.protocol.codec import CODECS, JSON, MSGPACK


@pytest.mark.parametrize("name", [JSON, MSGPACK])
def test_the_command_round_trips(name: str) -> None:
    codec = CODECS[name]
    cmd = v.VoteMine(id=3, vote="transport-1")
    data = codec.encode(cmd)
    assert codec.decode(data.decode() if codec.text else data) == cmd


@pytest.mark.parametrize("frame", [{}, {"vote": ""}, {"vote": "../x"}, {"vote": 7}, {"vote": "a" * 65}])
def test_a_bad_vote_id_is_bad_field(frame: dict[str, object]) -> None:
    with pytest.raises(ProtocolError) as err:
        CODECS[JSON].decode(json.dumps({"type": "vote.mine", "id": 1, **frame}))
    assert err.value.code is Code.BAD_FIELD


def test_the_reply_names_the_counted_ballot_and_only_codes_of_the_others() -> None:
    reply = v.VoteMineReply(
        vote="transport-1",
        eligible=True,
        voted=True,
        counted=v.OwnBallot(
            channel="paper", tracking_code="CAG3-SJ11-SHE8-QCJA", received_ms=2, ranking=["P4"]
        ),
        superseded=[v.OwnBallot(channel="online", tracking_code="HK3Q-EM3K-M8M5-REGX", received_ms=1)],
        conflict=False,
    )
    for data in (CODECS[JSON].encode(reply), CODECS[MSGPACK].encode(reply)):
        out = json.loads(data) if data[:1] == b"{" else msgspec.msgpack.decode(data)
        assert list(out) == ["vote", "eligible", "voted", "counted", "superseded", "conflict"]
        assert out["counted"]["ranking"] == ["P4"]
        assert out["superseded"] == [
            {"channel": "online", "tracking_code": "HK3Q-EM3K-M8M5-REGX", "received_ms": 1}
        ]
