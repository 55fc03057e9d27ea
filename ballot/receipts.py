"""Receipts: the tracking code a panelist gets for a ballot, and finds again on the bulletin board.

The code is SHA-256 over the canonical encoding of ``{"ranking": [...], "salt": "<hex>", "vote_id":
"..."}`` (keys sorted, see ``ballot.model.canonical``), cut to its first 80 bits and written in
Crockford base32 as four groups of four: ``K7Q2-M9XA-3F0D-TW8E``.

Why these choices:

- The salt (128 random bits from :mod:`secrets`) makes the code unguessable and different for two
  panelists who rank identically; without it the few likely rankings could be hashed in advance.
- 80 bits: among 3,000 ballots the chance that two codes collide is about 3000² / 2⁸¹ ≈ 4·10⁻¹⁸, and
  guessing any valid code takes about 2⁸⁰ / 3000 ≈ 4·10²⁰ tries. The store still refuses a duplicate
  code atomically (it draws a new salt), so a collision can never merge two ballots.
- Crockford's alphabet has no I, L, O or U, and :func:`normalize_code` reads the look-alikes (O as 0,
  I and L as 1), case and spacing as the panelist meant them: older panelists type codes off a phone
  screen or a paper stub. Its characters sort in ASCII order as their values do, so sorting codes as
  strings sorts them as numbers (the board's order).

Like Helios's ballot tracker, this gives individual verifiability, not coercion resistance: a code on
the board shows its ranking to whoever holds the code. Revoting online (only the latest counts) and
paper superseding online (``ballot.rules.choose_counted``) are the mitigations.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Sequence
from typing import Final

import msgspec

from ballot.model import canonical

SALT_BYTES: Final = 16
CODE_BITS: Final = 80
ALPHABET: Final = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base32
_CODE_CHARS: Final = CODE_BITS // 5  # 16
_GROUP: Final = 4
_CODE: Final = re.compile(r"[0-9A-HJKMNP-TV-Z]{4}(?:-[0-9A-HJKMNP-TV-Z]{4}){3}", re.ASCII)
_SALT: Final = re.compile(r"[0-9a-f]{32}", re.ASCII)
_LOOKALIKES: Final = str.maketrans({"O": "0", "I": "1", "L": "1"})
_PAIRS: Final = tuple(a + b for a in ALPHABET for b in ALPHABET)
"""Every 10-bit value as its two characters: a code is eight lookups, not sixteen shifts and joins
(the hub prints one per cast, 3,000 in the plenary's minute)."""


class ReceiptPreimage(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """What a tracking code commits to. Encoded canonically (sorted keys) before hashing."""

    vote_id: str
    ranking: tuple[str, ...]
    salt: str


def new_salt() -> str:
    """A fresh 128-bit salt as 32 lower-case hex characters. One per ballot, never reused."""
    return secrets.token_hex(SALT_BYTES)


def new_salts(n: int) -> list[str]:
    """``n`` fresh salts as :func:`new_salt` draws them, from one read of the system's CSPRNG (one
    ``getrandom`` for a batch of casts instead of one each): the same bits, cut in 16-byte pieces."""
    text = secrets.token_hex(SALT_BYTES * n)
    step = 2 * SALT_BYTES
    return [text[i : i + step] for i in range(0, step * n, step)]


def receipt_digest(vote_id: str, ranking: Sequence[str], salt: str) -> bytes:
    """The full SHA-256 the tracking code is cut from."""
    if not _SALT.fullmatch(salt):
        raise ValueError("salt must be 32 lower-case hex characters (see new_salt)")
    return hashlib.sha256(
        canonical(ReceiptPreimage(vote_id=vote_id, ranking=tuple(ranking), salt=salt))
    ).digest()


def format_code(digest: bytes) -> str:
    """The first 80 bits of ``digest`` as ``XXXX-XXXX-XXXX-XXXX`` in Crockford base32."""
    v = int.from_bytes(digest[: CODE_BITS // 8], "big")
    p = _PAIRS
    return (
        f"{p[v >> 70]}{p[v >> 60 & 1023]}-{p[v >> 50 & 1023]}{p[v >> 40 & 1023]}"
        f"-{p[v >> 30 & 1023]}{p[v >> 20 & 1023]}-{p[v >> 10 & 1023]}{p[v & 1023]}"
    )


def tracking_code(vote_id: str, ranking: Sequence[str], salt: str) -> str:
    """The tracking code of a ballot: what the panelist is shown and what the board lists."""
    return format_code(receipt_digest(vote_id, ranking, salt))


def issue_receipt(vote_id: str, ranking: Sequence[str], salt: str | None = None) -> tuple[str, str]:
    """A new ``(salt, code)`` for a ballot about to be cast. The store keeps both with the ballot;
    the panelist is shown the code (and may be shown the salt, to check the code themselves).
    ``salt``: one drawn already (:func:`new_salts`, for a batch); a fresh one by default."""
    salt = new_salt() if salt is None else salt
    return salt, tracking_code(vote_id, ranking, salt)


def is_tracking_code(text: str) -> bool:
    """Whether ``text`` is a code exactly as we print it (the board accepts nothing else)."""
    return isinstance(text, str) and _CODE.fullmatch(text) is not None


def normalize_code(text: str) -> str | None:
    """Read a code as a person typed it: any case, spaces or hyphens anywhere, O for 0, I or L for 1.

    Returns the printed form, or None when it cannot be a code (wrong length, a U, other symbols).
    """
    compact = re.sub(r"[\s\-]", "", text).upper().translate(_LOOKALIKES)
    if len(compact) != _CODE_CHARS or any(c not in ALPHABET for c in compact):
        return None
    return "-".join(compact[i : i + _GROUP] for i in range(0, _CODE_CHARS, _GROUP))
