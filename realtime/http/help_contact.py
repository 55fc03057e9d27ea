"""``GET /api/help``: whom to ask for help (``moderation/help_contact.py``), for every page's
"도움말·문의" dialog. Public (``roles.HTTP_ROLES``): the results page has no link, and someone whose
link fails needs the number most."""

from __future__ import annotations

import msgspec
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from moderation import help_contact
from realtime.http.routes import hub_of


async def contact(request: Request) -> Response:
    found = await help_contact.read(hub_of(request).redis)
    return JSONResponse(msgspec.to_builtins(found), headers={"Cache-Control": "no-cache"})
