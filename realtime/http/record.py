"""A meeting's open record over HTTP (issue 14): ``GET /api/meetings/{meeting}/record.json`` and
``record.csv`` (token in ``Authorization: Bearer``). What the record holds is
``moderation/record.py``; who may read it is ``roles.HTTP_ROLES`` (the meeting's members who may
follow its chat: the record shows the chat), checked with membership and the meeting's existence
by ``realtime.http.guard`` before these handlers run. The record page (``/record/<meeting>``) reads
the JSON.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from engine.errors import HubError
from moderation import record
from moderation.record_read import meeting_record
from realtime.http.routes import error_response, hub_of


async def _record(request: Request) -> dict[str, Any]:
    hub = hub_of(request)
    meeting = await hub.meetings.get(request.path_params["meeting"])
    return await meeting_record(hub.log, hub.votes, meeting)


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
