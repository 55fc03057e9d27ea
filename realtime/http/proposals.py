"""The open record of a meeting's proposals (issue 14), for every member of the meeting (token in
``Authorization: Bearer``):

- ``GET /api/meetings/{meeting}/proposals``: ``{meeting, proposals: [{...record, versions, comments}]}``;
- ``GET /api/meetings/{meeting}/proposals.csv``: one row per proposal (``proposals/record.py``).

Who may call them is ``roles.HTTP_ROLES`` (those who may follow the meeting's proposals channel),
checked with membership and the meeting's existence by ``realtime.http.guard`` before these run.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from engine.errors import HubError
from proposals import record
from proposals.store import ProposalStore
from realtime.http.routes import error_response, hub_of


async def as_json(request: Request) -> Response:
    meeting = request.path_params["meeting"]
    try:
        details = await ProposalStore(hub_of(request).log).record(meeting)
    except HubError as err:
        return error_response(err)
    return JSONResponse(record.as_json(meeting, details))


async def as_csv(request: Request) -> Response:
    meeting = request.path_params["meeting"]
    try:
        details = await ProposalStore(hub_of(request).log).record(meeting)
    except HubError as err:
        return error_response(err)
    return Response(
        record.as_csv(details),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="proposals-{meeting}.csv"'},
    )
