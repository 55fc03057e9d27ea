// The panelist page: who I am, the meeting picker, the stream and the meeting chat.
//
// Everything that comes from the server or from people (names, titles, messages) is put on the
// page with textContent or as attribute values set through the DOM, never as HTML.

import { Ballot } from "./ballot.js";
import { Connection, hubUrl } from "./client.js";
import { apply, initLang, lang, onChange, setLang, t } from "./i18n.js";
import { votesFromAddress } from "./vote-common.js";

const TOKEN_KEY = "plenary.token";
const MEETING_KEY = "plenary.meeting";
const SIZE_KEY = "plenary.textsize";
const MAX_MESSAGES = 500; // older messages leave the page (the record stays on the server)
const YOUTUBE_ID = /^[A-Za-z0-9_-]{6,20}$/;
const TIME_ZONE = "Asia/Seoul";

const $ = (id) => document.getElementById(id);

const ui = {
  conn: $("conn"),
  connText: $("conn-text"),
  retry: $("conn-retry"),
  lang: $("btn-lang"),
  size: $("btn-size"),
  notice: $("notice"),
  noticeTitle: $("notice-title"),
  noticeBody: $("notice-body"),
  who: $("who"),
  me: $("me"),
  meName: $("me-name"),
  meRole: $("me-role"),
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
  send: $("send"),
};

const state = {
  conn: null,
  ballot: null, // the vote section (ballot.js)
  connState: "idle",
  welcome: null,
  meeting: null, // the chosen meeting object from the welcome
  sub: null,
  maxChars: 500,
  sending: false,
  error: null, // {key, vars} of the composer's error, re-rendered on a language change
  fatal: null, // notice key prefix
  unseen: 0,
};

// -- token: read once from the fragment, then kept for this tab only ----------------------------
function takeToken() {
  const match = /(?:^#|&)t=([^&]+)/.exec(window.location.hash);
  if (match) {
    const token = decodeURIComponent(match[1]);
    try {
      sessionStorage.setItem(TOKEN_KEY, token);
      // Off the address bar: not bookmarked, not in screenshots or over a shoulder, not in history.
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

function forgetToken() {
  try {
    sessionStorage.removeItem(TOKEN_KEY);
  } catch {
    /* ignore */
  }
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

function roleName(role) {
  const key = `role.${role}`;
  const s = t(key);
  return s === key ? role : s;
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

// -- connection state -------------------------------------------------------------------------
function renderConn() {
  ui.conn.dataset.state = state.connState;
  ui.connText.textContent = t(`conn.${state.connState}`);
  ui.retry.hidden = state.connState !== "reconnecting";
  ui.send.disabled = state.sending;
}

function onState(s) {
  state.connState = s;
  renderConn();
}

function showNotice(prefix) {
  state.fatal = prefix;
  ui.noticeTitle.textContent = t(`${prefix}.title`);
  ui.noticeBody.textContent = t(`${prefix}.body`);
  ui.notice.hidden = false;
  ui.who.hidden = true;
  ui.me.hidden = true;
  ui.stage.hidden = true;
  ui.chat.hidden = true;
  ui.vote.hidden = true;
  ui.notice.focus();
}

function onFatal(code) {
  if (code === 4003 || code === 4012) forgetToken();
  const prefix = code === 4003 || code === 4012 || code === 4004 ? `fatal.${code}` : "fatal.4004";
  showNotice(prefix);
}

// -- welcome and the meeting picker -------------------------------------------------------------
function onWelcome(welcome) {
  state.welcome = welcome;
  state.ballot.setWelcome(welcome);
  state.maxChars = (welcome.limits && welcome.limits.chat_chars) || 500;
  ui.meName.textContent = t("who.greeting", { name: welcome.name });
  ui.meRole.textContent = roleName(welcome.role);
  ui.me.hidden = false;
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
  if (changed) openChat(meeting);
  state.ballot.setMeeting(meeting.id);
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
  li.append(meta, el("p", "text", String(data.text ?? "")));
  return li;
}

/** Labels of messages already on the page, in the current language. */
function relabelMessages() {
  for (const node of ui.log.querySelectorAll("time[data-ms]")) node.textContent = fmtTime(Number(node.dataset.ms));
  for (const node of ui.log.querySelectorAll(".badge.role")) node.textContent = roleName(node.dataset.role);
  for (const node of ui.log.querySelectorAll(".badge.self")) node.textContent = t("chat.me");
}

function addEvents(events, { initial, reset, skipped }) {
  // Follow the conversation on first load, or when the reader is already at the bottom; someone
  // who scrolled up to read is not pulled down (not even by a reconnect's catch-up).
  const follow = ui.log.children.length === 0 || reset || nearBottom();
  if (reset) {
    setChildren(ui.log, noteItem(t("chat.reset")));
  }
  if (skipped) ui.log.append(noteItem(t("chat.skipped")));
  const items = [];
  for (const e of events) {
    if (e.event === "chat.message") items.push(messageItem(e));
  }
  ui.log.append(...items);
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
    };
    setError(errorKey(err), vars); // the typed text stays in the box
  } finally {
    state.sending = false;
    ui.send.textContent = t("composer.send");
    renderConn();
  }
}

function onKeyDown(e) {
  // Enter sends, Shift+Enter breaks the line. While a Korean IME is composing a syllable, Enter
  // only ends the composition: never send half a word.
  if (e.key !== "Enter" || e.shiftKey || e.isComposing || e.keyCode === 229) return;
  e.preventDefault();
  send();
}

// -- text size and language ----------------------------------------------------------------------
const SIZES = ["0", "1", "2"];

function setSize(size) {
  const s = SIZES.includes(size) ? size : "0";
  const follow = nearBottom();
  document.documentElement.dataset.size = s;
  if (follow) scrollToBottom();
  ui.size.textContent = t("size.label");
  ui.size.setAttribute("aria-label", `${t(`size.${s}`)} (${t("size.next")})`);
  try {
    localStorage.setItem(SIZE_KEY, s);
  } catch {
    /* ignore */
  }
}

function rerender() {
  renderConn();
  renderCount();
  renderError();
  setSize(document.documentElement.dataset.size);
  if (state.fatal) showNotice(state.fatal);
  if (state.welcome) {
    ui.meName.textContent = t("who.greeting", { name: state.welcome.name });
    ui.meRole.textContent = roleName(state.welcome.role);
  }
  if (state.meeting) renderStage();
  relabelMessages();
  if (!ui.chatNote.hidden && ui.log.children.length === 0 && ui.scroller.getAttribute("aria-busy") !== "true") {
    ui.chatNote.textContent = t("chat.empty");
  }
  if (!ui.newBelow.hidden) ui.newBelow.textContent = t("chat.newBelow", { n: state.unseen });
  if (!state.sending) ui.send.textContent = t("composer.send");
}

// -- start ---------------------------------------------------------------------------------------
function main() {
  initLang();
  let size = "0";
  try {
    size = localStorage.getItem(SIZE_KEY) || "0";
  } catch {
    /* ignore */
  }
  setSize(size);
  onChange(rerender);
  ui.lang.addEventListener("click", () => setLang(lang() === "ko" ? "en" : "ko"));
  ui.size.addEventListener("click", () => {
    const i = SIZES.indexOf(document.documentElement.dataset.size);
    setSize(SIZES[(i + 1) % SIZES.length]);
  });
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
  apply();
  renderCount();

  const token = takeToken();
  if (!token) {
    state.connState = "closed";
    renderConn();
    showNotice("fatal.notoken");
    return;
  }
  ui.retry.addEventListener("click", () => state.conn.reconnectNow());
  state.conn = new Connection({ url: hubUrl(), token, onState, onWelcome, onFatal });
  state.ballot = new Ballot(state.conn, ui.vote, { ids: votesFromAddress() });
  state.conn.start();
}

main();
