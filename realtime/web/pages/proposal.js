// A proposal's path (`/record/<meeting>/proposals/<id>#t=<token>`, issue 14): from its submission
// through edits, merges, the meeting's shortlist and the plenary ballot to the city's response, as
// a timeline in plain words; beside it the city's answer now, and the comments.
//
// The data is `GET /api/meetings/<m>/proposals/<id>` with the token in the Authorization header
// (never in a URL: the link carries it in the fragment, lib/boot.js keeps it for this tab); the
// downloads are the same path as JSON and CSV. Everything people wrote goes on the page through
// textContent (el()), never as HTML.

import { apiGet } from "../lib/api-get.js";
import { connectPage } from "../lib/boot.js";
import { lang, t } from "../lib/i18n.js";
import { TIME_ZONE, el, setChildren } from "../lib/meeting-common.js";
import { initShell } from "../lib/shell.js";
import { saveBlob } from "../panels/agenda-feed.js";

const ID_RE = /^[A-Za-z0-9_.:-]{1,64}$/;
const $ = (id) => document.getElementById(id);

const state = { conn: null, meeting: null, id: null, data: null, status: { key: "path.loading" }, loading: false };

function fromAddress() {
  const m = /^\/record\/([^/]+)\/proposals\/(\d{1,15})$/.exec(window.location.pathname);
  if (!m) return null;
  const meeting = decodeURIComponent(m[1]);
  return ID_RE.test(meeting) ? { meeting, id: Number(m[2]) } : null;
}

function fmtWhen(ms) {
  if (!ms) return "";
  const opts = { month: "long", day: "numeric", hour: "numeric", minute: "2-digit", timeZone: TIME_ZONE };
  return new Intl.DateTimeFormat(lang(), opts).format(ms);
}

function fetchPath(ext) {
  const base = `/api/meetings/${encodeURIComponent(state.meeting)}/proposals/${state.id}`;
  return apiGet(ext === "csv" ? `${base}.csv` : base, state.conn.token);
}

function errKey(err) {
  if (err.name === "forbidden") return "path.err.forbidden";
  if (err.name === "not_a_member") return "path.err.member";
  if (err.name === "no_such_proposal" || err.name === "unknown_meeting") return "path.err.missing";
  if (err.name === "rate_limited") return "record.err.rate";
  return "path.err.load";
}

async function load() {
  if (state.loading) return;
  state.loading = true;
  state.status = { key: "path.loading" };
  render();
  try {
    state.data = await (await fetchPath("json")).json();
    state.status = null;
  } catch (err) {
    state.data = null;
    state.status = { key: errKey(err) };
  } finally {
    state.loading = false;
  }
  render();
}

async function download(ext) {
  const box = $("path-dl-error");
  box.hidden = true;
  try {
    const blob = ext === "csv" ? await (await fetchPath("csv")).blob() : new Blob([JSON.stringify(state.data, null, 2)], { type: "application/json" });
    saveBlob(blob, `proposal-${state.meeting}-${state.id}.${ext}`);
  } catch (err) {
    box.textContent = t(errKey(err));
    box.hidden = false;
  }
}

// -- rendering -----------------------------------------------------------------------------------
function meta(text) {
  return text ? el("span", "record-meta", text) : null;
}

function proposalLink(ref, key) {
  const a = el("a", "record-link", t(key, { n: ref.id, title: ref.title }));
  a.href = `/record/${encodeURIComponent(state.meeting)}/proposals/${ref.id}`;
  return a;
}

/** One step of the timeline: what happened in plain words, then when and who. */
function stepItem(s) {
  const li = el("li", `path-step ${s.step}`);
  const who = s.by ? s.by.name : "";
  const when = meta([fmtWhen(s.at), s.step === "responded" && who ? t("path.by", { name: who }) : ""].filter(Boolean).join(" · "));
  if (s.step === "merged_from" || s.step === "merged_into") {
    li.append(...[proposalLink(s.proposal, `path.step.${s.step}`), when].filter(Boolean));
    return li;
  }
  if (s.step === "responded") {
    li.append(el("p", "record-desc", t("path.response")));
    li.append(answer(s));
    if (!s.current) li.append(el("span", "record-meta path-earlier", t("path.earlier")));
    if (when) li.append(when);
    return li;
  }
  const vars = { name: who, v: s.version, names: (s.consents || []).join(", "), reason: s.reason, rank: s.rank };
  li.append(el("p", "record-desc", t(`path.step.${s.step}`, vars)));
  if (s.note) li.append(el("p", "record-desc", t("path.note", { note: s.note })));
  if (s.step === "shortlisted" || s.step === "decided") {
    const a = el("a", "record-link", t("record.vote.page")); // the vote's public results page
    a.href = `/results/${encodeURIComponent(s.vote)}`;
    li.append(a);
  }
  if (when) li.append(when); // a step the record holds no time for (a vote's) has none
  return li;
}

/** The city's answer in words (never colour alone), the department and the text. */
function answer(r) {
  const box = el("div", "path-response-body");
  box.append(el("p", `path-answer ${r.status}`, t(`resp.status.${r.status}`)));
  box.append(el("p", "record-desc", t("path.dept", { dept: r.department })));
  if (r.text) box.append(el("p", "record-text", r.text));
  return box;
}

function render() {
  $("path-status").textContent = state.status ? t(state.status.key) : "";
  $("path-status").hidden = !state.status;
  const d = state.data;
  $("path-main").hidden = !d;
  if (!d) return;
  const p = d.proposal;
  $("path-title").textContent = `${p.id}. ${p.title}`;
  $("path-meta").textContent = t("path.meta", {
    section: t(`prop.section.${p.section}`),
    state: t(`prop.state.${p.state}`),
    n: p.supports,
    c: p.comments,
  });
  $("path-authors").textContent = t("prop.authors", { names: p.authors.map((a) => a.name).join(", ") });
  $("path-problem-h").textContent = t("prop.field.problem");
  $("path-problem").textContent = p.problem;
  $("path-action-h").textContent = t("prop.field.action");
  $("path-action").textContent = p.action;
  $("path-back").textContent = t("path.back");
  $("path-back").href = `/record/${encodeURIComponent(state.meeting)}`;

  $("path-response-h").textContent = t("path.response");
  setChildren($("path-response").querySelector(".record-list"), p.response ? answer(p.response) : el("p", "hint-text record-none", t("path.response.none")));

  $("path-timeline-h").textContent = t("path.timeline");
  const steps = el("ol", "path-steps");
  steps.append(...d.timeline.map(stepItem));
  setChildren($("path-timeline").querySelector(".record-list"), steps);

  $("path-comments-h").textContent = `${t("path.comments")} (${t("record.count", { n: d.comments.length })})`;
  const comments = d.comments.length ? el("ol", "record-items") : el("p", "hint-text record-none", t("record.none"));
  for (const c of d.comments) {
    const li = el("li", "record-item");
    li.append(meta(`${fmtWhen(c.at)} · ${c.by.name}`), el("span", "record-text", c.text));
    comments.append(li);
  }
  setChildren($("path-comments").querySelector(".record-list"), comments);

  $("path-dl-h").textContent = t("path.download");
  $("path-dl-csv").textContent = t("record.download.csv");
  $("path-dl-json").textContent = t("record.download.json");
}

// -- start ---------------------------------------------------------------------------------------
const shell = initShell({ pageKey: "page.proposal", onRerender: render });

function main() {
  const where = fromAddress();
  state.conn = connectPage(shell, {
    onWelcome: () => {
      if (!state.data) load();
    },
    onFatal: () => {
      $("path-main").hidden = true;
      $("path-status").hidden = true;
    },
  });
  if (!state.conn) {
    $("path-status").hidden = true;
    return;
  }
  if (!where) {
    state.status = { key: "path.err.missing" };
    render();
    return;
  }
  Object.assign(state, where);
  $("path-dl-csv").addEventListener("click", () => download("csv"));
  $("path-dl-json").addEventListener("click", () => download("json"));
  render();
  state.conn.start();
}

main();
