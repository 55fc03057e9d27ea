"""HTTP routes: health, metrics, a small read API (token in ``Authorization: Bearer``), the pages."""

from __future__ import annotations

import asyncio
import html
import logging
import math
import re
from collections.abc import Awaitable, Callable
from importlib import resources

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response

from engine.errors import Code, HubError
from engine.reach import reach
from moderation import chat, chat_admin
from panel.roster import Participant
from realtime.fanout.hub import Hub
from realtime.ops import metrics


def error_response(err: HubError) -> JSONResponse:
    """The JSON answer of a coded error, with its code's HTTP status (``engine.errors.CATALOGUE``).
    A 429 also says when to come back, in the body (``retry_after_ms``, as on the WebSocket) and in
    the standard ``Retry-After`` header (whole seconds, rounded up so that a client honouring it
    never comes back too early)."""
    status = err.http_status
    body: dict[str, object] = {"code": int(err.code), "name": err.name, "message": err.message}
    headers: dict[str, str] = {}
    if status == 429 or err.retry_after_ms > 0:
        body["retry_after_ms"] = err.retry_after_ms
        headers["Retry-After"] = str(retry_after_seconds(err.retry_after_ms))
    return JSONResponse(body, status_code=status, headers=headers)


def retry_after_seconds(retry_after_ms: int) -> int:
    """``Retry-After`` counts whole seconds: round up, and at least 1 (0 would invite a retry
    at once, the hammering the refusal is there to stop)."""
    return max(1, math.ceil(retry_after_ms / 1000))


log = logging.getLogger("plenary.http")


async def read_body(request: Request, limit: int, too_large: HubError, **context: str) -> bytes:
    """The whole request body, at most ``limit`` bytes (else ``too_large``, before reading more).

    A client that disconnects before the end (a closed laptop, a lost network) made no mistake the
    hub must report as its own: a warning with ``request_aborted`` and ``context``, and a retryable
    error; the caller stores nothing, since it only ever gets a whole body. Every route that reads a
    body reads it here."""
    # The HTTP layer (h11) has refused a Content-Length that is not one non-negative number.
    declared = int(request.headers.get("content-length") or 0)
    if declared > limit:
        raise too_large
    body = bytearray()
    try:
        async for chunk in request.stream():
            body += chunk
            if len(body) > limit:
                raise too_large
    except ClientDisconnect:
        err = HubError(
            Code.REQUEST_ABORTED,
            "the request ended before its whole body arrived: send it again",
        )
        log.warning(
            "request aborted",
            extra={
                "code": int(err.code),
                "error": err.name,
                "path": request.url.path,
                "received": len(body),
                "declared": declared,
                **context,
            },
        )
        raise err from None
    return bytes(body)


def hub_of(request: Request) -> Hub:
    hub: Hub = request.app.state.hub
    return hub


async def healthz(request: Request) -> Response:
    return JSONResponse({"status": "ok"})


READY_TIMEOUT = 1.0
"""Seconds Redis has to answer ``/readyz``'s PING. A Redis that is gone refuses at once, but one
that hangs (stopped, overloaded, cut off by the network) would keep the check waiting for the
command client's 10 s socket timeout, long after the proxy gave up on it (HAProxy allows a check
its 1 s interval): the hub says 503 itself, promptly, so the proxy stops sending it clients."""


async def readyz(request: Request) -> Response:
    hub = hub_of(request)
    try:
        if not hub.ready:
            raise RuntimeError("starting")
        # One Redis: a PING. A cluster: every master, or the silent ones down for every hub
        # (a failover), not one chosen node (engine.reach).
        reached = await reach(hub.redis, READY_TIMEOUT)
        if not reached.ok:
            raise RuntimeError(reached.reason)
        if not hub.feed.connected.is_set() and not reached.down:
            hub.feed.retry_now()  # Redis answers: the feed need not wait out its backoff
            try:
                await asyncio.wait_for(hub.feed.connected.wait(), READY_TIMEOUT)
            except TimeoutError:
                raise RuntimeError("pub/sub disconnected") from None
    except Exception as exc:
        return JSONResponse({"status": "unavailable", "reason": str(exc)}, status_code=503)
    body = {"status": "ready", "hub": hub.hub_id, "connections": len(hub.clients)}
    if reached.down:
        body["degraded"] = reached.reason
    return JSONResponse(body)


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
    who: Participant = request.state.caller  # admitted by realtime.http.guard
    return JSONResponse({"id": who.id, "name": who.name, "role": who.role, "meetings": who.meetings})


async def api_chat(request: Request) -> Response:
    """One page of a meeting's chat record, newest first (``?before=<offset>&limit=<n>``, see
    ``chat_admin.chat_page``), for whoever may follow its chat channel (``roles.HTTP_ROLES``; role,
    membership and the meeting were checked by realtime.http.guard). ``next_before`` asks for the
    next older page; null once the start of the record is reached."""
    who: Participant = request.state.caller
    meeting = request.path_params["meeting"]
    try:
        before = _int_param(request, "before")
        limit = _int_param(request, "limit")
        hub = hub_of(request)
        messages, next_before = await chat_admin.chat_page(
            hub.log,
            meeting,
            staff=chat.sees_deleted(who.role),
            before=before,
            limit=chat_admin.PAGE_DEFAULT if limit is None else limit,
        )
    except HubError as err:
        return error_response(err)
    return JSONResponse({"meeting": meeting, "messages": messages, "next_before": next_before})


def _int_param(request: Request, name: str) -> int | None:
    """A query parameter that must be a whole number, or None when absent (``BAD_FIELD`` else)."""
    value = request.query_params.get(name)
    if value is None:
        return None
    if not value.isascii() or not value.isdigit() or len(value) > 18:
        raise HubError(Code.BAD_FIELD, f"{name}: a whole number")
    return int(value)


# -- response headers: the hub's security policy for what browsers load, in one place ----------
PAGE_CSP = (
    "default-src 'self'; connect-src 'self'; "
    "frame-src https://www.youtube-nocookie.com https://www.youtube.com; img-src 'self' data: https:; "
    "style-src 'self'; script-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'"
)
"""``connect-src 'self'``: a page talks only to its own hub (same-origin ``ws:``/``wss:`` included),
so injected script could not send a token or a ballot anywhere else."""

FRAMEABLE_PAGES = frozenset({"overlay.html"})
"""The only page another site may frame: the stream overlay, which broadcasters add to OBS or a
studio page. Every other page refuses all framing (``frame-ancestors 'none'``), so no site can
overlay a panelist's ballot or chat with its own buttons (clickjacking)."""

UPLOAD_HEADERS = {
    "Content-Security-Policy": "sandbox",
    "X-Content-Type-Options": "nosniff",
    "Content-Disposition": "inline",
    "Cache-Control": "private, max-age=3600",
}
"""An uploaded slide opened on its own runs in a sandbox (no script, no same-origin access to the
hub: a PDF or an image crafted to carry HTML cannot act as the hub's page), and is never
type-sniffed into HTML."""


def page_headers(name: str) -> dict[str, str]:
    """The headers of one of the hub's own files (pages and their scripts and styles)."""
    frame = "*" if name in FRAMEABLE_PAGES else "'none'"
    headers = {
        "Content-Security-Policy": f"{PAGE_CSP}; frame-ancestors {frame}",
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
        "Cache-Control": "no-cache",
    }
    if name not in FRAMEABLE_PAGES:
        headers["X-Frame-Options"] = "DENY"  # browsers that predate frame-ancestors
    return headers


# -- the pages: files of realtime/web/, each page with the one shared header -------------------
WEB_FOLDERS = frozenset({"lib", "panels", "pages"})
"""The page modules' folders under ``realtime/web/`` (``/static/<folder>/<name>.js``): the library
(connection, strings, the shared boot), the panels pages mount, and one module per page. Pages and
the stylesheet sit at the top (``/static/<name>``): a page's address is part of people's links."""

HEADER_FILE = "lib/header.html"
HEADER_DIRECTIVE = re.compile(r'<!--#header((?: [a-z]+="[^"<>]*")*)-->')
HEAD_FILE = "lib/head.html"
HEAD_DIRECTIVE = re.compile(r'<!--#head((?: [a-z]+="[^"<>]*")*)-->')
_ATTR = re.compile(r' ([a-z]+)="([^"<>]*)"')
_STATUS = re.compile(r"<!--#status-->\n(.*?)<!--#/status-->\n", re.S)


def _directive(page: str, pattern: re.Pattern[str], name: str) -> tuple[re.Match[str] | None, dict[str, str]]:
    """Where ``page`` says ``<!--#<name> ...-->``, and its attributes; (None, {}) when it does not.
    Anything else that starts like the directive is an error, never served as a bare comment."""
    match = pattern.search(page)
    if match is None:
        if re.search(rf"<!--#{name}\b", page):
            raise ValueError(f'bad {name} directive (attributes are name="value", one space apart)')
        return None, {}
    return match, dict(_ATTR.findall(match.group(1)))


def render_page(page: str, header: str, head: str) -> str:
    """A page with its ``<!--#head ...-->`` line replaced by ``head`` (the text of ``lib/head.html``)
    and its ``<!--#header ...-->`` line by the shared header (``header``, the text of
    ``lib/header.html``), rendered by the hub so that both are in the HTML before any script runs,
    as when each page carried its own copy.

    The head: what every page's ``<head>`` starts with (charset, viewport, referrer policy, colours,
    the title, the stylesheet); ``title`` is the page's name after the assembly's, in Korean (the
    page's own stylesheets and its module follow the line in the page). The header's attributes:
    ``sub`` and ``text``, the page's name after the assembly's (an i18n key and its Korean text),
    and ``status="off"`` for a page without a hub connection (no connection pill, no name). A page
    without a line is as written (the overlay has neither: a bare transparent page with a head of
    its own); an unknown attribute is an error, not a silent default."""
    match, attrs = _directive(page, HEAD_DIRECTIVE, "head")
    if match is not None:
        if set(attrs) != {"title"}:
            raise ValueError(f"bad head directive: {match.group(0)}")
        block = head.replace("<!--#title-->", html.escape(attrs["title"], quote=False))
        page = page[: match.start()] + block.rstrip("\n") + page[match.end() :]
    match, attrs = _directive(page, HEADER_DIRECTIVE, "header")
    if match is None:
        return page
    unknown = set(attrs) - {"sub", "text", "status"}
    if unknown or attrs.get("status", "on") not in ("on", "off") or ("sub" in attrs) != ("text" in attrs):
        raise ValueError(f"bad header directive: {match.group(0)}")
    sub = ""
    if "sub" in attrs:
        key, text = html.escape(attrs["sub"]), html.escape(attrs["text"], quote=False)
        sub = f' <span class="brand-sub" data-i18n="{key}">{text}</span>'
    keep_status = attrs.get("status", "on") == "on"
    block = _STATUS.sub(lambda m: m.group(1) if keep_status else "", header.replace("<!--#sub-->", sub))
    return page[: match.start()] + block.rstrip("\n") + page[match.end() :]


def _web(name: str) -> bytes:
    return resources.files("realtime").joinpath(f"web/{name}").read_bytes()


def _page(name: str, media: str) -> Response:
    body = _web(name)
    if name.endswith(".html"):
        body = render_page(body.decode(), _web(HEADER_FILE).decode(), _web(HEAD_FILE).decode()).encode()
    return Response(body, media_type=media, headers=page_headers(name))


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
    "/caption": "caption.html",
    "/record/{meeting}": "record.html",  # issue 14: the open record of a meeting
    "/checkin": "checkin.html",  # issue 14: the hall desk
    "/table": "table.html",  # issue 15: a panelist's or facilitator's table
    "/tables": "tables.html",  # issue 15: the hosts' view of all tables
    "/themes": "themes.html",  # issue 15: the theme team's console
    "/record/{meeting}/proposals/{proposal}": "proposal.html",  # issue 14: a proposal's path
}


def page(name: str) -> Callable[[Request], Awaitable[Response]]:
    """The handler that serves one page (the same headers as every page)."""

    async def serve(request: Request) -> Response:
        return _page(name, _TYPES[".html"])

    return serve


async def static(request: Request) -> Response:
    """A page or the stylesheet (``/static/<name>``), or a module (``/static/<folder>/<name>.js``,
    ``folder`` one of ``WEB_FOLDERS``): names only, never a path, so nothing outside them is served."""
    name = request.path_params["name"]
    folder = request.path_params.get("folder")
    ext = name[name.rfind(".") :] if "." in name else ""
    if ext not in _TYPES or "/" in name or name.startswith("."):
        return Response("not found", status_code=404)
    if folder is not None:
        if folder not in WEB_FOLDERS or ext != ".js":
            return Response("not found", status_code=404)
        name = f"{folder}/{name}"
    try:
        return _page(name, _TYPES[ext])
    except FileNotFoundError:
        return Response("not found", status_code=404)
