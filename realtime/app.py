"""The Starlette application: routes and the hub's life (started and stopped with the app)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.routing import Route, WebSocketRoute

from realtime import http, http_moderation, http_vote
from realtime.config import Settings
from realtime.endpoint import websocket_endpoint
from realtime.hub import Hub


def create_app(settings: Settings) -> Starlette:
    hub = Hub(settings)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await hub.start()
        try:
            yield
        finally:
            await hub.stop()

    app = Starlette(
        routes=[
            WebSocketRoute("/ws", websocket_endpoint),
            Route("/healthz", http.healthz),
            Route("/readyz", http.readyz),
            Route("/metrics", http.metrics_endpoint),
            Route("/api/me", http.api_me),
            Route("/api/meetings/{meeting}/chat", http.api_chat),
            Route("/api/votes/{vote}/results", http_vote.results),
            Route("/api/votes/{vote}/receipt/{code}", http_vote.receipt),
            Route("/api/votes/{vote}/{name}", http_vote.export),
            Route("/api/meetings/{meeting}/uploads", http_moderation.upload, methods=["POST"]),
            Route("/api/meetings/{meeting}/uploads/{upload}", http_moderation.get_upload),
            Route("/api/meetings/{meeting}/polls/{poll}.csv", http_moderation.poll_csv),
            Route("/", http.index),
            Route("/host", http.host_page),
            Route("/vote", http.ballot_page),
            Route("/results/{vote}", http.results_page),
            Route("/static/{name}", http.static),
        ],
        lifespan=lifespan,
    )
    app.state.hub = hub
    return app
