"""Every refusal of a proposal's life, from the pure rules (no Redis): the stable code, and that a
step that succeeds writes what it says. The store's part (atomicity, nothing stored half-way) is
held by test_machine.py."""

from __future__ import annotations

import msgspec
import pytest

from engine.errors import Code, HubError
from proposals import model, rules
from proposals.model import Edit, Person, Proposal, PState
from proposals.rules import View

ANN = Person("p1", "김하나")
BOB = Person("p2", "이두리")
MOD = Person("m1", "박진행")


def proposal(pid: int = 1, **kw: object) -> Proposal:
    fields: dict[str, object] = {
        "id": pid,
        "meeting": "m",
        "section": "transport",
        "title": f"버스 {pid}",
        "problem": "배차 간격이 길어요",
        "action": "마을버스를 늘려 주세요",
        "authors": (ANN,),
    }
    fields.update(kw)
    return Proposal(**fields)  # type: ignore[arg-type]


def view(*ps: Proposal, **kw: object) -> View:
    fields: dict[str, object] = {
        "meeting": "m",
        "now": 1000,
        "proposals": {p.id: p for p in ps},
        "open_sections": frozenset({"transport"}),
        "last_id": max((p.id for p in ps), default=0),
    }
    fields.update(kw)
    return View(**fields)  # type: ignore[arg-type]


def refused(code: Code, fn: object, *args: object, **kw: object) -> None:
    with pytest.raises(HubError) as err:
        fn(*args, **kw)  # type: ignore[operator]
    assert err.value.code is code


def submit(v: View, role: str = "panelist", **kw: str) -> rules.Change:
    f = {"section": "transport", "title": "새 제안", "problem": "문제", "action": "할 일"} | kw
    return rules.submit(v, ANN, role, f["section"], f["title"], f["problem"], f["action"])


# -- submit ---------------------------------------------------------------------------------------
def test_a_submission_is_version_one_with_its_submitter_as_author() -> None:
    ch = submit(view(proposal()))
    p = ch.result
    assert (p.id, p.state, p.version, p.authors) == (2, PState.SUBMITTED, 1, (ANN,))
    assert ch.event == "proposal.submitted" and ch.guards == (rules.SEQ, rules.OPEN)
    kinds = {(op.kind, op.key) for op in ch.ops}
    assert ("rpush", "versions:2") in kinds and ("hincr", "authored") in kinds


@pytest.mark.parametrize(
    ("code", "kw", "v"),
    [
        (Code.UNKNOWN_SECTION, {"section": "space"}, {}),
        (Code.SECTION_CLOSED, {"section": "health"}, {}),
        (Code.SECTION_CLOSED, {}, {"open_sections": frozenset()}),
        (Code.BAD_PROPOSAL, {"title": "  \u200b "}, {}),
        (Code.BAD_PROPOSAL, {"title": "가" * (model.TITLE_CHARS + 1)}, {}),
        (Code.BAD_PROPOSAL, {"problem": ""}, {}),
        (Code.BAD_PROPOSAL, {"action": "x" * (model.TEXT_CHARS + 1)}, {}),
        (Code.DUPLICATE_PROPOSAL, {}, {"title_of": 1}),
        (Code.TOO_MANY_PROPOSALS, {}, {"authored": model.MAX_PER_AUTHOR}),
    ],
)
def test_submit_refusals(code: Code, kw: dict[str, str], v: dict[str, object]) -> None:
    refused(code, submit, view(**v), **kw)


def test_only_panelists_submit() -> None:
    refused(Code.FORBIDDEN, submit, view(), role="moderator")


def test_titles_that_differ_in_case_and_spacing_are_one_title() -> None:
    assert rules.title_key("  Bus  LANES ") == rules.title_key("bus lanes") == rules.title_key("ｂｕｓ lanes")


# -- join, support, comment -------------------------------------------------------------------------
def test_join_adds_a_co_author_and_refuses_twice_or_past_the_bound() -> None:
    ch = rules.join(view(proposal()), 1, BOB, "panelist")
    assert ch.result.authors == (ANN, BOB)
    refused(Code.ALREADY_AN_AUTHOR, rules.join, view(proposal()), 1, ANN, "panelist")
    full = proposal(authors=tuple(Person(f"a{i}", "x") for i in range(model.MAX_AUTHORS)))
    refused(Code.TOO_MANY_AUTHORS, rules.join, view(full), 1, BOB, "panelist")
    refused(Code.NO_SUCH_PROPOSAL, rules.join, view(), 1, BOB, "panelist")
    refused(Code.PROPOSAL_STATE, rules.join, view(proposal(state=PState.RETURNED)), 1, BOB, "panelist")
    refused(Code.FORBIDDEN, rules.join, view(proposal()), 1, MOD, "moderator")


def test_support_is_once_per_panelist_and_withdrawable() -> None:
    ch = rules.support(view(proposal(supports=3)), 1, "p2", "panelist", True)
    assert ch.result.supports == 4 and ch.data == {"id": 1, "supports": 4}
    assert ch.ops[-1] == rules.Op("sadd", "supporters:1", "", "p2")
    refused(
        Code.ALREADY_SUPPORTED, rules.support, view(proposal(), supports={1: True}), 1, "p2", "panelist", True
    )
    refused(Code.NOT_SUPPORTED, rules.support, view(proposal()), 1, "p2", "panelist", False)
    back = rules.support(view(proposal(supports=1), supports={1: True}), 1, "p2", "panelist", False)
    assert back.result.supports == 0
    refused(
        Code.PROPOSAL_STATE, rules.support, view(proposal(state=PState.MERGED)), 1, "p2", "panelist", True
    )
    refused(Code.FORBIDDEN, rules.support, view(proposal()), 1, "m1", "host", True)


def test_comments_are_numbered_and_bounded_per_participant() -> None:
    ch = rules.comment(view(proposal(comments=2)), 1, MOD, "moderator", " 좋은 제안이에요 ")
    assert (ch.result.n, ch.result.text) == (3, "좋은 제안이에요")
    refused(Code.BAD_PROPOSAL, rules.comment, view(proposal()), 1, BOB, "panelist", "   ")
    many = view(proposal(), commented=model.MAX_COMMENTS_PER_AUTHOR)
    refused(Code.TOO_MANY_COMMENTS, rules.comment, many, 1, BOB, "panelist", "또")
    refused(
        Code.PROPOSAL_STATE, rules.comment, view(proposal(state=PState.RETURNED)), 1, BOB, "panelist", "x"
    )
    refused(Code.FORBIDDEN, rules.comment, view(proposal()), 1, BOB, "observer", "x")


# -- merge ------------------------------------------------------------------------------------------
def test_a_merge_carries_supports_over_counting_each_panelist_once() -> None:
    a, b = proposal(1, supports=2), proposal(2, authors=(BOB,), supports=2)
    v = view(a, b, supporters={1: frozenset({"x", "y"}), 2: frozenset({"y", "z"})})
    ch = rules.merge(v, 1, 2, MOD, "moderator")
    merged, into = ch.result
    assert (merged.state, merged.merged_into, merged.supports) == (PState.MERGED, 2, 0)
    assert (into.supports, into.merged_from, into.authors) == (3, (1,), (BOB, ANN))
    assert ch.data["authors"] == ["p1"]  # whose pages tell them
    assert ch.guards == ("p:1", "p:2")


def test_merge_refusals_itself_a_cycle_and_states() -> None:
    a, b = proposal(1), proposal(2)
    refused(Code.BAD_PROPOSAL_MERGE, rules.merge, view(a), 1, 1, MOD, "moderator")
    # 2 was merged into 1: merging 1 into 2 would close a cycle
    refused(
        Code.BAD_PROPOSAL_MERGE,
        rules.merge,
        view(a, proposal(2, state=PState.MERGED, merged_into=1)),
        1,
        2,
        MOD,
        "moderator",
    )
    refused(Code.PROPOSAL_STATE, rules.merge, view(proposal(1, state=PState.RETURNED), b), 1, 2, MOD, "host")
    refused(Code.NO_SUCH_PROPOSAL, rules.merge, view(a), 1, 2, MOD, "moderator")
    refused(Code.FORBIDDEN, rules.merge, view(a, b), 1, 2, ANN, "panelist")


# -- edit with consent, return -----------------------------------------------------------------------
def test_an_edit_takes_effect_when_every_author_consented() -> None:
    p = proposal(authors=(ANN, BOB))
    ch = rules.propose_edit(view(p), 1, MOD, "moderator", title="버스 노선 늘리기", note="제목을 분명하게")
    assert ch.event == "proposal.edit_proposed" and ch.result.title == p.title
    waiting = ch.result
    assert waiting.edit is not None and waiting.edit.title == "버스 노선 늘리기"
    one = rules.consent(view(waiting), 1, ANN, "panelist", True)
    assert one.event == "proposal.consented" and one.result.version == 1
    both = rules.consent(view(one.result), 1, BOB, "panelist", True)
    assert both.event == rules.EDITED
    assert (both.result.title, both.result.version, both.result.edit) == ("버스 노선 늘리기", 2, None)
    assert both.data["version"].consents == ("p1", "p2") and both.data["version"].by == MOD
    assert rules.Op("rpush", "versions:1", "", rules.packed(both.data["version"])) in both.ops
    # the duplicates' index follows the new title
    assert rules.Op("hset", "titles", rules.title_key("버스 노선 늘리기"), "1") in both.ops


def test_an_author_declining_drops_the_edit() -> None:
    p = proposal(edit=Edit(by=MOD, at=1, title="다른 제목"))
    ch = rules.consent(view(p), 1, ANN, "panelist", False)
    assert ch.event == rules.DECLINED and ch.result.edit is None and ch.result.title == p.title


def test_edit_and_consent_refusals() -> None:
    p = proposal()
    refused(Code.BAD_PROPOSAL, rules.propose_edit, view(p), 1, MOD, "moderator", title=p.title)
    refused(Code.BAD_PROPOSAL, rules.propose_edit, view(p), 1, MOD, "moderator")
    refused(Code.UNKNOWN_SECTION, rules.propose_edit, view(p), 1, MOD, "moderator", section="moon")
    refused(Code.FORBIDDEN, rules.propose_edit, view(p), 1, ANN, "panelist", title="x")
    refused(Code.NO_EDIT_PENDING, rules.consent, view(p), 1, ANN, "panelist", True)
    waiting = msgspec.structs.replace(p, edit=Edit(by=MOD, at=1, title="t"))
    refused(Code.NOT_AN_AUTHOR, rules.consent, view(waiting), 1, BOB, "panelist", True)


def test_return_needs_a_reason_and_frees_the_title() -> None:
    ch = rules.return_(view(proposal()), 1, MOD, "moderator", "구체적인 장소를 적어 주세요")
    assert ch.result.state == PState.RETURNED and ch.result.reason.startswith("구체적인")
    assert rules.Op("hdel", "titles", rules.title_key("버스 1")) in ch.ops
    refused(Code.BAD_PROPOSAL, rules.return_, view(proposal()), 1, MOD, "moderator", " ")
    refused(Code.PROPOSAL_STATE, rules.return_, view(proposal(state=PState.MERGED)), 1, MOD, "moderator", "r")


def test_sections_are_from_the_vocabulary() -> None:
    assert rules.set_sections(view(), "host", ["transport", "health", "health"]).result == [
        "health",
        "transport",
    ]
    refused(Code.UNKNOWN_SECTION, rules.set_sections, view(), "host", ["transport", "mars"])
    refused(Code.FORBIDDEN, rules.set_sections, view(), "panelist", ["transport"])
