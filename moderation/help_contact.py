"""Whom to ask for help: the organisers' contact that every page's "도움말·문의" shows (KWCAG 2.2,
3.2.2 찾기 쉬운 도움 정보: help in the same place on every page).

One record per assembly in Redis (``engine.keys.HELP_CONTACT``), set by the organisers with
``plenary help-contact`` (the demo stores a placeholder that says it is theirs to fill), read by
``GET /api/help``. The route is public: the results page opens without a link, and a number to call
is what someone whose link fails needs most. Each field is text (cleaned as a chat message is:
nothing that hides or reorders text) and short, because it is read on a phone at the largest text.
"""

from __future__ import annotations

from typing import Final

import msgspec
from redis.asyncio import Redis

from engine import keys
from engine.connection import text
from engine.errors import Code, HubError
from moderation import chat


class HelpContact(msgspec.Struct, frozen=True, kw_only=True):
    """What the help dialog says under "누구에게 물어보나요": all optional, shown as given."""

    phone: str = ""  # "02-2133-0000": the page makes it a tel: link
    hours: str = ""  # "회의가 열리는 날 오전 9시 ~ 오후 6시"
    place: str = ""  # where to ask at the venue: "회의장 1층 안내 데스크"
    note: str = ""  # anything else the organisers want said


LIMITS: Final = {"phone": 40, "hours": 100, "place": 100, "note": 300}
"""Characters per field."""

_PHONE_CHARS: Final = frozenset("0123456789+-() ")

DEMO: Final = HelpContact(
    phone="02-000-0000",
    hours="회의가 열리는 날 오전 9시 ~ 오후 6시",
    place="회의장 1층 안내 데스크",
    note="예시 연락처입니다. 사무국이 실제 전화번호와 시간으로 바꿔 넣어야 합니다.",
)
"""The demo's placeholder: it says so itself, so nobody takes it for the organisers' number."""


def clean(contact: HelpContact) -> HelpContact:
    """Each field cleaned and within its limit (an empty field stays empty); ``BAD_FIELD`` names the
    field at fault. A phone number is digits, spaces, ``+ - ( )``, so it can be dialled."""
    fields: dict[str, str] = {}
    for name, limit in LIMITS.items():
        value: str = getattr(contact, name)
        if not value.strip():
            fields[name] = ""
            continue
        try:
            fields[name] = chat.clean_text(value, limit)
        except HubError:
            raise HubError(Code.BAD_FIELD, f"{name}: 1-{limit} characters of text") from None
    if not set(fields["phone"]) <= _PHONE_CHARS:
        raise HubError(Code.BAD_FIELD, "phone: digits, spaces and + - ( ) only")
    return HelpContact(**fields)


async def store(redis: Redis, contact: HelpContact) -> HelpContact:
    """Replace the assembly's contact (checked first: nothing is stored when a field is refused)."""
    cleaned = clean(contact)
    async with redis.pipeline(transaction=True) as pipe:
        pipe.delete(keys.HELP_CONTACT)
        pipe.hset(keys.HELP_CONTACT, mapping=msgspec.to_builtins(cleaned))
        await pipe.execute()
    return cleaned


async def read(redis: Redis) -> HelpContact:
    """The assembly's contact; every field empty when none was set."""
    stored = await redis.hgetall(keys.HELP_CONTACT)
    found = {text(k): text(v) for k, v in stored.items()}
    return HelpContact(**{name: found.get(name, "") for name in LIMITS})
