// The public results page: `/results/<id>` (or `/static/results.html?vote=<id>`), no
// token. Reads `/api/votes/<id>/results`; until the vote is published it says so and asks again
// every 10 s. Shows the official order (ties shown as ties), the head hash that seals the bulletin
// board, links to the exports, and a receipt lookup (`POST /api/votes/<id>/receipt`, the code in
// the body: never in a URL the server sees, so no access log ties an IP to a ranking; a link from
// the ballot page carries it in the fragment, `#code=`, which browsers never send).

import { t } from "../lib/i18n.js";
import { el, fmtNumber, methodName, officialOrder, orderList, resolvedOrder, setChildren, setCode } from "../lib/vote-common.js";
import { initShell } from "../lib/shell.js";
import { ResultsCharts } from "../panels/results-charts.js";
import { CityResponses } from "../panels/city-responses.js"; // issue 14: the city's responses

const ID_RE = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;
const RETRY_MS = 10_000;
const EXPORTS = [
  ["export.json", "results.export.json"],
  ["board.csv", "results.export.csv"],
  ["ballots.soi", "results.export.soi"],
  ["ballots.toi", "results.export.toi"],
];
const $ = (id) => document.getElementById(id);

const state = {
  vote: null,
  data: null, // the results answer
  status: null, // {key, vars}
  answer: null, // {kind: "found"|"notfound"|"bad"|"error", entry?, code?}
  checking: false,
};

function voteFromAddress() {
  const fromQuery = new URLSearchParams(window.location.search).get("vote");
  const fromPath = /^\/results\/([^/]+)$/.exec(window.location.pathname);
  const id = fromQuery || (fromPath ? decodeURIComponent(fromPath[1]) : "");
  return ID_RE.test(id) ? id : null;
}

const charts = new ResultsCharts({ methods: $("methods"), pairwise: $("pairwise"), turnout: $("turnout") });
const shell = initShell({
  pageKey: "page.results",
  onRerender: render,
  aroundResize: (resize) => {
    resize();
    charts.render(); // the bar charts lay their rows out in the text size
  },
});

function render() {
  $("status").textContent = state.status ? t(state.status.key, state.status.vars) : "";
  $("status").hidden = !state.status;
  $("receipt-submit").textContent = t(state.checking ? "results.receipt.checking" : "results.receipt.check");
  const d = state.data;
  $("result").hidden = !d;
  $("seal").hidden = !d;
  $("receipt").hidden = !d;
  if (!d) return;
  const titles = new Map(d.proposals.map((p) => [p.id, p.title]));
  const titleOf = (id) => titles.get(id) || id;
  $("result-title").textContent = d.title;
  $("result-meta").textContent = t("results.meta", { method: methodName(d.method), n: fmtNumber(d.counted) });
  $("result-how").textContent = `${t("results.how")}: ${t(`method.${d.method}.how`)}`; // plain words, not a name
  const order = officialOrder(d.results, d.method);
  setChildren($("result-order"), orderList(order, titleOf));
  const tied = order.some((tier) => tier.tied);
  $("result-tiebreak").hidden = !tied;
  if (tied) {
    const resolved = resolvedOrder(d.results, d.method).map((id, i) => `${i + 1}. ${titleOf(id)}`);
    $("result-tiebreak").textContent = t("results.tiebreak", { order: resolved.join(", ") });
  }
  $("head-hash").textContent = d.head_hash;
  setChildren(
    $("exports"),
    ...EXPORTS.map(([file, key]) => {
      const li = el("li", "");
      const a = el("a", "", t(key));
      a.href = `/api/votes/${encodeURIComponent(state.vote)}/${file}`;
      a.setAttribute("download", `${state.vote}-${file}`);
      li.append(a);
      return li;
    }),
  );
  renderAnswer(titleOf);
  charts.render();
  state.responses?.render(); // issue 14
}

function renderAnswer(titleOf) {
  const box = $("receipt-answer");
  const a = state.answer;
  if (!a) {
    setChildren(box);
    box.dataset.kind = "";
    return;
  }
  box.dataset.kind = a.kind;
  if (a.kind === "found") {
    const e = a.entry;
    const ol = el("ol", "receipt-sent");
    for (const id of e.ranking) ol.append(el("li", "", titleOf(id)));
    const hash = el("p", "hash small", e.hash);
    const code = el("p", "code");
    setCode(code, e.tracking_code);
    setChildren(
      box,
      el("p", "answer-title", `✓ ${t("results.receipt.found", { seq: fmtNumber(e.seq + 1) })}`),
      code,
      el("p", "field-label", t("results.receipt.ranking")),
      ol,
      el("p", "field-label", t("results.receipt.hash")),
      hash,
    );
  } else {
    const key = a.kind === "bad" ? "results.receipt.bad" : a.kind === "error" ? "results.failed" : "results.receipt.notfound";
    setChildren(box, el("p", "answer-title", t(key)));
  }
}

async function load() {
  let resp;
  try {
    resp = await fetch(`/api/votes/${encodeURIComponent(state.vote)}/results`, { cache: "no-store" });
  } catch {
    state.status = { key: "results.failed", vars: {} };
    render();
    setTimeout(load, RETRY_MS);
    return;
  }
  let body = null;
  try {
    body = await resp.json();
  } catch {
    /* not JSON: treated as a failure below */
  }
  if (resp.ok && body) {
    state.data = body;
    state.status = null;
    charts.data = body;
    render();
    loadTurnout();
    state.responses = state.responses || new CityResponses($("city-responses"), $("result-order"), state.vote); // issue 14
    state.responses.load();
    const code = new URLSearchParams(window.location.hash.slice(1)).get("code");
    if (code && !state.answer) {
      $("receipt-code").value = code;
      lookup();
    }
    return;
  }
  const name = body && body.name;
  if (name === "unknown_vote") {
    state.status = { key: "results.unknown", vars: { vote: state.vote } };
  } else {
    // not published yet (or the hub is busy): say so, and ask again
    state.status = { key: name === "vote_not_published" ? "results.notyet" : "results.failed", vars: { vote: state.vote } };
    setTimeout(load, RETRY_MS);
  }
  render();
}

/** The turnout by group against the panel, for its chart; the chart stays hidden when it fails. */
async function loadTurnout() {
  try {
    const resp = await fetch(`/api/votes/${encodeURIComponent(state.vote)}/turnout`, { cache: "no-store" });
    if (resp.ok) charts.setTurnout(await resp.json());
  } catch {
    /* the chart is left out; the results stand without it */
  }
}

/** A code as people type it: any case, spaces or hyphens; the hub reads O as 0 and I/L as 1. */
function plausible(code) {
  const compact = code.replace(/[\s-]/g, "");
  return /^[0-9A-Za-z]{16}$/.test(compact);
}

async function lookup(e) {
  if (e) e.preventDefault();
  if (state.checking || !state.data) return;
  const code = $("receipt-code").value.trim();
  if (!plausible(code)) {
    state.answer = { kind: "bad" };
    render();
    return;
  }
  state.checking = true;
  render();
  try {
    const resp = await fetch(`/api/votes/${encodeURIComponent(state.vote)}/receipt`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ code }),
      cache: "no-store",
    });
    const body = await resp.json();
    state.answer = !resp.ok ? { kind: "error" } : body.found ? { kind: "found", entry: body.entry } : { kind: "notfound" };
  } catch {
    state.answer = { kind: "error" };
  } finally {
    state.checking = false;
  }
  render();
}

function main() {
  state.vote = voteFromAddress();
  if (!state.vote) {
    shell.notice("results.novote.title", "results.novote.body");
    return;
  }
  state.status = { key: "results.loading", vars: {} };
  render();
  $("receipt-form").addEventListener("submit", lookup);
  load();
}

main();
