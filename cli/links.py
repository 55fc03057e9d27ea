"""Personal links on the command line: their base URL, issuing them, and saying whom that revokes.

A link is ``<base>/#t=<token>``. Only the token's hash is stored, so a link exists in clear only
when it is issued, and issuing one revokes the participant's earlier link: every command that
issues links names whom it will revoke and asks first (``confirm_revoke``).

The base URL is the address people open. A hub announces its own (``--public-url``, else
``http://HOST:PORT``) in Redis when it starts (``announce_base_url``), and ``base_url_for`` uses
it when no ``--base-url`` is given; with neither, the command stops (``NO_BASE_URL``) rather than
print links to a guessed address.
"""

from __future__ import annotations

import csv
import io
import logging
import sys
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from redis.asyncio import Redis

from engine import connection, keys, private
from engine.errors import Code, HubError
from panel.roster import Participant, Roster

log = logging.getLogger("plenary.cli")

LinkRow = tuple[str, str, str, str]  # participant id, name, role, link
HEADER = ("participant_id", "name", "role", "link")


def link(base: str, token: str) -> str:
    # The token travels in the fragment: browsers never send it to a server, so no access log,
    # proxy or Referer header ever holds it.
    return f"{base.rstrip('/')}/#t={token}"


def token_of(url: str) -> str:
    """The token of a link (empty if it has none)."""
    return url.partition("#t=")[2]


# -- the base URL --------------------------------------------------------------------------------
def announce_base_url(redis_url: str, base_url: str) -> None:
    """Record the hub's base URL for ``plenary links`` (synchronous: called before uvicorn runs).

    Best effort: a Redis that does not answer yet must not stop a hub from starting (it reports
    itself unready until Redis answers), so a failure is logged, not raised."""
    import redis

    try:
        with connection.sync_client(redis_url) as r:
            r.set(keys.PUBLIC_URL, base_url.rstrip("/"))
    except redis.RedisError as exc:
        log.warning("could not record the base URL for `plenary links`", extra={"error": str(exc)})


async def base_url_for(redis: Redis, given: str | None) -> str:
    """``given`` if set, else the URL a hub announced; raises ``NO_BASE_URL`` when there is neither."""
    if given:
        return given.rstrip("/")
    stored = await redis.get(keys.PUBLIC_URL)
    if stored:
        return connection.text(stored)
    raise HubError(
        Code.NO_BASE_URL,
        "no base URL for the links: no hub has run on this Redis yet. Pass --base-url "
        "(the address people open, e.g. https://plenary.example.org)",
    )


# -- whom it revokes -----------------------------------------------------------------------------
def describe_revocation(people: list[Participant], shown: int = 10) -> str:
    """One paragraph naming whose current links stop working: ids, names and roles of the first
    ``shown``, and a count by role for all."""
    holders = [p for p in people if p.token_hash]
    if not holders:
        return f"None of these {len(people)} participant(s) holds a link: nothing is revoked."
    by_role = ", ".join(f"{n} {role}" for role, n in sorted(Counter(p.role for p in holders).items()))
    names = "\n".join(f"  {p.id:<14} {p.name:<16} {p.role}" for p in holders[:shown])
    more = f"\n  ... and {len(holders) - shown} more" if len(holders) > shown else ""
    return (
        f"This revokes the current links of {len(holders)} participant(s) ({by_role}); "
        f"their open pages close:\n{names}{more}"
    )


def confirm_revoke(
    people: list[Participant],
    yes: bool,
    ask: Callable[[str], str] = input,
    interactive: bool | None = None,
) -> None:
    """Say whose links stop working (on stderr) and go on only with ``--yes`` or a ``y`` at the
    prompt; when nobody selected holds a link there is nothing to revoke and nothing to ask.

    Raises ``NOT_CONFIRMED`` otherwise. Without a terminal there is nobody to ask, so a script must
    say ``--yes``: revoking people's links is never a silent default."""
    print(describe_revocation(people), file=sys.stderr)
    if yes or not any(p.token_hash for p in people):
        return
    if not (sys.stdin.isatty() if interactive is None else interactive):
        raise HubError(Code.NOT_CONFIRMED, "not confirmed: pass --yes to revoke them without a prompt")
    if ask("Go on? [y/N] ").strip().lower() not in ("y", "yes"):
        raise HubError(Code.NOT_CONFIRMED, "not confirmed: nothing changed")


# -- issuing and saving ----------------------------------------------------------------------------
async def select(redis: Redis, ids: list[str] | None = None, role: str | None = None) -> list[Participant]:
    """The roster, narrowed to ``ids`` and ``role`` when given (unknown ids raise)."""
    people = await Roster(redis).all()
    if ids:
        known = {p.id for p in people}
        unknown = [i for i in ids if i not in known]
        if unknown:
            raise HubError(Code.UNKNOWN_PARTICIPANT, f"not in the roster: {', '.join(unknown[:10])}")
        wanted = set(ids)
        people = [p for p in people if p.id in wanted]
    if role:
        people = [p for p in people if p.role == role]
    return people


async def issue_links(redis: Redis, base: str, people: list[Participant]) -> list[LinkRow]:
    """Fresh links for ``people``, revoking their earlier ones (confirm first: ``confirm_revoke``)."""
    tokens = await Roster(redis).issue_tokens([p.id for p in people])
    return [(p.id, p.name, p.role, link(base, tokens[p.id])) for p in people]


def save_links_csv(rows: list[LinkRow], out: Path) -> None:
    """Write the links as a CSV that only its owner can read, from the first byte
    (``engine.private.write_private``: created 0600, then renamed into place)."""
    buf = io.StringIO(newline="")
    w = csv.writer(buf)
    w.writerow(HEADER)
    w.writerows(rows)
    private.write_private(out, buf.getvalue())


def read_links_csv(path: Path) -> dict[str, str]:
    """participant id -> token, from a CSV ``save_links_csv`` wrote (empty if there is none)."""
    try:
        with path.open(newline="", encoding="utf-8") as fh:
            return {
                r["participant_id"]: token_of(r["link"])
                for r in csv.DictReader(fh)
                if r.get("participant_id") and r.get("link")
            }
    except FileNotFoundError:
        return {}


def write_links(rows: list[LinkRow], out: Path | None) -> None:
    """Print the links, or save them to ``out`` and say so."""
    if out is None:
        for pid, name, role, url in rows:
            print(f"{role:<10} {pid:<14} {name:<16} {url}")
        return
    save_links_csv(rows, out)
    print(f"wrote {len(rows)} links to {out} (keep it private: each link opens one participant's seat)")
