"""The Starlette application: routes and the hub's life (started and stopped with the app)."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from starlette.applications import Starlette
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket

from engine.background import within
from realtime import fallback
from realtime.config import Settings
from realtime.endpoint import websocket_endpoint
from realtime.fanout.backend import Backend
from realtime.fanout.hub import Hub
from realtime.http import captions as http_captions
from realtime.http import help_contact as http_help
from realtime.http import learning as http_learning
from realtime.http import moderation as http_moderation
from realtime.http import proposal_path as http_path  # issue 14: response
from realtime.http import proposals as http_proposals  # issue 14
from realtime.http import provenance as http_provenance  # issue 14: shortlist and ballot
from realtime.http import record as http_record
from realtime.http import routes as http
from realtime.http import vote as http_vote
from realtime.http.guard import route
from realtime.voice import sessions as voice_sessions

log = logging.getLogger("plenary.hub")

STOP_CLEANUP = 5.0
"""Seconds the hub's clean-up at shutdown (``Hub.stop``, then ``Backend.close``) may take before
the process goes on exiting without it (``engine.background.within``: a warning naming what it
waited on). What it would have tidied in Redis (the hub's heartbeat, presence, connection slots)
expires by itself. With uvicorn's ``GRACEFUL_TIMEOUT`` (5 s) before it, a stop ends well within
``cli.serve.STOP_TIMEOUT`` (12 s), whose exit with status 1 is left for a loop that is itself
stuck. Found by CI: a demo's Ctrl-C once waited past 12 s in this clean-up, on a busy machine."""


async def stop(hub: Hub, backend: Backend) -> None:
    await hub.stop()
    await backend.close()


class PlenaryApp:
    """Starlette for HTTP and the lifespan; ``/ws`` straight to its endpoint. Through Starlette's
    middleware and router, each connection kept about ten coroutine frames alive for its whole
    life: 5 kB of the hub's memory per connection (docs/performance.md)."""

    def __init__(self, app: Starlette) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket" and scope["path"] == "/ws":
            scope["app"] = self.app  # what ``WebSocket.app`` reads
            await websocket_endpoint(WebSocket(scope, receive, send))
            return
        if scope["type"] == "http" and scope["path"] == "/sse":
            fallback.stash_transport(scope, send)  # the HTTP fallback's stream (realtime/fallback.py)
        await self.app(scope, receive, send)

    def __getattr__(self, name: str) -> Any:  # state, routes, ... of the Starlette app
        return getattr(self.app, name)


def create_app(settings: Settings) -> PlenaryApp:
    """The app; its hub is built at startup (``app.state.hub``), once Redis answers, and stopped
    at shutdown. uvicorn serves nothing before startup (``lifespan="on"``)."""

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        backend = await Backend.open(settings)
        hub = app.state.hub = Hub(settings, backend)
        await hub.start()
        try:
            yield
        finally:
            await within(log, "stop", STOP_CLEANUP, voice_sessions.close(hub))  # issue 16
            await within(log, "stop", STOP_CLEANUP, stop(hub, backend))

    app = Starlette(
        routes=[
            route("/healthz", http.healthz),
            route("/readyz", http.readyz),
            route("/metrics", http.metrics_endpoint),
            route("/api/me", http.api_me),
            route("/api/meetings/{meeting}/chat", http.api_chat),
            route("/api/votes/{vote}/results", http_vote.results),
            route("/api/votes/{vote}/receipt", http_vote.receipt, methods=["POST"]),
            route("/api/votes/{vote}/receipt/{code}", http_vote.receipt_in_url, methods=["GET", "POST"]),
            route("/api/votes/{vote}/turnout", http_vote.turnout_shares),
            # issue 14: a vote's items with their provenance (before the export files' pattern)
            route("/api/votes/{vote}/provenance.json", http_provenance.as_json),
            route("/api/votes/{vote}/provenance.csv", http_provenance.as_csv),
            route("/api/votes/{vote}/responses", http_path.responses),  # issue 14: response
            route("/api/votes/{vote}/{name}", http_vote.export),
            route("/api/meetings/{meeting}/uploads", http_moderation.upload, methods=["POST"]),
            route("/api/meetings/{meeting}/uploads/{upload}", http_moderation.get_upload),
            route("/api/meetings/{meeting}/polls/{poll}.csv", http_moderation.poll_csv),
            route("/api/meetings/{meeting}/polls/{poll}/counts", http_moderation.poll_counts),
            route("/api/help", http_help.contact),
            route("/api/meetings/{meeting}/captions", http_captions.as_json),
            route("/api/meetings/{meeting}/captions.srt", http_captions.as_srt),
            route("/api/meetings/{meeting}/captions.txt", http_captions.as_text),
            route("/api/meetings/{meeting}/proposals", http_proposals.as_json),  # issue 14
            route("/api/meetings/{meeting}/proposals.csv", http_proposals.as_csv),
            route("/api/meetings/{meeting}/proposals/{proposal}.csv", http_path.as_csv),  # issue 14
            route("/api/meetings/{meeting}/proposals/{proposal}", http_path.as_json),
            # issue 14: learning and the open record
            route(
                "/api/meetings/{meeting}/materials/{material}/opened", http_learning.opened, methods=["POST"]
            ),
            route("/api/meetings/{meeting}/learning", http_learning.as_json),
            route("/api/meetings/{meeting}/learning.csv", http_learning.as_csv),
            route("/api/meetings/{meeting}/record.json", http_record.as_json),
            route("/api/meetings/{meeting}/record.csv", http_record.as_csv),
            *(route(path, http.page(name)) for path, name in http.PAGES.items()),
            route("/static/{name}", http.static),
            route("/static/{folder}/{name}", http.static),
            route("/sse", fallback.open_stream, methods=["POST"]),
            route("/sse/cmd", fallback.command, methods=["POST"]),
        ],
        lifespan=lifespan,
    )
    return PlenaryApp(app)
