"""WebSocket close codes the hub sends (4000-4999 are the application's; 1000-1015 are RFC 6455's).

A client reconnects after any of these except ``BAD_TOKEN`` and ``REVOKED`` (a human must act) and
``BAD_SUBPROTOCOL``. Codes are added, never renumbered. Besides these, the WebSocket layer itself
sends 1007 (a text frame that is not UTF-8), 1009 (a frame over the cap) and 1011 (no pong before
the ping timeout); uvicorn sends 1012 when the hub shuts down.
"""

from __future__ import annotations

from enum import IntEnum


class CloseCode(IntEnum):
    NORMAL = 1000
    GOING_AWAY = 1001  # the hub failed this connection (e.g. Redis lost mid-hello): reconnect
    MESSAGE_TOO_BIG = 1009  # a frame over the 64 KiB cap (sent by the WebSocket layer itself)
    SERVICE_RESTART = 1012
    AUTH_TIMEOUT = 4001  # no hello within the deadline
    BAD_TOKEN = 4003  # the token does not open any participant
    BAD_SUBPROTOCOL = 4004  # reserved: a missing subprotocol is refused with HTTP 400 before the upgrade
    FLOOD = 4008  # far over the rate limit
    SLOW_CONSUMER = 4009  # reserved: a peer that stopped reading is aborted (TCP reset), not closed
    TOO_MANY_ERRORS = 4010  # keeps sending undecodable frames
    REVOKED = 4012  # the participant's link was revoked while connected
    TOO_MANY_CONNECTIONS = 4013  # the participant holds the most connections their role may


NO_RECONNECT = frozenset({CloseCode.BAD_TOKEN, CloseCode.REVOKED, CloseCode.BAD_SUBPROTOCOL})
