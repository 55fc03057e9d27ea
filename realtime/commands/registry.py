"""Protocol commands to domain calls. Each handler returns its command's reply type
(``Command.reply_type``, realtime/protocol/) or raises a HubError.

The role check and the per-participant rate limit happen once, in ``run``, from the tables of
``realtime.roles`` (``COMMAND_ROLES``, ``COMMAND_RATES``); handlers never check either, except
that the commands of ``RATE_IN_STORE`` hand the check ``run`` would make (``rate_take``) to the
store, which makes it in the same Redis step as the write.

Each handler module keeps its own mapping of command type -> handler (``HANDLERS``, filled by its
``handles`` decorator); ``realtime.commands.table`` joins them into the one table that ``run`` is
given. This module imports no handler module: the table is written out in one place, not
gathered by import. The commands every connection has (ping, meetings, subscriptions) are in
``realtime.commands.connection``.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import Any

from engine.errors import HubError
from engine.limits import Take
from realtime import roles
from realtime.fanout.hub import Hub
from realtime.protocol import messages as m
from realtime.protocol.base import R
from realtime.transport.client import Client

Handler = Callable[[Hub, Client, Any], Awaitable[R]]
Handlers = dict[type[m.Command[Any]], Handler[m.Result]]

Done = Callable[[m.Result | Exception | None], None]
"""How a direct handler settles its command, once: the result, the error (a ``HubError``, or a
failure), or None: "not here after all" (the endpoint then runs the ordinary handler)."""
Direct = Callable[[Hub, Client, Any, Done], bool]
"""A direct handler: starts the command without a task (from the frame's arrival) and returns True
(``done`` is called later), or returns False when it cannot (run the ordinary handler); a
``HubError`` raised at once refuses the command. Only for a command its ordinary handler also
answers, and whose rate check is none or the store's (``RATE_IN_STORE``): no await before it starts."""
Directs = dict[type[m.Command[Any]], Direct]


class registrar:
    """The ``handles(Command)`` decorator of one handler module: it files each handler in that
    module's own ``table``, and (a generic ``__call__``, so per command) takes only a handler that
    returns the command's reply type (mypy checks it). A command handled twice in a module is a
    mistake, caught at import."""

    def __init__(self, table: Handlers) -> None:
        self.table = table

    def __call__(self, cls: type[m.Command[R]]) -> Callable[[Handler[R]], Handler[R]]:
        table = self.table

        def register(fn: Handler[R]) -> Handler[R]:
            if cls in table:
                raise ValueError(f"{command_tag(cls)} is handled twice")
            table[cls] = fn
            return fn

        return register


def combine(*tables: Handlers) -> Handlers:
    """One table from the handler modules' own: a command handled in two modules is a mistake."""
    out: Handlers = {}
    for table in tables:
        twice = out.keys() & table.keys()
        if twice:
            raise ValueError(f"handled twice: {sorted(command_tag(c) for c in twice)}")
        out.update(table)
    return out


RATE_IN_STORE: frozenset[str] = frozenset({"vote.cast", "vote.paper"})
"""Commands whose rate check their handler passes to the store (``rate_take``): ``cast.lua``
checks the bucket in the ballot's own step. Why: before, the check and the cast were two Redis
round trips one after the other on every cast (docs/performance.md, "Issue 11: the cast path,
second pass"). The policy (class, bucket, cost) is still ``realtime.roles``' and read only here."""


def rate_take(client: Client, name: str) -> Take | None:
    """The participant's rate check for command ``name``, as ``run`` would make it (None: the
    command is not limited per participant)."""
    return _take(client.participant.id, name)


@functools.lru_cache(maxsize=50_000)  # participants x limited commands
def _take(participant: str, name: str) -> Take | None:
    """Made once per participant and command, not per cast: a ``Take`` is immutable and the rate
    tables are fixed."""
    cls = roles.rate_class(name)
    return None if cls is None else Take(participant, cls, roles.RATE_CLASSES[cls], roles.COMMAND_COST)


def command_tag(cls: type[m.Command[Any]]) -> str:
    return str(cls.__struct_config__.tag)


def command_name(cmd: m.Command[Any]) -> str:
    return command_tag(type(cmd))


def check_direct(directs: Directs, handlers: Handlers) -> Directs:
    """The table of direct handlers, checked: each has an ordinary handler beside it (the way
    back) and a rate check ``start`` need not await."""
    for cls in directs:
        name = command_tag(cls)
        if cls not in handlers:
            raise ValueError(f"{name} has a direct handler and no ordinary one")
        if roles.rate_class(name) is not None and name not in RATE_IN_STORE:
            raise ValueError(f"{name}'s rate check is not the store's: it cannot start directly")
    return directs


def start(directs: Directs, hub: Hub, client: Client, cmd: m.Command[Any], done: Done) -> bool:
    """``run`` without a task, for a command with a direct handler: the role check, then the
    handler (``Direct``). False: no direct handler, or not now; run the command with ``run``."""
    direct = directs.get(type(cmd))
    if direct is None:
        return False
    roles.check_command(command_name(cmd), client.participant.role)
    return direct(hub, client, cmd, done)


async def run(handlers: Handlers, hub: Hub, client: Client, cmd: m.Command[Any]) -> m.Result:
    """Check the role, then the participant's rate over every hub, then run the handler. A command
    refused by either has done nothing (``rate_limited`` carries ``retry_after_ms``); one the
    handler refuses (bad input, a state that does not allow it) gets its token back."""
    name = command_name(cmd)
    roles.check_command(name, client.participant.role)
    take = rate_take(client, name)
    if take is None or name in RATE_IN_STORE:  # reads skip the check; the store makes these
        return await handlers[type(cmd)](hub, client, cmd)
    who, cls, bucket = take.participant, take.rate_class, take.bucket
    await hub.rates.take(who, cls, bucket, take.cost)  # batched with every other check
    try:
        return await handlers[type(cmd)](hub, client, cmd)
    except HubError:
        hub.rates.give_back(who, cls, bucket, take.cost)
        raise
