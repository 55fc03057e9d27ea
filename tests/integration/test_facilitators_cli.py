"""``plenary tables facilitators SESSION FILE`` on the embedded Redis (issue 15): each table gets
its facilitator; a bad file (an unknown table, someone who is not a facilitator, a malformed row)
stores nothing and exits 2 with a stable code."""

from __future__ import annotations

from pathlib import Path

from redis.asyncio import Redis

from engine.roles import Role
from panel.roster import Participant
from tables import live, seating_store
from tables.model import Seating
from tests.integration.test_cli import plenary
from tests.support import seed

FACS = [Participant(id=f"f{i}", name=f"진행 {i}", role=Role.FACILITATOR, meetings=["m1"]) for i in (1, 2)]


async def test_facilitators_from_a_file(redis: Redis, redis_url: str, tmp_path: Path) -> None:
    await seed(redis, FACS)
    await seating_store.save_seating(redis, Seating(session="m1", seed=1, tables=(("p1",), ("p2",))))
    url = ("--redis-url", redis_url)
    bad = {
        "no_such_table": "table,participant\n1,f1\n3,f2\n",
        "not_a_facilitator": "table,participant\n1,f1\n2,p2\n",
        "bad_field": "table,participant\n1,f1\n1,f2\n",
    }
    for code, text in bad.items():
        path = tmp_path / f"{code}.csv"
        path.write_text(text, encoding="utf-8")
        out = plenary("tables", "facilitators", "m1", str(path), *url, check=False)
        assert out.returncode == 2 and code in out.stderr, (code, out.stderr)
        assert await live.facilitators(redis, "m1") == {}  # nothing stored
    good = tmp_path / "facilitators.csv"
    good.write_text("table,participant\n1,f2\n2,f1\n", encoding="utf-8")
    out = plenary("tables", "facilitators", "m1", str(good), *url)
    assert "2 facilitator(s) assigned for m1" in out.stdout
    assert await live.facilitators(redis, "m1") == {1: "f2", 2: "f1"}
