// The public results page's charts (results.html): what a citizen needs to see how the order was
// made and who took part.
//
// - Every counting method side by side: a table, one column per method (the official one first),
//   rows the places. Each proposal keeps its letter and its colour in every column; pressing it
//   highlights it in all columns and says its place under each method in words.
// - The pairwise table as a heat map: how many voters put the row's proposal before the column's,
//   the number always written, and a win, a loss or a tie shown by a sign and a word as well as by
//   the shade.
// - Turnout by group against the panel: for each gender, age band and district, the group's share
//   of the panel and its share of those who voted, as two bars with the numbers written beside
//   them, and the same numbers as a table.
//
// Everything is built with DOM APIs and goes in through textContent (titles are people's text).

import { pairedBars } from "../lib/charts.js";
import { lang, t } from "../lib/i18n.js";
import { el, fmtNumber, methodName, officialOrder, resolvedOrder, setChildren, stratumName } from "../lib/vote-common.js";

const LETTERS = { ko: "가나다라마바사아자차카타파하", en: "ABCDEFGHIJKLMNOPQRSTUVWXYZ" };
const COLOURS = 12; // app.css: .pc-0 ... .pc-11
const STRATA = ["gender", "age_band", "district"];

/** A proposal's short mark by its place in the official order: 가, 나, ... (A, B, ... in English). */
function letter(i) {
  const set = LETTERS[lang()] || LETTERS.en;
  const base = set[i % set.length];
  return i < set.length ? base : `${base}${Math.floor(i / set.length) + 1}`;
}

/** ``part / whole``, 0 for an empty whole (as the hub's ``ballot.composition.share``, unrounded). */
function ratio(part, whole) {
  return whole > 0 ? part / whole : 0;
}

function percent(share) {
  return new Intl.NumberFormat(lang(), { style: "percent", maximumFractionDigits: 1 }).format(share);
}

/** The methods shown: the official one first, then those the host chose to show beside it. */
export function shownMethods(d) {
  const extra = (d.shown_methods || []).filter((m) => m !== d.method && d.results[m]);
  return [d.method, ...extra];
}

export class ResultsCharts {
  /** `nodes`: {methods, pairwise, turnout} sections (each with a `.chart-body` inside). The page
   * sets `data` (the results answer) and calls `render` with its own render. */
  constructor(nodes) {
    this.nodes = nodes;
    this.data = null;
    this.turnout = null;
    this.picked = null; // a proposal id highlighted across the methods' columns
    this.drawn = null; // [language, text size, results, turnout] as last drawn
  }

  setTurnout(c) {
    this.turnout = c;
    this.render();
  }

  /** Draw what changed since the last call: the page calls this on each of its own renders (a receipt
   * lookup too), and a redraw would close an opened table of numbers and drop the focus. */
  render() {
    const d = this.data;
    const now = [lang(), document.documentElement.dataset.size, d, this.turnout];
    if (this.drawn && now.every((v, i) => v === this.drawn[i])) return;
    this.drawn = now;
    this.nodes.methods.hidden = !d;
    this.nodes.pairwise.hidden = !d || !Array.isArray(d.results.pairwise);
    this.nodes.turnout.hidden = !d || !this.turnout;
    if (!d) return;
    const titles = new Map(d.proposals.map((p) => [p.id, p.title]));
    const official = resolvedOrder(d.results, d.method);
    const ids = official.length ? official : d.results.proposals || [];
    const mark = new Map(ids.map((id, i) => [id, i]));
    this.ctx = { d, titleOf: (id) => titles.get(id) || id, mark, ids };
    this.renderMethods();
    if (!this.nodes.pairwise.hidden) this.renderPairwise();
    if (!this.nodes.turnout.hidden) this.renderTurnout();
  }

  // -- every method's order ------------------------------------------------------------------------
  chip(id, place, tied) {
    const { titleOf, mark } = this.ctx;
    const i = mark.get(id) ?? 0;
    const b = el("button", `prop-chip pc-${i % COLOURS}`);
    b.type = "button";
    b.dataset.id = id;
    b.setAttribute("aria-pressed", String(this.picked === id));
    b.append(el("span", "prop-mark", letter(i)), el("span", "prop-title", titleOf(id)));
    if (tied) b.append(el("span", "prop-tie", t("charts.tied", { n: place })));
    b.addEventListener("click", () => {
      this.picked = this.picked === id ? null : id;
      this.renderMethods();
      const again = this.nodes.methods.querySelector(`button.prop-chip[data-id="${CSS.escape(id)}"][data-col="${b.dataset.col}"]`);
      again?.focus();
    });
    return b;
  }

  renderMethods() {
    const { d, titleOf } = this.ctx;
    const methods = shownMethods(d);
    const orders = methods.map((m) => {
      const flat = [];
      for (const tier of officialOrder(d.results, m)) for (const id of tier.ids) flat.push({ id, place: tier.place, tied: tier.tied });
      return flat;
    });
    const rows = Math.max(0, ...orders.map((o) => o.length));
    const table = el("table", "methods-table");
    table.style.setProperty("--cols", String(methods.length)); // CSSOM, which CSP allows: its minimum width
    table.append(el("caption", "", t("charts.methods.caption")));
    const head = el("tr", "");
    const corner = el("th", "place-col", t("charts.methods.place"));
    corner.scope = "col";
    head.append(corner);
    methods.forEach((m, j) => {
      const th = el("th", j === 0 ? "official" : "", methodName(m));
      th.scope = "col";
      th.dataset.method = m;
      if (j === 0) th.append(el("span", "official-tag", t("charts.methods.official")));
      head.append(th);
    });
    const thead = el("thead", "");
    thead.append(head);
    const tbody = el("tbody", "");
    for (let r = 0; r < rows; r++) {
      const tr = el("tr", "");
      const th = el("th", "place-col", t("place", { n: r + 1 }));
      th.scope = "row";
      tr.append(th);
      orders.forEach((o, j) => {
        const cell = o[r];
        const td = el("td", "");
        td.dataset.method = methods[j];
        td.dataset.row = String(r + 1);
        if (cell) {
          td.dataset.id = cell.id;
          td.dataset.place = String(cell.place);
          const b = this.chip(cell.id, cell.place, cell.tied);
          b.dataset.col = methods[j];
          if (this.picked === cell.id) td.classList.add("picked");
          td.append(b);
        }
        tr.append(td);
      });
      tbody.append(tr);
    }
    table.append(thead, tbody);
    const wrap = el("div", "table-wrap chart-scroll");
    wrap.tabIndex = 0;
    wrap.setAttribute("role", "group");
    wrap.setAttribute("aria-label", t("charts.methods.caption"));
    wrap.append(table);

    const said = el("p", "picked-line");
    said.setAttribute("role", "status");
    if (this.picked) {
      const places = methods.map((m, j) => {
        const at = orders[j].find((c) => c.id === this.picked);
        return `${methodName(m)} ${at ? t(at.tied ? "place.tie" : "place", { n: at.place }) : "–"}`;
      });
      said.textContent = t("charts.methods.picked", { title: titleOf(this.picked), places: places.join(" · ") });
    }
    const how = el("dl", "method-how");
    for (const m of methods) {
      const dt = el("dt", "", methodName(m));
      dt.dataset.method = m;
      how.append(dt, el("dd", "", t(`charts.how.${m}`)));
    }
    const intro = el("p", "chart-intro", t("charts.methods.intro", { method: methodName(d.method) }));
    setChildren(
      this.nodes.methods.querySelector(".chart-body"),
      intro,
      el("p", "hint-text", t("charts.methods.hint")),
      wrap,
      said,
      el("h3", "detail-sub", t("charts.how.heading")),
      how,
    );
  }

  // -- the pairwise table as a heat map -------------------------------------------------------------
  renderPairwise() {
    const { d, titleOf, ids } = this.ctx;
    const index = new Map((d.results.proposals || []).map((id, i) => [id, i]));
    const P = d.results.pairwise;
    const n = d.results.n_voters || 0;
    const table = el("table", "heat-table");
    table.append(el("caption", "visually-hidden", t("charts.pairwise.short"))); // the section's heading says it on screen
    table.setAttribute("aria-describedby", "pairwise-how");
    const head = el("tr", "");
    const corner = el("td", "heat-corner");
    head.append(corner);
    ids.forEach((id, j) => {
      const th = el("th", "heat-col");
      th.scope = "col";
      th.dataset.id = id;
      th.append(el("span", `prop-mark pc-${j % COLOURS}`, letter(j)), el("span", "visually-hidden", titleOf(id)));
      head.append(th);
    });
    const thead = el("thead", "");
    thead.append(head);
    const tbody = el("tbody", "");
    ids.forEach((a, i) => {
      const tr = el("tr", "");
      const th = el("th", "heat-row");
      th.scope = "row";
      th.append(el("span", `prop-mark pc-${i % COLOURS}`, letter(i)), el("span", "heat-title", titleOf(a)));
      tr.append(th);
      for (const b of ids) {
        const td = el("td", "heat-cell");
        td.dataset.row = a;
        td.dataset.col = b;
        if (a === b) {
          td.classList.add("heat-self");
          td.append(el("span", "", "–"), el("span", "visually-hidden", t("charts.pairwise.self")));
        } else {
          const win = P[index.get(a)][index.get(b)];
          const loss = P[index.get(b)][index.get(a)];
          const margin = win - loss;
          const level = n ? Math.min(3, Math.ceil((Math.abs(margin) / n) * 6)) : 0;
          const kind = margin > 0 ? "win" : margin < 0 ? "loss" : "tie";
          td.classList.add(`heat-${kind}`, `heat-${kind}-${level}`);
          td.dataset.count = String(win);
          td.append(
            el("span", "heat-sign", kind === "win" ? "▲" : kind === "loss" ? "▼" : "="),
            el("span", "heat-num", fmtNumber(win)),
            el("span", "visually-hidden", t(`charts.pairwise.${kind}`, { a: titleOf(a), b: titleOf(b), other: fmtNumber(loss) })),
          );
          td.querySelector(".heat-sign").setAttribute("aria-hidden", "true");
        }
        tr.append(td);
      }
      tbody.append(tr);
    });
    table.append(thead, tbody);
    const wrap = el("div", "table-wrap chart-scroll");
    wrap.tabIndex = 0;
    wrap.setAttribute("role", "group");
    wrap.setAttribute("aria-label", t("charts.pairwise.short"));
    wrap.append(table);
    const how = el("p", "heat-how", t("charts.pairwise.caption"));
    how.id = "pairwise-how";
    const legend = el("ul", "heat-legend");
    for (const kind of ["win", "loss", "tie"]) {
      const li = el("li", "");
      li.append(el("span", `heat-key heat-${kind} heat-${kind}-2`, kind === "win" ? "▲" : kind === "loss" ? "▼" : "="), el("span", "", t(`charts.pairwise.key.${kind}`)));
      legend.append(li);
    }
    setChildren(
      this.nodes.pairwise.querySelector(".chart-body"),
      el("p", "chart-intro", t("charts.pairwise.intro", { n: fmtNumber(n) })),
      how,
      legend,
      wrap,
    );
  }

  // -- turnout by group against the panel -----------------------------------------------------------
  renderTurnout() {
    const c = this.turnout;
    const parts = [el("p", "chart-intro", t("charts.turnout.intro", { voted: fmtNumber(c.voted), eligible: fmtNumber(c.eligible) }))];
    const legend = el("ul", "bar-legend");
    for (const [cls, key] of [["chart-a", "charts.turnout.panel"], ["chart-b", "charts.turnout.voted"]]) {
      const li = el("li", "");
      li.append(el("span", `bar-key ${cls}`), el("span", "", t(key)));
      legend.append(li);
    }
    parts.push(legend);
    for (const s of c.strata) {
      if (!STRATA.includes(s.feature) || !s.values.length) continue;
      const fig = el("figure", "turnout-fig");
      fig.dataset.feature = s.feature;
      const name = t(`host.strata.${s.feature}`);
      fig.append(el("figcaption", "fig-title", name));
      const rows = s.values.map((v) => ({
        key: v.value,
        label: stratumName(v.value),
        a: { share: v.panel_share, text: t("charts.turnout.bar.panel", { pct: percent(v.panel_share), n: fmtNumber(v.panel) }) },
        b: { share: v.voted_share, text: t("charts.turnout.bar.voted", { pct: percent(v.voted_share), n: fmtNumber(v.voted) }) },
      }));
      const box = el("div", "chart-bars-box");
      const top = Math.max(...s.values.flatMap((v) => [v.panel_share, v.voted_share]), 0);
      box.append(pairedBars(rows, { name: t("charts.turnout.svg", { what: name }), scale: top > 0 ? 1 / top : 1 }));
      fig.append(box, this.turnoutTable(s, name));
      parts.push(fig);
    }
    setChildren(this.nodes.turnout.querySelector(".chart-body"), ...parts);
  }

  turnoutTable(s, name) {
    const details = el("details", "chart-numbers");
    details.append(el("summary", "", t("charts.numbers", { what: name })));
    const table = el("table", "strata-table turnout-table");
    table.dataset.feature = s.feature;
    const head = el("tr", "");
    for (const key of ["value", "panel", "voted"]) {
      const th = el("th", key === "value" ? "" : "num", t(`charts.turnout.col.${key}`));
      th.scope = "col";
      head.append(th);
    }
    const thead = el("thead", "");
    thead.append(head);
    const tbody = el("tbody", "");
    for (const v of s.values) {
      const tr = el("tr", "");
      tr.dataset.value = v.value;
      const th = el("th", "", stratumName(v.value));
      th.scope = "row";
      // from the counts, not the 4-place shares: 7 of 13 is 53.8 %, where 0.5385 would show 53.9 %
      const panel = el("td", "num col-panel", t("charts.turnout.cell", { n: fmtNumber(v.panel), pct: percent(ratio(v.panel, s.panel_total)) }));
      panel.dataset.count = String(v.panel);
      const voted = el("td", "num col-voted", t("charts.turnout.cell", { n: fmtNumber(v.voted), pct: percent(ratio(v.voted, s.voted_total)) }));
      voted.dataset.count = String(v.voted);
      tr.append(th, panel, voted);
      tbody.append(tr);
    }
    table.append(thead, tbody);
    const wrap = el("div", "table-wrap chart-scroll");
    wrap.tabIndex = 0; // it may scroll sideways on a phone: reachable by keyboard
    wrap.setAttribute("role", "group");
    wrap.setAttribute("aria-label", t("charts.numbers", { what: name }));
    wrap.append(table);
    details.append(wrap);
    return details;
  }
}
