"""Live voice's ICE servers (issue 16): none by default (loopback), STUN/TURN from ``plenary serve``
flags or the environment, TURN credentials only from the environment and only for TURN URLs."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from cli.serve import add_serve_args, settings_from
from realtime.config import Settings
from realtime.voice.relay import configuration


def _settings(argv: list[str]) -> Settings:
    p = argparse.ArgumentParser()
    add_serve_args(p)
    return settings_from(p.parse_args(argv))


def test_no_ice_server_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (
        "PLENARY_ICE_SERVERS",
        "PLENARY_TURN_USERNAME",
        "PLENARY_TURN_CREDENTIAL",
        "PLENARY_TURN_SECRET",
    ):
        monkeypatch.delenv(name, raising=False)
    s = _settings([])
    assert s.ice_servers == () and s.voice and not s.voice_record
    assert s.turn_secret == "" and s.turn_ttl == 3600
    assert s.voice_encode_once  # the speaker's Opus encoded once for every listener
    assert configuration(()).iceServers == []


def test_flags_and_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PLENARY_ICE_SERVERS", "stun:stun.example.org:3478,turn:turn.example.org:3478")
    monkeypatch.setenv("PLENARY_TURN_USERNAME", "hub")
    monkeypatch.setenv("PLENARY_TURN_CREDENTIAL", "s3cret")
    s = _settings(["--voice-record", "--voice-max-listeners", "8"])
    assert s.ice_servers == ("stun:stun.example.org:3478", "turn:turn.example.org:3478")
    assert s.voice_record and s.voice_max_listeners == 8
    cfg = configuration(s.ice_servers, s.ice_username, s.ice_credential)
    stun, turn = cfg.iceServers
    assert (stun.urls, stun.username, stun.credential) == ("stun:stun.example.org:3478", None, None)
    assert (turn.urls, turn.username, turn.credential) == ("turn:turn.example.org:3478", "hub", "s3cret")
    assert not _settings(["--no-voice"]).voice
    assert not _settings(["--voice-encode-per-listener"]).voice_encode_once  # the benchmark's before
    flagged = _settings(["--ice-server", "stun:a.example:3478", "--ice-server", "turn:b.example:443"])
    assert flagged.ice_servers == ("stun:a.example:3478", "turn:b.example:443")  # the flags replace the env


def test_the_turn_secret_from_a_file_or_the_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """coturn's shared secret: a file's first line (never a flag's value: it would show in ps),
    else ``$PLENARY_TURN_SECRET``; the credentials' lifetime from ``--turn-ttl``."""
    monkeypatch.setenv("PLENARY_TURN_SECRET", "from-env")
    assert _settings([]).turn_secret == "from-env"
    secret = tmp_path / "secret"
    secret.write_text("from-file\nignored\n")
    s = _settings(["--turn-secret-file", str(secret), "--turn-ttl", "600"])
    assert (s.turn_secret, s.turn_ttl) == ("from-file", 600)
