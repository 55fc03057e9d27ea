"""The examples of docs/protocol.md are what a running hub says (``tests.protocol_examples``)."""

from __future__ import annotations

import copy

from tests.protocol_examples import DOC, drift, generate, marked, normalise, rewrite


async def test_every_marked_example_is_what_a_running_hub_says_now() -> None:
    frames = await generate()
    text = DOC.read_text(encoding="utf-8")
    shown = marked(text)
    assert not drift(text, frames), (
        "docs/protocol.md examples drifted from the hub: run `python -m tests.protocol_examples`"
    )
    assert set(shown) == set(frames), "every frame of the scenario is shown in the doc, and only those"

    # The check is not blind: a changed value fails it, a different time or epoch does not.
    name = "chat.send.reply"
    changed = copy.deepcopy(frames)
    changed[name]["result"]["retry"] = True
    assert drift(text, changed) == [name]
    later = copy.deepcopy(frames)
    later[name]["result"]["time"] += 1234
    later[name]["result"]["epoch"] = "1" + later[name]["result"]["epoch"][1:]
    assert not drift(text, later)
    assert normalise(later[name]) == normalise(frames[name])
    # and rewriting the doc from these frames changes nothing but what may vary
    assert marked(rewrite(text, frames)).keys() == shown.keys()
