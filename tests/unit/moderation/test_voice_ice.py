"""The pages' ICE servers (issue 16, moderation/voice_ice.py), without Redis or WebRTC: coturn's
shared-secret credential against a vector made with openssl, its properties (each participant its
own, it expires, the secret never shows), who gets the servers, and that static TURN credentials
never reach a page."""

from __future__ import annotations

import base64
import hashlib
import hmac

import pytest
from hypothesis import given
from hypothesis import strategies as st

from engine.errors import Code, HubError
from engine.roles import MODERATORS, Role
from moderation import voice_ice
from moderation.voice_ice import TURN_TTL_S, page_servers, turn_credential

STUN = "stun:stun.example.org:3478"
TURN = "turn:turn.example.org:3478?transport=udp"
TURNS = "turns:turn.example.org:443?transport=tcp"

ids = st.text("abcdefghijklmnopqrstuvwxyz0123456789_-", min_size=1, max_size=24)
secrets_ = st.text(min_size=1, max_size=64)


def test_the_credential_is_corturns_rest_scheme() -> None:
    """`echo -n 1700003600:p1 | openssl dgst -sha1 -hmac north-seoul -binary | base64`, as coturn's
    docs compute it (coturn recomputes the same from its static-auth-secret)."""
    assert turn_credential("north-seoul", "p1", 1_700_000_000, 3600) == (
        "1700003600:p1",
        "h8IKbrT30yr6nHCVo0AHtfG9Dpo=",
    )


@given(secret=secrets_, who=ids, now=st.integers(0, 2**33), ttl=st.integers(1, 10**6))
def test_each_credential_is_the_participants_own_and_expires(
    secret: str, who: str, now: int, ttl: int
) -> None:
    username, password = turn_credential(secret, who, now, ttl)
    expiry, _, named = username.partition(":")
    assert int(expiry) == now + ttl and named == who  # coturn reads the expiry before the first ':'
    assert secret not in (username, password) or secret == who
    digest = hmac.new(secret.encode(), username.encode(), hashlib.sha1).digest()
    assert base64.b64decode(password) == digest
    assert turn_credential(secret, who + "x", now, ttl)[1] != password  # another's is another
    assert turn_credential(secret + "x", who, now, ttl)[1] != password  # another secret, another


@given(who=ids, now=st.integers(0, 2**33))
def test_pages_get_stun_and_turn_only_with_a_secret(who: str, now: int) -> None:
    servers, expires = page_servers((STUN, TURN, TURNS), who, now, "s3cret", 600)
    assert servers[0] == {"urls": [STUN]}
    turn = servers[1]
    assert turn["urls"] == [TURN, TURNS] and turn["username"] == f"{now + 600}:{who}"
    assert (turn["username"], turn["credential"]) == turn_credential("s3cret", who, now, 600)
    assert expires == now + 600
    # without the shared secret, no TURN for a page (a static credential stays the hub's own)
    assert page_servers((STUN, TURN), who, now) == ([{"urls": [STUN]}], 0)
    assert page_servers((TURN,), who, now) == ([], 0)


def test_no_server_on_loopback_by_default() -> None:
    assert page_servers((), "p1", 1_700_000_000, "s3cret") == ([], 0)
    assert page_servers((STUN,), "p1", 1_700_000_000, "s3cret") == ([{"urls": [STUN]}], 0)
    assert TURN_TTL_S <= 24 * 3600  # short: hours at most, never a standing secret


@pytest.mark.parametrize("role", list(Role))
def test_who_gets_the_servers(role: Role) -> None:
    """Moderators and hosts always (their consoles listen); a panelist only while holding the floor."""

    def code(pid: str, holder: str | None) -> Code | None:
        try:
            voice_ice.check_may_have_ice(pid, role, holder)
        except HubError as e:
            return e.code
        return None

    if role in MODERATORS:
        assert code("m1", None) is None and code("m1", "p2") is None
    else:
        assert code("p1", "p1") is None
        assert code("p1", "p2") is Code.NOT_ON_THE_FLOOR
        assert code("p1", None) is Code.NOT_ON_THE_FLOOR
