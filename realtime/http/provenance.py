"""Where a vote's items came from (issue 14): a shortlist vote's or the plenary ballot's items
with their provenance (meeting, proposal, authors, the shortlist vote and rank) and, once it is
published, each item's rank; for whoever may see the vote (token in ``Authorization: Bearer``):

- ``GET /api/votes/{vote}/provenance.json`` (``proposals.record.provenance_json``);
- ``GET /api/votes/{vote}/provenance.csv``, one row per item.

The vote's export (``export.json``, public once published) stays byte for byte what ``ballot/``
hashes and signs; this is its companion, behind a token because it names the proposals' authors.
``not_a_shortlist`` (404) for a vote not made from proposals.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from ballot.export import decode_export
from ballot.model import VoteState
from engine.errors import Code, HubError
from proposals import provenance, record
from proposals.provenance import Origin
from proposals.store import ProposalStore
from proposals.voting import ProposalVotes
from realtime import roles
from realtime.http.guard import caller
from realtime.http.routes import error_response, hub_of


async def _read(request: Request) -> tuple[Origin, list[str]]:
    hub = hub_of(request)
    vote = request.path_params["vote"]
    defn = await hub.votes.definition(vote)  # UNKNOWN_VOTE
    roles.check_vote(defn.eligibility, caller(request))
    origin = await ProposalVotes(hub.votes, ProposalStore(hub.log)).origin(vote)
    if origin is None:
        raise HubError(Code.NOT_A_SHORTLIST, f"vote {vote} was not made from proposals")
    order: list[str] = []
    if await hub.votes.status(vote) is VoteState.PUBLISHED:
        exp = decode_export(await hub.votes.export(vote))
        order = provenance.published_order(exp.results, exp.definition.method)
    return origin, order


async def as_json(request: Request) -> Response:
    try:
        origin, order = await _read(request)
    except HubError as err:
        return error_response(err)
    return JSONResponse(record.provenance_json(origin, order))


async def as_csv(request: Request) -> Response:
    try:
        origin, order = await _read(request)
    except HubError as err:
        return error_response(err)
    return Response(
        record.provenance_csv(origin, order),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{origin.vote}-provenance.csv"'},
    )
