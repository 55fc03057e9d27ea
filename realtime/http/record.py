"""A meeting's open record over HTTP (issue 14): ``GET /api/meetings/{meeting}/record.json`` and
``record.csv`` (token in ``Authorization: Bearer``). What the record holds is
``moderation/record.py``; who may read it is ``roles.HTTP_ROLES`` (the meeting's members who may
follow its chat: the record shows the chat), checked with membership and the meeting's existence
by ``realtime.http.guard`` before these handlers run. The record page (``/record/<meeting>``) reads
the JSON.
"""

from __future__ import annotations

import time
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from engine.errors import HubError
from moderation import record
from moderation.record_read import meeting_record
from realtime.http.routes import error_response, hub_of

RECORD_CACHE_S = 5.0
"""How long a hub answers a meeting's record from its copy. The record is the same for every reader
(it holds only what the meeting showed all its members), and it reads the meeting's whole chat
archive: when a meeting ends and its members open the record at once, each hub reads it once every
few seconds instead of once per person. A running meeting's record is then at most this much
behind, and says when it was read (``as_of``)."""

_cache: dict[str, tuple[float, dict[str, Any]]] = {}


async def _record(request: Request) -> dict[str, Any]:
    hub = hub_of(request)
    meeting_id = request.path_params["meeting"]
    now = time.monotonic()
    hit = _cache.get(meeting_id)
    if hit is not None and now - hit[0] < RECORD_CACHE_S:
        return hit[1]
    meeting = await hub.meetings.get(meeting_id)
    rec = await meeting_record(hub.log, hub.votes, meeting)
    if len(_cache) >= 64:  # a bound, not an LRU: a few meetings at a time
        _cache.clear()
    _cache[meeting_id] = (now, rec)
    return rec


def _attachment(meeting: str, ext: str) -> dict[str, str]:
    return {
        "Content-Disposition": f'attachment; filename="record-{meeting}.{ext}"',
        "Cache-Control": "no-store",
    }


async def as_json(request: Request) -> Response:
    try:
        rec = await _record(request)
    except HubError as err:
        return error_response(err)
    headers = {"Cache-Control": "no-store"}
    if request.query_params.get("download") == "1":
        headers = _attachment(rec["meeting"]["id"], "json")
    return JSONResponse(rec, headers=headers)


async def as_csv(request: Request) -> Response:
    try:
        rec = await _record(request)
    except HubError as err:
        return error_response(err)
    # A byte-order mark, so that spreadsheet programs read the Korean text as UTF-8.
    return Response(
        "\ufeff" + record.record_csv(rec),
        media_type="text/csv; charset=utf-8",
        headers=_attachment(rec["meeting"]["id"], "csv"),
    )
