"""Connections: the WebSocket endpoint, uvicorn's protocol with the direct write path (``wsproto``),
the writers that put frames on a connection, and ``Client``, one connected participant.

May import ``realtime.protocol``, ``realtime.ops`` and the domain. Only ``endpoint``, where a
connection meets the hub, also imports ``realtime.fanout``, ``realtime.commands`` and
``realtime.roles``: the fan-out and the commands build on ``Client``, so the rest of this package
never imports them.
"""
