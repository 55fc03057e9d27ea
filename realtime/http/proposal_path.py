"""A proposal's path and the city's responses over HTTP (issue 14):

- ``GET /api/meetings/{meeting}/proposals/{proposal}`` and ``.../{proposal}.csv``: one proposal's
  path from submission to the city's response (``proposals/path.py``), for the members of its
  meeting (the same roles as the meeting's proposals exports), token in ``Authorization: Bearer``;
- ``GET /api/votes/{vote}/responses``: the city's responses to a plenary vote's decided proposals,
  public like the vote's results, without anyone's name (``path.public_response``).

Who may call them is ``roles.HTTP_ROLES``, checked by ``realtime.http.guard`` before these run.
"""

from __future__ import annotations

import msgspec
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from engine import keys
from engine.errors import Code, HubError
from proposals import path
from proposals.store import Path, ProposalStore
from realtime.http.body_cache import BodyCache
from realtime.http.routes import error_response, hub_of


async def _path(request: Request) -> Path:
    meeting = request.path_params["meeting"]
    raw = request.path_params["proposal"]
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 15:
        raise HubError(Code.NO_SUCH_PROPOSAL, f"no proposal {raw[:20]!r} in meeting {meeting}")
    return await ProposalStore(hub_of(request).log).path(meeting, int(raw))


async def as_json(request: Request) -> Response:
    try:
        found = await _path(request)
    except HubError as err:
        return error_response(err)
    return JSONResponse(path.as_json(found))


async def as_csv(request: Request) -> Response:
    try:
        found = await _path(request)
    except HubError as err:
        return error_response(err)
    p = found.detail.proposal
    return Response(
        path.as_csv(found),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="proposal-{p.meeting}-{p.id}.csv"'},
    )


CACHE_S = 10.0
_cache = BodyCache(CACHE_S)


async def responses(request: Request) -> Response:
    """``{vote, responses: [...]}`` by rank. Why a cache: the results link goes to 3,000 phones at
    once; each hub answers from its copy for 10 s (a new response shows within that)."""
    vote = request.path_params["vote"]
    hit = _cache.get(vote)
    if hit is not None:
        return Response(hit, media_type="application/json")
    try:
        keys.check_id(vote, "vote id")
        found = await ProposalStore(hub_of(request).log).decided_responses(vote)
    except HubError as err:
        return error_response(err)
    items = sorted((path.public_response(p) for p in found), key=lambda r: (r["rank"] or 10**9, r["item"]))
    body = _cache.put(vote, msgspec.json.encode({"vote": vote, "responses": items}))
    return Response(body, media_type="application/json")
