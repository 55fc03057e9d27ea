// The ops dashboard's charts over time (ops.html): connections, delivery time (p50 and p99), ballots
// received per second and the time to confirm one (p50 and p99), frames dropped for slow
// connections, and Redis' response time. Fed by the page's own sampling of the hubs' load reports
// (the `ops` channel's `ops.hub` events, realtime/ops/opsfeed.py): every 2 s the page hands the
// reports of the hubs still reporting to `add`, and the last MINUTES minutes are kept here.
//
// Across hubs, counts and rates are summed and times take the worst hub (the slowest is the one to
// look at). A pause button stops the charts from moving (KWCAG 2.2, 정지 기능: content that updates
// by itself can be paused); values are still gathered and drawn when the charts resume.

import { chartMax, lineChart, svgEl } from "../lib/charts.js";
import { lang, t } from "../lib/i18n.js";
import { el, setChildren } from "../lib/vote-common.js";

export const MINUTES = 10;
const EVERY_S = 2;
const KEEP = (MINUTES * 60) / EVERY_S;
const MIN_SPAN = 60 / EVERY_S; // the narrowest time span a chart shows: a minute

// chart -> its series: [sample field, series name key]; `digits` for the numbers written out
const CHARTS = [
  { key: "connections", series: [["connections", "ops.series.total"]], digits: 0 },
  { key: "delivery", series: [["delivery_p50", "ops.series.p50"], ["delivery_p99", "ops.series.p99"]], digits: 1 },
  { key: "casts", series: [["casts", "ops.series.total"]], digits: 1 },
  { key: "cast_ack", series: [["cast_ack_p50", "ops.series.p50"], ["cast_ack_p99", "ops.series.p99"]], digits: 1 },
  { key: "drops", series: [["drops", "ops.series.total"]], digits: 1 },
  { key: "redis", series: [["redis", "ops.series.mean"]], digits: 2 },
];

const finite = (v) => typeof v === "number" && Number.isFinite(v);

function sum(reports, field) {
  const vals = reports.map((r) => r[field]).filter(finite);
  return vals.length ? vals.reduce((a, b) => a + b, 0) : null;
}

function worst(reports, field) {
  const vals = reports.map((r) => r[field]).filter(finite);
  return vals.length ? Math.max(...vals) : null;
}

/** One point of every chart from the reports of the hubs reporting now (pure: tested through the page). */
export function samplePoint(at, reports) {
  return {
    at,
    connections: sum(reports, "connections"),
    delivery_p50: worst(reports, "delivery_p50_ms"),
    delivery_p99: worst(reports, "delivery_p99_ms"),
    casts: sum(reports, "casts_per_s"),
    cast_ack_p50: worst(reports, "cast_ack_p50_ms"),
    cast_ack_p99: worst(reports, "cast_ack_p99_ms"),
    drops: sum(reports, "dropped_per_s"),
    // the interval's mean where the hub reports it, else the mean since it started (older hubs)
    redis: worst(reports.map((r) => ({ v: finite(r.redis_rtt_recent_ms) ? r.redis_rtt_recent_ms : r.redis_rtt_ms })), "v"),
  };
}

export class OpsCharts {
  /** `section`: the charts' section (ops.html `#charts`), with `.ops-charts-bar` and `.ops-chart-grid`. */
  constructor(section) {
    this.section = section;
    this.samples = [];
    this.frozen = null; // the samples as they were when paused: what the charts keep showing
    this.pause = section.querySelector(".ops-pause");
    this.grid = section.querySelector(".ops-chart-grid");
    this.pausedLine = section.querySelector(".ops-paused");
    this.intro = section.querySelector(".ops-charts-intro");
    this.pause.addEventListener("click", () => {
      this.frozen = this.frozen ? null : this.samples.slice();
      this.render();
    });
    this.render();
  }

  get paused() {
    return this.frozen !== null;
  }

  /** The reports of the hubs reporting now, sampled at `at` (ms). */
  add(at, reports) {
    this.samples.push(samplePoint(at, reports));
    if (this.samples.length > KEEP) this.samples.splice(0, this.samples.length - KEEP);
    this.render();
  }

  num(v, digits) {
    return finite(v) ? new Intl.NumberFormat(lang(), { maximumFractionDigits: digits }).format(v) : t("ops.chart.none");
  }

  /** Draw the charts: while paused, as they were at the pause (in the language chosen now). */
  render() {
    this.pause.textContent = t(this.paused ? "ops.charts.resume" : "ops.charts.pause");
    this.pause.setAttribute("aria-pressed", String(this.paused));
    this.pausedLine.hidden = !this.paused;
    this.pausedLine.textContent = t("ops.charts.paused");
    this.intro.textContent = t("ops.charts.intro", { min: MINUTES });
    this.section.dataset.paused = String(this.paused);
    setChildren(this.grid, ...CHARTS.map((c) => this.chart(c)));
  }

  chart(c) {
    const samples = this.frozen || this.samples;
    const series = c.series.map(([field, nameKey], i) => ({
      key: field,
      name: t(nameKey),
      className: `s-${i}`,
      values: samples.map((s) => s[field]),
    }));
    const max = chartMax(series);
    const title = t(`ops.chart.${c.key}`);
    const nowOf = (s) => this.num(s.values.length ? s.values[s.values.length - 1] : null, c.digits);
    const nowText = series.map((s) => (series.length > 1 ? `${s.name} ${nowOf(s)}` : nowOf(s))).join(", ");
    const fig = el("figure", "ops-chart");
    fig.dataset.chart = c.key;
    fig.dataset.points = String(samples.length);
    const peak = Math.max(-Infinity, ...series.flatMap((x) => x.values).filter(finite));
    fig.dataset.peak = Number.isFinite(peak) ? String(peak) : "";
    fig.append(el("figcaption", "", title));
    fig.append(
      lineChart(series, {
        n: Math.min(KEEP, Math.max(MIN_SPAN, samples.length)), // a fresh page fills a minute, then up to MINUTES
        max,
        name: t("ops.chart.label", { what: title, min: MINUTES, now: nowText, max: this.num(max, c.digits) }),
        topLabel: t("ops.chart.top", { max: this.num(max, c.digits) }),
      }),
    );
    const keys = el("ul", "series-keys");
    for (const s of series) {
      const li = el("li", "");
      li.dataset.series = s.key;
      const sample = svgEl("svg", { viewBox: "0 0 32 12", "aria-hidden": "true" });
      sample.append(svgEl("line", { x1: 0, x2: 32, y1: 6, y2: 6, class: `chart-series ${s.className}` }));
      li.append(sample, el("span", "", s.name), el("span", "series-now", nowOf(s)));
      keys.append(li);
    }
    fig.append(keys);
    return fig;
  }
}
