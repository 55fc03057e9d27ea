// The host console's learning figures (issue 14): who of the meeting's panel opened its
// materials, so that staff can help the panelists who fall behind. Reads
// `GET /api/meetings/<m>/learning` (hosts; token in a header) when the meeting changes and on
// "새로 고침"; shows the required set (everyone who opened every material) and each material as
// opened / panel, and for the figure chosen, one table per stratum (gender, age band, district).
// "표로 내려받기" saves the same figures as CSV. Counts only: the hub never says who.
//
// Mount: new LearningPanel(conn, sectionElement); setWelcome, setMeeting, rerender (host.js tools).

import { t } from "../lib/i18n.js";
import { button, el, may, setChildren } from "../lib/meeting-common.js";
import { fmtNumber, fmtPercent, stratumName } from "../lib/vote-common.js";
import { saveBlob } from "./agenda-feed.js";

const STRATA = ["gender", "age_band", "district"];
const REQUIRED = "required"; // moderation/learning.py REQUIRED

export class LearningPanel {
  constructor(conn, section) {
    this.conn = conn;
    this.section = section;
    this.welcome = null;
    this.meeting = null;
    this.data = null;
    this.chosen = REQUIRED;
    this.error = "";
    section.setAttribute("aria-labelledby", "learning-heading");
    this.heading = el("h2", "panel-heading");
    this.heading.id = "learning-heading";
    this.hint = el("p", "hint-text");
    this.summary = el("ul", "learning-summary");
    this.pickLabel = el("label", "field-label");
    this.pick = el("select", "select");
    this.pick.id = "learning-pick";
    this.pickLabel.htmlFor = this.pick.id;
    this.pick.addEventListener("change", () => {
      this.chosen = this.pick.value;
      this.renderTables();
    });
    this.tables = el("div", "strata");
    this.refresh = button("secondary", "", () => this.load());
    this.csv = button("secondary", "", () => this.download());
    this.err = el("p", "error");
    this.err.setAttribute("role", "alert");
    this.err.hidden = true;
    section.append(this.heading, this.hint, this.err, this.summary, this.pickLabel, this.pick, this.tables, this.refresh, this.csv);
    section.hidden = true;
  }

  setWelcome(w) {
    this.welcome = w;
    this.render();
    this.load();
  }

  setMeeting(id) {
    if (this.meeting === id) return;
    this.meeting = id;
    this.data = null;
    this.chosen = REQUIRED;
    this.load();
  }

  rerender() {
    this.render();
  }

  allowed() {
    // The hub's table lets the hosts who set the materials read the figures (realtime/roles.py).
    return may(this.welcome, "materials.set");
  }

  url(ext) {
    return `/api/meetings/${encodeURIComponent(this.meeting)}/learning${ext}`;
  }

  async get(ext) {
    const r = await fetch(this.url(ext), { headers: { Authorization: `Bearer ${this.conn.token}` }, cache: "no-store" });
    if (!r.ok) throw new Error(`HTTP ${r.status}`);
    return r;
  }

  async load() {
    if (!this.allowed() || !this.meeting) return;
    try {
      this.data = await (await this.get("")).json();
      this.error = "";
    } catch {
      this.error = "host.learning.err";
    }
    this.render();
  }

  async download() {
    try {
      saveBlob(await (await this.get(".csv")).blob(), `learning-${this.meeting}.csv`);
      this.error = "";
    } catch {
      this.error = "host.learning.err";
    }
    this.render();
  }

  figures() {
    return this.data ? [this.data.required, ...this.data.materials] : [];
  }

  label(f) {
    return f.material === REQUIRED ? t("host.learning.required") : f.title;
  }

  render() {
    this.section.hidden = !this.allowed() || !this.meeting;
    if (this.section.hidden) return;
    this.heading.textContent = t("host.learning.heading");
    this.hint.textContent = t("host.learning.hint");
    this.pickLabel.textContent = t("host.learning.pick");
    this.refresh.textContent = t("host.learning.refresh");
    this.csv.textContent = t("host.learning.csv");
    this.err.textContent = this.error ? t(this.error) : "";
    this.err.hidden = !this.error;
    const figures = this.figures();
    if (!this.data || !this.data.materials.length) {
      setChildren(this.summary, el("li", "hint-text", t(this.data ? "host.learning.none" : "host.learning.loading")));
    } else {
      setChildren(
        this.summary,
        ...figures.map((f) => {
          const li = el("li", f.material === REQUIRED ? "learning-required" : "");
          li.dataset.material = f.material;
          li.append(
            el("span", "learning-title", this.label(f)),
            el("span", "learning-figure", t("host.learning.figure", { opened: fmtNumber(f.opened), panel: fmtNumber(f.panel), share: fmtPercent(f.opened, f.panel) })),
          );
          return li;
        }),
      );
    }
    const picked = this.pick.value || this.chosen;
    setChildren(
      this.pick,
      ...figures.map((f) => {
        const o = el("option", "", this.label(f));
        o.value = f.material;
        return o;
      }),
    );
    this.pick.value = figures.some((f) => f.material === picked) ? picked : REQUIRED;
    this.pick.hidden = this.pickLabel.hidden = !figures.length || !this.data.materials.length;
    this.renderTables();
  }

  renderTables() {
    const f = this.figures().find((x) => x.material === this.pick.value);
    if (!f || !this.data.materials.length) {
      setChildren(this.tables);
      return;
    }
    const wraps = STRATA.map((feature) => {
      const table = el("table", "strata-table");
      const name = `${this.label(f)} · ${t(`host.strata.${feature}`)}`;
      table.append(el("caption", "", name));
      const head = el("tr");
      for (const key of ["value", "panel", "opened", "share"]) {
        const th = el("th", key === "value" ? "" : "num", t(`host.learning.col.${key}`));
        th.scope = "col";
        head.append(th);
      }
      const thead = el("thead");
      thead.append(head);
      const tbody = el("tbody");
      for (const [value, row] of Object.entries(f.strata[feature] || {})) {
        const tr = el("tr");
        tr.dataset.value = value;
        const th = el("th", "", stratumName(value));
        th.scope = "row";
        tr.append(th, el("td", "num", fmtNumber(row.panel)), el("td", "num", fmtNumber(row.opened)), el("td", "num", fmtPercent(row.opened, row.panel)));
        tbody.append(tr);
      }
      table.append(thead, tbody);
      const wrap = el("div", "table-wrap");
      wrap.tabIndex = 0; // scrolls sideways on a phone: reachable by keyboard
      wrap.setAttribute("role", "region");
      wrap.setAttribute("aria-label", name);
      wrap.append(table);
      return wrap;
    });
    setChildren(this.tables, ...wraps);
  }
}
