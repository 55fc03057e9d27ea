"""The two encodings of protocol v1 and the WebSocket framing of server frames. No I/O.

``decode`` turns one inbound frame into a command or raises a ``ProtocolError`` with a stable code;
nothing else escapes it, whatever the bytes (a hypothesis test holds it to that).

Encoding happens once per codec per event, never per client: ``Codec.encode`` gives the payload
and ``Codec.frame`` the complete, unmasked WebSocket frame (server frames are not masked, so the
same bytes go to every client of a codec).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from typing import Any

import msgspec

from engine.errors import Code, HubError, ProtocolError
from realtime.protocol.messages import COMMANDS, ClientMessage, Command, ServerMessage

JSON = "plenary.v1.json"
MSGPACK = "plenary.v1.msgpack"
SUBPROTOCOLS = (JSON, MSGPACK)

OP_TEXT = 0x1
OP_BINARY = 0x2


def frame_header(opcode: int, length: int) -> bytes:
    """RFC 6455 header of a final, unmasked frame."""
    first = 0x80 | opcode
    if length < 126:
        return struct.pack("!BB", first, length)
    if length < 1 << 16:
        return struct.pack("!BBH", first, 126, length)
    return struct.pack("!BBQ", first, 127, length)


def frame_at(data: bytes, i: int = 0) -> tuple[int, int] | None:
    """Where the payload of the frame at ``data[i:]`` lies, ``(start, end)``, read from its header
    as ``frame_header`` writes it (a mask bit, if set, is the caller's to judge: no masking key is
    skipped); None while ``data`` holds only part of the frame. For readers of server frames: the
    load generator's connections (``loadtest.bench_cast.Peer``) and the tests' transports."""
    n = len(data)
    if n - i < 2:
        return None
    length, start = data[i + 1] & 0x7F, i + 2
    if length == 126:
        if n - i < 4:
            return None
        length, start = int.from_bytes(data[i + 2 : i + 4], "big"), i + 4
    elif length == 127:
        if n - i < 10:
            return None
        length, start = int.from_bytes(data[i + 2 : i + 10], "big"), i + 10
    end = start + length
    return (start, end) if end <= n else None


@dataclass(frozen=True)
class OutFrame:
    """One server message, encoded once: the payload (for an ASGI ``send``) and the whole frame
    (for a direct transport write)."""

    payload: bytes
    wire: bytes
    text: bool


_NOT_WELL_FORMED = (msgspec.DecodeError, UnicodeDecodeError, ValueError, OverflowError, RecursionError)
"""What a decoder raises for bytes that are no JSON or MessagePack at all (``BAD_FRAME``)."""


@dataclass
class Codec:
    name: str
    text: bool
    _decoder: Any = field(repr=False)
    _loose: Any = field(repr=False)
    _encoder: Any = field(repr=False)

    def decode(self, data: bytes | str) -> Command:
        """One inbound frame to a command, or ``ProtocolError`` (BAD_FRAME, BAD_MESSAGE,
        UNKNOWN_COMMAND, BAD_FIELD) carrying the command id when one could be read."""
        if isinstance(data, str):
            if not self.text:
                raise HubError(Code.BAD_FRAME, "text frame on the msgpack subprotocol: send binary frames")
            data = data.encode()
        elif self.text:
            raise HubError(Code.BAD_FRAME, "binary frame on the json subprotocol: send text frames")
        try:
            msg: Command = self._decoder.decode(data)
            return msg
        except msgspec.ValidationError as exc:
            raise self._explain(data, str(exc)) from None
        except _NOT_WELL_FORMED as exc:
            raise HubError(Code.BAD_FRAME, f"not valid {self.name}: {exc}") from None

    def _explain(self, data: bytes, detail: str) -> HubError:
        """Which stable code a schema failure gets, and the id to answer to if there is one."""
        try:
            loose = self._loose.decode(data)
        except _NOT_WELL_FORMED as exc:
            # The typed decoder checks values as it reads: a cut frame can fail a value's check
            # (``"seconds": 1`` of a cut ``100``) before the cut itself is reached. Not well formed
            # at all is BAD_FRAME, whatever the typed decoder met first.
            return HubError(Code.BAD_FRAME, f"not valid {self.name}: {exc}")
        if not isinstance(loose, dict):
            return HubError(Code.BAD_MESSAGE, f"a message is an object with a 'type': {detail}")
        raw_id = loose.get("id")
        cid = (
            raw_id
            if isinstance(raw_id, int) and not isinstance(raw_id, bool) and 0 <= raw_id < 2**53
            else None
        )
        kind = loose.get("type")
        if not isinstance(kind, str):
            err = HubError(Code.BAD_MESSAGE, "missing or non-string 'type'")
        elif kind not in COMMANDS:
            err = HubError(Code.UNKNOWN_COMMAND, f"unknown command {kind[:64]!r}")
        else:
            err = HubError(Code.BAD_FIELD, detail)
        err.command_id = cid  # type: ignore[attr-defined]
        return err

    def encode(self, msg: ServerMessage | Any) -> bytes:
        out: bytes = self._encoder.encode(msg)
        return out

    def frame(self, msg: ServerMessage | Any) -> OutFrame:
        return self.frame_payload(self.encode(msg))

    def frame_payload(self, payload: bytes) -> OutFrame:
        op = OP_TEXT if self.text else OP_BINARY
        return OutFrame(payload, frame_header(op, len(payload)) + payload, self.text)


def _json_codec() -> Codec:
    return Codec(
        JSON,
        True,
        msgspec.json.Decoder(ClientMessage),
        msgspec.json.Decoder(),
        msgspec.json.Encoder(),
    )


def _msgpack_codec() -> Codec:
    return Codec(
        MSGPACK,
        False,
        msgspec.msgpack.Decoder(ClientMessage),
        msgspec.msgpack.Decoder(),
        msgspec.msgpack.Encoder(),
    )


CODECS: dict[str, Codec] = {JSON: _json_codec(), MSGPACK: _msgpack_codec()}


def command_id_of(err: ProtocolError) -> int | None:
    return getattr(err, "command_id", None)
