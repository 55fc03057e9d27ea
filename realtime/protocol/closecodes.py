"""WebSocket close codes the hub sends (4000-4999 are the application's; 1000-1015 are RFC 6455's).

A client reconnects after any of these except ``BAD_TOKEN`` and ``REVOKED`` (a human must act) and
``POLICY`` (it should fix itself first). Codes are added, never renumbered.
"""

from __future__ import annotations

from enum import IntEnum


class CloseCode(IntEnum):
    NORMAL = 1000
    GOING_AWAY = 1001  # hub shutting down: reconnect to another
    MESSAGE_TOO_BIG = 1009  # a frame over the 64 KiB cap (sent by the WebSocket layer itself)
    SERVICE_RESTART = 1012
    AUTH_TIMEOUT = 4001  # no hello within the deadline
    BAD_TOKEN = 4003  # the token does not open any participant
    BAD_SUBPROTOCOL = 4004
    FLOOD = 4008  # far over the rate limit
    SLOW_CONSUMER = 4009  # stopped reading for too long (the connection is aborted, not closed)
    TOO_MANY_ERRORS = 4010  # keeps sending undecodable frames
    REVOKED = 4012  # the participant's link was revoked while connected


NO_RECONNECT = frozenset({CloseCode.BAD_TOKEN, CloseCode.REVOKED, CloseCode.BAD_SUBPROTOCOL})
