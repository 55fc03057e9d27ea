"""The theme team's board in Redis (issue 15): read, decide with a pure rule of ``tables/themes.py``,
commit with the engine's guarded commit.

Two channels per meeting (``engine/keys.py``): ``meeting/<m>/theme_drafts``, the team's board (its
state: ``theme:<id>`` -> the theme, ``seq`` -> the last theme number; every change one event
``theme.changed`` naming the themes as they are now and those removed), and ``meeting/<m>/themes``,
the published copy every table and the stream overlay follow (its state ``themes`` -> the list;
one event ``theme.published``).

Every change of the board is guarded on the whole drafts channel (nothing published on it since the
read, ``moderation/state.py``): the team is a few people, so a lost race costs a re-read, and the
one invariant (a card on at most one theme) is decided on a board nobody changed meanwhile. Two
people dragging the same card onto two themes at once: one wins, the other's step reads again and
moves the card from where the first put it.

A card is read from the tables' cards (``CardReader``) when it is put on a theme, and kept there with
its table and text (``themes.CardRef``): the provenance of what the theme becomes needs nothing else.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from engine import keys
from engine.channels import ChannelLog
from engine.errors import Code, HubError
from moderation import overlay
from moderation.state import Change, Committed, State, StateChannel
from tables import themes
from tables.themes import CardRef, Theme

CardReader = Callable[[str], Awaitable[Mapping[str, CardRef]]]
"""A meeting's cards by id (the tables' cards channel, ``tables/cards.py``)."""

THEME = "theme:"
SEQ = "seq"
CHANGED = "theme.changed"
PUBLISHED = "theme.published"


def now_ms() -> int:
    return int(time.time() * 1000)


def board_of(state: State) -> dict[str, Theme]:
    """The board as the drafts channel's state holds it."""
    return {tid: themes.from_dict(v) for tid, v in state.prefixed(THEME).items()}


def change(
    before: Mapping[str, Theme], after: Mapping[str, Theme], step: str, by: str, result: Any = None
) -> Change:
    """The one event and the writes that turn ``before`` into ``after``: the themes that differ as
    they are now, and the ids removed. Nothing differs: no event (an idempotent repeat)."""
    changed = [t for tid, t in after.items() if before.get(tid) != t]
    removed = sorted(tid for tid in before if tid not in after)
    if not changed and not removed:
        return Change("", None, result=result)
    data = {"step": step, "by": by, "themes": [themes.to_dict(t) for t in changed], "removed": removed}
    sets: dict[str, Any] = {THEME + t.id: themes.to_dict(t) for t in changed}
    return Change(CHANGED, data, sets=sets, deletes=tuple(THEME + tid for tid in removed), result=result)


@dataclass(frozen=True)
class Suggestion:
    """A suggested theme: a title to start from and the cards, none of them on a theme yet."""

    title: str
    cards: tuple[str, ...]


class ThemeStore:
    """The board of one assembly's meetings. ``cards`` reads a meeting's cards (by id)."""

    def __init__(self, log: ChannelLog, cards: CardReader, clock: Callable[[], int] = now_ms) -> None:
        self.log = log
        self.cards = cards
        self.clock = clock

    def _drafts(self, meeting: str) -> StateChannel:
        return StateChannel(self.log, keys.meeting_theme_drafts(meeting))

    async def board(self, meeting: str) -> dict[str, Theme]:
        return board_of(await self._drafts(meeting).read())

    async def _refs(self, meeting: str, ids: Sequence[str]) -> list[CardRef]:
        if len(ids) > themes.MAX_CARDS_PER_COMMAND:
            raise HubError(Code.TOO_MANY_CARDS_NAMED, f"at most {themes.MAX_CARDS_PER_COMMAND} cards at once")
        known = await self.cards(meeting)
        missing = [i for i in ids if i not in known]
        if missing:
            raise HubError(Code.UNKNOWN_CARD, f"no card {missing[0][:40]!r} in this meeting")
        return [known[i] for i in dict.fromkeys(ids)]

    async def create(self, meeting: str, title: str, by: str, cards: Sequence[str] = ()) -> Committed:
        """A new draft theme (with ``cards`` on it: a suggestion accepted). Its id is in the result."""
        refs = await self._refs(meeting, cards) if cards else []
        at = self.clock()

        def rule(state: State) -> Change:
            before = board_of(state)
            tid = f"t{int(state.get(SEQ, 0)) + 1}"
            after = themes.create(before, tid, title, by, at, refs)
            ch = change(before, after, "create", by, {"theme": tid})
            return Change(
                ch.event, ch.data, {**ch.sets, SEQ: int(state.get(SEQ, 0)) + 1}, ch.deletes, result=ch.result
            )

        return await self._drafts(meeting).update(rule)

    async def assign(self, meeting: str, cards: Sequence[str], theme: str | None, by: str) -> Committed:
        """``cards`` onto ``theme`` (None or ``""``: onto no theme), off wherever they were."""
        refs = await self._refs(meeting, cards)
        target = theme or None
        return await self._step(meeting, "assign", by, lambda b: themes.assign(b, refs, target))

    async def rename(self, meeting: str, theme: str, title: str, by: str) -> Committed:
        return await self._step(meeting, "rename", by, lambda b: themes.rename(b, theme, title))

    async def merge(self, meeting: str, theme: str, into: str, by: str) -> Committed:
        return await self._step(meeting, "merge", by, lambda b: themes.merge(b, theme, into))

    async def delete(self, meeting: str, theme: str, by: str) -> Committed:
        return await self._step(meeting, "delete", by, lambda b: themes.delete(b, theme))

    async def _step(
        self, meeting: str, step: str, by: str, decide: Callable[[dict[str, Theme]], dict[str, Theme]]
    ) -> Committed:
        def rule(state: State) -> Change:
            before = board_of(state)
            return change(before, decide(before), step, by)

        return await self._drafts(meeting).update(rule)

    async def publish(self, meeting: str, by: str, on_air: bool = True) -> Committed:
        """The board's themes that hold a card, copied onto the meeting's public ``themes`` channel
        (replacing what was published before), and with ``on_air`` put on the stream overlay (one
        more step, in the overlay's slot, like ``qa.air``: a retry repeats both). ``NOTHING_TO_PUBLISH``
        when no theme holds a card."""
        shown = themes.published(await self.board(meeting))
        at = self.clock()
        data = {"themes": shown, "at": at, "by": by}

        def rule(state: State) -> Change:
            return Change(PUBLISHED, data, sets={"themes": shown, "at": at}, result={"count": len(shown)})

        done = await StateChannel(self.log, keys.meeting_themes(meeting)).update(rule)
        if on_air:
            await overlay.apply(self.log, meeting, overlay.show(overlay.themes_item(shown)))
        return done

    async def published(self, meeting: str) -> list[dict[str, Any]]:
        """What is published now (empty: nothing yet)."""
        state = await StateChannel(self.log, keys.meeting_themes(meeting)).read()
        return list(state.get("themes", []))

    async def unassigned(self, meeting: str) -> list[CardRef]:
        """The meeting's cards on no theme, in id order."""
        board = await self.board(meeting)
        placed = {c.id for t in board.values() for c in t.cards}
        known = await self.cards(meeting)
        return [known[i] for i in sorted(known) if i not in placed]


def suggestions(groups: Iterable[Any]) -> list[Suggestion]:
    """``tables.suggest`` groups as the reply carries them."""
    return [Suggestion(g.title, tuple(g.cards)) for g in groups]
