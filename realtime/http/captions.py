"""The meeting's record of live captions (issue 13), for those who keep it (token in
``Authorization: Bearer``):

- ``GET /api/meetings/{meeting}/captions``: ``{meeting, captions: [{offset, time, text, by}]}``;
- ``GET /api/meetings/{meeting}/captions.srt``: SubRip subtitles for the recording, times from
  ``?start=<ms since the Unix epoch>`` (the stream's start; by default the first caption);
- ``GET /api/meetings/{meeting}/captions.txt``: a plain transcript, each line with its time in Seoul.

Who may call them is ``roles.HTTP_ROLES`` (``RECORD_KEEPERS``: hosts, clerks, captioners), checked
with membership and the meeting's existence by ``realtime.http.guard`` before these handlers run.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from engine.errors import HubError
from moderation import captions
from realtime.http.routes import _int_param, error_response, hub_of


def _download(text: str, media: str, meeting: str, ext: str) -> Response:
    return Response(
        text,
        media_type=f"{media}; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="captions-{meeting}.{ext}"'},
    )


async def as_json(request: Request) -> Response:
    meeting = request.path_params["meeting"]
    try:
        lines = await captions.record(hub_of(request).log, meeting)
    except HubError as err:
        return error_response(err)
    return JSONResponse({"meeting": meeting, "captions": [c.as_dict() for c in lines]})


async def as_srt(request: Request) -> Response:
    meeting = request.path_params["meeting"]
    try:
        start = _int_param(request, "start")
        lines = await captions.record(hub_of(request).log, meeting)
    except HubError as err:
        return error_response(err)
    return _download(captions.srt(lines, start), "application/x-subrip", meeting, "srt")


async def as_text(request: Request) -> Response:
    meeting = request.path_params["meeting"]
    try:
        lines = await captions.record(hub_of(request).log, meeting)
    except HubError as err:
        return error_response(err)
    return _download(captions.transcript(lines), "text/plain", meeting, "txt")
