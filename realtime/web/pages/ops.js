// The ops dashboard (`/static/ops.html#t=<ops or host token>`): every hub's load report (the `ops`
// channel, one `ops.hub` event per hub every 2 s), totals across hubs with a short history, and the
// turnout of each open vote (`vote.list` every 10 s, `vote.turnout` every 3 s).
//
// Only ops and hosts may follow `ops` or ask for turnout; the hub checks both. Anyone else gets a
// clear message instead of an empty board. Everything is written with textContent / DOM APIs.

import { connectPage } from "../lib/boot.js";
import { t } from "../lib/i18n.js";
import { clock, el, fmtClock, fmtNumber, fmtPercent, setChildren, stratumName } from "../lib/vote-common.js";
import { initShell, roleName } from "../lib/shell.js";
import { OpsCharts } from "../panels/ops-charts.js";

const ROLES = ["ops", "host"];
const STALE_MS = 10_000;
const LIST_MS = 10_000;
const TURNOUT_MS = 3_000;
const HISTORY = 60; // samples of the totals (one every 2 s: two minutes)
const STRATA = ["gender", "age_band", "district"];
const COLS = [
  "hub",
  "connections",
  "subscriptions",
  "frames_in_per_s",
  "frames_out_per_s",
  "events_out_per_s",
  "dropped_per_s",
  "slow_aborts_per_s",
  "dropped_total",
  "delivery_p99_ms",
  "redis_rtt_ms",
  "age",
];
const SVG = "http://www.w3.org/2000/svg";
const $ = (id) => document.getElementById(id);

const state = {
  conn: null,
  welcome: null,
  allowed: false,
  hubs: new Map(), // hub id -> {report, at}
  history: [], // [{at, frames, connections}]
  votes: new Map(), // vote id -> {id, title, report, at, error}
  timers: [],
};

const charts = new OpsCharts($("charts"));
const shell = initShell({ pageKey: "page.ops", onRerender: rerender });

function rerender() {
  if (state.welcome && !state.allowed) forbidden();
  renderHead();
  renderHubs();
  renderVotes();
  charts.render();
}

function forbidden() {
  shell.notice("ops.forbidden.title", "ops.forbidden.body", {
    role: state.welcome ? roleName(state.welcome.role) : "",
  });
  for (const id of ["totals", "charts", "hubs", "turnouts"]) $(id).hidden = true;
  for (const timer of state.timers) clearInterval(timer);
  state.timers = [];
}

// -- numbers ---------------------------------------------------------------------------------------
function num(v, digits = 1) {
  if (v === null || v === undefined || Number.isNaN(v)) return "–";
  return new Intl.NumberFormat(undefined, { maximumFractionDigits: digits }).format(v);
}

function fresh() {
  const now = Date.now();
  return [...state.hubs.values()].filter((h) => now - h.at < STALE_MS).map((h) => h.report);
}

function totals() {
  const live = fresh();
  const sum = (k) => live.reduce((a, r) => a + (Number(r[k]) || 0), 0);
  const worst = (k) => {
    const vals = live.map((r) => r[k]).filter((v) => v !== null && v !== undefined);
    return vals.length ? Math.max(...vals) : null;
  };
  return {
    hubs: live.length,
    connections: sum("connections"),
    frames: sum("frames_in_per_s") + sum("frames_out_per_s"),
    frames_out: sum("frames_out_per_s"),
    dropped: sum("dropped_per_s"),
    dropped_total: sum("dropped_total"),
    p99: worst("delivery_p99_ms"),
    rtt: worst("redis_rtt_ms"),
  };
}

// -- hubs ------------------------------------------------------------------------------------------
function renderHead() {
  const cells = COLS.map((key) => {
    const th = el("th", key === "hub" ? "" : "num", t(`ops.col.${key}`));
    th.scope = "col";
    return th;
  });
  setChildren($("hub-head"), ...cells);
}

function renderHubs() {
  const now = Date.now();
  const ids = [...state.hubs.keys()].sort();
  $("hubs-none").hidden = ids.length > 0;
  const rows = ids.map((id) => {
    const { report: r, at } = state.hubs.get(id);
    const stale = now - at >= STALE_MS;
    const tr = el("tr", stale ? "hub-row stale" : "hub-row");
    tr.dataset.hub = id;
    tr.dataset.stale = stale ? "true" : "false";
    for (const key of COLS) {
      if (key === "hub") {
        const th = el("th", "hub-id", id);
        th.scope = "row";
        if (stale) th.append(el("span", "stale-tag", t("ops.stale")));
        tr.append(th);
        continue;
      }
      let text;
      if (key === "age") text = t("ops.ago", { s: num(Math.max(0, (now - at) / 1000), 0) });
      else if (key === "connections" || key === "subscriptions" || key === "dropped_total") text = num(r[key], 0);
      else text = num(r[key]);
      const td = el("td", `num col-${key}`, text);
      if ((key === "dropped_per_s" || key === "slow_aborts_per_s") && r[key] > 0) td.classList.add("warn");
      tr.append(td);
    }
    return tr;
  });
  setChildren($("hub-rows"), ...rows);
  renderTotals();
}

function renderTotals() {
  const tot = totals();
  const items = [
    ["hubs", num(tot.hubs, 0)],
    ["connections", num(tot.connections, 0)],
    ["frames", num(tot.frames)],
    ["dropped", `${num(tot.dropped)} (${num(tot.dropped_total, 0)})`],
    ["p99", tot.p99 === null ? "–" : `${num(tot.p99)} ms`],
    ["rtt", tot.rtt === null ? "–" : `${num(tot.rtt, 2)} ms`],
  ];
  const nodes = [];
  for (const [key, value] of items) {
    const box = el("div", `ops-total total-${key}`);
    box.dataset.total = key;
    box.append(el("dt", "", t(`ops.total.${key}`)), el("dd", "big-num", value));
    nodes.push(box);
  }
  setChildren($("totals-list"), ...nodes);
  renderSpark();
}

function sparkline(values, label, className) {
  const w = 300;
  const h = 48;
  const wrap = el("figure", "spark");
  const svg = document.createElementNS(SVG, "svg");
  svg.setAttribute("viewBox", `0 0 ${w} ${h}`);
  svg.setAttribute("role", "img");
  const last = values.length ? values[values.length - 1] : 0;
  const max = Math.max(1, ...values);
  svg.setAttribute("aria-label", t("ops.spark.label", { what: label, now: num(last), max: num(max) }));
  if (values.length > 1) {
    const step = w / (HISTORY - 1);
    const x0 = w - step * (values.length - 1);
    const points = values.map((v, i) => `${(x0 + i * step).toFixed(1)},${(h - 2 - (v / max) * (h - 4)).toFixed(1)}`);
    const line = document.createElementNS(SVG, "polyline");
    line.setAttribute("points", points.join(" "));
    line.setAttribute("class", `spark-line ${className}`);
    line.setAttribute("fill", "none");
    svg.append(line);
  }
  const cap = el("figcaption", "", `${label}: ${num(last)} (${t("ops.spark.max")} ${num(max)})`);
  wrap.append(svg, cap);
  return wrap;
}

function renderSpark() {
  const frames = state.history.map((s) => s.frames);
  const conns = state.history.map((s) => s.connections);
  setChildren(
    $("spark"),
    sparkline(frames, t("ops.total.frames"), "frames"),
    sparkline(conns, t("ops.total.connections"), "conns"),
  );
}

function sample() {
  const tot = totals();
  if (!tot.hubs && !state.history.length) {
    renderHubs(); // nothing reported yet: no history point of zeros
    return;
  }
  state.history.push({ at: Date.now(), frames: tot.frames, connections: tot.connections });
  charts.add(Date.now(), fresh());
  if (state.history.length > HISTORY) state.history.shift();
  renderHubs();
}

function onOpsEvents(events) {
  for (const e of events) {
    if (e.event !== "ops.hub" || !e.data || !e.data.hub) continue;
    // The subscribe reply replays recent reports, also of hubs gone since: the event's own time
    // (the hub's clock, which the page follows through the welcome) decides how old a report is.
    const at = typeof e.time === "number" ? Math.min(e.time - clock.skew, Date.now()) : Date.now();
    const known = state.hubs.get(e.data.hub);
    if (known && known.at > at) continue;
    state.hubs.set(e.data.hub, { report: e.data, at });
  }
  renderHubs();
}

// -- votes -----------------------------------------------------------------------------------------
async function listVotes() {
  if (!state.conn?.live || !state.allowed) return;
  let reply;
  try {
    reply = await state.conn.request("vote.list");
  } catch {
    return; // tried again in 10 s
  }
  const open = (reply.votes || []).filter((v) => v.status === "open");
  const ids = new Set(open.map((v) => v.vote));
  for (const id of [...state.votes.keys()]) if (!ids.has(id)) state.votes.delete(id);
  for (const v of open) {
    const known = state.votes.get(v.vote);
    if (known) known.title = v.title;
    else state.votes.set(v.vote, { id: v.vote, title: v.title, report: null, at: 0, error: null });
  }
  renderVotes();
  pollTurnout();
}

async function pollTurnout() {
  if (!state.conn?.live || !state.allowed) return;
  await Promise.all(
    [...state.votes.values()].map(async (v) => {
      try {
        v.report = await state.conn.request("vote.turnout", { vote: v.id });
        v.at = Date.now();
        v.error = null;
      } catch (err) {
        v.error = err;
      }
    }),
  );
  renderVotes();
}

function strataTable(feature, rows) {
  const table = el("table", "strata-table");
  table.dataset.feature = feature;
  table.append(el("caption", "", t(`host.strata.${feature}`)));
  const head = el("tr", "");
  for (const key of ["value", "eligible", "voted", "rate", "present"]) {
    const th = el("th", key === "value" ? "" : "num", t(`ops.col.s_${key}`));
    th.scope = "col";
    head.append(th);
  }
  const thead = el("thead", "");
  thead.append(head);
  const tbody = el("tbody", "");
  for (const [value, row] of Object.entries(rows)) {
    const tr = el("tr", "");
    tr.dataset.value = value;
    const name = el("th", "", stratumName(value));
    name.scope = "row";
    tr.append(
      name,
      el("td", "num", fmtNumber(row.eligible)),
      el("td", "num", fmtNumber(row.voted)),
      el("td", "num", fmtPercent(row.voted, row.eligible)),
      el("td", "num", fmtNumber(row.present)),
    );
    tbody.append(tr);
  }
  table.append(thead, tbody);
  const wrap = el("div", "table-wrap");
  wrap.tabIndex = 0;
  wrap.append(table);
  return wrap;
}

function renderVotes() {
  const votes = [...state.votes.values()].sort((a, b) => a.id.localeCompare(b.id));
  $("votes-none").hidden = votes.length > 0;
  const cards = votes.map((v) => {
    const card = el("article", "ops-vote");
    card.dataset.vote = v.id;
    card.append(el("h3", "ops-vote-title", `${v.title || v.id} (${v.id})`));
    const r = v.report;
    if (v.error && !r) {
      card.append(el("p", "error", t("ops.turnout.error", { name: v.error.name || "", message: v.error.message || "" })));
    }
    if (r) {
      const big = el("p", "turnout-big ops-turnout");
      big.dataset.voted = String(r.voted);
      big.textContent = t("ops.turnout.main", {
        voted: fmtNumber(r.voted),
        eligible: fmtNumber(r.eligible),
        pct: fmtPercent(r.voted, r.eligible),
      });
      const present = el(
        "p",
        "turnout-present",
        t("ops.turnout.present", { present: fmtNumber(r.present), pct: fmtPercent(r.present, r.eligible) }),
      );
      const upd = el("p", "hint-text", t("ops.turnout.updated", { time: fmtClock(v.at) }));
      const strata = el("div", "strata");
      for (const feature of STRATA) {
        const rows = r.strata && r.strata[feature];
        if (rows) strata.append(strataTable(feature, rows));
      }
      card.append(big, present, upd, strata);
    } else if (!v.error) {
      card.append(el("p", "hint-text", t("ops.turnout.loading")));
    }
    return card;
  });
  setChildren($("vote-cards"), ...cards);
}

// -- start -----------------------------------------------------------------------------------------
function onWelcome(w) {
  state.welcome = w;
  clock.sync(w.server_time);
  state.allowed = ROLES.includes(w.role);
  rerender();
  if (!state.allowed) return;
  shell.clearNotice();
  for (const id of ["totals", "charts", "hubs", "turnouts"]) $(id).hidden = false;
  if (!state.conn.subs.has("ops")) {
    state.conn.subscribe("ops", {
      onEvents: onOpsEvents,
      onError: (err) => {
        if (err.name === "forbidden") {
          state.allowed = false;
          forbidden();
        }
      },
    });
  }
  if (!state.timers.length) {
    state.timers.push(setInterval(sample, 2_000), setInterval(listVotes, LIST_MS), setInterval(pollTurnout, TURNOUT_MS));
  }
  listVotes();
}

function main() {
  state.conn = connectPage(shell, { onWelcome });
  if (!state.conn) return;
  state.conn.start();
}

main();
