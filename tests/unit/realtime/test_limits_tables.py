"""Issue 9's tables: which commands are rate-limited per participant, the connection limits per role,
and who may call each HTTP route. Expectations are written out by hand, not derived from the tables
under test; the documentation's tables are checked against the code's."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from engine.limits import Bucket
from engine.roles import Role
from realtime import roles
from realtime.app import create_app
from realtime.config import Settings

DOC = (Path(__file__).resolve().parents[3] / "docs" / "protocol.md").read_text()

RATED: dict[str, set[str]] = {
    "qa_vote": {"qa.upvote", "qa.unvote"},
    "ask": {"qa.ask"},
    "cast": {"vote.cast"},
    "paper": {"vote.paper"},
    "report": {"chat.report"},
    "hand": {"speakers.raise", "speakers.lower", "speakers.yield"},
    "answer": {"poll.answer"},
    "caption": {"caption.send"},
    # issue 14: HTTP routes only (roles.HTTP_RATES), no command
    "learning": set(),
    "record": set(),
    "desk": {"attendance.checkin", "attendance.checkout", "attendance.paper"},  # issue 14
    "voice": {"voice.offer", "voice.listen", "voice.candidate", "voice.end", "voice.config"},  # issue 16
    "staff": {
        *("vote.create", "vote.open", "vote.close", "vote.publish"),
        *("qa.approve", "qa.dismiss", "qa.reopen", "qa.merge", "qa.queue", "qa.unqueue"),
        *("qa.air", "qa.answer", "qa.reorder"),
        *("chat.delete", "chat.mute", "chat.ban", "chat.unmute", "chat.settings", "chat.dismiss_report"),
        *("speakers.order", "speakers.next", "speakers.timer"),
        *("agenda.set", "agenda.current", "slide.show", "slide.clear", "materials.set"),
        *("overlay.show", "overlay.clear"),
        *("poll.create", "poll.open", "poll.close", "poll.publish"),
        *("proposal.merge", "proposal.edit", "proposal.return", "proposal.sections"),  # issue 14
        *("proposal.shortlist", "proposal.ballot"),  # issue 14: shortlist and ballot
        "attendance.hall_vote",  # issue 14
        "proposal.respond",  # issue 14: response
        *("table.facilitator", "table.step", "table.notice"),  # issue 15
        # issue 15: the theme team
        *("theme.create", "theme.assign", "theme.rename", "theme.merge", "theme.delete"),
        *("theme.publish", "theme.to_poll", "theme.to_proposal"),
    },
    "card": {"table.card", "table.flag"},  # issue 15
    "suggest": {"theme.suggest"},  # issue 15
    # issue 14: proposals
    "propose": {"proposal.submit", "proposal.join"},
    "proposal_support": {"proposal.support", "proposal.unsupport", "proposal.consent"},
    "proposal_comment": {"proposal.comment"},
}
UNRATED = {
    *(
        "hello",
        "ping",
        "subscribe",
        "unsubscribe",
        "meeting.list",
        "chat.send",
        "chat.status",
        "chat.moderation",
    ),
    *("vote.get", "vote.list", "vote.mine", "vote.turnout", "qa.mine", "poll.results", "poll.export"),
    *("proposal.list", "proposal.get"),  # issue 14
    "attendance.quorum",  # issue 14
    *("table.say", "table.get"),  # issue 15: table.say has the chat's rate in its own step
}


def test_every_command_has_a_rate_entry() -> None:
    assert set(roles.COMMAND_RATES) == set(roles.COMMAND_ROLES)


@pytest.mark.parametrize("cls", sorted(RATED))
def test_commands_that_write_or_fan_out_are_rated(cls: str) -> None:
    assert {c for c, k in roles.COMMAND_RATES.items() if k == cls} == RATED[cls]
    assert isinstance(roles.RATE_CLASSES[cls], Bucket)


def test_reads_are_not_rated() -> None:
    assert {c for c, k in roles.COMMAND_RATES.items() if k is None} == UNRATED
    assert set(roles.RATE_CLASSES) == set(RATED)


def test_a_cast_burst_of_one_ballot_per_panelist_fits_the_cast_bucket() -> None:
    """The opening-minute burst: every panelist casts once, perhaps retries once."""
    assert roles.RATE_CLASSES["cast"].burst >= 2


def test_connection_limits_per_role() -> None:
    assert roles.MAX_CONNECTIONS == {
        "panelist": 5,
        "clerk": 10,
        "observer": 10,
        "moderator": 20,
        "host": 20,
        "ops": 20,
        "captioner": 10,
        "facilitator": 5,  # issue 15
        "themer": 20,
    }
    assert set(roles.MAX_CONNECTIONS) == set(Role)


def _doc_table(first: str) -> list[list[str]]:
    rows = [line for line in DOC.splitlines() if line.startswith("| ")]
    start = next(i for i, r in enumerate(rows) if r.startswith(f"| {first} |"))
    out = []
    for r in rows[start + 1 :]:
        cells = [c.strip() for c in r.strip("|").split("|")]
        if set(cells[0]) <= {"-"}:
            continue
        if not cells[0].startswith("`"):
            break
        out.append(cells)
    return out


def test_the_documented_rates_are_the_tables() -> None:
    rows = _doc_table("class")
    documented = {r[0].strip("`"): r for r in rows}
    assert set(documented) == set(roles.RATE_CLASSES)
    for cls, bucket in roles.RATE_CLASSES.items():
        _, commands, burst, rate = documented[cls]
        assert float(burst) == bucket.burst and float(rate) == bucket.rate, cls
        named = set(re.findall(r"`([a-z_]+\.[a-z_]+)`", commands))
        if cls != "staff":  # the staff row says "every other command that changes state"
            assert named == RATED[cls], cls


# -- HTTP routes x roles ---------------------------------------------------------------------------
ANYONE = None
EVERYONE = set(Role)
HTTP_EXPECTED: dict[str, set[str] | None] = {
    "GET /healthz": ANYONE,
    "GET /readyz": ANYONE,
    "GET /metrics": ANYONE,
    "GET /api/me": EVERYONE,
    "GET /api/meetings/{meeting}/chat": {"panelist", "moderator", "host", "ops", "observer", "facilitator"},
    "GET /api/votes/{vote}/results": ANYONE,
    "GET /api/votes/{vote}/receipt/{code}": ANYONE,
    "GET /api/votes/{vote}/{name}": ANYONE,
    "POST /api/meetings/{meeting}/uploads": {"host"},
    "GET /api/meetings/{meeting}/uploads/{upload}": EVERYONE,
    "GET /api/meetings/{meeting}/polls/{poll}.csv": {"host"},
    "GET /api/meetings/{meeting}/polls/{poll}/counts": {"host"},
    "GET /api/help": ANYONE,
    "GET /api/meetings/{meeting}/captions": {"host", "clerk", "captioner"},
    "GET /api/meetings/{meeting}/captions.srt": {"host", "clerk", "captioner"},
    "GET /api/meetings/{meeting}/captions.txt": {"host", "clerk", "captioner"},
    # issue 14: the open record of a meeting's proposals
    "GET /api/meetings/{meeting}/proposals": {
        "panelist",
        "moderator",
        "host",
        "ops",
        "observer",
        "facilitator",
    },
    "GET /api/meetings/{meeting}/proposals.csv": {
        "panelist",
        "moderator",
        "host",
        "ops",
        "observer",
        "facilitator",
    },
    # issue 14: shortlist and ballot
    "GET /api/votes/{vote}/provenance.json": {
        "panelist",
        "moderator",
        "host",
        "ops",
        "observer",
        "facilitator",
    },
    "GET /api/votes/{vote}/provenance.csv": {
        "panelist",
        "moderator",
        "host",
        "ops",
        "observer",
        "facilitator",
    },
    # issue 14: a proposal's path (members, as the exports) and the city's responses (public)
    "GET /api/meetings/{meeting}/proposals/{proposal}": {
        "panelist",
        "moderator",
        "host",
        "ops",
        "observer",
        "facilitator",
    },
    "GET /api/meetings/{meeting}/proposals/{proposal}.csv": {
        "panelist",
        "moderator",
        "host",
        "ops",
        "observer",
        "facilitator",
    },
    "GET /api/votes/{vote}/responses": ANYONE,
    "GET /record/{meeting}/proposals/{proposal}": ANYONE,
    # issue 14: learning and the open record
    "POST /api/meetings/{meeting}/materials/{material}/opened": {"panelist"},
    "GET /api/meetings/{meeting}/learning": {"host"},
    "GET /api/meetings/{meeting}/learning.csv": {"host"},
    "GET /api/meetings/{meeting}/record.json": {
        "panelist",
        "moderator",
        "host",
        "ops",
        "observer",
        "facilitator",
    },
    "GET /api/meetings/{meeting}/record.csv": {
        "panelist",
        "moderator",
        "host",
        "ops",
        "observer",
        "facilitator",
    },
    "GET /record/{meeting}": ANYONE,
    "GET /caption": ANYONE,
    "GET /checkin": ANYONE,  # issue 14: the page; its commands are the desk's
    "GET /table": ANYONE,  # issue 15
    "GET /tables": ANYONE,  # issue 15
    "GET /themes": ANYONE,  # issue 15: the page; its commands are the theme team's
    **dict.fromkeys(
        ("GET /", "GET /host", "GET /vote", "GET /results/{vote}", "GET /moderate", "GET /ops"), ANYONE
    ),
    "GET /overlay/{meeting}": ANYONE,
    "GET /static/{name}": ANYONE,
    "GET /static/{folder}/{name}": ANYONE,
    "POST /sse": ANYONE,  # the hello in the body admits, as on /ws
    "POST /sse/cmd": ANYONE,  # the stream's session id admits
}


def _app_routes() -> set[str]:
    app = create_app(Settings())
    out = set()
    for r in app.routes:
        methods = sorted(set(r.methods or ()) - {"HEAD"})
        out |= {f"{m} {r.path}" for m in methods}
    return out


def test_every_route_of_the_app_is_in_the_table() -> None:
    assert _app_routes() == set(roles.HTTP_ROLES)


@pytest.mark.parametrize("route", sorted(HTTP_EXPECTED))
@pytest.mark.parametrize("role", Role)
def test_http_route_roles(route: str, role: str) -> None:
    allowed = HTTP_EXPECTED[route]
    assert (roles.HTTP_ROLES[route] is None) is (allowed is None)
    try:
        roles.check_route(route, role)
        passed = True
    except Exception:
        passed = False
    assert passed is (allowed is None or role in allowed)


def test_a_route_missing_from_the_table_cannot_be_built() -> None:
    from starlette.responses import Response

    from realtime.http.guard import route

    async def endpoint(request: object) -> Response:
        return Response()

    with pytest.raises(KeyError, match="HTTP_ROLES"):
        route("/api/secret", endpoint)
    with pytest.raises(KeyError, match="POST /api/me"):
        route("/api/me", endpoint, methods=["GET", "POST"])
    assert route("/api/me", endpoint).path == "/api/me"
