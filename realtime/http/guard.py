"""The one gate of every HTTP route: ``route`` builds the app's routes, each checked against
``roles.HTTP_ROLES`` before its handler runs.

Before issue 9 each API handler checked roles itself, and one forgot: clerks read any meeting's chat
over HTTP though the WebSocket refused them. Here the handler never decides: for a route that is
not public the gate reads the bearer token (401 ``bad_token``), checks the caller's role against the
table (403 ``forbidden``), membership of the path's ``{meeting}`` (403 ``not_a_member``) and that
the meeting exists (404 ``unknown_meeting``), takes the route's rate (429 ``rate_limited``), and
hands the handler the caller in ``request.state.caller``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from engine import keys
from engine.errors import HubError
from panel.roster import Participant
from realtime import roles
from realtime.http.routes import _caller, error_response, hub_of

Endpoint = Callable[[Request], Awaitable[Response]]


def caller(request: Request) -> Participant:
    """The participant the gate admitted (only on routes that are not public)."""
    who: Participant = request.state.caller
    return who


async def admit(request: Request, route: str) -> None:
    """Check one request against the table; raises the coded refusal. Public routes pass as they are."""
    allowed = roles.HTTP_ROLES[route]
    if allowed is roles.PUBLIC:
        return
    who = await _caller(request)
    roles.check_route(route, who.role)
    meeting = request.path_params.get("meeting")
    if meeting is not None:
        keys.check_id(meeting, "meeting id")
        roles.check_meeting(meeting, who)
        await hub_of(request).meetings.get(meeting)
    cls = roles.HTTP_RATES.get(route)
    if cls is not None:
        await hub_of(request).rates.take(who.id, cls, roles.RATE_CLASSES[cls], roles.COMMAND_COST)
    request.state.caller = who


def route(path: str, endpoint: Endpoint, methods: Sequence[str] = ("GET",)) -> Route:
    """A Starlette ``Route`` behind the gate. Raises ``KeyError`` (at startup) for a method and path
    not in ``roles.HTTP_ROLES``: a new route cannot go live without its rule."""
    table = {m: f"{m} {path}" for m in methods}
    for key in table.values():
        if key not in roles.HTTP_ROLES:
            raise KeyError(f"{key} is not in realtime.roles.HTTP_ROLES")

    async def guarded(request: Request) -> Response:
        method = "GET" if request.method == "HEAD" else request.method
        try:
            await admit(request, table[method])
        except HubError as err:
            return error_response(err)
        return await endpoint(request)

    guarded.__name__ = getattr(endpoint, "__name__", "guarded")
    guarded.__doc__ = endpoint.__doc__
    return Route(path, guarded, methods=list(methods))
