"""The decoder fuzzed in-process: bytes in, a command or a coded error out, nothing else.

``check(codec, data)`` is the property, for one input:

- ``Codec.decode`` returns a declared command, or raises ``ProtocolError`` with one of the four
  codes of a frame the hub cannot read (``bad_frame``, ``bad_message``, ``unknown_command``,
  ``bad_field``), a code of ``engine.errors.CATALOGUE``; any other exception is a finding;
- a decoded command encodes back and decodes to itself (what the hub took in, it can write out:
  handlers echo fields into events and replies);
- ``Session.receive`` on an authenticated session answers with Accept, Reject or Close, never an
  exception, and its error frame decodes as an ``error`` with a catalogued code and an id that is
  either null or a valid command id.

``run`` drives it over ``frames.fuzz_input`` for a number of inputs or seconds, whichever ends
first, printing a progress line every ``every`` inputs. ``python -m tests.fuzz decoder``.
"""

from __future__ import annotations

import random
import sys
import time
import traceback
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import msgspec

from engine.errors import CATALOGUE, Code, ProtocolError
from realtime.protocol.codec import CODECS, Codec
from realtime.protocol.messages import COMMANDS, Command, Hello
from realtime.protocol.session import Accept, Close, Limits, Session, State
from tests.fuzz.frames import CODEC_NAMES, Inputs, documented_frames

FRAME_CODES = frozenset({Code.BAD_FRAME, Code.BAD_MESSAGE, Code.UNKNOWN_COMMAND, Code.BAD_FIELD})
"""The codes a frame the hub cannot read may get (docs/protocol.md §8)."""
SESSION_CODES = FRAME_CODES | {Code.RATE_LIMITED, Code.ALREADY_AUTHENTICATED}
# No rate limit in the fuzzed session: every input reaches the decoder.
UNLIMITED = Limits(rate=1e12, burst=1e12, flood=10**12, max_errors=10**12)
_error_frame = msgspec.json.Decoder()


class Finding(AssertionError):
    """An input that broke the property: the input, what happened, and where."""


def _outcome(codec: Codec, data: bytes | str) -> str:
    try:
        cmd = codec.decode(data)
    except ProtocolError as err:
        if err.code not in FRAME_CODES or err.code not in CATALOGUE:
            raise Finding(f"decode gave code {err.code!r}: {err.message[:200]}") from None
        cid = getattr(err, "command_id", None)
        if cid is not None and not (isinstance(cid, int) and 0 <= cid < 2**53):
            raise Finding(f"an error carries the id {cid!r}") from None
        return err.name
    except Exception as exc:
        raise Finding(f"decode raised {type(exc).__name__}: {exc!s:.200}") from exc
    if not isinstance(cmd, Command) or type(cmd).__struct_config__.tag not in COMMANDS:
        raise Finding(f"decode gave {type(cmd).__name__}, not a command")
    try:
        again = codec.encode(cmd)
        back = codec.decode(again.decode() if codec.text else again)
    except Exception as exc:
        raise Finding(f"a decoded {type(cmd).__name__} does not round trip: {exc!s:.200}") from exc
    if codec.encode(back) != again:  # bytes, not ==: a NaN inside an ``Any`` field is unequal to itself
        raise Finding(f"a decoded {type(cmd).__name__} round trips to another command")
    return "ok"


def _session(codec: Codec, data: bytes | str) -> None:
    session = Session(codec, UNLIMITED, 0.0)
    session.state = State.READY
    try:
        verdict = session.receive(data, 0.0)
    except Exception as exc:
        raise Finding(f"Session.receive raised {type(exc).__name__}: {exc!s:.200}") from exc
    if isinstance(verdict, Accept):
        return
    frame = verdict.frame
    if frame is None:
        return
    raw = CODECS[codec.name]  # the same codec the client reads with
    msg: Any = _error_frame.decode(frame.payload) if raw.text else msgspec.msgpack.decode(frame.payload)
    if msg.get("type") != "error" or Code(msg["code"]) not in SESSION_CODES:
        raise Finding(f"the session answered {msg!r:.200}")
    cid = msg.get("id")
    if cid is not None and not (isinstance(cid, int) and 0 <= cid < 2**53):
        raise Finding(f"the session's error carries the id {cid!r}")
    if isinstance(verdict, Close):
        raise Finding("an unlimited session closed")


def check(codec_name: str, data: bytes | str) -> str:
    """One input through the property; returns the outcome (``ok`` or the error's name), raises
    ``Finding`` when the property breaks."""
    codec = CODECS[codec_name]
    outcome = _outcome(codec, data)
    _session(codec, data)
    return outcome


@dataclass
class Report:
    inputs: int = 0
    seconds: float = 0.0
    outcomes: Counter[str] = field(default_factory=Counter)
    findings: list[tuple[int, str, str, bytes | str]] = field(default_factory=list)

    @property
    def rate(self) -> float:
        return self.inputs / self.seconds if self.seconds else 0.0


def run(
    inputs: int,
    seconds: float,
    seed: int = 0,
    every: int = 0,
    out: Callable[[str], None] = print,
    max_findings: int = 20,
) -> Report:
    """Fuzz the decoder with up to ``inputs`` inputs for up to ``seconds``; both codecs, in turn."""
    rng = random.Random(seed)
    seeds = [*documented_frames(), {"type": Hello.__struct_config__.tag, "id": 1, "token": "x" * 32}]
    source = Inputs(seeds, rng)
    report = Report()
    t0 = time.perf_counter()
    deadline = t0 + seconds
    for i in range(inputs):
        codec = CODEC_NAMES[i % 2]
        data = source.next(codec)
        try:
            report.outcomes[check(codec, data)] += 1
        except Finding as exc:
            report.findings.append((i, codec, str(exc), data))
            out(f"FINDING input {i} ({codec}): {exc}\n  input: {data[:300]!r}")
            if exc.__cause__ is not None:
                out("".join(traceback.format_exception(exc.__cause__))[-2000:])
            if len(report.findings) >= max_findings:
                break
        report.inputs = i + 1
        if every and report.inputs % every == 0:
            report.seconds = time.perf_counter() - t0
            out(
                f"decoder: {report.inputs:,} inputs, {report.rate:,.0f}/s, "
                f"{len(report.findings)} findings, {dict(report.outcomes.most_common(5))}"
            )
        if (i & 255) == 0 and time.perf_counter() > deadline:
            break
    report.seconds = time.perf_counter() - t0
    return report


def main(inputs: int, seconds: float, seed: int) -> int:
    report = run(inputs, seconds, seed, every=50_000, out=lambda s: print(s, flush=True))
    print(
        f"decoder: done, {report.inputs:,} inputs in {report.seconds:.1f} s ({report.rate:,.0f}/s, "
        f"seed {seed}), {len(report.findings)} findings; outcomes {dict(report.outcomes)}",
        flush=True,
    )
    return 1 if report.findings else 0


if __name__ == "__main__":
    sys.exit(main(1_000_000, 600, 0))
