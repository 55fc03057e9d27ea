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
    proto.inbox = proto.queue = ReceiveQueue()
    proto.transport, proto.read_paused, proto.disconnected = transport, False, False
    proto.on_message = proto.on_lost = None
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


async def test_the_direct_path_gets_what_was_read_ahead_in_order_then_each_message_as_it_arrives() -> None:
    """``deliver_to``: the messages read ahead while the endpoint answered ``hello`` come first, in
    order; reading starts again (the queue's pause is over); later messages skip the queue."""
    proto, transport = receiving_side()
    for i in range(RECEIVE_AHEAD):
        arrive(proto, b"%d" % i)
    assert transport.calls == ["pause"]
    got: list[bytes | str] = []
    lost: list[bool] = []
    proto.deliver_to(got.append, lambda: lost.append(True))
    assert got == [b"%d" % i for i in range(RECEIVE_AHEAD)]
    assert transport.calls == ["pause", "resume"]
    arrive(proto, b"next")
    assert got[-1] == b"next" and proto.inbox.empty()
    proto.hold_reading(True)
    proto.hold_reading(True)  # held once, released once
    proto.hold_reading(False)
    assert transport.calls == ["pause", "resume", "pause", "resume"]
    assert lost == []


async def test_the_direct_path_is_told_of_a_peer_that_left_while_hello_was_answered() -> None:
    proto, _ = receiving_side()
    arrive(proto, b"a command")
    proto.inbox.put_nowait({"type": "websocket.disconnect", "code": 1005})
    got: list[bytes | str] = []
    lost: list[bool] = []
    proto.deliver_to(got.append, lambda: lost.append(True))
    assert got == [b"a command"] and lost == [True]
