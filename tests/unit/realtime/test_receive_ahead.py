"""``HubWebSocketProtocol`` reads ahead of the endpoint by ``RECEIVE_AHEAD`` messages, then stops
reading the socket until the endpoint has taken them all (uvicorn stops after every message).

The protocol's receive side is driven here with a recording transport: the rule is about which
calls reach the transport, and a real socket would not show when reading was paused."""

from __future__ import annotations

import asyncio
from typing import Any

from realtime.transport.wsproto import RECEIVE_AHEAD, HubWebSocketProtocol, ReceiveQueue


class Recorder:
    def __init__(self) -> None:
        self.calls: list[str] = []

    def pause_reading(self) -> None:
        self.calls.append("pause")

    def resume_reading(self) -> None:
        self.calls.append("resume")


def receiving_side() -> tuple[HubWebSocketProtocol, Recorder]:
    proto: Any = HubWebSocketProtocol.__new__(HubWebSocketProtocol)  # the receive side only
    transport = Recorder()
    proto.transport, proto.queue, proto.read_paused = transport, ReceiveQueue(), False
    proto.close_sent, proto.curr_msg_data_type = False, "bytes"
    return proto, transport


def arrive(proto: HubWebSocketProtocol, data: bytes) -> None:
    proto.frames = [data]
    proto.send_receive_event_to_app()


async def test_one_command_at_a_time_never_pauses_reading() -> None:
    proto, transport = receiving_side()
    for i in range(20):
        arrive(proto, b"%d" % i)
        assert (await proto.receive())["bytes"] == b"%d" % i
    assert transport.calls == []


async def test_reading_stops_once_receive_ahead_messages_wait_and_resumes_when_all_are_taken() -> None:
    proto, transport = receiving_side()
    for i in range(RECEIVE_AHEAD):
        assert transport.calls == []
        arrive(proto, b"%d" % i)
    assert transport.calls == ["pause"]
    for i in range(RECEIVE_AHEAD):
        assert (await asyncio.wait_for(proto.receive(), 1))["bytes"] == b"%d" % i
    assert transport.calls == ["pause", "resume"]
