// A table of 8-10 (`/table#t=<token>`, issue 15): a seated panelist's view of their own table
// (the step of the table agenda with its countdown, the table's discussion, its cards) and, for
// the table's facilitator, the facilitator's tools: who has not spoken yet, sending a card, the
// help flag to the hosts, the hosts' notices.
//
// The table comes from `table.get` (the seating, or the table a host gave the facilitator); the
// page follows that table's channel only (the hub refuses any other: realtime/roles.py). The
// countdown ends at the step's `ends_at` on the hub's clock, so every phone at every table shows
// the same time left. Every text from people goes on the page through textContent only.
//
// A reseat moves an open page at once: the page follows `meeting/<id>/seating`, whose
// `table.seating` event names no one (when, how many tables); on a newer one it asks `table.get`
// again with the event's `at` (the hub answers from that seating, not its cache), leaves the old
// table's channel, follows the new one and says so ("자리가 바뀌었습니다: 7번 테이블로
// 옮겼습니다"). A facilitator's page gets the table's new members the same way.

import { connectPage } from "../lib/boot.js";
import { t } from "../lib/i18n.js";
import { Cooldown, HubClock, el, errText, fmtClock, followState, may, setChildren } from "../lib/meeting-common.js";
import { initShell } from "../lib/shell.js";

const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(window.location.search);
const SHOWN = 200; // messages kept on the page

const ui = {
  head: $("tb-head"),
  heading: $("tb-heading"),
  pick: $("tb-pick"),
  meeting: $("tb-meeting"),
  refused: $("tb-refused"),
  moved: $("tb-moved"),
  stepTitle: $("tb-step-title"),
  stepLeft: $("tb-step-left"),
  notice: $("tb-notice"),
  fac: $("tb-fac"),
  quiet: $("tb-quiet"),
  cardForm: $("tb-card-form"),
  card: $("tb-card"),
  cardSend: $("tb-card-send"),
  cardError: $("tb-card-error"),
  flagForm: $("tb-flag-form"),
  flag: $("tb-flag"),
  flagClear: $("tb-flag-clear"),
  flagState: $("tb-flag-state"),
  cards: $("tb-cards"),
  cardsNone: $("tb-cards-none"),
  cardList: $("tb-card-list"),
  talk: $("tb-talk"),
  messages: $("tb-messages"),
  sayForm: $("tb-say-form"),
  text: $("tb-text"),
  say: $("tb-say"),
  sayError: $("tb-say-error"),
};

const clock = new HubClock();
const state = {
  conn: null,
  welcome: null,
  meeting: null,
  view: null,
  sub: null,
  seatSub: null, // meeting/<id>/seating: news of a reseat
  seatingAt: 0, // the version of the seating the page shows (table.get's seating_at)
  loads: 0, // the latest table.get: an older answer arriving late is dropped
  loaded: false, // a table.get was answered: a reseat after it is news to say
  step: null,
  notice: null,
  cards: new Map(),
  messages: [],
  spoken: new Set(),
  flag: "",
  busy: false,
};
const wait = new Cooldown(() => render());

function nonce() {
  const bytes = new Uint8Array(12);
  crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

function isFacilitator() {
  return may(state.welcome, "table.card") && state.view && state.view.facilitator === state.welcome.participant;
}

function onSnapshot(snap) {
  state.cards = new Map();
  for (const [field, value] of Object.entries(snap)) {
    if (field === "step") state.step = value;
    else if (field === "notice") state.notice = value;
    else if (field.startsWith("card:")) state.cards.set(value.id, value);
  }
  render();
}

function onEvents(events, info) {
  if (info.reset) state.messages = [];
  for (const e of events) {
    if (e.event === "table.message") {
      state.messages.push({ offset: e.offset, text: e.data.text, author: e.data.author });
      if (e.data.author) state.spoken.add(e.data.author.id);
    } else if (info.snapshot) {
      continue; // the snapshot already holds the step, the notice and the cards
    } else if (e.event === "table.step") state.step = e.data;
    else if (e.event === "table.notice") state.notice = e.data;
    else if (e.event === "table.card") state.cards.set(e.data.id, e.data);
  }
  if (state.messages.length > SHOWN) state.messages.splice(0, state.messages.length - SHOWN);
  render();
}

function renderStep() {
  const step = state.step;
  ui.stepTitle.textContent = step ? t("tb.step", { n: step.n, title: step.title }) : t("tb.step.none");
  ui.stepLeft.textContent = step ? t("tb.left", { time: fmtClock(step.ends_at - clock.now()) }) : "";
}

function render() {
  const view = state.view;
  if (!view) return;
  ui.heading.textContent = t("tb.heading", { n: view.table });
  renderStep();
  ui.notice.hidden = !(state.notice && isFacilitator());
  ui.notice.textContent = state.notice ? t("tb.notice", { text: state.notice.text }) : "";
  const fac = isFacilitator();
  ui.fac.hidden = !fac;
  if (fac) {
    const quiet = view.members.filter((m) => !state.spoken.has(m.id));
    setChildren(ui.quiet, ...(quiet.length ? quiet.map((m) => el("li", "", m.name)) : [el("li", "", t("tb.quiet.none"))]));
    ui.flagState.textContent = state.flag ? t("tb.flag.on", { reason: state.flag }) : "";
  }
  ui.cardSend.disabled = state.busy || wait.active;
  ui.say.disabled = state.busy || wait.active;
  const cards = [...state.cards.values()].sort((a, b) => a.at - b.at);
  setChildren(ui.cardList, ...cards.map((c) => el("li", "tb-card-item", c.text)));
  ui.cardsNone.hidden = cards.length > 0;
  const names = new Map(view.members.map((m) => [m.id, m.name]));
  setChildren(
    ui.messages,
    ...state.messages.map((msg) => {
      const li = el("li", "tb-message");
      const who = msg.author ? names.get(msg.author.id) || msg.author.name : "";
      li.append(el("span", "tb-author", who), el("span", "tb-text", msg.text));
      return li;
    }),
  );
  ui.messages.scrollTop = ui.messages.scrollHeight;
}

function showError(node, err) {
  const words = err ? errText(err) : "";
  node.textContent = words;
  node.hidden = !words;
}

async function act(command, fields, errorNode, done) {
  if (state.busy || wait.active) return;
  state.busy = true;
  showError(errorNode, null);
  render();
  try {
    const r = await state.conn.request(command, { meeting: state.meeting, ...fields });
    done(r);
  } catch (err) {
    wait.start(err);
    showError(errorNode, err);
  } finally {
    state.busy = false;
    render();
  }
}

async function load(at = 0) {
  const n = ++state.loads;
  const before = state.view ? state.view.table : 0;
  let view = null;
  let refusal = null;
  try {
    view = await state.conn.request("table.get", { meeting: state.meeting, ...(at ? { seating_at: at } : {}) });
  } catch (err) {
    refusal = err;
  }
  if (n !== state.loads) return; // a newer question is under way
  const shown = state.loaded;
  state.loaded = true;
  state.view = view;
  state.sub?.close();
  state.sub = null;
  ui.refused.hidden = true;
  if (at && shown) {
    // a reseat under an open page: say where it went, in plain words (a status: read out, focus stays)
    const now = view ? view.table : 0;
    if (now !== before) {
      ui.moved.textContent = now ? t("tb.moved", { n: now }) : t("tb.unseated");
      ui.moved.hidden = false;
    }
  }
  if (!view) {
    ui.head.hidden = false;
    ui.heading.textContent = t("page.table");
    ui.refused.textContent =
      refusal.name === "not_at_table" || refusal.name === "no_such_table" ? t("tb.noseat") : errText(refusal);
    ui.refused.hidden = false;
    for (const part of [ui.fac, ui.cards, ui.talk]) part.hidden = true;
    return;
  }
  state.seatingAt = Math.max(state.seatingAt, view.seating_at || 0);
  state.spoken = new Set(view.members.filter((m) => m.spoken).map((m) => m.id));
  state.step = view.step;
  state.messages = [];
  state.cards = new Map();
  ui.head.hidden = false;
  ui.cards.hidden = false;
  ui.talk.hidden = false;
  state.sub = followState(state.conn, view.channel, { onSnapshot, onEvents, onError: (err) => showError(ui.refused, err) });
  render();
}

/** News of a seating (its snapshot or a `table.seating` event): newer than the page's, load again. */
function onSeating(news) {
  if (!news || !news.at || news.at <= state.seatingAt) return;
  state.seatingAt = news.at;
  load(news.at);
}

function followSeating() {
  state.seatSub?.close();
  state.seatingAt = 0;
  state.seatSub = followState(state.conn, `meeting/${state.meeting}/seating`, {
    onSnapshot: (snap) => onSeating(snap.seating),
    onEvents: (events, info) => {
      if (info.snapshot) return; // the snapshot holds the last one
      for (const e of events) if (e.event === "table.seating") onSeating(e.data);
    },
  });
}

function onWelcome(welcome) {
  state.welcome = welcome;
  clock.setWelcome(welcome);
  const meetings = welcome.meetings || [];
  setChildren(ui.meeting, ...meetings.map((m) => Object.assign(el("option", "", m.title), { value: m.id })));
  ui.pick.hidden = meetings.length < 2;
  const wanted = params.get("meeting");
  const chosen = meetings.find((m) => m.id === (state.meeting || wanted)) || meetings[0];
  if (!chosen) {
    ui.head.hidden = false;
    ui.refused.textContent = t("meeting.none");
    ui.refused.hidden = false;
    return;
  }
  const changed = state.meeting !== chosen.id || !state.seatSub;
  state.meeting = chosen.id;
  ui.meeting.value = chosen.id;
  load();
  if (changed) followSeating();
}

function onFatal() {
  for (const part of [ui.head, ui.fac, ui.cards, ui.talk]) part.hidden = true;
}

const shell = initShell({ pageKey: "page.table", onRerender: render });

function main() {
  state.conn = connectPage(shell, { onWelcome, onFatal });
  if (!state.conn) return;
  ui.meeting.addEventListener("change", () => {
    state.meeting = ui.meeting.value;
    state.view = null;
    state.loaded = false;
    ui.moved.hidden = true;
    load();
    followSeating();
  });
  ui.sayForm.addEventListener("submit", (e) => {
    e.preventDefault();
    const text = ui.text.value;
    if (!text.trim() || !state.view) return;
    act("table.say", { table: state.view.table, text, nonce: nonce() }, ui.sayError, () => {
      ui.text.value = "";
    });
  });
  ui.cardForm.addEventListener("submit", (e) => {
    e.preventDefault();
    const text = ui.card.value;
    if (!text.trim() || !state.view) return;
    act("table.card", { table: state.view.table, text, nonce: nonce() }, ui.cardError, (r) => {
      state.cards.set(r.card.id, r.card);
      ui.card.value = "";
    });
  });
  ui.flagForm.addEventListener("submit", (e) => {
    e.preventDefault();
    if (!state.view) return;
    act("table.flag", { table: state.view.table, reason: ui.flag.value || t("tb.flag.default") }, ui.cardError, (r) => {
      state.flag = r.flag;
    });
  });
  ui.flagClear.addEventListener("click", () => {
    if (!state.view) return;
    act("table.flag", { table: state.view.table, raised: false }, ui.cardError, (r) => {
      state.flag = r.flag;
      ui.flag.value = "";
    });
  });
  setInterval(renderStep, 1000);
  state.conn.start();
}

main();
