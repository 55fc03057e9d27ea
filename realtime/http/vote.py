"""Public vote routes: results, the bulletin board and the exports of a published vote.

Public on purpose: once published, the board (tracking codes and rankings, no identities), the head
hash and the results are for everyone, so that a panelist can find their receipt and an outside
auditor can recount (``plenary verify``). Nothing is served before publication.
"""

from __future__ import annotations

import msgspec
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from ballot import composition, turnout
from ballot import export as exports
from ballot import results as results_view
from ballot.bulletin import find_entry
from ballot.store import VoteStore
from engine.errors import Code, HubError
from realtime.http.body_cache import BodyCache
from realtime.http.routes import error_response, hub_of, read_body


async def _export_bytes(request: Request) -> bytes:
    """The published export, or the reason there is none: ``unknown_vote`` for a vote that does not
    exist (a mistyped link must not read as "come back later"), ``vote_not_published`` for one
    that exists but is not published yet. The status is read only on a miss, so a published vote
    costs one read."""
    store: VoteStore = hub_of(request).votes
    vote_id = request.path_params["vote"]
    try:
        return await store.export(vote_id)
    except HubError as err:
        if err.code is Code.VOTE_NOT_PUBLISHED:
            await store.status(vote_id)  # UNKNOWN_VOTE when there is no such vote
        raise


async def _published(request: Request) -> exports.VoteExport:
    return exports.decode_export(await _export_bytes(request))


async def results(request: Request) -> Response:
    try:
        exp = await _published(request)
    except HubError as err:
        return error_response(err)
    return JSONResponse(results_view.public(exp))


TURNOUT_CACHE_S = 30.0
_turnout_cache = BodyCache(TURNOUT_CACHE_S)


async def turnout_shares(request: Request) -> Response:
    """A published vote's turnout by stratum against the panel's composition
    (:func:`ballot.composition.composition`), for the results page's chart. Published votes only,
    like every public vote route (``unknown_vote`` / ``vote_not_published`` otherwise).

    Why a cache: a published vote's counters no longer move (casting ended at the close), but the
    answer reads the whole roster, and the results link goes to 3,000 phones at once. Each hub
    answers from its copy for 30 s (a roster correction shows within that)."""
    vote_id = request.path_params["vote"]
    hit = _turnout_cache.get(vote_id)
    if hit is not None:
        return Response(hit, media_type="application/json")
    hub = hub_of(request)
    try:
        await _export_bytes(request)  # published, or the coded reason it is not
        counts = await hub.votes.turnout(vote_id)
        eligible = await hub.votes.eligible(vote_id)
        table = turnout.turnout_table(vote_id, eligible, await hub.roster.all(), (), counts)
    except HubError as err:
        return error_response(err)
    body = _turnout_cache.put(vote_id, msgspec.json.encode(composition.composition(table)))
    return Response(body, media_type="application/json")


MAX_RECEIPT_BODY = 1024


class ReceiptLookup(msgspec.Struct, forbid_unknown_fields=True):
    code: str


_lookup_dec = msgspec.json.Decoder(ReceiptLookup)
_NO_STORE = {"Cache-Control": "no-store"}


async def receipt(request: Request) -> Response:
    """Find a ballot on the board by the tracking code its voter was shown, sent in a ``POST`` body.

    Why not in the URL: a URL is written to access logs (proxies, the hub's host, a CDN) next to the
    caller's IP, and the board pairs the code with a ranking, so the log would tie a person's
    address to their ballot. A body is never logged."""
    try:
        too_large = HubError(Code.TOO_LARGE, f"a lookup is at most {MAX_RECEIPT_BODY} bytes")
        body = await read_body(request, MAX_RECEIPT_BODY, too_large)
        try:
            code = _lookup_dec.decode(body).code
        except msgspec.ValidationError as exc:
            raise HubError(Code.BAD_FIELD, f'send {{"code": "<tracking code>"}}: {exc}') from None
        except msgspec.DecodeError:
            raise HubError(Code.BAD_FIELD, 'send JSON {"code": "<tracking code>"}') from None
        exp = await _published(request)
    except HubError as err:
        return error_response(err)
    entry = find_entry(exp.entries, code[:64])
    if entry is None:
        return JSONResponse({"found": False, "head_hash": exp.head_hash}, headers=_NO_STORE)
    return JSONResponse(
        {"found": True, "entry": msgspec.to_builtins(entry), "head_hash": exp.head_hash}, headers=_NO_STORE
    )


async def receipt_in_url(request: Request) -> Response:
    """The old lookup with the code in the URL: refused without looking anything up (see
    :func:`receipt`), and the answer says where the code goes instead."""
    return error_response(
        HubError(
            Code.SECRET_IN_URL,
            "a tracking code in a URL lands in access logs next to your IP; nothing was looked up. "
            'POST /api/votes/<vote>/receipt with the body {"code": "<tracking code>"}',
        )
    )


async def export(request: Request) -> Response:
    """``export.json`` (the verifiable export), ``board.csv``, ``ballots.soi``, ``ballots.toi``."""
    vote_id, name = request.path_params["vote"], request.path_params["name"]
    try:
        data = await _export_bytes(request)
    except HubError as err:
        return error_response(err)
    if name not in exports.EXPORT_FILES:
        return Response("not found", status_code=404)
    body = exports.export_file(exports.decode_export(data), data, name)
    disposition = {"Content-Disposition": f'attachment; filename="{vote_id}-{name}"'}
    return Response(body, media_type=_MEDIA_TYPES[name], headers=disposition)


_MEDIA_TYPES = {
    "export.json": "application/json",
    "board.csv": "text/csv",
    "ballots.soi": "text/plain; charset=utf-8",
    "ballots.toi": "text/plain; charset=utf-8",
}
