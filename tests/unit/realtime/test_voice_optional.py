"""Live voice is optional (issue 16): a hub installed without aiortc starts, and its voice commands
answer ``voice_unavailable``; only the media modules (``realtime/voice/relay.py`` and the video's
``video.py``, which only the relay imports) import aiortc."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from engine.errors import Code, HubError
from realtime.voice import sessions

ROOT = Path(__file__).resolve().parents[3]


def test_without_aiortc_the_relay_is_voice_unavailable(monkeypatch: pytest.MonkeyPatch) -> None:
    import realtime.voice

    monkeypatch.setitem(sys.modules, "realtime.voice.relay", None)  # import fails as without aiortc
    monkeypatch.delattr(realtime.voice, "relay", raising=False)  # imported before by another test
    with pytest.raises(HubError) as caught:
        sessions._relay()
    assert caught.value.code is Code.VOICE_UNAVAILABLE


def test_the_hub_imports_without_aiortc() -> None:
    code = (
        "import sys; sys.modules['aiortc'] = None; sys.modules['av'] = None\n"
        "import realtime.app, realtime.commands.table, realtime.voice.sessions\n"
        "print('ok')"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert out.stdout.strip() == "ok", out.stderr


def test_only_the_relay_imports_aiortc() -> None:
    importers = []
    for top in ("engine", "ballot", "moderation", "panel", "proposals", "attendance", "realtime", "cli"):
        for path in (ROOT / top).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
                if isinstance(node, ast.ImportFrom) and node.module:
                    names = [node.module]
                if any(n.split(".")[0] in ("aiortc", "av") for n in names):
                    importers.append(str(path.relative_to(ROOT)))
    assert sorted(set(importers)) == ["realtime/voice/relay.py", "realtime/voice/video.py"]
