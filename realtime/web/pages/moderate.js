// The moderators' console (`moderate.html#t=<moderator or host token>`): the question desk (every
// question with its author, from `meeting/<m>/staff`), chat moderation (delete, mute, ban, slow
// mode, link policy, reports) and the speakers list (order, call, timer).
//
// The chat's backlog holds the last visible messages, with tombstones (`chat.removed`, no text) in
// the places of deleted ones, and no moderation events. So on every (re)subscribe the console asks
// the hub for what it would otherwise have lost (`chat.moderation`, staff only): the restrictions
// in force, by whom, and the deleted messages' text from the moderators' audit. The chat channel's
// events keep both live from there.
//
// The hub checks every command; the page reads the welcome's `may` to show a plain refusal to
// anyone else. Text from people goes on the page through textContent only.

import { connectPage } from "../lib/boot.js";
import { t } from "../lib/i18n.js";
import {
  HubClock,
  QaState,
  SpeakersState,
  button,
  el,
  errText,
  fmtClock,
  fmtTime,
  followState,
  may,
  rememberMeeting,
  setChildren,
  wantedMeeting,
} from "../lib/meeting-common.js";
import { initShell, roleName } from "../lib/shell.js";
import { StageControls } from "../panels/stage-controls.js";
import { ProposalsModeration } from "../panels/proposals-moderate.js"; // issue 14: proposal buttons
import { ShortlistForm } from "../panels/shortlist-form.js"; // issue 14: the shortlist vote

const $ = (id) => document.getElementById(id);
const MEETING_KEY = "plenary.mod.meeting";
const SLOW_STEPS = [0, 10, 30, 60, 120, 300];
const LINKS = ["staff", "block", "allow"];
const MAX_LOG = 200;

const state = {
  conn: null,
  welcome: null,
  allowed: false,
  meeting: null,
  clock: new HubClock(),
  desk: new QaState(),
  sp: new SpeakersState(),
  chat: [], // chat.message events and the tombstones of deleted ones (chat.removed), newest last
  deleted: new Set(),
  audit: new Map(), // offset of a deleted message -> {text, author, by, at, reason}
  restricted: new Map(), // participant id -> {name, until, banned, by, at}
  modSeq: 0, // the chat.moderation request whose answer counts (a later one voids earlier ones)
  modTimer: null,
  names: new Map(), // participant id -> name (from chat authors)
  settings: { slow_mode: 0, links: "staff" },
  subs: [],
  busy: false,
  tick: null,
  timer: null, // the per-speaker time form, made once (timerForm)
  stage: null, // the hosts' stage controls (stage-controls.js)
};

const shell = initShell({ pageKey: "page.mod", onRerender: rerender });

function status(text, error = false) {
  const s = $("mod-status");
  s.textContent = text;
  s.classList.toggle("error", error);
  s.setAttribute("role", error ? "alert" : "status");
}

/** Send a moderation command; the channels bring the change back, so only errors are shown here. */
async function act(kind, fields, done) {
  try {
    const r = await state.conn.request(kind, { meeting: state.meeting, ...fields });
    status(done ? t(done) : "");
    return r;
  } catch (err) {
    status(errText(err), true);
    return null;
  }
}

// -- welcome and meeting ------------------------------------------------------------------------
function onWelcome(w) {
  state.welcome = w;
  state.clock.setWelcome(w);
  state.allowed = may(w, "qa.approve");
  state.stage.setWelcome(w);
  state.props.setWelcome(w); // issue 14
  state.short.setWelcome(w); // issue 14: the shortlist vote
  rerender();
  if (!state.allowed) return;
  const meetings = w.meetings || [];
  const sel = $("m-meeting");
  setChildren(
    sel,
    ...meetings.map((m) => {
      const o = el("option", "", m.title);
      o.value = m.id;
      return o;
    }),
  );
  $("mod-bar").hidden = false;
  $("mod-cols").hidden = false;
  if (state.meeting && meetings.some((m) => m.id === state.meeting)) {
    sel.value = state.meeting;
    return; // the subscriptions resume by themselves
  }
  const first = wantedMeeting(meetings, MEETING_KEY);
  if (first) chooseMeeting(first.id);
}

function chooseMeeting(id) {
  state.meeting = id;
  $("m-meeting").value = id;
  rememberMeeting(MEETING_KEY, id);
  for (const s of state.subs) s.close();
  state.desk = new QaState();
  state.sp = new SpeakersState();
  if (state.timer) state.timer.edited = false; // another meeting's time, not the one being typed
  state.chat = [];
  state.deleted = new Set();
  state.audit = new Map();
  state.restricted = new Map();
  state.modSeq += 1; // an answer for the previous meeting is void
  state.stage.setMeeting(id);
  state.props.setMeeting(id); // issue 14
  state.short.setMeeting(id); // issue 14: the shortlist vote
  state.subs = [
    followState(state.conn, `meeting/${id}/staff`, {
      onSnapshot: (s) => state.desk.snapshot(s),
      onEvents: (events, info) => {
        if (!info.snapshot) for (const e of events) state.desk.apply(e);
        renderDesk();
        renderReports();
      },
      onError: (err) => status(errText(err), true),
    }),
    followState(state.conn, `meeting/${id}/speakers`, {
      onSnapshot: (s) => state.sp.snapshot(s),
      onEvents: (events, info) => {
        if (!info.snapshot) for (const e of events) state.sp.apply(e);
        renderSpeakers();
      },
      onError: (err) => status(errText(err), true),
    }),
    state.conn.subscribe(`meeting/${id}/chat`, {
      onEvents: (events, info) => {
        if (info.reset) {
          state.chat = [];
          state.deleted = new Set();
          state.audit = new Map();
        }
        let restrictions = false;
        for (const e of events) restrictions = onChat(e) || restrictions;
        if (info.initial) {
          loadStatus();
          loadModeration();
        } else if (restrictions) refreshModeration();
        renderChat();
      },
      onError: (err) => status(errText(err), true),
    }),
  ];
  renderAll();
}

async function loadStatus() {
  try {
    const r = await state.conn.request("chat.status", { meeting: state.meeting });
    state.settings = { slow_mode: r.slow_mode || 0, links: r.links || "staff" };
    renderSettings();
  } catch {
    /* shown when the next chat.settings event comes */
  }
}

/**
 * The staff view of the meeting's chat, from the hub: the restrictions in force replace the list
 * (the hub reads them from the keys that hold a message back), and each deleted message's text,
 * author and deletion go into the audit map, page by page (newest first) while the pages still
 * fall within the log. Asked on every (re)subscribe and after a restriction event (the events
 * carry no `by`); only the answers to the latest request count.
 */
async function loadModeration() {
  clearTimeout(state.modTimer);
  const meeting = state.meeting;
  const seq = ++state.modSeq;
  let before = null;
  for (let page = 0; page < 20; page++) {
    let r;
    try {
      r = await state.conn.request("chat.moderation", before ? { meeting, before } : { meeting });
    } catch (err) {
      // Disconnected: the re-subscribe after the reconnect asks again.
      if (seq === state.modSeq && err.name !== "disconnected") status(errText(err), true);
      return;
    }
    if (seq !== state.modSeq || meeting !== state.meeting) return;
    if (page === 0) {
      const restricted = new Map();
      for (const x of r.restrictions || []) {
        const banned = x.kind === "ban";
        restricted.set(x.participant, { name: x.name, until: banned ? 0 : Number(x.until) || 0, banned, by: x.by, at: x.at });
        if (x.name) state.names.set(x.participant, x.name);
      }
      state.restricted = restricted;
    }
    const deleted = r.deleted || [];
    for (const x of deleted) {
      const offset = Number(x.offset);
      state.deleted.add(offset);
      state.audit.set(offset, { text: x.text, author: x.author, ...(x.deleted || {}) });
    }
    renderChat();
    const oldest = state.chat.length ? state.chat[0].offset : Infinity;
    if (!r.older || !deleted.length || Number(deleted[0].offset) <= oldest) return;
    before = Number(deleted[0].offset);
  }
}

function refreshModeration() {
  state.modSeq += 1; // an answer already on its way may predate the event
  clearTimeout(state.modTimer);
  state.modTimer = setTimeout(loadModeration, 250);
}

/** Apply one chat event; true when it changed a restriction (the list is then asked for again). */
function onChat(e) {
  const d = e.data || {};
  switch (e.event) {
    case "chat.message":
    case "chat.removed": // a deleted message's place: its text comes from the audit
      if (e.event === "chat.removed") state.deleted.add(Number(e.offset));
      state.chat.push(e);
      if (d.author) state.names.set(d.author.id, d.author.name);
      if (state.chat.length > MAX_LOG) state.chat.shift();
      return false;
    case "chat.deleted": {
      const offset = Number(d.offset);
      state.deleted.add(offset);
      state.audit.set(offset, { ...state.audit.get(offset), by: d.by, at: e.time, reason: d.reason || "" });
      return false;
    }
    case "chat.muted":
      state.restricted.set(d.participant, { ...state.restricted.get(d.participant), until: d.until, banned: false, by: null });
      return true;
    case "chat.banned":
      state.restricted.set(d.participant, { ...state.restricted.get(d.participant), until: 0, banned: true, by: null });
      return true;
    case "chat.unmuted":
      state.restricted.delete(d.participant);
      return true;
    case "chat.settings":
      state.settings = { slow_mode: d.slow_mode ?? state.settings.slow_mode, links: d.links || state.settings.links };
      renderSettings();
      return false;
    default:
      return false;
  }
}

/**
 * Re-render a part without losing the keyboard user's place: the focused button is found again by
 * its accessible name, or else the first button of the same item, or else the part's heading.
 */
function keepFocus(container, render) {
  const active = document.activeElement;
  if (!active || !container.contains(active) || active === container) {
    render();
    return;
  }
  const label = active.getAttribute("aria-label") || active.textContent;
  const item = active.closest("li[data-id], li[data-offset]");
  const key = item ? (item.dataset.id ? `li[data-id="${CSS.escape(item.dataset.id)}"]` : `li[data-offset="${item.dataset.offset}"]`) : null;
  const id = active.id;
  render();
  const again =
    (id && document.getElementById(id)) ||
    [...container.querySelectorAll("button, select, input")].find(
      (b) => !b.disabled && (b.getAttribute("aria-label") || b.textContent) === label,
    ) ||
    (key && container.querySelector(`${key} button:not(:disabled)`)) ||
    container.closest("section")?.querySelector("h2");
  if (again) {
    if (again.tagName === "H2") again.tabIndex = -1;
    again.focus();
  }
}

// -- the question desk ----------------------------------------------------------------------------
const DESK_GROUPS = [
  ["pending", "mod.q.pending"],
  ["on_air", "mod.q.on_air"],
  ["queued", "mod.q.queued"],
  ["approved", "mod.q.approved"],
  ["dismissed", "mod.q.dismissed"],
  ["answered", "mod.q.answered"],
];

function renderDesk() {
  keepFocus($("desk-body"), drawDesk);
}

function drawDesk() {
  const body = $("desk-body");
  const all = [...state.desk.questions.values()];
  const visible = all.filter((q) => ["approved", "queued", "on_air"].includes(q.state));
  const parts = [];
  for (const [st, key] of DESK_GROUPS) {
    let qs = all.filter((q) => q.state === st);
    if (st === "queued") {
      const pos = new Map(state.desk.order.map((id, i) => [id, i]));
      qs.sort((a, b) => (pos.get(a.id) ?? 1e9) - (pos.get(b.id) ?? 1e9));
    } else if (st === "approved" || st === "answered") qs.sort((a, b) => (b.votes || 0) - (a.votes || 0) || a.at - b.at);
    else qs.sort((a, b) => a.at - b.at);
    const group = el("section", `desk-group group-${st}`);
    group.setAttribute("aria-label", t(key));
    group.append(el("h3", "sub-heading", `${t(key)} (${qs.length})`));
    const ul = el("ul", "mod-list");
    qs.forEach((q, i) => ul.append(deskItem(q, i, qs, visible)));
    if (!qs.length) ul.append(el("li", "mod-empty", t("mod.none")));
    group.append(ul);
    parts.push(group);
  }
  setChildren(body, ...parts);
}

function deskItem(q, i, siblings, visible) {
  const li = el("li", `mod-item q-${q.state}`);
  li.dataset.id = String(q.id);
  li.append(el("p", "qa-text-shown", q.text));
  const meta = el("p", "qa-meta");
  meta.append(el("span", "qa-author", q.author ? q.author.name : "?"));
  if (q.anonymous === false) meta.append(el("span", "state-tag", t("mod.q.named")));
  meta.append(el("span", "", fmtTime(state.clock.local(q.at || 0))));
  meta.append(el("span", "qa-votes", t("qa.votes", { n: q.votes || 0 })));
  li.append(meta);
  const row = el("div", "btn-row");
  const b = (label, kind, fields = {}, cls = "small-btn") =>
    row.append(
      button(cls, t(label), () => act(kind, { question: q.id, ...fields })),
    );
  const short = q.text.length > 30 ? `${q.text.slice(0, 30)}…` : q.text;
  switch (q.state) {
    case "pending":
      b("mod.approve", "qa.approve", {}, "small-btn primary");
      b("mod.dismiss", "qa.dismiss", {}, "small-btn danger");
      break;
    case "approved":
      b("mod.queue", "qa.queue", {}, "small-btn primary");
      b("mod.air", "qa.air");
      b("mod.answer", "qa.answer");
      b("mod.dismiss", "qa.dismiss", {}, "small-btn danger");
      break;
    case "queued": {
      const up = button("small-btn", t("mod.up"), () => reorder(q.id, -1));
      up.disabled = i === 0;
      up.setAttribute("aria-label", `${t("mod.up")}: ${short}`);
      const down = button("small-btn", t("mod.down"), () => reorder(q.id, 1));
      down.disabled = i === siblings.length - 1;
      down.setAttribute("aria-label", `${t("mod.down")}: ${short}`);
      row.append(up, down);
      b("mod.air", "qa.air", {}, "small-btn primary");
      b("mod.unqueue", "qa.unqueue");
      b("mod.answer", "qa.answer");
      break;
    }
    case "on_air":
      b("mod.answer", "qa.answer", {}, "small-btn primary");
      b("mod.air.again", "qa.air");
      break;
    case "dismissed":
      b("mod.reopen", "qa.reopen");
      break;
    default:
      break;
  }
  for (const btn of row.querySelectorAll("button")) if (!btn.getAttribute("aria-label")) btn.setAttribute("aria-label", `${btn.textContent}: ${short}`);
  li.append(row);
  // merge a duplicate into a question panelists see
  const targets = visible.filter((v) => v.id !== q.id);
  if (["pending", "approved", "queued"].includes(q.state) && targets.length) {
    const form = el("form", "merge-row");
    form.noValidate = true;
    const id = `merge-${q.id}`;
    const label = el("label", "visually-hidden", t("mod.merge.label", { text: short }));
    label.htmlFor = id;
    const sel = el("select", "select");
    sel.id = id;
    for (const v of targets) {
      const o = el("option", "", `#${v.id} ${v.text.slice(0, 40)}`);
      o.value = String(v.id);
      sel.append(o);
    }
    const go = el("button", "small-btn", t("mod.merge"));
    go.type = "submit";
    go.setAttribute("aria-label", `${t("mod.merge")}: ${short}`);
    form.append(label, sel, go);
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      act("qa.merge", { question: q.id, into: Number(sel.value) });
    });
    li.append(form);
  }
  return li;
}

async function reorder(id, delta) {
  const order = [...state.desk.order];
  const i = order.indexOf(id);
  const j = i + delta;
  if (i < 0 || j < 0 || j >= order.length) return;
  [order[i], order[j]] = [order[j], order[i]];
  const r = await act("qa.reorder", { order });
  if (r) {
    state.desk.order = r.order || order;
    renderDesk();
    // keep the focus on the question that moved
    const btn = document.querySelector(`#desk li[data-id="${id}"] button:not(:disabled)`);
    btn?.focus();
  }
}

// -- chat moderation ------------------------------------------------------------------------------
function minutes() {
  const n = Math.round(Number($("m-minutes").value));
  return Math.min(1440, Math.max(1, Number.isFinite(n) ? n : 10));
}

function renderSettings() {
  const slow = $("m-slow");
  const steps = SLOW_STEPS.includes(state.settings.slow_mode) ? SLOW_STEPS : [...SLOW_STEPS, state.settings.slow_mode].sort((a, b) => a - b);
  setChildren(
    slow,
    ...steps.map((s) => {
      const o = el("option", "", s ? t("mod.slow.n", { s }) : t("mod.slow.off"));
      o.value = String(s);
      return o;
    }),
  );
  slow.value = String(state.settings.slow_mode);
  const links = $("m-links");
  setChildren(
    links,
    ...LINKS.map((l) => {
      const o = el("option", "", t(`mod.links.${l}`));
      o.value = l;
      return o;
    }),
  );
  links.value = state.settings.links;
}

function renderChat() {
  keepFocus($("chatmod"), drawChat);
}

function drawChat() {
  const log = $("mod-log");
  const me = state.welcome && state.welcome.participant;
  const items = state.chat.slice(-MAX_LOG).map((e) => {
    const gone = state.deleted.has(e.offset);
    const audit = gone ? state.audit.get(e.offset) || {} : {};
    // A tombstone has no text or author: the audit has them (a live deletion: the message itself).
    const d = e.event === "chat.removed" ? audit : e.data || {};
    const a = d.author || {};
    const li = el("li", "mod-msg");
    li.dataset.offset = String(e.offset);
    if (gone) li.classList.add("deleted");
    const meta = el("p", "qa-meta");
    meta.append(el("span", "qa-author", a.name || "?"));
    if (a.role && a.role !== "panelist") meta.append(el("span", "badge role", roleName(a.role)));
    meta.append(el("span", "", fmtTime(e.time)));
    if (gone) meta.append(el("span", "state-tag", t("mod.deleted")));
    const known = typeof d.text === "string";
    li.append(meta, el("p", known ? "text" : "text unknown", known ? d.text : t("mod.deleted.unknown")));
    if (gone && audit.by) {
      let line = t("mod.deleted.by", { name: audit.by.name || "?", time: fmtTime(state.clock.local(audit.at || 0)) });
      if (audit.reason) line += ` · ${t("mod.deleted.reason", { reason: audit.reason })}`;
      li.append(el("p", "mod-by", line));
    }
    if (!gone) {
      const row = el("div", "btn-row");
      const who = a.name || "?";
      const del = button("small-btn danger", t("mod.delete"), () => act("chat.delete", { offset: e.offset }, "mod.done.delete"));
      del.setAttribute("aria-label", t("mod.delete.label", { name: who, time: fmtTime(e.time) }));
      row.append(del);
      if (a.role === "panelist" && a.id !== me) {
        const mute = button("small-btn", t("mod.mute", { n: minutes() }), () =>
          act("chat.mute", { participant: a.id, minutes: minutes() }, "mod.done.mute"),
        );
        mute.setAttribute("aria-label", t("mod.mute.label", { name: who, n: minutes() }));
        const ban = button("small-btn danger", t("mod.ban"), () => act("chat.ban", { participant: a.id }, "mod.done.ban"));
        ban.setAttribute("aria-label", t("mod.ban.label", { name: who }));
        row.append(mute, ban);
      }
      li.append(row);
    }
    return li;
  });
  items.reverse(); // newest first: a moderator acts on what just arrived
  setChildren(log, ...items);
  if (!items.length) log.append(el("li", "mod-empty", t("mod.none")));
  renderRestricted();
}

function renderRestricted() {
  const ul = $("restricted");
  const now = state.clock.now();
  const rows = [];
  for (const [pid, r] of state.restricted) {
    if (!r.banned && r.until <= now) continue;
    const name = r.name || state.names.get(pid) || pid;
    const li = el("li", "mod-item");
    li.dataset.id = pid;
    li.append(el("p", "qa-author", name));
    li.append(el("p", "mod-by", r.banned ? t("mod.banned") : t("mod.muted.until", { time: fmtTime(state.clock.local(r.until)) })));
    if (r.by) li.append(el("p", "mod-by", t("mod.restricted.by", { name: r.by.name || "?", time: fmtTime(state.clock.local(r.at || 0)) })));
    const undo = button("small-btn", t("mod.unmute"), () => act("chat.unmute", { participant: pid }, "mod.done.unmute"));
    undo.setAttribute("aria-label", t("mod.unmute.label", { name }));
    li.append(undo);
    rows.push(li);
  }
  setChildren(ul, ...rows);
  if (!rows.length) ul.append(el("li", "mod-empty", t("mod.none")));
}

function renderReports() {
  keepFocus($("reports"), drawReports);
}

function drawReports() {
  const ul = $("reports");
  const rows = [...state.desk.reports.values()].map((r) => {
    const li = el("li", "mod-item report");
    li.dataset.offset = String(r.offset);
    const a = r.author || {};
    li.append(el("p", "text", r.text || ""));
    const meta = el("p", "qa-meta");
    meta.append(el("span", "qa-author", a.name || "?"));
    const reasons = (r.reports || []).map((x) => t(`report.reason.${x.reason}`)).join(", ");
    meta.append(el("span", "", t("mod.report.count", { n: (r.reports || []).length, reasons })));
    li.append(meta);
    const row = el("div", "btn-row");
    const del = button("small-btn danger", t("mod.delete"), () => act("chat.delete", { offset: r.offset }, "mod.done.delete"));
    del.setAttribute("aria-label", t("mod.report.delete.label", { name: a.name || "?" }));
    const keep = button("small-btn", t("mod.report.dismiss"), () => act("chat.dismiss_report", { offset: r.offset }));
    keep.setAttribute("aria-label", t("mod.report.dismiss.label", { name: a.name || "?" }));
    row.append(del, keep);
    li.append(row);
    return li;
  });
  setChildren(ul, ...rows);
  if (!rows.length) ul.append(el("li", "mod-empty", t("mod.none")));
}

// -- speakers -------------------------------------------------------------------------------------
function renderSpeakers() {
  keepFocus($("sp-body"), drawSpeakers);
}

function drawSpeakers() {
  const body = $("sp-body");
  const cur = state.sp.current;
  const card = el("div", `floor-card${cur ? " active" : ""}`);
  if (cur) {
    card.append(el("p", "floor-label", t("sp.floor")), el("p", "floor-name", cur.name));
    const c = el("p", "floor-clock big");
    c.id = "mod-clock";
    card.append(c);
    card.append(button("small-btn danger", t("mod.sp.end"), () => act("speakers.yield", {})));
  } else card.append(el("p", "floor-label", t("sp.nobody")));
  const queue = state.sp.queue();
  const next = button("cast", t("mod.sp.next"), () => act("speakers.next", { seconds: state.sp.seconds }));
  next.disabled = !queue.length;
  const list = el("ol", "hand-list");
  queue.forEach((h, i) => {
    const li = el("li", "hand mod-hand");
    li.dataset.id = h.id;
    li.append(el("span", "hand-pos", t("sp.pos", { n: i + 1 })), el("span", "hand-name", h.name));
    const row = el("div", "btn-row");
    const up = button("small-btn", t("mod.up"), () => reorderHands(h.id, -1));
    up.disabled = i === 0;
    up.setAttribute("aria-label", `${t("mod.up")}: ${h.name}`);
    const down = button("small-btn", t("mod.down"), () => reorderHands(h.id, 1));
    down.disabled = i === queue.length - 1;
    down.setAttribute("aria-label", `${t("mod.down")}: ${h.name}`);
    const call = button("small-btn primary", t("mod.sp.call"), () => act("speakers.next", { participant: h.id, seconds: state.sp.seconds }));
    call.setAttribute("aria-label", `${t("mod.sp.call")}: ${h.name}`);
    const lower = button("small-btn", t("mod.sp.lower"), () => act("speakers.lower", { participant: h.id }));
    lower.setAttribute("aria-label", `${t("mod.sp.lower")}: ${h.name}`);
    row.append(up, down, call, lower);
    li.append(row);
    list.append(li);
  });
  if (!queue.length) list.append(el("li", "hand empty", t("sp.queue.empty")));
  const heading = el("h3", "sub-heading", `${t("sp.queue")} (${queue.length})`);
  const timer = timerForm();
  if (timer.parentNode !== body) setChildren(body, card, next, timer, heading, list);
  else {
    // Everything around the form is drawn anew; the form itself never leaves the page.
    for (const child of [...body.children]) if (child !== timer) child.remove();
    timer.before(card, next);
    timer.after(heading, list);
  }
  tick();
}

/**
 * The per-speaker time form, made once and kept in place across redraws. The speakers list is
 * drawn anew on every event of its channel (a hand raised, the order changed); a form drawn anew
 * with it lost what a moderator was typing: the channel's value came back, or the typing landed
 * in a field already replaced ("60" typed into "120" sent 60120, refused as bad_field). Its value
 * follows the channel only while nobody is editing it.
 */
function timerForm() {
  if (!state.timer) {
    const form = el("form", "mod-settings");
    form.noValidate = true;
    const label = el("label", "field-label");
    label.htmlFor = "m-seconds";
    const input = el("input", "input narrow");
    input.id = "m-seconds";
    input.type = "number";
    input.min = "10";
    input.max = "3600";
    input.inputMode = "numeric";
    const set = el("button", "small-btn");
    set.type = "submit";
    const f = el("div", "field");
    f.append(label, input);
    form.append(f, set);
    state.timer = { form, label, input, set, edited: false };
    input.addEventListener("input", () => {
      state.timer.edited = true;
    });
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      const r = await act("speakers.timer", { seconds: Math.round(Number(input.value)) }, "mod.done.timer");
      if (r) {
        state.timer.edited = false; // the channel's value is now the one typed
        renderSpeakers();
      }
    });
  }
  const { form, label, input, set, edited } = state.timer;
  label.textContent = t("mod.sp.seconds");
  set.textContent = t("mod.sp.setTimer");
  if (!edited && document.activeElement !== input) input.value = String(state.sp.seconds);
  return form;
}

async function reorderHands(id, delta) {
  const order = state.sp.queue().map((h) => h.id);
  const i = order.indexOf(id);
  const j = i + delta;
  if (i < 0 || j < 0 || j >= order.length) return;
  [order[i], order[j]] = [order[j], order[i]];
  const r = await act("speakers.order", { order });
  if (r) {
    (r.order || order).forEach((pid, k) => {
      const h = state.sp.hands.get(pid);
      if (h) h.rank = k + 1;
    });
    renderSpeakers();
    document.querySelector(`#sp-body li[data-id="${CSS.escape(id)}"] button:not(:disabled)`)?.focus();
  }
}

function tick() {
  clearTimeout(state.tick);
  const c = $("mod-clock");
  const cur = state.sp.current;
  if (!c || !cur) return;
  const left = Math.min((cur.ends_at || 0) - state.clock.now(), (cur.seconds || 3600) * 1000);
  c.textContent = left > 0 ? t("sp.left", { time: fmtClock(left) }) : t("sp.over", { time: fmtClock(-left) });
  c.classList.toggle("over", left <= 0);
  state.tick = setTimeout(tick, 1000 - (Math.abs(left) % 1000) + 20);
}

// -- rendering ------------------------------------------------------------------------------------
function renderAll() {
  renderSettings();
  renderDesk();
  renderReports();
  renderChat();
  renderSpeakers();
}

function rerender() {
  if (state.welcome && !state.allowed) {
    shell.notice("mod.forbidden.title", "mod.forbidden.body", { role: roleName(state.welcome.role) });
  }
  if (state.meeting) renderAll();
  state.stage?.rerender();
  state.props?.rerender(); // issue 14
  state.short?.rerender(); // issue 14: the shortlist vote
}

function main() {
  state.conn = connectPage(shell, {
    onWelcome,
    onFatal: () => {
      $("mod-bar").hidden = true;
      $("mod-cols").hidden = true;
    },
  });
  if (!state.conn) return;
  state.stage = new StageControls(state.conn, $("stage"), { status });
  state.props = new ProposalsModeration(state.conn, $("propmod"), { status, onChange: () => state.short?.render() }); // issue 14
  state.short = new ShortlistForm(state.conn, $("shortmod"), state.props); // issue 14: the shortlist vote
  $("m-meeting").addEventListener("change", () => chooseMeeting($("m-meeting").value));
  $("chat-settings").addEventListener("submit", (e) => {
    e.preventDefault();
    act("chat.settings", { slow_mode: Number($("m-slow").value), links: $("m-links").value }, "mod.done.settings");
  });
  $("m-minutes").addEventListener("change", renderChat);
  setInterval(renderRestricted, 30_000); // mutes run out
  state.conn.start();
}

main();
