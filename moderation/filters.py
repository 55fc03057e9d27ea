"""Pure chat filters, applied before a message (or a question) is stored: the word filter and the
link policy. Lists live in ``moderation/data/word_filter.toml``.

Words are **masked**, links are **refused**:

- A listed word is replaced by as many ``*`` as it has characters and the message goes through.
  Rejecting would mostly teach people to respell the word (the filter is a speed bump; moderators
  are the real defence), and a false match inside an ordinary word would cost an older panelist
  their whole message and a confusing error; masking costs them one word. The event says the text
  was masked (``"masked": true``), so moderators can look.
- A link against the meeting's policy is refused with ``link_not_allowed``: a masked link means
  nothing, and the sender learns at once why their message did not appear and can rephrase it.
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from importlib import resources
from typing import Final

from engine.errors import ChatError, Code

MASK: Final = "*"


class LinkPolicy(StrEnum):
    ALLOW = "allow"  # anyone may post links
    STAFF = "staff"  # moderators and hosts may; others only to the allowed domains (the default)
    BLOCK = "block"  # nobody may post links


DEFAULT_LINK_POLICY: Final = LinkPolicy.STAFF

# A URL with a scheme or www., or a bare domain with a common top-level domain.
_LINK = re.compile(
    r"(?i)\b(?:(?:https?|ftp)://[^\s<>\"']+|www\.[^\s<>\"']+|"
    r"(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+(?:com|net|org|kr|io|me|ly|gl|be|co|info|biz|xyz|link|"
    r"site|app|dev|ai|tv|to|gg|us|uk|jp|cn|ru)\b(?:/[^\s<>\"']*)?)"
)
_HOST = re.compile(r"(?i)^(?:[a-z]+://)?([^/:?#\s]+)")


@dataclass(frozen=True)
class WordFilter:
    """Word lists: ``ko`` match inside words, ``en`` as whole words (``*`` suffix: as a prefix)."""

    ko: tuple[str, ...]
    ko_allow: tuple[str, ...]
    en: tuple[str, ...]
    allow_domains: tuple[str, ...] = ()

    @property
    def _en_re(self) -> re.Pattern[str] | None:
        return _en_pattern(self.en)

    def mask(self, text: str) -> str:
        """``text`` with every listed word masked (one ``*`` per character)."""
        chars = list(text)
        for start, end in self._ko_spans(text):
            for i in range(start, end):
                if not chars[i].isspace():
                    chars[i] = MASK
        pattern = self._en_re
        if pattern is not None:
            for m in pattern.finditer(text):
                for i in range(m.start(), m.end()):
                    chars[i] = MASK
        return "".join(chars)

    def _ko_spans(self, text: str) -> list[tuple[int, int]]:
        # The letters of the text, with their positions: punctuation, symbols and digits between
        # letters are skipped (they are how a word is split to dodge the filter); spaces end a word.
        letters: list[str] = []
        where: list[int] = []
        for i, ch in enumerate(text):
            cat = unicodedata.category(ch)
            if ch.isspace():
                letters.append(" ")
                where.append(i)
            elif cat.startswith("L"):
                letters.append(ch.lower())
                where.append(i)
        skeleton = "".join(letters)
        allowed = [
            (m.start(), m.start() + len(a))
            for a in self.ko_allow
            for m in re.finditer(re.escape(a), skeleton)
        ]
        spans = []
        for word in self.ko:
            for m in re.finditer(re.escape(word), skeleton):
                s, e = m.start(), m.end()
                if any(a <= s and e <= b for a, b in allowed):
                    continue
                spans.append((where[s], where[e - 1] + 1))
        return spans

    def links_allowed(self, text: str, policy: LinkPolicy, staff: bool) -> None:
        """Raise ``LINK_NOT_ALLOWED`` if ``text`` holds a link the policy does not let this sender post."""
        if policy == LinkPolicy.ALLOW:
            return
        for m in _LINK.finditer(text):
            if policy == LinkPolicy.BLOCK:
                raise ChatError(Code.LINK_NOT_ALLOWED, "links are not allowed in this meeting's chat")
            if staff or self._allowed_domain(m.group(0)):
                continue
            raise ChatError(
                Code.LINK_NOT_ALLOWED,
                "only moderators and hosts may post links here"
                + (f" (except to {', '.join(self.allow_domains)})" if self.allow_domains else ""),
            )

    def _allowed_domain(self, link: str) -> bool:
        m = _HOST.match(link)
        host = m.group(1).lower() if m else ""
        return any(host == d or host.endswith("." + d) for d in self.allow_domains)


@cache
def _en_pattern(words: tuple[str, ...]) -> re.Pattern[str] | None:
    if not words:
        return None
    parts = [re.escape(w[:-1]) + r"\w*" if w.endswith("*") else re.escape(w) for w in words]
    return re.compile(r"(?i)(?<!\w)(?:" + "|".join(sorted(parts, key=len, reverse=True)) + r")(?!\w)")


def parse(text: str) -> WordFilter:
    """A filter from the TOML text of a word list file (see ``data/word_filter.toml``)."""
    doc = tomllib.loads(text)
    ko, en, links = doc.get("ko", {}), doc.get("en", {}), doc.get("links", {})
    return WordFilter(
        ko=tuple(unicodedata.normalize("NFC", w).lower() for w in ko.get("words", [])),
        ko_allow=tuple(unicodedata.normalize("NFC", w).lower() for w in ko.get("allow", [])),
        en=tuple(w.lower() for w in en.get("words", [])),
        allow_domains=tuple(d.lower() for d in links.get("allow_domains", [])),
    )


@cache
def default() -> WordFilter:
    """The filter of ``moderation/data/word_filter.toml``, read once per process."""
    return parse(resources.files("moderation").joinpath("data/word_filter.toml").read_text(encoding="utf-8"))


def has_link(text: str) -> bool:
    return _LINK.search(text) is not None
