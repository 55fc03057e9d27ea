"""The example frames of docs/protocol.md, produced by a running hub.

Each example in the doc that stands under a marker line ``<!-- example: NAME -->`` is the frame
named NAME in ``scenario``: a real hub process on a fresh embedded Redis, seeded with the demo
assembly, and clients that perform every documented exchange over real WebSockets. A marked
example is a fenced JSON block (``json``, or ``json-invalid`` for a frame the hub rejects) and the
same message as MessagePack hex right after it; both are written from the frame as captured.

``python -m tests.protocol_examples`` rewrites the marked examples in docs/protocol.md, and the
field tables of every command (``tests.protocol_tables``, from the message types);
``python -m tests.protocol_examples --check`` only says which ones drifted (exit 1).
tests/integration/test_protocol_examples.py runs the same check, so an example that no longer
matches what the hub says fails the build. What must differ from run to run (times, epochs,
tokens, tracking codes, hashes, the milliseconds left of a mute or a rate limit or spoken by a
speaker) is compared as a placeholder (``normalise``); everything else must match exactly.

The hub's once-a-second work (turnout events, a poll's results, the close after a grace period)
can fall between two steps; the scenario checks the offsets it documents and runs again when it
did (``Flaky``, at most three runs).

Why a scenario and not hand-written frames: the doc promises that a running hub produced every
example, and hand-kept examples drifted (the welcome's ``may``, ``retry`` in ``chat.send``
replies, the ballot count of ``vote.publish``).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import sys
import tempfile
import time
import unicodedata
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import msgspec
import websockets
from websockets.typing import Subprotocol

from cli.demo import demo_meetings, demo_roster
from engine.channels import ChannelLog, publish_call
from engine.connection import command_client
from engine.roles import Role
from engine.server import ensure_server
from moderation.meetings import MeetingInfo, Meetings
from panel.roster import Participant, Roster
from realtime.protocol.codec import CODECS, JSON, MSGPACK
from realtime.protocol.messages import Gap
from tables import live, seating_store
from tables.model import Seating
from tests import protocol_tables
from tests.support import PEOPLE, HubProcess

DOC = Path(__file__).resolve().parents[1] / "docs" / "protocol.md"
HEALTH_CHAT = "meeting/health/chat"
WIDTH = 100  # the doc's examples are indented for reading within this many columns

# ``<!-- example: NAME -->``, the fenced JSON example under it, and its MessagePack hex if present.
MARKED = re.compile(
    r"^<!-- example: (?P<name>[\w.\-]+) -->\n"
    r"```(?P<lang>json(?:-invalid)?)\n(?P<body>.*?)^```\n"
    r"(?:\n```msgpack-hex\n.*?^```\n)?",
    re.M | re.S,
)

Frame = dict[str, Any]


# -- rendering ----------------------------------------------------------------------------------
def pretty(value: Any, indent: int = 0, room: int = WIDTH) -> str:
    """JSON as the doc shows it: a frame that fits one line is compact; otherwise indented by two,
    each member on one line where it fits."""
    if indent == 0:
        flat = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
        if len(flat) <= room:
            return flat
    spaced = json.dumps(value, ensure_ascii=False, separators=(", ", ": "))
    if indent and len(spaced) <= room:
        return spaced
    pad = " " * (indent + 2)
    if isinstance(value, dict) and value:
        items = []
        for k, v in value.items():
            key = json.dumps(k, ensure_ascii=False) + ": "
            items.append(pad + key + pretty(v, indent + 2, WIDTH - len(pad) - len(key) - 1))
        return "{\n" + ",\n".join(items) + "\n" + " " * indent + "}"
    if isinstance(value, list) and value:
        rows = [pad + pretty(v, indent + 2, WIDTH - len(pad) - 1) for v in value]
        return "[\n" + ",\n".join(rows) + "\n" + " " * indent + "]"
    return spaced


def visible(text: str) -> str:
    """Escape what a reader cannot see (zero-width and control characters) as ``\\uXXXX``."""
    return "".join(
        f"\\u{ord(ch):04x}" if unicodedata.category(ch) in ("Cc", "Cf") and ch != "\n" else ch for ch in text
    )


def msgpack_hex(frame: Frame) -> str:
    data = msgspec.msgpack.encode(frame).hex()
    return "\n".join(data[i : i + 64] for i in range(0, len(data), 64))


def render(lang: str, frame: Frame) -> str:
    return f"```{lang}\n{visible(pretty(frame))}\n```\n\n```msgpack-hex\n{msgpack_hex(frame)}\n```\n"


def rewrite(text: str, frames: dict[str, Frame]) -> str:
    """The doc with every marked example written from ``frames``."""

    def one(mt: re.Match[str]) -> str:
        name = mt.group("name")
        if name not in frames:
            raise KeyError(f"docs/protocol.md marks an example {name!r} that the scenario does not make")
        return f"<!-- example: {name} -->\n" + render(mt.group("lang"), frames[name])

    return MARKED.sub(one, text)


def marked(text: str) -> dict[str, Frame]:
    """Every marked example of the doc, by name (a name may be marked once only)."""
    out: dict[str, Frame] = {}
    for mt in MARKED.finditer(text):
        name = mt.group("name")
        if name in out:
            raise ValueError(f"example {name!r} is marked twice")
        out[name] = json.loads(mt.group("body"))
    return out


# -- what may vary between runs -----------------------------------------------------------------
VARYING_KEYS = {"token", "tracking_code", "head_hash", "hash", "prev_hash", "salt"}
VARYING_KEYS |= {"sdp", "session", "hub"}  # issue 16: WebRTC keys, a voice session's id, the hub's id
EPOCH = re.compile(r"^\d{16}$")
TIME_MS = 10**12  # an integer this large is a time in ms since the Unix epoch


def normalise(value: Any, key: str = "") -> Any:
    """``value`` with whatever must vary between runs replaced by a stable placeholder."""
    if key in VARYING_KEYS and isinstance(value, str):
        return f"<{key}>"
    if key in ("retry_after_ms", "muted_ms", "spoke_ms") and isinstance(value, int) and value > 0:
        return "<ms>"
    if isinstance(value, dict):
        return {k: normalise(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [normalise(v, key) for v in value]
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value >= TIME_MS:
        return "<time>"
    if isinstance(value, str):
        if EPOCH.match(value):
            return "<epoch>"
        value = re.sub(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d", "<datetime>", value)
        return re.sub(r"wait \d+(\.\d+)? s", "wait <n> s", value)
    return value


def drift(text: str, frames: dict[str, Frame]) -> list[str]:
    """The names of the doc's marked examples that differ from ``frames`` (beyond what varies)."""
    return [
        name
        for name, shown in marked(text).items()
        if name not in frames or normalise(shown) != normalise(frames[name])
    ]


# -- a recording client ---------------------------------------------------------------------------
class Peer:
    """One participant's connection. Every frame it receives is kept; ``expect`` takes the first
    one not yet taken that matches, waiting for it if need be."""

    def __init__(self, ws: Any, codec: str, book: dict[str, Frame]) -> None:
        self.ws = ws
        self.codec = codec
        self.book = book
        self.inbox: list[Frame] = []
        self.arrived = asyncio.Event()
        self.reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        with contextlib.suppress(websockets.ConnectionClosed):
            async for data in self.ws:
                self.inbox.append(json.loads(data) if isinstance(data, str) else msgspec.msgpack.decode(data))
                self.arrived.set()

    async def expect(self, match: Callable[[Frame], bool], timeout: float = 10.0) -> Frame:
        deadline = time.monotonic() + timeout
        while True:
            for i, frame in enumerate(self.inbox):
                if match(frame):
                    return self.inbox.pop(i)
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"no matching frame; received {self.inbox[-5:]}")
            self.arrived.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.arrived.wait(), left)

    def encode(self, frame: Frame) -> str | bytes:
        return json.dumps(frame, ensure_ascii=False) if self.codec == JSON else msgspec.msgpack.encode(frame)

    async def send(self, name: str | None, frame: Frame) -> None:
        if name:
            self.book[name] = frame
        await self.ws.send(self.encode(frame))

    async def answer(self, name: str | None, cid: int | None) -> Frame:
        got = await self.expect(lambda f: f.get("type") in ("reply", "error") and f.get("id") == cid)
        if name:
            self.book[name] = got
        return got

    async def call(self, name: str | None, frame: Frame) -> Frame:
        """Send a command (recorded as ``name``) and take its answer (recorded as ``name.reply``)."""
        await self.send(name, frame)
        return await self.answer(f"{name}.reply" if name else None, frame["id"])

    async def event(self, name: str | None, channel: str, event: str, timeout: float = 10.0) -> Frame:
        """The next event of that type on that channel, alone or inside a batch (a coalesced
        channel may deliver it in either; the doc shows it as an ``event``)."""

        def match(ev: Frame) -> bool:
            return ev.get("type") == "event" and ev["channel"] == channel and ev["event"] == event

        def holds(frame: Frame) -> bool:
            return match(frame) or (frame.get("type") == "batch" and any(match(e) for e in frame["events"]))

        got = await self.expect(holds, timeout)
        if got["type"] == "batch":
            i = next(i for i, e in enumerate(got["events"]) if match(e))
            rest = got["events"][:i] + got["events"][i + 1 :]
            got = got["events"][i]
            if rest:
                self.inbox.insert(0, {"type": "batch", "events": rest})
        if name:
            self.book[name] = got
        return got

    async def close(self) -> None:
        await self.ws.close()
        with contextlib.suppress(Exception):
            await self.reader


class Assembly:
    """The running hub, its Redis and the demo roster's tokens."""

    def __init__(self, hub: HubProcess, redis_url: str, tokens: dict[str, str]) -> None:
        self.hub = hub
        self.redis_url = redis_url
        self.tokens = tokens
        self.book: dict[str, Frame] = {}
        self.peers: list[Peer] = []

    async def connect(self, codec: str = JSON) -> Peer:
        ws = await websockets.connect(self.hub.ws_url, subprotocols=[Subprotocol(codec)], max_size=2**20)
        peer = Peer(ws, codec, self.book)
        self.peers.append(peer)
        return peer

    async def join(self, who: str, codec: str = JSON, name: str | None = None, cid: int = 1) -> Peer:
        peer = await self.connect(codec)
        got = await peer.call(name, {"type": "hello", "id": cid, "token": self.tokens[who]})
        assert got["type"] == "reply", got
        return peer


@contextlib.asynccontextmanager
async def running_assembly() -> AsyncIterator[Assembly]:
    with tempfile.TemporaryDirectory(prefix="plenary-examples-") as tmp:
        redis_server = ensure_server(Path(tmp) / "data")
        hub = HubProcess(redis_server.url)
        try:
            redis = command_client(redis_server.url, name="plenary-examples")
            roster = Roster(redis)
            await roster.upsert(demo_roster())
            for meeting in demo_meetings(int(time.time() * 1000)):
                await Meetings(redis).put(meeting)
            people = await roster.all()
            tokens = await roster.issue_tokens([p.id for p in people])
            await redis.aclose()
            await asyncio.to_thread(hub.wait_ready)
            assembly = Assembly(hub, redis_server.url, tokens)
            try:
                yield assembly
            finally:
                for peer in assembly.peers:
                    await peer.close()
        finally:
            hub.stop()
            redis_server.stop()


# -- the scenario ---------------------------------------------------------------------------------
def err(cid: int | None) -> Callable[[Frame], bool]:
    return lambda f: f.get("type") == "error" and f.get("id") == cid


async def core(a: Assembly) -> None:
    """§4 hello to chat.send, §5 server messages, §8 errors."""
    book = a.book
    panelist = await a.connect()
    await panelist.call(
        "hello", {"type": "hello", "id": 1, "token": a.tokens["p-000"], "client": "docs-example/1.0"}
    )
    await panelist.call("ping", {"type": "ping", "id": 2})

    host = await a.join("host-1", MSGPACK)
    await host.call(
        "chat.send.host",
        {"type": "chat.send", "id": 3, "meeting": "plenary", "text": "안녕하세요, 시민 여러분."},
    )
    sent = await panelist.call(
        "chat.send",
        {
            "type": "chat.send",
            "id": 3,
            "meeting": "plenary",
            "text": "Hello from a panelist",
            "nonce": "msg-p000-0001",
        },
    )
    await panelist.call(
        "chat.send.retry",
        {
            "type": "chat.send",
            "id": 4,
            "meeting": "plenary",
            "text": "Hello from a panelist",
            "nonce": "msg-p000-0001",
        },
    )
    assert book["chat.send.retry.reply"]["result"]["retry"] is True, sent

    # subscribe: a first time (the backlog), coming back with a position, another epoch (Q&A)
    reader = await a.join("p-002")
    first = await reader.call("subscribe", {"type": "subscribe", "id": 2, "channel": "meeting/plenary/chat"})
    epoch, offset = first["result"]["epoch"], first["result"]["offset"]
    await reader.close()
    await host.call(None, {"type": "chat.send", "id": 4, "meeting": "plenary", "text": "missed while away"})
    back = await a.join("p-002")
    await back.call(
        "subscribe.recover",
        {"type": "subscribe", "id": 2, "channel": "meeting/plenary/chat", "epoch": epoch, "offset": offset},
    )
    await back.call(
        "subscribe.epoch",
        {"type": "subscribe", "id": 3, "channel": "meeting/plenary/qa", "epoch": "1", "offset": 5},
    )
    await back.call("unsubscribe", {"type": "unsubscribe", "id": 4, "channel": "meeting/plenary/chat"})
    await panelist.call("meeting.list", {"type": "meeting.list", "id": 5})

    # §5: an event as delivered live; a batch (events published within one tick); a gap
    await panelist.call(None, {"type": "subscribe", "id": 6, "channel": "meeting/plenary/chat"})
    await host.call(None, {"type": "chat.send", "id": 5, "meeting": "plenary", "text": "live: 환영합니다"})
    await panelist.event("event", "meeting/plenary/chat", "chat.message")
    staff = await a.join("mod-1")
    await staff.call(None, {"type": "subscribe", "id": 2, "channel": HEALTH_CHAT})
    log_redis = command_client(a.redis_url, name="plenary-examples")
    log = ChannelLog(log_redis)
    mod = {"id": "mod-1", "name": "진행자 오세훈", "role": "moderator"}
    host_author = {"id": "host-1", "name": "사회자 한지민", "role": "host"}
    texts = [
        ("질문 1: 회의 자료는 어디에 있나요?", mod),
        ("Answer 1: see the agenda", host_author),
        ("질문 2: 회의 자료는 어디에 있나요?", mod),
    ]
    publish = log.scripts.get("engine", "publish")
    async with log_redis.pipeline(transaction=False) as pipe:  # one round trip: within one tick
        for text, author in texts:
            call = publish_call(HEALTH_CHAT, "chat.message", {"text": text, "author": author})
            await publish(keys=call.keys, args=call.args, client=pipe)
        await pipe.execute()
    await log_redis.aclose()
    batch = await staff.expect(lambda f: f.get("type") == "batch")
    book["batch"] = batch
    last = batch["events"][-1]
    gap = Gap(channel=last["channel"], epoch=last["epoch"], offset=last["offset"])
    book["gap"] = json.loads(CODECS[JSON].encode(gap))

    # §5 error, §8 errors: frames the hub cannot read, then commands it refuses
    anon = await a.connect()
    await anon.send(None, {"type": "ping", "id": 1})
    await anon.answer("error.not_authenticated.reply", 1)
    await anon.ws.send("{not json")
    book["error.bad_frame.json"] = await anon.expect(err(None))
    binary = await a.connect(MSGPACK)
    await binary.ws.send(b"\xc1")
    book["error.bad_frame.msgpack"] = await binary.expect(err(None))
    await binary.ws.send("text on msgpack")
    book["error.bad_frame.text"] = await binary.expect(err(None))
    me = await a.join("p-001")
    unreadable: list[tuple[str, Frame]] = [
        ("error.unknown_command", {"type": "no.such.command", "id": 4}),
        ("error.bad_message", {"id": 5}),
        ("error.missing_field", {"type": "subscribe", "id": 6}),
        ("error.bad_pattern", {"type": "chat.send", "id": 15, "meeting": "bad id!", "text": "x"}),
    ]
    for name, frame in unreadable:
        await me.call(name, frame)
    await me.send("error.bad_id", {"type": "ping", "id": 1.5})
    book["error.bad_id.reply"] = await me.expect(err(None))
    await me.call("error.already_authenticated", {"type": "hello", "id": 3, "token": a.tokens["p-001"]})
    await me.call("error.unknown_channel", {"type": "subscribe", "id": 7, "channel": "lobby"})
    await me.call("error.forbidden_channel", {"type": "subscribe", "id": 8, "channel": "ops"})
    await me.call("error.not_a_member", {"type": "subscribe", "id": 9, "channel": "meeting/transport/chat"})
    await me.call(
        "error.not_subscribed", {"type": "unsubscribe", "id": 11, "channel": "meeting/plenary/chat"}
    )
    await me.call(
        "error.empty_message", {"type": "chat.send", "id": 12, "meeting": "plenary", "text": "  \u200b "}
    )
    await me.send(None, {"type": "chat.send", "id": 13, "meeting": "plenary", "text": "가" * 501})
    await me.answer("error.message_too_long.reply", 13)  # the doc shows the answer only
    for i in range(14, 22):
        got = await me.call(
            None, {"type": "chat.send", "id": i, "meeting": "plenary", "text": f"message {i}"}
        )
        if got["type"] == "error":
            book["error.rate_limited"] = {
                "type": "chat.send",
                "id": i,
                "meeting": "plenary",
                "text": f"message {i}",
            }
            book["error.rate_limited.reply"] = got
            break
    clerk = await a.join("clerk-1", MSGPACK)
    await clerk.call("error.forbidden", {"type": "chat.send", "id": 2, "meeting": "plenary", "text": "x"})
    boss = await a.join("host-1")
    await boss.call("error.unknown_meeting", {"type": "subscribe", "id": 2, "channel": "meeting/nosuch/chat"})
    stranger = await a.connect()
    await stranger.call("error.bad_token", {"type": "hello", "id": 1, "token": "not-a-valid-token"})


class Flaky(Exception):
    """The hub's once-a-second work (turnout, the close after a grace) fell between two steps
    that the doc shows in one second, so the offsets differ from the documented run: run again."""


TRANSPORT = {
    "vote_id": "transport-1",
    "title": "교통 정책 우선순위 (Transport priorities)",
    "proposals": [
        {"id": "P1", "title": "심야 버스 노선 확대", "topic": "교통"},
        {"id": "P2", "title": "자전거 전용도로 연결", "topic": "교통"},
        {"id": "P3", "title": "어린이 보호구역 속도 관리", "topic": "교통"},
        {"id": "P4", "title": "지하철역 승강기 설치", "topic": "교통"},
    ],
    "rule": {"kind": "top_k", "k": 3, "minimum": 1},
    "method": "schulze",
    "shown_methods": ["borda"],
    "tie_break": ["P1", "P2", "P3", "P4"],
}


def cast(cid: int, ranking: list[str], nonce: str, vote: str = "transport-1") -> Frame:
    return {"type": "vote.cast", "id": cid, "vote": vote, "ranking": ranking, "nonce": nonce}


async def votes(a: Assembly) -> None:
    """§4 Votes: the life of a vote, its ballots and their errors, a vote with a grace period."""
    host = await a.join("host-1")
    await host.call("vote.create", {"type": "vote.create", "id": 2, "definition": TRANSPORT})
    bad = {**TRANSPORT, "vote_id": "transport-x", "tie_break": ["P1", "P2"]}
    await host.send(None, {"type": "vote.create", "id": 6, "definition": bad})
    await host.answer("vote.create.error.reply", 6)
    follower = await a.join("p-004")
    await follower.call("vote.subscribe", {"type": "subscribe", "id": 2, "channel": "vote/transport-1"})
    await host.call("vote.open", {"type": "vote.open", "id": 3, "vote": "transport-1"})
    await follower.event("vote.opened", "vote/transport-1", "vote.opened")
    await follower.call("vote.get", {"type": "vote.get", "id": 3, "vote": "transport-1"})

    # three ballots within one second: one turnout event (the doc's offsets assume it)
    p0 = await a.join("p-000")
    p1 = await a.join("p-001", MSGPACK)
    clerk = await a.join("clerk-1")
    await p0.call("vote.cast", cast(4, ["P3", "P1"], "k3J9x2Qa7LmP"))
    await p0.call("vote.cast.retry", cast(5, ["P3", "P1"], "k3J9x2Qa7LmP"))
    await p1.call("vote.cast.msgpack", cast(2, ["P1", "P3", "P2"], "Zq81-mNb0xT4"))
    paper = {
        "type": "vote.paper",
        "id": 2,
        "vote": "transport-1",
        "voter": "p-002",
        "ranking": ["P4", "P2"],
        "nonce": "paper-0001",
    }
    await clerk.call("vote.paper", paper)
    turnout = await follower.event("vote.turnout.event", "vote/transport-1", "vote.turnout", 5)
    if turnout["data"]["voted"] != 3:
        raise Flaky("a turnout event between the ballots")
    for name, frame in [
        ("vote.cast.unknown_proposal", cast(6, ["P3", "P9"], "k3J9x2Qa7LmQ")),
        (None, cast(7, ["P3", "P3"], "k3J9x2Qa7LmR")),
        (None, cast(8, ["P1", "P2", "P3", "P4"], "k3J9x2Qa7LmR")),
        (None, cast(9, [], "k3J9x2Qa7LmR")),
        (None, cast(10, ["P1"], "short")),
        (None, cast(11, ["P1"], "k3J9x2Qa7LmR", vote="no-such-vote")),
        ("vote.cast.nonce_reused", cast(13, ["P1", "P2"], "k3J9x2Qa7LmP")),
    ]:
        await p0.send(name, frame)
    for cid, name in [
        (6, "vote.cast.unknown_proposal.reply"),
        (7, "vote.cast.repeated_proposal.reply"),
        (8, "vote.cast.too_long.reply"),
        (9, "vote.cast.too_short.reply"),
        (10, "vote.cast.bad_nonce.reply"),
        (11, "vote.cast.unknown_vote.reply"),
        (13, "vote.cast.nonce_reused.reply"),
    ]:
        await p0.answer(name, cid)
    # vote.mine: a panelist's own standing, after a revote online, then after a paper ballot (no
    # turnout event: the number of voters does not change)
    await p0.call(None, cast(14, ["P1", "P3", "P2"], "k3J9x2Qa7LmV"))
    await p0.call("vote.mine", {"type": "vote.mine", "id": 15, "vote": "transport-1"})
    # (the paper ballot repeats p-000's first ranking: the results below stay those of the first three)
    await clerk.call(
        None, {**paper, "id": 4, "voter": "p-000", "ranking": ["P3", "P1"], "nonce": "paper-0003"}
    )
    await p0.send(None, {"type": "vote.mine", "id": 16, "vote": "transport-1"})
    await p0.answer("vote.mine.paper.reply", 16)
    await follower.send(None, {"type": "vote.mine", "id": 4, "vote": "transport-1"})
    await follower.answer("vote.mine.none.reply", 4)
    await host.send(None, {"type": "vote.mine", "id": 5, "vote": "transport-1"})
    await host.answer("vote.mine.forbidden.reply", 5)
    await clerk.send(None, {**paper, "id": 3, "voter": "nobody", "nonce": "paper-0002"})
    await clerk.answer("vote.paper.unknown_voter.reply", 3)
    ops = await a.join("ops-1")
    await ops.call("vote.turnout", {"type": "vote.turnout", "id": 2, "vote": "transport-1"})

    await host.call("vote.close", {"type": "vote.close", "id": 7, "vote": "transport-1"})
    await follower.event("vote.closed", "vote/transport-1", "vote.closed")
    await p0.send(None, cast(12, ["P1"], "k3J9x2Qa7LmS"))
    await p0.answer("vote.cast.closed.reply", 12)
    await host.call("vote.publish", {"type": "vote.publish", "id": 8, "vote": "transport-1"})
    await follower.event("vote.published", "vote/transport-1", "vote.published")

    # a vote with a grace period: announced close, a ballot within the grace, the hub's own close
    grace = {**TRANSPORT, "vote_id": "transport-g", "title": "교통 (마감 유예)", "grace_seconds": 2}
    boss = await a.join("host-1")
    await boss.call(None, {"type": "vote.create", "id": 2, "definition": grace})
    await boss.call(None, {"type": "subscribe", "id": 3, "channel": "vote/transport-g"})
    await boss.call(None, {"type": "vote.open", "id": 4, "vote": "transport-g"})
    await boss.send(None, {"type": "vote.publish", "id": 5, "vote": "transport-g"})
    await boss.answer("vote.publish.bad_transition.reply", 5)
    await boss.call("vote.close.grace", {"type": "vote.close", "id": 6, "vote": "transport-g"})
    await boss.event("vote.closing", "vote/transport-g", "vote.closing")
    await boss.send(None, {"type": "vote.close", "id": 8, "vote": "transport-g"})  # pressed again
    await boss.answer("vote.close.repeated.reply", 8)
    late = await a.join("p-006")
    await late.call("vote.cast.grace", cast(4, ["P2"], "k3J9x2Qa7LmT", vote="transport-g"))
    closed = await boss.event("vote.closed.grace", "vote/transport-g", "vote.closed", 8)
    await boss.event(None, "vote/transport-g", "vote.turnout")
    if closed["offset"] != 5:
        raise Flaky("the close came before the turnout of the ballot within the grace")
    await late.send(None, cast(5, ["P1"], "k3J9x2Qa7LmU", vote="transport-g"))
    await late.answer("vote.cast.late.reply", 5)
    for i, ranking in enumerate((["P1"], ["P2"])):  # two paper entries that disagree
        entry = {**paper, "id": 4 + i, "vote": "transport-g", "voter": "p-008", "nonce": f"paper-g{i:04d}"}
        await clerk.call(None, {**entry, "ranking": ranking})
    await boss.send(None, {"type": "vote.publish", "id": 7, "vote": "transport-g"})
    await boss.answer("vote.publish.ballot_conflict.reply", 7)
    await follower.call("vote.list", {"type": "vote.list", "id": 12})


M1 = "m1"


def on(channel: str) -> str:
    return f"meeting/{M1}/{channel}"


async def moderated(a: Assembly) -> None:
    """Moderated meetings: Q&A, chat moderation, speakers, agenda, slides, overlay, polls (the small
    roster of the tests: host, mod, obs, p1, p2 in meeting m1)."""
    redis = command_client(a.redis_url, name="plenary-examples")
    roster = Roster(redis)
    await roster.upsert(PEOPLE)  # after the votes opened: they are no voters there
    await Meetings(redis).put(MeetingInfo(id=M1, title="Meeting one", youtube="dQw4w9WgXcQ"))
    a.tokens.update(await roster.issue_tokens([p.id for p in PEOPLE]))
    await redis.aclose()
    mod = await a.join("mod")
    host = await a.join("host")
    obs = await a.join("obs")
    p1 = await a.join("p1")
    p2 = await a.join("p2")
    await mod.call(None, {"type": "subscribe", "id": 2, "channel": on("staff")})
    for i, channel in enumerate(
        (on("qa"), on("chat"), on("speakers"), on("agenda"), f"overlay/{M1}", on("polls"))
    ):
        await obs.call(None, {"type": "subscribe", "id": 2 + i, "channel": channel})

    # Q&A
    bus = "버스 배차 간격은 언제 줄어드나요?"
    await p1.call("qa.ask", {"type": "qa.ask", "id": 2, "meeting": M1, "text": bus, "anonymous": True})
    await mod.event("event.qa.asked", on("staff"), "qa.asked")
    await mod.call("qa.approve", {"type": "qa.approve", "id": 3, "meeting": M1, "question": 1})
    await obs.event("event.qa.approved", on("qa"), "qa.approved")
    await p2.call("qa.upvote", {"type": "qa.upvote", "id": 2, "meeting": M1, "question": 1})
    await obs.event("event.qa.voted", on("qa"), "qa.voted")
    await p2.call("qa.unvote", {"type": "qa.unvote", "id": 3, "meeting": M1, "question": 1})
    await p2.call(None, {"type": "qa.upvote", "id": 4, "meeting": M1, "question": 1})
    await p1.call(
        None, {"type": "qa.ask", "id": 3, "meeting": M1, "text": "어린이집 대기는 어떻게 줄이나요?"}
    )
    await p2.call(None, {"type": "qa.ask", "id": 5, "meeting": M1, "text": "배차 간격을 줄여 주세요"})
    await p1.call(None, {"type": "qa.ask", "id": 4, "meeting": M1, "text": "시청 앞 광장 이야기도 하나요?"})
    await mod.call(None, {"type": "qa.approve", "id": 4, "meeting": M1, "question": 2})
    await mod.call("qa.queue", {"type": "qa.queue", "id": 5, "meeting": M1, "question": 1})
    await mod.call(None, {"type": "qa.queue", "id": 6, "meeting": M1, "question": 2})
    await mod.call("qa.reorder", {"type": "qa.reorder", "id": 7, "meeting": M1, "order": [2, 1]})
    await mod.call("qa.unqueue", {"type": "qa.unqueue", "id": 8, "meeting": M1, "question": 1})
    await mod.call("qa.air", {"type": "qa.air", "id": 9, "meeting": M1, "question": 2})
    await obs.event("event.qa.aired", on("qa"), "qa.aired")
    await obs.event("event.overlay.shown", f"overlay/{M1}", "overlay.shown")
    await mod.call("qa.answer", {"type": "qa.answer", "id": 10, "meeting": M1, "question": 2})
    await mod.call("error.qa.answer", {"type": "qa.answer", "id": 11, "meeting": M1, "question": 2})
    await mod.call("qa.merge", {"type": "qa.merge", "id": 12, "meeting": M1, "question": 3, "into": 1})
    await mod.call("qa.dismiss", {"type": "qa.dismiss", "id": 13, "meeting": M1, "question": 4})
    await mod.call("qa.reopen", {"type": "qa.reopen", "id": 14, "meeting": M1, "question": 4})
    await p1.call("qa.mine", {"type": "qa.mine", "id": 5, "meeting": M1})

    # chat moderation
    await p1.call(
        None, {"type": "chat.send", "id": 6, "meeting": M1, "text": "최저가 중고차 매입, 연락 주세요"}
    )
    await p1.call(None, {"type": "chat.send", "id": 7, "meeting": M1, "text": "회의 자료 잘 봤습니다"})
    await obs.event(None, on("chat"), "chat.message")
    await obs.event(None, on("chat"), "chat.message")
    report = {"type": "chat.report", "id": 7, "meeting": M1, "offset": 1, "reason": "spam", "note": "광고"}
    await p2.call("chat.report", report)
    await p2.call(None, {**report, "id": 8, "offset": 2, "reason": "other", "note": ""})
    await mod.call(
        "chat.delete", {"type": "chat.delete", "id": 15, "meeting": M1, "offset": 1, "reason": "광고"}
    )
    await obs.event("event.chat.deleted", on("chat"), "chat.deleted")
    await mod.call(
        "chat.dismiss_report", {"type": "chat.dismiss_report", "id": 16, "meeting": M1, "offset": 2}
    )
    await mod.call(
        "chat.mute", {"type": "chat.mute", "id": 17, "meeting": M1, "participant": "p1", "minutes": 10}
    )
    await obs.event("event.chat.muted", on("chat"), "chat.muted")
    await mod.call("chat.ban", {"type": "chat.ban", "id": 18, "meeting": M1, "participant": "p1"})
    await mod.call("chat.moderation", {"type": "chat.moderation", "id": 24, "meeting": M1})
    await mod.call("chat.unmute", {"type": "chat.unmute", "id": 19, "meeting": M1, "participant": "p1"})
    settings = {"type": "chat.settings", "id": 20, "meeting": M1, "slow_mode": 30, "links": "staff"}
    await mod.call("chat.settings", settings)
    await p1.call("chat.status", {"type": "chat.status", "id": 13, "meeting": M1})
    await p1.call(None, {"type": "chat.send", "id": 10, "meeting": M1, "text": "천천히 쓰겠습니다"})
    await p1.call("error.slow_mode", {"type": "chat.send", "id": 11, "meeting": M1, "text": "또 씁니다"})

    # speakers
    await p1.call("speakers.raise", {"type": "speakers.raise", "id": 14, "meeting": M1})
    await p2.call(None, {"type": "speakers.raise", "id": 9, "meeting": M1})
    await mod.call(
        "speakers.order", {"type": "speakers.order", "id": 21, "meeting": M1, "order": ["p2", "p1"]}
    )
    await mod.call("speakers.timer", {"type": "speakers.timer", "id": 22, "meeting": M1, "seconds": 90})
    await p1.call("speakers.lower", {"type": "speakers.lower", "id": 15, "meeting": M1})
    await mod.call("speakers.next", {"type": "speakers.next", "id": 23, "meeting": M1})
    await obs.event("event.speakers.called", on("speakers"), "speakers.called")
    await p2.call("speakers.yield", {"type": "speakers.yield", "id": 11, "meeting": M1})

    # agenda, slides, materials, overlay
    items = [
        {"id": "open", "title": "개회", "starts_at": 1795600800000, "minutes": 10},
        {"id": "transport", "title": "교통 토론", "starts_at": 1795601400000, "minutes": 50},
    ]
    await host.call("agenda.set", {"type": "agenda.set", "id": 2, "meeting": M1, "items": items})
    await host.call("agenda.current", {"type": "agenda.current", "id": 3, "meeting": M1, "item": "transport"})
    slide = {"url": "https://example.org/slides/transport-3.png", "title": "버스 노선 현황"}
    await host.call("slide.show", {"type": "slide.show", "id": 4, "meeting": M1, **slide})
    await obs.event("event.slide.shown", on("agenda"), "slide.shown")
    materials = [
        {
            "id": "intro",
            "title": "교통 정책 기초",
            "url": "https://example.org/learn/transport.pdf",
            "kind": "document",
        },
        {
            "id": "course-1",
            "title": "온라인 강좌 1강",
            "url": "https://example.org/course/1",
            "kind": "course",
        },
    ]
    await host.call("materials.set", {"type": "materials.set", "id": 5, "meeting": M1, "items": materials})
    await host.call("overlay.show", {"type": "overlay.show", "id": 6, "meeting": M1, "question": 1})
    await host.call("overlay.clear", {"type": "overlay.clear", "id": 8, "meeting": M1})
    await host.call("slide.clear", {"type": "slide.clear", "id": 9, "meeting": M1})

    # polls
    poll = {
        "id": "sat",
        "title": "오늘 토론 만족도",
        "questions": [{"id": "q", "kind": "scale", "prompt": "오늘 토론에 만족하셨나요?"}],
    }
    await host.call("poll.create", {"type": "poll.create", "id": 11, "meeting": M1, "poll": poll})
    await host.call("poll.open", {"type": "poll.open", "id": 12, "meeting": M1, "poll": "sat"})
    answer = {"type": "poll.answer", "id": 19, "meeting": M1, "poll": "sat", "answers": {"q": 4}}
    await p1.call("poll.answer", answer)
    await p2.call(None, {**answer, "id": 10, "answers": {"q": 3}})
    tally = await obs.event("event.poll.results", on("polls"), "poll.results", 5)
    if tally["data"]["answered"] != 2:
        raise Flaky("a results event between the two answers")
    await p1.call("error.already_answered", {**answer, "id": 20, "answers": {"q": 5}})
    await host.call(
        "poll.results", {"type": "poll.results", "id": 13, "meeting": M1, "poll": "sat", "visible": True}
    )
    await host.call("poll.close", {"type": "poll.close", "id": 14, "meeting": M1, "poll": "sat"})
    await host.call("poll.publish", {"type": "poll.publish", "id": 15, "meeting": M1, "poll": "sat"})
    await obs.event("event.poll.published", on("polls"), "poll.published")
    survey = {
        "id": "s2",
        "title": "교통 설문",
        "kind": "survey",
        "questions": [
            {"id": "topic", "kind": "single", "prompt": "가장 중요한 주제는?", "options": ["교통", "주거"]},
            {
                "id": "days",
                "kind": "multiple",
                "prompt": "참석할 수 있는 요일",
                "options": ["월", "수", "금"],
            },
            {"id": "free", "kind": "text", "prompt": "하고 싶은 말", "required": False},
        ],
    }
    await host.call(None, {"type": "poll.create", "id": 16, "meeting": M1, "poll": survey})
    await host.call(None, {"type": "poll.open", "id": 17, "meeting": M1, "poll": "s2"})
    filled = {"topic": 0, "days": [0, 2], "free": "버스를 늘려 주세요"}
    await p1.call(None, {"type": "poll.answer", "id": 21, "meeting": M1, "poll": "s2", "answers": filled})
    await host.call("poll.export", {"type": "poll.export", "id": 18, "meeting": M1, "poll": "s2"})


async def captions(a: Assembly) -> None:
    """Live captions (issue 13): a captioner's line and its partial, an observer following the
    channel, a panelist refused (run after ``moderated``: meeting m1 and its people exist)."""
    redis = command_client(a.redis_url, name="plenary-examples")
    roster = Roster(redis)
    captioner = Participant(id="cap", name="자막 최유리", role=Role.CAPTIONER, meetings=[M1])
    await roster.upsert([captioner])
    a.tokens.update(await roster.issue_tokens([captioner.id]))
    await redis.aclose()
    cap = await a.join("cap")
    obs = await a.join("obs", cid=1)
    p1 = await a.join("p1", cid=1)
    await obs.call(None, {"type": "subscribe", "id": 2, "channel": on("captions")})
    partial = {"type": "caption.send", "id": 2, "meeting": M1, "text": "회의를 시작", "final": False}
    await cap.call("caption.send.partial", partial)
    await obs.event("event.caption.partial", on("captions"), "caption.partial")
    line = {"type": "caption.send", "id": 3, "meeting": M1, "text": "회의를 시작하겠습니다."}
    await cap.call("caption.send", line)
    await obs.event("event.caption.line", on("captions"), "caption.line")
    await p1.call("error.caption.forbidden", {**line, "id": 2})


async def live_voice(a: Assembly) -> None:
    """Live voice (issue 16, run after ``moderated``): p1 gets the floor and goes live with a real
    WebRTC offer (aiortc), p2 without the floor is refused, the host follows ``meeting/m1/voice`` and
    listens, p1 trickles a candidate and ends; the host sees it end."""
    from aiortc import RTCPeerConnection, RTCSessionDescription

    from loadtest.voice_peers import Tone

    mod = await a.join("mod", cid=1)
    host = await a.join("host", cid=1)
    p1 = await a.join("p1", cid=1)
    p2 = await a.join("p2", cid=1)
    await host.call(None, {"type": "subscribe", "id": 2, "channel": on("voice")})
    await p1.call(None, {"type": "speakers.raise", "id": 2, "meeting": M1})
    await mod.call(None, {"type": "speakers.next", "id": 2, "meeting": M1, "participant": "p1"})
    await p1.call("voice.config", {"type": "voice.config", "id": 6, "meeting": M1})
    speaker = RTCPeerConnection()
    speaker.addTrack(Tone(440))
    await speaker.setLocalDescription(await speaker.createOffer())
    offer = {"type": "voice.offer", "id": 3, "meeting": M1, "sdp": speaker.localDescription.sdp}
    await p2.call("error.voice.not_on_the_floor", offer)
    answer = await p1.call("voice.offer", offer)
    await speaker.setRemoteDescription(RTCSessionDescription(sdp=answer["result"]["sdp"], type="answer"))
    await host.event("event.voice.live", on("voice"), "voice.live")
    console = RTCPeerConnection()
    console.addTransceiver("audio", direction="recvonly")
    await console.setLocalDescription(await console.createOffer())
    listen = {"type": "voice.listen", "id": 3, "meeting": M1, "sdp": console.localDescription.sdp}
    heard = await host.call("voice.listen", listen)
    await console.setRemoteDescription(RTCSessionDescription(sdp=heard["result"]["sdp"], type="answer"))
    line = "candidate:3 1 udp 1686052607 203.0.113.7 50123 typ srflx raddr 192.168.0.7 rport 50123"
    session = answer["result"]["session"]
    trickle = {"type": "voice.candidate", "id": 4, "meeting": M1, "session": session, "candidate": line}
    await p1.call("voice.candidate", {**trickle, "sdp_mid": "0", "sdp_mline_index": 0})
    await p1.call("voice.end", {"type": "voice.end", "id": 5, "meeting": M1})
    await host.event("event.voice.ended", on("voice"), "voice.ended")
    await mod.call(None, {"type": "speakers.yield", "id": 3, "meeting": M1})
    await speaker.close()
    await console.close()


# issue 14: proposals
async def proposal_path(a: Assembly) -> None:
    """Citizens' proposals (issue 14): a moderator opens a section, a panelist submits, another
    joins and supports, a duplicate is merged, an edit waits for both authors, a proposal is
    returned (run after ``moderated``: meeting m1 with mod, p1 and p2 exists)."""
    mod = await a.join("mod", cid=1)
    p1 = await a.join("p1", cid=1)
    p2 = await a.join("p2", cid=1)
    ch = on("proposals")
    await p2.call(None, {"type": "subscribe", "id": 2, "channel": ch})
    await mod.call(
        "proposal.sections",
        {"type": "proposal.sections", "id": 2, "meeting": M1, "open": ["transport", "health"]},
    )
    bus = {
        "meeting": M1,
        "section": "transport",
        "title": "마을버스를 늘려 주세요",
        "problem": "출퇴근 시간에 마을버스가 30분마다 와요.",
        "action": "출퇴근 시간에는 10분마다 다니게 해 주세요.",
    }
    await p1.call("proposal.submit", {"type": "proposal.submit", "id": 2, **bus})
    await p2.event("event.proposal.submitted", ch, "proposal.submitted")
    await p2.call("proposal.join", {"type": "proposal.join", "id": 3, "meeting": M1, "proposal": 1})
    support = {"type": "proposal.support", "id": 4, "meeting": M1, "proposal": 1}
    await p2.call("proposal.support", support)
    await p2.event("event.proposal.supported", ch, "proposal.supported")
    await p2.call("error.proposal.already_supported", {**support, "id": 5})
    await p2.call("proposal.unsupport", {"type": "proposal.unsupport", "id": 6, "meeting": M1, "proposal": 1})
    await p2.call(None, {**support, "id": 7})
    comment = {
        "type": "proposal.comment",
        "id": 3,
        "meeting": M1,
        "proposal": 1,
        "text": "배차 간격 자료를 함께 볼게요.",
    }
    await mod.call("proposal.comment", comment)
    await p2.event("event.proposal.commented", ch, "proposal.commented")
    dup = {**bus, "title": "버스 배차 간격 줄이기"}
    await p1.call(None, {"type": "proposal.submit", "id": 3, **dup})
    await p1.call(None, {"type": "proposal.support", "id": 4, "meeting": M1, "proposal": 2})
    merge = {"type": "proposal.merge", "id": 4, "meeting": M1, "proposal": 2, "into": 1}
    await mod.call("error.proposal.bad_proposal_merge", {**merge, "into": 2})
    await mod.call("proposal.merge", {**merge, "id": 5})
    await p2.event("event.proposal.merged", ch, "proposal.merged")
    edit = {
        "type": "proposal.edit",
        "id": 6,
        "meeting": M1,
        "proposal": 1,
        "title": "마을버스 배차 간격을 10분으로",
        "note": "두 제안을 합친 제목이에요.",
    }
    await mod.call("proposal.edit", edit)
    consent = {"type": "proposal.consent", "id": 5, "meeting": M1, "proposal": 1, "accept": True}
    await p1.call("proposal.consent", consent)
    await p2.call(None, {**consent, "id": 8})
    await p2.event("event.proposal.edited", ch, "proposal.edited")
    park = {**bus, "section": "health", "title": "동네 공원에 운동 기구를"}
    await p1.call(None, {"type": "proposal.submit", "id": 6, **park})
    ret = {
        "type": "proposal.return",
        "id": 7,
        "meeting": M1,
        "proposal": 3,
        "reason": "보건 분과보다 환경 분과에 맞아요. 환경 분과에 다시 내 주세요.",
    }
    await mod.call("proposal.return", ret)
    await p1.call("proposal.list", {"type": "proposal.list", "id": 7, "meeting": M1})
    await p2.call("proposal.get", {"type": "proposal.get", "id": 9, "meeting": M1, "proposal": 1})


async def city_response(a: Assembly) -> None:
    """The city's response (issue 14; after ``shortlist_path``: the plenary's published result
    decided proposal 1 of meeting m1): a host records the city's answer; a rejection without its
    reason is refused."""
    watcher = await a.join("p2", cid=1)
    ch = on("proposals")
    await watcher.call(None, {"type": "subscribe", "id": 2, "channel": ch})
    host = await a.join("host", cid=1)
    answer = {
        "type": "proposal.respond",
        "id": 2,
        "meeting": M1,
        "proposal": 1,
        "status": "rejected",
        "department": "도시교통실 버스정책과",
        "text": "",
    }
    await host.call("error.proposal.response_needs_reason", answer)
    reason = "마을버스 노선은 자치구가 정합니다. 자치구와 함께 배차를 다시 살펴보겠습니다."
    await host.call("proposal.respond", {**answer, "id": 3, "status": "under_review", "text": reason})
    await watcher.event("event.proposal.responded", ch, "proposal.responded")


# issue 14: shortlist and ballot
async def shortlist_path(a: Assembly) -> None:
    """The shortlist vote and the plenary ballot (issue 14; after ``proposal_path``: proposal 1 of
    meeting m1 is submitted): the moderator closes the sections and makes the shortlist vote, the
    host publishes it, assembles the plenary ballot from it and publishes that."""
    mod = await a.join("mod", cid=1)
    host = await a.join("host", cid=1)
    p1 = await a.join("p1", cid=1)
    p2 = await a.join("p2", cid=1)
    ch = on("proposals")
    await p2.call(None, {"type": "subscribe", "id": 2, "channel": ch})
    await mod.call(None, {"type": "proposal.sections", "id": 2, "meeting": M1, "open": []})
    short = {
        "type": "proposal.shortlist",
        "id": 3,
        "meeting": M1,
        "vote": "m1-short",
        "title": "교통 제안 추리기",
    }
    await mod.call("proposal.shortlist", {**short, "top": 1})
    plenary = {"type": "proposal.ballot", "id": 2, "vote": "plenary-m1", "title": "본회의 순위 투표"}
    await host.call("error.proposal.shortlist_not_published", {**plenary, "shortlists": ["m1-short"]})
    for n, vote in enumerate(("m1-short", "plenary-m1")):
        if n:
            await host.call("proposal.ballot", {**plenary, "id": 10, "shortlists": ["m1-short"]})
            await p2.event("event.proposal.on_ballot", ch, "proposal.on_ballot")
        await host.call(None, {"type": "vote.open", "id": 3 + 10 * n, "vote": vote})
        await p1.call(None, cast(2 + n, ["m1-1"], f"shortlist-nonce-{n}", vote=vote))
        await host.call(None, {"type": "vote.close", "id": 4 + 10 * n, "vote": vote})
        await host.call(None, {"type": "vote.publish", "id": 5 + 10 * n, "vote": vote})
        await p2.event(
            "event.proposal.decided" if n else "event.proposal.shortlisted",
            ch,
            "proposal.decided" if n else "proposal.shortlisted",
        )


async def attendance(a: Assembly) -> None:
    """Attendance (issue 14): the hall desk (a check-in by number, the same again by the scanned
    link, a check-out, a paper sign-in, an unknown number), the hosts' quorum, and a vote limited
    to the hall refusing a panelist not checked in (the demo roster: clerk-1, host-1, p-000...)."""
    clerk = await a.join("clerk-1")
    host = await a.join("host-1")
    p0 = await a.join("p-000")
    await p0.call(None, {"type": "subscribe", "id": 2, "channel": "meeting/plenary/chat"})
    checkin = {"type": "attendance.checkin", "id": 2, "session": "plenary", "participant": "p-001"}
    await clerk.call("attendance.checkin", checkin)
    scanned = {"type": "attendance.checkin", "id": 3, "session": "plenary", "token": a.tokens["p-001"]}
    await clerk.call("attendance.checkin.again", scanned)
    await clerk.call(
        "attendance.checkout",
        {"type": "attendance.checkout", "id": 4, "session": "plenary", "participant": "p-001"},
    )
    await clerk.call(
        "attendance.paper",
        {"type": "attendance.paper", "id": 5, "session": "plenary", "participant": "p-003"},
    )
    await clerk.call(
        "error.attendance.unknown_participant",
        {"type": "attendance.checkin", "id": 6, "session": "plenary", "participant": "p-999"},
    )
    await clerk.call(
        None, {"type": "attendance.checkin", "id": 7, "session": "plenary", "participant": "p-002"}
    )
    await host.call("attendance.quorum", {"type": "attendance.quorum", "id": 2, "session": "plenary"})
    hall = {**TRANSPORT, "vote_id": "hall-1", "title": "현장 투표 (in the hall)"}
    await host.call(None, {"type": "vote.create", "id": 3, "definition": hall})
    limit = {"type": "attendance.hall_vote", "id": 4, "vote": "hall-1", "session": "plenary"}
    await host.call("attendance.hall_vote", limit)
    await host.call(None, {"type": "vote.open", "id": 5, "vote": "hall-1"})
    await p0.call("vote.cast.not_checked_in", cast(3, ["P1"], "hall-nonce-01", vote="hall-1"))


async def live_tables(a: Assembly) -> None:
    """Live tables (issue 15): a host makes fac-1 the facilitator of table 3 of the plenary, fac-1
    posts a card, which the cards channel carries (the demo roster's host-1, mod-1, fac-1)."""
    redis = command_client(a.redis_url, name="plenary-examples")
    tables = (("p-000", "p-002"), ("p-004", "p-006"), ("p-001", "p-003", "p-005"))
    await seating_store.save_seating(redis, Seating(session="plenary", seed=1, tables=tables))
    await redis.aclose()
    host = await a.join("host-1")
    fac = await a.join("fac-1")
    theme = await a.join("mod-1")
    cards = "meeting/plenary/cards"
    await theme.call(None, {"type": "subscribe", "id": 2, "channel": cards})
    assign = {"type": "table.facilitator", "id": 2, "meeting": "plenary", "table": 3, "participant": "fac-1"}
    await host.call("table.facilitator", assign)
    card = {
        "type": "table.card",
        "id": 2,
        "meeting": "plenary",
        "table": 3,
        "text": "마을버스 배차를 10분 이내로",
        "nonce": "card-3-0001",
    }
    await fac.call("table.card", card)
    await theme.event("event.table.card", cards, "table.card")
    # the table's discussion, the step, a notice, a flag and the hosts' overview (seating: p-000,
    # p-002 at table 1 ... with p-001 at table 3)
    table = "meeting/plenary/table/3"
    panelist = await a.join("p-001")
    await panelist.call(None, {"type": "subscribe", "id": 2, "channel": table})
    await fac.call(None, {"type": "subscribe", "id": 3, "channel": table})
    await host.call(None, {"type": "subscribe", "id": 3, "channel": "meeting/plenary/tables"})
    say = {
        "type": "table.say",
        "id": 3,
        "meeting": "plenary",
        "table": 3,
        "text": "저는 마을버스를 매일 타요",
    }
    await panelist.call("table.say", say)
    await fac.event("event.table.message", table, "table.message")
    step = {"type": "table.step", "id": 4, "meeting": "plenary", "title": "아이디어 모으기", "seconds": 900}
    await host.call("table.step", step)
    await panelist.event("event.table.step", table, "table.step")
    notice = {
        "type": "table.notice",
        "id": 5,
        "meeting": "plenary",
        "text": "5분 남았습니다. 카드를 보내 주세요",
    }
    await host.call("table.notice", notice)
    flag = {
        "type": "table.flag",
        "id": 4,
        "meeting": "plenary",
        "table": 3,
        "reason": "한 분이 발언을 독점해요",
    }
    await fac.call("table.flag", flag)
    await host.event("event.table.overview", "meeting/plenary/tables", "table.overview")
    await fac.call("table.get", {"type": "table.get", "id": 5, "meeting": "plenary"})
    # a reseat moves p-001 from table 3 to table 2: one event naming no one, then the page asks
    seating = "meeting/plenary/seating"
    await panelist.call(None, {"type": "subscribe", "id": 4, "channel": seating})
    redis = command_client(a.redis_url, name="plenary-examples")
    moved = (("p-000", "p-002"), ("p-001", "p-004", "p-006"), ("p-003", "p-005"))
    await live.seat(ChannelLog(redis), Seating(session="plenary", seed=1, tables=moved))
    await redis.aclose()
    news = await panelist.event("event.table.seating", seating, "table.seating")
    again = {"type": "table.get", "id": 5, "meeting": "plenary", "seating_at": news["data"]["at"]}
    await panelist.call("table.get.seating", again)


THEMER = Participant(id="theme-1", name="주제팀 한결", role=Role.THEMER, meetings=["plenary"])


async def theme_team(a: Assembly) -> None:
    """The theme team (issue 15; after ``live_tables``: card t3-1 of the plenary): a host posts
    three more cards, the themer asks for suggestions, accepts one as a theme, makes a second,
    moves a card, renames, merges, publishes to every table (a panelist sees it), and makes the
    themes a poll and a proposal (the demo roster's host-1; theme-1 added)."""
    redis = command_client(a.redis_url, name="plenary-examples")
    roster = Roster(redis)
    await roster.upsert([THEMER])
    a.tokens.update(await roster.issue_tokens([THEMER.id]))
    await redis.aclose()
    host = await a.join("host-1")
    team = await a.join("theme-1")
    panelist = await a.join("p-002")
    drafts, public = "meeting/plenary/theme_drafts", "meeting/plenary/themes"
    await team.call(None, {"type": "subscribe", "id": 2, "channel": drafts})
    await panelist.call(None, {"type": "subscribe", "id": 2, "channel": public})
    for n, (table, text) in enumerate(
        (
            (1, "버스 배차 간격을 줄여 주세요"),
            (2, "어린이집 대기 기간을 줄여 주세요"),
            (1, "국공립 어린이집을 늘려 주세요"),
        )
    ):
        card = {"type": "table.card", "id": 2 + n, "meeting": "plenary", "table": table, "text": text}
        await host.call(None, card)
    await team.call("theme.suggest", {"type": "theme.suggest", "id": 3, "meeting": "plenary"})
    accept = {
        "type": "theme.create",
        "id": 4,
        "meeting": "plenary",
        "title": "버스 배차 간격",
        "cards": ["t1-2", "t3-1"],
    }
    await team.call("theme.create", accept)
    await team.event("event.theme.changed", drafts, "theme.changed")
    care = {"type": "theme.create", "id": 5, "meeting": "plenary", "title": "어린이집"}
    await team.call(None, care)
    move = {"type": "theme.assign", "id": 6, "meeting": "plenary", "cards": ["t2-3", "t1-4"], "theme": "t2"}
    await team.call("theme.assign", move)
    rename = {
        "type": "theme.rename",
        "id": 7,
        "meeting": "plenary",
        "theme": "t2",
        "title": "보육: 어린이집 대기",
    }
    await team.call("theme.rename", rename)
    spare = {"type": "theme.create", "id": 8, "meeting": "plenary", "title": "마을버스"}
    await team.call(None, spare)
    merge = {"type": "theme.merge", "id": 9, "meeting": "plenary", "theme": "t3", "into": "t1"}
    await team.call("theme.merge", merge)
    await team.call(
        "error.theme.unknown_theme", {"type": "theme.delete", "id": 10, "meeting": "plenary", "theme": "t3"}
    )
    await team.call(None, {"type": "theme.create", "id": 11, "meeting": "plenary", "title": "빈 주제"})
    await team.call("theme.delete", {"type": "theme.delete", "id": 12, "meeting": "plenary", "theme": "t4"})
    await team.call("theme.publish", {"type": "theme.publish", "id": 13, "meeting": "plenary"})
    await panelist.event("event.theme.published", public, "theme.published")
    poll = {
        "type": "theme.to_poll",
        "id": 14,
        "meeting": "plenary",
        "poll": "themes-1",
        "prompt": "어느 주제를 먼저 다룰까요?",
        "themes": ["t1", "t2"],
    }
    await team.call("theme.to_poll", poll)
    await host.call(None, {"type": "proposal.sections", "id": 6, "meeting": "plenary", "open": ["transport"]})
    proposal = {
        "type": "theme.to_proposal",
        "id": 15,
        "meeting": "plenary",
        "theme": "t1",
        "section": "transport",
        "action": "마을버스 배차 간격을 10분 이내로 줄인다",
    }
    await team.call("theme.to_proposal", proposal)


async def scenario(a: Assembly) -> dict[str, Frame]:
    await core(a)
    await votes(a)
    await moderated(a)
    await captions(a)
    await live_voice(a)  # issue 16
    await proposal_path(a)  # issue 14
    await shortlist_path(a)  # issue 14: shortlist and ballot
    await city_response(a)  # issue 14: the city's response to a decided proposal
    await attendance(a)
    await live_tables(a)  # issue 15
    await theme_team(a)  # issue 15: the theme team
    return a.book


async def generate(attempts: int = 3) -> dict[str, Frame]:
    """The frames of one run of the scenario on a fresh hub (run again if it was ``Flaky``)."""
    for attempt in range(attempts):
        try:
            async with running_assembly() as a:
                return await scenario(a)
        except Flaky:
            if attempt == attempts - 1:
                raise
    raise AssertionError("unreachable")


def main(argv: list[str]) -> int:
    frames = asyncio.run(generate())
    text = DOC.read_text(encoding="utf-8")
    if "--check" in argv:
        stale = drift(text, frames) + [f"fields of {tag}" for tag in protocol_tables.drift(text)]
        for name in stale:
            print(f"drifted: {name}", file=sys.stderr)
        return 1 if stale else 0
    DOC.write_text(protocol_tables.rewrite(rewrite(text, frames)), encoding="utf-8")
    print(
        f"wrote {len(marked(text))} examples and {len(protocol_tables.blocks(text))} field tables into {DOC}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
