"""The ``plenary`` command from the outside: help, roster import, links, serve on the embedded Redis."""

from __future__ import annotations

import asyncio
import csv
import subprocess
import sys
from pathlib import Path

import pytest
from redis.asyncio import Redis

from engine.server import SOCKET_NAME, EmbeddedRedis, _ping
from tests.support import ROOT, HubProcess, connect


def plenary(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cli.main", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=check,
        stdin=subprocess.DEVNULL,  # not a terminal: nobody to ask, as in a script
    )


@pytest.mark.parametrize(
    "args",
    [
        [],
        ["serve"],
        ["demo"],
        ["roster"],
        ["roster", "import"],
        ["roster", "list"],
        ["links"],
        ["meeting", "add"],
    ],
)
def test_help_of_every_command(args: list[str]) -> None:
    out = plenary(*args, "--help")
    assert out.returncode == 0 and "usage: plenary" in out.stdout


def test_roster_import_links_and_serve(tmp_path: Path) -> None:
    data = tmp_path / "d"
    roster = tmp_path / "roster.csv"
    roster.write_text(
        "participant_id,name,role,gender,age_band,district,meetings\n"
        "p1,김민준,panelist,male,30-39,마포구,town\nh1,Host,host,,,,\n",
        encoding="utf-8",
    )
    bad = tmp_path / "bad.csv"
    bad.write_text("participant_id,name,role,district\nq1,Q,panelist,Atlantis\n", encoding="utf-8")
    out = plenary("roster", "import", str(bad), "--data-dir", str(data), check=False)
    assert out.returncode == 2 and "row 2" in out.stderr and "Atlantis" in out.stderr
    assert not _ping(data / SOCKET_NAME)  # the CLI stopped the Redis it started

    out = plenary("roster", "import", str(roster), "--data-dir", str(data))
    assert "imported 2 participants (2 new)" in out.stdout
    plenary("meeting", "add", "--id", "town", "--title", "Town hall", "--data-dir", str(data))
    links = tmp_path / "links.csv"
    out = plenary("links", "--out", str(links), "--base-url", "http://127.0.0.1:9", "--data-dir", str(data))
    rows = list(csv.DictReader(links.open(encoding="utf-8")))
    assert {r["participant_id"] for r in rows} == {"p1", "h1"}
    token = next(r["link"] for r in rows if r["participant_id"] == "p1").split("#t=")[1]
    assert token not in out.stdout + out.stderr

    a = HubProcess("", data_dir=data).wait_ready()
    b = HubProcess("", data_dir=data).wait_ready()  # joins the embedded Redis a started
    try:

        async def chat() -> None:
            async with connect(a.ws_url, token) as one, connect(b.ws_url, token) as two:
                await two.ok("subscribe", channel="meeting/town/chat")
                await one.ok("chat.send", meeting="town", text="hello from the CLI test")
                assert (await two.wait_events("meeting/town/chat", 1))[0]["data"][
                    "text"
                ] == "hello from the CLI test"

        asyncio.run(chat())
        a.stop()
        assert _ping(data / SOCKET_NAME)  # b still uses it
    finally:
        a.stop()
        b.stop()
    assert not _ping(data / SOCKET_NAME)  # the last hub out stopped it


def test_panel_from_applicants_to_roster_links_and_qr_sheets(tmp_path: Path) -> None:
    data = tmp_path / "d"
    applicants, quotas, draw = tmp_path / "applicants.csv", tmp_path / "quotas.csv", tmp_path / "draw"
    plenary("panel", "synthetic", "--n", "2000", "--seed", "5", "--out", str(applicants))
    plenary("panel", "quotas", "--size", "100", "--out", str(quotas))
    out = plenary(
        "panel",
        "draw",
        str(applicants),
        "--quotas",
        str(quotas),
        "--size",
        "100",
        "--seed",
        "seoul-2026",
        "--out",
        str(draw),
    )
    assert "drew 100 of 2000" in out.stdout
    again = plenary(
        "panel",
        "draw",
        str(applicants),
        "--quotas",
        str(quotas),
        "--size",
        "100",
        "--seed",
        "seoul-2026",
        "--out",
        str(tmp_path / "again"),
    )
    assert again.returncode == 0
    assert (draw / "panel.csv").read_text() == (tmp_path / "again" / "panel.csv").read_text()
    refused = plenary(
        "panel", "draw", str(applicants), "--size", "100", "--seed", "x", "--out", str(draw), check=False
    )
    assert refused.returncode == 2 and "--overwrite" in refused.stderr

    links = tmp_path / "links.csv"
    out = plenary(
        "panel",
        "import",
        str(draw / "panel.csv"),
        "--links-out",
        str(links),
        "--base-url",
        "https://plenary.example.org",
        "--data-dir",
        str(data),
    )
    assert "imported 100 panelists (100 new)" in out.stdout
    first = next(csv.DictReader(links.open(encoding="utf-8")))
    sheets = tmp_path / "sheets.html"
    plenary(
        "links",
        "--participant",
        first["participant_id"],
        "--out",
        str(tmp_path / "one.csv"),
        "--sheets",
        str(sheets),
        "--base-url",
        "https://plenary.example.org",
        "--yes",  # it revokes the link the import issued
        "--data-dir",
        str(data),
    )
    page = sheets.read_text(encoding="utf-8")
    assert page.count("<svg") == 1 and first["name"] in page
    withdrawn = first["participant_id"]
    out = plenary("panel", "replace", str(draw), withdrawn, "--quotas", str(quotas))
    assert f"{withdrawn} withdrew" in out.stdout
    assert withdrawn not in (draw / "panel.csv").read_text()
    out = plenary("links", "--revoke", "--participant", withdrawn, "--yes", "--data-dir", str(data))
    assert withdrawn in out.stderr and "revoked 1 link(s)" in out.stdout


async def test_demo_assembly_has_every_role_meetings_and_an_open_vote(
    redis: Redis, embedded: EmbeddedRedis
) -> None:
    from ballot.store import VoteStore
    from cli import demo
    from engine.channels import ChannelLog

    rows = await demo.seed(embedded.url, "http://127.0.0.1:8000")
    roles = {
        "panelist",
        "moderator",
        "host",
        "ops",
        "observer",
        "clerk",
        "captioner",
        "facilitator",
        "themer",
    }
    assert {r[2] for r in rows} == roles
    assert all(r[3].startswith("http://127.0.0.1:8000/#t=") for r in rows)
    store = VoteStore(ChannelLog(redis))
    assert (await store.status(demo.DEMO_VOTE)).value == "open"
    assert len((await store.definition(demo.DEMO_VOTE)).proposals) == 4  # issue 14: from the shortlists
    await demo.seed(embedded.url, "http://127.0.0.1:8000")  # a second run keeps everything
    assert (await store.status(demo.DEMO_VOTE)).value == "open"


ROSTER = (
    "participant_id,name,role,gender,age_band,district,meetings\n"
    "p1,김민준,panelist,male,30-39,마포구,town;health\nh1,Host,host,,,,\n"
)


def test_roster_list_shows_ids_roles_meetings_and_no_tokens(tmp_path: Path) -> None:
    data, roster, links = tmp_path / "d", tmp_path / "roster.csv", tmp_path / "links.csv"
    roster.write_text(ROSTER, encoding="utf-8")
    plenary("roster", "import", str(roster), "--data-dir", str(data))
    plenary(
        "links",
        "--participant",
        "h1",
        "--base-url",
        "http://h:1",
        "--out",
        str(links),
        "--data-dir",
        str(data),
    )
    token = next(csv.DictReader(links.open(encoding="utf-8")))["link"].split("#t=")[1]
    out = plenary("roster", "list", "--data-dir", str(data))
    lines = {ln.split()[0]: ln.split() for ln in out.stdout.splitlines()[1:]}
    assert lines["p1"][:4] == ["p1", "panelist", "no", "town;health"] and "김민준" in lines["p1"]
    assert lines["h1"][:4] == ["h1", "host", "yes", "all"]
    assert token not in out.stdout + out.stderr and "#t=" not in out.stdout
    out = plenary("roster", "list", "--role", "host", "--data-dir", str(data))
    assert "h1" in out.stdout and "p1" not in out.stdout


def test_links_use_the_hubs_url_and_name_whom_they_revoke_before_they_do(tmp_path: Path) -> None:
    data, roster, links = tmp_path / "d", tmp_path / "roster.csv", tmp_path / "links.csv"
    roster.write_text(ROSTER, encoding="utf-8")
    # no hub has run and no --base-url: stop before storing anything
    out = plenary(
        "roster", "import", str(roster), "--links-out", str(links), "--data-dir", str(data), check=False
    )
    assert out.returncode == 2 and "no_base_url" in out.stderr and "--base-url" in out.stderr
    assert "imported" not in out.stdout and not links.exists()
    assert "p1" not in plenary("roster", "list", "--data-dir", str(data)).stdout

    hub = HubProcess("", "--public-url", "https://plenary.example.org/", data_dir=data).wait_ready()
    try:
        out = plenary("roster", "import", str(roster), "--links-out", str(links), "--data-dir", str(data))
        assert "imported 2 participants (2 new)" in out.stdout
        old = {r["participant_id"]: r["link"] for r in csv.DictReader(links.open(encoding="utf-8"))}
        assert old["p1"].startswith("https://plenary.example.org/#t=")  # the hub's URL, not a guess

        # not a terminal and no --yes: it says whom, refuses, and revokes no one
        out = plenary("links", "--role", "panelist", "--data-dir", str(data), check=False)
        assert out.returncode == 2 and "not_confirmed" in out.stderr and "--yes" in out.stderr
        assert "p1" in out.stderr and "김민준" in out.stderr and "1 panelist" in out.stderr
        assert "#t=" not in out.stdout

        async def hello(token: str) -> None:
            async with connect(hub.ws_url, token) as c:
                assert c.welcome["participant"] == "p1"

        asyncio.run(hello(old["p1"].split("#t=")[1]))  # still valid

        out = plenary("links", "--role", "panelist", "--yes", "--data-dir", str(data))
        assert "https://plenary.example.org" in out.stderr and "p1" in out.stderr
        assert out.stderr.index("revokes the current links of 1") < out.stderr.index("1 links issued")
        new = out.stdout.split()[-1]
        assert new.startswith("https://plenary.example.org/#t=")
        asyncio.run(hello(new.split("#t=")[1]))
        out = plenary(
            "links",
            "--base-url",
            "http://127.0.0.1:9",
            "--role",
            "panelist",
            "--yes",
            "--data-dir",
            str(data),
        )
        assert out.stdout.split()[-1].startswith("http://127.0.0.1:9/#t=")  # --base-url still wins
    finally:
        hub.stop()
