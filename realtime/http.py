"""HTTP routes: health, metrics, a small read API (token in ``Authorization: Bearer``), the pages."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from importlib import resources

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from engine import keys
from engine.errors import Code, HubError
from moderation import chat_admin
from panel.roster import Participant
from realtime import metrics
from realtime.hub import Hub

STATUS: dict[Code, int] = {
    Code.BAD_TOKEN: 401,
    Code.FORBIDDEN: 403,
    Code.NOT_A_MEMBER: 403,
    Code.BAD_ORIGIN: 403,
    Code.UNKNOWN_MEETING: 404,
    Code.UNKNOWN_CHANNEL: 404,
    Code.UNKNOWN_VOTE: 404,
    Code.VOTE_NOT_PUBLISHED: 404,
    Code.UNKNOWN_UPLOAD: 404,
    Code.UNKNOWN_POLL: 404,
    Code.RATE_LIMITED: 429,
    Code.UNAVAILABLE: 503,
}


def error_response(err: HubError) -> JSONResponse:
    status = STATUS.get(err.code, 400 if err.code < 1900 else 500)
    return JSONResponse({"code": int(err.code), "name": err.name, "message": err.message}, status_code=status)


def hub_of(request: Request) -> Hub:
    hub: Hub = request.app.state.hub
    return hub


async def healthz(request: Request) -> Response:
    return JSONResponse({"status": "ok"})


async def readyz(request: Request) -> Response:
    hub = hub_of(request)
    try:
        if not hub.ready:
            raise RuntimeError("starting")
        await hub.redis.ping()
        if not hub.feed.connected.is_set():
            raise RuntimeError("pub/sub disconnected")
    except Exception as exc:
        return JSONResponse({"status": "unavailable", "reason": str(exc)}, status_code=503)
    return JSONResponse({"status": "ready", "hub": hub.hub_id, "connections": len(hub.clients)})


async def metrics_endpoint(request: Request) -> Response:
    return Response(generate_latest(metrics.REGISTRY), media_type=CONTENT_TYPE_LATEST)


async def _caller(request: Request) -> Participant:
    auth = request.headers.get("authorization", "")
    scheme, _, token = auth.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise HubError(Code.BAD_TOKEN, "send Authorization: Bearer <token>")
    who = await hub_of(request).roster.authenticate(token.strip())
    if who is None:
        raise HubError(Code.BAD_TOKEN, "this token is not valid")
    return who


async def api_me(request: Request) -> Response:
    who: Participant = request.state.caller  # admitted by realtime.http_guard
    return JSONResponse({"id": who.id, "name": who.name, "role": who.role, "meetings": who.meetings})


async def api_chat(request: Request) -> Response:
    """The full chat record of a meeting (archive), for whoever may follow its chat channel
    (``roles.HTTP_ROLES``; role, membership and the meeting were checked by realtime.http_guard)."""
    who: Participant = request.state.caller
    meeting = request.path_params["meeting"]
    try:
        events = await hub_of(request).log.archive(keys.meeting_chat(meeting))
    except HubError as err:
        return error_response(err)
    # Deleted messages are hidden from panelists; moderators and hosts see them marked.
    messages = chat_admin.record(events, staff=who.role in ("moderator", "host"))
    return JSONResponse({"meeting": meeting, "messages": messages})


def _page(name: str, media: str) -> Response:
    body = resources.files("realtime").joinpath(f"web/{name}").read_bytes()
    return Response(
        body,
        media_type=media,
        headers={
            "Content-Security-Policy": "default-src 'self'; connect-src 'self' ws: wss:; "
            "frame-src https://www.youtube-nocookie.com https://www.youtube.com; img-src 'self' data: https:; "
            "style-src 'self'; script-src 'self'; object-src 'none'; base-uri 'none'",
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "no-referrer",
            "Cache-Control": "no-cache",
        },
    )


_TYPES = {".html": "text/html; charset=utf-8", ".js": "text/javascript", ".css": "text/css"}


# The pages served at their own paths (path -> file in realtime/web/); the rest via /static/.
PAGES: dict[str, str] = {
    "/": "index.html",
    "/host": "host.html",
    "/vote": "ballot.html",
    "/results/{vote}": "results.html",
    "/moderate": "moderate.html",
    "/ops": "ops.html",
    "/overlay/{meeting}": "overlay.html",
}


def page(name: str) -> Callable[[Request], Awaitable[Response]]:
    """The handler that serves one page (the same headers as every page)."""

    async def serve(request: Request) -> Response:
        return _page(name, _TYPES[".html"])

    return serve


async def static(request: Request) -> Response:
    name = request.path_params["name"]
    ext = name[name.rfind(".") :] if "." in name else ""
    if ext not in _TYPES or "/" in name or name.startswith("."):
        return Response("not found", status_code=404)
    try:
        return _page(name, _TYPES[ext])
    except FileNotFoundError:
        return Response("not found", status_code=404)
