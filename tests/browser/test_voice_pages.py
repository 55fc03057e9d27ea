"""Live voice in the browser (issue 16): the panelist who holds the floor goes live from the panelist
page with Chromium's fake microphone, the host console hears them (its WebRTC connection receives
audio packets and its level meter moves); the speaker turns the camera on (asked only then) and the
host console decodes and shows their video, then off again; the host turns the speaker's microphone
off.

This module launches its own Chromium with the fake media flags (``--use-fake-device-for-media-stream
--use-fake-ui-for-media-stream``: a generated beep for a microphone, permission granted without a
prompt; a generated picture for a camera); the package's other tests keep the plain browser.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, Playwright, expect

from tests.browser.conftest import (
    CHROMIUM_ARGS,
    FAKE_PLAYER,
    Assembly,
    HubCaller,
    PageWatch,
    chromium_path,
    show_section,
)
from tests.support import connect

MEETING = "plenary"  # p-001 is in it (demo roster); hosts are members of every meeting
SPEAKER = "p-001"
MEDIA_ARGS = [
    "--use-fake-device-for-media-stream",
    "--use-fake-ui-for-media-stream",
    "--autoplay-policy=no-user-gesture-required",  # the console plays without a click first
]
# Test-side only: keep every RTCPeerConnection the page makes, to read its stats.
KEEP_PEERS = """(() => {
  const Real = window.RTCPeerConnection;
  window.__pcs = [];
  window.__pcConfigs = [];
  window.RTCPeerConnection = function (...args) {
    const pc = new Real(...args);
    window.__pcs.push(pc);
    window.__pcConfigs.push(args[0] || null);
    return pc;
  };
  window.RTCPeerConnection.prototype = Real.prototype;
})();"""
PACKETS = """async () => {
  let n = 0;
  for (const pc of window.__pcs || []) {
    const stats = await pc.getStats();
    stats.forEach((s) => {
      if (s.type === "inbound-rtp" && s.kind === "audio") n += s.packetsReceived || 0;
    });
  }
  return n;
}"""
FRAMES = """async () => {
  let n = 0;
  for (const pc of window.__pcs || []) {
    const stats = await pc.getStats();
    stats.forEach((s) => {
      if (s.type === "inbound-rtp" && s.kind === "video") n += s.framesDecoded || 0;
    });
  }
  return n;
}"""
CAMERAS_ASKED = """(() => {
  const real = navigator.mediaDevices.getUserMedia.bind(navigator.mediaDevices);
  window.__cameraAsked = 0;
  navigator.mediaDevices.getUserMedia = (c) => {
    if (c && c.video) window.__cameraAsked += 1;
    return real(c);
  };
})();"""


def call_on(hub_call: HubCaller, who: str) -> dict[str, Any]:
    """``speakers.next`` naming ``who`` (``HubCaller``'s own first argument is ``participant``)."""

    async def run() -> dict[str, Any]:
        ws_url = hub_call.assembly.hub.url.replace("http://", "ws://") + "/ws"
        async with connect(ws_url, hub_call.assembly.tokens["host-1"]) as client:
            return await client.call("speakers.next", meeting=MEETING, participant=who)

    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, run()).result(timeout=20)


@pytest.fixture(scope="module")
def media_browser(playwright_instance: Playwright) -> Iterator[Browser]:
    b = playwright_instance.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS + MEDIA_ARGS)
    try:
        yield b
    finally:
        b.close()


@pytest.fixture
def open_media(media_browser: Browser, assembly: Assembly) -> Iterator[Any]:
    contexts = []
    watches: list[PageWatch] = []

    def _open(path: str, who: str, width: int = 390) -> Page:
        ctx = media_browser.new_context(
            viewport={"width": width, "height": 844}, permissions=["microphone", "camera"]
        )
        contexts.append(ctx)
        ctx.route(
            "https://www.youtube-nocookie.com/**",
            lambda route: route.fulfill(body=FAKE_PLAYER, content_type="text/html"),
        )
        ctx.add_init_script(KEEP_PEERS)
        ctx.add_init_script(CAMERAS_ASKED)
        page = ctx.new_page()
        page.set_default_timeout(15_000)
        watch = PageWatch()
        watches.append(watch)
        page.on("console", watch.on_console)
        page.on("pageerror", watch.on_error)
        page.goto(assembly.hub.url + path + f"#t={assembly.tokens[who]}")
        page.wait_for_selector("#conn[data-state=live]")
        return page

    yield _open
    for ctx in contexts:
        ctx.close()
    problems = [p for w in watches for p in w.problems]
    assert not problems, "\n".join(problems)


def shots(tmp_path: Path) -> Path:
    out = Path(os.environ.get("PLENARY_SCREENSHOTS") or tmp_path)
    out.mkdir(parents=True, exist_ok=True)
    return out


def test_the_speaker_goes_live_and_the_host_hears_them(
    open_media: Any, hub_call: HubCaller, tmp_path: Path
) -> None:
    host = open_media("/host", "host-1", width=1280)
    expect(host.locator("#f-meeting")).to_have_value(MEETING)
    console = host.locator("#voice")
    expect(console).to_be_visible()
    expect(console.locator(".voice-state")).to_have_text("지금 말하는 사람이 없습니다.")
    # the host's choice: the microphone goes off at the end of the time (then back to the default)
    cut_off = console.get_by_label("발언 시간이 끝나면 마이크를 자동으로 끄기")
    expect(cut_off).not_to_be_checked()
    cut_off.check()
    expect(cut_off).to_be_checked()
    cut_off.uncheck()
    expect(cut_off).not_to_be_checked()

    panelist = open_media("/", SPEAKER)
    panelist.get_by_label("회의", exact=True).select_option(MEETING)
    show_section(panelist, "speakers")
    box = panelist.locator("#voice-speaker")
    expect(box).to_be_hidden()  # not called yet: no microphone, no button
    assert panelist.evaluate("window.__pcs.length") == 0

    hub_call(SPEAKER, "speakers.raise", meeting=MEETING)
    called = call_on(hub_call, SPEAKER)
    assert called["type"] == "reply", called
    try:
        expect(box).to_be_visible()
        box.get_by_role("button", name="말하기 시작").click()
        expect(box.locator(".voice-state")).to_have_text("지금 말하는 중")
        expect(box.get_by_role("button", name="말하기 멈추기")).to_be_visible()
        # both pages asked the hub for its ICE servers (voice.config) and gave them to their
        # connection: none here, as on any loopback hub
        assert panelist.evaluate("window.__pcConfigs") == [{"iceServers": []}]

        # the host console: who is live, and audio arriving on its connection
        expect(console.locator(".voice-state")).to_contain_text("지금 말하는 중:")
        packets = 0
        for _ in range(60):  # up to 15 s for ICE, DTLS and the first second of audio
            packets = host.evaluate(PACKETS)
            if packets > 20:
                break
            host.wait_for_timeout(250)
        assert packets > 20
        assert host.evaluate("window.__pcConfigs")[-1] == {"iceServers": []}
        # the speaker's own meter moves with the fake microphone's beeps
        panelist.wait_for_function(
            "() => Number(document.querySelector('#voice-speaker .voice-meter').dataset.peak || 0) > 0"
        )
        host.wait_for_function(
            "() => Number(document.querySelector('#voice .voice-meter').dataset.peak || 0) > 0"
        )
        box.scroll_into_view_if_needed()
        panelist.screenshot(path=str(shots(tmp_path) / "panelist-voice-390.png"))
        console.scroll_into_view_if_needed()
        console.screenshot(path=str(shots(tmp_path) / "host-voice-1280.png"))

        # the camera: off by default and never asked for before the press; on, the host sees it
        video = console.locator("video.voice-video")
        expect(video).to_be_hidden()
        assert panelist.evaluate("window.__cameraAsked") == 0
        camera = box.get_by_role("button", name="카메라 켜기")
        expect(camera).to_be_visible()
        camera.click()
        expect(box.get_by_role("button", name="카메라 끄기")).to_have_attribute("aria-pressed", "true")
        assert panelist.evaluate("window.__cameraAsked") == 1
        expect(box.locator("video.voice-preview")).to_be_visible()
        box.scroll_into_view_if_needed()
        panelist.screenshot(path=str(shots(tmp_path) / "panelist-voice-camera-390.png"))
        frames = 0
        for _ in range(60):  # up to 15 s for the first key frame through the hub's relay
            frames = host.evaluate(FRAMES)
            if frames > 10:
                break
            host.wait_for_timeout(250)
        assert frames > 10
        expect(video).to_be_visible()
        host.wait_for_function("() => document.querySelector('#voice video.voice-video').videoWidth > 0")
        console.screenshot(path=str(shots(tmp_path) / "host-voice-video-1280.png"))
        # off again: the video goes away on the console, the voice goes on
        box.get_by_role("button", name="카메라 끄기").click()
        expect(box.get_by_role("button", name="카메라 켜기")).to_be_visible()
        expect(video).to_be_hidden(timeout=5_000)
        expect(box.locator(".voice-state")).to_have_text("지금 말하는 중")

        # the host turns the speaker's microphone off: the panelist page says so
        console.get_by_role("button", name="발언자 마이크 끄기").click()
        expect(box.locator(".error")).to_have_text("진행자가 마이크를 껐습니다.")
        expect(box.get_by_role("button", name="말하기 시작")).to_be_visible()  # still holds the floor
        expect(console.locator(".voice-state")).to_have_text("지금 말하는 사람이 없습니다.")
    finally:
        hub_call("host-1", "speakers.yield", meeting=MEETING)
    expect(box.get_by_role("button", name="말하기 시작")).to_be_hidden()
