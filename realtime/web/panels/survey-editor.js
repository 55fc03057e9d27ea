// The host console's surveys (issue 13): write a survey of several questions, each single choice,
// multiple choice or short text; open it, close it, show its results or publish them, and count
// the answers per question. It is the polls machinery (moderation/polls.py, `poll.create` with
// kind "survey", channel meeting/<m>/polls): the hub validates the definition again (`bad_poll`)
// and panelists answer in their "투표·설문" tab (panels/polls.js).
//
// The per-question counts are the hub's (`GET /api/meetings/<m>/polls/<id>/counts`, hosts only,
// counted by moderation/polls.py `count_answers`), so a host sees them before deciding to show them
// to anyone; the CSV export stays for reading the answers themselves.
//
// Mount: new SurveyEditor(conn, sectionElement); setWelcome, setMeeting, rerender.

import { t } from "../lib/i18n.js";
import { button, el, errText, followState, may, setChildren } from "../lib/meeting-common.js";
import { PollsState } from "./polls.js";

const KINDS = ["single", "multiple", "text"];
const MAX_QUESTIONS = 30;

/** The hub's counts (GET .../polls/<id>/counts: {questions: [{id, answered, options}]}) by question id. */
export function countsById(reply) {
  const out = {};
  for (const q of reply.questions || []) out[q.id] = { answered: q.answered, options: q.options || [] };
  return out;
}

export class SurveyEditor {
  constructor(conn, section) {
    this.conn = conn;
    this.section = section;
    this.welcome = null;
    this.meeting = null;
    this.sub = null;
    this.state = new PollsState();
    this.counts = new Map(); // survey id -> countsById of the hub's counts
    this.seq = 0; // question numbers, for ids and labels
    section.setAttribute("aria-labelledby", "survey-heading");
    this.heading = el("h2", "panel-heading");
    this.heading.id = "survey-heading";
    this.intro = el("p", "hint-text");
    this.form = el("form", "form");
    this.form.noValidate = true;
    this.titleInput = el("input", "input");
    this.titleInput.type = "text";
    this.titleInput.maxLength = 200;
    this.titleInput.autocomplete = "off";
    this.fTitle = this._field("sv-title", this.titleInput);
    this.questions = el("div", "form");
    this.add = button("small-btn", "", () => this._addQuestion(true));
    this.msg = el("p", "ok-text");
    this.msg.setAttribute("role", "status");
    this.error = el("p", "error");
    this.error.setAttribute("role", "alert");
    this.error.hidden = true;
    this.submit = el("button", "cast");
    this.submit.type = "submit";
    this.form.append(this.fTitle, this.questions, this.add, this.error, this.msg, this.submit);
    this.form.addEventListener("submit", (e) => {
      e.preventDefault();
      this._create();
    });
    this.listHeading = el("h3", "sub-heading");
    this.list = el("ul", "media-list");
    section.append(this.heading, this.intro, this.form, this.listHeading, this.list);
    section.hidden = true;
    this._addQuestion(false);
  }

  _field(id, input, labelKey) {
    const f = el("div", "field");
    const l = el("label", "field-label");
    l.htmlFor = id;
    l.dataset.key = labelKey || "";
    input.id = id;
    f.append(l, input);
    return f;
  }

  _addQuestion(focus) {
    if (this.questions.children.length >= MAX_QUESTIONS) return;
    this.seq += 1;
    const n = this.seq;
    const fs = el("fieldset", "survey-q");
    fs.dataset.q = String(n);
    const legend = el("legend", "");
    const prompt = el("input", "input sv-prompt");
    prompt.type = "text";
    prompt.maxLength = 500;
    prompt.autocomplete = "off";
    const kind = el("select", "select sv-kind");
    const options = el("textarea", "input sv-options");
    options.rows = 3;
    const fPrompt = this._field(`sv-${n}-prompt`, prompt, "sv.prompt");
    const fKind = this._field(`sv-${n}-kind`, kind, "sv.kind");
    const fOptions = this._field(`sv-${n}-options`, options, "sv.options");
    const remove = button("small-btn danger", "", () => {
      fs.remove();
      this.render();
      this.add.focus();
    });
    kind.addEventListener("change", () => {
      fOptions.hidden = kind.value === "text";
    });
    fs.append(legend, fPrompt, fKind, fOptions, remove);
    fs._parts = { legend, prompt, kind, options, fOptions, remove };
    this.questions.append(fs);
    this.render();
    if (focus) prompt.focus();
  }

  setWelcome(w) {
    this.welcome = w;
    this.section.hidden = !may(w, "poll.create");
    this.render();
  }

  setMeeting(id) {
    if (this.meeting === id && this.sub) return;
    this.meeting = id;
    this.state = new PollsState();
    this.counts.clear();
    this.sub?.close();
    this.sub = null;
    if (id && may(this.welcome, "poll.create")) {
      this.sub = followState(this.conn, `meeting/${id}/polls`, {
        onSnapshot: (s) => this.state.snapshot(s),
        onEvents: (events, info) => {
          if (!info.snapshot) for (const e of events) this.state.apply(e);
          this.renderList();
        },
      });
    }
    this.render();
  }

  rerender() {
    this.render();
  }

  /** The definition from the form, or {error}: the hub's rules (moderation/polls.py), said first here. */
  read() {
    const title = this.titleInput.value.trim();
    if (!title) return { error: t("sv.err.title") };
    const qs = [...this.questions.children];
    if (!qs.length) return { error: t("sv.err.none") };
    const questions = [];
    for (const [i, fs] of qs.entries()) {
      const p = fs._parts;
      const prompt = p.prompt.value.trim();
      if (!prompt) return { error: t("sv.err.prompt", { n: i + 1 }), focus: p.prompt };
      const kind = p.kind.value;
      const q = { id: `q${i + 1}`, kind, prompt };
      if (kind !== "text") {
        const options = p.options.value.split("\n").map((s) => s.trim()).filter(Boolean);
        if (options.length < 2 || options.length > 20 || new Set(options).size !== options.length) {
          return { error: t("sv.err.options", { n: i + 1 }), focus: p.options };
        }
        q.options = options;
      } else q.required = false;
      questions.push(q);
    }
    return { poll: { id: `s${Date.now().toString(36)}`, title, kind: "survey", questions } };
  }

  async _create() {
    const { poll, error, focus } = this.read();
    this.msg.textContent = "";
    this.error.hidden = !error;
    this.error.textContent = error || "";
    if (error) {
      (focus || this.titleInput).focus();
      return;
    }
    try {
      await this.conn.request("poll.create", { meeting: this.meeting, poll });
      this.msg.textContent = t("sv.done.create", { title: poll.title });
      this.titleInput.value = "";
      setChildren(this.questions);
      this._addQuestion(false);
    } catch (err) {
      this.error.hidden = false;
      this.error.textContent = errText(err);
    }
  }

  async act(kind, fields, done) {
    this.error.hidden = true;
    try {
      await this.conn.request(kind, { meeting: this.meeting, ...fields });
      this.msg.textContent = t(done);
    } catch (err) {
      this.error.hidden = false;
      this.error.textContent = errText(err);
    }
  }

  async _count(p) {
    try {
      const resp = await fetch(`/api/meetings/${encodeURIComponent(this.meeting)}/polls/${encodeURIComponent(p.id)}/counts`, {
        headers: { Authorization: `Bearer ${this.conn.token}` },
        cache: "no-store",
      });
      if (!resp.ok) throw new Error(String(resp.status));
      this.counts.set(p.id, countsById(await resp.json()));
      this.renderList();
    } catch (err) {
      this.error.hidden = false;
      this.error.textContent = t("sv.err.count", { message: err.message || "" });
    }
  }

  render() {
    this.heading.textContent = t("sv.heading");
    this.intro.textContent = t("sv.intro");
    this.fTitle.firstChild.textContent = t("sv.title");
    this.add.textContent = t("sv.add");
    this.add.disabled = this.questions.children.length >= MAX_QUESTIONS;
    this.submit.textContent = t("sv.create");
    [...this.questions.children].forEach((fs, i) => {
      const p = fs._parts;
      p.legend.textContent = t("sv.question", { n: i + 1 });
      for (const f of fs.querySelectorAll("label[data-key]")) f.textContent = t(f.dataset.key);
      const kind = p.kind.value || "single";
      setChildren(
        p.kind,
        ...KINDS.map((k) => {
          const o = el("option", "", t(`sv.kind.${k}`));
          o.value = k;
          return o;
        }),
      );
      p.kind.value = kind;
      p.fOptions.hidden = kind === "text";
      p.remove.textContent = t("sv.remove");
      p.remove.setAttribute("aria-label", t("sv.remove.n", { n: i + 1 }));
      p.remove.hidden = this.questions.children.length < 2;
    });
    this.renderList();
  }

  renderList() {
    this.listHeading.textContent = t("sv.list");
    const surveys = this.state.list().filter((p) => p.kind === "survey");
    const focused = document.activeElement && this.list.contains(document.activeElement) ? document.activeElement.id : null;
    const items = surveys.map((p) => {
      const li = el("li", "media-item survey-item");
      li.dataset.poll = p.id;
      const title = p.title || p.id;
      li.append(el("span", "", `${title} · ${t(`poll.status.${p.status}`)} · ${t("poll.answered.n", { n: p.answered || 0 })}`));
      const row = el("div", "btn-row");
      const add = (key, cls, fn) => {
        const b = button(`small-btn${cls ? ` ${cls}` : ""}`, t(key), fn);
        b.id = `sv-${p.id}-${key.replace(/\W/g, "-")}`;
        b.setAttribute("aria-label", `${t(key)}: ${title}`);
        row.append(b);
      };
      if (p.status === "draft") add("pc.open", "primary", () => this.act("poll.open", { poll: p.id }, "pc.done.open"));
      if (p.status === "open") add("pc.close", "danger", () => this.act("poll.close", { poll: p.id }, "pc.done.close"));
      if (p.status === "open" || p.status === "closed") {
        add(p.visible ? "pc.hide" : "pc.show", "", () => this.act("poll.results", { poll: p.id, visible: !p.visible }, "pc.done.results"));
      }
      if (p.status === "closed") add("pc.publish", "primary", () => this.act("poll.publish", { poll: p.id }, "pc.done.publish"));
      if (p.status !== "draft") add("sv.count", "", () => this._count(p));
      li.append(row);
      const counts = this.counts.get(p.id);
      if (counts) {
        const ol = el("ol", "survey-counts");
        for (const q of p.questions || []) {
          const c = counts[q.id] || { answered: 0, options: [] };
          const li2 = el("li", "");
          li2.dataset.q = q.id;
          const labels = q.options && q.options.length ? q.options : q.kind === "scale" ? ["1", "2", "3", "4", "5"] : [];
          const opts = labels.map((o, i) => t("sv.count.option", { option: o, n: c.options[i] || 0 }));
          li2.textContent = [t("sv.count.q", { prompt: q.prompt, n: c.answered }), ...opts].join(" · ");
          ol.append(li2);
        }
        li.append(ol);
      }
      return li;
    });
    if (!items.length) items.push(el("li", "hint-text", t("sv.none")));
    setChildren(this.list, ...items);
    if (focused) document.getElementById(focused)?.focus();
  }
}
