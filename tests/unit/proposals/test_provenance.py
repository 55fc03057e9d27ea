"""The shortlist vote and the plenary ballot, from the pure rules (no Redis): the definitions they
make (valid for ``ballot/``), each refusal's stable code, the published order's effect on the
proposals and that following a publication twice changes nothing. The store's part is held by
tests/integration/test_proposals.py."""

from __future__ import annotations

import msgspec
import pytest

from ballot import rules as ballot_rules
from ballot.model import PANELISTS, BallotRule, VoteDefinition, canonical, definition_hash
from ballot.model import Proposal as Item
from ballot.store import tally
from engine.errors import Code
from proposals import provenance
from proposals.model import OnBallot, PState, Shortlisted
from proposals.provenance import Origin
from tests.unit.proposals.test_rules import proposal, refused, view

S = PState


def five(meeting: str = "m") -> list[object]:
    return [
        proposal(i, meeting=meeting, supports=i % 3, section="transport" if i < 5 else "health")
        for i in range(1, 6)
    ]


def make(top: int = 2, **kw: object) -> tuple[VoteDefinition, Origin]:
    args: dict[str, object] = {"section": "", "top": top} | kw
    return provenance.shortlist_vote("m-short", "교통 제안 추리기", "m", "moderator", five(), [], **args)  # type: ignore[arg-type]


def test_item_ids_fit_the_ballots_id_rule() -> None:
    assert provenance.item_id("m1", 7) == "m1-7"
    assert provenance.item_id("topic.health", 12) == "topic_health-12"
    long = provenance.item_id("x" * 64, 123)
    assert len(long) == 64 and long.endswith("-123")


def test_a_shortlist_vote_is_a_valid_ranked_vote_of_the_meeting() -> None:
    defn, origin = make()
    ballot_rules.validate_definition(defn)
    assert defn.eligibility == "m" and defn.rule == BallotRule(kind="top_k", k=2, minimum=1)
    # more 공감 first, then the earlier proposal: the tie-break and the items' order
    assert defn.tie_break == ("m-2", "m-5", "m-1", "m-4", "m-3")
    assert [i.proposal for i in origin.items] == [2, 5, 1, 4, 3]
    assert origin.by_item()["m-5"].section == "health" and origin.top == 2
    assert defn.proposals[0].description == "마을버스를 늘려 주세요"


def test_a_shortlist_of_one_section_or_of_chosen_proposals() -> None:
    defn, _ = make(section="health", top=1)
    assert defn.proposal_ids == ("m-5",)
    defn, _ = make(chosen=[3, 1])
    assert defn.proposal_ids == ("m-1", "m-3")
    # a chosen proposal's own section must be closed too (health is proposal 5's)
    ps = five()
    refused(
        Code.SECTION_STILL_OPEN,
        provenance.shortlist_vote,
        "v",
        "t",
        "m",
        "moderator",
        ps,
        ["health"],
        section="transport",
        top=1,
        chosen=[1, 5],
    )  # type: ignore[arg-type]
    defn, _ = provenance.shortlist_vote(
        "v", "t", "m", "moderator", ps, ["health"], section="transport", top=1, chosen=[1]
    )  # type: ignore[arg-type]
    assert defn.proposal_ids == ("m-1",)


def test_shortlist_refusals() -> None:
    ps = five()
    call = provenance.shortlist_vote
    refused(Code.FORBIDDEN, call, "v", "t", "m", "panelist", ps, [], top=1)
    refused(Code.SECTION_STILL_OPEN, call, "v", "t", "m", "moderator", ps, ["health"], top=1)
    refused(
        Code.SECTION_STILL_OPEN, call, "v", "t", "m", "host", ps, ["transport"], section="transport", top=1
    )
    refused(Code.NOTHING_TO_SHORTLIST, call, "v", "t", "m", "moderator", [], [], top=1)
    refused(Code.NOTHING_TO_SHORTLIST, call, "v", "t", "m", "moderator", ps, [], section="housing", top=1)
    refused(Code.UNKNOWN_SECTION, call, "v", "t", "m", "moderator", ps, [], section="moon", top=1)
    refused(Code.BAD_SHORTLIST_SIZE, call, "v", "t", "m", "moderator", ps, [], top=0)
    refused(Code.BAD_SHORTLIST_SIZE, call, "v", "t", "m", "moderator", ps, [], top=6)
    refused(Code.LISTED_TWICE, call, "v", "t", "m", "moderator", ps, [], top=1, chosen=[1, 1])
    refused(Code.NO_SUCH_PROPOSAL, call, "v", "t", "m", "moderator", ps, [], top=1, chosen=[9])
    merged = [*ps[:4], proposal(5, state=S.MERGED, merged_into=1)]
    refused(Code.PROPOSAL_STATE, call, "v", "t", "m", "moderator", merged, [], top=1, chosen=[5])
    # only submitted ones are on it: a merged proposal is left out
    defn, _ = call("v", "t", "m", "moderator", merged, [], top=1)
    assert "m-5" not in defn.proposal_ids


def test_the_published_order_shortlists_the_top_n_once() -> None:
    defn, origin = make(top=2)
    result = msgspec.to_builtins(tally(defn, [("m-3", "m-1"), ("m-3", "m-4"), ("m-1",)]))
    order = provenance.published_order(result, defn.method)
    assert order[:2] == ["m-3", "m-1"]
    v = view(*five())
    change = provenance.shortlisted(v, origin, order)
    assert change is not None and change.event == "proposal.shortlisted"
    got = {p.id: p for p in change.result}
    assert set(got) == {3, 1}
    assert got[3].state is S.SHORTLISTED and got[3].shortlist == Shortlisted(vote="m-short", rank=1)
    assert got[1].shortlist == Shortlisted(vote="m-short", rank=2)
    assert change.guards == ("p:3", "p:1")
    # followed again (a retry, a restarted hub): nothing left to do
    again = view(*[got.get(p.id, p) for p in five()])
    assert provenance.shortlisted(again, origin, order) is None
    # one merged meanwhile is passed over and named
    moved = view(*[proposal(3, state=S.MERGED, merged_into=2) if p.id == 3 else p for p in five()])
    change = provenance.shortlisted(moved, origin, order)
    assert change is not None and change.data["skipped"] == [3] and [p.id for p in change.result] == [1]


def shortlisted_in(meeting: str, vote: str, ranks: dict[int, int]) -> list[object]:
    return [
        proposal(i, meeting=meeting, state=S.SHORTLISTED, shortlist=Shortlisted(vote=vote, rank=r))
        for i, r in ranks.items()
    ] + [proposal(9, meeting=meeting)]


def origin_of(vote: str, meeting: str) -> Origin:
    return Origin(kind="shortlist", vote=vote, items=(), meeting=meeting, top=2)


def test_the_plenary_ballot_carries_each_items_provenance() -> None:
    a = shortlisted_in("ma", "ma-short", {1: 2, 4: 1})
    b = shortlisted_in("mb", "mb-short", {2: 1})
    defn, origin = provenance.plenary_vote(
        "plenary-1",
        "본회의",
        "host",
        [(origin_of("ma-short", "ma"), a), (origin_of("mb-short", "mb"), b)],  # type: ignore[list-item]
    )
    ballot_rules.validate_definition(defn)
    assert defn.eligibility == PANELISTS and defn.rule.k == 3
    assert defn.proposal_ids == ("ma-4", "mb-2", "ma-1")  # by shortlist rank, then the shortlists' order
    prov = origin.by_item()["ma-1"]
    assert (prov.meeting, prov.proposal, prov.shortlist) == ("ma", 1, Shortlisted(vote="ma-short", rank=2))
    assert prov.authors[0].name == "김하나"
    # on the ballot, per meeting, once
    change = provenance.on_ballot(view(*a), origin, "ma")  # type: ignore[arg-type]
    assert change is not None and change.event == "proposal.on_ballot"
    placed = {p.id: p for p in change.result}
    assert placed[4].ballot == OnBallot(vote="plenary-1", item="ma-4") and placed[4].state is S.ON_BALLOT
    after = [placed.get(p.id, p) for p in a]  # type: ignore[attr-defined]
    assert provenance.on_ballot(view(*after), origin, "ma") is None
    # a retry assembles the same ballot from what is now on it
    again, _ = provenance.plenary_vote(
        "plenary-1",
        "본회의",
        "host",
        [(origin_of("ma-short", "ma"), after), (origin_of("mb-short", "mb"), b)],  # type: ignore[list-item]
    )
    assert again == defn
    # the plenary's result: decided with the rank; twice changes nothing
    order = ["mb-2", "ma-1", "ma-4"]
    change = provenance.decided(view(*after), origin, "ma", order)
    assert change is not None and change.event == "proposal.decided"
    ranks = {p.id: (p.state, p.ballot.rank) for p in change.result}
    assert ranks == {1: (S.DECIDED, 2), 4: (S.DECIDED, 3)}
    done = [{p.id: p for p in change.result}.get(p.id, p) for p in after]
    assert provenance.decided(view(*done), origin, "ma", order) is None


def test_plenary_refusals() -> None:
    a = shortlisted_in("ma", "ma-short", {1: 1})
    sa = origin_of("ma-short", "ma")
    call = provenance.plenary_vote
    refused(Code.FORBIDDEN, call, "p", "t", "moderator", [(sa, a)])
    refused(Code.LISTED_TWICE, call, "p", "t", "host", [(sa, a), (sa, a)])
    refused(Code.NOT_A_SHORTLIST, call, "p", "t", "host", [(Origin(kind="plenary", vote="x", items=()), a)])
    refused(Code.NOTHING_TO_SHORTLIST, call, "p", "t", "host", [(origin_of("other", "ma"), a)])
    elsewhere = [
        proposal(
            1,
            meeting="ma",
            state=S.ON_BALLOT,
            shortlist=Shortlisted(vote="ma-short", rank=1),
            ballot=OnBallot(vote="old", item="ma-1"),
        )
    ]
    refused(Code.ALREADY_ON_BALLOT, call, "p", "t", "host", [(sa, elsewhere)])
    refused(Code.BAD_SHORTLIST_SIZE, call, "p", "t", "host", [(sa, a)], top=0)


def test_an_existing_definitions_bytes_and_hash_do_not_change() -> None:
    """Provenance rides beside the vote, never in its definition: a definition from before issue 14
    encodes, hashes and verifies as it did (the bytes below are what main wrote)."""
    defn = VoteDefinition(
        vote_id="plenary-1",
        title="본회의",
        proposals=(Item(id="P1", title="버스"), Item(id="P2", title="공원", description="d", topic="t")),
        rule=BallotRule(kind="rank_all"),
        method="schulze",
        tie_break=("P1", "P2"),
    )
    assert canonical(defn) == (
        b'{"eligibility":"panelists","grace_seconds":0,"method":"schulze","proposals":'
        b'[{"description":"","id":"P1","title":"\xeb\xb2\x84\xec\x8a\xa4","topic":""},'
        b'{"description":"d","id":"P2","title":"\xea\xb3\xb5\xec\x9b\x90","topic":"t"}],'
        b'"rule":{"k":null,"kind":"rank_all","minimum":null},"scheduled_close":null,'
        b'"shown_methods":[],"tie_break":["P1","P2"],"title":"\xeb\xb3\xb8\xed\x9a\x8c\xec\x9d\x98",'
        b'"vote_id":"plenary-1"}'
    )
    assert definition_hash(defn) == definition_hash(msgspec.json.decode(canonical(defn), type=VoteDefinition))
    # the ballot item keeps its four fields: provenance is a side record (proposals/provenance.py)
    assert [f.name for f in msgspec.structs.fields(Item)] == ["id", "title", "description", "topic"]


@pytest.mark.parametrize("top", [1, 3])
def test_a_plenary_ranks_at_most_its_top(top: int) -> None:
    a = shortlisted_in("ma", "ma-short", {1: 1, 2: 2})
    defn, _ = provenance.plenary_vote("p", "t", "host", [(origin_of("ma-short", "ma"), a)], top=top)  # type: ignore[list-item]
    assert defn.rule.k == min(top, 2)
