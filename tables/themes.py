"""The theme team's themes (issue 15): a board of draft themes, each a title and the cards the team
put on it, and the pure rules that change it. No I/O: ``tables/theme_store.py`` reads the board,
calls a rule here and commits what it returns with the engine's guarded commit.

The one invariant: **a card is on at most one theme**. Every rule keeps it (assigning a card takes
it off the theme it was on; merging joins two themes' cards; deleting a theme frees its cards), and
``tests/unit/tables/test_themes.py`` holds it over any sequence of steps (hypothesis).

A card on a theme is kept as a :class:`CardRef` (its id, its table and its text as it was when it
was assigned), so that the provenance of what a theme becomes (a poll option, a proposal, a ballot
item) names the cards and their tables without reading the cards again.

Published themes are a copy: ``theme.publish`` puts :func:`published` of the board on the meeting's
public ``themes`` channel, which every table and the stream overlay follow; the drafts stay on the
team's ``theme_drafts`` channel. Publishing again replaces the copy.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any, Final

from engine.errors import Code, HubError
from moderation import chat

TITLE_CHARS: Final = 80
"""A theme's title: a line on a phone and on the stream overlay."""
MAX_THEMES: Final = 200
"""Themes one meeting keeps (300 tables give a few dozen themes; 200 leaves room for drafts)."""
MAX_CARDS_PER_COMMAND: Final = 200
"""Cards one ``theme.assign`` or ``theme.create`` names (a suggestion accepted whole)."""


@dataclass(frozen=True)
class CardRef:
    """A card as a theme keeps it: id, table and text when it was assigned (the provenance)."""

    id: str
    table: str
    text: str


@dataclass(frozen=True)
class Theme:
    """A draft theme: ``id`` given by the store (``t1``, ``t2``...), its title, its cards in the
    order they were put on it, who made it and when (ms)."""

    id: str
    title: str
    cards: tuple[CardRef, ...] = ()
    by: str = ""
    at: int = 0

    def card_ids(self) -> list[str]:
        return [c.id for c in self.cards]

    def tables(self) -> list[str]:
        """The tables its cards came from, each once, in order of first card."""
        return list(dict.fromkeys(c.table for c in self.cards))


Board = Mapping[str, Theme]
"""Theme id -> theme: the team's drafts."""


def clean_title(title: str) -> str:
    """A title cleaned as chat is (NFC, nothing hidden, trimmed, spaces collapsed), 1 to
    :data:`TITLE_CHARS` characters, or ``BAD_THEME``."""
    try:
        return " ".join(chat.clean_text(title, TITLE_CHARS).split())
    except HubError:
        raise HubError(Code.BAD_THEME, f"a theme's title is 1 to {TITLE_CHARS} characters") from None


def theme_of(board: Board, card_id: str) -> str | None:
    """The theme a card is on, or None."""
    for theme in board.values():
        if any(c.id == card_id for c in theme.cards):
            return theme.id
    return None


def _get(board: Board, theme_id: str) -> Theme:
    theme = board.get(theme_id)
    if theme is None:
        raise HubError(Code.UNKNOWN_THEME, f"no theme {theme_id[:40]!r} in this meeting")
    return theme


def _check_title_free(board: Board, title: str, besides: str = "") -> None:
    key = title.casefold()
    for theme in board.values():
        if theme.id != besides and theme.title.casefold() == key:
            raise HubError(Code.DUPLICATE_THEME, f"theme {theme.id} already has that title")


def _check_count(cards: Iterable[Any]) -> None:
    if len(list(cards)) > MAX_CARDS_PER_COMMAND:
        raise HubError(Code.TOO_MANY_CARDS_NAMED, f"at most {MAX_CARDS_PER_COMMAND} cards at once")


def create(
    board: Board, theme_id: str, title: str, by: str, at: int, cards: Iterable[CardRef] = ()
) -> dict[str, Theme]:
    """A new theme (with ``cards`` already on it: a suggestion accepted). Raises ``BAD_THEME``,
    ``DUPLICATE_THEME``, ``TOO_MANY_THEMES`` or ``TOO_MANY_CARDS_NAMED``."""
    title = clean_title(title)
    _check_title_free(board, title)
    if len(board) >= MAX_THEMES:
        raise HubError(Code.TOO_MANY_THEMES, f"a meeting keeps at most {MAX_THEMES} themes")
    out = dict(board)
    out[theme_id] = Theme(theme_id, title, (), by, at)
    return assign(out, list(cards), theme_id) if cards else out


def assign(board: Board, cards: list[CardRef], theme_id: str | None) -> dict[str, Theme]:
    """Put ``cards`` on theme ``theme_id`` (None: take them off every theme), off whichever theme
    they were on. A card already there stays where it is. Raises ``UNKNOWN_THEME``, ``TOO_MANY_CARDS_NAMED``."""
    _check_count(cards)
    if theme_id is not None:
        _get(board, theme_id)
    moving = {c.id: c for c in cards}
    out: dict[str, Theme] = {}
    for tid, theme in board.items():
        if tid == theme_id:
            kept = theme.cards
            have = {c.id for c in kept}
            kept = kept + tuple(c for c in moving.values() if c.id not in have)
        else:
            kept = tuple(c for c in theme.cards if c.id not in moving)
        out[tid] = theme if kept == theme.cards else replace(theme, cards=kept)
    return out


def rename(board: Board, theme_id: str, title: str) -> dict[str, Theme]:
    """A new title; ``BAD_THEME`` when it is the same, ``DUPLICATE_THEME`` when another has it."""
    theme = _get(board, theme_id)
    title = clean_title(title)
    if title == theme.title:
        raise HubError(Code.BAD_THEME, "the title is the same")
    _check_title_free(board, title, besides=theme_id)
    return {**board, theme_id: replace(theme, title=title)}


def merge(board: Board, source: str, into: str) -> dict[str, Theme]:
    """Theme ``source``'s cards join ``into`` (after its own) and ``source`` is gone."""
    if source == into:
        raise HubError(Code.BAD_THEME_MERGE, "a theme cannot be merged into itself")
    src, dst = _get(board, source), _get(board, into)
    out = {tid: t for tid, t in board.items() if tid != source}
    have = {c.id for c in dst.cards}
    out[into] = replace(dst, cards=dst.cards + tuple(c for c in src.cards if c.id not in have))
    return out


def delete(board: Board, theme_id: str) -> dict[str, Theme]:
    """The theme is gone; its cards are on no theme again."""
    _get(board, theme_id)
    return {tid: t for tid, t in board.items() if tid != theme_id}


def published(board: Board) -> list[dict[str, Any]]:
    """What ``theme.publish`` shows every table and the stream: each theme that holds a card, in
    the order they were made, as its title, its card count, its tables and the cards' texts (no
    author: a card is its table's). ``NOTHING_TO_PUBLISH`` when no theme holds a card."""
    shown = [t for t in sorted(board.values(), key=_order) if t.cards]
    if not shown:
        raise HubError(Code.NOTHING_TO_PUBLISH, "no theme holds a card yet")
    return [
        {
            "id": t.id,
            "title": t.title,
            "count": len(t.cards),
            "tables": t.tables(),
            "cards": [{"id": c.id, "table": c.table, "text": c.text} for c in t.cards],
        }
        for t in shown
    ]


def _order(theme: Theme) -> tuple[int, int, str]:
    digits = theme.id[1:]
    return (theme.at, int(digits) if digits.isdigit() else 0, theme.id)


def non_empty(board: Board, theme_id: str) -> Theme:
    """The theme, which must hold a card (to become a poll option or a proposal): ``EMPTY_THEME``."""
    theme = _get(board, theme_id)
    if not theme.cards:
        raise HubError(Code.EMPTY_THEME, f"theme {theme_id} holds no card")
    return theme


def to_dict(theme: Theme) -> dict[str, Any]:
    """A theme as the state hash and events carry it (MessagePack / JSON)."""
    return {
        "id": theme.id,
        "title": theme.title,
        "cards": [{"id": c.id, "table": c.table, "text": c.text} for c in theme.cards],
        "by": theme.by,
        "at": theme.at,
    }


def from_dict(data: Mapping[str, Any]) -> Theme:
    cards = tuple(CardRef(str(c["id"]), str(c["table"]), str(c["text"])) for c in data.get("cards", ()))
    return Theme(str(data["id"]), str(data["title"]), cards, str(data.get("by", "")), int(data.get("at", 0)))
