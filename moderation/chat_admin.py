"""The moderators' side of meeting chat: delete a message, mute or ban a participant, slow mode and
the link policy, and panelists' reports.

Every effect is stored in Redis and published on the meeting's chat channel in one atomic step, so
it reaches every hub process (through pub/sub) and every later check (``lua/chat_send.lua`` reads
the same keys) at once:

- ``chat.deleted {offset, by, reason}``: clients hide that message. In the same step its entry in
  the history and the archive becomes a tombstone (``chat.removed``: same offset, no text, no
  author), so no later subscriber, recovering client or record reader gets the text: a phone
  number posted by mistake is gone for everyone. The moderators' audit record (``deleted`` hash:
  who, when, why, and the message) keeps it; only staff read it.
- ``chat.muted {participant, until}``, ``chat.banned {participant}``, ``chat.unmuted {participant}``.
  In the same step the meeting's list of restricted participants (``restricted`` hash: who
  restricted them, when) gains or loses them, so :func:`restrictions` can tell a moderator's console
  every restriction in force after a reload, whatever the backlog holds.
- ``chat.settings {slow_mode, links}``: stored in the chat channel's state fields.

Staff reads (:func:`console_view`: :func:`restrictions`, :func:`deleted_messages`) are what the moderators' console loads
on every (re)connect (``chat.moderation``): its chat backlog holds neither moderation events nor
deleted text.

Reports go to the moderators' desk (``meeting/<id>/staff``), never to the chat channel: one field
per reported message, ``report:<offset>``, with everyone who reported it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Final

import msgspec

from engine import keys, roles
from engine.channels import ChannelLog, Published, StoredEvent, encode_data
from engine.connection import raw, text
from engine.errors import Code, HubError
from moderation import chat, filters
from moderation.state import Change, State, StateChannel

MAX_MUTE_MINUTES: Final = 24 * 60
MAX_SLOW_MODE: Final = 600  # seconds
REPORT_REASONS: Final = ("abuse", "spam", "off_topic", "personal_info", "other")


@dataclass(frozen=True)
class Actor:
    id: str
    name: str
    role: str

    def public(self) -> dict[str, str]:
        return {"id": self.id, "name": self.name, "role": self.role}


def _published(res: Any) -> Published:
    return Published(int(res[0]), text(res[1]), int(res[2]))


async def delete(
    log: ChannelLog, meeting_id: str, offset: int, by: Actor, reason: str = ""
) -> tuple[Published | None, dict[str, Any]]:
    """Remove the message at ``offset`` for everyone, on every hub: its text leaves the history and
    the archive (a tombstone takes its place) and the audit record keeps it, in one step. Returns
    (the ``chat.deleted`` event, or None if it was deleted already; the message as it was).
    ``UNKNOWN_MESSAGE`` if no message has that offset."""
    channel = keys.meeting_chat(meeting_id)
    now = int(time.time() * 1000)
    audit = {"by": by.public(), "at": now, "reason": reason}
    data = {"offset": offset, "by": by.public(), "reason": reason}
    res = await log.write(
        "moderation",
        "chat_delete",
        channel,
        keys=[keys.channel_key(channel, "deleted")],
        args=[
            "chat.deleted",
            encode_data(data),
            offset,
            encode_data(audit),
            chat.EVENT,
            chat.REMOVED,
            encode_data({}),
        ],
    )
    if int(res[0]) < 0:
        raise HubError(Code.UNKNOWN_MESSAGE, f"no chat message at offset {offset}")
    if int(res[0]) == 0:
        return None, _as_dict(msgspec.msgpack.decode(raw(res[1])))
    return _published(res), _as_dict(msgspec.msgpack.decode(raw(res[3])))


async def delete_message(
    log: ChannelLog, meeting_id: str, offset: int, by: Actor, reason: str = ""
) -> dict[str, Any]:
    """``chat.delete``: the message goes for everyone (:func:`delete`), then the open report about it,
    if any, is closed as ``deleted`` on the moderators' desk. The desk is another slot, so that is a
    second step; the deletion stands on its own, and no open report is not an error."""
    pub, _message = await delete(log, meeting_id, offset, by, reason)
    try:
        await close_report(log, meeting_id, offset, "deleted", by)
    except HubError as err:
        if err.code is not Code.UNKNOWN_MESSAGE:  # no open report about it: nothing to close
            raise
    return {"offset": offset, "deleted": True, "changed": pub is not None}


def _as_dict(value: Any) -> dict[str, Any]:
    # Lua's MessagePack writes an empty table as an array.
    return dict(value) if isinstance(value, dict) else {}


def check_target(kind: str, target_role: str | None, target_id: str, by: Actor) -> None:
    """Moderators mute and ban panelists (and observers); never themselves, other moderators or hosts
    (``FORBIDDEN``), nor someone not on the roster (``UNKNOWN_PARTICIPANT``). Lifting (``kind`` is
    ``lift``) is always allowed: it only frees someone, whoever they are now."""
    if kind == "lift":
        return
    if target_role is None:
        raise HubError(Code.UNKNOWN_PARTICIPANT, f"no participant {target_id[:64]!r}")
    if target_role in roles.MODERATORS or target_id == by.id:
        raise HubError(Code.FORBIDDEN, f"a {target_role} cannot be muted or banned")


async def restrict(
    log: ChannelLog,
    meeting_id: str,
    participant_id: str,
    kind: str,
    minutes: int = 0,
    by: Actor | None = None,
    name: str = "",
) -> Published | None:
    """``kind``: ``mute`` (for ``minutes``), ``ban`` (until lifted) or ``lift``. Returns the event, or
    None for a ``lift`` with nothing to lift. ``by`` (the moderator) and ``name`` (the participant's)
    go into the meeting's list of restricted participants for :func:`restrictions`, not into the
    event: every member of the meeting receives the event."""
    channel = keys.meeting_chat(meeting_id)
    if kind == "mute" and not 1 <= minutes <= MAX_MUTE_MINUTES:
        raise HubError(Code.BAD_FIELD, f"minutes: 1 to {MAX_MUTE_MINUTES}")
    ms = minutes * 60_000
    now = int(time.time() * 1000)
    etype, data = {
        "mute": ("chat.muted", {"participant": participant_id, "until": now + ms}),
        "ban": ("chat.banned", {"participant": participant_id}),
        "lift": ("chat.unmuted", {"participant": participant_id}),
    }[kind]
    listed = {"name": name or participant_id, "by": by.public() if by else {}, "at": now}
    res = await log.write(
        "moderation",
        "chat_restrict",
        channel,
        keys=[chat.restriction_key(meeting_id, participant_id), restricted_key(meeting_id)],
        args=[etype, encode_data(data), kind, ms or 1, participant_id, encode_data(listed)],
    )
    return None if int(res[0]) == 0 else _published(res)


def restricted_key(meeting_id: str) -> str:
    """The meeting's list of restricted participants: which restriction keys to read, with who set
    them. Whether a restriction holds is its own key alone (:func:`chat.restriction_key`)."""
    return keys.channel_key(keys.meeting_chat(meeting_id), "restricted")


def standing(kind: str, ttl_ms: int) -> dict[str, Any]:
    """A participant's standing from their restriction key's value and PTTL, as ``chat_send.lua``
    judges it: ``ban`` holds until lifted, ``mute`` while the key lives, anything else is none."""
    return {"muted_ms": ttl_ms if kind == "mute" and ttl_ms > 0 else 0, "banned": kind == "ban"}


async def restriction(log: ChannelLog, meeting_id: str, participant_id: str) -> dict[str, Any]:
    """A participant's standing in a meeting's chat: ``{"muted_ms": ms left or 0, "banned": bool}``."""
    key = chat.restriction_key(meeting_id, participant_id)
    async with log.redis.pipeline(transaction=True) as pipe:
        pipe.get(key)
        pipe.pttl(key)
        kind, ttl = await pipe.execute()
    return standing(text(kind) if kind else "", int(ttl))


async def restrictions(log: ChannelLog, meeting_id: str) -> list[dict[str, Any]]:
    """Every restriction in force in a meeting's chat (staff only), oldest first:
    ``{"participant", "name", "kind": "mute" | "ban", "until" (ms, 0 for a ban), "muted_ms", "by",
    "at"}``. Read from the keys ``chat_send.lua`` enforces, so a mute that ran out or was lifted is
    not listed, whatever the list of restricted participants still names."""
    listed = {
        text(k): _as_dict(msgspec.msgpack.decode(raw(v)))
        for k, v in (await log.redis.hgetall(restricted_key(meeting_id))).items()
    }
    if not listed:
        return []
    ids = sorted(listed)
    # Redis' clock, read just before (TIME has no key: a Redis Cluster transaction cannot carry it);
    # a round trip apart, which an ``until`` in ms shown to moderators does not notice.
    secs, micros = await log.redis.time()
    now = int(secs) * 1000 + int(micros) // 1000
    async with log.redis.pipeline(transaction=True) as pipe:
        for pid in ids:
            key = chat.restriction_key(meeting_id, pid)
            pipe.get(key)
            pipe.pttl(key)
        replies = await pipe.execute()
    out = []
    for i, pid in enumerate(ids):
        kind = text(replies[2 * i]) if replies[2 * i] else ""
        held = standing(kind, int(replies[2 * i + 1]))
        if not held["banned"] and not held["muted_ms"]:
            continue
        rec = listed[pid]
        until = now + held["muted_ms"] if held["muted_ms"] else 0
        out.append(
            {
                "participant": pid,
                "name": str(rec.get("name") or pid),
                "kind": "ban" if held["banned"] else "mute",
                "until": until,
                "muted_ms": held["muted_ms"],
                "by": _as_dict(rec.get("by")),
                "at": int(rec.get("at") or 0),
            }
        )
    out.sort(key=lambda r: (r["at"], r["participant"]))
    return out


def configure_rule(slow_mode: int | None, links: str | None) -> Any:
    """The rule for ``chat.settings``: change slow mode (seconds, 0 = off) and/or the link policy."""
    if slow_mode is not None and not 0 <= slow_mode <= MAX_SLOW_MODE:
        raise HubError(Code.BAD_FIELD, f"slow_mode: 0 to {MAX_SLOW_MODE} seconds")
    if links is not None and links not in set(filters.LinkPolicy):
        raise HubError(Code.BAD_FIELD, f"links: one of {', '.join(filters.LinkPolicy)}")

    def rule(state: State) -> Change:
        slow, policy = chat.settings_of(state.values)
        slow = slow if slow_mode is None else slow_mode
        policy = policy if links is None else filters.LinkPolicy(links)
        settings = {"slow_mode": slow, "links": str(policy)}
        return Change(
            "chat.settings", settings, sets=settings, guards=("slow_mode", "links"), result=settings
        )

    return rule


async def configure(log: ChannelLog, meeting_id: str, slow_mode: int | None, links: str | None) -> Any:
    committed = await StateChannel(log, keys.meeting_chat(meeting_id)).update(
        configure_rule(slow_mode, links)
    )
    return {**committed.result, "offset": committed.offset}


async def message_at(log: ChannelLog, meeting_id: str, offset: int) -> dict[str, Any]:
    """The chat message at ``offset`` (from the archive); ``UNKNOWN_MESSAGE`` if there is none."""
    archive = keys.channel_keys(keys.meeting_chat(meeting_id)).log
    # The archive is bounded (engine.channels.SPECS): once full its oldest events are trimmed, so
    # the index of an offset counts from the first event still there.
    first = await log.redis.lindex(archive, 0)
    entry = None
    if first is not None and offset >= 1:
        index = offset - int(msgspec.msgpack.decode(raw(first))[0])
        entry = await log.redis.lindex(archive, index) if index >= 0 else None
    if entry is not None:
        ev = msgspec.msgpack.decode(raw(entry))
        if ev[0] == offset and ev[2] == chat.EVENT:
            return dict(ev[3])
    raise HubError(Code.UNKNOWN_MESSAGE, f"no chat message at offset {offset}")


def report_rule(offset: int, message: dict[str, Any], reporter: Actor, reason: str, note: str) -> Any:
    """Add a report to the desk's field ``report:<offset>`` (one per message, every reporter once)."""
    if reason not in REPORT_REASONS:
        raise HubError(Code.BAD_FIELD, f"reason: one of {', '.join(REPORT_REASONS)}")
    field = f"report:{offset}"

    def rule(state: State) -> Change:
        rec = state.get(field) or {
            "offset": offset,
            "text": message.get("text", ""),
            "author": message.get("author", {}),
            "reports": [],
        }
        if any(r["by"] == reporter.id for r in rec["reports"]):
            return Change("", None, result=rec)  # reported already: nothing changes
        rec = {**rec, "reports": [*rec["reports"], {"by": reporter.id, "reason": reason, "note": note}]}
        return Change("chat.reported", {"report": rec}, sets={field: rec}, guards=(field,), result=rec)

    return rule


async def report(
    log: ChannelLog, meeting_id: str, offset: int, reporter: Actor, reason: str, note: str = ""
) -> dict[str, Any]:
    message = await message_at(log, meeting_id, offset)
    committed = await StateChannel(log, keys.meeting_staff(meeting_id)).update(
        report_rule(offset, message, reporter, reason, note[:300])
    )
    return {"offset": offset, "reports": len(committed.result["reports"])}


def close_report_rule(offset: int, outcome: str, by: Actor) -> Any:
    field = f"report:{offset}"

    def rule(state: State) -> Change:
        if field not in state.values:
            raise HubError(Code.UNKNOWN_MESSAGE, f"no open report about the message at offset {offset}")
        data = {"offset": offset, "outcome": outcome, "by": by.public()}
        return Change("chat.report_closed", data, deletes=(field,), guards=(field,), result=data)

    return rule


async def close_report(log: ChannelLog, meeting_id: str, offset: int, outcome: str, by: Actor) -> Any:
    committed = await StateChannel(log, keys.meeting_staff(meeting_id)).update(
        close_report_rule(offset, outcome, by)
    )
    return committed.result


async def deleted(log: ChannelLog, meeting_id: str) -> dict[int, Any]:
    """The audit of deletions (staff only): offset -> {by, at, reason, message}. ``message`` (the
    text and author as posted) is the only copy left once a message is deleted."""
    flat = await log.redis.hgetall(keys.channel_key(keys.meeting_chat(meeting_id), "deleted"))
    return {int(text(k)): msgspec.msgpack.decode(raw(v)) for k, v in flat.items()}


DELETED_PAGE: Final = 100
DELETED_BUDGET: Final = 48 * 1024
"""One ``chat.moderation`` reply carries at most this many deleted messages and about this many
bytes of them, so it stays within the 64 KiB frame budget the hub keeps to (a message is up to 500
characters: 100 of them in Korean would be ~150 KB). Older ones come with ``before``."""


async def deleted_messages(
    log: ChannelLog,
    meeting_id: str,
    before: int | None = None,
    limit: int = DELETED_PAGE,
    budget: int = DELETED_BUDGET,
) -> tuple[list[dict[str, Any]], bool]:
    """One page of a meeting's deleted messages (staff only): the newest below offset ``before``
    (all when None), at most ``limit`` of them and about ``budget`` bytes (at least one), in offset
    order, and whether older ones remain. Each is ``{"offset", "text", "author", ("masked"),
    "deleted": {"by", "at", "reason"}}``, the shape of a deleted message in the staff chat record
    (:func:`record`), from the audit: the only copy of the text."""
    audit = await deleted(log, meeting_id)
    offsets = sorted((o for o in audit if before is None or o < before), reverse=True)
    page: list[dict[str, Any]] = []
    size = 0
    for offset in offsets[: max(limit, 1)]:
        entry = _as_dict(audit[offset])
        message = _as_dict(entry.pop("message", {}))
        item = {"offset": offset, **message, "deleted": entry}
        size += len(msgspec.json.encode(item))
        if page and size > budget:
            break
        page.append(item)
    page.reverse()
    return page, len(page) < len(offsets)


async def console_view(log: ChannelLog, meeting_id: str, before: int | None = None) -> dict[str, Any]:
    """What the moderators' console loads on every (re)connect (``chat.moderation``, staff only): the
    restrictions in force and a page of deleted messages (``older``: older ones remain; ask again
    with ``before`` the oldest offset given)."""
    deleted_page, more = await deleted_messages(log, meeting_id, before)
    return {"restrictions": await restrictions(log, meeting_id), "deleted": deleted_page, "older": more}


PAGE_DEFAULT: Final = 100
PAGE_MAX: Final = 500
"""Messages per page of the HTTP chat record: the archive keeps up to 200,000 events, far too
many for one answer (and for a phone to parse)."""


def check_page(before: int | None, limit: int) -> None:
    """The page rule: ``before`` a positive offset (or None: from the newest), ``limit`` 1 to
    ``PAGE_MAX``; otherwise ``BAD_FIELD``."""
    if before is not None and before < 1:
        raise HubError(Code.BAD_FIELD, "before: an offset of 1 or more")
    if not 1 <= limit <= PAGE_MAX:
        raise HubError(Code.BAD_FIELD, f"limit: 1 to {PAGE_MAX} messages")


async def chat_page(
    log: ChannelLog, meeting_id: str, staff: bool, before: int | None = None, limit: int = PAGE_DEFAULT
) -> tuple[list[dict[str, Any]], int | None]:
    """One page of a meeting's chat record, newest first: the last ``limit`` messages with an
    offset below ``before`` (the newest ones when None), shown as :func:`record` shows them.
    Returns the messages and the ``before`` of the next (older) page, None once the page reached
    the start of the archive. A page holds at most ``limit`` messages (fewer for panelists when
    some were deleted: they are left out, not replaced). Reads only the part of the archive the page needs: the archive holds
    one entry per offset, so an offset's index counts from the first entry still there (as in
    :func:`message_at`); entries outside ``before`` are skipped anyway, should a trim move them."""
    check_page(before, limit)
    channel = keys.meeting_chat(meeting_id)
    archive = keys.channel_keys(channel).log
    first = await log.redis.lindex(archive, 0)
    if first is None:
        return [], None
    oldest = int(msgspec.msgpack.decode(raw(first))[0])
    top = int(await log.redis.llen(archive)) - 1
    if before is not None:
        top = min(top, before - 1 - oldest)
    bound = before if before is not None else 2**63
    chunk = max(2 * limit, 64)  # a page's messages, and room for the moderation events among them
    page: list[StoredEvent] = []
    gone: dict[int, Any] = {}  # offset -> deletion, for messages deleted before tombstones existed
    while top >= 0 and len(page) < limit:
        low = max(0, top - chunk + 1)
        for e in reversed(await log.archive(channel, low, top)):
            if e.offset >= bound:
                continue
            bound = e.offset
            if e.type == "chat.deleted":
                gone[e.data["offset"]] = e.data
            elif len(page) < limit and (e.type == chat.EVENT or (staff and e.type == chat.REMOVED)):
                page.append(e)
        top = low - 1
    audit: dict[int, Any] = {}
    offsets = [e.offset for e in page]
    if offsets:
        # Only these offsets' entries of the audit: a deletion whose event is newer than the page
        # is found there too, so a page never shows a deleted message's text to a panelist.
        found = await log.redis.hmget(keys.channel_key(channel, "deleted"), [str(o) for o in offsets])
        audit = {
            o: msgspec.msgpack.decode(raw(v)) for o, v in zip(offsets, found, strict=True) if v is not None
        }
    out = []
    for e in page:
        if e.type == chat.EVENT and (e.offset in gone or e.offset in audit):
            if staff:
                mark = gone.get(e.offset) or {k: v for k, v in audit[e.offset].items() if k != "message"}
                out.append({"offset": e.offset, "time": e.time, **e.data, "deleted": mark})
        else:
            out.extend(record([e], audit if staff else {}, staff))
    more = len(page) == limit and page[-1].offset > oldest
    return out, page[-1].offset if more else None


def record(events: list[Any], audit: dict[int, Any], staff: bool) -> list[dict[str, Any]]:
    """A meeting's chat record from its archive: the messages in order. Deleted ones are left out
    for non-staff; staff see them marked ``deleted``, their text and author from the ``audit``
    (the archive holds only a tombstone). For the HTTP chat record."""
    # A message deleted before tombstones existed is still a chat.message, followed by its deletion.
    gone = {e.data["offset"]: e.data for e in events if e.type == "chat.deleted"}
    out = []
    for e in events:
        if e.type == chat.EVENT and e.offset in gone:
            if staff:
                out.append({"offset": e.offset, "time": e.time, **e.data, "deleted": gone[e.offset]})
        elif e.type == chat.EVENT:
            out.append({"offset": e.offset, "time": e.time, **e.data})
        elif e.type == chat.REMOVED and staff:
            entry = dict(audit.get(e.offset, {}))
            message = _as_dict(entry.pop("message", {}))
            out.append({"offset": e.offset, "time": e.time, **message, "deleted": entry})
    return out
