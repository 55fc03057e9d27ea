"""The command layer fuzzed against a real hub: real WebSockets, a real hub process, real Redis.

One connection per role (host, moderator, ops, observer, clerk and panelists, each on either
subprotocol) sends frames of every command, some valid, most mutated (tests/fuzz/frames.py), with
field values biased to what exists on the hub (meetings, an open vote, questions, chat offsets),
so that the handlers, not only the decoder, see the mutations. For every frame:

- the hub answers with exactly one ``reply`` or ``error`` (a ``subscribe`` reply may come in
  parts), within ``ANSWER_TIMEOUT``, in the order sent (now and then a few frames go pipelined);
  the answer carries the frame's id whenever the hub's codec can read one, null otherwise;
- an ``error`` has a code of ``engine.errors.CATALOGUE`` with its name, and not ``internal`` or
  ``unavailable``: those are the hub's own failures, a command must get its own code;
- the connection stays open, unless the protocol closes it: 1009 after a frame over 64 KiB, 4010
  after more than 20 undecodable frames in 10 s (docs/protocol.md §9); the fuzzer then connects
  again and carries on.

Afterwards Redis holds nothing half-written: every vote's ballot list has exactly one ballot per
acknowledged first cast or paper ballot (``retry`` false), the chat channel's offsets run 1..N
without a hole, and its messages are exactly the acknowledged sends, at the offsets acknowledged.

``python -m tests.fuzz commands`` starts its own Redis and hub; tests/integration/
test_fuzz_commands.py runs a bounded fuzz in ``make test``.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import msgspec
import websockets
from redis.asyncio import Redis

from ballot.store import VoteStore
from engine.channels import ChannelLog
from engine.errors import CATALOGUE, Code, ProtocolError
from engine.roles import Role
from moderation import chat, chat_admin
from panel.roster import Participant
from realtime.protocol import messages as m
from realtime.protocol import vote as v
from realtime.protocol.codec import CODECS, JSON, MSGPACK, command_id_of
from tests.fuzz.frames import Hints, Inputs, documented_frames, encode, mutate
from tests.support import connect, seed

ANSWER_TIMEOUT = 10.0
MAX_FRAME = 65_536
MAX_ERRORS = 20  # realtime.protocol.session.Limits.max_errors: undecodable frames before 4010
HELLO_TIMEOUT = 10.0  # the hub's default --hello-timeout: no hello by then, close 4001
UNCODED = frozenset({Code.INTERNAL, Code.UNAVAILABLE})
PROPOSALS = [{"id": f"P{i:02d}", "title": f"제안 {i}", "topic": "교통"} for i in range(12)]
VOTES = ("fz-1", "fz-2")
MEETINGS = ("m1", "m2")
CHAT = "meeting/m1/chat"
PANELISTS = [Participant(id=f"f{i}", name=f"퍼저 {i}", role=Role.PANELIST, meetings=["m1"]) for i in range(6)]


def definition(vote_id: str) -> dict[str, Any]:
    return {
        "vote_id": vote_id,
        "title": "퍼즈 투표",
        "proposals": PROPOSALS,
        "rule": {"kind": "top_k", "k": 5, "minimum": 1},
        "method": "schulze",
        "tie_break": [p["id"] for p in PROPOSALS],
    }


def hints(epochs: Sequence[str] = ()) -> Hints:
    """Values that exist on the hub after ``prepare``: most frames name them, so they reach the
    handlers' checks of state and not only the decoder's checks of kind."""
    ids = [p["id"] for p in PROPOSALS]
    return {
        "meeting": ["m1", "m1", "m1", "m2", "nowhere"],
        "vote": ["fz-1", "fz-1", "fz-2", "nope"],
        "question": [1, 2, 3, 4],
        "into": [1, 2],
        "participant": ["p1", "p2", "f1", "host", "ghost"],
        "voter": ["p1", "p2", "f2", "host", "ghost"],
        "channel": [
            CHAT,
            "meeting/m1/qa",
            "meeting/m1/staff",
            "meeting/m1/speakers",
            "meeting/m1/agenda",
            "meeting/m1/polls",
            "meeting/m2/chat",
            "overlay/m1",
            "vote/fz-1",
            "ops",
        ],
        "offset": [0, 1, 2, 3, 5, 2**53 - 1],
        "epoch": [*epochs, "1", ""],  # the channels' real epochs (a subscribe that recovers)
        "text": ["안녕하세요", "hello https://example.org", "  ", "a" * 501],
        "ranking": [ids[:1], ids[:5], ids[3:8], ids[:6], [ids[0], ids[0]], ["P99"]],
        "nonce": [f"fuzz-nonce-{i:02d}" for i in range(8)] + ["short"],
        "minutes": [1, 5, 1440],
        "order": [[1, 2], [2, 1], [1]],
        "definition": [definition("fz-1"), definition("fz-3"), {"vote_id": "x"}],
        "reason": ["abuse", "spam", "other"],
        "poll": ["sat", "nope"],
    }


async def prepare(redis: Redis, ws_url: str) -> tuple[dict[str, str], list[str]]:
    """The assembly under fuzz: the test roster plus a few panelists, an open vote and a draft one,
    a question and a chat message. Returns participant id -> token, and the epochs of the
    meeting's chat and Q&A channels."""
    tokens = await seed(redis, PANELISTS)
    async with connect(ws_url, tokens["host"]) as host, connect(ws_url, tokens["p1"]) as p1:
        for vote_id in VOTES:
            await host.ok("vote.create", definition=definition(vote_id))
        await host.ok("vote.open", vote="fz-1")
        await p1.ok("qa.ask", meeting="m1", text="버스는 언제 오나요?")
        await p1.ok("chat.send", meeting="m1", text="first")
        epochs = [(await p1.ok("subscribe", channel=c))["epoch"] for c in (CHAT, "meeting/m1/qa")]
    return tokens, epochs


@dataclass
class Report:
    inputs: int = 0
    seconds: float = 0.0
    outcomes: Counter[str] = field(default_factory=Counter)
    closes: Counter[int] = field(default_factory=Counter)
    findings: list[str] = field(default_factory=list)
    acked_ballots: Counter[str] = field(default_factory=Counter)  # vote -> first casts and papers
    chat_offsets: list[int] = field(default_factory=list)  # of acknowledged first sends in m1

    @property
    def rate(self) -> float:
        return self.inputs / self.seconds if self.seconds else 0.0


def _decode(codec: str, data: bytes | str) -> Any:
    return msgspec.json.decode(data) if codec == JSON else msgspec.msgpack.decode(data)


class _Closed(Exception):
    def __init__(self, code: int | None, reason: str) -> None:
        super().__init__(f"closed {code} {reason}")
        self.code = code


class Fuzzer:
    """Connections of every role sending fuzzed frames until ``inputs`` or ``seconds`` run out."""

    def __init__(
        self,
        ws_url: str,
        tokens: dict[str, str],
        epochs: list[str],
        inputs: int,
        seconds: float,
        seed: int,
        out: Callable[[str], None],
        every: int = 0,
    ) -> None:
        self.ws_url = ws_url
        self.tokens = tokens
        self.hints = hints(epochs)
        self.left = inputs
        self.deadline = time.monotonic() + seconds
        self.seed = seed
        self.out = out
        self.report = Report()
        self.every = every
        self._next_progress = every
        self._t0 = time.perf_counter()

    def _take(self) -> bool:
        if self.left <= 0 or time.monotonic() > self.deadline:
            return False
        self.left -= 1
        return True

    def finding(self, text: str) -> None:
        self.report.findings.append(text)
        self.out(f"FINDING {text}")

    async def run(self, who: list[str]) -> Report:
        t0 = time.perf_counter()
        anonymous = [self._anonymous(len(who) + i) for i in range(2)]
        await asyncio.gather(*(self._participant(p, i) for i, p in enumerate(who)), *anonymous)
        self.report.seconds = time.perf_counter() - t0
        return self.report

    async def _participant(self, pid: str, n: int) -> None:
        rng = random.Random(self.seed * 1000 + n)
        codec = (JSON, MSGPACK)[n % 2]
        source = Inputs(documented_frames(), rng, self.hints, size=128)
        while self._take():
            try:
                async with self._open(pid, codec) as (ws, may):
                    await self._frames(ws, pid, codec, source, rng, may)
                    return
            except _Closed:
                continue

    async def _anonymous(self, n: int) -> None:
        """Frames before ``hello``: a command gets ``not_authenticated`` and the connection lives;
        a ``hello`` with a token that opens nobody gets ``bad_token``, then close 4003; one with a
        real token (some frames carry one) gets its welcome, and this connection starts again."""
        rng = random.Random(self.seed * 1000 + n)
        codec = (JSON, MSGPACK)[n % 2]
        source = Inputs(
            documented_frames(), rng, {**self.hints, "token": [*self.tokens.values(), "x" * 32]}, size=128
        )
        while self._take():
            ws = await websockets.connect(self.ws_url, subprotocols=[codec], max_size=2**24, open_timeout=10)
            opened, undecodable, bad_token = time.monotonic(), 0, False
            try:
                while self._take():
                    data = self._input(
                        source, codec, rng, [m.Hello] if rng.random() < 0.3 else m.ALL_COMMANDS
                    )
                    try:
                        cmd: Any = CODECS[codec].decode(data)
                        want_id = cmd.id
                    except ProtocolError as err:
                        cmd, want_id = None, command_id_of(err)
                        undecodable += 1
                    (answer,) = await self._answers(ws, [data])
                    self.report.inputs += 1
                    self._check("anonymous", codec, data, cmd, want_id, answer)
                    name = answer.get("name")
                    if (
                        cmd is not None
                        and not isinstance(cmd, m.Hello)
                        and name not in ("not_authenticated", "rate_limited")
                    ):
                        self.finding(f"anonymous: {type(cmd).__name__} before hello answered {answer!r:.300}")
                    if answer["type"] == "reply" or name == "bad_token":
                        bad_token = name == "bad_token"
                        break
                if bad_token:  # the close that follows it
                    await asyncio.wait_for(ws.wait_closed(), ANSWER_TIMEOUT)
                    raise _Closed(ws.close_code, ws.close_reason or "")
            except _Closed as closed:
                self.report.closes[closed.code or 0] += 1
                late = time.monotonic() - opened >= HELLO_TIMEOUT - 0.5
                if not (
                    (closed.code == 4003 and bad_token)
                    or (closed.code == 4001 and late)
                    or (closed.code == 4010 and undecodable > MAX_ERRORS)
                    or closed.code == 1009
                ):
                    self.finding(f"anonymous ({codec}): closed {closed.code} ({undecodable} undecodable)")
            finally:
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(ws.close(), 5)

    @contextlib.asynccontextmanager
    async def _open(self, pid: str, codec: str) -> Any:
        ws = await websockets.connect(self.ws_url, subprotocols=[codec], max_size=2**24, open_timeout=10)
        try:
            hello = {"type": "hello", "id": 0, "token": self.tokens[pid]}
            await ws.send(
                msgspec.json.encode(hello).decode() if codec == JSON else msgspec.msgpack.encode(hello)
            )
            answer = _decode(codec, await asyncio.wait_for(ws.recv(), ANSWER_TIMEOUT))
            if answer.get("type") != "reply":
                self.finding(f"{pid}: hello refused: {answer!r:.300}")
                raise _Closed(None, "hello refused")
            # the commands this role may send: most frames are of these, to get past the role check
            yield ws, [m.COMMANDS[name] for name in answer["result"].get("may", []) if name in m.COMMANDS]
        finally:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(ws.close(), 5)

    def _input(
        self, source: Inputs, codec: str, rng: random.Random, may: Sequence[type[m.Command[Any]]]
    ) -> bytes | str:
        """Half valid frames (to change state: casts, messages, questions), most of the rest
        mutated once, a few damaged anywhere (those count towards the 4010 close)."""
        among = may if may and rng.random() < 0.85 else m.ALL_COMMANDS
        how = rng.random()
        if how < 0.45:
            frame: Any = source.fresh(among)
        elif how < 0.93:
            frame = mutate(source.fresh(among), rng, rounds=1)
        else:
            return source.next(codec)
        return encode(frame, codec, rng)

    async def _frames(
        self,
        ws: Any,
        pid: str,
        codec: str,
        source: Inputs,
        rng: random.Random,
        may: Sequence[type[m.Command[Any]]],
    ) -> None:
        undecodable = 0
        first = True
        while first or self._take():
            first = False
            # one frame at a time, or now and then a few pipelined (answers must come in order)
            burst = [self._input(source, codec, rng, may)]
            while len(burst) < 6 and rng.random() < 0.15 and self._take():
                burst.append(self._input(source, codec, rng, may))
            sent = []
            for data in burst:
                try:
                    cmd: m.Command[Any] | None = CODECS[codec].decode(data)
                    want_id: int | None = cmd.id if cmd is not None else None
                except ProtocolError as err:
                    cmd, want_id = None, command_id_of(err)
                    undecodable += 1
                sent.append((data, cmd, want_id))
            biggest = max(len(d.encode() if isinstance(d, str) else d) for d in burst)
            try:
                answers = await self._answers(ws, burst)
            except _Closed as closed:
                # the two closes the protocol makes for what a client sends (docs/protocol.md §9)
                expected = (closed.code == 1009 and biggest > MAX_FRAME) or (
                    closed.code == 4010 and undecodable > MAX_ERRORS
                )
                self.report.closes[closed.code or 0] += 1
                if not expected:
                    self.finding(
                        f"{pid} ({codec}): closed {closed.code} after a frame of {biggest} bytes, "
                        f"{undecodable} undecodable: {burst[-1][:300]!r}"
                    )
                raise
            for (data, cmd, want_id), answer in zip(sent, answers, strict=True):
                self.report.inputs += 1
                self._check(pid, codec, data, cmd, want_id, answer)
            if self.every and self.report.inputs >= self._next_progress:
                self._next_progress += self.every
                self.out(self.progress())

    def progress(self) -> str:
        r = self.report
        elapsed = time.perf_counter() - self._t0
        rate = r.inputs / elapsed if elapsed else 0.0
        return (
            f"commands: {r.inputs:,} inputs, {rate:,.0f}/s, {len(r.findings)} findings, "
            f"closes {dict(r.closes)}, {dict(r.outcomes.most_common(6))}"
        )

    async def _answers(self, ws: Any, burst: list[bytes | str]) -> list[dict[str, Any]]:
        """Send the frames; the reply or error that answers each, in order (events in between
        skipped, the parts of a long subscribe reply joined)."""
        out: list[dict[str, Any]] = []
        try:
            for data in burst:
                await ws.send(data)
            while len(out) < len(burst):
                raw = await asyncio.wait_for(ws.recv(), ANSWER_TIMEOUT)
                msg = _decode(JSON if isinstance(raw, str) else MSGPACK, raw)
                if not isinstance(msg, dict) or msg.get("type") not in ("reply", "error"):
                    continue
                result = msg.get("result")
                if msg["type"] == "reply" and isinstance(result, dict) and result.get("more") is True:
                    continue
                out.append(msg)
            return out
        except websockets.ConnectionClosed:
            raise _Closed(ws.close_code, ws.close_reason or "") from None
        except TimeoutError:
            raise _Closed(None, "no answer") from None

    def _check(
        self, pid: str, codec: str, data: bytes | str, cmd: Any, want_id: int | None, answer: dict[str, Any]
    ) -> None:
        kind = answer["type"]
        what = type(cmd).__struct_config__.tag if cmd is not None else "undecodable"
        if kind == "error":
            raw_code = answer.get("code")
            code = (
                Code(raw_code) if isinstance(raw_code, int) and raw_code in Code._value2member_map_ else None
            )
            if code is None or code not in CATALOGUE or answer.get("name") != code.name.lower():
                self.finding(f"{pid} {what}: an error outside the catalogue: {answer!r:.300}")
            elif code in UNCODED:
                self.finding(f"{pid} {what}: un-coded error {code.name.lower()} for {data[:400]!r}")
            self.report.outcomes[str(answer.get("name"))] += 1
        else:
            self.report.outcomes["ok"] += 1
            if cmd is None:
                self.finding(f"{pid}: a reply to a frame that does not decode: {data[:300]!r}")
                return
            self._acked(cmd, answer.get("result"))
        if answer.get("id") != want_id:
            self.finding(f"{pid} {what}: answered with id {answer.get('id')!r}, sent {want_id!r}")

    def _acked(self, cmd: Any, result: Any) -> None:
        if isinstance(cmd, v.VoteCast | v.VotePaper) and not result.get("retry"):
            self.report.acked_ballots[cmd.vote] += 1
        elif isinstance(cmd, m.ChatSend) and cmd.meeting == "m1" and not result.get("retry"):
            self.report.chat_offsets.append(result["offset"])


async def stored_consistently(redis: Redis, report: Report) -> list[str]:
    """What Redis holds against what the hub acknowledged; the problems found, none if it agrees."""
    problems = []
    log = ChannelLog(redis)
    store = VoteStore(log)
    for vote_id in sorted(set(await store.ids()) | set(report.acked_ballots)):  # any the fuzz created too
        stored = len(await store.ballots(vote_id))
        if stored != report.acked_ballots[vote_id]:
            problems.append(
                f"vote {vote_id}: {stored} ballots stored, {report.acked_ballots[vote_id]} acknowledged"
            )
    events = await log.archive(CHAT)
    offsets = [e.offset for e in events]
    if offsets != list(range(1, len(offsets) + 1)):
        problems.append(f"chat offsets not contiguous: {offsets[:20]}...")
    # a deleted message stays as a tombstone at its offset, its text in the moderators' audit
    messages = sorted(e.offset for e in events if e.type in (chat.EVENT, chat.REMOVED))
    acked = sorted([*report.chat_offsets, 1])  # 1: prepare's own message
    if messages != acked:
        problems.append(f"chat: messages stored at {messages}, sends acknowledged at {acked}")
    removed = {e.offset for e in events if e.type == chat.REMOVED}
    audited = set(await chat_admin.deleted(log, "m1"))
    if removed != audited:
        problems.append(f"chat: tombstones at {sorted(removed)}, deletions audited at {sorted(audited)}")
    return problems


async def fuzz(
    redis: Redis,
    ws_url: str,
    inputs: int,
    seconds: float,
    seed: int = 0,
    every: int = 0,
    out: Callable[[str], None] = print,
) -> Report:
    """Prepare the assembly, fuzz it from every role, then check what Redis holds."""
    tokens, epochs = await prepare(redis, ws_url)
    who = ["host", "mod", "ops", "obs", "clerk", "p1", "p2", "p3", *(p.id for p in PANELISTS)]
    fuzzer = Fuzzer(ws_url, tokens, epochs, inputs, seconds, seed, out, every)
    report = await fuzzer.run(who)
    await asyncio.sleep(0.2)  # let a cast's group commit land before reading (acks come after it anyway)
    for problem in await stored_consistently(redis, report):
        fuzzer.finding(problem)
    return report
