"""End-to-end fixtures: a real hub (``plenary serve`` subprocesses on the embedded Redis of a temp
data dir, seeded with the demo assembly) and Debian's headless Chromium driven by Playwright.

Chromium is required, not optional: when it is missing these tests fail with the command that
installs it (`make test` provisions it first; a skipped browser suite would hide a broken page).
Where a Chromium may be is decided in one place, ``tools/chromium.py``, shared with `make test`.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import json
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Page, Playwright, sync_playwright

from cli.demo import seed
from engine.server import EmbeddedRedis, ensure_server
from tools.chromium import CANDIDATES, INSTALL_COMMAND, ChromiumError, find_chromium

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# The demo meetings carry a placeholder YouTube id and there is no internet here: the player frame
# is answered locally so that no test waits on the network.
FAKE_PLAYER = (
    "<!doctype html><html lang=en><body style='margin:0;height:100vh;display:grid;place-items:center;"
    "background:#111;color:#ddd;font:16px sans-serif'>YouTube player</body></html>"
)


def chromium_path() -> str:
    try:
        path = find_chromium()
    except ChromiumError as err:
        pytest.fail(str(err), pytrace=False)
    if path is None:
        pytest.fail(
            f"Chromium is not installed (looked for $CHROMIUM, {', '.join(CANDIDATES)}). "
            f"Install it: {INSTALL_COMMAND}",
            pytrace=False,
        )
    return path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _serve_command() -> list[str]:
    script = Path(sys.executable).with_name("plenary")
    return [str(script)] if script.exists() else [sys.executable, "-m", "cli.main"]


@dataclass
class HubProcess:
    """One ``plenary serve`` process on the shared data dir (it joins the embedded Redis)."""

    data_dir: Path
    port: int
    log_path: Path
    proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 20.0) -> None:
        cmd = [*_serve_command(), "serve", "--port", str(self.port), "--data-dir", str(self.data_dir)]
        cmd += ["--log-level", "warning"]
        log = self.log_path.open("ab")
        self.proc = subprocess.Popen(cmd, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"hub exited with {self.proc.returncode}:\n{self.log_tail()}")
            with (
                contextlib.suppress(OSError, urllib.error.URLError),
                urllib.request.urlopen(self.url + "/readyz", timeout=1) as resp,
            ):
                if json.load(resp).get("status") == "ready":
                    return
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"hub not ready within {timeout}s:\n{self.log_tail()}")

    def stop(self, timeout: float = 10.0) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)

    def log_tail(self, n: int = 4000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-n:]
        except OSError:
            return ""


@dataclass
class Assembly:
    """The seeded assembly: its hubs and each participant's token."""

    data_dir: Path
    redis: EmbeddedRedis
    hub: HubProcess
    tokens: dict[str, str]
    names: dict[str, str]
    extra: list[HubProcess] = field(default_factory=list)

    def link(self, participant: str, hub: HubProcess | None = None) -> str:
        return f"{(hub or self.hub).url}/#t={self.tokens[participant]}"

    def second_hub(self) -> HubProcess:
        """Another hub process on the same Redis (started on first use)."""
        if not self.extra:
            other = HubProcess(self.data_dir, free_port(), self.data_dir / "hub-b.log")
            other.start()
            self.extra.append(other)
        return self.extra[0]


@pytest.fixture(scope="package")  # Playwright sync keeps a loop running: end it with this package
def assembly(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Assembly]:
    with running_assembly(tmp_path_factory.mktemp("hub")) as running:
        yield running


@contextlib.contextmanager
def running_assembly(data_dir: Path) -> Iterator[Assembly]:
    """The demo assembly seeded into the embedded Redis of ``data_dir`` and one hub serving it,
    stopped on exit (the ``assembly`` fixture; ``make screenshots`` uses it outside pytest)."""
    redis = ensure_server(data_dir)
    hub = HubProcess(data_dir, free_port(), data_dir / "hub-a.log")
    extra: list[HubProcess] = []
    try:
        # In a thread of its own: Playwright's sync API may already run an event loop in this one.
        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            rows = pool.submit(asyncio.run, seed(redis.url, hub.url)).result()
        tokens = {pid: link.split("#t=", 1)[1] for pid, _name, _role, link in rows}
        names = {pid: name for pid, name, _role, _link in rows}
        hub.start()
        yield Assembly(data_dir, redis, hub, tokens, names, extra)
    finally:
        for h in [*extra, hub]:
            h.stop()
        redis.stop()


@pytest.fixture(scope="package")  # Playwright sync keeps a loop running: end it with this package
def playwright_instance() -> Iterator[Playwright]:
    path = chromium_path()  # fail early, with the install command, before starting Playwright
    assert path
    with sync_playwright() as pw:
        yield pw


@pytest.fixture(scope="package")  # Playwright sync keeps a loop running: end it with this package
def browser(playwright_instance: Playwright) -> Iterator[Browser]:
    b = playwright_instance.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
    try:
        yield b
    finally:
        b.close()


NETWORK_CHANGED = "net::ERR_NETWORK_CHANGED"


def goto(page: Page, url: str) -> None:
    """``page.goto(url)``, and the page loaded again (twice at most) when Chromium aborted its loads
    because this machine's network changed under it: the fault tests, on the other worker, add and
    remove network namespaces and veth pairs, and Chromium then fails every request in flight with
    ``ERR_NETWORK_CHANGED`` (CI of session 9: a phone page lost its scripts that way). It is not
    the page's fault, so it is not a page's problem either (the watches skip that one error)."""
    changed: list[str] = []

    def note(msg: ConsoleMessage) -> None:
        if NETWORK_CHANGED in msg.text:
            changed.append(msg.text)

    page.on("console", note)
    try:
        page.goto(url)
        for _ in range(2):
            if not changed:
                return
            changed.clear()
            page.wait_for_timeout(500)
            page.reload()
    finally:
        page.remove_listener("console", note)


@dataclass
class PageWatch:
    """Script errors and CSP refusals seen by one page: any of them fails the test."""

    problems: list[str] = field(default_factory=list)

    def on_console(self, msg: ConsoleMessage) -> None:
        if msg.type == "error" and "Content Security Policy" in msg.text:
            self.problems.append(f"CSP: {msg.text}")

    def on_error(self, err: Any) -> None:
        self.problems.append(f"page error: {err}")


OpenPage = Callable[..., Page]


@pytest.fixture
def open_page(browser: Browser, assembly: Assembly) -> Iterator[OpenPage]:
    """open_page(participant, hub=None, wait_live=True, before=None, **context options) -> a Page on
    that participant's link; ``before(context)`` runs before the page opens (to route its traffic).

    Each call is a fresh browser context: its own sessionStorage and localStorage, like another phone.
    """
    contexts: list[BrowserContext] = []
    watches: list[PageWatch] = []

    def _open(
        participant: str | None,
        hub: HubProcess | None = None,
        wait_live: bool = True,
        before: Callable[[BrowserContext], None] | None = None,
        **opts: Any,
    ) -> Page:
        opts.setdefault("viewport", {"width": 390, "height": 844})
        ctx = browser.new_context(**opts)
        contexts.append(ctx)
        ctx.route(
            "https://www.youtube-nocookie.com/**",
            lambda route: route.fulfill(body=FAKE_PLAYER, content_type="text/html"),
        )
        if before is not None:
            before(ctx)
        page = ctx.new_page()
        page.set_default_timeout(10_000)
        watch = PageWatch()
        watches.append(watch)
        page.on("console", watch.on_console)
        page.on("pageerror", watch.on_error)
        url = assembly.link(participant, hub) if participant else (hub or assembly.hub).url + "/"
        goto(page, url)
        if wait_live:
            page.wait_for_selector("#conn[data-state=live]")
        return page

    yield _open
    for ctx in contexts:
        ctx.close()
    problems = [p for w in watches for p in w.problems]
    assert not problems, "\n".join(problems)


# -- vote pages ---------------------------------------------------------------------------------------


@dataclass
class StrictWatch:
    """Every console error (not only CSP refusals) and every script error of one page. A test may
    name the failed requests it expects (a receipt that is not on the board answers 404, and
    Chromium logs that as a console error)."""

    url: str
    expected: list[str] = field(default_factory=list)  # regexes of resource URLs allowed to fail
    problems: list[str] = field(default_factory=list)

    def on_console(self, msg: ConsoleMessage) -> None:
        if msg.type != "error":
            return
        where = (msg.location or {}).get("url", "")
        if "Failed to load resource" in msg.text and any(re.search(p, where) for p in self.expected):
            return
        if NETWORK_CHANGED in msg.text:  # the machine's, not the page's: ``goto`` loads it again
            return
        self.problems.append(f"console error on {self.url}: {msg.text} ({where})")

    def on_error(self, err: Any) -> None:
        self.problems.append(f"page error on {self.url}: {err}")


OpenUrl = Callable[..., tuple[Page, StrictWatch]]


@pytest.fixture
def open_url(browser: Browser, assembly: Assembly) -> Iterator[OpenUrl]:
    """open_url(path, participant=None, wait_live=None, before=None, **context options) -> (page, watch).

    Opens ``<hub><path>`` (with ``#t=<token>`` when a participant is given) in a fresh context (its
    own storage, like another device), phone-sized unless told otherwise. Any console error, CSP
    refusal or script error fails the test, except failed loads of URLs the test adds to
    ``watch.expected``.
    """
    contexts: list[BrowserContext] = []
    watches: list[StrictWatch] = []

    def _open(
        path: str,
        participant: str | None = None,
        wait_live: bool | None = None,
        before: Callable[[BrowserContext], None] | None = None,
        **opts: Any,
    ) -> tuple[Page, StrictWatch]:
        opts.setdefault("viewport", {"width": 390, "height": 844})
        ctx = browser.new_context(**opts)
        contexts.append(ctx)
        ctx.route(
            "https://www.youtube-nocookie.com/**",
            lambda route: route.fulfill(body=FAKE_PLAYER, content_type="text/html"),
        )
        if before is not None:
            before(ctx)
        page = ctx.new_page()
        page.set_default_timeout(10_000)
        url = assembly.hub.url + path + (f"#t={assembly.tokens[participant]}" if participant else "")
        watch = StrictWatch(path)
        watches.append(watch)
        page.on("console", watch.on_console)
        page.on("pageerror", watch.on_error)
        goto(page, url)
        if wait_live if wait_live is not None else participant is not None:
            page.wait_for_selector("#conn[data-state=live]")
        return page, watch

    yield _open
    for ctx in contexts:
        ctx.close()
    problems = [p for w in watches for p in w.problems]
    assert not problems, "\n".join(problems)


class HubCaller:
    """Protocol commands from the test itself (a participant's own connection), to set the scene
    without clicking through a page: ``hub_call("host-1", "vote.create", definition=...)``.

    An error the protocol calls ``retryable`` (``rate_limited``, ``conflict``, ``unavailable``) is
    retried after the wait it names, as every client does: the browser files share one assembly
    and so each participant's rate buckets, and a test before this one may have spent them."""

    TRIES = 5

    def __init__(self, assembly: Assembly) -> None:
        self.assembly = assembly

    def __call__(self, participant: str, kind: str, /, **fields: Any) -> dict[str, Any]:
        from tests.support import connect

        async def run() -> dict[str, Any]:
            ws_url = self.assembly.hub.url.replace("http://", "ws://") + "/ws"
            async with connect(ws_url, self.assembly.tokens[participant]) as client:
                for _ in range(self.TRIES - 1):
                    reply = await client.call(kind, **fields)
                    if reply.get("type") != "error" or not reply.get("retryable"):
                        return reply
                    await asyncio.sleep(min(5.0, max(0.2, reply.get("retry_after_ms", 500) / 1000)))
                return await client.call(kind, **fields)

        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            return pool.submit(asyncio.run, run()).result(timeout=20)


@pytest.fixture
def hub_call(assembly: Assembly) -> HubCaller:
    return HubCaller(assembly)


def show_section(page: Page, tab: str) -> None:
    """Open a section of the panelist page where the page shows one at a time: on a phone the dock
    at the bottom holds ``stream``, ``chat``, ``qa``, ``speakers`` and ``polls`` (the ranked ballot
    and the polls), issue 13; on a wide screen every section is in view and nothing is pressed."""
    button = page.locator(f"#tab-{tab}")
    if button.is_visible() and button.get_attribute("aria-selected") != "true":
        button.click()
