"""A theme becomes a poll option or a proposal (issue 15), with its provenance kept: card, table,
theme, then the poll option or the proposal and every ballot item that proposal becomes.

- ``theme.to_poll``: a draft single-choice poll of the meeting (``moderation/polls.py``) whose
  options are the themes' titles; beside it, on the team's drafts channel, ``poll:<id>`` records
  each option's theme with its cards and tables (event ``theme.polled``). The poll is created
  first (it refuses a taken id or a bad definition, nothing stored), then the record (the poll's
  id is new, so nothing else writes that field).
- ``theme.to_proposal``: a proposal of the meeting (``proposals/``) carrying ``FromTheme`` (the
  theme, its cards, their tables), which ``proposals/provenance.py`` copies into every ballot item
  made from it and the provenance exports show (``theme_*`` columns). The drafts channel records
  ``proposal:<theme>`` (event ``theme.proposed``) so the console shows what the theme became.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

from engine import keys
from engine.errors import Code, HubError
from moderation import polls
from moderation.polls import PollStore
from moderation.state import Change, State, StateChannel
from proposals.model import TEXT_CHARS, FromTheme, Person, ThemeCard
from proposals.store import ProposalStore
from tables import themes
from tables.theme_store import ThemeStore
from tables.themes import Theme

POLL: Final = "poll:"
PROPOSAL: Final = "proposal:"
QUESTION: Final = "q1"


def from_theme(theme: Theme) -> FromTheme:
    """A theme as the proposals and their ballot items keep it."""
    return FromTheme(
        theme=theme.id,
        title=theme.title,
        cards=tuple(ThemeCard(id=c.id, table=c.table, text=c.text) for c in theme.cards),
    )


def poll_definition(board: themes.Board, poll: str, prompt: str, ids: Sequence[str]) -> polls.PollDefinition:
    """A single-choice poll over the titles of themes ``ids`` (each holding a card), in that order.
    ``BAD_POLL`` for a theme named twice or a definition the polls refuse."""
    if len(set(ids)) != len(ids):
        raise HubError(Code.BAD_POLL, "themes: each theme once")
    chosen = [themes.non_empty(board, tid) for tid in ids]
    return polls.decode_definition(
        {
            "id": poll,
            "title": prompt.strip()[:200],
            "kind": "poll",
            "questions": [
                {"id": QUESTION, "kind": "single", "prompt": prompt, "options": [t.title for t in chosen]}
            ],
        }
    )


def problem_text(theme: Theme) -> str:
    """A proposal's problem from a theme: its cards' texts, one a line, with their tables, cut to
    the proposals' limit."""
    lines = [f"- {c.text} ({c.table})" for c in theme.cards]
    text = "\n".join(lines)
    return text if len(text) <= TEXT_CHARS else text[: TEXT_CHARS - 1] + "…"


async def to_poll(
    store: ThemeStore,
    poll_store: PollStore,
    meeting: str,
    poll: str,
    prompt: str,
    ids: Sequence[str],
    by: str,
) -> int:
    """The poll (draft) and its options' provenance; returns the poll's ``poll.created`` offset."""
    board = await store.board(meeting)
    defn = poll_definition(board, poll, prompt, ids)
    offset = await poll_store.create(meeting, defn)
    record: dict[str, Any] = {
        "poll": poll,
        "prompt": defn.questions[0].prompt,
        "options": [{"option": n, **themes.to_dict(board[tid])} for n, tid in enumerate(ids)],
        "by": by,
        "at": store.clock(),
    }

    def rule(state: State) -> Change:
        return Change("theme.polled", record, sets={POLL + poll: record}, guards=())

    await StateChannel(store.log, keys.meeting_theme_drafts(meeting)).update(rule)
    return offset


async def to_proposal(
    store: ThemeStore,
    proposals: ProposalStore,
    meeting: str,
    theme_id: str,
    section: str,
    action: str,
    who: Person,
    role: str,
) -> tuple[int, int]:
    """The proposal made from the theme; returns its number and its event's offset."""
    theme = themes.non_empty(await store.board(meeting), theme_id)
    done = await proposals.submit(
        meeting, who, role, section, theme.title, problem_text(theme), action, from_theme(theme)
    )
    pid = int(done.result.id)
    record = {"theme": theme_id, "proposal": pid, "by": who.id, "at": store.clock()}

    def rule(state: State) -> Change:
        return Change("theme.proposed", record, sets={PROPOSAL + theme_id: pid}, guards=())

    await StateChannel(store.log, keys.meeting_theme_drafts(meeting)).update(rule)
    return pid, done.offset
