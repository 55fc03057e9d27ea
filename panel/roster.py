"""The roster: who takes part, in which role, with which strata, and their personal access tokens.

A roster CSV has the columns ``participant_id, name, role, gender, age_band, district, meetings``
(``meetings``: meeting ids separated by ``;``, or ``*``/empty for every meeting). The whole file is
validated before anything is written, and it is written in one Redis transaction: a bad row names
itself and nothing is stored half-way.

Tokens: each participant's personal link holds a random token (192 bits). Only its SHA-256 is
stored (a fast hash is enough for a random 192-bit secret: there is nothing to brute-force), so a
link can be shown only when it is issued; ``issue_tokens`` issues fresh ones and revokes the old.
"""

from __future__ import annotations

import csv
import hashlib
import io
import secrets
from collections.abc import Iterable
from pathlib import Path

import msgspec
from redis.asyncio import Redis

from engine import connection, keys, roles
from engine.errors import Code, HubError
from engine.pubsub import publish_command
from engine.roles import Role
from engine.scripts import Scripts
from panel.strata import parse_value

REQUIRED_COLUMNS = ("participant_id", "name", "role")
OPTIONAL_COLUMNS = ("gender", "age_band", "district", "meetings")
ALL_MEETINGS = "*"


class Participant(msgspec.Struct, kw_only=True):
    id: str
    name: str
    role: Role
    gender: str = ""
    age_band: str = ""
    district: str = ""
    meetings: list[str] = msgspec.field(default_factory=lambda: [ALL_MEETINGS])
    token_hash: str = ""  # SHA-256 of the current token; never the token itself

    def in_meeting(self, meeting_id: str) -> bool:
        return (
            self.role in roles.IN_EVERY_MEETING
            or ALL_MEETINGS in self.meetings
            or meeting_id in self.meetings
        )


class Control(msgspec.Struct, kw_only=True):
    """A hub-to-hub control message on ``keys.CONTROL``."""

    kind: str  # "revoked": close this participant's connections
    participant: str


_enc = msgspec.msgpack.Encoder()
_dec = msgspec.msgpack.Decoder(Participant)
_ctl = msgspec.msgpack.Encoder()


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> str:
    return secrets.token_urlsafe(24)


def parse_roster(text: str, *, validate_strata: bool = True) -> list[Participant]:
    """Parse and validate a whole roster; raise one ``PanelError`` listing every bad row."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    header = [h.strip() for h in (reader.fieldnames or [])]
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        raise HubError(
            Code.BAD_ROSTER, f"missing column(s): {', '.join(missing)} (have: {', '.join(header)})"
        )
    problems: list[str] = []
    seen: dict[str, int] = {}
    out: list[Participant] = []
    for lineno, raw in enumerate(reader, start=2):
        row = {(k or "").strip(): (v or "").strip() for k, v in raw.items() if k is not None}
        pid, name, role = row.get("participant_id", ""), row.get("name", ""), row.get("role", "").lower()
        errs = []
        if not keys.ID_RE.match(pid):
            errs.append(f"participant_id {pid!r} must be 1-64 characters of A-Z a-z 0-9 _ . -")
        elif pid in seen:
            errs.append(f"participant_id {pid!r} repeats row {seen[pid]}")
        if not name:
            errs.append("name is empty")
        if role not in roles.ALL:
            errs.append(f"role {role!r} is not one of {', '.join(Role)}")
        strata = {f: row.get(f, "") for f in ("gender", "age_band", "district")}
        if validate_strata:
            for feature, value in strata.items():
                if value:
                    try:
                        strata[feature] = parse_value(feature, value)
                    except ValueError as exc:
                        errs.append(str(exc))
        meetings_raw = row.get("meetings", "")
        meetings = [m.strip() for m in meetings_raw.split(";") if m.strip()] or [ALL_MEETINGS]
        for m in meetings:
            if m != ALL_MEETINGS and not keys.ID_RE.match(m):
                errs.append(f"meeting id {m!r} is not valid")
        if errs:
            problems.append(f"row {lineno}: " + "; ".join(errs))
            continue
        seen[pid] = lineno
        out.append(
            Participant(
                id=pid,
                name=name,
                role=Role(role),
                gender=strata["gender"],
                age_band=strata["age_band"],
                district=strata["district"],
                meetings=meetings,
            )
        )
    if problems:
        shown = problems[:20] + ([f"... and {len(problems) - 20} more"] if len(problems) > 20 else [])
        raise HubError(Code.BAD_ROSTER, "roster rejected, nothing imported:\n" + "\n".join(shown))
    return out


def read_roster(path: str | Path) -> list[Participant]:
    return parse_roster(Path(path).read_text(encoding="utf-8"))


class Roster:
    """Participants and tokens in Redis."""

    def __init__(self, redis: Redis) -> None:
        self.redis = redis
        self.scripts = Scripts(redis)

    async def get(self, participant_id: str) -> Participant | None:
        raw = await self.redis.get(keys.participant(participant_id))
        return _dec.decode(connection.raw(raw)) if raw else None

    async def all(self) -> list[Participant]:
        ids = sorted(connection.text(x) for x in await self.redis.smembers(keys.ROSTER))
        if not ids:
            return []
        raws = await self.redis.mget([keys.participant(i) for i in ids])
        return [_dec.decode(connection.raw(r)) for r in raws if r]

    async def authenticate(self, token: str) -> Participant | None:
        """The participant whose current token this is, or None (unknown, revoked or rotated).

        One round trip (``lua/authenticate.lua``: the token's key, then the record it names), read
        from Redis on every call and never cached: a revoked or rotated link is refused by the very
        next ``hello`` on any hub, with no cache to invalidate (docs/architecture.md "Security
        defaults"; the hubs close the link's open connections on the control message)."""
        token_hash = hash_token(token)
        raw = await self.scripts.call(
            "panel", "authenticate", [keys.token(token_hash)], [keys.participant("")]
        )
        if not raw:
            return None
        p = _dec.decode(connection.raw(raw))
        # a revoked token's key is deleted with the rotation; the hash check guards against a race
        return p if p.token_hash == token_hash else None

    async def upsert(self, participants: Iterable[Participant]) -> list[str]:
        """Store participants (existing ones keep their token). Returns the ids that are new."""
        plist = list(participants)
        existing = await self.redis.mget([keys.participant(p.id) for p in plist]) if plist else []
        new: list[str] = []
        async with self.redis.pipeline(transaction=True) as pipe:
            for p, old in zip(plist, existing, strict=True):
                if old:
                    p.token_hash = _dec.decode(connection.raw(old)).token_hash
                else:
                    new.append(p.id)
                pipe.set(keys.participant(p.id), _enc.encode(p))
                pipe.sadd(keys.ROSTER, p.id)
            await pipe.execute()
        return new

    async def issue_tokens(self, participant_ids: Iterable[str]) -> dict[str, str]:
        """Issue a fresh token to each participant, revoking the previous one. Returns id -> token:
        the only moment the token exists outside the participant's link."""
        ids = list(participant_ids)
        people = [await self.get(i) for i in ids]
        unknown = [i for i, p in zip(ids, people, strict=True) if p is None]
        if unknown:
            raise HubError(Code.UNKNOWN_PARTICIPANT, f"not in the roster: {', '.join(unknown[:10])}")
        tokens: dict[str, str] = {}
        publish = await publish_command(self.redis)  # SPUBLISH on Redis 7: the feed's way (engine.pubsub)
        async with self.redis.pipeline(transaction=True) as pipe:
            for p in people:
                assert p is not None
                if p.token_hash:
                    pipe.delete(keys.token(p.token_hash))
                tok = new_token()
                p.token_hash = hash_token(tok)
                pipe.set(keys.participant(p.id), _enc.encode(p))
                pipe.set(keys.token(p.token_hash), p.id)
                pipe.execute_command(
                    publish, keys.CONTROL, _ctl.encode(Control(kind="revoked", participant=p.id))
                )
                tokens[p.id] = tok
            await pipe.execute()
        return tokens

    async def revoke(self, participant_id: str) -> None:
        """Revoke the participant's link; every hub closes their open connections (code 4012)."""
        p = await self.get(participant_id)
        if p is None:
            raise HubError(Code.UNKNOWN_PARTICIPANT, f"not in the roster: {participant_id}")
        publish = await publish_command(self.redis)
        async with self.redis.pipeline(transaction=True) as pipe:
            if p.token_hash:
                pipe.delete(keys.token(p.token_hash))
            p.token_hash = ""
            pipe.set(keys.participant(p.id), _enc.encode(p))
            pipe.execute_command(
                publish, keys.CONTROL, _ctl.encode(Control(kind="revoked", participant=p.id))
            )
            await pipe.execute()
