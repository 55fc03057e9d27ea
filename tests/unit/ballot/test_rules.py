"""The pure vote rules: definitions, rankings, nonces, the lifecycle table, and which ballot counts."""

from __future__ import annotations

import itertools
import math
import re
import string
from collections import Counter
from typing import Any

import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st

from ballot.model import (
    METHODS,
    BallotRecord,
    BallotRule,
    Channel,
    Proposal,
    VoteDefinition,
    VoteState,
    canonical,
)
from ballot.rules import (
    ACCEPTS,
    ACCEPTS_ARG,
    COMMAND_EFFECTS,
    TRANSITIONS,
    Choice,
    HostCommand,
    check_accepts,
    choose_counted,
    close_times,
    decode_definition,
    eligible_voters,
    hard_close_time,
    past_hard_close,
    select_counted,
    transition,
    validate_definition,
    validate_nonce,
    validate_ranking,
)
from engine.errors import Code, VoteError
from panel.roster import Participant


def make_defn(
    n: int = 5, *, kind: str = "rank_all", k: int | None = None, minimum: int | None = None, **kw: Any
):
    ids = tuple(f"p{i}" for i in range(n))
    fields: dict[str, Any] = {
        "vote_id": "plenary-1",
        "title": "서울시 우선 과제",
        "proposals": tuple(Proposal(id=i, title=f"제안 {i}", topic="transport") for i in ids),
        "rule": BallotRule(kind=kind, k=k, minimum=minimum),  # type: ignore[arg-type]
        "method": "schulze",
        "tie_break": ids,
    }
    fields.update(kw)
    return VoteDefinition(**fields)


def code_of(exc: pytest.ExceptionInfo[VoteError]) -> Code:
    return exc.value.code


# --------------------------------------------------------------------------------------------------
# definitions


def test_a_sound_definition_passes_and_round_trips_through_json():
    defn = make_defn(
        7,
        kind="top_k",
        k=3,
        minimum=1,
        shown_methods=("borda", "instant_runoff"),
        eligibility="meeting-12",
        grace_seconds=5,
    )
    assert validate_definition(defn) is defn
    assert decode_definition(canonical(defn)) == defn


def _ids(n: int) -> tuple[str, ...]:
    return tuple(f"p{i}" for i in range(n))


BAD_DEFINITIONS = {
    "empty vote id": (dict(vote_id=""), "vote_id"),
    "vote id with a space": (dict(vote_id="plenary 1"), "vote_id"),
    "blank title": (dict(title="   "), "title"),
    "no proposals": (dict(proposals=(), tie_break=()), "proposals"),
    "101 proposals": (
        dict(proposals=tuple(Proposal(id=i, title=i) for i in _ids(101)), tie_break=_ids(101)),
        "proposals",
    ),
    "repeated proposal id": (
        dict(proposals=(Proposal(id="a", title="A"), Proposal(id="a", title="B")), tie_break=("a", "a")),
        "proposals[1].id",
    ),
    "proposal id with a slash": (
        dict(proposals=(Proposal(id="a/b", title="A"),), tie_break=("a/b",)),
        "proposals[0].id",
    ),
    "blank proposal title": (
        dict(proposals=(Proposal(id="p0", title=""),), tie_break=("p0",)),
        "proposals[0].title",
    ),
    "unknown rule kind": (dict(rule=BallotRule(kind="approve")), "rule.kind"),  # type: ignore[arg-type]
    "rank_all with k": (dict(rule=BallotRule(kind="rank_all", k=3)), "rule.k"),
    "top_k without k": (dict(rule=BallotRule(kind="top_k")), "rule.k"),
    "top_k with k 0": (dict(rule=BallotRule(kind="top_k", k=0)), "rule.k"),
    "top_k with k above the proposals": (dict(rule=BallotRule(kind="top_k", k=6)), "rule.k"),
    "minimum 0": (dict(rule=BallotRule(kind="top_k", k=3, minimum=0)), "rule.minimum"),
    "minimum above k": (dict(rule=BallotRule(kind="top_k", k=3, minimum=4)), "rule.minimum"),
    "minimum above the proposals": (dict(rule=BallotRule(kind="rank_all", minimum=6)), "rule.minimum"),
    "unknown method": (dict(method="plurality"), "method"),
    "tie break missing one": (dict(tie_break=_ids(4)), "tie_break"),
    "tie break repeating one": (dict(tie_break=("p0", "p0", "p1", "p2", "p3")), "tie_break"),
    "tie break naming a stranger": (dict(tie_break=("p0", "p1", "p2", "p3", "zz")), "tie_break"),
    "unknown shown method": (dict(shown_methods=("borda", "plurality")), "shown_methods[1]"),
    "shown method twice": (dict(shown_methods=("borda", "borda")), "shown_methods"),
    "blank eligibility": (dict(eligibility=""), "eligibility"),
    "eligibility with a space": (dict(eligibility="meeting 3"), "eligibility"),
    "negative grace": (dict(grace_seconds=-1), "grace_seconds"),
    "grace over ten minutes": (dict(grace_seconds=601), "grace_seconds"),
    "negative scheduled close": (dict(scheduled_close=-5), "scheduled_close"),
}


@pytest.mark.parametrize("change,field", BAD_DEFINITIONS.values(), ids=BAD_DEFINITIONS.keys())
def test_a_bad_definition_is_refused_naming_the_field(change: dict[str, Any], field: str):
    with pytest.raises(VoteError) as exc:
        validate_definition(make_defn(5, **change))
    assert exc.value.code is Code.BAD_VOTE_DEFINITION
    assert exc.value.message.startswith(f"{field}: "), exc.value.message


@pytest.mark.parametrize(
    "data",
    [b"", b"{", b"[]", b'{"vote_id": 1}', b'{"vote_id":"v","title":"t","proposals":[],"extra":1}', b"\xff"],
    ids=["empty", "truncated", "array", "wrong type", "unknown field", "not utf-8"],
)
def test_undecodable_definitions_are_bad_vote_definitions(data: bytes):
    with pytest.raises(VoteError) as exc:
        decode_definition(data)
    assert exc.value.code is Code.BAD_VOTE_DEFINITION


@st.composite
def definitions(draw: st.DrawFn, max_n: int = 8) -> VoteDefinition:
    n = draw(st.integers(1, max_n))
    kind = draw(st.sampled_from(["rank_all", "top_k"]))
    longest = n if kind == "rank_all" else draw(st.integers(1, n))
    minimum = draw(st.none() | st.integers(1, longest))
    ids = draw(st.permutations(_ids(n)))
    return make_defn(
        n,
        kind=kind,
        k=None if kind == "rank_all" else longest,
        minimum=minimum,
        tie_break=tuple(ids),
        method=draw(st.sampled_from(METHODS)),
        shown_methods=tuple(draw(st.lists(st.sampled_from(METHODS), unique=True))),
    )


@given(definitions(max_n=100))
def test_every_consistent_definition_passes(defn: VoteDefinition):
    validate_definition(defn)


# --------------------------------------------------------------------------------------------------
# rankings


def bounds(defn: VoteDefinition) -> tuple[int, int]:
    # Restated from the rule's documentation, not from ranking_bounds().
    hi = len(defn.proposals) if defn.rule.kind == "rank_all" else defn.rule.k
    assert hi is not None
    return (hi if defn.rule.minimum is None else defn.rule.minimum), hi


@pytest.mark.parametrize(
    "rule,ranking,code",
    [
        (BallotRule(kind="rank_all"), ["p0", "p1", "p2", "p3", "p4"], None),
        (BallotRule(kind="rank_all"), ["p4", "p3", "p2", "p1", "p0"], None),
        (BallotRule(kind="rank_all"), ["p0", "p1", "p2", "p3"], Code.RANKING_TOO_SHORT),
        (BallotRule(kind="rank_all", minimum=2), ["p3", "p1"], None),
        (BallotRule(kind="rank_all", minimum=2), ["p3"], Code.RANKING_TOO_SHORT),
        (BallotRule(kind="top_k", k=3), ["p2", "p0", "p4"], None),
        (BallotRule(kind="top_k", k=3), ["p2", "p0"], Code.RANKING_TOO_SHORT),
        (BallotRule(kind="top_k", k=3), ["p2", "p0", "p4", "p1"], Code.RANKING_TOO_LONG),
        (BallotRule(kind="top_k", k=3, minimum=1), ["p2"], None),
        (BallotRule(kind="top_k", k=3, minimum=1), [], Code.RANKING_TOO_SHORT),
        (BallotRule(kind="top_k", k=3, minimum=1), ["p2", "p9"], Code.UNKNOWN_PROPOSAL),
        (BallotRule(kind="top_k", k=3, minimum=1), ["p2", "p2"], Code.REPEATED_PROPOSAL),
        (BallotRule(kind="top_k", k=3, minimum=1), ["p2", "p2", "p2", "p2"], Code.REPEATED_PROPOSAL),
        (BallotRule(kind="top_k", k=3, minimum=1), ["P2"], Code.UNKNOWN_PROPOSAL),
        (BallotRule(kind="top_k", k=3, minimum=1), [3], Code.UNKNOWN_PROPOSAL),
    ],
)
def test_named_rankings(rule: BallotRule, ranking: list[str], code: Code | None):
    defn = make_defn(5, rule=rule)
    if code is None:
        assert validate_ranking(defn, ranking) == [int(pid[1:]) for pid in ranking]
    else:
        with pytest.raises(VoteError) as exc:
            validate_ranking(defn, ranking)
        assert exc.value.code is code


@pytest.mark.parametrize(
    "rule,n",
    [
        (rule, n)
        for rule in ("rank_all", "rank_all_truncated", "top_2", "top_2_min_1")
        for n in range(1, 6)
        if n >= 2 or not rule.startswith("top_2")  # k=2 needs two proposals
    ],
)
def test_validate_ranking_accepts_exactly_as_many_rankings_as_the_rule_allows(n: int, rule: str):
    """Enumerate every sequence of distinct ids and count the accepted ones against the formula."""
    kind, k, minimum = {
        "rank_all": ("rank_all", None, None),
        "rank_all_truncated": ("rank_all", None, 1),
        "top_2": ("top_k", 2, None),
        "top_2_min_1": ("top_k", 2, 1),
    }[rule]
    defn = make_defn(n, kind=kind, k=k, minimum=minimum)
    lo, hi = bounds(defn)
    accepted = 0
    for length in range(n + 1):
        for seq in itertools.permutations(defn.proposal_ids, length):
            try:
                indices = validate_ranking(defn, list(seq))
            except VoteError as exc:
                assert exc.code in (Code.RANKING_TOO_SHORT, Code.RANKING_TOO_LONG)
                continue
            assert [defn.proposal_ids[i] for i in indices] == list(seq)
            accepted += 1
    assert accepted == sum(math.perm(n, length) for length in range(lo, hi + 1))


def expected_code(defn: VoteDefinition, ranking: list[str]) -> Code | None:
    seen: set[str] = set()
    for pid in ranking:
        if pid not in defn.proposal_ids:
            return Code.UNKNOWN_PROPOSAL
        if pid in seen:
            return Code.REPEATED_PROPOSAL
        seen.add(pid)
    lo, hi = bounds(defn)
    if len(ranking) < lo:
        return Code.RANKING_TOO_SHORT
    if len(ranking) > hi:
        return Code.RANKING_TOO_LONG
    return None


@given(st.data())
def test_validate_ranking_reports_the_first_problem(data: st.DataObject):
    defn = data.draw(definitions())
    pool = [*defn.proposal_ids, "zz", "p99", ""]
    ranking = data.draw(st.lists(st.sampled_from(pool), max_size=len(defn.proposals) + 3))
    want = expected_code(defn, ranking)
    if want is None:
        assert [defn.proposal_ids[i] for i in validate_ranking(defn, ranking)] == ranking
    else:
        with pytest.raises(VoteError) as exc:
            validate_ranking(defn, ranking)
        assert exc.value.code is want


# --------------------------------------------------------------------------------------------------
# nonces

NONCE_CHARS = set(string.ascii_letters + string.digits + "_-")


@pytest.mark.parametrize(
    "nonce,ok",
    [
        ("abcdefgh", True),
        ("A1_-" * 16, True),
        ("abcdefg", False),
        ("a" * 65, False),
        ("abcd.efgh", False),
        ("abcdefgh\n", False),
        ("abcdefg\u0661", False),  # an Arabic-Indic digit: \w would take it
        ("가나다라마바사아", False),
        ("", False),
        (None, False),
        (12345678, False),
    ],
)
def test_named_nonces(nonce: object, ok: bool):
    if ok:
        assert validate_nonce(nonce) == nonce
    else:
        with pytest.raises(VoteError) as exc:
            validate_nonce(nonce)
        assert exc.value.code is Code.BAD_NONCE


@given(st.text(max_size=80) | st.text(alphabet=sorted(NONCE_CHARS), max_size=80))
def test_a_nonce_is_8_to_64_safe_characters(nonce: str):
    ok = 8 <= len(nonce) <= 64 and set(nonce) <= NONCE_CHARS
    try:
        validate_nonce(nonce)
    except VoteError as exc:
        assert exc.code is Code.BAD_NONCE
        assert not ok
    else:
        assert ok


# --------------------------------------------------------------------------------------------------
# lifecycle

DRAFT, OPEN, CLOSED, PUBLISHED = VoteState.DRAFT, VoteState.OPEN, VoteState.CLOSED, VoteState.PUBLISHED
LEGAL = {
    (DRAFT, HostCommand.EDIT): DRAFT,
    (DRAFT, HostCommand.OPEN): OPEN,
    (OPEN, HostCommand.EXTEND): OPEN,
    (OPEN, HostCommand.CLOSE): CLOSED,
    (CLOSED, HostCommand.PUBLISH): PUBLISHED,
}


@pytest.mark.parametrize(
    "state,command", list(itertools.product(VoteState, HostCommand)), ids=lambda v: getattr(v, "value", v)
)
def test_every_state_command_pair_moves_as_the_table_says_or_is_refused(
    state: VoteState, command: HostCommand
):
    if (state, command) in LEGAL:
        assert transition(state, command) is LEGAL[(state, command)]
    else:
        with pytest.raises(VoteError) as exc:
            transition(state, command)
        assert exc.value.code is Code.BAD_TRANSITION
        assert command.value in exc.value.message and state.value in exc.value.message


def test_the_table_is_the_documented_lifecycle_and_every_command_is_described():
    assert dict(TRANSITIONS) == LEGAL
    assert set(COMMAND_EFFECTS) == set(HostCommand)
    with pytest.raises(TypeError):
        TRANSITIONS[(PUBLISHED, HostCommand.EDIT)] = DRAFT  # type: ignore[index]


@given(st.lists(st.sampled_from(HostCommand), max_size=12))
def test_any_command_sequence_follows_draft_open_closed_published(commands: list[HostCommand]):
    state = DRAFT
    done: list[str] = []
    for command in commands:
        try:
            state = transition(state, command)
        except VoteError:
            continue
        done.append(command.value)
    assert re.fullmatch(r"(edit )*(open (extend )*(close (publish )?)?)?", "".join(f"{c} " for c in done))
    assert (
        state
        is {"": DRAFT, "edit": DRAFT, "open": OPEN, "extend": OPEN, "close": CLOSED, "publish": PUBLISHED}[
            (done or [""])[-1]
        ]
    )


@pytest.mark.parametrize("state,channel", list(itertools.product(VoteState, Channel)))
def test_which_channels_each_state_accepts(state: VoteState, channel: Channel):
    accepted = (state is OPEN) or (state is CLOSED and channel is Channel.PAPER)
    assert (channel in ACCEPTS[state]) is accepted
    assert (f" {state.value}:{channel.value} " in ACCEPTS_ARG) is accepted  # what cast.lua is given
    if accepted:
        check_accepts(state, channel, now_ms=10_000, hard_close_at=None)
        return
    with pytest.raises(VoteError) as exc:
        check_accepts(state, channel, now_ms=10_000, hard_close_at=None)
    assert exc.value.code is (Code.VOTE_NOT_OPEN if state is DRAFT else Code.VOTE_CLOSED)


@pytest.mark.parametrize(
    "now,hard,channel,ok",
    [
        (14_999, 15_000, Channel.ONLINE, True),  # in the grace: still recorded
        (15_000, 15_000, Channel.ONLINE, False),  # the hard close: closed, though the state says open
        (15_001, 15_000, Channel.PHONE, False),
        (99_000, 15_000, Channel.PAPER, True),  # clerks key in paper after the close
        (99_000, None, Channel.ONLINE, True),  # no close announced
    ],
)
def test_an_open_vote_takes_online_ballots_until_its_hard_close(
    now: int, hard: int | None, channel: Channel, ok: bool
):
    if ok:
        check_accepts(OPEN, channel, now_ms=now, hard_close_at=hard)
    else:
        with pytest.raises(VoteError) as exc:
            check_accepts(OPEN, channel, now_ms=now, hard_close_at=hard)
        assert exc.value.code is Code.VOTE_CLOSED
    assert past_hard_close(now_ms=now, hard_close_at=hard) is (hard is not None and now >= hard)


@pytest.mark.parametrize("grace,hard", [(0, 10_000), (5, 15_000), (600, 610_000)])
def test_the_hard_close_is_grace_seconds_after_the_close(grace: int, hard: int):
    assert hard_close_time(make_defn(3, grace_seconds=grace), 10_000) == hard


# --------------------------------------------------------------------------------------------------
# who may vote

ROSTER = [
    Participant(id="p-all", name="모두", role="panelist"),  # every meeting (the default)
    Participant(id="host-1", name="사회", role="host"),  # staff: in every meeting, never a voter
    Participant(id="p-m1", name="일", role="panelist", meetings=["m1"]),
    Participant(id="clerk-1", name="서기", role="clerk", meetings=["m1"]),
    Participant(id="p-m2", name="이", role="panelist", meetings=["m2"]),
    Participant(id="p-both", name="둘", role="panelist", meetings=["m2", "m1"]),
]


@pytest.mark.parametrize(
    "eligibility,voters",
    [
        ("panelists", ["p-all", "p-m1", "p-m2", "p-both"]),
        ("m1", ["p-all", "p-m1", "p-both"]),
        ("m2", ["p-all", "p-m2", "p-both"]),
        ("m3", ["p-all"]),
    ],
)
def test_only_panelists_of_the_votes_meeting_may_vote(eligibility: str, voters: list[str]):
    assert eligible_voters(make_defn(eligibility=eligibility), ROSTER) == voters


def test_nobody_is_eligible_in_an_empty_roster():
    assert eligible_voters(make_defn(), []) == []


# --------------------------------------------------------------------------------------------------
# which ballot counts


def ballot(
    seq: int, channel: Channel, ranking: tuple[str, ...] = ("p0", "p1"), voter: str = "v1"
) -> BallotRecord:
    return BallotRecord(
        vote_id="plenary-1",
        voter=voter,
        ranking=ranking,
        channel=channel,
        seq=seq,
        nonce=f"nonce-{seq:04d}",
        salt=f"{seq:032x}",
        tracking_code=f"{seq:04d}-0000-0000-0000",
        received_ms=1_000 * seq,
        entered_by="" if channel is Channel.ONLINE else "clerk-3",
    )


ONLINE, PAPER, PHONE = Channel.ONLINE, Channel.PAPER, Channel.PHONE


def test_one_ballot_counts():
    b = ballot(1, ONLINE)
    assert choose_counted([b]) == Choice(counted=b)


def test_nothing_to_count():
    assert choose_counted([]).counted is None


@pytest.mark.parametrize(
    "ballots,voted",
    [
        ([], False),
        ([ballot(1, ONLINE)], True),
        ([ballot(1, PHONE)], True),
        ([ballot(1, ONLINE), ballot(2, PAPER)], True),
        # disagreeing paper entries: nothing counts yet, but the panelist did vote
        ([ballot(1, PAPER, ("p0",)), ballot(2, PAPER, ("p1",))], True),
    ],
    ids=["none", "online", "phone", "paper-over-online", "paper-conflict"],
)
def test_voted_is_any_ballot_recorded_even_when_none_counts_yet(ballots: list[BallotRecord], voted: bool):
    choice = choose_counted(ballots)
    assert choice.voted is voted


def test_an_online_revote_replaces_the_earlier_online_ballot():
    first, second = ballot(3, ONLINE, ("p0", "p1")), ballot(9, ONLINE, ("p1", "p0"))
    choice = choose_counted([second, first])
    assert choice.counted == second and choice.superseded == (first,)


@pytest.mark.parametrize(
    "paper_seq,online_seq", [(10, 20), (20, 10)], ids=["online keyed later", "online earlier"]
)
def test_paper_beats_online_whatever_the_times(paper_seq: int, online_seq: int):
    paper, online = ballot(paper_seq, PAPER, ("p1", "p0")), ballot(online_seq, ONLINE)
    choice = choose_counted([online, paper])
    assert choice.counted == paper and choice.superseded == (online,)


def test_online_beats_a_phone_pre_vote_even_when_merged_later():
    online, phone = ballot(5, ONLINE), ballot(30, PHONE, ("p1", "p0"))
    assert choose_counted([phone, online]).counted == online


def test_the_latest_phone_pre_vote_counts_when_it_is_all_there_is():
    early, late = ballot(2, PHONE), ballot(4, PHONE, ("p1", "p0"))
    assert choose_counted([late, early]).counted == late


def test_paper_keyed_twice_the_same_counts_once():
    a, b, online = ballot(7, PAPER), ballot(8, PAPER), ballot(9, ONLINE, ("p1", "p0"))
    choice = choose_counted([b, online, a])
    assert choice.counted == a and choice.superseded == (b, online) and choice.conflict == ()


def test_paper_entries_that_disagree_are_a_conflict_and_nothing_counts():
    a, b, online = ballot(7, PAPER), ballot(8, PAPER, ("p1", "p0")), ballot(2, ONLINE)
    choice = choose_counted([a, b, online])
    assert choice.counted is None and choice.conflict == (a, b) and choice.superseded == (online,)


def test_ballots_of_several_voters_or_shared_seqs_are_a_caller_bug():
    with pytest.raises(ValueError):
        choose_counted([ballot(1, ONLINE), ballot(2, ONLINE, voter="v2")])
    with pytest.raises(ValueError):
        choose_counted([ballot(1, ONLINE), ballot(1, PAPER)])


@st.composite
def one_voters_ballots(draw: st.DrawFn) -> list[BallotRecord]:
    seqs = draw(st.lists(st.integers(0, 10_000), min_size=1, max_size=8, unique=True))
    rankings = st.sampled_from([("p0", "p1"), ("p1", "p0"), ("p2",)])
    return [ballot(s, draw(st.sampled_from(Channel)), draw(rankings)) for s in seqs]


@given(one_voters_ballots(), st.randoms(use_true_random=False))
def test_choose_counted_follows_channel_then_seq_in_any_input_order(ballots: list[BallotRecord], rnd: Any):
    choice = choose_counted(ballots)
    shuffled = list(ballots)
    rnd.shuffle(shuffled)
    assert choose_counted(shuffled) == choice
    parts = [*([choice.counted] if choice.counted else []), *choice.superseded, *choice.conflict]
    assert Counter(b.seq for b in parts) == Counter(b.seq for b in ballots)  # nothing lost, nothing twice

    papers = [b for b in ballots if b.channel is PAPER]
    if papers:
        if len({b.ranking for b in papers}) > 1:
            assert choice.counted is None and set(choice.conflict) == set(papers)
        else:
            assert choice.counted == min(papers, key=lambda b: b.seq)
    else:
        onlines = [b for b in ballots if b.channel is ONLINE]
        pool = onlines or ballots
        assert choice.counted == max(pool, key=lambda b: b.seq)


def test_select_counted_keeps_one_ballot_per_panelist_in_tracking_code_order():
    ballots = [
        ballot(1, ONLINE, voter="kim"),
        ballot(5, ONLINE, ("p1", "p0"), voter="kim"),
        ballot(2, PHONE, voter="lee"),
        ballot(3, ONLINE, voter="park"),
        ballot(4, PAPER, ("p1", "p0"), voter="park"),
        ballot(6, PAPER, voter="choi"),
        ballot(7, PAPER, ("p2",), voter="choi"),
    ]
    selection = select_counted(reversed(ballots))
    assert [(b.voter, b.seq) for b in selection.counted] == [("lee", 2), ("park", 4), ("kim", 5)]
    assert [b.tracking_code for b in selection.counted] == sorted(b.tracking_code for b in selection.counted)
    assert [b.seq for b in selection.superseded] == [1, 3]
    assert [c.conflict[0].voter for c in selection.conflicts] == ["choi"]
    with pytest.raises(ValueError):
        select_counted(
            [ballot(1, ONLINE), msgspec.structs.replace(ballot(2, ONLINE, voter="x"), vote_id="other")]
        )


# -- the host's close ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("state", "closes_at", "hard", "now", "want"),
    [
        (VoteState.OPEN, None, None, 1_000, (1_000, 31_000, False)),  # the first close
        (VoteState.OPEN, 1_000, 31_000, 5_000, (1_000, 31_000, True)),  # again in the grace: kept
        (VoteState.OPEN, 90_000, 120_000, 5_000, (5_000, 35_000, False)),  # before a scheduled close
        (VoteState.CLOSED, 1_000, 31_000, 99_000, (1_000, 31_000, True)),  # after the hard close
    ],
)
def test_a_close_sets_its_times_once(
    state: VoteState, closes_at: int | None, hard: int | None, now: int, want: tuple[int, int, bool]
):
    got = close_times(make_defn(grace_seconds=30), state, now_ms=now, closes_at=closes_at, hard_close_at=hard)
    assert (got.closes_at, got.hard_close_at, got.repeated) == want


@pytest.mark.parametrize("state", [VoteState.DRAFT, VoteState.PUBLISHED, VoteState.CLOSED])
def test_a_vote_that_cannot_close_says_so(state: VoteState):
    with pytest.raises(VoteError) as exc:
        close_times(make_defn(), state, now_ms=1, closes_at=None, hard_close_at=None)
    assert code_of(exc) == Code.BAD_TRANSITION
