// Polls and surveys (channel meeting/<m>/polls): the panelists' tab (answer an open poll once, see
// the live results while the host shows them) and the hosts' quick-poll controls (create, open,
// close, show or hide results, publish, CSV export), mounted inside the stage controls.
//
// Mount: new PollsPanel(conn, sectionElement, {onCount}); new PollControls(conn, {status}) whose
// .root the stage controls place. Both: setWelcome, setMeeting, rerender.

import { t } from "../lib/i18n.js";
import { button, el, errText, followState, may, setChildren } from "../lib/meeting-common.js";

/** The polls of one meeting, by id, from the channel's snapshot and events. */
export class PollsState {
  constructor() {
    this.polls = new Map();
  }

  snapshot(s) {
    this.polls.clear();
    for (const [k, v] of Object.entries(s || {})) if (k.startsWith("poll:") && v && v.id) this.polls.set(v.id, v);
  }

  apply(e) {
    const d = e.data || {};
    if (e.event === "poll.results") {
      const p = this.polls.get(d.id);
      if (!p) return;
      if (typeof d.answered === "number") p.answered = d.answered;
      if (d.results) p.results = d.results;
    } else if (e.event && e.event.startsWith("poll.") && d.poll && d.poll.id) {
      this.polls.set(d.poll.id, d.poll);
    }
  }

  list() {
    return [...this.polls.values()];
  }
}

function follow(conn, meeting, state, render) {
  return followState(conn, `meeting/${meeting}/polls`, {
    onSnapshot: (s) => state.snapshot(s),
    onEvents: (events, info) => {
      if (!info.snapshot) for (const e of events) state.apply(e);
      render();
    },
  });
}

/** Results of one question as a list: label, count, a meter. */
function resultsList(q, counts) {
  if (q.kind === "text") return el("p", "poll-count", t("poll.text.count", { n: Number(counts) || 0 }));
  const list = el("ul", "poll-results");
  const values = Array.isArray(counts) ? counts.map((n) => Number(n) || 0) : [];
  const total = values.reduce((a, b) => a + b, 0);
  const labels = q.kind === "scale" ? [1, 2, 3, 4, 5].map((n, i) => (q.options && q.options[i] ? `${n} · ${q.options[i]}` : String(n))) : q.options || [];
  labels.forEach((label, i) => {
    const n = values[i] || 0;
    const li = el("li", "poll-result");
    const name = el("span", "poll-option", label);
    const count = el("span", "poll-count", t("poll.count", { n }));
    const meter = el("meter", "poll-meter");
    meter.min = 0;
    meter.max = Math.max(1, total);
    meter.value = n;
    meter.setAttribute("aria-hidden", "true");
    li.append(name, count, meter);
    list.append(li);
  });
  return list;
}

function statusText(p) {
  return t(`poll.status.${p.status}`);
}

// -- panelists ---------------------------------------------------------------------------------------
const ANSWERED_KEY = "plenary.polls.answered";

export class PollsPanel {
  constructor(conn, root, { onCount = () => {} } = {}) {
    this.conn = conn;
    this.root = root;
    this.onCount = onCount;
    this.welcome = null;
    this.meeting = null;
    this.sub = null;
    this.state = new PollsState();
    this.cards = new Map(); // poll id -> {card, form, ...} (forms keep what is being chosen)
    this.heading = el("h2", "panel-heading", "");
    this.heading.id = "polls-heading";
    this.root.setAttribute("aria-labelledby", "polls-heading");
    this.intro = el("p", "hint-text", "");
    this.list = el("div", "poll-list");
    this.empty = el("p", "hint-text", "");
    setChildren(this.root, this.heading, this.intro, this.empty, this.list);
    // One state per action (issue 13): offline, every open poll's button says at once, in one line,
    // that its answers cannot go yet (the choices are kept), not only when it is pressed.
    conn.watch((state) => this._offline(state !== "live"));
  }

  _offline(off) {
    const line = t("offline.send");
    for (const c of this.cards.values()) {
      c.submit.setAttribute("aria-disabled", String(off));
      if (off && !c.busy) {
        c.msg.textContent = line;
        c.msg.hidden = false;
      } else if (!off && c.msg.textContent === line) {
        c.msg.textContent = "";
        c.msg.hidden = true;
      }
    }
  }

  setWelcome(w) {
    this.welcome = w;
    this.render();
  }

  setMeeting(id) {
    if (this.meeting === id && this.sub) return;
    this.meeting = id;
    this.state = new PollsState();
    for (const c of this.cards.values()) c.card.remove();
    this.cards.clear();
    this.sub?.close();
    this.sub = follow(this.conn, id, this.state, () => this.render());
    this.render();
  }

  rerender() {
    for (const c of this.cards.values()) c.card.remove();
    this.cards.clear();
    this.render();
  }

  _answeredKey(pollId) {
    return `${(this.welcome && this.welcome.participant) || ""}/${this.meeting}/${pollId}`;
  }

  _answered(pollId) {
    try {
      return (JSON.parse(localStorage.getItem(ANSWERED_KEY) || "[]") || []).includes(this._answeredKey(pollId));
    } catch {
      return false;
    }
  }

  _markAnswered(pollId) {
    try {
      const list = JSON.parse(localStorage.getItem(ANSWERED_KEY) || "[]") || [];
      list.push(this._answeredKey(pollId));
      localStorage.setItem(ANSWERED_KEY, JSON.stringify(list.slice(-200)));
    } catch {
      /* no storage: the hub still refuses a second answer */
    }
  }

  render() {
    this.heading.textContent = t("poll.heading");
    this.intro.textContent = t("poll.intro");
    const shown = this.state.list().filter((p) => p.status === "open" || (p.status !== "draft" && p.results));
    this.onCount(shown.filter((p) => p.status === "open" && !this._answered(p.id)).length);
    this.empty.textContent = t("poll.none");
    this.empty.hidden = shown.length > 0;
    const ids = new Set(shown.map((p) => p.id));
    for (const [id, c] of this.cards) {
      if (!ids.has(id)) {
        c.card.remove();
        this.cards.delete(id);
      }
    }
    // The hub's order, moving a card only when it is out of place: a card taken out and put back
    // (as an append of a card already there does) loses a click in progress, so a panelist pressing
    // "답 보내기" while another panelist's answer redraws the counts saw nothing happen.
    let place = this.list.firstElementChild;
    for (const p of shown) {
      let c = this.cards.get(p.id);
      if (!c) {
        c = this._card(p);
        this.cards.set(p.id, c);
      }
      if (c.card === place) place = place.nextElementSibling;
      else this.list.insertBefore(c.card, place);
      this._update(c, p);
    }
    if (this.conn.state !== "live") this._offline(true); // a card made while offline says so too
  }

  _card(p) {
    const card = el("article", "poll-card");
    card.dataset.poll = p.id;
    const hid = `poll-${p.id}-title`;
    card.setAttribute("aria-labelledby", hid);
    const title = el("h3", "poll-title", p.title || "");
    title.id = hid;
    const status = el("p", "poll-status");
    const form = el("form", "poll-form");
    form.noValidate = true;
    const inputs = [];
    (p.questions || []).forEach((q, qi) => {
      const name = `poll-${p.id}-${q.id}`;
      const fs = el("fieldset", "poll-q");
      fs.append(el("legend", "poll-prompt", q.prompt || ""));
      if (q.kind === "text") {
        const area = el("textarea", "input");
        area.rows = 3;
        area.maxLength = 2000;
        area.id = name;
        area.setAttribute("aria-label", q.prompt || t("poll.text"));
        fs.append(area);
        inputs.push({ q, get: () => area.value.trim() || null });
      } else {
        const multiple = q.kind === "multiple";
        const labels = q.kind === "scale" ? [1, 2, 3, 4, 5].map((n, i) => (q.options && q.options[i] ? `${n} · ${q.options[i]}` : String(n))) : q.options || [];
        const boxes = labels.map((label, i) => {
          const lab = el("label", "poll-choice");
          const input = el("input");
          input.type = multiple ? "checkbox" : "radio";
          input.name = name;
          input.value = String(q.kind === "scale" ? i + 1 : i);
          lab.append(input, el("span", "", label));
          fs.append(lab);
          return input;
        });
        if (q.kind === "scale") fs.append(el("p", "hint-text", t("poll.scale.hint")));
        if (multiple) fs.append(el("p", "hint-text", t("poll.multiple.hint")));
        inputs.push({
          q,
          get: () => {
            const on = boxes.filter((b) => b.checked).map((b) => Number(b.value));
            if (multiple) return on.length ? on : null;
            return on.length ? on[0] : null;
          },
        });
      }
      if (qi === 0) fs.classList.add("first");
      form.append(fs);
    });
    const msg = el("p", "error");
    msg.setAttribute("role", "alert");
    msg.hidden = true;
    const submit = el("button", "cast", t("poll.submit"));
    submit.type = "submit";
    form.append(msg, submit);
    const done = el("p", "poll-done");
    done.tabIndex = -1;
    const results = el("div", "poll-results-box");
    results.setAttribute("aria-live", "polite");
    card.append(title, status, form, done, results);
    const c = { card, form, msg, submit, done, results, status, busy: false, refused: null };
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      this._send(c, p.id, inputs);
    });
    return c;
  }

  async _send(c, pollId, inputs) {
    if (c.busy) return;
    const answers = {};
    for (const { q, get } of inputs) {
      const v = get();
      if (v === null) {
        if (q.required !== false) {
          c.msg.textContent = t("poll.err.required", { prompt: q.prompt || "" });
          c.msg.hidden = false;
          return;
        }
        continue;
      }
      answers[q.id] = v;
    }
    if (!this.conn.live) {
      // offline: say so in one line and keep the answers (nothing pretends to be sent)
      c.msg.textContent = t("offline.send");
      c.msg.hidden = false;
      return;
    }
    c.busy = true;
    c.submit.disabled = true;
    c.msg.hidden = true;
    try {
      await this.conn.request("poll.answer", { meeting: this.meeting, poll: pollId, answers });
      this._markAnswered(pollId);
      c.refused = null;
    } catch (err) {
      if (err.name === "already_answered") this._markAnswered(pollId);
      c.refused = errText(err);
    } finally {
      c.busy = false;
      c.submit.disabled = false;
      this.render();
      (c.done.hidden ? c.submit : c.done).focus();
    }
  }

  _update(c, p) {
    const answered = this._answered(p.id);
    const canAnswer = p.status === "open" && !answered && may(this.welcome, "poll.answer");
    c.status.textContent = `${statusText(p)} · ${t("poll.answered.n", { n: p.answered || 0 })}`;
    c.form.hidden = !canAnswer;
    c.done.hidden = !answered && !c.refused;
    c.done.textContent = c.refused ? c.refused : answered ? t("poll.answered.me") : "";
    c.done.classList.toggle("error", !!c.refused);
    c.done.setAttribute("role", c.refused ? "alert" : "status");
    if (p.results) {
      const nodes = [el("h4", "sub-heading", t(p.status === "published" ? "poll.results.final" : "poll.results.live"))];
      const qs = p.questions || [];
      for (const q of qs) {
        const block = el("div", "poll-q-results");
        if (qs.length > 1 || q.prompt !== p.title) block.append(el("p", "poll-prompt", q.prompt || ""));
        block.append(resultsList(q, p.results[q.id]));
        nodes.push(block);
      }
      setChildren(c.results, ...nodes);
      c.results.hidden = false;
    } else {
      setChildren(c.results);
      c.results.hidden = true;
    }
  }
}

// -- hosts --------------------------------------------------------------------------------------------
export class PollControls {
  constructor(conn, { status = () => {} } = {}) {
    this.conn = conn;
    this.status = status;
    this.welcome = null;
    this.meeting = null;
    this.sub = null;
    this.state = new PollsState();
    this.root = el("div", "stage-block poll-controls");
    this._build();
  }

  _build() {
    this.heading = el("h3", "sub-heading", "");
    this.form = el("form", "form");
    this.form.noValidate = true;
    this.question = el("input", "input");
    this.question.type = "text";
    this.question.maxLength = 300;
    this.kind = el("select", "select");
    this.options = el("textarea", "input");
    this.options.rows = 4;
    this.optHint = el("p", "hint-text", "");
    this.optHint.id = "pc-options-hint";
    this.options.setAttribute("aria-describedby", "pc-options-hint");
    this.create = el("button", "small-btn primary", "");
    this.create.type = "submit";
    this.fQuestion = this._field("pc-question", this.question);
    this.fKind = this._field("pc-kind", this.kind);
    this.fOptions = this._field("pc-options", this.options);
    this.form.append(this.fQuestion, this.fKind, this.fOptions, this.optHint, this.create);
    this.kind.addEventListener("change", () => this._kindChanged());
    this.form.addEventListener("submit", (e) => {
      e.preventDefault();
      this._create();
    });
    this.list = el("ul", "mod-list poll-admin");
    setChildren(this.root, this.heading, this.form, this.list);
  }

  _field(id, input) {
    const f = el("div", "field");
    const l = el("label", "field-label", "");
    l.htmlFor = id;
    input.id = id;
    f.append(l, input);
    return f;
  }

  _kindChanged() {
    this.fOptions.hidden = this.kind.value === "scale";
    this.optHint.hidden = this.fOptions.hidden;
  }

  setWelcome(w) {
    this.welcome = w;
    this.root.hidden = !may(w, "poll.create");
    this.render();
  }

  setMeeting(id) {
    if (this.meeting === id && this.sub) return;
    this.meeting = id;
    this.state = new PollsState();
    this.sub?.close();
    this.sub = null;
    if (!id || !may(this.welcome, "poll.create")) return this.render();
    this.sub = follow(this.conn, id, this.state, () => this.render());
    this.render();
  }

  rerender() {
    this.render();
  }

  async act(kind, fields, done) {
    try {
      const r = await this.conn.request(kind, { meeting: this.meeting, ...fields });
      this.status(done ? t(done) : "", false);
      return r;
    } catch (err) {
      this.status(errText(err), true);
      return null;
    }
  }

  async _create() {
    const prompt = this.question.value.trim();
    const kind = this.kind.value;
    const options = kind === "scale" ? [] : this.options.value.split("\n").map((s) => s.trim()).filter(Boolean);
    if (!prompt) return this.status(t("pc.err.question"), true);
    if (kind !== "scale" && options.length < 2) return this.status(t("pc.err.options"), true);
    const id = `q${Date.now().toString(36)}`;
    const poll = { id, title: prompt, kind: "poll", questions: [{ id: "q", kind, prompt, options }] };
    if (await this.act("poll.create", { poll }, "pc.done.create")) {
      this.question.value = "";
      this.options.value = "";
    }
  }

  async _csv(p) {
    try {
      const resp = await fetch(`/api/meetings/${encodeURIComponent(this.meeting)}/polls/${encodeURIComponent(p.id)}.csv`, {
        headers: { Authorization: `Bearer ${this.conn.token}` },
        cache: "no-store",
      });
      if (!resp.ok) throw new Error(String(resp.status));
      const url = URL.createObjectURL(await resp.blob());
      const a = el("a");
      a.href = url;
      a.download = `${this.meeting}-${p.id}.csv`;
      a.hidden = true;
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 60_000);
      this.status(t("pc.done.csv"), false);
    } catch (err) {
      this.status(t("pc.err.csv", { message: err.message || "" }), true);
    }
  }

  render() {
    if (this.root.hidden) return;
    this.heading.textContent = t("pc.heading");
    this.fQuestion.firstChild.textContent = t("pc.question");
    this.fKind.firstChild.textContent = t("pc.kind");
    this.fOptions.firstChild.textContent = t("pc.options");
    this.optHint.textContent = t("pc.options.hint");
    this.create.textContent = t("pc.create");
    const kind = this.kind.value || "single";
    setChildren(
      this.kind,
      ...["single", "multiple", "scale"].map((k) => {
        const o = el("option", "", t(`pc.kind.${k}`));
        o.value = k;
        return o;
      }),
    );
    this.kind.value = kind;
    this._kindChanged();

    const focused = document.activeElement && this.list.contains(document.activeElement) ? document.activeElement.id : null;
    const items = this.state.list().map((p) => {
      const li = el("li", "mod-item poll-item");
      li.dataset.poll = p.id;
      const title = p.title || p.id;
      li.append(el("span", "hand-name", title), el("span", "poll-status", `${statusText(p)} · ${t("poll.answered.n", { n: p.answered || 0 })}`));
      const row = el("div", "btn-row");
      const add = (key, cls, fn) => {
        const b = button(`small-btn${cls ? ` ${cls}` : ""}`, t(key), fn);
        b.id = `pc-${p.id}-${key.replace(/\W/g, "-")}`;
        b.setAttribute("aria-label", `${t(key)}: ${title}`);
        row.append(b);
        return b;
      };
      if (p.status === "draft") add("pc.open", "primary", () => this.act("poll.open", { poll: p.id }, "pc.done.open"));
      if (p.status === "open") add("pc.close", "danger", () => this.act("poll.close", { poll: p.id }, "pc.done.close"));
      if (p.status === "open" || p.status === "closed") {
        const b = add(p.visible ? "pc.hide" : "pc.show", "", () => this.act("poll.results", { poll: p.id, visible: !p.visible }, "pc.done.results"));
        b.setAttribute("aria-pressed", String(!!p.visible));
      }
      if (p.status === "closed") add("pc.publish", "primary", () => this.act("poll.publish", { poll: p.id }, "pc.done.publish"));
      if (p.status !== "draft") add("pc.csv", "", () => this._csv(p));
      li.append(row);
      if (p.results) for (const q of p.questions || []) li.append(resultsList(q, p.results[q.id]));
      return li;
    });
    if (!items.length) items.push(el("li", "mod-empty", t("pc.none")));
    setChildren(this.list, ...items);
    if (focused) document.getElementById(focused)?.focus();
  }
}
