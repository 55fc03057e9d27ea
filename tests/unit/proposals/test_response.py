"""The city's response (issue 14): the rule of ``proposal.respond`` from the pure function (every
refusal's code), the store on the real Redis (every response kept, the latest on the record, a
refusal stores nothing, the vote's index), and what a proposal's page holds (``proposals/path.py``)."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path as FsPath

import pytest
from redis.asyncio import Redis

from engine import keys
from engine.channels import ChannelLog
from engine.errors import Code, HubError
from proposals import path, response
from proposals.model import OnBallot, Person, Proposal, PState, ResponseStatus, Shortlisted
from proposals.rules import RULES
from proposals.store import ProposalStore, index_key
from tests.decided import decide
from tests.unit.proposals.test_rules import ANN, BOB, MOD, proposal, view

HOST = Person("h1", "최사무")
DECIDED = proposal(
    state=PState.DECIDED,
    shortlist=Shortlisted(vote="m-short", rank=2),
    ballot=OnBallot(vote="plenary", item="m-1", rank=3),
)


def respond(p: Proposal = DECIDED, role: str = "host", status: str = "accepted", **kw: object) -> object:
    args = {"department": "교통정책과", "text": "", "kept": 0} | kw
    return response.respond(
        view(p), p.id, HOST, role, status, str(args["department"]), str(args["text"]), int(str(args["kept"]))
    )


def refused(code: Code, **kw: object) -> None:
    with pytest.raises(HubError) as err:
        respond(**kw)  # type: ignore[arg-type]
    assert err.value.code is code, err.value.message


# -- the rule ---------------------------------------------------------------------------------------
def test_hosts_answer_decided_proposals_with_a_department() -> None:
    ch = respond(text="  내년 예산에 반영합니다 ")
    p = ch.result  # type: ignore[attr-defined]
    assert p.response.status is ResponseStatus.ACCEPTED
    assert (p.response.department, p.response.text, p.response.by, p.response.at) == (
        "교통정책과",
        "내년 예산에 반영합니다",
        HOST,
        1000,
    )
    assert ch.event == "proposal.responded" == RULES["respond"].event  # type: ignore[attr-defined]
    assert [op.key for op in ch.ops] == ["", "responses:1"]  # type: ignore[attr-defined]
    assert ch.guards == ("p:1",)  # type: ignore[attr-defined]


def test_every_refusal_has_its_code() -> None:
    for role in ("moderator", "panelist", "ops", "observer"):
        refused(Code.FORBIDDEN, role=role)
    for state in set(PState) - {PState.DECIDED}:
        refused(Code.PROPOSAL_STATE, p=proposal(state=state))
    refused(Code.UNKNOWN_RESPONSE_STATUS, status="maybe")
    refused(Code.BAD_RESPONSE, department=" ")
    refused(Code.BAD_RESPONSE, department="과" * (response.DEPARTMENT_CHARS + 1))
    refused(Code.BAD_RESPONSE, text="이" * (response.RESPONSE_CHARS + 1))
    refused(Code.RESPONSE_NEEDS_REASON, status="rejected", text="  ")
    refused(Code.TOO_MANY_RESPONSES, kept=response.MAX_RESPONSES)
    same = respond().result  # type: ignore[attr-defined]
    refused(Code.RESPONSE_UNCHANGED, p=same)
    respond(p=same, status="under_review")  # another answer is a new response
    with pytest.raises(HubError) as err:
        response.respond(view(), 9, HOST, "host", "accepted", "과", "", 0)
    assert err.value.code is Code.NO_SUCH_PROPOSAL


def test_the_plain_words_are_the_pages_words() -> None:
    i18n = (FsPath(__file__).parents[3] / "realtime" / "web" / "lib" / "i18n.js").read_text(encoding="utf-8")
    for status, words in response.WORDS.items():
        assert re.search(rf'"resp\.status\.{status.value}": "{words}"', i18n), status


# -- the store ----------------------------------------------------------------------------------------
async def test_every_response_is_kept_and_the_latest_is_on_the_record(redis: Redis) -> None:
    store = ProposalStore(ChannelLog(redis), clock=lambda: 5000)
    await store.set_sections("m", "moderator", ["transport"])
    for title in ("버스", "자전거"):
        await store.submit("m", ANN, "panelist", "transport", title, "문제", "할 일")
    await store.join("m", 1, BOB, "panelist")
    await store.edit("m", 1, MOD, "moderator", title="마을버스")
    await store.consent("m", 1, ANN, "panelist", True)
    await store.consent("m", 1, BOB, "panelist", True)
    await store.comment("m", 1, BOB, "panelist", "좋아요")
    await store.merge("m", 2, 1, MOD, "moderator")
    meta = keys.channel_keys("meeting/m/proposals").meta

    # not decided yet: refused, nothing stored
    before = await redis.hget(meta, "seq")
    assert before == b"9"  # the nine steps above, one event each
    with pytest.raises(HubError) as err:
        await store.respond("m", 1, HOST, "host", "accepted", "교통정책과", "")
    assert err.value.code is Code.PROPOSAL_STATE
    assert await redis.hget(meta, "seq") == before

    await decide(store, "m", 1, "plenary", "m-1", 4)
    first = await store.respond("m", 1, HOST, "host", "under_review", "교통정책과", "검토합니다")
    assert first.result[1] == 1
    with pytest.raises(HubError) as err:
        await store.respond("m", 1, HOST, "host", "rejected", "교통정책과", "")
    assert err.value.code is Code.RESPONSE_NEEDS_REASON
    second = await store.respond("m", 1, HOST, "host", "rejected", "교통정책과", "예산이 없습니다")
    assert second.result[1] == 2 and second.offset == first.offset + 1
    assert await redis.smembers(index_key("plenary")) == {b"m/1"}

    found = await store.path("m", 1)
    assert [r.status for r in found.responses] == [ResponseStatus.UNDER_REVIEW, ResponseStatus.REJECTED]
    assert found.detail.proposal.response == found.responses[-1]
    [public] = [path.public_response(p) for p in await store.decided_responses("plenary")]
    assert public == {
        "item": "m-1",
        "rank": 4,
        "title": "마을버스",
        "section": "transport",
        "status": "rejected",
        "department": "교통정책과",
        "text": "예산이 없습니다",
        "at": 5000,
    }
    assert await store.decided_responses("other") == []

    # what the page holds: the path in order, the merge with the other's title, consents by name
    page = path.as_json(found)
    steps = [s["step"] for s in page["timeline"]]
    assert steps == [
        "submitted",
        "edited",
        "merged_from",
        "shortlisted",
        "on_ballot",
        "decided",
        "responded",
        "responded",
    ]
    edited = page["timeline"][1]
    assert edited["consents"] == ["김하나", "이두리"] and edited["by"] == {"id": "m1", "name": "박진행"}
    assert page["merged_from"] == [{"id": 2, "title": "자전거"}]
    assert page["timeline"][5]["rank"] == 4
    assert [s["current"] for s in page["timeline"][6:]] == [False, True]
    assert [c["text"] for c in page["comments"]] == ["좋아요"]
    assert "supporters" not in str(page)
    rows = list(csv.reader(io.StringIO(path.as_csv(found))))
    assert rows[1] == ["step", "when", "by", "detail"]
    assert (
        rows[-1][0] == "responded" and "받아들이지 않았습니다 · 교통정책과 · 예산이 없습니다" in rows[-1][3]
    )
    assert rows[-1][1].endswith("+09:00")

    merged = path.as_json(await store.path("m", 2))
    assert [s["step"] for s in merged["timeline"]] == ["submitted", "merged_into"]
    assert merged["merged_into"] == {"id": 1, "title": "마을버스"}
