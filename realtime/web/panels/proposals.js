// Citizens' proposals of a topic meeting (issue 14), for panelists: the meeting's proposals with
// their 공감 counts, a button to support (and withdraw), and a form to write a new one in a section
// the moderators opened. The record of every proposal follows `meeting/<id>/proposals`.
//
// Mount: const p = new ProposalsPanel(conn, sectionElement, {onCount}); then p.setWelcome(welcome)
// on every welcome, p.setMeeting(id) when the meeting changes, p.rerender() on a language change.
// Text from people goes on the page through textContent only.

import { t } from "../lib/i18n.js";
import { listNote, pressToggle, renderItems } from "../lib/item-list.js";
import { Cooldown, button, el, errText, fmtTime, followState, may, setChildren } from "../lib/meeting-common.js";
import { responseAndPath } from "./proposal-response.js"; // issue 14: the city's response

const LIMITS = { title: 100, problem: 2000, action: 2000 }; // proposals/model.py
const COMMENT_CHARS = 1000; // proposals/model.py COMMENT_CHARS (issue 14: proposal buttons)
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
    for (const p of d.proposals || []) this.items.set(Number(p.id), p); // issue 14: shortlisted, on_ballot, decided
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

  support(p, on) {
    return pressToggle({
      id: p.id,
      busy: this.busy,
      wait: this.wait,
      render: () => this.renderList(),
      root: this.root,
      status: this.status,
      waitMsg: this.waitMsg,
      request: () => this.conn.request(on ? "proposal.support" : "proposal.unsupport", { meeting: this.meeting, proposal: p.id }),
      done: (r) => {
        if (r.supported) this.supported.add(p.id);
        else this.supported.delete(p.id);
        this.state._set(p.id, { supports: r.supports });
        return t(r.supported ? "prop.supported.on" : "prop.supported.off", { n: r.supports });
      },
    });
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
    listNote(this.note, { error: this.error, loaded: this.loaded, empty: !items.length }, { loading: t("prop.loading"), none: t("prop.none") });
    const canSupport = may(this.welcome, "proposal.support");
    const me = this.welcome ? this.welcome.participant : null;
    renderItems(this.list, items.map((p) => this._item(p, canSupport, me)));
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
    this._actions(li, p, mine); // issue 14: join, the edit waiting, comments
    return li;
  }

  // -- issue 14: proposal buttons (join as co-author, consent to an edit, comments) ----------------
  // Kept apart from the list above so that other additions to this panel merge cleanly. The
  // commands are the hub's (`proposal.join`, `proposal.consent`, `proposal.comment`,
  // `proposal.get`); their results come back on the channel like everyone else's.

  _actions(li, p, mine) {
    // busy: a command in flight; open: comments shown; comments: id -> the list read; asked: id -> the
    // count the last read was for (read again only when the channel says there are more)
    // (all of it per meeting: another meeting starts afresh)
    if (this.pb?.meeting !== this.meeting) {
      this.pb = { meeting: this.meeting, busy: new Set(), open: new Set(), comments: new Map(), asked: new Map(), boxes: new Map(), msg: new Map() };
    }
    const title = `proposal-${p.id}-title`;
    if (p.edit) li.append(this._editBox(p, mine, title));
    const row = el("div", "btn-row prop-actions");
    if (p.state === "submitted" && !mine && may(this.welcome, "proposal.join")) {
      const join = button("small-btn", t("pb.join"), () => this.join(p));
      join.dataset.action = "join";
      join.setAttribute("aria-describedby", title);
      join.disabled = this.pb.busy.has(p.id);
      row.append(join);
    }
    if (may(this.welcome, "proposal.get")) {
      const open = this.pb.open.has(p.id);
      const more = button("small-btn", t(open ? "pb.comments.hide" : "pb.comments.show", { n: p.comments || 0 }), () => this.toggleComments(p.id));
      more.dataset.action = "comments";
      more.setAttribute("aria-expanded", String(open));
      more.setAttribute("aria-controls", `proposal-${p.id}-comments`);
      more.setAttribute("aria-describedby", title);
      row.append(more);
    }
    if (row.children.length) li.append(row);
    const msg = this.pb.msg.get(p.id);
    if (msg) {
      // seen here, read out by the panel's one status line (`_say`): the list is drawn again on
      // every event, and a live region in it would be read out again each time
      li.append(el("p", msg.error ? "error" : "ok-text", msg.text));
    }
    if (this.pb.open.has(p.id)) li.append(this._commentsBox(p));
  }

  _say(id, text, error = false) {
    this.pb.msg.set(id, { text, error });
    this.status.textContent = text;
  }

  async _run(p, kind, fields, done) {
    if (this.pb.busy.has(p.id)) return null;
    this.pb.busy.add(p.id);
    this.renderList();
    try {
      const r = await this.conn.request(kind, { meeting: this.meeting, proposal: p.id, ...fields });
      if (r.proposal) this.state.items.set(Number(r.proposal.id), r.proposal);
      this._say(p.id, done);
      return r;
    } catch (err) {
      this._say(p.id, errText(err), true);
      return null;
    } finally {
      this.pb.busy.delete(p.id);
      this.renderList();
    }
  }

  join(p) {
    return this._run(p, "proposal.join", {}, t("pb.joined"));
  }

  consent(p, accept) {
    return this._run(p, "proposal.consent", { accept }, t(accept ? "pb.consented" : "pb.declined"));
  }

  /** A moderator's edit waiting: what changes, side by side (now, and the edit), with the note; an
   * author accepts or declines it, the others see that it waits for the authors. */
  _editBox(p, mine, title) {
    const e = p.edit;
    const box = el("div", "prop-edit");
    box.append(el("p", "proposal-label", t("pb.edit.waiting", { name: e.by ? e.by.name : "" })));
    if (e.note) box.append(el("p", "proposal-text", t("pb.edit.note", { note: e.note })));
    for (const field of ["section", "title", "problem", "action"]) {
      if (!e[field] || e[field] === p[field]) continue;
      const show = (v) => (field === "section" ? t(`prop.section.${v}`) : v);
      const pair = el("div", "prop-compare");
      pair.append(el("p", "proposal-label prop-compare-field", t(`prop.field.${field}`)));
      const before = el("div", "prop-before");
      before.append(el("p", "state-tag", t("pb.edit.before")), el("p", "proposal-text", show(p[field])));
      const after = el("div", "prop-after");
      after.append(el("p", "state-tag", t("pb.edit.after")), el("p", "proposal-text", show(e[field])));
      pair.append(before, after);
      box.append(pair);
    }
    const authors = (p.authors || []).length;
    const consents = (e.consents || []).length;
    const me = this.welcome ? this.welcome.participant : null;
    if (mine && (e.consents || []).includes(me)) box.append(el("p", "hint-text", t("pb.edit.mine.done", { n: consents, of: authors })));
    else if (mine && may(this.welcome, "proposal.consent")) {
      box.append(el("p", "hint-text", t("pb.edit.ask", { n: consents, of: authors })));
      const row = el("div", "btn-row");
      const yes = button("small-btn primary", t("pb.consent.yes"), () => this.consent(p, true));
      yes.dataset.action = "consent-yes";
      const no = button("small-btn", t("pb.consent.no"), () => this.consent(p, false));
      no.dataset.action = "consent-no";
      for (const b of [yes, no]) {
        b.setAttribute("aria-describedby", title);
        b.disabled = this.pb.busy.has(p.id);
      }
      row.append(yes, no);
      box.append(row);
    } else box.append(el("p", "hint-text", t("pb.edit.others", { n: consents, of: authors })));
    return box;
  }

  toggleComments(id) {
    if (this.pb.open.has(id)) this.pb.open.delete(id);
    else this.pb.open.add(id);
    this.renderList();
  }

  async _loadComments(id, count) {
    if ((this.pb.asked.get(id) ?? -1) >= count || !this.conn.live) return;
    this.pb.asked.set(id, count);
    try {
      const r = await this.conn.request("proposal.get", { meeting: this.meeting, proposal: id });
      this.pb.comments.set(id, r.comments || []);
    } catch (err) {
      this._say(id, errText(err), true);
      this.pb.comments.set(id, this.pb.comments.get(id) || []);
    } finally {
      this.renderList();
    }
  }

  /** The comments of one proposal (asked with `proposal.get` when opened, and again when the
   * channel says there are more) and the form to add one. The form's nodes are kept across renders
   * so what is being typed stays, focus included. */
  _commentsBox(p) {
    const known = this.pb.comments.get(p.id);
    if (!known || known.length < (p.comments || 0)) this._loadComments(p.id, p.comments || 0);
    const box = el("div", "prop-comments");
    box.id = `proposal-${p.id}-comments`;
    box.append(el("h5", "proposal-label", t("pb.comments.heading")));
    const list = el("ul", "prop-comment-list");
    for (const c of known || []) {
      const item = el("li", "prop-comment");
      item.append(el("p", "qa-meta", `${c.by ? c.by.name : ""} · ${fmtTime(c.at || 0)}`), el("p", "proposal-text", c.text));
      list.append(item);
    }
    if (!known) list.append(el("li", "hint-text", t("prop.loading")));
    else if (!known.length) list.append(el("li", "hint-text", t("pb.comments.none")));
    box.append(list);
    if (may(this.welcome, "proposal.comment") && ["submitted", "shortlisted"].includes(p.state)) box.append(this._commentForm(p.id));
    return box;
  }

  _commentForm(id) {
    let f = this.pb.boxes.get(id);
    if (!f) {
      const form = el("form", "prop-comment-form");
      form.noValidate = true;
      const label = el("label", "field-label");
      label.htmlFor = `proposal-${id}-comment`;
      const text = el("textarea", "input");
      text.id = `proposal-${id}-comment`;
      text.rows = 2;
      const send = el("button", "small-btn primary");
      send.type = "submit";
      form.append(label, text, send);
      form.addEventListener("submit", (e) => {
        e.preventDefault();
        this.sendComment(id);
      });
      f = { form, label, text, send };
      this.pb.boxes.set(id, f);
    }
    f.label.textContent = t("pb.comment.label", { max: COMMENT_CHARS });
    f.send.textContent = t("pb.comment.send");
    f.send.disabled = this.pb.busy.has(id);
    return f.form;
  }

  async sendComment(id) {
    const f = this.pb.boxes.get(id);
    const text = f.text.value.trim();
    if (!text || [...text].length > COMMENT_CHARS) {
      this._say(id, t(text ? "pb.comment.long" : "pb.comment.empty", { max: COMMENT_CHARS }), true);
      this.renderList();
      f.text.focus();
      return;
    }
    const p = this.state.items.get(id);
    const r = await this._run(p, "proposal.comment", { text }, t("pb.commented"));
    if (!r) return;
    f.text.value = "";
    const list = this.pb.comments.get(id) || [];
    if (!list.some((c) => c.n === r.comment.n)) list.push(r.comment);
    this.pb.comments.set(id, list);
    this.state._set(id, { comments: Math.max(this.state.items.get(id)?.comments || 0, r.comment.n) });
    this.renderList();
  }
}
