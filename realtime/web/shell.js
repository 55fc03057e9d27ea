// The frame shared by the vote pages (ballot, host console, public results): the personal token,
// the text size and language buttons, the connection pill and the full-page notice. It behaves like
// the panelist page (app.js) and uses the same storage keys, so the choices carry across pages.

import { ConnNotice } from "./conn-notice.js";
import { apply, initLang, lang, onChange, setLang, t } from "./i18n.js";

const TOKEN_KEY = "plenary.token";
const SIZE_KEY = "plenary.textsize";
const SIZES = ["0", "1", "2"];

const $ = (id) => document.getElementById(id);

/** The token from the link's fragment (then kept for this tab only and cleared from the address). */
export function takeToken() {
  const match = /(?:^#|&)t=([^&]+)/.exec(window.location.hash);
  if (match) {
    const token = decodeURIComponent(match[1]);
    try {
      sessionStorage.setItem(TOKEN_KEY, token);
      history.replaceState(null, "", window.location.pathname + window.location.search);
    } catch {
      /* no storage: keep the fragment so that a reload still works */
    }
    return token;
  }
  try {
    return sessionStorage.getItem(TOKEN_KEY);
  } catch {
    return null;
  }
}

export function forgetToken() {
  try {
    sessionStorage.removeItem(TOKEN_KEY);
  } catch {
    /* ignore */
  }
}

export function roleName(role) {
  const key = `role.${role}`;
  const s = t(key);
  return s === key ? role : s;
}

/**
 * Wire the header of a page: language and size buttons, the document title (`app.title · <page>`),
 * and the connection pill. Returns {setConn(state), notice(title, body), clearNotice(), rerender}.
 */
export function initShell({ pageKey, onRerender = () => {} }) {
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

  function renderNotice() {
    if (!notice) return;
    notice.hidden = !noticeKeys;
    if (!noticeKeys) return;
    $("notice-title").textContent = t(noticeKeys.title, noticeKeys.vars);
    $("notice-body").textContent = t(noticeKeys.body, noticeKeys.vars);
  }

  function rerender() {
    document.title = `${t("app.title")} · ${t(pageKey)}`;
    setSize(document.documentElement.dataset.size);
    renderConn();
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
    setSize(SIZES[(i + 1) % SIZES.length]);
  });
  langBtn?.addEventListener("click", () => setLang(lang() === "ko" ? "en" : "ko"));
  onChange(rerender);
  apply();
  rerender();

  return {
    setConn(state) {
      connState = state;
      renderConn();
      connNotice = connNotice || new ConnNotice();
      connNotice.set(state);
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

/** Close codes after which a person must act (a new link): the notice keys of the panelist page. */
export function fatalKeys(code) {
  const c = code === 4003 || code === 4012 || code === 4004 ? code : 4004;
  return { title: `fatal.${c}.title`, body: `fatal.${c}.body` };
}
