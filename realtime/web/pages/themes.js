// The theme team's console (`/themes?meeting=<id>#t=<token>`, issue 15). Every table's cards arrive
// live on `meeting/<id>/cards` (live: `table.card`); the team's draft themes on
// `meeting/<id>/theme_drafts` (`theme.changed`). The cards on no theme are listed on the left,
// filtered by table or by a word; the themes on the right are drop targets. Two ways to move cards,
// the same command (`theme.assign`): drag a card onto a theme, or tick cards (Space) and pick a
// theme with the keyboard, then "넣기". "제안 받기" asks the hub for groups of similar cards
// (`theme.suggest`), shown as proposed themes to accept (`theme.create` with their cards);
// "발표하기" shows the themes to every table and on the stream (`theme.publish`).
//
// Themers and hosts may do this (realtime/roles.py); any other role gets the hub's refusal in plain
// words. Card texts and titles go on the page through textContent only.

import { askConfirm, askText } from "../lib/ask.js";
import { connectPage } from "../lib/boot.js";
import { t } from "../lib/i18n.js";
import { button, el, errText, followState, may, rememberMeeting, setChildren, setMeetingOptions, wantedMeeting } from "../lib/meeting-common.js";
import { initShell } from "../lib/shell.js";

const MEETING_KEY = "plenary.themes.meeting";
const SHOWN = 300; // unassigned cards drawn at once (the filter finds the rest)
const $ = (id) => document.getElementById(id);

const ui = {
  console: $("th-console"),
  refused: $("th-refused"),
  meeting: $("th-meeting"),
  counts: $("th-counts"),
  suggest: $("th-suggest"),
  publish: $("th-publish"),
  status: $("th-status"),
  error: $("th-error"),
  work: $("th-work"),
  table: $("th-table"),
  search: $("th-search"),
  none: $("th-none"),
  cardList: $("th-card-list"),
  move: $("th-move"),
  picked: $("th-picked"),
  target: $("th-target"),
  newForm: $("th-new"),
  newTitle: $("th-new-title"),
  suggestions: $("th-suggestions"),
  sugList: $("th-sug-list"),
  themeList: $("th-theme-list"),
};

const state = {
  conn: null,
  welcome: null,
  meeting: null,
  cards: new Map(), // id -> {id, table, text}
  themes: new Map(), // id -> {id, title, cards: [{id, table, text}]}
  made: new Map(), // theme id -> proposal number
  picked: new Set(), // card ids ticked
  suggestions: [],
  subs: [],
  busy: false,
};

// -- following the cards and the drafts ---------------------------------------------------------
function isCard(v) {
  return v && typeof v === "object" && typeof v.id === "string" && typeof v.text === "string" && "table" in v;
}

function addCard(c) {
  state.cards.set(c.id, { id: c.id, table: String(c.table), text: c.text });
}

function follow(meeting) {
  for (const s of state.subs) s.close();
  state.cards = new Map();
  state.themes = new Map();
  state.made = new Map();
  state.picked = new Set();
  state.suggestions = [];
  state.subs = [
    followState(state.conn, `meeting/${meeting}/cards`, {
      onSnapshot: (s) => {
        state.cards = new Map();
        for (const v of Object.values(s || {})) if (isCard(v)) addCard(v);
      },
      onEvents: (events, info) => {
        if (!info.snapshot) for (const e of events) if (e.event === "table.card" && isCard(e.data)) addCard(e.data);
        render();
      },
      onError: (err) => showError(err),
    }),
    followState(state.conn, `meeting/${meeting}/theme_drafts`, {
      onSnapshot: (s) => {
        state.themes = new Map();
        state.made = new Map();
        for (const [k, v] of Object.entries(s || {})) {
          if (k.startsWith("theme:")) state.themes.set(v.id, v);
          else if (k.startsWith("proposal:")) state.made.set(k.slice(9), v);
        }
      },
      onEvents: (events, info) => {
        if (!info.snapshot) {
          for (const e of events) {
            const d = e.data || {};
            if (e.event === "theme.changed") {
              for (const th of d.themes || []) state.themes.set(th.id, th);
              for (const id of d.removed || []) state.themes.delete(id);
            } else if (e.event === "theme.proposed") state.made.set(d.theme, d.proposal);
          }
        }
        render();
      },
      onError: (err) => showError(err),
    }),
  ];
}

// -- what is where ------------------------------------------------------------------------------
function placed() {
  const out = new Map();
  for (const th of state.themes.values()) for (const c of th.cards || []) out.set(c.id, th.id);
  return out;
}

function themesInOrder() {
  const num = (id) => Number(String(id).slice(1)) || 0;
  return [...state.themes.values()].sort((a, b) => (a.at || 0) - (b.at || 0) || num(a.id) - num(b.id));
}

function unassigned() {
  const on = placed();
  const table = ui.table.value;
  const word = ui.search.value.trim().toLowerCase();
  return [...state.cards.values()].filter(
    (c) => !on.has(c.id) && (!table || c.table === table) && (!word || c.text.toLowerCase().includes(word)),
  );
}

// -- commands -----------------------------------------------------------------------------------
function showError(err) {
  ui.error.textContent = err ? (err.name === "forbidden" ? t("th.err.forbidden") : errText(err)) : "";
  ui.error.hidden = !err;
}

async function run(command, fields, done) {
  if (state.busy) return null;
  state.busy = true;
  showError(null);
  try {
    const r = await state.conn.request(command, { meeting: state.meeting, ...fields });
    if (done) ui.status.textContent = done(r);
    return r;
  } catch (err) {
    showError(err);
    return null;
  } finally {
    state.busy = false;
    render();
  }
}

function assign(cards, theme) {
  if (!cards.length) return;
  run("theme.assign", { cards, theme }, () => t("th.done.moved", { n: cards.length })).then((r) => {
    if (r) for (const id of cards) state.picked.delete(id);
  });
}

// -- drawing ------------------------------------------------------------------------------------
function cardItem(c) {
  const li = el("li", state.picked.has(c.id) ? "th-card picked" : "th-card");
  li.draggable = true;
  li.dataset.card = c.id;
  const box = el("input");
  box.type = "checkbox";
  box.id = `th-pick-${c.id}`;
  box.checked = state.picked.has(c.id);
  box.addEventListener("change", () => {
    if (box.checked) state.picked.add(c.id);
    else state.picked.delete(c.id);
    render();
  });
  const label = el("label");
  label.htmlFor = box.id;
  label.append(el("span", "th-card-table", t("th.tableNo", { table: c.table })), el("span", "", c.text));
  li.append(box, label);
  li.addEventListener("dragstart", (e) => {
    const ids = state.picked.has(c.id) ? [...state.picked] : [c.id];
    e.dataTransfer.setData("text/plain", JSON.stringify(ids));
    e.dataTransfer.effectAllowed = "move";
  });
  return li;
}

function themeItem(th) {
  const li = el("li", "th-theme");
  li.dataset.theme = th.id;
  const head = el("div", "th-theme-head");
  const title = el("h3", "th-theme-title", t("th.themeTitle", { title: th.title, n: (th.cards || []).length }));
  const rename = button("secondary th-small", t("th.rename"), async () => {
    const next = await askText({
      title: t("th.rename.label", { title: th.title }),
      label: t("th.rename.ask"),
      value: th.title,
      ok: t("th.rename"),
      maxLength: 80,
      back: ui.newTitle,
    });
    if (next && next !== th.title) run("theme.rename", { theme: th.id, title: next }, () => t("th.done.renamed"));
  });
  const merge = el("select", "select th-small");
  merge.setAttribute("aria-label", t("th.merge.label", { title: th.title }));
  merge.append(el("option", "", t("th.merge")));
  for (const other of themesInOrder()) {
    if (other.id === th.id) continue;
    const o = el("option", "", other.title);
    o.value = other.id;
    merge.append(o);
  }
  merge.addEventListener("change", () => {
    if (merge.value) run("theme.merge", { theme: th.id, into: merge.value }, () => t("th.done.merged"));
  });
  const del = button("secondary th-small", t("th.delete"), async () => {
    const yes = await askConfirm({
      title: t("th.delete.label", { title: th.title }),
      body: t("th.delete.ask", { title: th.title }),
      ok: t("th.delete.yes"),
      back: ui.newTitle,
    });
    if (yes) run("theme.delete", { theme: th.id }, () => t("th.done.deleted"));
  });
  rename.setAttribute("aria-label", t("th.rename.label", { title: th.title }));
  del.setAttribute("aria-label", t("th.delete.label", { title: th.title }));
  head.append(title, rename, merge, del);
  const ul = el("ul", "th-theme-cards");
  for (const c of th.cards || []) {
    const row = el("li");
    row.append(el("span", "", `${t("th.tableNo", { table: c.table })} ${c.text}`));
    const out = button("secondary th-small", t("th.out"), () => assign([c.id], ""));
    out.setAttribute("aria-label", t("th.out.label", { text: c.text }));
    row.append(out);
    ul.append(row);
  }
  li.append(head, ul);
  if (state.made.has(th.id)) li.append(el("p", "th-theme-made", t("th.made", { n: state.made.get(th.id) })));
  li.addEventListener("dragover", (e) => {
    e.preventDefault();
    li.classList.add("over");
  });
  li.addEventListener("dragleave", () => li.classList.remove("over"));
  li.addEventListener("drop", (e) => {
    e.preventDefault();
    li.classList.remove("over");
    let ids = [];
    try {
      ids = JSON.parse(e.dataTransfer.getData("text/plain"));
    } catch {
      return;
    }
    if (Array.isArray(ids)) assign(ids.filter((x) => typeof x === "string"), th.id);
  });
  return li;
}

function suggestionItem(g, i) {
  const li = el("li", "th-sug");
  const texts = g.cards.map((id) => (state.cards.get(id) || {}).text || id);
  li.append(el("p", "", t("th.sug.line", { title: g.title, n: g.cards.length, texts: texts.slice(0, 3).join(" / ") })));
  li.append(
    button("send th-small", t("th.sug.accept"), async () => {
      const r = await run("theme.create", { title: g.title.slice(0, 80), cards: g.cards }, () => t("th.done.created"));
      if (r) state.suggestions.splice(i, 1);
      render();
    }),
  );
  return li;
}

function renderTables() {
  const tables = [...new Set([...state.cards.values()].map((c) => c.table))].sort((a, b) => Number(a) - Number(b) || a.localeCompare(b));
  const keep = ui.table.value;
  const all = el("option", "", t("th.table.all"));
  all.value = "";
  setChildren(
    ui.table,
    all,
    ...tables.map((x) => {
      const o = el("option", "", t("th.tableNo", { table: x }));
      o.value = x;
      return o;
    }),
  );
  ui.table.value = tables.includes(keep) ? keep : "";
}

function render() {
  // Cards arrive while someone works with the keyboard: the redraw keeps the focus where it was.
  const focused = document.activeElement && document.activeElement.id;
  const list = unassigned();
  const on = placed();
  ui.counts.textContent = t("th.counts", { cards: state.cards.size, free: state.cards.size - on.size, themes: state.themes.size });
  renderTables();
  setChildren(ui.cardList, ...list.slice(0, SHOWN).map(cardItem));
  ui.none.hidden = list.length > 0;
  for (const id of [...state.picked]) if (on.has(id) || !state.cards.has(id)) state.picked.delete(id);
  ui.picked.textContent = t("th.picked", { n: state.picked.size });
  const keep = ui.target.value;
  const themes = themesInOrder();
  setChildren(
    ui.target,
    ...themes.map((th) => {
      const o = el("option", "", th.title);
      o.value = th.id;
      return o;
    }),
  );
  if (themes.some((th) => th.id === keep)) ui.target.value = keep;
  setChildren(ui.themeList, ...themes.map(themeItem));
  setChildren(ui.sugList, ...state.suggestions.map(suggestionItem));
  ui.suggestions.hidden = state.suggestions.length === 0;
  if (focused && document.activeElement?.id !== focused) document.getElementById(focused)?.focus();
}

// -- start ---------------------------------------------------------------------------------------
function chooseMeeting(id) {
  state.meeting = id;
  ui.meeting.value = id;
  rememberMeeting(MEETING_KEY, id);
  follow(id);
  render();
}

function onWelcome(welcome) {
  state.welcome = welcome;
  const meetings = welcome.meetings || [];
  const allowed = may(welcome, "theme.assign");
  ui.console.hidden = false;
  ui.refused.textContent = allowed ? "" : t("th.err.forbidden");
  ui.refused.hidden = allowed;
  ui.work.hidden = !allowed || !meetings.length;
  setMeetingOptions(ui.meeting, meetings);
  if (!allowed || !meetings.length) return;
  chooseMeeting(wantedMeeting(meetings, MEETING_KEY, state.meeting).id);
}

function onFatal() {
  ui.console.hidden = true;
  ui.work.hidden = true;
}

const shell = initShell({ pageKey: "page.themes", onRerender: render });

function main() {
  state.conn = connectPage(shell, { onWelcome, onFatal });
  if (!state.conn) return;
  ui.meeting.addEventListener("change", () => chooseMeeting(ui.meeting.value));
  ui.table.addEventListener("change", render);
  ui.search.addEventListener("input", render);
  ui.move.addEventListener("submit", (e) => {
    e.preventDefault();
    if (!ui.target.value || !state.picked.size) {
      ui.error.textContent = t(state.picked.size ? "th.err.notheme" : "th.err.nocard");
      ui.error.hidden = false;
      return;
    }
    assign([...state.picked], ui.target.value);
  });
  ui.newForm.addEventListener("submit", (e) => {
    e.preventDefault();
    const title = ui.newTitle.value.trim();
    if (!title) return;
    run("theme.create", { title, cards: [...state.picked] }, () => t("th.done.created")).then((r) => {
      if (r) {
        ui.newTitle.value = "";
        state.picked.clear();
      }
    });
  });
  ui.suggest.addEventListener("click", async () => {
    const r = await run("theme.suggest", {}, (r) => t("th.done.suggested", { n: r.groups.length }));
    if (r) state.suggestions = r.groups;
    render();
  });
  ui.publish.addEventListener("click", () => run("theme.publish", {}, (r) => t("th.done.published", { n: r.count })));
  render();
  state.conn.start();
}

main();
