// The host's vote console (`/static/host.html#t=<host token>`): create a vote from a form, open it,
// announce the close (with its grace period), publish; live turnout overall and by stratum
// (`vote.turnout`, every 2 s while the vote is open), presence and a quorum line.
//
// Only hosts may do any of this, and the hub checks every command; this page only reads the
// welcome's `may` to show others a clear message instead of a form that would be refused.

import { connectPage } from "../lib/boot.js";
import { t } from "../lib/i18n.js";
import {
  METHODS,
  VoteFinder,
  applyEvent,
  applySnapshot,
  clock,
  el,
  fmtClock,
  fmtDuration,
  fmtNumber,
  fmtPercent,
  fmtTime,
  followVote,
  methodName,
  officialOrder,
  orderList,
  phaseOf,
  resultsHref,
  setChildren,
  stratumName,
  votesFromAddress,
} from "../lib/vote-common.js";
import { initShell, roleName } from "../lib/shell.js";
import { AgendaFeed } from "../panels/agenda-feed.js";
import { HostMedia } from "../panels/host-media.js";
import { LearningPanel } from "../panels/learning.js";
import { ResponseForm } from "../panels/response-form.js"; // issue 14: the city's response
import { BallotForm } from "../panels/ballot-form.js"; // issue 14: the plenary ballot
import { QuorumPanel } from "../panels/quorum.js"; // issue 14
import { VoiceConsole } from "../panels/voice.js"; // issue 16: live voice
import { HallVoteOption } from "../panels/hall-vote.js"; // issue 14: the hall-only vote
import { SurveyEditor } from "../panels/survey-editor.js";

const QUORUM_KEY = "plenary.host.quorum";
const POLL_MS = 2_000;
const STRATA = ["gender", "age_band", "district"];
const $ = (id) => document.getElementById(id);

const state = {
  conn: null,
  welcome: null,
  allowed: false,
  finder: null,
  tools: [], // issue 13's panels: setWelcome, setMeeting, rerender
  votes: new Map(), // id -> {id, def, status, eligible, turnout, closesAt, hardCloseAt, results, ...}
  selected: null,
  detail: null, // the selected vote's elements
  suggested: "",
  idTouched: false,
  creating: false,
  createMsg: null, // {key, vars}
  createError: null, // {key, vars} or {text}
};

const shell = initShell({ pageKey: "page.host", onRerender: rerender });

function rerender() {
  if (state.welcome && !state.allowed) forbidden();
  renderMethods();
  renderCreateMessages();
  $("create-submit").textContent = t(state.creating ? "host.creating" : "host.create");
  renderList();
  if (state.selected) buildDetail();
  for (const tool of state.tools) tool.rerender();
}

// -- welcome ---------------------------------------------------------------------------------------
function onWelcome(w) {
  const first = !state.welcome;
  state.welcome = w;
  clock.sync(w.server_time);
  state.allowed = (w.may || []).includes("vote.create");
  rerender();
  if (!state.allowed) return;
  $("create").hidden = false;
  $("votes").hidden = false;
  for (const tool of state.tools) tool.setWelcome(w);
  if (first) {
    const select = $("f-meeting");
    setChildren(
      select,
      ...(w.meetings || []).map((m) => {
        const opt = el("option", "", m.title);
        opt.value = m.id;
        return opt;
      }),
    );
    const running = (w.meetings || []).find((m) => m.id === "plenary") || (w.meetings || [])[0];
    if (running) select.value = running.id;
    state.finder.setMeeting(select.value || null);
    for (const tool of state.tools) tool.setMeeting(select.value || null);
  } else {
    state.finder.scan();
  }
}

function forbidden() {
  shell.notice("host.forbidden.title", "host.forbidden.body", { role: roleName(state.welcome.role) });
  $("create").hidden = true;
  $("votes").hidden = true;
}

// -- the form --------------------------------------------------------------------------------------
function renderMethods() {
  const select = $("f-method");
  const value = select.value || "schulze";
  setChildren(
    select,
    ...METHODS.map((m) => {
      const opt = el("option", "", methodName(m));
      opt.value = m;
      return opt;
    }),
  );
  select.value = value;
}

function renderRuleFields() {
  const topK = document.querySelector('input[name="rule"]:checked').value === "top_k";
  $("k-field").hidden = !topK;
}

function renderCreateMessages() {
  const err = state.createError;
  $("create-error").hidden = !err;
  $("create-error").textContent = err ? err.text || t(err.key, err.vars) : "";
  $("create-msg").textContent = state.createMsg ? t(state.createMsg.key, state.createMsg.vars) : "";
}

function suggestId(next) {
  state.suggested = next;
  if (!state.idTouched && next) $("f-id").value = next;
}

function readDefinition() {
  const lines = $("f-proposals")
    .value.split("\n")
    .map((s) => s.trim())
    .filter(Boolean);
  if (!lines.length) return { error: { key: "host.err.proposals", vars: {} } };
  const proposals = lines.map((title, i) => ({ id: `P${i + 1}`, title }));
  const kind = document.querySelector('input[name="rule"]:checked').value;
  const rule = { kind };
  if (kind === "top_k") rule.k = Number($("f-k").value);
  const min = $("f-min").value.trim();
  if (min) rule.minimum = Number(min);
  const method = $("f-method").value;
  const definition = {
    vote_id: $("f-id").value.trim(),
    title: $("f-title").value.trim(),
    proposals,
    rule,
    method,
    tie_break: proposals.map((p) => p.id),
    shown_methods: $("f-shown").checked ? METHODS.filter((m) => m !== method) : [],
    eligibility: $("f-elig").value === "meeting" ? $("f-meeting").value : "panelists",
    grace_seconds: Number($("f-grace").value || 0),
  };
  return { definition };
}

async function create(e) {
  e.preventDefault();
  if (state.creating) return;
  const { definition, error } = readDefinition();
  state.createMsg = null;
  state.createError = error || null;
  renderCreateMessages();
  if (error) return;
  state.creating = true;
  $("create-submit").textContent = t("host.creating");
  try {
    await state.conn.request("vote.create", { definition, meeting: $("f-meeting").value || null });
    state.createMsg = { key: "host.created", vars: { title: definition.title } };
    const hallError = await state.hall.apply(definition.vote_id, $("f-meeting").value); // issue 14
    if (hallError) state.createError = { text: hallError };
    state.idTouched = false;
    $("f-title").value = "";
    $("f-proposals").value = "";
    const reply = await state.conn.request("vote.get", { vote: definition.vote_id });
    addVote(definition.vote_id, reply);
    state.userSelected = true; // the host's own: a vote announced next does not take its place
    select(definition.vote_id);
    state.finder.known.add(definition.vote_id);
    state.finder.scan(); // moves the suggested id on
  } catch (err) {
    state.createError = { text: t("host.err", { name: err.name, message: err.message }) };
  } finally {
    state.creating = false;
    $("create-submit").textContent = t("host.create");
    renderCreateMessages();
  }
}

/** A vote made by another form (issue 14: the plenary ballot): listed and selected, as one created here. */
async function showMade(id) {
  const reply = await state.conn.request("vote.get", { vote: id });
  addVote(id, reply);
  state.userSelected = true; // as one created here: a vote announced next does not take its place
  select(id);
  state.finder.known.add(id);
}

// -- votes -----------------------------------------------------------------------------------------
function addVote(id, reply) {
  if (state.votes.has(id)) return;
  const v = {
    id,
    def: reply.definition,
    status: reply.status,
    eligible: null,
    turnout: null,
    closesAt: null,
    hardCloseAt: null,
    results: reply.results || null,
    counted: reply.counted ?? null,
    headHash: reply.head_hash || null,
    report: null, // the last vote.turnout reply
    reportAt: 0,
    busy: false,
    confirm: null, // "close" | "publish"
    error: null,
  };
  state.votes.set(id, v);
  v.sub = followVote(state.conn, id, {
    onSnapshot: (s) => {
      applySnapshot(v, s);
      changed(v);
    },
    onEvents: (events) => {
      for (const e of events) applyEvent(v, e);
      if (events.some((e) => e.event === "vote.published") && !v.results) fetchResults(v);
      if (events.some((e) => e.event === "vote.closed")) pollTurnout(v);
      changed(v);
    },
  });
  renderList();
  // The newest vote is shown unless the host picked one.
  if (!state.userSelected && (!state.selected || id.localeCompare(state.selected, "en", { numeric: true }) > 0)) select(id);
}

async function fetchResults(v) {
  try {
    const r = await state.conn.request("vote.get", { vote: v.id });
    v.results = r.results || v.results;
    v.counted = r.counted ?? v.counted;
    v.headHash = r.head_hash || v.headHash;
    changed(v);
  } catch {
    /* shown on the next change */
  }
}

function changed(v) {
  renderList();
  if (state.selected === v.id) renderDetail();
}

function renderList() {
  const list = $("vote-list");
  const votes = [...state.votes.values()].sort((a, b) => b.id.localeCompare(a.id, "en", { numeric: true }));
  $("votes-none").hidden = votes.length > 0;
  const focused = document.activeElement && document.activeElement.dataset ? document.activeElement.dataset.vote : null;
  setChildren(
    list,
    ...votes.map((v) => {
      const li = el("li", "");
      const b = el("button", "vote-item");
      b.type = "button";
      b.dataset.vote = v.id;
      b.setAttribute("aria-pressed", state.selected === v.id ? "true" : "false");
      const phase = phaseOf(v);
      const badge = el("span", "phase-badge", t(`vote.status.${phase}`));
      badge.dataset.phase = phase;
      b.append(el("span", "vote-item-title", v.def.title), el("span", "vote-item-id", v.id), badge);
      li.append(b);
      return li;
    }),
  );
  if (focused) list.querySelector(`button[data-vote="${CSS.escape(focused)}"]`)?.focus();
}

function select(id) {
  state.selected = id;
  renderList();
  buildDetail();
  const v = state.votes.get(id);
  if (v && phaseOf(v) !== "draft") pollTurnout(v);
}

// -- the selected vote -----------------------------------------------------------------------------
function button(className, key) {
  const b = el("button", className, t(key));
  b.type = "button";
  return b;
}

/** The skeleton of the selected vote's panel: built on selection and language change only. */
function buildDetail() {
  const v = state.votes.get(state.selected);
  const root = $("vote-detail");
  if (!v) {
    setChildren(root);
    state.detail = null;
    return;
  }
  const d = {};
  d.title = el("h3", "detail-title", v.def.title);
  d.meta = el("p", "detail-meta");
  d.badge = el("span", "phase-badge");
  d.clock = el("p", "detail-clock");

  d.actions = el("div", "actions");
  d.open = button("cast", "host.open");
  d.open.dataset.act = "open";
  d.close = button("cast warn", "host.close");
  d.close.dataset.act = "close";
  d.publish = button("cast", "host.publish");
  d.publish.dataset.act = "publish";
  d.actions.append(d.open, d.close, d.publish);

  d.confirm = el("div", "confirm");
  d.confirm.setAttribute("role", "group");
  d.confirmText = el("p", "confirm-text");
  d.confirmText.id = "confirm-text";
  d.confirm.setAttribute("aria-labelledby", "confirm-text");
  d.yes = button("cast warn", "host.confirm.yes.close");
  d.yes.dataset.act = "yes";
  d.no = button("secondary", "host.confirm.no");
  d.no.dataset.act = "no";
  const row = el("div", "actions");
  row.append(d.yes, d.no);
  d.confirm.append(d.confirmText, row);

  d.error = el("p", "error");
  d.error.setAttribute("role", "alert");

  d.turnout = el("section", "turnout");
  d.turnout.setAttribute("aria-labelledby", "turnout-heading");
  const th = el("h4", "detail-sub", t("host.turnout.heading"));
  th.id = "turnout-heading";
  d.big = el("p", "turnout-big");
  d.bar = el("div", "bar");
  d.bar.setAttribute("aria-hidden", "true");
  d.barFill = el("span", "bar-fill");
  d.bar.append(d.barFill);
  d.present = el("p", "turnout-present");
  const q = el("div", "quorum");
  const ql = el("label", "field-label", t("host.quorum.label"));
  ql.htmlFor = "f-quorum";
  d.quorumInput = el("input", "input narrow");
  d.quorumInput.id = "f-quorum";
  d.quorumInput.type = "number";
  d.quorumInput.min = "0";
  d.quorumInput.max = "100";
  d.quorumInput.inputMode = "numeric";
  d.quorumInput.value = quorumPercent();
  d.quorumInput.addEventListener("input", () => {
    try {
      localStorage.setItem(QUORUM_KEY, d.quorumInput.value);
    } catch {
      /* ignore */
    }
    renderDetail();
  });
  d.quorum = el("p", "quorum-status");
  d.quorum.setAttribute("aria-live", "polite");
  q.append(ql, d.quorumInput, d.quorum);
  d.updated = el("p", "hint-text");
  d.strata = el("div", "strata");
  d.turnout.append(th, d.big, d.bar, d.present, q, d.updated, d.strata);

  d.results = el("section", "detail-results");
  d.resultsHeading = el("h4", "detail-sub", t("host.results.heading"));
  d.resultsMeta = el("p", "");
  d.resultsList = el("div", "");
  d.results.append(d.resultsHeading, d.resultsMeta, d.resultsList);

  const links = el("p", "links");
  d.resultsLink = el("a", "button-link", t("host.link.results"));
  d.resultsLink.href = resultsHref(v.id);
  d.resultsLink.target = "_blank";
  d.resultsLink.rel = "noopener";
  d.ballotLink = el("a", "button-link secondary-link", t("host.link.ballot"));
  d.ballotLink.href = `/static/ballot.html?vote=${encodeURIComponent(v.id)}`;
  d.ballotLink.target = "_blank";
  d.ballotLink.rel = "noopener";
  links.append(d.resultsLink, d.ballotLink);

  d.proposals = el("ol", "detail-proposals");
  for (const p of v.def.proposals) d.proposals.append(el("li", "", p.title));

  d.root = el("article", "detail");
  d.root.dataset.vote = v.id;
  d.root.setAttribute("aria-labelledby", "detail-title");
  d.title.id = "detail-title";
  const ph = el("h4", "detail-sub", t("host.vote.proposals", { n: v.def.proposals.length }));
  d.root.append(d.title, d.meta, d.badge, d.clock, d.actions, d.confirm, d.error, d.results, d.turnout, ph, d.proposals, links);
  d.root.addEventListener("click", (e) => {
    const b = e.target.closest("button[data-act]");
    if (b) act(v, b.dataset.act);
  });
  const hadFocus = root.contains(document.activeElement) ? document.activeElement.dataset.act : null;
  setChildren(root, d.root);
  state.detail = d;
  renderDetail();
  if (hadFocus) d.root.querySelector(`button[data-act="${hadFocus}"]`)?.focus();
}

function quorumPercent() {
  try {
    return localStorage.getItem(QUORUM_KEY) || "50";
  } catch {
    return "50";
  }
}

function renderDetail() {
  const v = state.votes.get(state.selected);
  const d = state.detail;
  if (!v || !d) return;
  const phase = phaseOf(v);
  const rule = v.def.rule.kind === "top_k" ? t("host.rule.top_k.n", { k: v.def.rule.k }) : t("host.rule.rank_all");
  d.meta.textContent = [
    t("host.vote.id", { id: v.id }),
    t("host.vote.proposals", { n: v.def.proposals.length }),
    rule,
    methodName(v.def.method),
  ].join(" · ");
  d.badge.textContent = t(`vote.status.${phase}`);
  d.badge.dataset.phase = phase;
  d.root.dataset.phase = phase;

  const now = clock.now();
  let clockText = "";
  if (phase === "closing" && v.hardCloseAt && now < v.hardCloseAt) {
    clockText = t("host.grace.left", { time: fmtDuration(v.hardCloseAt - now) });
  } else if (phase === "open" && v.closesAt) {
    clockText = t("vote.countdown", { time: fmtDuration(v.closesAt - now), at: fmtTime(v.closesAt) });
  }
  d.clock.textContent = clockText;
  d.clock.hidden = !clockText;

  d.open.hidden = v.status !== "draft";
  d.close.hidden = phase !== "open";
  d.publish.hidden = v.status !== "closed";
  for (const b of [d.open, d.close, d.publish]) {
    b.disabled = v.busy || !!v.confirm;
    b.textContent = v.busy && !b.hidden ? t("host.busy") : t(`host.${b.dataset.act}`);
  }
  d.confirm.hidden = !v.confirm;
  if (v.confirm) {
    d.confirmText.textContent =
      v.confirm === "close"
        ? t("host.confirm.close", { grace: v.def.grace_seconds })
        : t("host.confirm.publish");
    d.yes.textContent = t(v.confirm === "close" ? "host.confirm.yes.close" : "host.confirm.yes.publish");
    d.yes.disabled = v.busy;
  }
  d.error.hidden = !v.error;
  d.error.textContent = v.error || "";

  // turnout
  d.turnout.hidden = phase === "draft";
  const r = v.report;
  const eligible = r ? r.eligible : v.eligible || 0;
  const voted = r ? r.voted : v.turnout || 0;
  d.big.textContent = t("host.turnout.main", {
    voted: fmtNumber(voted),
    eligible: fmtNumber(eligible),
    pct: fmtPercent(voted, eligible),
  });
  d.barFill.style.width = `${eligible ? Math.min(100, (100 * voted) / eligible) : 0}%`; // CSSOM, allowed by the CSP
  d.present.hidden = !r;
  if (r) d.present.textContent = t("host.turnout.present", { present: fmtNumber(r.present), pct: fmtPercent(r.present, eligible) });
  const pct = Math.max(0, Math.min(100, Number(d.quorumInput.value) || 0));
  const need = Math.ceil((eligible * pct) / 100);
  d.quorum.textContent =
    voted >= need
      ? t("host.quorum.met", { need: fmtNumber(need) })
      : t("host.quorum.short", { more: fmtNumber(need - voted), need: fmtNumber(need) });
  d.quorum.dataset.met = voted >= need ? "yes" : "no";
  d.updated.hidden = !r;
  if (r) d.updated.textContent = t("host.turnout.updated", { time: fmtClock(v.reportAt) });
  if (r) renderStrata(d.strata, r);

  // results
  d.results.hidden = phase !== "published" || !v.results;
  if (phase === "published" && v.results) {
    d.resultsMeta.textContent = t("host.results.counted", {
      n: fmtNumber(v.counted ?? v.results.n_voters ?? 0),
      method: methodName(v.def.method),
    });
    const titles = new Map(v.def.proposals.map((p) => [p.id, p.title]));
    setChildren(d.resultsList, orderList(officialOrder(v.results, v.def.method), (id) => titles.get(id) || id));
  }
}

function renderStrata(root, report) {
  const tables = [];
  for (const feature of STRATA) {
    const rows = report.strata && report.strata[feature];
    if (!rows) continue;
    const table = el("table", "strata-table");
    table.append(el("caption", "", t(`host.strata.${feature}`)));
    const head = el("tr", "");
    for (const key of ["value", "eligible", "voted", "present", "rate"]) {
      const th = el("th", key === "value" ? "" : "num", t(`host.col.${key}`));
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
      const rate = el("td", "num rate");
      const bar = el("span", "mini-bar");
      bar.setAttribute("aria-hidden", "true");
      const fill = el("span", "mini-fill");
      fill.style.width = `${row.eligible ? Math.min(100, (100 * row.voted) / row.eligible) : 0}%`;
      bar.append(fill);
      rate.append(el("span", "", fmtPercent(row.voted, row.eligible)), bar);
      tr.append(
        name,
        el("td", "num", fmtNumber(row.eligible)),
        el("td", "num", fmtNumber(row.voted)),
        el("td", "num", fmtNumber(row.present)),
        rate,
      );
      tbody.append(tr);
    }
    table.append(thead, tbody);
    // On a phone the table scrolls sideways inside its box: a keyboard must reach it (axe
    // scrollable-region-focusable), and a screen reader hears which table it is.
    const wrap = el("div", "table-wrap");
    wrap.tabIndex = 0; // it scrolls sideways on a phone at large text: reachable by keyboard (KWCAG 2.1.1)
    wrap.setAttribute("role", "region");
    wrap.setAttribute("aria-label", t(`host.strata.${feature}`));
    wrap.append(table);
    tables.push(wrap);
  }
  setChildren(root, ...tables);
}

async function pollTurnout(v) {
  if (!state.conn.live || v.polling) return;
  v.polling = true;
  try {
    v.report = await state.conn.request("vote.turnout", { vote: v.id });
    v.reportAt = clock.now();
  } catch {
    /* the next poll asks again */
  } finally {
    v.polling = false;
  }
  if (state.selected === v.id) renderDetail();
}

async function act(v, what) {
  if (v.busy) return;
  if (what === "no") {
    const was = v.confirm;
    v.confirm = null;
    renderDetail();
    state.detail[was === "publish" ? "publish" : "close"].focus();
    return;
  }
  state.createMsg = null; // "press open when ready" is done with
  renderCreateMessages();
  if (what === "close" || what === "publish") {
    v.confirm = what; // irreversible: asked once more, in words
    v.error = null;
    renderDetail();
    state.detail.no.focus();
    return;
  }
  const command = what === "open" ? "vote.open" : v.confirm === "close" ? "vote.close" : "vote.publish";
  v.busy = true;
  v.error = null;
  renderDetail();
  try {
    const r = await state.conn.request(command, { vote: v.id });
    if (command === "vote.open") {
      v.status = "open";
      v.eligible = r.eligible;
    } else if (command === "vote.publish") {
      v.status = "published";
      v.results = r.results;
    }
  } catch (err) {
    v.error = t("host.err", { name: err.name, message: err.message });
  } finally {
    v.busy = false;
    v.confirm = null;
  }
  renderList();
  renderDetail();
  pollTurnout(v);
  const next = [state.detail.open, state.detail.close, state.detail.publish].find((b) => !b.hidden);
  (next || state.detail.title).focus?.();
}

// -- start -----------------------------------------------------------------------------------------
function main() {
  renderRuleFields();
  state.conn = connectPage(shell, {
    onWelcome,
    onFatal: () => {
      $("create").hidden = true;
      $("votes").hidden = true;
      for (const id of ["survey", "media", "learning", "quorum", "response", "ballot", "voice"]) $(id).hidden = true;
    },
  });
  if (!state.conn) return;
  state.finder = new VoteFinder(state.conn, { onFound: addVote, onScanned: suggestId, suggest: true });
  state.finder.addIds(votesFromAddress());
  // Issue 13: surveys, the slide and the materials of the meeting chosen in the form.
  const feed = new AgendaFeed(state.conn);
  state.tools = [feed, new SurveyEditor(state.conn, $("survey")), new HostMedia(state.conn, feed, $("media"))];
  state.tools.push(new LearningPanel(state.conn, $("learning"))); // issue 14: who opened the materials
  state.tools.push(new QuorumPanel(state.conn, $("quorum"))); // issue 14: the live quorum
  state.tools.push(new VoiceConsole(state.conn, $("voice"))); // issue 16: hear the live speaker
  state.hall = new HallVoteOption(state.conn, $("hall-only")); // issue 14: the hall-only vote
  state.tools.push(state.hall);
  state.tools.push(new ResponseForm(state.conn, $("response"))); // issue 14: the city's response
  state.tools.push(new BallotForm(state.conn, $("ballot"), { onMade: showMade })); // issue 14: the plenary ballot
  $("create-form").addEventListener("submit", create);
  $("f-id").addEventListener("input", () => {
    state.idTouched = $("f-id").value.trim() !== state.suggested;
  });
  $("f-meeting").addEventListener("change", () => {
    state.idTouched = false;
    state.finder.setMeeting($("f-meeting").value);
    for (const tool of state.tools) tool.setMeeting($("f-meeting").value); // issue 13's tools follow the form's meeting
  });
  for (const r of document.querySelectorAll('input[name="rule"]')) r.addEventListener("change", renderRuleFields);
  $("vote-list").addEventListener("click", (e) => {
    const b = e.target.closest("button[data-vote]");
    if (!b) return;
    state.userSelected = true;
    select(b.dataset.vote);
  });
  // Turnout every 2 s while the selected vote takes ballots; the clock of the grace period each second.
  setInterval(() => {
    const v = state.votes.get(state.selected);
    if (v && (phaseOf(v) === "open" || phaseOf(v) === "closing")) pollTurnout(v);
  }, POLL_MS);
  setInterval(() => {
    const v = state.votes.get(state.selected);
    if (v && (v.closesAt || v.hardCloseAt)) renderDetail();
  }, 1_000);
  state.conn.start();
}

main();
