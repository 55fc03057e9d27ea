"""The decoder fuzzed by libFuzzer (atheris): coverage-guided, with the structural mutations of
tests/fuzz/frames.py as its custom mutator, and tests/fuzz/decoder.py's ``check`` as the property.

An input is one byte that picks the codec (even: JSON, odd: MessagePack) followed by the frame.
The corpus starts from every client frame of docs/protocol.md and a valid frame of every command,
in both codecs (``seed_corpus``). Most mutations are structural (``custom_mutator``), the rest
libFuzzer's own byte mutations; the protocol package is instrumented, so libFuzzer keeps the
inputs that reach new branches of the codec and the session (msgspec's C code is not
instrumented: its branches do not guide the search, the structural mutations do).

libFuzzer owns the process: it prints its own progress lines (``#65536 pulse cov: ...
exec/s: ...``), stops after ``-runs`` inputs or ``-max_total_time`` seconds, and on a finding
writes the input to ``crash-<sha1>`` and exits non-zero. ``python -m tests.fuzz decoder
--engine atheris`` runs it (``make fuzz``); the bounded run of ``make test`` uses the plain driver
(tests/fuzz/decoder.py), since libFuzzer cannot run inside pytest.
"""

from __future__ import annotations

import random
import sys
from pathlib import Path
from typing import Any

import atheris
import msgspec

with atheris.instrument_imports(include=["realtime.protocol"]):
    from realtime.protocol import codec as _codec  # noqa: F401 - instrumented for coverage
    from realtime.protocol import session as _session  # noqa: F401

from tests.fuzz.decoder import check
from tests.fuzz.frames import CODEC_NAMES, Inputs, documented_frames, encode, mutate

_loose_json = msgspec.json.Decoder()
_loose_msgpack = msgspec.msgpack.Decoder()


def _split(data: bytes) -> tuple[str, bytes | str]:
    codec = CODEC_NAMES[data[0] & 1] if data else CODEC_NAMES[0]
    payload = data[1:]
    if codec == CODEC_NAMES[0]:  # a text frame is UTF-8 by the time the hub reads it
        return codec, payload.decode("utf-8", errors="replace")
    return codec, payload


def _join(codec: str, payload: bytes | str) -> bytes:
    raw = payload.encode() if isinstance(payload, str) else payload
    return bytes([CODEC_NAMES.index(codec)]) + raw


def one_input(data: bytes) -> None:
    codec, payload = _split(data)
    check(codec, payload)  # raises Finding: libFuzzer reports it and keeps the input


_POOL = Inputs(documented_frames(), random.Random(0), size=512)


def custom_mutator(data: bytes, max_size: int, seed: int) -> bytes:
    """Four in ten: libFuzzer's byte mutations; three: the input mutated as an object; three: a
    frame of the pool (every command) mutated, whatever the input. Why the last: only the
    protocol package's Python is instrumented, so libFuzzer's corpus shrinks to the few inputs that
    cover it (a dozen); the pool keeps every command's fields in play."""
    rng = random.Random(seed)
    pick = rng.random()
    if pick < 0.4:
        return atheris.Mutate(data, max_size)
    if pick < 0.7:
        codec = CODEC_NAMES[rng.randrange(2)]
        return _join(codec, _POOL.next(codec))[:max_size]
    codec, payload = _split(data)
    try:
        loose: Any = (_loose_json if codec == CODEC_NAMES[0] else _loose_msgpack).decode(payload)
    except Exception:
        return atheris.Mutate(data, max_size)
    if not isinstance(loose, dict):
        return atheris.Mutate(data, max_size)
    if rng.random() < 0.1:  # now and then the same frame in the other codec
        codec = CODEC_NAMES[1 - CODEC_NAMES.index(codec)]
    out = _join(codec, encode(mutate(loose, rng), codec, rng))
    return out[:max_size]


def seed_corpus(folder: Path, rng: random.Random) -> None:
    source = Inputs(documented_frames(), rng, size=256)
    for i, frame in enumerate(source.pool):
        for codec in CODEC_NAMES:
            (folder / f"seed-{i}-{CODEC_NAMES.index(codec)}").write_bytes(
                _join(codec, encode(frame, codec, rng))
            )


def main(inputs: int, seconds: float, seed: int, artifacts: Path, corpus: Path) -> None:
    """Run libFuzzer on the decoder; never returns (libFuzzer exits the process). The corpus
    lives in ``corpus`` (the caller removes it), a finding's input is written under ``artifacts``."""
    seed_corpus(corpus, random.Random(seed))
    args = [
        sys.argv[0],
        f"-runs={inputs}",
        f"-max_total_time={int(seconds)}",
        f"-seed={seed + 1}",  # 0 would mean "pick one"
        "-max_len=70000",
        "-print_final_stats=1",
        "-rss_limit_mb=4096",
        f"-artifact_prefix={artifacts}/",
        str(corpus),
    ]
    print(
        f"decoder (libFuzzer): {inputs:,} inputs at most, {seconds:.0f} s at most, corpus {corpus}",
        flush=True,
    )
    atheris.Setup(args, one_input, custom_mutator=custom_mutator)
    atheris.Fuzz()


if __name__ == "__main__":
    main(int(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3]), Path(sys.argv[4]), Path(sys.argv[5]))
