"""``deploy/nginx.conf`` (the docker-compose proxy) run for real on this machine, in front of hub
processes on 127.0.0.1.

What only docker-compose has is rewritten here, in one place (``local_config``), and nothing else:
the upstream ``hub:8000`` (Docker's DNS name, ``resolve``d through Docker's resolver) becomes one
``server 127.0.0.1:<port>`` line per hub with the same parameters; the listening ports become
free ports on 127.0.0.1; the pid file, the logs and the certificate live in the test's folder.
Every location, upstream policy, header, timeout and buffer setting is the file's own. One
difference of version: Debian 12's nginx is 1.22, older than ``http2 on;`` (1.25.1, the compose
image has 1.28), so on such an nginx that line becomes the older ``listen ... ssl http2``.

Each rewrite must match exactly what it expects (``_sub``): a change to the file that this does
not follow fails the test that uses it, instead of running another config than the file's.
"""

from __future__ import annotations

import contextlib
import re
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from tools.system_packages import find_program, install_command

ROOT = Path(__file__).resolve().parents[1]
NGINX_CONF = ROOT / "deploy" / "nginx.conf"
HTTP2_DIRECTIVE = (1, 25, 1)  # ``http2 on;`` appeared in nginx 1.25.1
UPSTREAM_SERVER = re.compile(r"^(\s*)server hub:8000 resolve( [^;]*);\n", re.M)


def nginx_program() -> str:
    """The nginx binary, or an error naming the one command that installs it."""
    path = find_program("nginx")
    if path is None:
        raise FileNotFoundError(
            f"nginx is not installed: `make packages`, or {' '.join(install_command(['nginx']))}"
        )
    return path


def nginx_version(nginx: str) -> tuple[int, ...]:
    out = subprocess.run([nginx, "-v"], capture_output=True, text=True, timeout=10)
    found = re.search(r"nginx/(\d+)\.(\d+)\.(\d+)", out.stderr + out.stdout)
    if found is None:
        raise RuntimeError(f"no version in `nginx -v`: {out.stderr!r}")
    return tuple(int(x) for x in found.groups())


def _sub(pattern: str, repl: str, text: str, count: int) -> str:
    new, n = re.subn(pattern, repl, text, flags=re.M)
    if n != count:
        raise AssertionError(f"deploy/nginx.conf changed: {pattern!r} matched {n} times, not {count}")
    return new


def local_config(
    conf: str, hubs: list[int], http_port: int, https_port: int, folder: Path, version: tuple[int, ...]
) -> str:
    """``conf`` (deploy/nginx.conf's text) for this machine: see the module's docstring."""

    def servers(m: re.Match[str]) -> str:
        return "".join(f"{m.group(1)}server 127.0.0.1:{port}{m.group(2)};\n" for port in hubs)

    upstreams = len(UPSTREAM_SERVER.findall(conf))
    if upstreams != 2:
        raise AssertionError(f"deploy/nginx.conf changed: {upstreams} upstream servers `hub:8000`, not 2")
    out = UPSTREAM_SERVER.sub(servers, conf)
    out = _sub(r"^\s*resolver 127\.0\.0\.11 [^;]*;\n", "", out, 1)  # Docker's DNS, for `resolve`
    out = _sub(r"^pid [^;]*;", f"pid {folder / 'nginx.pid'};", out, 1)
    out = _sub(r"^error_log /dev/stderr (\w+);", rf"error_log {folder / 'error.log'} \1;", out, 1)
    out = _sub(r"access_log /dev/stdout plenary;", f"access_log {folder / 'access.log'} plenary;", out, 1)
    out = _sub(r"^\s*listen \[::\]:\d+[^;]*;\n", "", out, 2)  # loopback only
    out = _sub(r"listen 80;", f"listen 127.0.0.1:{http_port};", out, 1)
    http2 = "" if version >= HTTP2_DIRECTIVE else " http2"
    out = _sub(r"listen 443 ssl;", f"listen 127.0.0.1:{https_port} ssl{http2};", out, 1)
    if version < HTTP2_DIRECTIVE:
        out = _sub(r"^\s*http2 on;\n", "", out, 1)
    out = _sub(r"/etc/nginx/certs/fullchain\.pem", str(folder / "cert.pem"), out, 1)
    out = _sub(r"/etc/nginx/certs/privkey\.pem", str(folder / "key.pem"), out, 1)
    return out


def self_signed(folder: Path) -> Path:
    """A certificate for 127.0.0.1 (its own authority: the tests trust exactly it)."""
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(folder / "key.pem"),
         "-out", str(folder / "cert.pem")],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    return folder / "cert.pem"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Proxy:
    """A running nginx: its HTTPS base URL, the CA file that verifies it, its folder (logs)."""

    url: str
    cafile: Path
    folder: Path
    check: str  # what `nginx -t` said

    @property
    def ws_url(self) -> str:
        return self.url.replace("https://", "wss://") + "/ws"

    def access_log(self) -> str:
        return (self.folder / "access.log").read_text(errors="replace")


@contextlib.contextmanager
def running_nginx(folder: Path, hubs: list[int]) -> Iterator[Proxy]:
    """deploy/nginx.conf in front of ``hubs`` (their ports): ``nginx -t`` first (its output kept),
    then nginx in the foreground; stopped (SIGTERM, then SIGKILL) on the way out."""
    nginx = nginx_program()
    folder.mkdir(parents=True, exist_ok=True)
    folder.chmod(0o755)  # the workers (nobody, when the master runs as root) write their temp files here
    cafile = self_signed(folder)
    https = free_port()
    conf = folder / "nginx.conf"
    conf.write_text(
        local_config(NGINX_CONF.read_text(), hubs, free_port(), https, folder, nginx_version(nginx))
    )
    base = [nginx, "-p", str(folder), "-c", str(conf)]
    checked = subprocess.run([*base, "-t"], capture_output=True, text=True, timeout=30)
    if checked.returncode != 0:
        raise AssertionError(f"nginx -t refused deploy/nginx.conf:\n{checked.stderr}")
    proc = subprocess.Popen([*base, "-g", "daemon off;"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 15
        while True:
            if proc.poll() is not None:
                raise RuntimeError(
                    f"nginx exited with {proc.returncode}: {proc.stderr.read() if proc.stderr else ''!r}"
                )
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", https), timeout=0.5):
                break
            if time.monotonic() > deadline:
                raise TimeoutError("nginx did not listen within 15 s")
            time.sleep(0.05)
        yield Proxy(f"https://127.0.0.1:{https}", cafile, folder, checked.stderr)
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
        if proc.stderr is not None:
            proc.stderr.close()
