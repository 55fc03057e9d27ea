"""Slide files hosts upload (PNG, JPEG, WebP images and PDF documents), kept in Redis.

Why Redis and not a disk: hubs are interchangeable and may run on several machines; every hub must
serve every upload. Files are capped (:data:`MAX_BYTES`) and checked by their first bytes, never by
the name or the type the browser claims. A PDF's pages are counted from its page objects so a host
can show page ``n``; pages render in the panelists' browser (the hub never parses more than that).
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from typing import Final

from redis.asyncio import Redis

from engine import keys
from engine.connection import raw, text
from engine.errors import Code, HubError

MAX_BYTES: Final = 20 * 2**20
MAX_MEETING_BYTES: Final = 200 * 2**20
"""All slide files of one meeting together (uploads are never removed): a bound on what the hosts'
uploads can take of Redis' memory (issue 9: every record that grows with input has one)."""
_PDF_PAGE = re.compile(rb"/Type\s*/Page(?![a-zA-Z])")


@dataclass(frozen=True)
class Upload:
    id: str
    type: str
    name: str
    pages: int
    size: int

    def meta(self) -> dict[str, object]:
        return {"id": self.id, "type": self.type, "name": self.name, "pages": self.pages, "size": self.size}


def sniff(data: bytes) -> str:
    """The media type from the file's first bytes; ``BAD_UPLOAD`` for anything else."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    if data.startswith(b"%PDF-"):
        return "application/pdf"
    raise HubError(Code.BAD_UPLOAD, "a slide is a PNG, JPEG or WebP image, or a PDF")


def pdf_pages(data: bytes) -> int:
    return max(1, len(_PDF_PAGE.findall(data)))


def check(data: bytes, name: str = "") -> tuple[str, int, str]:
    """(media type, pages, cleaned name) of an upload, or ``BAD_UPLOAD``."""
    if not data:
        raise HubError(Code.BAD_UPLOAD, "the upload is empty")
    if len(data) > MAX_BYTES:
        raise HubError(Code.BAD_UPLOAD, f"a slide file is at most {MAX_BYTES // 2**20} MiB")
    kind = sniff(data)
    pages = pdf_pages(data) if kind == "application/pdf" else 1
    clean = "".join(ch for ch in name if ch.isprintable() and ch not in '/\\"')[:120]
    return kind, pages, clean


async def store(redis: Redis, meeting_id: str, data: bytes, name: str = "") -> Upload:
    kind, pages, clean = check(data, name)
    up = Upload(secrets.token_hex(8), kind, clean, pages, len(data))
    # Reserve the bytes first (INCRBY is atomic, so two hosts uploading at once cannot both pass);
    # a refusal gives them back. A hub dying in between leaves the count high, never low.
    total = keys.channel_key(keys.meeting_agenda(meeting_id), "upload_bytes")
    if await redis.incrby(total, len(data)) > MAX_MEETING_BYTES:
        await redis.decrby(total, len(data))
        raise HubError(
            Code.TOO_MANY_UPLOADS,
            f"a meeting's slide files take at most {MAX_MEETING_BYTES // 2**20} MiB together",
        )
    await redis.hset(
        keys.upload(meeting_id, up.id),
        mapping={"type": kind, "name": clean, "pages": pages, "size": len(data), "data": data},
    )
    return up


async def meta(redis: Redis, meeting_id: str, upload_id: str) -> Upload:
    values = await redis.hmget(
        keys.upload(meeting_id, keys.check_id(upload_id, "upload")), "type", "name", "pages", "size"
    )
    if values[0] is None:
        raise HubError(Code.UNKNOWN_UPLOAD, f"no upload {upload_id[:64]!r} in this meeting")
    return Upload(upload_id, text(values[0]), text(values[1]), int(text(values[2])), int(text(values[3])))


async def read(redis: Redis, meeting_id: str, upload_id: str) -> tuple[Upload, bytes]:
    up = await meta(redis, meeting_id, upload_id)
    data = await redis.hget(keys.upload(meeting_id, upload_id), "data")
    return up, raw(data)
