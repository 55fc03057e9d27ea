"""Protocol v1: the theme team (issue 15). tables/themes.py holds the rules (a card on at most one
theme, titles, merges), tables/theme_store.py the board in Redis; realtime/commands/themes.py runs
them. The wire bounds the sizes only."""

from __future__ import annotations

from typing import Annotated

import msgspec
from msgspec import Meta, Struct

from realtime.protocol.base import Command, Ident, Result

Meeting = Annotated[Ident, Meta(description="the meeting (session) whose tables' cards are grouped")]
ThemeId = Annotated[Ident, Meta(description="a theme's id, `t1`, `t2`... (given by `theme.create`)")]
Title = Annotated[str, Meta(max_length=400, description="1 to 80 characters after cleaning")]
CardIds = Annotated[list[Ident], Meta(max_length=200, description="card ids (`table.card` events' `id`)")]


class ThemeDone(Result):
    channel: Annotated[
        str, Meta(description="`meeting/<id>/theme_drafts`, or `meeting/<id>/themes` for a publish")
    ]
    offset: Annotated[int | None, Meta(description="the change's offset; null: nothing changed (a repeat)")]
    theme: Annotated[str, Meta(description="`theme.create`: the new theme's id; otherwise empty")] = ""
    count: Annotated[int, Meta(description="`theme.publish`: the themes published; otherwise 0")] = 0


class ThemeCreate(Command[ThemeDone], tag="theme.create"):
    """Theme team: a new draft theme, with ``cards`` already on it (a suggestion accepted) or none."""

    meeting: Meeting
    title: Title
    cards: CardIds = msgspec.field(default_factory=list)


class ThemeAssign(Command[ThemeDone], tag="theme.assign"):
    """Theme team: put ``cards`` on ``theme`` (a card dragged onto it, or several picked with the
    keyboard), off the theme they were on; ``theme`` empty takes them off every theme."""

    meeting: Meeting
    cards: Annotated[list[Ident], Meta(min_length=1, max_length=200)]
    theme: Annotated[str, Meta(max_length=64, description='a theme id, or `""`: on no theme')]


class ThemeRename(Command[ThemeDone], tag="theme.rename"):
    meeting: Meeting
    theme: ThemeId
    title: Title


class ThemeMerge(Command[ThemeDone], tag="theme.merge"):
    """Theme team: ``theme``'s cards join ``into``, and ``theme`` is gone."""

    meeting: Meeting
    theme: ThemeId
    into: ThemeId


class ThemeDelete(Command[ThemeDone], tag="theme.delete"):
    """Theme team: the theme is gone and its cards are on no theme again."""

    meeting: Meeting
    theme: ThemeId


class ThemePublish(Command[ThemeDone], tag="theme.publish"):
    """Theme team: every draft theme that holds a card is shown to every table and the stream
    (``theme.published`` on `meeting/<id>/themes`), replacing what was published before, and
    (``on_air``) on the stream overlay (`overlay.shown`, kind `themes`) until a host shows or
    clears something else."""

    meeting: Meeting
    on_air: Annotated[bool, Meta(description="also put the themes on the stream overlay")] = True


class SuggestedTheme(Struct, frozen=True):
    title: Annotated[str, Meta(description="the text of the group's most central card, to start from")]
    cards: list[str]


class ThemeSuggestions(Result):
    groups: Annotated[list[SuggestedTheme], Meta(description="largest first; only cards on no theme")]


class ThemeSuggest(Command[ThemeSuggestions], tag="theme.suggest"):
    """Theme team: groups of similar cards among those on no theme yet (character n-grams, so
    Korean without a dictionary). A proposal only: accept one with `theme.create` and its cards."""

    meeting: Meeting


class ThemePolled(Result):
    poll: str
    offset: Annotated[int, Meta(description="the poll's `poll.created` offset on `meeting/<id>/polls`")]


class ThemeToPoll(Command[ThemePolled], tag="theme.to_poll"):
    """Theme team: a draft single-choice poll (`poll.open` opens it) whose options are the titles
    of ``themes``, in that order; the meeting's polls channel announces it as any poll. Each
    option's provenance (the theme, its cards, their tables) is kept (`theme.polled`)."""

    meeting: Meeting
    poll: Annotated[Ident, Meta(description="the new poll's id")]
    prompt: Annotated[str, Meta(max_length=500, description="the question, 1-500 characters")]
    themes: Annotated[list[Ident], Meta(min_length=2, max_length=20)]


class ThemeProposed(Result):
    proposal: Annotated[int, Meta(description="the new proposal's number in the meeting")]
    offset: int


class ThemeToProposal(Command[ThemeProposed], tag="theme.to_proposal"):
    """Theme team: the theme becomes a citizens' proposal of the meeting (its title; its cards'
    texts as the problem), which can reach the shortlist and the plenary ballot; the proposal
    names the theme, its cards and their tables (its provenance)."""

    meeting: Meeting
    theme: ThemeId
    section: Annotated[str, Meta(max_length=40, description="a proposal section open in the meeting")]
    action: Annotated[
        str, Meta(max_length=4000, description="what the city should do, 1 to the proposals' limit")
    ]


THEME_COMMANDS: tuple[type[Command], ...] = (
    ThemeCreate,
    ThemeAssign,
    ThemeRename,
    ThemeMerge,
    ThemeDelete,
    ThemePublish,
    ThemeSuggest,
    ThemeToPoll,
    ThemeToProposal,
)
