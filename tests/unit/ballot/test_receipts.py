"""Tracking codes: their form, what they commit to, and reading them as people type them."""

from __future__ import annotations

import base64
import hashlib
import json
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ballot.receipts import (
    ALPHABET,
    format_code,
    is_tracking_code,
    issue_receipt,
    new_salt,
    new_salts,
    normalize_code,
    receipt_digest,
    tracking_code,
)

SALT = "00112233445566778899aabbccddeeff"
CODE_FORM = re.compile(r"[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){3}")
RFC4648 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
KNOWN = "SHV0-R7WZ-JKQS-9G21"  # tracking_code("plenary-1", ["p3", "p0", "p7"], SALT)


def reference_code(vote_id: str, ranking: list[str], salt: str) -> str:
    """The documented recipe, rebuilt from the standard library alone (a third-party verifier's view)."""
    preimage = json.dumps(
        {"vote_id": vote_id, "ranking": ranking, "salt": salt},
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    ).encode("utf-8")
    b32 = base64.b32encode(hashlib.sha256(preimage).digest()[:10]).decode()
    crockford = b32.translate(str.maketrans(RFC4648, ALPHABET))
    return "-".join(crockford[i : i + 4] for i in range(0, 16, 4))


def test_known_answer():
    """Frozen: a change here breaks every receipt already handed out and every external verifier."""
    code = tracking_code("plenary-1", ["p3", "p0", "p7"], SALT)
    assert code == reference_code("plenary-1", ["p3", "p0", "p7"], SALT)
    assert code == KNOWN


@given(
    st.text(min_size=1, max_size=20),
    st.lists(st.text(max_size=10), max_size=6),
    st.binary(min_size=16, max_size=16).map(bytes.hex),
)
def test_the_code_is_the_documented_recipe(vote_id: str, ranking: list[str], salt: str):
    assert tracking_code(vote_id, ranking, salt) == reference_code(vote_id, ranking, salt)


def test_the_code_has_four_groups_of_four_crockford_characters():
    salt, code = issue_receipt("plenary-1", ["p1", "p2"])
    assert CODE_FORM.fullmatch(code) and is_tracking_code(code)
    assert code == tracking_code("plenary-1", ["p1", "p2"], salt)


def test_the_code_commits_to_vote_ranking_order_and_salt():
    code = tracking_code("plenary-1", ["p1", "p2"], SALT)
    assert code == tracking_code("plenary-1", ["p1", "p2"], SALT)
    assert code != tracking_code("plenary-2", ["p1", "p2"], SALT)
    assert code != tracking_code("plenary-1", ["p2", "p1"], SALT)
    assert code != tracking_code("plenary-1", ["p1"], SALT)
    assert code != tracking_code("plenary-1", ["p1", "p2"], "f" + SALT[1:])


def test_equal_rankings_get_different_codes():
    codes = {issue_receipt("plenary-1", ["p1", "p2"])[1] for _ in range(200)}
    assert len(codes) == 200


def test_3000_ballots_get_3000_distinct_codes():
    codes = {issue_receipt("plenary-1", [f"p{i % 50}"])[1] for i in range(3000)}
    assert len(codes) == 3000


def test_salts_are_128_bit_hex_and_fresh():
    salts = {new_salt() for _ in range(1000)}
    assert len(salts) == 1000
    assert all(re.fullmatch(r"[0-9a-f]{32}", s) for s in salts)


@pytest.mark.parametrize("salt", ["", "xyz", SALT.upper(), SALT + "0", SALT[:-1]])
def test_a_malformed_salt_is_refused(salt: str):
    with pytest.raises(ValueError):
        receipt_digest("plenary-1", ["p1"], salt)
    with pytest.raises(ValueError):
        tracking_code("plenary-1", ["p1"], salt)


@pytest.mark.parametrize(
    "typed,printed",
    [
        (KNOWN, KNOWN),
        ("shv0 r7wz jkqs 9g21", KNOWN),
        ("SHV0R7WZJKQS9G21", KNOWN),
        (" shvo-r7wz-jkqs-9g2l\n", KNOWN),  # o for 0, l for 1
        ("O0IL-0000-0000-0000", "0011-0000-0000-0000"),  # O for 0, I and L for 1
        ("SHV0-R7WZ-JKQS-9G2", None),  # one short
        ("SHV0-R7WZ-JKQS-9G211", None),  # one long
        ("SHV0-R7WZ-JKQS-9G2U", None),  # U is not in the alphabet
        ("SHV0_R7WZ_JKQS_9G21", None),
        ("", None),
    ],
)
def test_codes_are_read_as_people_type_them(typed: str, printed: str | None):
    assert normalize_code(typed) == printed


@given(st.binary(min_size=10, max_size=10))
def test_every_printed_code_reads_back_as_itself(raw: bytes):
    code = tracking_code("v", [raw.hex()], SALT)
    assert is_tracking_code(code)
    for typed in (code, code.lower(), code.replace("-", ""), code.replace("-", " "), code.replace("0", "O")):
        assert normalize_code(typed) == code


def test_codes_sort_as_their_values():
    values = sorted(range(0, 2**80, 2**76 + 12345))
    codes = [format_code(v.to_bytes(10, "big")) for v in values]
    assert codes == sorted(codes)


def _format_code_by_bits(digest: bytes) -> str:
    """The code as its definition reads: 80 bits, five at a time, most significant first."""
    value = int.from_bytes(digest[:10], "big")
    chars = "".join(ALPHABET[(value >> (5 * (15 - i))) & 31] for i in range(16))
    return "-".join(chars[i : i + 4] for i in range(0, 16, 4))


@given(st.binary(min_size=10, max_size=32))
def test_format_code_reads_the_first_80_bits_five_at_a_time(digest: bytes) -> None:
    assert format_code(digest) == _format_code_by_bits(digest)


def test_salts_drawn_for_a_batch_are_salts_and_all_different() -> None:
    salts = new_salts(300)
    assert len(salts) == 300 == len(set(salts))
    assert all(len(s) == 32 and int(s, 16) >= 0 and s == s.lower() for s in salts)
    assert tracking_code("plenary-1", ["p1"], salts[0]) == issue_receipt("plenary-1", ["p1"], salts[0])[1]
