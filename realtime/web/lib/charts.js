// Small charts drawn as inline SVG with DOM APIs: no chart library, nothing from another origin, no
// markup strings (every label goes in through textContent). Two shapes are enough for the pages:
//
// - `pairedBars`: for each row two horizontal bars side by side (a share of one whole against a
//   share of another), each with its number written beside it, so colour never carries the value
//   alone. The bars' x and width are percentages of the SVG's own width and the text is sized by
//   CSS, so the chart fits any width and its text stays at the page's size (16 px and up).
// - `lineChart`: a few series over time, newest at the right, with the axis' top value and the
//   time span written out; the caption (the figure's text alternative) is the caller's.
//
// Colours and line styles come from app.css classes (`chart-*`); a series also differs by its dash
// pattern, so two lines can be told apart without colour.

const SVG_NS = "http://www.w3.org/2000/svg";

/** An SVG element with attributes (set as attributes: never a style string, which CSP forbids). */
export function svgEl(tag, attrs = {}, text) {
  const node = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs)) if (v !== undefined && v !== null) node.setAttribute(k, String(v));
  if (text !== undefined) node.textContent = text;
  return node;
}

/** The root font size in px (the text-size button changes it): charts lay rows out in it. */
export function remPx() {
  return parseFloat(getComputedStyle(document.documentElement).fontSize) || 18;
}

const pct = (share) => `${(Math.max(0, Math.min(1, share)) * 100).toFixed(2)}%`;

/**
 * Rows of two bars each. `rows`: [{label, key, a: {share, text}, b: {share, text}}], shares in
 * [0, 1], `text` written after the bar. `label` heads the row; `classes` = [classA, classB] style
 * the two bars. A bar is `share * scale * span` of the width (`scale`: 1 / the largest share, so the
 * longest bar takes `span` and the text after it still fits; both bars of every row share it).
 * Returns the SVG (role="img", named by `name`); the caller puts the numbers as a table beside it.
 */
export function pairedBars(rows, { name, classes = ["chart-a", "chart-b"], span = 0.55, scale = 1 }) {
  const rem = remPx();
  const line = Math.round(rem * 1.45); // one line of text
  const bar = Math.round(rem * 1.2);
  const gap = Math.round(rem * 0.25);
  const rowHeight = line + 2 * bar + 3 * gap + Math.round(rem * 0.5);
  const height = Math.max(rowHeight * rows.length, line);
  const svg = svgEl("svg", { class: "chart chart-bars", width: "100%", height, role: "img", "aria-label": name });
  rows.forEach((row, i) => {
    const top = i * rowHeight;
    const g = svgEl("g", { class: "chart-row", "data-key": row.key });
    g.append(svgEl("text", { x: 0, y: top + line - Math.round(rem * 0.35), class: "chart-label" }, row.label));
    [row.a, row.b].forEach((part, j) => {
      const y = top + line + gap + j * (bar + gap);
      const w = Math.max(0, Math.min(1, part.share * scale)) * span;
      g.append(
        svgEl("rect", {
          x: 0,
          y,
          width: pct(w),
          height: bar,
          rx: 3,
          class: `chart-bar ${classes[j]}`,
          "data-share": part.share,
        }),
        svgEl("text", { x: pct(w), dx: Math.round(rem * 0.4), y: y + bar - Math.round(rem * 0.22), class: "chart-value" }, part.text),
      );
    });
    svg.append(g);
  });
  return svg;
}

/**
 * A line chart of `series` ([{key, values: [number|null], className}]) over `n` equally spaced
 * samples, the newest at the right (shorter series end at the right edge). `max`: the top of the
 * axis (`chartMax`: at least the largest value). `name` names the SVG for screen readers;
 * `topLabel` is written at the top left (the axis' top value with its unit).
 */
export function lineChart(series, { n, name, topLabel, max }) {
  const w = 600;
  const h = 160;
  const pad = 4;
  const svg = svgEl("svg", {
    class: "chart chart-line",
    viewBox: `0 0 ${w} ${h}`,
    preserveAspectRatio: "none",
    role: "img",
    "aria-label": name,
  });
  for (const frac of [0.5, 1]) {
    const y = h - pad - frac * (h - 2 * pad);
    svg.append(svgEl("line", { x1: 0, x2: w, y1: y, y2: y, class: "chart-grid" }));
  }
  const step = n > 1 ? w / (n - 1) : w;
  for (const s of series) {
    const x0 = w - step * (s.values.length - 1);
    let run = [];
    const flush = () => {
      if (run.length === 1) {
        // a lone value (its neighbours missing): a short dash, which the stretched view box cannot
        // turn into an ellipse as it would a dot
        const [x, y] = run[0].split(",").map(Number);
        run = [`${Math.max(0, x - 6).toFixed(1)},${y}`, `${Math.min(w, x + 6).toFixed(1)},${y}`];
      }
      if (run.length > 1) {
        svg.append(svgEl("polyline", { points: run.join(" "), fill: "none", class: `chart-series ${s.className}` }));
      }
      run = [];
    };
    s.values.forEach((v, i) => {
      if (typeof v !== "number" || !Number.isFinite(v)) {
        flush(); // a gap: no report, nothing measured
        return;
      }
      run.push(`${(x0 + i * step).toFixed(1)},${(h - pad - (v / max) * (h - 2 * pad)).toFixed(1)}`);
    });
    flush();
  }
  const wrap = document.createElement("div");
  wrap.className = "chart-box";
  const top = document.createElement("span");
  top.className = "chart-top";
  top.textContent = topLabel;
  wrap.append(top, svg);
  return wrap;
}

/** The top of a chart's axis: the largest finite value of the series, or 1 when there is none. */
export function chartMax(series) {
  const all = series.flatMap((s) => s.values).filter((v) => typeof v === "number" && Number.isFinite(v));
  const top = Math.max(0, ...all);
  return top > 0 ? top : 1;
}
