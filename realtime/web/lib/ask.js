// Asking a staff member something, in a modal <dialog> instead of window.prompt/confirm (issue 15):
// the browser's own boxes are English-only in places, cannot be enlarged with the page's text size,
// read poorly to a screen reader and block the page's live updates while open. Every console that
// asks uses these two, so they look and behave the same everywhere:
//
//   const title = await askText({ title, label, value, ok });   // the text, or null if cancelled
//   const yes = await askConfirm({ title, body, ok });          // true, or false if cancelled
//
// The dialog is labelled by its heading; the focus goes into it (the text field, or for a
// confirmation the safe answer, 취소); Esc and 취소 close it; the focus then returns to the button
// that opened it (or, if the page redrew it meanwhile, to `back`). Buttons are 44 px; every text is
// set with textContent (a theme's title is people's text). Styles: "ask dialogs" in app.css.

import { t } from "./i18n.js";

let seq = 0;

function node(tag, cls, text = "") {
  const n = document.createElement(tag);
  if (cls) n.className = cls;
  if (text) n.textContent = text;
  return n;
}

/**
 * The one dialog both helpers build. `value` null: a confirmation (no field). Resolves with the
 * field's text (trimmed, never empty), true for a confirmation, or null when cancelled.
 */
function open({ title, body = "", label = "", value = null, ok, cancel = "", empty = "", back = null, maxLength = 0 }) {
  return new Promise((resolve) => {
    const opener = document.activeElement;
    const id = `ask-${++seq}`;
    const dialog = node("dialog", "ask-dialog");
    dialog.setAttribute("aria-labelledby", `${id}-title`);
    const form = node("form", "ask-form");
    form.noValidate = true;
    const heading = node("h2", "ask-title", title);
    heading.id = `${id}-title`;
    form.append(heading);
    if (body) {
      const p = node("p", "ask-body", body);
      p.id = `${id}-body`;
      dialog.setAttribute("aria-describedby", p.id);
      form.append(p);
    }
    let input = null;
    const error = node("p", "error ask-error");
    error.id = `${id}-error`;
    error.setAttribute("role", "alert");
    error.hidden = true;
    if (value !== null) {
      const lab = node("label", "field-label", label);
      lab.htmlFor = `${id}-field`;
      input = node("input", "input ask-input");
      input.id = `${id}-field`;
      input.type = "text";
      input.value = value;
      input.autocomplete = "off";
      if (maxLength) input.maxLength = maxLength;
      input.setAttribute("aria-describedby", error.id);
      form.append(lab, input, error);
    }
    const row = node("div", "ask-buttons");
    const yes = node("button", "send ask-ok", ok);
    yes.type = "submit";
    const no = node("button", "secondary ask-cancel", cancel || t("ask.cancel"));
    no.type = "button";
    row.append(yes, no);
    form.append(row);
    dialog.append(form);

    let answer = null;
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      if (input) {
        const text = input.value.trim();
        if (!text) {
          error.textContent = empty || t("ask.empty");
          error.hidden = false;
          input.setAttribute("aria-invalid", "true");
          input.focus();
          return;
        }
        answer = text;
      } else answer = true;
      dialog.close();
    });
    no.addEventListener("click", () => dialog.close());
    dialog.addEventListener("close", () => {
      dialog.remove();
      const target = opener && opener.isConnected && opener !== document.body ? opener : back;
      target?.focus();
      resolve(answer);
    });
    document.body.append(dialog);
    dialog.showModal(); // Esc closes a modal dialog by itself ("cancel", then "close")
    if (input) {
      input.focus();
      input.select();
    } else no.focus();
  });
}

/** Ask for one line of text (a new name): the trimmed text, or null when cancelled. */
export function askText({ title, label, value = "", ok, cancel = "", empty = "", back = null, maxLength = 0 }) {
  return open({ title, label, value: value ?? "", ok, cancel, empty, back, maxLength });
}

/** Ask for a yes (a deletion): true, or false when cancelled. */
export async function askConfirm({ title, body = "", ok, cancel = "", back = null }) {
  return (await open({ title, body, value: null, ok, cancel, back })) === true;
}
