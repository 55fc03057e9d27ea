"""The standing rule (``chat_admin.standing``): what a restriction key's value and time to live mean,
as ``lua/chat_send.lua`` judges them. ``chat.status`` (a participant's own standing) and
``chat.moderation`` (the console's list) both read it, so they cannot disagree with the send."""

from __future__ import annotations

import pytest

from moderation.chat_admin import standing


@pytest.mark.parametrize(
    ("kind", "ttl_ms", "expected"),
    [
        ("mute", 90_000, {"muted_ms": 90_000, "banned": False}),
        ("mute", -2, {"muted_ms": 0, "banned": False}),  # the key ran out between GET and PTTL
        ("ban", -1, {"muted_ms": 0, "banned": True}),  # a ban has no expiry
        ("", -2, {"muted_ms": 0, "banned": False}),  # no key: free to chat
        ("other", 5_000, {"muted_ms": 0, "banned": False}),  # anything else holds nothing back
    ],
)
def test_standing_from_the_restriction_key(kind: str, ttl_ms: int, expected: dict[str, object]) -> None:
    assert standing(kind, ttl_ms) == expected
