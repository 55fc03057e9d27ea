// The meeting's chat on the panelist page: the log (the last messages on arrival, then live; the
// moderators' deletions, my mute, ban and the slow mode), reporting a message, and the composer
// (Enter sends, Shift+Enter breaks the line, the character count as the server counts it). It
// works on the markup of `index.html`'s `#chat` section.
//
// Like the other panels: setWelcome(welcome), setMeeting(id), rerender(); plus what the page's
// tabs and text size need: keepPinned(change) runs a change that moves the layout and keeps a
// reader who follows the conversation at the newest message, showNewest() scrolls there.
//
// Two states of its own that the page shows on the chat's section button (`onCount(n)`): messages
// that came while the chat was not on screen, and messages held while the reader paused the chat
// (KWCAG 2.2 "정지 기능": a reader can stop content that updates by itself; held ones are counted,
// not scrolled in, and come in on "resume"). Offline, the composer says so in one line and does
// not pretend to send (`conn.watch`).
//
// Everything that comes from the server or from people is put on the page with textContent or as
// attribute values set through the DOM, never as HTML.

import { t } from "../lib/i18n.js";
import { el, fmtTime, may, setChildren } from "../lib/meeting-common.js";
import { roleName } from "../lib/shell.js";

const MAX_MESSAGES = 500; // older messages leave the page (the record stays on the server)
const REPORT_REASONS = ["abuse", "spam", "off_topic", "personal_info", "other"];

/** The chat panel on `root` (the `#chat` section), following the chosen meeting's chat on `conn`. */
export function chatPanel(conn, root, { onCount = () => {} } = {}) {
  const $ = (id) => root.querySelector(`#${id}`);
  const ui = {
    scroller: $("chat-scroller"),
    log: $("chat-log"),
    chatNote: $("chat-note"),
    newBelow: $("new-below"),
    form: $("composer"),
    text: $("composer-text"),
    count: $("composer-count"),
    error: $("composer-error"),
    standing: $("chat-standing"),
    rules: $("chat-rules"),
    send: $("send"),
    offline: $("composer-offline"),
    pause: $("chat-pause"),
    paused: $("chat-paused"),
  };
  const state = {
    welcome: null,
    meeting: null, // the meeting whose chat this is (from the welcome)
    sub: null,
    maxChars: 500,
    sending: false,
    error: null, // {key, vars} of the composer's error, re-rendered on a language change
    unseen: 0,
    deleted: new Set(), // offsets of messages moderators deleted (this meeting's chat)
    reported: new Set(), // offsets I reported
    standing: { mutedUntil: 0, banned: false, slowMode: 0, links: "staff" }, // my chat standing
    standingTimer: null,
    skew: 0, // the hub's clock minus this device's (welcome.server_time)
    paused: false, // the reader stopped the chat: new messages are held, not shown
    held: [], // events of messages that came while paused, in order
    away: 0, // messages that came while the chat was not on screen (another section)
  };

  function hubNow() {
    return Date.now() + state.skew;
  }

  function nearBottom() {
    const s = ui.scroller;
    return s.scrollHeight - s.scrollTop - s.clientHeight < 80;
  }

  function scrollToBottom() {
    ui.scroller.scrollTop = ui.scroller.scrollHeight;
    state.unseen = 0;
    ui.newBelow.hidden = true;
  }

  // -- chat ----------------------------------------------------------------------------------------
  function openChat(meeting) {
    if (state.sub) state.sub.close();
    setChildren(ui.log);
    state.deleted = new Set();
    state.reported = new Set();
    state.standing = { mutedUntil: 0, banned: false, slowMode: 0, links: "staff" };
    renderStanding();
    ui.chatNote.hidden = true;
    root.hidden = false;
    state.unseen = 0;
    state.held = [];
    state.away = 0;
    ui.newBelow.hidden = true;
    ui.scroller.setAttribute("aria-busy", "true");
    const channel = (meeting.channels || []).find((c) => c.endsWith("/chat")) || `meeting/${meeting.id}/chat`;
    state.sub = conn.subscribe(channel, {
      onEvents: (events, info) => addEvents(events, info),
      onError: (err) => {
        ui.scroller.setAttribute("aria-busy", "false");
        const reason = t(`err.${err.name === "forbidden" ? "forbidden.read" : err.name}`, { max: state.maxChars });
        showChatNote(t("chat.cannotRead", { reason: reason.startsWith("err.") ? err.message : reason }));
      },
    });
  }

  function showChatNote(text) {
    ui.chatNote.textContent = text;
    ui.chatNote.hidden = false;
  }

  function noteItem(text) {
    const li = el("li", "note", text);
    return li;
  }

  function messageItem(e) {
    const data = e.data || {};
    const author = data.author || {};
    const mine = state.welcome && author.id === state.welcome.participant;
    const li = el("li", "msg");
    li.dataset.offset = String(e.offset);
    if (mine) li.classList.add("mine");
    if (author.role && author.role !== "panelist") li.classList.add("staff");
    const meta = el("p", "meta");
    meta.append(el("span", "author", author.name || "?"));
    if (author.role && author.role !== "panelist") {
      const badge = el("span", "badge role", roleName(author.role));
      badge.dataset.role = author.role;
      meta.append(badge);
    }
    if (mine) meta.append(el("span", "badge self", t("chat.me")));
    const time = el("time", "time", fmtTime(e.time));
    time.dateTime = new Date(e.time).toISOString();
    time.dataset.ms = String(e.time);
    meta.append(time);
    if (!mine && may(state.welcome, "chat.report")) {
      const btn = el("button", "report-btn", "");
      btn.type = "button";
      btn.dataset.author = author.name || "?";
      labelReport(btn, state.reported.has(e.offset));
      btn.addEventListener("click", () => openReport(li, e.offset, btn));
      meta.append(btn);
    }
    li.append(meta, el("p", "text", String(data.text ?? "")));
    return li;
  }

  function labelReport(btn, done) {
    btn.textContent = t(done ? "report.done.short" : "report.open");
    btn.setAttribute("aria-label", t(done ? "report.done.label" : "report.open.label", { name: btn.dataset.author }));
    btn.disabled = done;
  }

  // -- reporting a message to the moderators ------------------------------------------------------
  function openReport(li, offset, btn) {
    if (li.querySelector(".report-form")) {
      li.querySelector(".report-form select").focus();
      return;
    }
    const form = el("form", "report-form");
    form.noValidate = true;
    const id = `report-${offset}`;
    const label = el("label", "field-label", t("report.reason"));
    label.htmlFor = id;
    const select = el("select", "select");
    select.id = id;
    for (const r of REPORT_REASONS) {
      const opt = el("option", "", t(`report.reason.${r}`));
      opt.value = r;
      select.append(opt);
    }
    const err = el("p", "error");
    err.setAttribute("role", "alert");
    err.hidden = true;
    const row = el("div", "report-row");
    const submit = el("button", "small-btn primary", t("report.send"));
    submit.type = "submit";
    const cancel = el("button", "small-btn", t("report.cancel"));
    cancel.type = "button";
    row.append(submit, cancel);
    form.append(label, select, err, row);
    const close = () => {
      form.remove();
      btn.focus();
    };
    cancel.addEventListener("click", close);
    form.addEventListener("keydown", (ev) => {
      if (ev.key === "Escape") close();
    });
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      submit.disabled = true;
      try {
        await conn.request("chat.report", { meeting: state.meeting.id, offset, reason: select.value });
        state.reported.add(offset);
        labelReport(btn, true);
        const done = el("p", "report-done", t("report.done"));
        done.setAttribute("role", "status");
        form.replaceWith(done);
      } catch (error) {
        submit.disabled = false;
        err.textContent = error.name === "unknown_message" ? t("report.gone") : t("err.other", { name: error.name, message: error.message });
        err.hidden = false;
      }
    });
    li.append(form);
    select.focus();
  }

  // -- moderation: deleted messages, my mute or ban, slow mode ------------------------------------
  function hideMessage(offset) {
    const li = ui.log.querySelector(`li.msg[data-offset="${Number(offset)}"]`);
    if (!li || li.classList.contains("deleted")) return;
    li.className = "msg deleted";
    setChildren(li, el("p", "deleted-text", t("chat.deleted")));
  }

  function deletedItem(offset) {
    const li = el("li", "msg deleted");
    li.dataset.offset = String(offset);
    li.append(el("p", "deleted-text", t("chat.deleted")));
    return li;
  }

  function applyModeration(e, initial) {
    const d = e.data || {};
    const me = state.welcome && state.welcome.participant;
    switch (e.event) {
      case "chat.deleted":
        state.deleted.add(Number(d.offset));
        hideMessage(d.offset);
        return;
      case "chat.settings":
        if (typeof d.slow_mode === "number") state.standing.slowMode = d.slow_mode;
        if (d.links) state.standing.links = d.links;
        renderStanding();
        return;
      default:
        break;
    }
    // Standing events from the history are settled by chat.status; only live ones change it here.
    if (initial || d.participant !== me) return;
    if (e.event === "chat.muted") state.standing.mutedUntil = Number(d.until) || 0;
    else if (e.event === "chat.banned") state.standing.banned = true;
    else if (e.event === "chat.unmuted") {
      state.standing.banned = false;
      state.standing.mutedUntil = 0;
    } else return;
    renderStanding(true);
  }

  async function loadStatus() {
    if (!may(state.welcome, "chat.status") || !state.meeting) return;
    const meetingId = state.meeting.id;
    try {
      const r = await conn.request("chat.status", { meeting: meetingId });
      if (!state.meeting || state.meeting.id !== meetingId) return;
      state.standing.slowMode = Number(r.slow_mode) || 0;
      state.standing.links = r.links || "staff";
      state.standing.banned = !!r.banned;
      state.standing.mutedUntil = r.muted_ms > 0 ? hubNow() + Number(r.muted_ms) : 0;
      renderStanding();
    } catch {
      /* the chat still works; the next subscribe asks again */
    }
  }

  function renderStanding(announce = false) {
    const s = state.standing;
    clearTimeout(state.standingTimer);
    let text = "";
    if (s.banned) text = t("standing.banned");
    else if (s.mutedUntil > hubNow()) {
      const left = s.mutedUntil - hubNow();
      text = t("standing.muted", { time: fmtTime(s.mutedUntil - state.skew), min: Math.max(1, Math.ceil(left / 60_000)) });
      state.standingTimer = setTimeout(() => renderStanding(), Math.min(left + 250, 30_000));
    } else if (s.mutedUntil) {
      s.mutedUntil = 0;
      text = "";
    }
    ui.standing.textContent = text;
    ui.standing.hidden = !text;
    if (announce && text) ui.standing.scrollIntoView({ block: "nearest" });
    const rules = [];
    if (s.slowMode > 0) rules.push(t("rules.slow", { s: s.slowMode }));
    if (s.links === "block") rules.push(t("rules.links.block"));
    ui.rules.textContent = rules.join(" ");
    ui.rules.hidden = !rules.length;
  }

  /** Labels of messages already on the page, in the current language. */
  function relabelMessages() {
    for (const node of ui.log.querySelectorAll("time[data-ms]")) node.textContent = fmtTime(Number(node.dataset.ms));
    for (const node of ui.log.querySelectorAll(".badge.role")) node.textContent = roleName(node.dataset.role);
    for (const node of ui.log.querySelectorAll(".badge.self")) node.textContent = t("chat.me");
    for (const node of ui.log.querySelectorAll(".deleted-text")) node.textContent = t("chat.deleted");
    for (const node of ui.log.querySelectorAll(".report-btn")) labelReport(node, node.disabled);
  }

  // -- pause (KWCAG 2.2 정지 기능) -------------------------------------------------------------------
  const isMessage = (e) => e.event === "chat.message" || e.event === "chat.removed";

  function reportCount() {
    onCount(state.away + state.held.length);
  }

  function renderPause() {
    if (!ui.pause) return;
    const n = state.held.length;
    // the label says what pressing does (no aria-pressed: a toggle's name must not change)
    ui.pause.textContent = state.paused ? t("chat.resume", { n }) : t("chat.pause");
    ui.pause.dataset.paused = String(state.paused);
    ui.paused.textContent = state.paused ? t("chat.paused") : "";
    ui.paused.hidden = !state.paused;
    reportCount();
  }

  function setPaused(on) {
    state.paused = on;
    if (!on && state.held.length) {
      const held = state.held;
      state.held = [];
      addEvents(held, { initial: false, reset: false, skipped: false });
    }
    renderPause();
  }

  function addEvents(events, { initial, reset, skipped }) {
    if (reset) state.held = []; // a new epoch: what was held belongs to the old one
    if (state.paused && !initial && !reset) {
      if (skipped) {
        setPaused(false); // the list is about to say some messages are missing: show it whole
        state.paused = true;
      } else {
        // Messages wait; deletions and my standing apply at once (a deleted text is never shown).
        state.held.push(...events.filter(isMessage));
        const rest = events.filter((e) => !isMessage(e));
        if (rest.length) addEvents(rest, { initial: false, reset: false, skipped: false });
        renderPause();
        return;
      }
    }
    // Follow the conversation on first load, or when the reader is already at the bottom; someone
    // who scrolled up to read is not pulled down (not even by a reconnect's catch-up).
    const follow = ui.log.children.length === 0 || reset || nearBottom();
    if (reset) {
      setChildren(ui.log, noteItem(t("chat.reset")));
      state.deleted = new Set(); // a new epoch: offsets start again
    }
    if (skipped) ui.log.append(noteItem(t("chat.skipped")));
    // Deletions first: a backlog holds a message and, later, its deletion; neither is ever shown.
    // A deleted message's own place in the history is a tombstone (chat.removed, no text): marked too.
    for (const e of events) {
      if (e.event === "chat.deleted" && e.data) state.deleted.add(Number(e.data.offset));
      if (e.event === "chat.removed") state.deleted.add(Number(e.offset));
    }
    const items = [];
    for (const e of events) {
      if (e.event === "chat.message" || e.event === "chat.removed") {
        items.push(state.deleted.has(e.offset) ? deletedItem(e.offset) : messageItem(e));
      }
    }
    ui.log.append(...items);
    for (const e of events) {
      if (e.event !== "chat.message" && e.event !== "chat.removed") applyModeration(e, initial);
    }
    if (initial) loadStatus();
    while (ui.log.children.length > MAX_MESSAGES) ui.log.firstElementChild.remove();
    if (initial) ui.scroller.setAttribute("aria-busy", "false");
    ui.chatNote.hidden = ui.log.children.length > 0;
    if (!ui.chatNote.hidden) ui.chatNote.textContent = t("chat.empty");
    if (!initial && items.length && root.classList.contains("tab-off")) {
      state.away += items.length;
      reportCount();
    }
    if (follow) {
      scrollToBottom();
    } else if (items.length) {
      state.unseen += items.length;
      ui.newBelow.textContent = t("chat.newBelow", { n: state.unseen });
      ui.newBelow.hidden = false;
    }
  }

  // -- composer ------------------------------------------------------------------------------------
  function charCount(text) {
    return [...text.trim()].length; // code points, as the server counts them
  }

  function renderCount() {
    const n = charCount(ui.text.value);
    ui.count.textContent = t("composer.count", { n, max: state.maxChars });
    ui.count.classList.toggle("over", n > state.maxChars);
  }

  function setError(key, vars = {}) {
    state.error = key ? { key, vars } : null;
    renderError();
    if (key) ui.error.scrollIntoView({ block: "nearest" }); // a tall page must not hide the reason
  }

  function renderError() {
    // offline, the offline line already says why it was not sent: one message, not two
    if (!state.error || (conn.state !== "live" && state.error.key === "err.disconnected")) {
      ui.error.textContent = "";
      ui.error.hidden = true;
      ui.text.removeAttribute("aria-invalid");
      return;
    }
    ui.error.textContent = t(state.error.key, state.error.vars);
    ui.error.hidden = false;
    ui.text.setAttribute("aria-invalid", "true");
  }

  function errorKey(err) {
    const known = [
      "rate_limited",
      "message_too_long",
      "empty_message",
      "forbidden",
      "not_a_member",
      "chat_closed",
      "muted",
      "banned",
      "slow_mode",
      "link_not_allowed",
      "unknown_meeting",
      "unavailable",
      "disconnected",
      "timeout",
    ];
    return known.includes(err.name) ? `err.${err.name}` : "err.other";
  }

  /** Offline, one line says the message cannot go yet, and the button does not pretend to send. */
  function renderOffline() {
    const off = conn.state !== "live";
    if (ui.offline) {
      ui.offline.textContent = off ? t("offline.send") : "";
      ui.offline.hidden = !off;
    }
    ui.send.setAttribute("aria-disabled", String(off));
    renderError();
  }

  async function send() {
    if (state.sending || !state.meeting) return;
    if (!conn.live) {
      renderOffline();
      return;
    }
    const text = ui.text.value;
    const n = charCount(text);
    if (n === 0) {
      ui.text.focus();
      return;
    }
    if (n > state.maxChars) {
      setError("err.too_long_local", { n, max: state.maxChars });
      return;
    }
    state.sending = true;
    ui.send.disabled = true;
    ui.send.textContent = t("composer.sending");
    try {
      await conn.request("chat.send", { meeting: state.meeting.id, text });
      // Shown when it comes back on the channel, like everyone else's: one source of truth, no double.
      if (ui.text.value === text) ui.text.value = "";
      setError(null);
      renderCount();
      scrollToBottom();
    } catch (err) {
      const vars = {
        max: state.maxChars,
        role: roleName(state.welcome ? state.welcome.role : ""),
        name: err.name,
        message: err.message,
        s: Math.max(1, Math.ceil((err.retryAfterMs || 0) / 1000)),
        time: fmtTime(Date.now() + (err.retryAfterMs || 0)),
      };
      let key = errorKey(err);
      if (err.name === "muted" && err.retryAfterMs > 0) {
        key = "err.muted.until";
        state.standing.mutedUntil = hubNow() + err.retryAfterMs;
        renderStanding();
      }
      if (err.name === "banned") {
        state.standing.banned = true;
        renderStanding();
      }
      setError(key, vars); // the typed text stays in the box
    } finally {
      state.sending = false;
      ui.send.textContent = t("composer.send");
      ui.send.disabled = state.sending;
    }
  }

  function onKeyDown(e) {
    // Enter sends, Shift+Enter breaks the line. While a Korean IME is composing a syllable, Enter
    // only ends the composition: never send half a word.
    if (e.key !== "Enter" || e.shiftKey || e.isComposing || e.keyCode === 229) return;
    e.preventDefault();
    send();
  }

  function rerender() {
    renderCount();
    renderError();
    relabelMessages();
    renderStanding();
    if (!ui.chatNote.hidden && ui.log.children.length === 0 && ui.scroller.getAttribute("aria-busy") !== "true") {
      ui.chatNote.textContent = t("chat.empty");
    }
    if (!ui.newBelow.hidden) ui.newBelow.textContent = t("chat.newBelow", { n: state.unseen });
    if (!state.sending) ui.send.textContent = t("composer.send");
    renderOffline();
    renderPause();
  }

  ui.form.addEventListener("submit", (e) => {
    e.preventDefault();
    send();
  });
  ui.text.addEventListener("keydown", onKeyDown);
  ui.text.addEventListener("input", () => {
    renderCount();
    const n = charCount(ui.text.value);
    if (n > state.maxChars) setError("err.too_long_local", { n, max: state.maxChars });
    else if (state.error && state.error.key === "err.too_long_local") setError(null);
  });
  ui.scroller.addEventListener("scroll", () => {
    if (nearBottom() && !ui.newBelow.hidden) {
      state.unseen = 0;
      ui.newBelow.hidden = true;
    }
  });
  ui.newBelow.addEventListener("click", () => {
    scrollToBottom();
    ui.text.focus();
  });
  ui.pause?.addEventListener("click", () => setPaused(!state.paused));
  renderCount();
  renderPause();
  conn.watch(() => renderOffline());

  return {
    setWelcome(welcome) {
      state.welcome = welcome;
      if (typeof welcome.server_time === "number") state.skew = welcome.server_time - Date.now();
      state.maxChars = (welcome.limits && welcome.limits.chat_chars) || 500;
    },
    /** Follow this meeting's chat (a meeting already followed resumes on its own after a reconnect). */
    setMeeting(id) {
      const meeting = ((state.welcome && state.welcome.meetings) || []).find((m) => m.id === id);
      if (!meeting) return;
      const changed = !state.meeting || state.meeting.id !== meeting.id;
      state.meeting = meeting;
      if (changed) openChat(meeting);
    },
    rerender,
    keepPinned(change) {
      const follow = nearBottom();
      change();
      if (follow) scrollToBottom();
    },
    /** The chat is on screen again (its section chosen): show the newest, nothing is new any more. */
    showNewest() {
      scrollToBottom();
      state.away = 0;
      reportCount();
    },
  };
}
