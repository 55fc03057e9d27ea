"""The city's response to a proposal the plenary decided on (issue 14): the rule of the step
``respond`` (its row is ``rules.RULES["respond"]``), its bounds, and the plain words a page says.

After the plenary publishes its ranking, the city answers each decided proposal: it will do it
(``accepted``), it is studying it (``under_review``) or it will not (``rejected``, and then it must
say why). A department of the city answers for it. A later answer replaces the earlier one on the
record (``Proposal.response``), and every answer is kept, in order, in the proposal's
``responses:<id>`` list, as edits keep every version: the record shows how the answer moved.

Who records it: hosts (``rules.RULES``). The city's answer comes to the assembly's secretariat as an
official letter from the department, and the secretariat, who run the plenary as hosts, key it in;
``by`` keeps who did. A role of its own for a city liaison would be a new role in every table (the
commands, channels, routes, connection limits, pages and their tests) for a few dozen answers a
year, and the liaison would still be staff the secretariat vouches for.
"""

from __future__ import annotations

from typing import Final

import msgspec

from engine.errors import Code, HubError
from proposals import rules
from proposals.model import CityResponse, Person, ResponseStatus
from proposals.rules import Change, Op, View

DEPARTMENT_CHARS: Final = 100
"""The responsible department's name: "서울특별시 기후환경본부 친환경차량과" fits many times over."""
RESPONSE_CHARS: Final = 2000
"""What the city will do, or why not: as long as a proposal's own text."""
MAX_RESPONSES: Final = 20
"""Responses kept per proposal: a few revisions as the city's review goes on, and a bound on the
record (issue 9's rule: every record grows only as far as its bound)."""

WORDS: Final = {
    ResponseStatus.ACCEPTED: "시가 받아들였습니다",
    ResponseStatus.UNDER_REVIEW: "검토 중입니다",
    ResponseStatus.REJECTED: "받아들이지 않았습니다",
}
"""Each answer in plain Korean, as the pages and the CSV say it (``lib/i18n.js`` holds the same
words for the pages; a unit test keeps them equal)."""


def responses_key(pid: int) -> str:
    """The private key (in the meeting's proposals slot) of a proposal's responses, oldest first."""
    return f"responses:{pid}"


def check_status(status: str) -> ResponseStatus:
    try:
        return ResponseStatus(status)
    except ValueError:
        allowed = ", ".join(s.value for s in ResponseStatus)
        raise HubError(
            Code.UNKNOWN_RESPONSE_STATUS, f"no answer {status[:40]!r} (one of: {allowed})"
        ) from None


def _clean(name: str, text: str, most: int) -> str:
    try:
        return rules.clean(name, text, most)
    except HubError as err:
        raise HubError(Code.BAD_RESPONSE, err.message) from None


def respond(
    view: View, pid: int, by: Person, role: str, status: str, department: str, text: str, kept: int
) -> Change:
    """Record the city's answer to a decided proposal. ``kept``: how many responses the proposal's
    list holds already (read with the record; every write to the list goes with a write of the
    record, which the step guards, so the count cannot be stale when the step commits)."""
    r = rules.RULES["respond"]
    rules.check_role(r, role)
    p = view.proposals.get(pid)
    if p is None:
        raise HubError(Code.NO_SUCH_PROPOSAL, f"no proposal {pid} in meeting {view.meeting}")
    if p.state not in r.sources:
        raise HubError(
            Code.PROPOSAL_STATE,
            f"the city answers proposals the plenary decided on; proposal {pid} is {p.state}",
        )
    answer = check_status(status)
    department = _clean("department", department, DEPARTMENT_CHARS)
    text = _clean("text", text, RESPONSE_CHARS) if text.strip() else ""
    if answer is ResponseStatus.REJECTED and not text:
        raise HubError(Code.RESPONSE_NEEDS_REASON, "a rejection says why: write the reason in text")
    if kept >= MAX_RESPONSES:
        raise HubError(Code.TOO_MANY_RESPONSES, f"proposal {pid} has {kept} responses already")
    cur = p.response
    if cur is not None and (cur.status, cur.department, cur.text) == (answer, department, text):
        raise HubError(Code.RESPONSE_UNCHANGED, f"proposal {pid} has this response already")
    response = CityResponse(status=answer, department=department, text=text, by=by, at=view.now)
    p = msgspec.structs.replace(p, response=response, updated=view.now)
    ops = (
        rules.save(p),
        Op("rpush", responses_key(pid), "", rules.packed(response)),
    )
    data = {"proposal": p, "response": response, "n": kept + 1}
    return Change(r.event, data, ops, (rules.field_of(pid),), p)
