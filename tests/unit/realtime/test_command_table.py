"""The one handler table: each handler module's own mapping, joined in ``realtime.commands.table``;
a command handled twice is refused at import, whether in one module or across two."""

from __future__ import annotations

from typing import Any

import pytest

from realtime.commands import (
    attendance,  # issue 14
    captions,
    chat,
    connection,
    moderation,
    proposals,  # issue 14
    shortlist,  # issue 14: shortlist and ballot
    table,
    tables,  # issue 15: live tables
    themes,  # issue 15: the theme team
    voice,  # issue 16
    vote,
)
from realtime.commands.registry import Handlers, combine, registrar
from realtime.protocol import messages as m


async def _handler(hub: Any, client: Any, cmd: Any) -> Any:
    return None


def test_the_table_is_every_module_table_and_nothing_else() -> None:
    modules = (
        connection,
        chat,
        moderation,
        vote,
        captions,
        proposals,
        attendance,
        shortlist,
        tables,
        voice,
        themes,
    )
    assert sum(len(mod.HANDLERS) for mod in modules) == len(table.HANDLERS)
    for mod in modules:
        assert mod.HANDLERS.items() <= table.HANDLERS.items()


def test_a_command_handled_twice_in_a_module_is_refused() -> None:
    own: Handlers = {}
    handles = registrar(own)
    handles(m.Ping)(_handler)
    with pytest.raises(ValueError, match="ping"):
        handles(m.Ping)(_handler)


def test_a_command_handled_in_two_modules_is_refused() -> None:
    with pytest.raises(ValueError, match="ping"):
        combine({m.Ping: _handler}, {m.MeetingList: _handler}, {m.Ping: _handler})
    assert combine({m.Ping: _handler}, {m.MeetingList: _handler}).keys() == {m.Ping, m.MeetingList}
