"""Learning over HTTP (issue 14): a panelist's page says a material was opened; hosts read the
completion figures (token in ``Authorization: Bearer``).

- ``POST /api/meetings/{meeting}/materials/{material}/opened``: no body; ``{"material", "first"}``
  (``first`` false for a repeat, which changes nothing); ``unknown_material`` (404) for an id not in
  the meeting's list.
- ``GET /api/meetings/{meeting}/learning``: the figures (``moderation.learning.Completion``);
- ``GET /api/meetings/{meeting}/learning.csv``: the same as a table, counts only.

Who may call each route and how often is ``roles.HTTP_ROLES`` / ``HTTP_RATES``, checked with
membership and the meeting's existence by ``realtime.http.guard`` before these handlers run.
"""

from __future__ import annotations

import msgspec
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from engine.errors import HubError
from moderation import learning
from moderation.learning_store import LearningStore
from realtime.http.routes import error_response, hub_of


async def opened(request: Request) -> Response:
    meeting, material = request.path_params["meeting"], request.path_params["material"]
    try:
        first = await LearningStore(hub_of(request).log).opened(meeting, material, request.state.caller.id)
    except HubError as err:
        return error_response(err)
    return JSONResponse({"material": material, "first": first})


async def _completion(request: Request) -> learning.Completion:
    hub = hub_of(request)
    meeting = request.path_params["meeting"]
    store = LearningStore(hub.log)
    materials = await store.materials(meeting)
    who = await store.opened_by(meeting, [m["id"] for m in materials])
    panel = learning.panel_of(await hub.roster.all(), meeting)
    return learning.completion(meeting, panel, materials, who)


async def as_json(request: Request) -> Response:
    try:
        c = await _completion(request)
    except HubError as err:
        return error_response(err)
    return Response(
        msgspec.json.encode(c), media_type="application/json", headers={"Cache-Control": "no-store"}
    )


async def as_csv(request: Request) -> Response:
    try:
        c = await _completion(request)
    except HubError as err:
        return error_response(err)
    return Response(
        "\ufeff" + learning.completion_csv(c),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="learning-{c.meeting}.csv"',
            "Cache-Control": "no-store",
        },
    )
