// The moderators' buttons for citizens' proposals (issue 14), a column of the moderator console:
// which sections take proposals now (`proposal.sections`), and for each submitted proposal merge
// it into another (the target picked from the meeting's submitted ones, confirmed, saying that
// its supports and authors carry over), propose an edit (the fields prefilled, a note; it waits for
// every author's consent) or return it with a reason. It follows `meeting/<id>/proposals` like the
// panelists' tab (ProposalsState), so two moderators see each other's steps at once.
//
// Mount: new ProposalsModeration(conn, sectionElement, {status}); setWelcome, setMeeting, rerender.
// A refusal is said in plain words (errText: the `mt.err.<name>` strings) in the open form, which
// keeps what was typed. Text from people goes on the page through textContent only.

import { t } from "../lib/i18n.js";
import { renderItems } from "../lib/item-list.js";
import { button, el, errText, followState, may, setChildren } from "../lib/meeting-common.js";
import { ProposalsState } from "./proposals.js";

const SECTIONS = ["health", "childcare", "transport", "economy", "environment", "housing", "education", "welfare", "safety", "culture"];
const FIELDS = ["title", "problem", "action"];
const LIMITS = { title: 100, problem: 2000, action: 2000, note: 500 }; // proposals/model.py

export class ProposalsModeration {
  constructor(conn, root, { status = () => {}, onChange = () => {} } = {}) {
    this.conn = conn;
    this.root = root;
    this.status = status;
    this.onChange = onChange; // issue 14: the shortlist form reads the same proposals
    this.welcome = null;
    this.meeting = null;
    this.sub = null;
    this.state = new ProposalsState();
    this.loaded = false;
    this.form = null; // the open form: {id, kind, nodes..., error}; one at a time, kept across renders
    this.busy = false;
    root.hidden = true;
    root.setAttribute("aria-labelledby", "propmod-heading");
    this.heading = el("h2", "panel-heading");
    this.heading.id = "propmod-heading";
    this.heading.tabIndex = -1; // the focus lands here when the proposal acted on leaves the list
    this.sections = el("form", "prop-sections");
    this.sections.noValidate = true;
    this.sectionsLegend = el("h3", "sub-heading");
    this.sectionsLegend.id = "propmod-sections";
    this.sectionsBox = el("div", "prop-section-boxes");
    this.sectionsBox.setAttribute("role", "group");
    this.sectionsBox.setAttribute("aria-labelledby", "propmod-sections");
    this.boxes = new Map();
    for (const s of SECTIONS) {
      const label = el("label", "choice");
      const box = el("input");
      box.type = "checkbox";
      box.value = s;
      const text = el("span");
      label.append(box, text);
      this.boxes.set(s, { box, text });
      this.sectionsBox.append(label);
    }
    this.sectionsBtn = el("button", "small-btn primary");
    this.sectionsBtn.type = "submit";
    this.sections.append(this.sectionsLegend, this.sectionsBox, this.sectionsBtn);
    this.sections.addEventListener("submit", (e) => {
      e.preventDefault();
      this.applySections();
    });
    this.listHeading = el("h3", "sub-heading");
    this.note = el("p", "hint-text");
    this.list = el("ul", "mod-list prop-mod-list");
    this.others = el("p", "hint-text");
    setChildren(root, this.heading, this.sections, this.listHeading, this.note, this.list, this.others);
  }

  setWelcome(w) {
    this.welcome = w;
    this.root.hidden = !may(w, "proposal.merge");
    if (!this.root.hidden && this.meeting && !this.sub) this.setMeeting(this.meeting, true);
    this.rerender();
  }

  setMeeting(id, again = false) {
    if (this.meeting === id && this.sub && !again) return;
    this.meeting = id;
    this.state = new ProposalsState();
    this.loaded = false;
    this.form = null;
    this.sub?.close();
    this.sub = null;
    if (this.root.hidden) return;
    this.sub = followState(this.conn, `meeting/${id}/proposals`, {
      onSnapshot: (s) => {
        this.state.snapshot(s);
        this.loaded = true;
      },
      onEvents: (events, info) => {
        if (!info.snapshot) for (const e of events) this.state.apply(e);
        if (info.initial) this._syncBoxes();
        else if (events.some((e) => e.event === "proposal.sections")) this._syncBoxes();
        this.loaded = true;
        this.render();
      },
      onError: (err) => this.status(errText(err), true),
    });
    this.rerender();
  }

  /** The boxes show the open sections (after a load, or another moderator's change). */
  _syncBoxes() {
    for (const [s, { box }] of this.boxes) box.checked = this.state.open.includes(s);
  }

  async applySections() {
    const open = SECTIONS.filter((s) => this.boxes.get(s).box.checked);
    try {
      await this.conn.request("proposal.sections", { meeting: this.meeting, open });
      this.status(open.length ? t("pm.sections.done", { names: open.map((s) => t(`prop.section.${s}`)).join(", ") }) : t("pm.sections.none"));
    } catch (err) {
      this.status(errText(err), true);
    }
  }

  rerender() {
    this.heading.textContent = t("pm.heading");
    this.sectionsLegend.textContent = t("pm.sections");
    for (const [s, { text }] of this.boxes) text.textContent = t(`prop.section.${s}`);
    this.sectionsBtn.textContent = t("pm.sections.apply");
    this.listHeading.textContent = t("pm.list");
    this.render();
  }

  render() {
    const all = this.state.sorted();
    const open = all.filter((p) => p.state === "submitted");
    this.note.textContent = !this.loaded ? t("prop.loading") : open.length ? "" : t("pm.none");
    this.note.hidden = !this.note.textContent;
    const rest = all.length - open.length;
    this.others.textContent = rest ? t("pm.others", { n: rest }) : "";
    this.others.hidden = !rest;
    if (this.form && !this.busy && !open.some((p) => p.id === this.form.id)) {
      // another moderator merged or returned it meanwhile: the form goes, and the console says why
      const gone = this.state.items.get(this.form.id);
      this.status(t("pm.gone", { title: gone ? gone.title : "", state: gone ? t(`prop.state.${gone.state}`) : "" }), true);
      this.form = null;
    }
    renderItems(this.list, open.map((p) => this._item(p, open)));
    this.onChange();
  }

  _item(p, open) {
    const li = el("li", "mod-item prop-mod-item");
    li.dataset.id = String(p.id);
    const head = el("h4", "proposal-title", `${p.id}. ${p.title}`);
    head.id = `pm-${p.id}-head`;
    li.append(el("p", "state-tag", t(`prop.section.${p.section}`)), head);
    li.append(el("p", "proposal-label", t("prop.field.problem")), el("p", "proposal-text", p.problem));
    li.append(el("p", "proposal-label", t("prop.field.action")), el("p", "proposal-text", p.action));
    const meta = el("p", "qa-meta");
    meta.append(
      el("span", "", t("prop.authors", { names: (p.authors || []).map((a) => a.name).join(", ") })),
      el("span", "qa-votes", t("prop.supports", { n: p.supports || 0 })),
      el("span", "", t("pm.comments", { n: p.comments || 0 })),
    );
    li.append(meta);
    if (p.edit) li.append(el("p", "hint-text", t("pm.edit.waiting", { n: (p.edit.consents || []).length, of: (p.authors || []).length })));
    const row = el("div", "btn-row");
    for (const kind of ["merge", "edit", "return"]) {
      if (kind === "merge" && open.length < 2) continue;
      const b = button("small-btn", t(`pm.${kind}`), () => this.openForm(p, kind));
      b.dataset.action = kind;
      b.setAttribute("aria-label", t(`pm.${kind}.label`, { title: p.title.slice(0, 40) }));
      b.setAttribute("aria-expanded", String(this.form?.id === p.id && this.form.kind === kind));
      row.append(b);
    }
    li.append(row);
    if (this.form?.id === p.id) li.append(this._formFor(p, open));
    return li;
  }

  openForm(p, kind) {
    if (this.form?.id === p.id && this.form.kind === kind) {
      this.form = null;
      this.render();
      return;
    }
    this.form = { id: p.id, kind, root: null };
    this.render();
    this.form?.root?.querySelector("select, textarea, input")?.focus();
  }

  /** The open form's nodes, built once and kept: typing survives the list's live re-renders. */
  _formFor(p, open) {
    const f = this.form;
    if (!f.root) {
      f.root = el("form", "prop-mod-form");
      f.root.noValidate = true;
      f.root.setAttribute("aria-labelledby", `pm-${p.id}-form`);
      f.heading = el("h5", "proposal-label");
      f.heading.id = `pm-${p.id}-form`;
      f.error = el("p", "error");
      f.error.setAttribute("role", "alert");
      f.error.hidden = true;
      f.send = el("button", "small-btn primary");
      f.send.type = "submit";
      f.send.dataset.action = `${f.kind}-send`;
      f.cancel = button("small-btn", "", () => {
        this.form = null;
        this.render();
      });
      f.cancel.dataset.action = f.kind;
      const fields = this[`_${f.kind}Fields`](p, f);
      const row = el("div", "btn-row");
      row.append(f.send, f.cancel);
      f.root.append(f.heading, ...fields, f.error, row);
      f.root.addEventListener("submit", (e) => {
        e.preventDefault();
        this.send(p.id);
      });
    }
    f.heading.textContent = t(`pm.${f.kind}.heading`, { title: p.title });
    f.send.textContent = t(`pm.${f.kind}.send`);
    f.cancel.textContent = t("pm.cancel");
    f.send.disabled = this.busy;
    if (f.kind === "merge") this._mergeTargets(p, open, f);
    return f.root;
  }

  _field(f, name, tag, label, value = "") {
    const l = el("label", "field-label", label);
    const input = el(tag, tag === "select" ? "select" : "input");
    input.id = `pm-${f.id}-${name}`;
    l.htmlFor = input.id;
    if (tag === "textarea") input.rows = name === "title" ? 2 : 4;
    if (tag === "input") input.type = "text";
    if (tag !== "select") input.value = value;
    f[name] = input;
    return [l, input];
  }

  _mergeFields(p, f) {
    const [l, sel] = this._field(f, "into", "select", t("pm.merge.into"));
    f.hint = el("p", "hint-text", t("pm.merge.hint"));
    return [l, sel, f.hint];
  }

  /** The targets: the meeting's other submitted proposals. The one chosen stays chosen even when
   * it leaves them meanwhile (merged or returned by another moderator): shown with its state, so
   * the hub's refusal is what the moderator sees, never a silent switch to another target. */
  _mergeTargets(p, open, f) {
    const keep = f.into.value;
    const targets = open.filter((q) => q.id !== p.id);
    const gone = keep && !targets.some((q) => String(q.id) === keep) ? this.state.items.get(Number(keep)) : null;
    if (gone) targets.push(gone);
    const label = (q) => t("pm.merge.option", { id: q.id, title: q.title, n: q.supports || 0 }) + (q.state === "submitted" ? "" : ` · ${t(`prop.state.${q.state}`)}`);
    setChildren(f.into, ...targets.map((q) => Object.assign(el("option", "", label(q)), { value: String(q.id) })));
    if (keep && targets.some((q) => String(q.id) === keep)) f.into.value = keep;
    f.hint.textContent = t("pm.merge.hint", { n: p.supports || 0 });
  }

  _editFields(p, f) {
    const [sl, sel] = this._field(f, "section", "select", t("prop.field.section"));
    setChildren(sel, ...SECTIONS.map((s) => Object.assign(el("option", "", t(`prop.section.${s}`)), { value: s })));
    sel.value = p.section;
    const out = [sl, sel];
    for (const name of FIELDS) {
      out.push(...this._field(f, name, name === "title" ? "input" : "textarea", t("prop.field.limit", { field: t(`prop.field.${name}`), max: LIMITS[name] }), p[name]));
    }
    out.push(...this._field(f, "note", "textarea", t("pm.edit.note", { max: LIMITS.note })));
    out.push(el("p", "hint-text", t("pm.edit.hint")));
    return out;
  }

  _returnFields(p, f) {
    return [...this._field(f, "reason", "textarea", t("pm.return.reason", { max: LIMITS.note })), el("p", "hint-text", t("pm.return.hint"))];
  }

  _fail(f, text, focus) {
    f.error.textContent = text;
    f.error.hidden = false;
    focus?.focus();
  }

  /** Send the open form's step; a refusal stays in the form with what was typed. */
  async send(id) {
    const f = this.form;
    const p = this.state.items.get(id);
    if (!f || !p || this.busy) return;
    let kind;
    let fields;
    if (f.kind === "merge") {
      kind = "proposal.merge";
      fields = { into: Number(f.into.value) };
    } else if (f.kind === "return") {
      const reason = f.reason.value.trim();
      if (!reason || [...reason].length > LIMITS.note) return this._fail(f, t(reason ? "pm.err.long" : "pm.err.reason", { max: LIMITS.note }), f.reason);
      kind = "proposal.return";
      fields = { reason };
    } else {
      kind = "proposal.edit";
      fields = { note: f.note.value.trim() };
      if (f.section.value !== p.section) fields.section = f.section.value;
      for (const name of FIELDS) {
        const v = f[name].value.trim();
        if (!v) return this._fail(f, t("prop.err.empty", { field: t(`prop.field.${name}`) }), f[name]);
        if ([...v].length > LIMITS[name]) return this._fail(f, t("prop.err.long", { field: t(`prop.field.${name}`), max: LIMITS[name] }), f[name]);
        if (v !== p[name]) fields[name] = v;
      }
      if (Object.keys(fields).length === 1) return this._fail(f, t("pm.err.same"), f.title);
    }
    this.busy = true;
    f.send.disabled = true;
    try {
      await this.conn.request(kind, { meeting: this.meeting, proposal: id, ...fields });
      this.form = null;
      this.status(t(`pm.${f.kind}.done`, { title: p.title, into: fields.into }));
      this.render();
      const again = this.list.querySelector(`li[data-id="${id}"] button[data-action="${f.kind}"]`);
      (again || this.heading).focus();
    } catch (err) {
      this._fail(f, errText(err));
    } finally {
      this.busy = false;
      if (this.form === f) f.send.disabled = false;
    }
  }
}
