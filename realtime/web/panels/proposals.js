// Citizens' proposals of a topic meeting (issue 14), for panelists: the meeting's proposals with
// their 공감 counts, a button to support (and withdraw), and a form to write a new one in a section
// the moderators opened. The record of every proposal follows `meeting/<id>/proposals`.
//
// Mount: const p = new ProposalsPanel(conn, sectionElement, {onCount}); then p.setWelcome(welcome)
// on every welcome, p.setMeeting(id) when the meeting changes, p.rerender() on a language change.
// Text from people goes on the page through textContent only.

import { t } from "../lib/i18n.js";
import { Cooldown, button, el, errText, followState, may, setChildren } from "../lib/meeting-common.js";
import { responseAndPath } from "./proposal-response.js"; // issue 14: the city's response

const LIMITS = { title: 100, problem: 2000, action: 2000 }; // proposals/model.py
const SECTIONS = ["health", "childcare", "transport", "economy", "environment", "housing", "education", "welfare", "safety", "culture"];
const ORDER = { submitted: 0, shortlisted: 1, on_ballot: 2, decided: 3, merged: 4, returned: 5 };

/** A meeting's proposals as the channel's snapshot and events make them. */
export class ProposalsState {
  constructor() {
    this.items = new Map();
    this.open = [];
  }

  snapshot(s) {
    this.items.clear();
    for (const [k, v] of Object.entries(s || {})) {
      if (k.startsWith("p:")) this.items.set(Number(v.id), v);
      else if (k === "sections") this.open = v || [];
    }
  }

  apply(e) {
    const d = e.data || {};
    if (e.event === "proposal.sections") this.open = d.open || [];
    else if (e.event === "proposal.supported") this._set(d.id, { supports: d.supports });
    else if (e.event === "proposal.commented") this._set(d.id, { comments: d.comments });
    for (const p of [d.proposal, d.into]) if (p && typeof p === "object") this.items.set(Number(p.id), p);
  }

  _set(id, fields) {
    const cur = this.items.get(Number(id));
    if (cur) this.items.set(Number(id), { ...cur, ...fields });
  }

  /** Open ones first, the most supported first; then the others by id. */
  sorted() {
    return [...this.items.values()].sort(
      (a, b) => (ORDER[a.state] ?? 9) - (ORDER[b.state] ?? 9) || (b.supports || 0) - (a.supports || 0) || a.id - b.id,
    );
  }
}

export class ProposalsPanel {
  constructor(conn, root, { onCount = () => {} } = {}) {
    this.conn = conn;
    this.root = root;
    this.onCount = onCount;
    this.welcome = null;
    this.meeting = null;
    this.sub = null;
    this.state = new ProposalsState();
    this.supported = new Set();
    this.busy = new Set();
    this.loaded = false;
    this.error = null;
    this.wait = new Cooldown(() => this.renderList());
    this.sendWait = new Cooldown(() => this._renderForm());
    this._build();
    conn.watch(() => this._renderForm());
  }

  _build() {
    const r = this.root;
    this.heading = el("h2", "panel-heading", "");
    this.heading.id = "proposals-heading";
    r.setAttribute("aria-labelledby", "proposals-heading");
    this.intro = el("p", "hint-text", "");

    this.form = el("form", "qa-ask proposal-form");
    this.form.noValidate = true;
    this.formHeading = el("h3", "sub-heading", "");
    this.fields = {};
    const field = (name, tag) => {
      const label = el("label", "field-label", "");
      label.htmlFor = `proposal-${name}`;
      const input = el(tag, tag === "select" ? "select" : "input");
      input.id = `proposal-${name}`;
      if (tag === "textarea") input.rows = 3;
      if (tag === "input") input.type = "text";
      this.fields[name] = { label, input };
      return [label, input];
    };
    this.formMsg = el("p", "proposal-msg");
    this.formMsg.setAttribute("role", "status");
    this.formOffline = el("p", "offline-note");
    this.formOffline.hidden = true;
    this.sendBtn = el("button", "small-btn primary", "");
    this.sendBtn.type = "submit";
    this.form.append(
      this.formHeading,
      ...field("section", "select"),
      ...field("title", "input"),
      ...field("problem", "textarea"),
      ...field("action", "textarea"),
      this.formMsg,
      this.formOffline,
      this.sendBtn,
    );
    this.form.addEventListener("submit", (e) => {
      e.preventDefault();
      this.submit();
    });
    this.closedNote = el("p", "hint-text", "");

    this.listHeading = el("h3", "sub-heading", "");
    this.note = el("p", "hint-text");
    this.waitMsg = el("p", "error");
    this.waitMsg.setAttribute("role", "alert");
    this.waitMsg.hidden = true;
    this.list = el("ol", "qa-list proposal-list");
    this.status = el("p", "visually-hidden");
    this.status.setAttribute("role", "status");
    setChildren(r, this.heading, this.intro, this.form, this.closedNote, this.listHeading, this.note, this.waitMsg, this.list, this.status);
    this.rerender();
  }

  setWelcome(welcome) {
    this.welcome = welcome;
    this.rerender();
    if (this.meeting) this._loadMine();
  }

  setMeeting(id) {
    if (this.meeting === id && this.sub) return;
    this.meeting = id;
    this.state = new ProposalsState();
    this.supported.clear();
    this.loaded = false;
    this.error = null;
    this.sub?.close();
    this.sub = followState(this.conn, `meeting/${id}/proposals`, {
      onSnapshot: (s) => {
        this.state.snapshot(s);
        this.loaded = true;
      },
      onEvents: (events, info) => {
        if (!info.snapshot) for (const e of events) this.state.apply(e);
        this.loaded = true;
        if (info.initial) this._loadMine();
        this.rerender();
      },
      onError: (err) => {
        this.error = err;
        this.renderList();
      },
    });
    this.rerender();
  }

  /** Which proposals I support: only I am told (never published). */
  async _loadMine() {
    if (!may(this.welcome, "proposal.list") || !this.conn.live) return;
    const meeting = this.meeting;
    try {
      const r = await this.conn.request("proposal.list", { meeting });
      if (meeting !== this.meeting) return;
      this.supported = new Set((r.supported || []).map(Number));
      this.renderList();
    } catch {
      /* the list still shows from the channel */
    }
  }

  async submit() {
    const v = Object.fromEntries(Object.entries(this.fields).map(([k, f]) => [k, f.input.value.trim()]));
    for (const name of ["title", "problem", "action"]) {
      if (!v[name]) {
        this._formMessage("error", t("prop.err.empty", { field: t(`prop.field.${name}`) }));
        this.fields[name].input.focus();
        return;
      }
      if ([...v[name]].length > LIMITS[name]) {
        this._formMessage("error", t("prop.err.long", { field: t(`prop.field.${name}`), max: LIMITS[name] }));
        this.fields[name].input.focus();
        return;
      }
    }
    if (this.sendWait.active || !this.conn.live) {
      this._renderForm();
      return;
    }
    this.sendBtn.disabled = true;
    try {
      const r = await this.conn.request("proposal.submit", { meeting: this.meeting, ...v });
      this.state.items.set(Number(r.proposal.id), r.proposal);
      for (const name of ["title", "problem", "action"]) this.fields[name].input.value = "";
      this._formMessage("ok", t("prop.sent", { title: r.proposal.title }));
      this.renderList();
    } catch (err) {
      this._formMessage("error", errText(err));
      this.sendWait.start(err);
    } finally {
      this._renderForm();
    }
  }

  async support(p, on) {
    if (this.busy.has(p.id) || this.wait.active) return;
    this.busy.add(p.id);
    this.renderList();
    try {
      const r = await this.conn.request(on ? "proposal.support" : "proposal.unsupport", { meeting: this.meeting, proposal: p.id });
      if (r.supported) this.supported.add(p.id);
      else this.supported.delete(p.id);
      this.state._set(p.id, { supports: r.supports });
      this.status.textContent = t(r.supported ? "prop.supported.on" : "prop.supported.off", { n: r.supports });
    } catch (err) {
      this.status.textContent = errText(err);
      if (this.wait.start(err)) this.waitMsg.textContent = errText(err);
    } finally {
      this.busy.delete(p.id);
      this.renderList();
      this.root.querySelector(`li[data-id="${p.id}"] .vote-btn`)?.focus();
    }
  }

  _formMessage(kind, text) {
    this.formMsg.textContent = text;
    this.formMsg.className = `proposal-msg ${kind === "error" ? "error" : "ok-text"}`;
    this.formMsg.setAttribute("role", kind === "error" ? "alert" : "status");
  }

  _renderForm() {
    const canWrite = may(this.welcome, "proposal.submit");
    const open = SECTIONS.filter((s) => this.state.open.includes(s));
    this.form.hidden = !canWrite || open.length === 0;
    this.closedNote.hidden = !canWrite || open.length > 0 || !this.loaded;
    const sel = this.fields.section.input;
    const keep = sel.value;
    setChildren(sel, ...open.map((s) => Object.assign(el("option", "", t(`prop.section.${s}`)), { value: s })));
    if (open.includes(keep)) sel.value = keep;
    const off = this.conn.state !== "live";
    this.formOffline.textContent = off ? t("offline.send") : "";
    this.formOffline.hidden = !off;
    this.sendBtn.disabled = this.sendWait.active;
    this.sendBtn.setAttribute("aria-disabled", String(off));
  }

  rerender() {
    this.heading.textContent = t("prop.heading");
    this.intro.textContent = t("prop.intro");
    this.formHeading.textContent = t("prop.form.heading");
    for (const [name, f] of Object.entries(this.fields)) {
      f.label.textContent = name === "section" ? t("prop.field.section") : t("prop.field.limit", { field: t(`prop.field.${name}`), max: LIMITS[name] });
    }
    this.sendBtn.textContent = t("prop.send");
    this.closedNote.textContent = t("prop.closed");
    this.listHeading.textContent = t("prop.list.heading");
    this._renderForm();
    this.renderList();
  }

  renderList() {
    this.waitMsg.hidden = !this.wait.active;
    const items = this.state.sorted();
    this.onCount(items.filter((p) => p.state === "submitted").length);
    if (this.error) this.note.textContent = errText(this.error);
    else if (!this.loaded) this.note.textContent = t("prop.loading");
    else this.note.textContent = items.length ? "" : t("prop.none");
    this.note.hidden = !this.note.textContent;
    const canSupport = may(this.welcome, "proposal.support");
    const me = this.welcome ? this.welcome.participant : null;
    // keep the keyboard user's place: the same proposal's button gets the focus back
    const active = document.activeElement;
    const focusedId = active && this.list.contains(active) ? active.closest("li")?.dataset.id : null;
    setChildren(this.list, ...items.map((p) => this._item(p, canSupport, me)));
    if (focusedId) this.list.querySelector(`li[data-id="${Number(focusedId)}"] button`)?.focus();
  }

  _item(p, canSupport, me) {
    const li = el("li", `proposal-item state-${p.state}`);
    li.dataset.id = String(p.id);
    const head = el("h4", "proposal-title", p.title);
    head.id = `proposal-${p.id}-title`;
    li.append(el("p", "state-tag", `${t(`prop.section.${p.section}`)} · ${t(`prop.state.${p.state}`)}`), head);
    li.append(el("p", "proposal-label", t("prop.field.problem")), el("p", "proposal-text", p.problem));
    li.append(el("p", "proposal-label", t("prop.field.action")), el("p", "proposal-text", p.action));
    const names = (p.authors || []).map((a) => a.name).join(", ");
    li.append(el("p", "qa-meta", t("prop.authors", { names })));
    const mine = (p.authors || []).some((a) => a.id === me);
    if (p.state === "merged") li.append(el("p", "hint-text", t(mine ? "prop.merged.mine" : "prop.merged", { n: p.merged_into })));
    if (p.state === "returned") li.append(el("p", "hint-text", t("prop.returned", { reason: p.reason })));
    li.append(...responseAndPath(p, this.meeting)); // issue 14: the city's response, the proposal's path
    if (canSupport && p.state === "submitted") {
      const on = this.supported.has(Number(p.id));
      const b = button(`vote-btn${on ? " on" : ""}`, t(on ? "prop.unsupport" : "prop.support", { n: p.supports || 0 }), () => this.support(p, !on));
      b.setAttribute("aria-pressed", String(on));
      b.setAttribute("aria-describedby", head.id);
      b.disabled = this.busy.has(p.id) || this.wait.active;
      li.append(b);
    } else {
      li.append(el("p", "qa-votes", t("prop.supports", { n: p.supports || 0 })));
    }
    return li;
  }
}
