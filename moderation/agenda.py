"""A meeting's agenda, its current item, the slide on screen and the learning materials.

State of ``meeting/<id>/agenda`` (every member; a late joiner's subscribe snapshot is all of it):

- ``items``: ``[{id, title, starts_at, minutes}]`` in order; ``current``: ``{item, since}`` or absent;
- ``slide``: ``{kind: "image" | "pdf" | "url", url, page, pages, title, since}`` or absent;
- ``materials``: ``[{id, title, url, kind, description}]``.

Slides are files the hosts upload (``moderation/uploads.py``, served at
``/api/meetings/<id>/uploads/<upload>``) or an https URL. Rules are pure functions of the state,
committed atomically by ``moderation/state.py``; only hosts change an agenda (``realtime/roles.py``).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any, Final
from urllib.parse import urlsplit

from engine.errors import Code, HubError
from moderation.state import Change, State

MAX_ITEMS: Final = 100


def _now() -> int:
    return int(time.time() * 1000)


def check_url(url: str, code: Code, what: str) -> str:
    """Links shown to every panelist must be https (a page on https cannot load http anyway)."""
    parts = urlsplit(url.strip())
    if parts.scheme != "https" or not parts.netloc:
        raise HubError(code, f"{what}: an https:// URL (got {url[:60]!r})")
    return url.strip()


def set_items(items: Sequence[dict[str, Any]]) -> Callable[[State], Change]:
    seen: set[str] = set()
    for i, item in enumerate(items):
        if item["id"] in seen:
            raise HubError(Code.BAD_AGENDA, f"items[{i}].id: {item['id']!r} is used twice")
        seen.add(item["id"])
        if not item["title"].strip():
            raise HubError(Code.BAD_AGENDA, f"items[{i}].title: empty")
        if item.get("starts_at", 0) < 0:
            raise HubError(Code.BAD_AGENDA, f"items[{i}].starts_at: a Unix time in ms")
    clean = [dict(item) for item in items]

    def rule(state: State) -> Change:
        current = state.get("current")
        deletes: tuple[str, ...] = ()
        data: dict[str, Any] = {"items": clean}
        if current is not None and current["item"] not in seen:
            deletes = ("current",)  # the item under way was taken off the agenda
            data["current"] = None
        return Change(
            "agenda.items", data, sets={"items": clean}, deletes=deletes, result={"items": len(clean)}
        )

    return rule


def set_current(item: str | None, now: int | None = None) -> Callable[[State], Change]:
    def rule(state: State) -> Change:
        if item is None:
            return Change("agenda.current", {"current": None}, deletes=("current",), result={"current": None})
        if item not in {i["id"] for i in state.get("items", [])}:
            raise HubError(Code.UNKNOWN_ITEM, f"no agenda item {item!r}")
        current = {"item": item, "since": now or _now()}
        return Change(
            "agenda.current", {"current": current}, sets={"current": current}, result={"current": current}
        )

    return rule


def show_slide(slide: dict[str, Any]) -> Callable[[State], Change]:
    """``slide`` is built by :func:`slide_from_upload` or :func:`slide_from_url`."""

    def rule(state: State) -> Change:
        return Change("slide.shown", {"slide": slide}, sets={"slide": slide}, result={"slide": slide})

    return rule


def clear_slide() -> Callable[[State], Change]:
    def rule(state: State) -> Change:
        return Change("slide.cleared", {"slide": None}, deletes=("slide",), result={"slide": None})

    return rule


def check_slide_source(upload: str | None, url: str | None) -> None:
    """A slide shows exactly one thing: a page of an uploaded file (``upload``) or a web page
    (``url``). ``BAD_SLIDE`` for both or neither, before anything is read."""
    if (upload is None) == (url is None):
        raise HubError(Code.BAD_SLIDE, "give either an upload (and a page) or a url")


def slide_from_upload(meeting_id: str, upload: dict[str, Any], page: int, title: str) -> dict[str, Any]:
    kind = "pdf" if upload["type"] == "application/pdf" else "image"
    pages = int(upload.get("pages", 1))
    if page > pages:
        raise HubError(Code.BAD_SLIDE, f"page {page}: the upload has {pages} page(s)")
    return {
        "kind": kind,
        "url": f"/api/meetings/{meeting_id}/uploads/{upload['id']}",
        "upload": upload["id"],
        "page": page,
        "pages": pages,
        "title": title or upload.get("name", ""),
        "since": _now(),
    }


def slide_from_url(url: str, title: str) -> dict[str, Any]:
    return {
        "kind": "url",
        "url": check_url(url, Code.BAD_SLIDE, "url"),
        "page": 1,
        "pages": 1,
        "title": title,
        "since": _now(),
    }


def set_materials(items: Sequence[dict[str, Any]]) -> Callable[[State], Change]:
    seen: set[str] = set()
    clean = []
    for i, item in enumerate(items):
        if item["id"] in seen:
            raise HubError(Code.BAD_MATERIALS, f"items[{i}].id: {item['id']!r} is used twice")
        seen.add(item["id"])
        if not item["title"].strip():
            raise HubError(Code.BAD_MATERIALS, f"items[{i}].title: empty")
        url = item["url"]
        if not url.startswith("/api/meetings/"):
            url = check_url(url, Code.BAD_MATERIALS, f"items[{i}].url")
        clean.append({**item, "url": url})

    def rule(state: State) -> Change:
        return Change(
            "materials.set", {"materials": clean}, sets={"materials": clean}, result={"materials": len(clean)}
        )

    return rule
