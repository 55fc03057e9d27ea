"""Connections: uvicorn's protocol with the direct write path (``wsproto``), the writers that put
frames on a connection, and ``Client``, one connected participant.

May import ``realtime.protocol``, ``realtime.ops`` and the domain. The fan-out and the commands
build on ``Client``, so this package never imports them; the WebSocket endpoint, where a
connection meets the hub and the commands, is ``realtime.endpoint``, above all three.
"""
