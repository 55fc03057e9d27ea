// The header every page shares, wired: the text size and language buttons, the document title
// (`app.title · <page>`), the connection pill with its "reconnect now" button, who is connected
// (name and role) and the full-page notice. The markup is one file, `lib/header.html`, that the hub
// puts into each page (`<!--#header ...-->`, realtime/http/routes.py `render_page`), so it is there before
// any script runs; this module only makes it live. Every page uses the same storage keys, so the
// choices carry across pages. A page without a hub connection (results) has no pill and no name:
// their parts are simply absent and skipped here.

import { ConnNotice } from "./conn-notice.js";
import { initHelp } from "./help.js";
import { apply, initLang, lang, onChange, setLang, t } from "./i18n.js";

const SIZE_KEY = "plenary.textsize";
const SIZES = ["0", "1", "2"];

const $ = (id) => document.getElementById(id);

export function roleName(role) {
  const key = `role.${role}`;
  const s = t(key);
  return s === key ? role : s;
}

/**
 * The header scrolls away up to its status row (the connection pill, who is connected), which then
 * stays at the top of the screen (`.top` is sticky at -{--top-stick}): the connection state is
 * always in view. A page without a connection has no status row: its header scrolls away whole.
 */
function keepStatusInView() {
  const header = document.querySelector("header.top");
  if (!header) return;
  const row = header.querySelector(".status-row");
  const measure = () => {
    const stick = row ? row.getBoundingClientRect().top - header.getBoundingClientRect().top - 4 : header.offsetHeight;
    const top = Math.max(0, Math.round(stick));
    document.documentElement.style.setProperty("--top-stick", `${top}px`);
    // what stays on screen: focus moved by the keyboard scrolls clear of it (WCAG 2.2 2.4.11)
    document.documentElement.style.setProperty("--top-kept", `${Math.max(0, header.offsetHeight - top)}px`);
  };
  new ResizeObserver(measure).observe(header);
  measure();
}

/**
 * Wire the header of a page. `pageKey` names the page in the document title; `onRerender` redraws
 * the page's own text after a language or size change; `aroundResize(resize)` runs a size change
 * (the panelist page keeps its chat pinned to the newest message across it).
 * Returns {setConn(state), setMe(welcome), notice(title, body, vars), clearNotice(), onRetry(fn), rerender}.
 */
export function initShell({ pageKey, onRerender = () => {}, aroundResize = (resize) => resize() }) {
  initLang();
  const size = $("btn-size");
  const langBtn = $("btn-lang");
  const conn = $("conn");
  const connText = $("conn-text");
  const retry = $("conn-retry");
  const notice = $("notice");
  let connState = "idle";
  let connNotice = null; // made on the first connection state: pages without a hub have none
  let noticeKeys = null;
  let welcome = null;

  function setSize(s) {
    const v = SIZES.includes(s) ? s : "0";
    document.documentElement.dataset.size = v;
    if (!size) return;
    size.textContent = t("size.label");
    size.setAttribute("aria-label", `${t(`size.${v}`)} (${t("size.next")})`);
    try {
      localStorage.setItem(SIZE_KEY, v);
    } catch {
      /* ignore */
    }
  }

  function renderConn() {
    if (!conn) return;
    conn.dataset.state = connState;
    connText.textContent = t(`conn.${connState}`);
    // "crowded": someone who just closed another window need not wait for the slow retry.
    if (retry) retry.hidden = connState !== "reconnecting" && connState !== "crowded";
  }

  function renderMe() {
    if (!welcome || !$("me")) return;
    $("me-name").textContent = t("who.greeting", { name: welcome.name });
    $("me-role").textContent = roleName(welcome.role);
  }

  function renderNotice() {
    if (!notice) return;
    notice.hidden = !noticeKeys;
    if (!noticeKeys) return;
    $("notice-title").textContent = t(noticeKeys.title, noticeKeys.vars);
    $("notice-body").textContent = t(noticeKeys.body, noticeKeys.vars);
  }

  function rerender() {
    document.title = `${t("app.title")} · ${t(pageKey)}`;
    aroundResize(() => setSize(document.documentElement.dataset.size));
    renderConn();
    renderMe();
    renderNotice();
    onRerender();
  }

  let saved = "0";
  try {
    saved = localStorage.getItem(SIZE_KEY) || "0";
  } catch {
    /* ignore */
  }
  setSize(saved);
  size?.addEventListener("click", () => {
    const i = SIZES.indexOf(document.documentElement.dataset.size);
    aroundResize(() => setSize(SIZES[(i + 1) % SIZES.length]));
  });
  langBtn?.addEventListener("click", () => setLang(lang() === "ko" ? "en" : "ko"));
  onChange(rerender);
  apply();
  rerender();
  keepStatusInView();
  initHelp(); // the help dialog of the header (lib/help.js)

  return {
    setConn(state) {
      connState = state;
      renderConn();
      connNotice = connNotice || new ConnNotice();
      connNotice.set(state);
    },
    /** Who is connected (the welcome), shown from the first welcome on. */
    setMe(w) {
      welcome = w;
      renderMe();
      if ($("me")) $("me").hidden = false;
    },
    notice(title, body, vars = {}) {
      noticeKeys = { title, body, vars };
      renderNotice();
      notice?.focus();
    },
    clearNotice() {
      noticeKeys = null;
      renderNotice();
    },
    onRetry(fn) {
      retry?.addEventListener("click", fn);
    },
    rerender,
  };
}
