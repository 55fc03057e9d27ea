"""The one table of command handlers, written out here: every handler module's own ``HANDLERS``.

Why a list and not registration by import: the handler modules used to file themselves into
``registry`` when imported, so ``registry`` had to import them last (an import cycle) and a module
nobody imported silently handled nothing. As Starlette's ``Router(routes=[...])``, the table is
explicit; a module missing from it fails the test that every command has a handler
(tests/unit/realtime/test_roles.py), a command handled twice fails here at import.
"""

from __future__ import annotations

from realtime.commands import (
    attendance,  # issue 14: attendance
    captions,
    chat,
    connection,
    moderation,
    proposals,  # issue 14: proposals
    registry,
    shortlist,  # issue 14: shortlist and ballot
    tables,  # issue 15: live tables
    themes,  # issue 15: the theme team
    voice,  # issue 16: live voice
    vote,
)
from realtime.commands.registry import Directs, Handlers

HANDLERS: Handlers = registry.combine(
    connection.HANDLERS,
    chat.HANDLERS,
    moderation.HANDLERS,
    vote.HANDLERS,
    captions.HANDLERS,
    proposals.HANDLERS,  # issue 14: proposals
    attendance.HANDLERS,
    shortlist.HANDLERS,  # issue 14: shortlist and ballot
    tables.HANDLERS,  # issue 15: live tables
    voice.HANDLERS,  # issue 16: live voice
    themes.HANDLERS,  # issue 15: the theme team
)

DIRECT: Directs = registry.check_direct(vote.DIRECT, HANDLERS)
"""The commands the endpoint starts from the frame's arrival, without a task (``registry.Direct``)."""
