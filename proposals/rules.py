"""The life of a proposal, as a table of named steps and one pure function per step.

Theory of operation. Each step reads a :class:`View` (the few records and facts it needs, read in
one transaction by ``proposals/store.py``) and returns a :class:`Change`: one event, the writes
that go with it (:class:`Op`), and the state fields that must not have moved since the read
(``guards``). The store commits the change in one Lua step (``lua/commit.lua``): the guards
checked, every write made and the event published together, or nothing at all; when a guard moved
it reads again and decides again. A step that refuses raises a ``HubError`` before anything is
written. So every rule is here, in Python, testable without Redis (``tests/unit/proposals/``), and
the script that makes it atomic is one short, rule-free file. The one exception is the hot path,
support and withdraw (:func:`support`): thousands press at once, so ``lua/support.lua`` applies the
same rule in one step with this table's states, and never retries (``ProposalStore.support``).

Why guards and not a script per step: the rules (who, from which states, what counts as a
duplicate, when an edit is accepted) stay in one language and one module. Why this is safe: every
write to a proposal's private keys (its supporters, versions, comments) goes with a write of its
record ``p:<id>``, which the step guards, so a decision never rests on a stale read.

Decisions stated here (docs/proposals.md says them for readers):

- **Co-authors join openly**: any panelist of the meeting may join a submitted proposal, up to
  :data:`model.MAX_AUTHORS`. Topic meetings draft at tables, and an invitation round trip (an author
  invites, the invitee accepts) would make a table of older panelists wait on whoever holds the
  phone; joining is a public act (the name shows on the proposal at once) and moderators return or
  merge what is abused.
- **A merge cannot form a cycle**: only a submitted proposal merges, only into a submitted one of
  the same meeting, never into itself; a merged proposal is final, so no chain can lead back.
- **An edit by a moderator needs every author**: it waits as ``edit`` on the record until each
  author (those at the time of the last consent) accepted; one author declining drops it. A new
  edit replaces a waiting one and its consents.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Final

import msgspec

from engine.commit import Write
from engine.errors import Code, HubError
from engine.roles import HOSTS, MODERATORS, PANELISTS, SPEAKERS, THEME_TEAM, Role
from moderation import chat
from proposals.model import (
    COMMENT_CHARS,
    MAX_AUTHORS,
    MAX_COMMENTS_PER_AUTHOR,
    MAX_PER_AUTHOR,
    REASON_CHARS,
    SECTIONS,
    TEXT_CHARS,
    TITLE_CHARS,
    Comment,
    Edit,
    FromTheme,
    Person,
    Proposal,
    PState,
    Version,
)

S = PState


@dataclass(frozen=True)
class Rule:
    """One named step: who may take it, from which states (empty: no proposal yet), to which state
    (None: the state does not change), and the event it publishes."""

    name: str
    roles: frozenset[Role]
    sources: frozenset[PState]
    target: PState | None
    event: str
    doc: str


def _rule(
    name: str, roles: frozenset[Role], sources: Iterable[PState], target: PState | None, event: str, doc: str
) -> Rule:
    return Rule(name, roles, frozenset(sources), target, event, doc)


RULES: Final[Mapping[str, Rule]] = MappingProxyType(
    {
        r.name: r
        for r in (
            _rule(
                "submit",
                PANELISTS,
                (),
                S.SUBMITTED,
                "proposal.submitted",
                "a panelist submits in an open section",
            ),
            _rule(
                "join", PANELISTS, (S.SUBMITTED,), None, "proposal.joined", "a panelist joins as co-author"
            ),
            _rule("support", PANELISTS, (S.SUBMITTED,), None, "proposal.supported", "공감: one per panelist"),
            _rule(
                "unsupport", PANELISTS, (S.SUBMITTED,), None, "proposal.supported", "the support withdrawn"
            ),
            _rule(
                "comment",
                SPEAKERS,
                (S.SUBMITTED, S.SHORTLISTED),
                None,
                "proposal.commented",
                "a comment, kept for the record",
            ),
            _rule(
                "merge",
                MODERATORS,
                (S.SUBMITTED,),
                S.MERGED,
                "proposal.merged",
                "a duplicate joins another; its supports and authors go there",
            ),
            _rule(
                "edit",
                MODERATORS,
                (S.SUBMITTED,),
                None,
                "proposal.edit_proposed",
                "a moderator proposes an edit; it waits for every author's consent",
            ),
            _rule(
                "consent",
                PANELISTS,
                (S.SUBMITTED,),
                None,
                "proposal.consented",
                "an author accepts or declines the waiting edit (all accepted: proposal.edited)",
            ),
            _rule(
                "return",
                MODERATORS,
                (S.SUBMITTED,),
                S.RETURNED,
                "proposal.returned",
                "returned to its authors with a reason",
            ),
            _rule("sections", MODERATORS, (), None, "proposal.sections", "which sections take proposals"),
            # issue 14: shortlist and ballot (proposals/provenance.py; the plenary's result: DECIDE there)
            _rule(
                "shortlist",
                MODERATORS,
                (S.SUBMITTED,),
                S.SHORTLISTED,
                "proposal.shortlisted",
                "a ranked vote of the meeting from its submitted proposals; published, its top N go shortlisted",
            ),
            _rule(
                "ballot",
                HOSTS,
                (S.SHORTLISTED,),
                S.ON_BALLOT,
                "proposal.on_ballot",
                "the plenary ballot assembled from published shortlist votes, each item with its provenance",
            ),
            # issue 14: response (the rule: proposals/response.py)
            _rule(
                "respond",
                HOSTS,
                (S.DECIDED,),
                None,
                "proposal.responded",
                "the city's response to a decided proposal; every response kept",
            ),
        )
    }
)

FROM_THEME: Final = _rule(
    "from_theme",
    THEME_TEAM,
    (),
    S.SUBMITTED,
    "proposal.submitted",
    "the theme team makes a theme a proposal (issue 15: theme.to_proposal, not a proposal.* command)",
)
"""A proposal made from a theme of the theme team (issue 15). Not in :data:`RULES`, whose rows are
the ``proposal.*`` commands: ``theme.to_proposal`` takes it. Its author is the team member who made
it (someone the meeting can ask); the tables who wrote it are its provenance, ``Proposal.theme``."""

MERGE_TARGETS: Final = frozenset({S.SUBMITTED})
"""A duplicate merges only into a proposal still open to supports, so the supports it brings count."""
EDITED: Final = "proposal.edited"
DECLINED: Final = "proposal.edit_declined"

_enc = msgspec.msgpack.Encoder()


# -- what a step reads and what it writes ---------------------------------------------------------
@dataclass(frozen=True)
class View:
    """What the store read for one step, in one transaction.

    ``proposals``: the records the step names (absent: no such proposal). ``supports``: for each,
    whether the caller supports it; ``supporters``: the whole sets, for a merge. ``authored`` and
    ``commented``: what the caller submitted and wrote in this meeting. ``title_of``: the proposal
    holding the same title (:func:`title_key`), 0 if none."""

    meeting: str
    now: int
    proposals: Mapping[int, Proposal] = field(default_factory=dict)
    open_sections: frozenset[str] = frozenset()
    last_id: int = 0
    supports: Mapping[int, bool] = field(default_factory=dict)
    supporters: Mapping[int, frozenset[str]] = field(default_factory=dict)
    authored: int = 0
    commented: int = 0
    title_of: int = 0


Op = Write
"""One write (``engine.commit.Write``: the guarded commit's record, one definition for every
domain). ``key``: a private key of the meeting's proposals (``supporters:<id>``, ``versions:<id>``,
``comments:<id>``, ``authored``, ``commented``, ``titles``), or ``""`` for the channel's state hash;
the kinds are ``engine.commit.KINDS``."""


@dataclass(frozen=True)
class Change:
    """What a step decided: the event, its writes, the state fields it read (``guards``) and what
    the command answers."""

    event: str
    data: Any
    ops: tuple[Op, ...]
    guards: tuple[str, ...]
    result: Any = None


def packed(value: Any) -> bytes:
    return _enc.encode(value)


def field_of(pid: int) -> str:
    """A proposal's field in the channel's state hash."""
    return f"p:{pid}"


SEQ: Final = "seq"  # the last proposal id given
OPEN: Final = "sections"  # the sections open for proposals


def save(p: Proposal) -> Op:
    """The write of a proposal's record into the channel's state hash."""
    return Op("hset", "", field_of(p.id), packed(p))


def saved(event: str, data: Any, changed: Sequence[Proposal]) -> Change:
    """A step that rewrites the records of ``changed``, each guarded on its record as read (the
    shortlist, ballot and decision steps of ``proposals/provenance.py``)."""
    ops = tuple(save(p) for p in changed)
    return Change(event, data, ops, tuple(field_of(p.id) for p in changed), changed)


# -- the checks every step shares -------------------------------------------------------------------
def check_role(r: Rule, role: str) -> None:
    if role not in r.roles:
        raise HubError(Code.FORBIDDEN, f"the role '{role}' may not {r.name} a proposal")


def _get(view: View, pid: int) -> Proposal:
    p = view.proposals.get(pid)
    if p is None:
        raise HubError(Code.NO_SUCH_PROPOSAL, f"no proposal {pid} in meeting {view.meeting}")
    return p


def _in_state(r: Rule, p: Proposal) -> None:
    if p.state not in r.sources:
        allowed = ", ".join(sorted(r.sources))
        raise HubError(
            Code.PROPOSAL_STATE, f"cannot {r.name} proposal {p.id}: it is {p.state} (only when: {allowed})"
        )


def refusal(name: str, pid: int, meeting: str, detail: str = "") -> HubError:
    """The error of a refusal ``lua/support.lua`` made with the rule of :func:`support` (the same
    codes and words as the pure rule's)."""
    if name == "no_such_proposal":
        return HubError(Code.NO_SUCH_PROPOSAL, f"no proposal {pid} in meeting {meeting}")
    if name == "proposal_state":
        return HubError(Code.PROPOSAL_STATE, f"cannot support proposal {pid}: it is {detail}")
    if name == "already_supported":
        return HubError(Code.ALREADY_SUPPORTED, f"you support proposal {pid} already")
    if name == "not_supported":
        return HubError(Code.NOT_SUPPORTED, f"you do not support proposal {pid}")
    return HubError(Code.INTERNAL, name)


def clean(name: str, text: str, most: int) -> str:
    """A field's text, cleaned as chat is (NFC, nothing that hides or reorders text, trimmed):
    1 to ``most`` characters, or ``BAD_PROPOSAL`` naming the field."""
    try:
        return chat.clean_text(text, most)
    except HubError as err:
        if err.code is Code.EMPTY_MESSAGE:
            raise HubError(Code.BAD_PROPOSAL, f"{name}: write something") from None
        raise HubError(Code.BAD_PROPOSAL, f"{name}: at most {most} characters") from None


def check_section(section: str) -> str:
    if section not in SECTIONS:
        raise HubError(Code.UNKNOWN_SECTION, f"no section {section[:40]!r} (one of: {', '.join(SECTIONS)})")
    return section


def title_key(title: str) -> str:
    """Two titles that differ only in case, width or spacing are the same title (a duplicate)."""
    return " ".join(unicodedata.normalize("NFKC", title).casefold().split())


# -- the steps --------------------------------------------------------------------------------------
def submit(
    view: View,
    who: Person,
    role: str,
    section: str,
    title: str,
    problem: str,
    action: str,
    theme: FromTheme | None = None,
) -> Change:
    """A panelist's proposal; with ``theme`` (issue 15), the theme team's proposal made from that
    theme (:data:`FROM_THEME`: the team's roles, no count against the author's limit)."""
    r = RULES["submit"] if theme is None else FROM_THEME
    check_role(r, role)
    check_section(section)
    if section not in view.open_sections:
        raise HubError(Code.SECTION_CLOSED, f"the section {section} takes no proposals in this meeting now")
    title = clean("title", title, TITLE_CHARS)
    problem = clean("problem", problem, TEXT_CHARS)
    action = clean("action", action, TEXT_CHARS)
    if view.title_of:
        raise HubError(
            Code.DUPLICATE_PROPOSAL,
            f"proposal {view.title_of} has this title already: support it or join it as a co-author",
        )
    if theme is None and view.authored >= MAX_PER_AUTHOR:
        raise HubError(
            Code.TOO_MANY_PROPOSALS, f"you have submitted {view.authored} proposals in this meeting"
        )
    pid = view.last_id + 1
    p = Proposal(
        id=pid,
        meeting=view.meeting,
        section=section,
        title=title,
        problem=problem,
        action=action,
        authors=(who,),
        at=view.now,
        updated=view.now,
        theme=theme,
    )
    first = Version(
        version=1, section=section, title=title, problem=problem, action=action, by=who, at=view.now
    )
    ops = (
        save(p),
        Op("hset", "", SEQ, packed(pid)),
        *(() if theme else (Op("hincr", "authored", who.id, 1),)),
        Op("hset", "titles", title_key(title), str(pid)),
        Op("rpush", f"versions:{pid}", "", packed(first)),
    )
    return Change(r.event, {"proposal": p}, ops, (SEQ, OPEN), p)


def join(view: View, pid: int, who: Person, role: str) -> Change:
    r = RULES["join"]
    check_role(r, role)
    p = _get(view, pid)
    _in_state(r, p)
    if who.id in p.author_ids():
        raise HubError(Code.ALREADY_AN_AUTHOR, f"you are an author of proposal {pid} already")
    if len(p.authors) >= MAX_AUTHORS:
        raise HubError(Code.TOO_MANY_AUTHORS, f"proposal {pid} has {MAX_AUTHORS} authors already")
    p = msgspec.structs.replace(p, authors=(*p.authors, who), updated=view.now)
    return Change(r.event, {"proposal": p}, (save(p),), (field_of(pid),), p)


def support(view: View, pid: int, who: str, role: str, add: bool) -> Change:
    r = RULES["support" if add else "unsupport"]
    check_role(r, role)
    p = _get(view, pid)
    _in_state(r, p)
    now = view.supports.get(pid, False)
    if add and now:
        raise HubError(Code.ALREADY_SUPPORTED, f"you support proposal {pid} already")
    if not add and not now:
        raise HubError(Code.NOT_SUPPORTED, f"you do not support proposal {pid}")
    p = msgspec.structs.replace(p, supports=p.supports + (1 if add else -1))
    op = Op("sadd" if add else "srem", f"supporters:{pid}", value=who)
    data = {"id": pid, "supports": p.supports}
    return Change(r.event, data, (save(p), op), (field_of(pid),), p)


def comment(view: View, pid: int, who: Person, role: str, text: str) -> Change:
    r = RULES["comment"]
    check_role(r, role)
    p = _get(view, pid)
    _in_state(r, p)
    text = clean("comment", text, COMMENT_CHARS)
    if view.commented >= MAX_COMMENTS_PER_AUTHOR:
        raise HubError(Code.TOO_MANY_COMMENTS, f"you have written {view.commented} comments in this meeting")
    c = Comment(n=p.comments + 1, by=who, text=text, at=view.now)
    p = msgspec.structs.replace(p, comments=c.n)
    ops = (save(p), Op("rpush", f"comments:{pid}", "", packed(c)), Op("hincr", "commented", who.id, 1))
    return Change(r.event, {"id": pid, "comments": c.n, "comment": c}, ops, (field_of(pid),), c)


def merge(view: View, pid: int, into: int, by: Person, role: str) -> Change:
    """Merge ``pid`` into ``into``: its supporters support ``into`` (a panelist who supported both
    counts once), its authors become co-authors of ``into``, and the event names them so that their
    pages tell them (``authors``)."""
    r = RULES["merge"]
    check_role(r, role)
    a, b = _get(view, pid), _get(view, into)
    if pid == into:
        raise HubError(Code.BAD_PROPOSAL_MERGE, "a proposal cannot merge into itself")
    _in_state(r, a)
    if b.state not in MERGE_TARGETS:
        where = f" (into {b.merged_into})" if b.merged_into else ""
        raise HubError(
            Code.BAD_PROPOSAL_MERGE, f"merge into a submitted proposal, not one that is {b.state}{where}"
        )
    together = view.supporters.get(pid, frozenset()) | view.supporters.get(into, frozenset())
    known = b.author_ids()
    b = msgspec.structs.replace(
        b,
        supports=len(together),
        authors=(*b.authors, *(x for x in a.authors if x.id not in known)),
        merged_from=(*b.merged_from, pid),
        updated=view.now,
    )
    a = msgspec.structs.replace(a, state=S.MERGED, merged_into=into, supports=0, edit=None, updated=view.now)
    ops = (
        save(a),
        save(b),
        Op("merge_set", f"supporters:{into}", f"supporters:{pid}"),
        Op("hset", "titles", title_key(a.title), str(into)),
    )
    data = {"proposal": a, "into": b, "authors": [x.id for x in a.authors], "by": by}
    return Change(r.event, data, ops, (field_of(pid), field_of(into)), (a, b))


def propose_edit(
    view: View,
    pid: int,
    by: Person,
    role: str,
    *,
    section: str = "",
    title: str = "",
    problem: str = "",
    action: str = "",
    note: str = "",
) -> Change:
    """A moderator's edit: the fields given (empty: unchanged) wait for every author's consent."""
    r = RULES["edit"]
    check_role(r, role)
    p = _get(view, pid)
    _in_state(r, p)
    if section:
        check_section(section)
    e = Edit(
        by=by,
        at=view.now,
        note=clean("note", note, REASON_CHARS) if note.strip() else "",
        section=section if section != p.section else "",
        title=clean("title", title, TITLE_CHARS) if title else "",
        problem=clean("problem", problem, TEXT_CHARS) if problem else "",
        action=clean("action", action, TEXT_CHARS) if action else "",
    )
    if (e.title or p.title, e.problem or p.problem, e.action or p.action, e.section or p.section) == (
        p.title,
        p.problem,
        p.action,
        p.section,
    ):
        raise HubError(Code.BAD_PROPOSAL, "the edit changes nothing")
    p = msgspec.structs.replace(p, edit=e, updated=view.now)
    return Change(r.event, {"proposal": p}, (save(p),), (field_of(pid),), p)


def consent(view: View, pid: int, who: Person, role: str, accept: bool) -> Change:
    """An author's answer to the waiting edit. Declined: the edit is dropped. Accepted by every
    author: the edit becomes the next version (kept with who proposed it and who consented)."""
    r = RULES["consent"]
    check_role(r, role)
    p = _get(view, pid)
    _in_state(r, p)
    if who.id not in p.author_ids():
        raise HubError(Code.NOT_AN_AUTHOR, f"only the authors of proposal {pid} consent to its edits")
    e = p.edit
    if e is None:
        raise HubError(Code.NO_EDIT_PENDING, f"proposal {pid} has no edit waiting for consent")
    guards = (field_of(pid),)
    if not accept:
        p = msgspec.structs.replace(p, edit=None, updated=view.now)
        return Change(DECLINED, {"proposal": p, "by": who}, (save(p),), guards, p)
    consents = e.consents if who.id in e.consents else (*e.consents, who.id)
    if not p.author_ids() <= set(consents):
        p = msgspec.structs.replace(p, edit=msgspec.structs.replace(e, consents=consents), updated=view.now)
        return Change(r.event, {"proposal": p}, (save(p),), guards, p)
    old_title = p.title
    v = Version(
        version=p.version + 1,
        section=e.section or p.section,
        title=e.title or p.title,
        problem=e.problem or p.problem,
        action=e.action or p.action,
        by=e.by,
        at=view.now,
        consents=consents,
        note=e.note,
    )
    p = msgspec.structs.replace(
        p,
        section=v.section,
        title=v.title,
        problem=v.problem,
        action=v.action,
        version=v.version,
        edit=None,
        updated=view.now,
    )
    ops: tuple[Op, ...] = (save(p), Op("rpush", f"versions:{pid}", "", packed(v)))
    if title_key(v.title) != title_key(old_title):  # the duplicates' index follows the title
        ops += (
            Op("hdel", "titles", title_key(old_title)),
            Op("hset", "titles", title_key(v.title), str(pid)),
        )
    return Change(EDITED, {"proposal": p, "version": v}, ops, guards, p)


def return_(view: View, pid: int, by: Person, role: str, reason: str) -> Change:
    """Return a proposal to its authors with a reason; its title is free again for a new one."""
    r = RULES["return"]
    check_role(r, role)
    p = _get(view, pid)
    _in_state(r, p)
    reason = clean("reason", reason, REASON_CHARS)
    p = msgspec.structs.replace(p, state=S.RETURNED, reason=reason, edit=None, updated=view.now)
    ops = (save(p), Op("hdel", "titles", title_key(p.title)))
    return Change(r.event, {"proposal": p, "by": by}, ops, (field_of(pid),), p)


def set_sections(view: View, role: str, open_: Iterable[str]) -> Change:
    r = RULES["sections"]
    check_role(r, role)
    wanted = sorted({check_section(s) for s in open_})
    return Change(r.event, {"open": wanted}, (Op("hset", "", OPEN, packed(wanted)),), (OPEN,), wanted)
