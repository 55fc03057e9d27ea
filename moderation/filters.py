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

import itertools
import re
import tomllib
import unicodedata
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from importlib import resources
from typing import Final

import ada_url

from engine.errors import Code, HubError

MASK: Final = "*"


class LinkPolicy(StrEnum):
    ALLOW = "allow"  # anyone may post links
    STAFF = "staff"  # moderators and hosts may; others only to the allowed domains (the default)
    BLOCK = "block"  # nobody may post links


DEFAULT_LINK_POLICY: Final = LinkPolicy.STAFF

# Links are read the way a browser reads them (the WHATWG URL standard, through ada, the parser of
# Node.js): a regex that finds "the host" (say, up to the first ``/``) is fooled by addresses a
# browser reads otherwise: ``https://evil.example\\.youtube.com/x`` (a backslash ends the host),
# ``youtube.com@evil.example`` (user info), ``evil%2Eexample`` (percent-encoded dots), full-width
# letters and dots, trailing dots, upper case.
#
# Finding links: a "word" (text between spaces and quotes) is cut before every special scheme
# (``https:``, ``http:``, ``ftp:``, ``ws:``, ``wss:``; a browser needs no slashes after them); a
# piece that starts with a scheme is a link, and so is a piece holding ``www.``, a leading ``//``
# or ``\\``, or a name ending in a common top-level domain. The whole piece is the link, as a
# person copying it into an address bar would take it (a browser adds ``https://`` to a bare one).
_WORD = re.compile(r"[^\s<>\"'`]+")
_SCHEME = re.compile(r"(?i)(?<![a-z0-9+.-])(?:https?|ftp|wss?):")
_DOT = r"[.\u3002\uff0e\uff61]"  # the dots IDNA reads as ".": ideographic, full-width, half-width
_BARE = re.compile(
    r"(?i)(?:^[/\\]{2}|(?<![\w-])www" + _DOT + r"|"
    r"(?:[^\W_](?:[\w-]*[^\W_])?" + _DOT + r")+"
    r"(?:com|net|org|kr|io|me|ly|gl|be|co|info|biz|xyz|link|site|app|dev|ai|tv|to|gg|us|uk|jp|cn|ru)"
    r"(?![a-z0-9-]))"
)
# Punctuation around a link in a sentence, not part of it: "(see youtube.com/x)." or "「…」".
_OPENERS = "([{\u300c\u300e\u3008\u300a\u3010\uff08"
_CLOSERS = ".,;:!?)]}\u2026\u3001\u3002\u300d\u300f\u3009\u300b\u3011\uff09\uff0c\uff0e"


def find_links(text: str) -> list[str]:
    """Every link in ``text``, as the address a browser would be given (bare ones with ``https://``)."""
    links: list[str] = []
    for word in _WORD.findall(text):
        cuts = [0, *(m.start() for m in _SCHEME.finditer(word)), len(word)]
        for start, end in itertools.pairwise(cuts):
            piece = word[start:end].lstrip(_OPENERS).rstrip(_CLOSERS)
            scheme = _SCHEME.match(piece)
            if scheme is not None:
                if len(piece) > scheme.end():  # "https:" alone names no address
                    links.append(piece)
            elif _BARE.search(piece):
                links.append("https://" + piece)
    return links


def link_host(link: str) -> str | None:
    """The host a browser would connect to for ``link`` (lower case, ASCII/punycode, without one
    trailing dot), or None if a browser would not open it at all."""
    try:
        host = ada_url.URL(link).hostname
    except ValueError:
        return None
    return host.removesuffix(".") if host else None


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
        """Raise ``LINK_NOT_ALLOWED`` if ``text`` holds a link the policy does not let this sender
        post. A link is judged by the host a browser would open (:func:`link_host`); one a browser
        would not open at all is not on the allowed list either."""
        if policy == LinkPolicy.ALLOW:
            return
        for link in find_links(text):
            if policy == LinkPolicy.BLOCK:
                raise HubError(Code.LINK_NOT_ALLOWED, "links are not allowed in this meeting's chat")
            if staff or self.allowed_host(link_host(link)):
                continue
            raise HubError(
                Code.LINK_NOT_ALLOWED,
                "only moderators and hosts may post links here"
                + (f" (except to {', '.join(self.allow_domains)})" if self.allow_domains else ""),
            )

    def allowed_host(self, host: str | None) -> bool:
        """Whether ``host`` (as :func:`link_host` gives it) is an allowed domain or under one."""
        if not host:
            return False
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
        allow_domains=tuple(_domain(d) for d in links.get("allow_domains", [])),
    )


@cache
def default() -> WordFilter:
    """The filter of ``moderation/data/word_filter.toml``, read once per process."""
    return parse(resources.files("moderation").joinpath("data/word_filter.toml").read_text(encoding="utf-8"))


def _domain(name: str) -> str:
    """An allowed domain of the word list file, in the form :func:`link_host` gives hosts."""
    host = None if re.search(r"[/\\@:?#%\s]", name) else link_host("https://" + name)
    if host is None:
        raise ValueError(f"not a domain name: {name!r}")
    return host
