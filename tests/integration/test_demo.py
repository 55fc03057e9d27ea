"""`plenary demo` (and `make demo`) from the outside: its links survive a restart on the same data,
its banner is not buried in logs, and Ctrl-C stops it without a traceback."""

from __future__ import annotations

import asyncio
import contextlib
import csv
import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.support import ROOT, HubProcess, connect, free_port


class Demo:
    """``plenary demo`` in a subprocess, started with the default SIGINT handling a terminal gives."""

    def __init__(self, data_dir: Path, port: int) -> None:
        self.data_dir, self.port = data_dir, port
        self.url = f"http://127.0.0.1:{port}"
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "cli.main", "demo", "--port", str(port), "--data-dir", str(data_dir)],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.out = self.err = ""

    def wait_ready(self, timeout: float = 30.0) -> Demo:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                self.out, self.err = self.proc.communicate()
                raise RuntimeError(f"demo exited with {self.proc.returncode}:\n{self.out}\n{self.err}")
            try:
                if httpx.get(self.url + "/readyz", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        self.kill()  # a test that starts a server stops it, also when it never became ready
        raise TimeoutError("demo not ready")

    def links(self) -> dict[str, str]:
        with (self.data_dir / "demo-links.csv").open(encoding="utf-8") as fh:
            return {r["participant_id"]: r["link"] for r in csv.DictReader(fh)}

    def interrupt(self) -> int:
        """Ctrl-C, as a person stops it; returns the exit code."""
        self.proc.send_signal(signal.SIGINT)
        self.out, self.err = self.proc.communicate(timeout=30)
        return self.proc.returncode

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.communicate(timeout=10)


def stop_embedded_redis(data_dir: Path) -> None:
    """The embedded Redis a demo started in ``data_dir``, stopped (SIGTERM: Redis saves and exits)
    if it still runs: a test that starts a server stops everything it started."""
    with contextlib.suppress(OSError, ValueError):
        os.kill(int((data_dir / "redis.pid").read_text().strip()), signal.SIGTERM)


def hub_log_tail(data_dir: Path, lines: int = 30) -> str:
    """The hub log's last lines, to tell a failing stop's cause (the deadline, an error) apart."""
    try:
        return "\n".join((data_dir / "hub.log").read_text(encoding="utf-8").splitlines()[-lines:])
    except OSError as exc:
        return f"(no hub.log: {exc})"


def token(url: str) -> str:
    return url.split("#t=", 1)[1]


async def test_links_survive_a_restart_and_open_pages_are_not_revoked(tmp_path: Path) -> None:
    data = tmp_path / "demo"
    first = await asyncio.to_thread(Demo(data, free_port()).wait_ready)
    other: HubProcess | None = None
    second: Demo | None = None
    try:
        links = first.links()
        assert stat.S_IMODE((data / "demo-links.csv").stat().st_mode) == 0o600  # owner-only
        assert links["p-000"].startswith(first.url + "/#t=")
        # a page open on another hub of the same assembly: the demo's restart must not close it
        other = await asyncio.to_thread(HubProcess("", data_dir=data).wait_ready)
        async with connect(other.ws_url, token(links["p-000"])) as page:
            code = await asyncio.to_thread(first.interrupt)
            assert code in (0, 130), f"exit {code}:\n{first.err[-3000:]}\n{hub_log_tail(data)}"
            second = await asyncio.to_thread(Demo(data, free_port()).wait_ready)  # same DATA, new PORT
            again = second.links()
            assert {pid: token(u) for pid, u in again.items()} == {pid: token(u) for pid, u in links.items()}
            assert again["p-000"].startswith(second.url + "/#t=")  # the link follows the new port
            await page.ok("subscribe", channel="meeting/plenary/chat")  # still open, still accepted
            async with connect(
                second.url.replace("http://", "ws://") + "/ws", token(links["host-1"])
            ) as host:
                assert host.welcome["participant"] == "host-1"
    finally:
        for demo in (first, second):
            if demo is not None:
                await asyncio.to_thread(demo.kill)
        if other is not None:
            await asyncio.to_thread(other.stop)
        stop_embedded_redis(data)  # the demos were killed: no hub was left to stop it


def test_ctrl_c_stops_without_a_traceback_and_the_banner_is_not_buried_in_logs(tmp_path: Path) -> None:
    demo = Demo(tmp_path / "demo", free_port()).wait_ready()
    try:
        code = demo.interrupt()
    finally:
        demo.kill()
    assert code in (0, 130)
    assert "Traceback" not in demo.out + demo.err and "KeyboardInterrupt" not in demo.out + demo.err
    banner = demo.out
    assert demo.url + "/#t=" in banner and "demo-links.csv" in banner and "hub.log" in banner
    assert '"level"' not in banner + demo.err  # no JSON log lines on the terminal
    themer = [line for line in banner.splitlines() if line.strip().startswith("themer")]
    assert len(themer) == 1 and "/themes?meeting=plenary#t=" in themer[0], banner  # the theme team
    assert '"msg": "hub started"' in (tmp_path / "demo" / "hub.log").read_text(encoding="utf-8")


async def test_the_theme_teams_link_opens_its_console_with_the_tables_cards(tmp_path: Path) -> None:
    """The demo's themer (issue 15): their link is a themer's seat, the console page opens, and the
    cards channel it follows already holds the tables' cards, so there is something to group."""
    data = tmp_path / "demo"
    demo = await asyncio.to_thread(Demo(data, free_port()).wait_ready)
    try:
        seat = token(demo.links()["theme-1"])
        async with httpx.AsyncClient() as http:
            page = await http.get(f"{demo.url}/themes?meeting=plenary")
            assert page.status_code == 200 and 'lang="ko"' in page.text
        async with connect(demo.url.replace("http://", "ws://") + "/ws", seat) as team:
            assert team.welcome["participant"] == "theme-1" and team.welcome["role"] == "themer"
            snap = (await team.ok("subscribe", channel="meeting/plenary/cards"))["snapshot"]
            cards = sorted((c["table"], c["text"]) for c in snap.values())
            assert len(cards) == 6 and {t for t, _ in cards} == {1, 2}
            suggested = await team.ok("theme.suggest", meeting="plenary")
            assert suggested["groups"], suggested  # the bus cards and the childcare cards group
            assert (await team.call("subscribe", channel="meeting/plenary/chat"))["name"] == "forbidden"
    finally:
        await asyncio.to_thread(demo.kill)
        stop_embedded_redis(data)


def test_make_demo_takes_port_and_data() -> None:
    out = subprocess.run(
        ["make", "-n", "demo", "PORT=8767", "DATA=var/demo2"], cwd=ROOT, capture_output=True, text=True
    )
    assert "plenary demo --port 8767 --data-dir var/demo2" in out.stdout
