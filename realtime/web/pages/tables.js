// The hosts' view of all tables (`/tables#t=<host token>`, issue 15): the step of the table agenda
// (start the next one, for every table, with one shared timer), a notice to every facilitator,
// and every table at a glance: which raised a help flag, which are behind (few cards past half
// the step, or quiet). One channel for all tables, `meeting/<id>/tables` (its snapshot is every
// table's record): 300 tables cost the page one subscription, not 300. A reseat is news there
// too (`table.seating`: how many tables now; its state `seating`), so the list grows or shrinks
// at once and the page says the seating changed.
//
// Hosts only (realtime/roles.py); another role gets the hub's refusal in plain words. Flag reasons
// go on the page through textContent only.

import { connectPage } from "../lib/boot.js";
import { t } from "../lib/i18n.js";
import { Cooldown, HubClock, el, errText, fmtClock, followState, may, setChildren, setMeetingOptions } from "../lib/meeting-common.js";
import { initShell } from "../lib/shell.js";

const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(window.location.search);
const QUIET_MS = 3 * 60_000; // tables/rules.py QUIET_MS
const MIN_CARDS = 1; // tables/rules.py MIN_CARDS

const ui = {
  control: $("ts-control"),
  meeting: $("ts-meeting"),
  refused: $("ts-refused"),
  step: $("ts-step"),
  left: $("ts-left"),
  stepForm: $("ts-step-form"),
  stepTitle: $("ts-step-title"),
  minutes: $("ts-minutes"),
  noticeForm: $("ts-notice-form"),
  notice: $("ts-notice"),
  error: $("ts-error"),
  done: $("ts-done"),
  tables: $("ts-tables"),
  summary: $("ts-summary"),
  grid: $("ts-grid"),
};

const clock = new HubClock();
const state = { conn: null, meeting: null, step: null, seating: null, records: new Map(), sub: null, busy: false };
const wait = new Cooldown(() => render());

/** Why a table is behind in the current step ([] when it is not): tables/rules.py `behind`. */
function behind(rec, step, now) {
  if (!step) return [];
  const current = !!rec && rec.step === step.n;
  const cards = current ? rec.cards : 0;
  const last = current ? rec.last_at : 0;
  const why = [];
  if (now >= step.starts_at + step.seconds * 500 && cards < MIN_CARDS) why.push("cards");
  if (now - Math.max(last, step.starts_at) >= QUIET_MS) why.push("quiet");
  return why;
}

function onSnapshot(snap) {
  state.records = new Map();
  state.step = snap.step || null;
  state.seating = snap.seating || null;
  for (const [field, value] of Object.entries(snap)) if (field.startsWith("t:")) state.records.set(value.table, value);
  render();
}

function onEvents(events, info) {
  if (info.snapshot) return; // the snapshot holds them
  for (const e of events) {
    if (e.event === "table.overview") state.records.set(e.data.table, e.data);
    else if (e.event === "table.step") state.step = e.data;
    else if (e.event === "table.seating") {
      state.seating = e.data;
      ui.done.textContent = t("ts.seating", { tables: e.data.tables, seated: e.data.seated });
    }
  }
  render();
}

function tableCount() {
  if (state.seating) return state.seating.tables; // the seating as it is now (a reseat may open tables)
  let n = state.step ? state.step.tables : 0;
  for (const k of state.records.keys()) n = Math.max(n, k);
  return n;
}

function renderClock() {
  const step = state.step;
  ui.step.textContent = step ? t("tb.step", { n: step.n, title: step.title }) : t("ts.step.none");
  ui.left.textContent = step ? t("tb.left", { time: fmtClock(step.ends_at - clock.now()) }) : "";
}

function render() {
  renderClock();
  const now = clock.now();
  const rows = [];
  let flagged = 0;
  let late = 0;
  for (let n = 1; n <= tableCount(); n++) {
    const rec = state.records.get(n);
    const why = behind(rec, state.step, now);
    const flag = rec ? rec.flag : "";
    if (flag) flagged++;
    if (why.length) late++;
    const current = rec && rec.step === (state.step ? state.step.n : 0);
    rows.push({ n, rec, why, flag, cards: current ? rec.cards : 0, said: current ? rec.said : 0 });
  }
  // flags first, then tables behind, then the rest, each by number
  rows.sort((a, b) => (b.flag ? 2 : 0) + (b.why.length ? 1 : 0) - ((a.flag ? 2 : 0) + (a.why.length ? 1 : 0)) || a.n - b.n);
  ui.summary.textContent = t("ts.summary", { tables: rows.length, flagged, behind: late });
  setChildren(
    ui.grid,
    ...rows.map((r) => {
      const li = el("li", `ts-table${r.flag ? " flagged" : ""}${r.why.length ? " behind" : ""}`);
      li.dataset.table = String(r.n);
      li.append(el("span", "ts-name", t("tb.heading", { n: r.n })));
      li.append(el("span", "ts-counts", t("ts.counts", { cards: r.cards, said: r.said })));
      if (r.flag) li.append(el("span", "ts-flag", t("ts.flag", { reason: r.flag })));
      if (r.why.length) li.append(el("span", "ts-why", r.why.map((w) => t(`ts.why.${w}`)).join(" · ")));
      return li;
    }),
  );
  for (const b of [ui.stepForm, ui.noticeForm]) for (const btn of b.querySelectorAll("button")) btn.disabled = state.busy || wait.active;
}

function showError(err) {
  const words = err ? errText(err) : "";
  ui.error.textContent = words;
  ui.error.hidden = !words;
}

async function act(command, fields, done) {
  if (state.busy || wait.active) return;
  state.busy = true;
  showError(null);
  ui.done.textContent = "";
  render();
  try {
    done(await state.conn.request(command, { meeting: state.meeting, ...fields }));
  } catch (err) {
    wait.start(err);
    showError(err);
  } finally {
    state.busy = false;
    render();
  }
}

function follow() {
  state.sub?.close();
  state.records = new Map();
  state.step = null;
  state.seating = null;
  state.sub = followState(state.conn, `meeting/${state.meeting}/tables`, { onSnapshot, onEvents, onError: showError });
  render();
}

function onWelcome(welcome) {
  clock.setWelcome(welcome);
  const allowed = may(welcome, "table.step");
  ui.control.hidden = false;
  ui.refused.textContent = allowed ? "" : t("ts.forbidden");
  ui.refused.hidden = allowed;
  ui.stepForm.hidden = ui.noticeForm.hidden = !allowed;
  ui.tables.hidden = !allowed;
  if (!allowed) return;
  const meetings = welcome.meetings || [];
  setMeetingOptions(ui.meeting, meetings);
  const chosen = meetings.find((m) => m.id === (state.meeting || params.get("meeting"))) || meetings[0];
  if (!chosen) return;
  state.meeting = chosen.id;
  ui.meeting.value = chosen.id;
  follow();
}

function onFatal() {
  ui.control.hidden = true;
  ui.tables.hidden = true;
}

const shell = initShell({ pageKey: "page.tables", onRerender: render });

function main() {
  state.conn = connectPage(shell, { onWelcome, onFatal });
  if (!state.conn) return;
  ui.meeting.addEventListener("change", () => {
    state.meeting = ui.meeting.value;
    follow();
  });
  ui.stepForm.addEventListener("submit", (e) => {
    e.preventDefault();
    const seconds = Math.round(Number(ui.minutes.value) * 60);
    act("table.step", { title: ui.stepTitle.value, seconds }, (r) => {
      state.step = r.step;
      ui.done.textContent = t("ts.step.sent", { tables: r.tables });
    });
  });
  ui.noticeForm.addEventListener("submit", (e) => {
    e.preventDefault();
    act("table.notice", { text: ui.notice.value }, (r) => {
      ui.notice.value = "";
      ui.done.textContent = t("ts.notice.sent", { tables: r.tables });
    });
  });
  setInterval(render, 5000); // "behind" and "quiet" change with time alone
  setInterval(renderClock, 1000);
  state.conn.start();
}

main();
