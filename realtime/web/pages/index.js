// The panelist page: who I am, the meeting picker, the stream and the meeting chat.
//
// Everything that comes from the server or from people (names, titles, messages) is put on the
// page with textContent or as attribute values set through the DOM, never as HTML.

import { Ballot } from "../panels/ballot.js";
import { QaPanel } from "../panels/qa.js";
import { SpeakersPanel } from "../panels/speakers.js";
import { PollsPanel } from "../panels/polls.js";
import { connectPage } from "../lib/boot.js";
import { lang, t } from "../lib/i18n.js";
import { initShell, roleName } from "../lib/shell.js";
import { votesFromAddress } from "../lib/vote-common.js";

const MEETING_KEY = "plenary.meeting";
const MAX_MESSAGES = 500; // older messages leave the page (the record stays on the server)
const YOUTUBE_ID = /^[A-Za-z0-9_-]{6,20}$/;
const TIME_ZONE = "Asia/Seoul";

const $ = (id) => document.getElementById(id);

const ui = {
  who: $("who"),
  me: $("me"),
  meeting: $("meeting"),
  stage: $("stage"),
  meetingTitle: $("meeting-title"),
  meetingWhen: $("meeting-when"),
  video: $("video"),
  novideo: $("novideo"),
  chat: $("chat"),
  vote: $("vote"),
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
  sideHead: $("side-head"),
  banner: $("floor-banner"),
  tabs: [...document.querySelectorAll("#tabs [role=tab]")],
  qa: $("qa"),
  speakers: $("speakers"),
  polls: $("polls"),
  qaCount: $("tab-qa-count"),
  speakersCount: $("tab-speakers-count"),
  pollsCount: $("tab-polls-count"),
};

// -- tabs: chat, questions, speakers (one at a time on every screen) ----------------------------
const TAB_KEY = "plenary.tab";

function selectTab(name, focus = false) {
  for (const tab of ui.tabs) {
    const on = tab.dataset.tab === name;
    tab.setAttribute("aria-selected", String(on));
    tab.tabIndex = on ? 0 : -1;
    $(tab.getAttribute("aria-controls")).classList.toggle("tab-off", !on);
    if (on && focus) tab.focus();
  }
  try {
    sessionStorage.setItem(TAB_KEY, name);
  } catch {
    /* ignore */
  }
  if (name === "chat") scrollToBottom();
}

function initTabs() {
  for (const tab of ui.tabs) {
    tab.addEventListener("click", () => selectTab(tab.dataset.tab));
    tab.addEventListener("keydown", (e) => {
      const i = ui.tabs.indexOf(tab);
      let j = null;
      if (e.key === "ArrowRight") j = (i + 1) % ui.tabs.length;
      else if (e.key === "ArrowLeft") j = (i - 1 + ui.tabs.length) % ui.tabs.length;
      else if (e.key === "Home") j = 0;
      else if (e.key === "End") j = ui.tabs.length - 1;
      if (j === null) return;
      e.preventDefault();
      selectTab(ui.tabs[j].dataset.tab, true);
    });
  }
  document.querySelector(".skip-link").addEventListener("click", () => selectTab("chat"));
  let saved = "chat";
  try {
    saved = sessionStorage.getItem(TAB_KEY) || "chat";
  } catch {
    /* ignore */
  }
  selectTab(ui.tabs.some((tab) => tab.dataset.tab === saved) ? saved : "chat");
}

function setCount(node, n) {
  node.textContent = n > 0 ? String(n) : "";
}

const state = {
  conn: null,
  ballot: null, // the vote section (ballot.js)
  parts: [], // the meeting's other panels (Q&A, speakers): setWelcome, setMeeting, rerender
  welcome: null,
  meeting: null, // the chosen meeting object from the welcome
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
};

const REPORT_REASONS = ["abuse", "spam", "off_topic", "personal_info", "other"];

function may(command) {
  return !!(state.welcome && (state.welcome.may || []).includes(command));
}

function hubNow() {
  return Date.now() + state.skew;
}

// -- small helpers ----------------------------------------------------------------------------
/** Replace an element's children (Element.replaceChildren needs Safari 14; older phones are here too). */
function setChildren(parent, ...children) {
  while (parent.firstChild) parent.firstChild.remove();
  parent.append(...children);
}

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function fmtTime(ms) {
  return new Intl.DateTimeFormat(lang(), { hour: "numeric", minute: "2-digit", timeZone: TIME_ZONE }).format(ms);
}

function fmtWhen(ms) {
  return new Intl.DateTimeFormat(lang(), {
    month: "long",
    day: "numeric",
    weekday: "short",
    hour: "numeric",
    minute: "2-digit",
    timeZone: TIME_ZONE,
  }).format(ms);
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

// -- a close after which the person must act (the header shows why) ---------------------------
function onFatal() {
  ui.who.hidden = true;
  ui.me.hidden = true;
  ui.stage.hidden = true;
  ui.chat.hidden = true;
  ui.vote.hidden = true;
  ui.sideHead.hidden = true;
  ui.qa.hidden = true;
  ui.speakers.hidden = true;
  ui.polls.hidden = true;
}

// -- welcome and the meeting picker -------------------------------------------------------------
function onWelcome(welcome) {
  state.welcome = welcome;
  if (typeof welcome.server_time === "number") state.skew = welcome.server_time - Date.now();
  state.ballot.setWelcome(welcome);
  for (const part of state.parts) part.setWelcome(welcome);
  state.maxChars = (welcome.limits && welcome.limits.chat_chars) || 500;
  ui.who.hidden = false;
  renderMeetingOptions();
  const meetings = welcome.meetings || [];
  if (!meetings.length) {
    ui.stage.hidden = false;
    ui.meetingTitle.textContent = t("meeting.none");
    ui.meetingWhen.textContent = "";
    ui.video.hidden = true;
    ui.novideo.hidden = true;
    ui.chat.hidden = true;
    return;
  }
  // Keep the current meeting across reconnects (its subscription resumes on its own).
  const still = state.meeting && meetings.find((m) => m.id === state.meeting.id);
  if (still) {
    state.meeting = still;
    ui.meeting.value = still.id;
    renderStage();
    return;
  }
  let wanted = null;
  try {
    wanted = sessionStorage.getItem(MEETING_KEY);
  } catch {
    /* ignore */
  }
  chooseMeeting((meetings.find((m) => m.id === wanted) || pickDefault(meetings)).id);
}

function pickDefault(meetings) {
  const now = Date.now();
  const running = meetings.find((m) => m.starts_at && m.starts_at <= now && (!m.ends_at || now < m.ends_at));
  return running || meetings[0];
}

function renderMeetingOptions() {
  const meetings = (state.welcome && state.welcome.meetings) || [];
  setChildren(
    ui.meeting,
    ...meetings.map((m) => {
      const opt = el("option", "", m.title);
      opt.value = m.id;
      return opt;
    }),
  );
  if (state.meeting) ui.meeting.value = state.meeting.id;
  ui.meeting.disabled = meetings.length < 2;
}

function chooseMeeting(id) {
  const meeting = state.welcome.meetings.find((m) => m.id === id);
  if (!meeting) return;
  const changed = !state.meeting || state.meeting.id !== meeting.id;
  state.meeting = meeting;
  ui.meeting.value = meeting.id;
  try {
    sessionStorage.setItem(MEETING_KEY, meeting.id);
  } catch {
    /* ignore */
  }
  renderStage();
  ui.sideHead.hidden = false;
  ui.qa.hidden = false;
  ui.speakers.hidden = false;
  ui.polls.hidden = false;
  if (changed) openChat(meeting);
  state.ballot.setMeeting(meeting.id);
  for (const part of state.parts) part.setMeeting(meeting.id);
}

function renderStage() {
  const m = state.meeting;
  ui.stage.hidden = false;
  ui.meetingTitle.textContent = m.title;
  let when = "";
  if (m.starts_at && m.ends_at) when = t("meeting.when.range", { start: fmtWhen(m.starts_at), end: fmtTime(m.ends_at) });
  else if (m.starts_at) when = t("meeting.when", { start: fmtWhen(m.starts_at) });
  ui.meetingWhen.textContent = when;
  ui.meetingWhen.hidden = !when;
  renderVideo(m);
}

function renderVideo(m) {
  const id = m.youtube && YOUTUBE_ID.test(m.youtube) ? m.youtube : "";
  ui.novideo.hidden = !!id;
  ui.video.hidden = !id;
  const current = ui.video.querySelector("iframe");
  if (!id) {
    setChildren(ui.video);
    return;
  }
  const src = `https://www.youtube-nocookie.com/embed/${encodeURIComponent(id)}?rel=0&playsinline=1`;
  if (current && current.dataset.videoId === id) {
    current.title = t("meeting.video", { title: m.title });
    return;
  }
  const frame = document.createElement("iframe");
  frame.dataset.videoId = id;
  frame.src = src;
  frame.title = t("meeting.video", { title: m.title });
  frame.allow = "autoplay; encrypted-media; picture-in-picture; fullscreen";
  // The page itself sends no Referer; YouTube's player refuses to play without one (error 153),
  // so this frame alone sends the origin (never a path or fragment, so never the token).
  frame.referrerPolicy = "strict-origin-when-cross-origin";
  setChildren(ui.video, frame);
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
  ui.chat.hidden = false;
  state.unseen = 0;
  ui.newBelow.hidden = true;
  ui.scroller.setAttribute("aria-busy", "true");
  const channel = (meeting.channels || []).find((c) => c.endsWith("/chat")) || `meeting/${meeting.id}/chat`;
  state.sub = state.conn.subscribe(channel, {
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
  if (!mine && may("chat.report")) {
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
      await state.conn.request("chat.report", { meeting: state.meeting.id, offset, reason: select.value });
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
  if (!may("chat.status") || !state.meeting) return;
  const meetingId = state.meeting.id;
  try {
    const r = await state.conn.request("chat.status", { meeting: meetingId });
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

function addEvents(events, { initial, reset, skipped }) {
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
  if (!state.error) {
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

async function send() {
  if (state.sending || !state.meeting) return;
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
    await state.conn.request("chat.send", { meeting: state.meeting.id, text });
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

// -- text size and language (the header is lib/shell.js) ----------------------------------------
/** A size change keeps a reader who follows the chat at its newest message. */
function aroundResize(resize) {
  const follow = nearBottom();
  resize();
  if (follow) scrollToBottom();
}

function rerender() {
  renderCount();
  renderError();
  if (state.meeting) renderStage();
  relabelMessages();
  renderStanding();
  for (const part of state.parts) part.rerender();
  if (!ui.chatNote.hidden && ui.log.children.length === 0 && ui.scroller.getAttribute("aria-busy") !== "true") {
    ui.chatNote.textContent = t("chat.empty");
  }
  if (!ui.newBelow.hidden) ui.newBelow.textContent = t("chat.newBelow", { n: state.unseen });
  if (!state.sending) ui.send.textContent = t("composer.send");
}

// -- start ---------------------------------------------------------------------------------------
const shell = initShell({ pageKey: "app.tagline", onRerender: rerender, aroundResize });

function main() {
  ui.meeting.addEventListener("change", () => chooseMeeting(ui.meeting.value));
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
  window.addEventListener("hashchange", () => {
    if (/(?:^#|&)t=/.test(window.location.hash)) window.location.reload(); // another personal link
  });
  renderCount();

  state.conn = connectPage(shell, { onWelcome, onFatal });
  if (!state.conn) return;
  state.ballot = new Ballot(state.conn, ui.vote, { ids: votesFromAddress() });
  state.parts = [
    new QaPanel(state.conn, ui.qa, { onCount: (n) => setCount(ui.qaCount, n) }),
    new SpeakersPanel(state.conn, ui.speakers, ui.banner, { onCount: (n) => setCount(ui.speakersCount, n) }),
    new PollsPanel(state.conn, ui.polls, { onCount: (n) => setCount(ui.pollsCount, n) }),
  ];
  initTabs();
  state.conn.start();
}

main();
