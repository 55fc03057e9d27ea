"""Hub settings: one dataclass, filled from the command line (``plenary serve``) or tests."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Settings:
    redis_url: str | None = None  # None: the embedded Redis under data_dir
    data_dir: Path = Path("var")
    host: str = "127.0.0.1"
    port: int = 8000
    public_url: str = ""  # base of personal links; default http://host:port
    allowed_origins: tuple[str, ...] = ()  # empty: only the hub's own origin(s)
    max_frame: int = 64 * 1024
    ping_interval: float = 20.0
    ping_timeout: float = 20.0
    tick: float = 0.025  # coalescing tick of high-rate channels (s)
    hold_listeners: int = 3000  # listeners on a hub that hold a coalesced channel one tick more, up
    # to four (``realtime.fanout.hold``): up to 2,999 one tick (25 ms), from 3,000 two (50 ms: the
    # plenary on one hub), from 6,000 three, from 9,000 four (100 ms); a table's 8 at one tick.
    # Measured against 750 (the plenary at 100 ms) and no hold: the hub CPU of 750 with the lag of
    # no hold, and a steadier write count than no hold (docs/performance.md, "Issue 11: a hold that
    # grows with the audience, and one write a client a tick"). 0: every coalesced channel at the
    # next tick
    write_cap: int = 256 * 1024  # a client's unsent bytes past which broadcast frames are dropped
    hard_cap: int = 4 * 1024 * 1024  # past which the connection is aborted
    send_buffer: int = 64 * 1024  # SO_SNDBUF of each client's socket (0: the kernel's autotuning);
    # bounded so that a stopped reader's backlog reaches write_cap in the hub, not megabytes in the
    # kernel (docs/performance.md "Issue 11: connect and slow readers")
    stall_timeout: float = 15.0  # a client past write_cap this long is aborted
    redis_cut_close: float = 3.0  # the Redis link down this long, and this hub's path cut
    # (``engine.connection.path_cut``): its WebSockets are closed with 1012 so that they reconnect
    # through the balancer to a hub that has Redis; 0: never (docs/reliability.md "Issue 12")
    cast_pace: float = 0.005  # batches of casts that are not full leave at most one per this (s):
    # casts spread over a second are gathered many per batch instead of one, about 40 % less hub CPU
    # per cast than none (2 ms: a quarter less; 5 ms a fifth less again, with no p99 lost) for at
    # most this much latency, none when casts are rare (``GroupCommit``'s ``pace``; docs/performance.md
    # "Issue 11: the cast path, third pass" and "a pace of 5 ms"); 0: each as the previous returns
    max_subscriptions: int = 64
    hub_id: str = field(default="")
    hello_timeout: float = 10.0  # a connection must authenticate within this
    rate: float = 20.0  # commands per second per connection (token bucket)
    burst: float = 40.0
    # live voice (issue 16, docs/voice.md): WebRTC in the hub. No ICE server by default (loopback
    # and one LAN need none); STUN/TURN URLs for production, the TURN credentials for each turn: URL
    voice: bool = True  # False: voice commands answer voice_unavailable
    ice_servers: tuple[str, ...] = ()  # e.g. ("stun:stun.example.org:3478", "turn:turn.example.org:3478")
    ice_username: str = ""
    ice_credential: str = ""
    turn_secret: str = ""  # coturn's static-auth-secret: pages get their own expiring TURN credentials
    turn_ttl: int = 3600  # seconds one such credential lasts (moderation/voice_ice.py TURN_TTL_S)
    voice_record: bool = (
        False  # each speech also to an owner-only Ogg file under data_dir/records/<meeting>/voice/
    )
    voice_max_listeners: int = (
        50  # consoles one speaker's audio is relayed to (docs/performance.md, issue 16)
    )
    voice_encode_once: bool = True  # the speaker's Opus encoded once for all listeners; False: once
    # per listener, aiortc's default (the benchmark's "before", docs/performance.md issue 16)

    @property
    def base_url(self) -> str:
        return self.public_url.rstrip("/") or f"http://{self.host}:{self.port}"

    def origins(self) -> frozenset[str]:
        own = {self.base_url, f"http://{self.host}:{self.port}"}
        if self.host in ("127.0.0.1", "0.0.0.0", "localhost"):
            own |= {f"http://localhost:{self.port}", f"http://127.0.0.1:{self.port}"}
        return frozenset(own | set(self.allowed_origins))
