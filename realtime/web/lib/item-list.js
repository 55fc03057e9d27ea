// What the panelists' lists of things people wrote share (the Q&A's questions, the meeting's
// proposals): the line above the list (an error, "loading", "none yet"), a re-render that keeps the
// keyboard user's place on the same item, and the per-item toggle of 공감 (one press in flight per
// item, the buttons off while the hub's rate wait runs, the focus back on the item's button).
// One copy, so both lists behave alike (a review found proposals.js copying qa.js).

import { errText, setChildren } from "./meeting-common.js";

/** The note above a list: the error if any, else "loading" until the first snapshot, else "none"
 * when the list is empty; hidden when there is nothing to say. `text` gives the two strings. */
export function listNote(note, { error, loaded, empty }, text) {
  if (error) note.textContent = errText(error);
  else if (!loaded) note.textContent = text.loading;
  else note.textContent = empty ? text.none : "";
  note.hidden = !note.textContent;
}

/** Put `nodes` (each an `li` with `data-id`) in `list` without losing the keyboard user's place:
 * a focused element kept across renders (a field being typed in) keeps the focus; else the same
 * item's button for the same action (`data-action`), else that item's first button. */
export function renderItems(list, nodes) {
  const active = document.activeElement;
  const inside = active && list.contains(active);
  const focusedId = inside ? active.closest("li")?.dataset.id : null;
  const action = inside ? active.dataset.action : null;
  setChildren(list, ...nodes);
  if (!focusedId) return;
  if (active.isConnected && list.contains(active)) {
    active.focus();
    return;
  }
  const li = list.querySelector(`li[data-id="${Number(focusedId)}"]`);
  ((action && li?.querySelector(`button[data-action="${action}"]`)) || li?.querySelector("button"))?.focus();
}

/**
 * One press of an item's toggle (`.vote-btn`): nothing while one is in flight for the item or the
 * rate wait runs; `request()` sends it and `done(reply)` applies the reply and returns what the
 * status line says. A refusal is said in the status line, and a rate wait (`wait`, a Cooldown)
 * also in `waitMsg`. `render()` draws the list before and after; the focus returns to the button.
 */
export async function pressToggle({ id, busy, wait, render, root, status, waitMsg, request, done }) {
  if (busy.has(id) || wait.active) return;
  busy.add(id);
  render();
  try {
    status.textContent = done(await request());
  } catch (err) {
    status.textContent = errText(err);
    if (wait.start(err)) waitMsg.textContent = errText(err);
  } finally {
    busy.delete(id);
    render();
    root.querySelector(`li[data-id="${id}"] .vote-btn`)?.focus();
  }
}
