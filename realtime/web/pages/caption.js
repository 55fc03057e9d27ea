// The captioner's console (`/caption?meeting=<id>#t=<token>`, issue 13): pick the meeting, type
// what is said in one big box; Enter sends the line (`caption.send`), and while "show as I type" is
// on, the line as typed so far goes out too (`final: false`), at most every PARTIAL_MS and only the
// newest text, so a fast typist stays inside the hub's `caption` rate. The latest captions of the
// meeting (anyone's: the captioner's and the hosts') come back on the channel and are listed with
// their times; the meeting's record downloads as text or as a subtitle file for the recording.
//
// Captioners and hosts may caption (realtime/roles.py); any other role gets the hub's refusal, in
// plain words. Text goes on the page through textContent only.

import { connectPage } from "../lib/boot.js";
import { lang, t } from "../lib/i18n.js";
import { Cooldown, HubClock, TIME_ZONE, el, errText, may, rememberMeeting, setChildren, setMeetingOptions, waitOf, wantedMeeting } from "../lib/meeting-common.js";
import { initShell } from "../lib/shell.js";
import { CaptionFeed } from "../panels/captions.js";

const PARTIAL_MS = 250; // moderation/captions.py PARTIAL_MS
const MEETING_KEY = "plenary.caption.meeting";
const SHOWN = 10; // latest captions listed

const $ = (id) => document.getElementById(id);

const ui = {
  console: $("cap-console"),
  refused: $("cap-refused"),
  meeting: $("cap-meeting"),
  form: $("cap-form"),
  text: $("cap-text"),
  live: $("cap-live"),
  send: $("cap-send"),
  error: $("cap-error"),
  count: $("cap-count"),
  recent: $("cap-recent"),
  none: $("cap-none"),
  list: $("cap-list"),
  recordTxt: $("cap-record-txt"),
  recordSrt: $("cap-record-srt"),
  recordError: $("cap-record-error"),
};

const state = {
  conn: null,
  welcome: null,
  meeting: null,
  feed: null,
  clock: new HubClock(),
  maxChars: 300,
  sending: false, // a finished line is in flight
  partialBusy: null, // the partial in flight (a promise), or null
  partialAt: 0, // when the last partial went out (ms, this device's clock)
  partialSent: "", // its text
  partialTimer: null,
  error: null,
};

const wait = new Cooldown(() => render());

// -- sending ----------------------------------------------------------------------------------------
function showError(err) {
  state.error = err;
  render();
}

function errWords(err) {
  if (!err) return "";
  if (waitOf(err) > 0) return errText(err);
  if (err.name === "message_too_long") return t("cap.err.message_too_long", { max: state.maxChars });
  if (err.name === "empty_message") return t("cap.err.empty_message");
  if (err.name === "forbidden") return t("cap.err.forbidden");
  return errText(err);
}

async function sendLine() {
  const text = ui.text.value;
  if (state.sending || wait.active || !state.meeting) return;
  if (!text.trim()) {
    showError({ name: "empty_message" });
    return;
  }
  state.sending = true;
  clearTimeout(state.partialTimer);
  render();
  // The line goes after the partial in flight, never before it: a page would show that partial
  // again after its finished line.
  await state.partialBusy;
  try {
    await state.conn.request("caption.send", { meeting: state.meeting, text });
    // The box keeps what was typed after Enter was pressed (a fast typist goes on at once).
    ui.text.value = ui.text.value.startsWith(text) ? ui.text.value.slice(text.length).trimStart() : ui.text.value;
    state.partialSent = "";
    state.error = null;
  } catch (err) {
    wait.start(err);
    state.error = err; // the text stays in the box
  } finally {
    state.sending = false;
    render();
    ui.text.focus();
    schedulePartial(); // what was typed meanwhile
  }
}

/** The line as typed so far: the newest text only, at most every PARTIAL_MS, one in flight. */
function schedulePartial() {
  clearTimeout(state.partialTimer);
  if (!ui.live.checked || !state.meeting || state.sending || wait.active) return;
  const text = ui.text.value.trim();
  if (!text || text === state.partialSent || text.length > state.maxChars) return;
  const due = state.partialAt + PARTIAL_MS - Date.now();
  if (state.partialBusy || due > 0) {
    state.partialTimer = setTimeout(schedulePartial, Math.max(due, 50));
    return;
  }
  state.partialAt = Date.now();
  state.partialSent = text;
  state.partialBusy = state.conn
    .request("caption.send", { meeting: state.meeting, text, final: false })
    .catch((err) => {
      if (wait.start(err)) showError(err); // a partial refused for anything else is just skipped
    })
    .finally(() => {
      state.partialBusy = null;
    });
}

// -- the meeting and the latest captions --------------------------------------------------------
/** A caption's time of day in Seoul, to the second (a captioner checks what went out when). */
function fmtSecond(ms) {
  return new Intl.DateTimeFormat(lang(), { hour: "numeric", minute: "2-digit", second: "2-digit", timeZone: TIME_ZONE }).format(ms);
}

function chooseMeeting(id) {
  state.meeting = id;
  ui.meeting.value = id;
  rememberMeeting(MEETING_KEY, id);
  state.feed.follow(id);
  state.partialSent = "";
  render();
}

function renderMeetings() {
  const meetings = (state.welcome && state.welcome.meetings) || [];
  setMeetingOptions(ui.meeting, meetings);
  if (state.meeting) ui.meeting.value = state.meeting;
}

function renderRecent() {
  const me = state.welcome && state.welcome.participant;
  const lines = state.feed ? state.feed.lines.slice(-SHOWN).reverse() : [];
  setChildren(
    ui.list,
    ...lines.map((l) => {
      const li = el("li", l.by.id === me ? "cap-sent mine" : "cap-sent");
      const time = el("time", "cap-time", fmtSecond(state.clock.local(l.time)));
      time.dateTime = new Date(l.time).toISOString();
      li.append(time, el("span", "cap-sent-text", l.text));
      if (l.by.id !== me) li.append(el("span", "cap-by", l.by.name || ""));
      return li;
    }),
  );
  ui.none.hidden = lines.length > 0;
}

function render() {
  const n = [...ui.text.value.trim()].length;
  ui.count.textContent = t("cap.count", { n, max: state.maxChars });
  ui.count.classList.toggle("over", n > state.maxChars);
  ui.send.disabled = state.sending || wait.active || !state.meeting;
  const words = errWords(state.error);
  ui.error.textContent = words;
  ui.error.hidden = !words;
  ui.text.setAttribute("aria-invalid", String(!!words));
  renderRecent();
}

// -- the record: fetched with the token in a header, saved as a file --------------------------------
async function download(ext) {
  ui.recordError.hidden = true;
  try {
    const r = await fetch(`/api/meetings/${encodeURIComponent(state.meeting)}/captions.${ext}`, {
      headers: { Authorization: `Bearer ${state.conn.token}` },
    });
    if (!r.ok) throw new Error(((await r.json().catch(() => ({}))) || {}).name || String(r.status));
    const url = URL.createObjectURL(await r.blob());
    const a = el("a");
    a.href = url;
    a.download = `captions-${state.meeting}.${ext}`;
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
  } catch (err) {
    ui.recordError.textContent = t("cap.err.record", { name: err.message });
    ui.recordError.hidden = false;
  }
}

// -- start ---------------------------------------------------------------------------------------
function onWelcome(welcome) {
  state.welcome = welcome;
  state.clock.setWelcome(welcome);
  state.maxChars = (welcome.limits && welcome.limits.caption_chars) || state.maxChars;
  const meetings = welcome.meetings || [];
  const allowed = may(welcome, "caption.send");
  ui.console.hidden = false;
  ui.refused.textContent = allowed ? "" : t("cap.err.forbidden");
  ui.refused.hidden = allowed;
  ui.form.hidden = !allowed || !meetings.length;
  ui.recent.hidden = !meetings.length;
  renderMeetings();
  if (!meetings.length) {
    ui.refused.textContent = t("cap.nomeeting");
    ui.refused.hidden = false;
    return;
  }
  chooseMeeting(wantedMeeting(meetings, MEETING_KEY, state.meeting).id);
}

function onFatal() {
  ui.console.hidden = true;
  ui.recent.hidden = true;
}

const shell = initShell({ pageKey: "page.caption", onRerender: render });

function main() {
  state.conn = connectPage(shell, { onWelcome, onFatal });
  if (!state.conn) return;
  state.feed = new CaptionFeed(state.conn, () => renderRecent());
  ui.meeting.addEventListener("change", () => chooseMeeting(ui.meeting.value));
  ui.form.addEventListener("submit", (e) => {
    e.preventDefault();
    sendLine();
  });
  ui.text.addEventListener("keydown", (e) => {
    // Enter sends; nothing while a Korean IME is composing, so half a syllable is never sent.
    if (e.key !== "Enter" || e.isComposing || e.keyCode === 229) return;
    e.preventDefault();
    sendLine();
  });
  ui.text.addEventListener("input", () => {
    if (state.error && !wait.active) state.error = null;
    render();
    schedulePartial();
  });
  ui.live.addEventListener("change", () => schedulePartial());
  ui.recordTxt.addEventListener("click", () => download("txt"));
  ui.recordSrt.addEventListener("click", () => download("srt"));
  render();
  state.conn.start();
}

main();
