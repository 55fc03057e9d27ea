"""``bound_send_buffer`` sets a fixed kernel send buffer on a real TCP connection's socket."""

from __future__ import annotations

import asyncio
import socket

from realtime.transport.writers import bound_send_buffer


async def _accepted(size: int | None) -> int:
    """SO_SNDBUF of a server-side socket after ``bound_send_buffer(transport, size)`` (None: not
    called)."""
    got: asyncio.Future[int] = asyncio.get_running_loop().create_future()

    class Proto(asyncio.Protocol):
        def connection_made(self, transport: asyncio.BaseTransport) -> None:
            if size is not None:
                bound_send_buffer(transport, size)
            sock = transport.get_extra_info("socket")
            got.set_result(sock.getsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF))
            transport.close()

    server = await asyncio.get_running_loop().create_server(Proto, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        _, writer = await asyncio.open_connection("127.0.0.1", port)
        result = await asyncio.wait_for(got, 5)
        writer.close()
        return result
    finally:
        server.close()


async def test_the_send_buffer_is_bounded() -> None:
    # Linux doubles the value it is given (room for its bookkeeping)
    assert await _accepted(64 * 1024) in (64 * 1024, 128 * 1024)


async def test_zero_leaves_the_kernel_autotuning() -> None:
    assert await _accepted(0) == await _accepted(None)
