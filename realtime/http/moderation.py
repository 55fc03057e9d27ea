"""HTTP routes of moderated meetings: slide uploads and poll exports (token in ``Authorization: Bearer``).

- ``POST /api/meetings/{meeting}/uploads``: a host uploads a slide file as the raw request body
  (``Content-Type`` is ignored: the bytes decide; ``?name=`` names it). Answers the upload's
  ``{id, type, name, pages, size}``; ``slide.show`` then shows it.
- ``GET /api/meetings/{meeting}/uploads/{upload}``: the file, for the meeting's members.
- ``GET /api/meetings/{meeting}/polls/{poll}.csv``: a poll's answers as CSV, for hosts.
- ``GET /api/meetings/{meeting}/polls/{poll}/counts``: its answers counted per question and per
  choice (``moderation.polls.count_answers``), for hosts: the console's "질문별로 세기".

Who may call each route is ``roles.HTTP_ROLES`` (upload and export: the roles of ``slide.show`` and
``poll.export``, so the HTTP routes and the WebSocket commands cannot disagree), checked by
``realtime.http.guard`` before these handlers run.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from engine import keys
from engine.errors import Code, HubError
from moderation import polls, uploads
from panel.roster import Participant
from realtime.http.routes import UPLOAD_HEADERS, error_response, hub_of, read_body


def _member(request: Request) -> tuple[Participant, str]:
    """The caller and the meeting, as admitted by realtime.http.guard (role, membership, existence)."""
    who: Participant = request.state.caller
    return who, request.path_params["meeting"]


async def upload(request: Request) -> Response:
    try:
        _who, meeting = _member(request)
        too_large = HubError(Code.BAD_UPLOAD, f"a slide file is at most {uploads.MAX_BYTES // 2**20} MiB")
        body = await read_body(request, uploads.MAX_BYTES, too_large, meeting=meeting)
        up = await uploads.store(hub_of(request).redis, meeting, body, request.query_params.get("name", ""))
    except HubError as err:
        return error_response(err)
    return JSONResponse(up.meta(), status_code=201)


async def get_upload(request: Request) -> Response:
    try:
        _who, meeting = _member(request)
        up, data = await uploads.read(hub_of(request).redis, meeting, request.path_params["upload"])
    except HubError as err:
        return error_response(err)
    return Response(data, media_type=up.type, headers=UPLOAD_HEADERS)


async def poll_csv(request: Request) -> Response:
    try:
        _who, meeting = _member(request)
        poll = keys.check_id(request.path_params["poll"], "poll id")
        text = await polls.PollStore(hub_of(request).log).export(meeting, poll)
    except HubError as err:
        return error_response(err)
    # A byte-order mark, so that spreadsheet programs read the Korean text as UTF-8.
    return Response(
        "\ufeff" + text,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{meeting}-{poll}.csv"'},
    )


async def poll_counts(request: Request) -> Response:
    try:
        _who, meeting = _member(request)
        poll = keys.check_id(request.path_params["poll"], "poll id")
        counted = await polls.PollStore(hub_of(request).log).counts(meeting, poll)
    except HubError as err:
        return error_response(err)
    return JSONResponse(counted, headers={"Cache-Control": "no-store"})
