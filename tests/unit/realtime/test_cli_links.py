"""Revoking links names whom first and goes on only when told: a yes at the prompt or --yes."""

from __future__ import annotations

import pytest

from cli.links import confirm_revoke, describe_revocation
from engine.errors import Code, PanelError
from panel.roster import Participant

HOLDER = Participant(id="p1", name="김민준", role="panelist", token_hash="ab" * 32)
NEW = Participant(id="p2", name="이서연", role="panelist")


def never(prompt: str) -> str:
    raise AssertionError("asked when it should not have")


def test_whom_it_revokes_is_named_with_role_counts() -> None:
    text = describe_revocation([HOLDER, NEW, Participant(id="h1", name="Host", role="host", token_hash="c")])
    assert "2 participant(s) (1 host, 1 panelist)" in text and "p1" in text and "김민준" in text
    assert "p2" not in text  # no link, nothing revoked
    assert "nothing is revoked" in describe_revocation([NEW])


@pytest.mark.parametrize("answer", ["", "n", "no", "whatever"])
def test_anything_but_yes_at_the_prompt_changes_nothing(answer: str) -> None:
    with pytest.raises(PanelError) as err:
        confirm_revoke([HOLDER], yes=False, ask=lambda _: answer, interactive=True)
    assert err.value.code is Code.NOT_CONFIRMED


@pytest.mark.parametrize("answer", ["y", "Y", "yes "])
def test_yes_at_the_prompt_goes_on(answer: str) -> None:
    confirm_revoke([HOLDER], yes=False, ask=lambda _: answer, interactive=True)


def test_without_a_terminal_only_yes_goes_on() -> None:
    with pytest.raises(PanelError) as err:
        confirm_revoke([HOLDER], yes=False, ask=never, interactive=False)
    assert err.value.code is Code.NOT_CONFIRMED and "--yes" in err.value.message
    confirm_revoke([HOLDER], yes=True, ask=never, interactive=False)


def test_nothing_to_revoke_asks_nothing() -> None:
    confirm_revoke([NEW], yes=False, ask=never, interactive=False)
