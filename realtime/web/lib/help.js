// "도움말·문의": the help dialog every page's header holds (lib/header.html), in the same place on
// every page (KWCAG 2.2 3.2.2, 찾기 쉬운 도움 정보): how to reconnect, make the text larger, vote
// on paper, and whom to ask, with the organisers' contact from `GET /api/help` (public, so the
// results page, which has no link, shows it too; moderation/help_contact.py).
//
// The contact is asked for when the page loads, so the dialog still has it once the network is
// gone (when help is needed most), and again on each opening, for a change the organisers made.
// Every value goes on the page through textContent. initShell calls initHelp once.

import { onChange, t } from "./i18n.js";

const $ = (id) => document.getElementById(id);

/** A phone number as the tel: link's target: digits and a leading +, nothing else. */
export function telHref(phone) {
  const digits = phone.replace(/[^0-9+]/g, "").replace(/(?!^)\+/g, "");
  return digits ? `tel:${digits}` : "";
}

export function initHelp() {
  const open = $("btn-help");
  const dialog = $("help-dialog");
  const box = $("help-contact");
  if (!open || !dialog || !box) return;
  let contact = null; // the last answer of /api/help
  let state = "loading"; // loading | ok | failed

  async function load() {
    try {
      const resp = await fetch("/api/help", { cache: "no-cache" });
      if (!resp.ok) throw new Error(String(resp.status));
      contact = await resp.json();
      state = "ok";
    } catch {
      if (!contact) state = "failed"; // an earlier answer is still good
    }
    render();
  }

  function row(labelKey, value, node = null) {
    const dt = document.createElement("dt");
    dt.textContent = t(labelKey);
    const dd = document.createElement("dd");
    if (node) dd.append(node);
    else dd.textContent = value;
    return [dt, dd];
  }

  function render() {
    box.replaceChildren();
    const c = contact || {};
    const parts = [];
    if (c.phone) {
      const a = document.createElement("a");
      a.className = "help-phone";
      a.href = telHref(c.phone);
      a.textContent = c.phone;
      a.setAttribute("aria-label", t("help.call", { phone: c.phone }));
      parts.push(...row("help.phone", "", a));
    }
    if (c.hours) parts.push(...row("help.hours", c.hours));
    if (c.place) parts.push(...row("help.place", c.place));
    if (parts.length) {
      const dl = document.createElement("dl");
      dl.append(...parts);
      box.append(dl);
    }
    if (c.note) {
      const p = document.createElement("p");
      p.className = "help-note";
      p.textContent = c.note;
      box.append(p);
    }
    if (!parts.length && !c.note) {
      const p = document.createElement("p");
      p.className = "hint-text";
      p.textContent = t(state === "loading" ? "help.loading" : state === "failed" ? "help.failed" : "help.none");
      box.append(p);
    }
  }

  open.addEventListener("click", () => {
    dialog.showModal(); // the focus on its title (autofocus): read from the top, not from 닫기
    dialog.scrollTop = 0;
    load();
  });
  $("help-close")?.addEventListener("click", () => dialog.close());
  dialog.addEventListener("close", () => open.focus());
  onChange(render);
  render();
  load();
}
