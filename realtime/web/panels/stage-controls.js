// The hosts' stage controls (inside the moderators' console, for roles whose `may` has the
// commands): the agenda and its current item, the slide (an https URL), and the stream overlay
// (a text, the slide, or nothing; the question on air gets there through "put on air"), and quick
// polls (polls.js: create, open, close, show results, publish, CSV).
//
// Mount: new StageControls(conn, sectionElement, {status}); setWelcome, setMeeting, rerender.

import { t } from "../lib/i18n.js";
import { button, el, errText, followState, may, setChildren } from "../lib/meeting-common.js";
import { PollControls } from "./polls.js";

export class StageControls {
  constructor(conn, root, { status = () => {} } = {}) {
    this.conn = conn;
    this.root = root;
    this.status = status;
    this.welcome = null;
    this.meeting = null;
    this.agenda = { items: [], current: null, slide: null };
    this.item = null; // the overlay's
    this.subs = [];
    this.draft = null; // the agenda text being edited (kept across renders)
    this.polls = new PollControls(conn, { status }); // its own block, kept across renders
  }

  setWelcome(w) {
    this.welcome = w;
    this.root.hidden = !may(w, "agenda.set");
    this.polls.setWelcome(w);
    this.render();
  }

  setMeeting(id) {
    this.meeting = id;
    for (const s of this.subs) s.close();
    this.agenda = { items: [], current: null, slide: null };
    this.item = null;
    this.draft = null;
    this.polls.setMeeting(id);
    if (this.root.hidden) return;
    this.subs = [
      followState(this.conn, `meeting/${id}/agenda`, {
        onSnapshot: (s) => {
          this.agenda = { items: s.items || [], current: s.current || null, slide: s.slide || null };
        },
        onEvents: (events, info) => {
          if (!info.snapshot) {
            for (const e of events) {
              const d = e.data || {};
              if (e.event === "agenda.items") {
                this.agenda.items = d.items || [];
                if ("current" in d) this.agenda.current = d.current;
              } else if (e.event === "agenda.current") this.agenda.current = d.current || null;
              else if (e.event === "slide.shown" || e.event === "slide.cleared") this.agenda.slide = d.slide || null;
            }
          }
          this.render();
        },
      }),
      followState(this.conn, `overlay/${id}`, {
        onSnapshot: (s) => {
          this.item = s.item || null;
        },
        onEvents: (events, info) => {
          if (!info.snapshot) {
            for (const e of events) {
              if (e.event === "overlay.shown") this.item = (e.data || {}).item || null;
              else if (e.event === "overlay.cleared") this.item = null;
            }
          }
          this.render();
        },
      }),
    ];
    this.render();
  }

  rerender() {
    this.polls.rerender();
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

  _field(id, labelKey, input) {
    const f = el("div", "field");
    const l = el("label", "field-label", t(labelKey));
    l.htmlFor = id;
    input.id = id;
    f.append(l, input);
    return f;
  }

  render() {
    if (this.root.hidden) return;
    const heading = el("h2", "panel-heading", t("st.heading"));
    heading.id = "stage-heading";
    this.root.setAttribute("aria-labelledby", "stage-heading");

    // -- overlay
    const ov = el("div", "stage-block");
    ov.append(el("h3", "sub-heading", t("st.overlay")));
    const now = el("p", "stage-now");
    now.id = "overlay-now";
    now.textContent = this._overlayText();
    const olink = el("a", "", t("st.overlay.link"));
    olink.href = `/static/overlay.html?meeting=${encodeURIComponent(this.meeting || "")}`;
    olink.target = "_blank";
    olink.rel = "noopener";
    const textForm = el("form", "mod-settings");
    textForm.noValidate = true;
    const text = el("input", "input");
    text.type = "text";
    text.maxLength = 300;
    textForm.append(this._field("st-text", "st.text", text));
    const show = el("button", "small-btn primary", t("st.text.show"));
    show.type = "submit";
    textForm.append(show);
    textForm.addEventListener("submit", async (e) => {
      e.preventDefault();
      if (!text.value.trim()) return;
      if (await this.act("overlay.show", { text: text.value.trim() }, "st.done.overlay")) text.value = "";
    });
    const row = el("div", "btn-row");
    row.append(
      button("small-btn", t("st.overlay.slide"), () => this.act("overlay.show", { slide: true }, "st.done.overlay")),
      button("small-btn danger", t("st.overlay.clear"), () => this.act("overlay.clear", {}, "st.done.overlay.clear")),
    );
    ov.append(now, textForm, row, el("p", "hint-text", t("st.overlay.hint")), olink);

    // -- slide
    const sl = el("div", "stage-block");
    sl.append(el("h3", "sub-heading", t("st.slide")));
    const cur = this.agenda.slide;
    sl.append(el("p", "stage-now", cur ? t("st.slide.now", { title: cur.title || cur.url || "" }) : t("st.slide.none")));
    const slideForm = el("form", "mod-settings");
    slideForm.noValidate = true;
    const url = el("input", "input");
    url.type = "url";
    url.placeholder = "https://";
    const title = el("input", "input");
    title.type = "text";
    title.maxLength = 200;
    slideForm.append(this._field("st-slide-url", "st.slide.url", url), this._field("st-slide-title", "st.slide.title", title));
    const showSlide = el("button", "small-btn primary", t("st.slide.show"));
    showSlide.type = "submit";
    slideForm.append(showSlide);
    slideForm.addEventListener("submit", async (e) => {
      e.preventDefault();
      const fields = { url: url.value.trim() };
      if (title.value.trim()) fields.title = title.value.trim();
      if (await this.act("slide.show", fields, "st.done.slide")) {
        url.value = "";
        title.value = "";
      }
    });
    const clearSlide = button("small-btn danger", t("st.slide.clear"), () => this.act("slide.clear", {}, "st.done.slide.clear"));
    clearSlide.disabled = !cur;
    sl.append(slideForm, clearSlide);

    // -- agenda
    const ag = el("div", "stage-block");
    ag.append(el("h3", "sub-heading", t("st.agenda")));
    const list = el("ol", "mod-list agenda-list");
    const current = this.agenda.current && this.agenda.current.item;
    for (const it of this.agenda.items) {
      const li = el("li", `mod-item agenda-item${it.id === current ? " current" : ""}`);
      li.append(el("span", "hand-name", it.minutes ? t("st.agenda.item", { title: it.title, m: it.minutes }) : it.title));
      const b = button(`small-btn${it.id === current ? " primary" : ""}`, t(it.id === current ? "st.agenda.current" : "st.agenda.make"), () =>
        this.act("agenda.current", { item: it.id }, "st.done.agenda"),
      );
      b.setAttribute("aria-pressed", String(it.id === current));
      b.setAttribute("aria-label", `${b.textContent}: ${it.title}`);
      li.append(b);
      list.append(li);
    }
    if (!this.agenda.items.length) list.append(el("li", "mod-empty", t("st.agenda.empty")));
    const agForm = el("form", "form");
    agForm.noValidate = true;
    const area = el("textarea", "input");
    area.rows = 4;
    area.value = this.draft ?? this.agenda.items.map((i) => (i.minutes ? `${i.title} | ${i.minutes}` : i.title)).join("\n");
    area.addEventListener("input", () => {
      this.draft = area.value;
    });
    area.setAttribute("aria-describedby", "st-agenda-hint");
    const hint = el("p", "hint-text", t("st.agenda.hint"));
    hint.id = "st-agenda-hint";
    const save = el("button", "small-btn primary", t("st.agenda.save"));
    save.type = "submit";
    agForm.append(this._field("st-agenda", "st.agenda.edit", area), hint, save);
    agForm.addEventListener("submit", async (e) => {
      e.preventDefault();
      const items = area.value
        .split("\n")
        .map((line) => line.trim())
        .filter(Boolean)
        .map((line, i) => {
          const [title, minutes] = line.split("|").map((x) => x.trim());
          return { id: `a${i + 1}`, title, starts_at: 0, minutes: Math.max(0, Math.round(Number(minutes) || 0)) };
        });
      if (await this.act("agenda.set", { items }, "st.done.agenda")) this.draft = null;
    });
    const none = button("small-btn", t("st.agenda.none"), () => this.act("agenda.current", { item: null }, "st.done.agenda"));
    none.disabled = !current;
    ag.append(list, none, agForm);

    // a render replaces the nodes: keep what was being typed, and the focus
    const active = document.activeElement && this.root.contains(document.activeElement) ? document.activeElement.id : null;
    const typed = {};
    for (const id of ["st-text", "st-slide-url", "st-slide-title"]) {
      const old = document.getElementById(id);
      if (old) typed[id] = old.value;
    }
    const grid = el("div", "stage-grid");
    grid.append(ov, sl, ag, this.polls.root);
    setChildren(this.root, heading, grid);
    for (const [id, value] of Object.entries(typed)) document.getElementById(id).value = value;
    if (active) document.getElementById(active)?.focus();
  }

  _overlayText() {
    const it = this.item;
    if (!it) return t("st.overlay.empty");
    if (it.kind === "question") return t("st.overlay.question", { text: (it.question || {}).text || "" });
    if (it.kind === "text") return t("st.overlay.text", { text: it.text || "" });
    if (it.kind === "slide") return t("st.overlay.slideNow", { title: (it.slide || {}).title || (it.slide || {}).url || "" });
    if (it.kind === "poll") return t("st.overlay.poll", { title: (it.poll || {}).title || "" });
    if (it.kind === "vote") return t("st.overlay.vote", { title: (it.vote || {}).title || "" });
    return it.kind;
  }
}
