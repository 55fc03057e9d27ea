"""Live voice's ICE servers for the pages (issue 16): who gets them, and the TURN credentials each
gets, as pure functions (``realtime/voice/sessions.py`` calls them with the hub's settings and the
clock).

A phone behind a NAT needs the STUN/TURN servers in its own ``RTCPeerConnection``, not only in the
hub's; but a TURN server relays anything for whoever holds its credentials, so they must not be one
long-lived secret handed to every panelist. coturn's shared-secret scheme (its ``use-auth-secret``
and ``static-auth-secret``, the "TURN REST API" draft) lets the hub mint credentials that expire on
their own: the username is ``<expiry, unix seconds>:<participant>`` and the password is
``base64(HMAC-SHA1(secret, username))``; coturn recomputes the same and refuses past the expiry.
Nothing is stored and nothing needs revoking.

Who: the panelist who holds the floor (they are about to offer) and the meeting's moderators and
hosts (their consoles listen); anyone else is ``NOT_ON_THE_FLOOR``. Static TURN credentials
(``$PLENARY_TURN_USERNAME``/``$PLENARY_TURN_CREDENTIAL``) stay the hub's own: a page gets TURN only
with the shared secret, STUN always.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Iterable
from typing import Any, Final

from engine import roles
from moderation.voice import check_may_speak

TURN_TTL_S: Final = 3600
"""Seconds a minted TURN credential lasts: a speech or a console's listening to one speaker is
minutes; each new peer connection asks again (``voice.config``), so an hour is ample and a leaked
credential is useless by the end of the meeting's next hour. coturn checks it when the allocation
is made and refreshed."""


def turn_credential(secret: str, participant: str, now_s: int, ttl_s: int = TURN_TTL_S) -> tuple[str, str]:
    """coturn's REST credential for ``participant``: (``expiry:participant``, base64 HMAC-SHA1 of
    that username under ``secret``), valid until ``now_s + ttl_s``."""
    username = f"{now_s + ttl_s}:{participant}"
    digest = hmac.new(secret.encode(), username.encode(), hashlib.sha1).digest()
    return username, base64.b64encode(digest).decode("ascii")


def check_may_have_ice(pid: str, role: str, holder: str | None) -> None:
    """The pages that may use voice get the servers: moderators and hosts (their consoles), and the
    panelist who holds the floor (``NOT_ON_THE_FLOOR`` for anyone else, as their offer would be)."""
    if role not in roles.MODERATORS:
        check_may_speak(pid, holder)


def is_turn(url: str) -> bool:
    return url.startswith(("turn:", "turns:"))


def page_servers(
    urls: Iterable[str], participant: str, now_s: int, secret: str = "", ttl_s: int = TURN_TTL_S
) -> tuple[list[dict[str, Any]], int]:
    """What a page puts in ``RTCPeerConnection({iceServers})``: the STUN URLs as one server, and the
    TURN URLs as another with ``participant``'s own expiring credential when there is a ``secret``
    (without one, TURN is left out: static credentials are never handed out). Returns the servers
    and when the credential expires (unix seconds, 0 when none)."""
    urls = tuple(urls)
    stun = [u for u in urls if not is_turn(u)]
    turn = [u for u in urls if is_turn(u)]
    servers: list[dict[str, Any]] = [{"urls": stun}] if stun else []
    if turn and secret:
        username, credential = turn_credential(secret, participant, now_s, ttl_s)
        servers.append({"urls": turn, "username": username, "credential": credential})
        return servers, now_s + ttl_s
    return servers, 0
