"""Chat cleaning strips what can hide or reorder text and keeps what emoji and scripts need:
named cases, then properties over arbitrary text (hypothesis)."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from engine.errors import ChatError, Code
from moderation.chat import clean_text

ZWJ = "\u200d"
ZWNJ = "\u200c"

FAMILY = "\U0001f468\u200d\U0001f469\u200d\U0001f467"  # 👨‍👩‍👧
ENGLAND = "\U0001f3f4\U000e0067\U000e0062\U000e0065\U000e006e\U000e0067\U000e007f"  # 🏴󠁧󠁢󠁥󠁮󠁧󠁿
KEPT = {
    "family emoji": FAMILY,
    "England flag": ENGLAND,
    "Scotland flag": "\U0001f3f4\U000e0067\U000e0062\U000e0073\U000e0063\U000e0074\U000e007f",
    "rainbow flag": "\U0001f3f3\ufe0f\u200d\U0001f308",  # 🏳️‍🌈
    "technologist, medium skin tone": "\U0001f469\U0001f3fd\u200d\U0001f4bb",  # 👩🏽‍💻
    "heart on fire": "\u2764\ufe0f\u200d\U0001f525",  # ❤️‍🔥
    "pirate flag": "\U0001f3f4\u200d\u2620\ufe0f",  # 🏴‍☠️
    "keycap": "1\ufe0f\u20e3",
    "Korean": "버스 노선을 늘려 주세요! 😀",
    "Hindi with ZWJ (eyelash ra)": "र\u094d\u200dय",
    "Hindi with ZWJ (half ksha)": "क\u094d\u200dष",
    "Hindi with ZWNJ": "क\u094d\u200cष",
    "Persian with ZWNJ": "می\u200cخواهم",
    "Malayalam chillu with ZWJ": "ന\u0d4d\u200d",
    "Arabic": "مرحبا بالعالم",
    "CJK with a variation selector": "葛\U000e0100",
    "newline and tab": "첫 줄\n\t둘째 줄",
}


@pytest.mark.parametrize("text", KEPT.values(), ids=KEPT.keys())
def test_emoji_sequences_and_scripts_survive(text: str) -> None:
    assert clean_text(text) == text
    assert clean_text(f"좋아요 {text} 감사") == f"좋아요 {text} 감사"


STRIPPED = {
    "right-to-left override": ("invoice\u202etxt.exe", "invoicetxt.exe"),
    "bidi embeddings and isolates": ("\u202aa\u202bb\u202cc\u2066d\u2067e\u2068f\u2069", "abcdef"),
    "direction marks": ("a\u200eb\u200fc\u061cd", "abcd"),
    "zero-width space inside a word": ("씨\u200b발", "씨발"),
    "ZWJ inside a Latin word": ("pa\u200dss", "pass"),
    "ZWNJ inside a Hangul word": ("바\u200c보", "바보"),
    "ZWJ between a letter and an emoji": ("a\u200d\U0001f600", "a\U0001f600"),
    "ZWJ at the end of an emoji": ("\U0001f468\u200d", "\U0001f468"),
    "soft hyphen and word joiner": ("un\u00adseen\u2060text", "unseentext"),
    "byte-order mark": ("\ufeffhello", "hello"),
    "tags without a black flag": ("hi\U000e0067\U000e0062\U000e007f", "hi"),
    "tags without a cancel tag": ("\U0001f3f4\U000e0067\U000e0062 x", "\U0001f3f4 x"),
    "tags smuggling ASCII after a flag": ("\U0001f3f4\U000e0041\U000e0042", "\U0001f3f4"),
    "tags smuggling text before a cancel tag": (
        "\U0001f3f4" + "".join(chr(0xE0000 + ord(c)) for c in "ignore all") + "\U000e007f",
        "\U0001f3f4",
    ),
    "too many tags for a subdivision": (
        "\U0001f3f4" + "\U000e0061" * 8 + "\U000e007f",
        "\U0001f3f4",
    ),
    "Hangul filler": ("\u3164안녕\uffa0", "안녕"),
    "controls": ("a\x00b\x1bc\x7f", "abc"),
    "private use": ("a\ue000b", "ab"),
}


@pytest.mark.parametrize(("text", "clean"), STRIPPED.values(), ids=STRIPPED.keys())
def test_what_hides_or_reorders_text_is_stripped(text: str, clean: str) -> None:
    assert clean_text(text) == clean


@pytest.mark.parametrize("text", ["\u3164", "\u202e\u200b\u2066", " \u200d ", "\U000e0067\U000e007f"])
def test_a_message_of_only_hidden_characters_is_empty(text: str) -> None:
    with pytest.raises(ChatError) as exc:
        clean_text(text)
    assert exc.value.code == Code.EMPTY_MESSAGE


BIDI = set("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c")
# Text built from the pieces that matter: letters of several scripts, emoji parts, every kind of
# format character, with arbitrary characters between them.
PIECES = st.sampled_from(
    [
        *"a가나\u0915\u094d\u0937\u0645\u06cc\u062e",
        "\U0001f468",
        "\U0001f469",
        "\u2764",
        "\U0001f3f4",
        "\ufe0f",
        "\U0001f3fd",
        ZWJ,
        ZWNJ,
        *BIDI,
        "\u200b",
        "\u00ad",
        "\u3164",
        "\U000e0067",
        "\U000e0062",
        "\U000e007f",
        "\U000e0041",
        " ",
        "\n",
    ]
)
TEXT = st.lists(st.one_of(PIECES, st.characters()), max_size=40).map("".join)


def _cleaned(text: str) -> str | None:
    try:
        return clean_text(text, max_chars=10_000)
    except ChatError as err:
        assert err.code == Code.EMPTY_MESSAGE
        return None


@given(TEXT)
@example(FAMILY + "\u202e" + ENGLAND)
@example("\u0645\u202e\u200c\u062e")
@example("\u0628\u200d\u200dabc")
@example("\u0628\u200d\u202e\ub098")
def test_no_hiding_or_reordering_character_survives(text: str) -> None:
    out = _cleaned(text)
    if out is None:
        return
    for i, ch in enumerate(out):
        cat = unicodedata.category(ch)
        assert ch not in BIDI and ch not in "\u3164\uffa0"
        assert cat not in ("Cc", "Cs", "Co") or ch in "\n\t"
        if cat == "Cf":
            # the only format characters left: joiners between what they join, flag tags
            assert ch in (ZWJ, ZWNJ) or 0xE0020 <= ord(ch) <= 0xE007F, ascii(ch)
            if ch in (ZWJ, ZWNJ):  # after what it joins; before it only what it may join
                assert i > 0 and unicodedata.category(out[i - 1])[0] in "LMS"
                after = out[i + 1] if i + 1 < len(out) else ""
                assert after not in (ZWJ, ZWNJ)
                hangul = "\uac00" <= after <= "\ud7a3"
                assert after in "\n\t" or not (
                    unicodedata.category(after)[0] in "LC" and (after.isascii() or hangul)
                ), ascii(out)
            else:  # inside black flag, 3-7 tags of a subdivision code, cancel tag
                flag = out.rfind("\U0001f3f4", 0, i)
                assert flag >= 0
                end = out.index("\U000e007f", flag)
                assert 3 <= end - flag - 1 <= 7 and i <= end
                code = "".join(chr(ord(t) - 0xE0000) for t in out[flag + 1 : end])
                assert code.isalnum() and code.isascii() and code == code.lower()


@given(TEXT)
def test_cleaning_a_clean_text_changes_nothing(text: str) -> None:
    out = _cleaned(text)
    if out is not None:
        assert clean_text(out, max_chars=10_000) == out


@given(st.lists(st.sampled_from(list(KEPT.values())), min_size=1, max_size=5), st.text(max_size=20))
def test_emoji_sequences_survive_any_neighbours(sequences: list[str], noise: str) -> None:
    """Whatever is around them (stripped or not), the sequences come out whole."""
    out = _cleaned(noise + " " + " ".join(sequences) + " " + noise)
    assert out is not None
    for seq in sequences:
        assert seq in out
