// The moderators' form for a meeting's shortlist vote (issue 14), a column of the moderator console:
// which section (or all), how many the meeting keeps (`top`), the vote's id and title prefilled
// (`<meeting>-short`, "<meeting's title> 제안 추리기"), and what it means in plain words. It sends
// `proposal.shortlist`; the hub makes a draft ranked vote of the meeting's panelists from the
// section's submitted proposals, and hosts open, close and publish it on their console (/host).
//
// A section on the vote must take no new proposals (one sent after the vote is made would miss
// it): while the chosen one is open the form says so and offers to close it (`proposal.sections`,
// the open sections less that one), and the hub's `section_still_open` is said in the same words.
//
// It reads the meeting's proposals from the proposals column (ProposalsModeration keeps the one
// subscription to `meeting/<id>/proposals`; the page calls `render` when that column changes).
// Mount: new ShortlistForm(conn, sectionElement, proposalsModeration); setWelcome, setMeeting,
// rerender, render. Titles people wrote go on the page through textContent only.

import { t } from "../lib/i18n.js";
import { button, el, errText, may, setChildren } from "../lib/meeting-common.js";

const SECTIONS = ["health", "childcare", "transport", "economy", "environment", "housing", "education", "welfare", "safety", "culture"];
const MAX_TOP = 100; // realtime/protocol/proposals.py: `top` is 1 … 100
const DEFAULT_TOP = 3;

/** `base` when no vote has it, else the first of `base-2`, `base-3`, ... that none has. */
export function freeId(base, taken) {
  if (!taken.has(base)) return base;
  let n = 2;
  while (taken.has(`${base}-${n}`)) n += 1;
  return `${base}-${n}`;
}

export class ShortlistForm {
  constructor(conn, root, proposals) {
    this.conn = conn;
    this.root = root;
    this.props = proposals; // its .state (ProposalsState) and .meeting
    this.welcome = null;
    this.meeting = null;
    this.sending = false;
    this.made = null; // the last reply of proposal.shortlist
    this.taken = new Set(); // vote ids in use (vote.list): the proposed id is a free one
    this.signature = ""; // the section options drawn last
    this.touched = { id: false, title: false, top: false };
    root.hidden = true;
    root.setAttribute("aria-labelledby", "shortmod-heading");
    this.heading = el("h2", "panel-heading");
    this.heading.id = "shortmod-heading";
    this.hint = el("p", "hint-text");
    this.form = el("form", "form short-form");
    this.form.noValidate = true;
    this.form.addEventListener("submit", (e) => {
      e.preventDefault();
      this.send();
    });
    const field = (id, tag, type = "text") => {
      const label = el("label", "field-label");
      const input = el(tag, tag === "select" ? "select" : "input");
      input.id = id;
      label.htmlFor = id;
      if (tag === "input") input.type = type;
      return [label, input];
    };
    [this.sectionLabel, this.section] = field("short-section", "select");
    this.section.addEventListener("change", () => this.render());
    this.openNote = el("p", "hint-text short-open");
    this.openNote.id = "short-open";
    this.closeBtn = button("small-btn", "", () => this.closeSection());
    this.closeBtn.setAttribute("aria-describedby", "short-open");
    this.openBox = el("div", "short-open-box");
    this.openBox.append(this.openNote, this.closeBtn);
    [this.topLabel, this.top] = field("short-top", "input", "number");
    this.top.classList.add("narrow");
    this.top.min = "1";
    this.top.max = String(MAX_TOP);
    this.top.inputMode = "numeric";
    this.top.setAttribute("aria-describedby", "short-top-hint");
    this.topHint = el("p", "hint-text");
    this.topHint.id = "short-top-hint";
    [this.idLabel, this.voteId] = field("short-id", "input");
    this.voteId.maxLength = 64;
    this.voteId.autocomplete = "off";
    this.voteId.spellcheck = false;
    [this.titleLabel, this.title] = field("short-title", "input");
    this.title.maxLength = 200;
    this.title.autocomplete = "off";
    for (const [name, input] of [["id", this.voteId], ["title", this.title], ["top", this.top]]) {
      input.addEventListener("input", () => {
        this.touched[name] = true;
      });
    }
    this.msg = el("p", "proposal-msg");
    this.msg.setAttribute("role", "status");
    this.sendBtn = el("button", "send");
    this.sendBtn.type = "submit";
    this.form.append(
      this.sectionLabel, this.section, this.openBox, this.topLabel, this.top, this.topHint,
      this.idLabel, this.voteId, this.titleLabel, this.title, this.msg, this.sendBtn,
    ); // prettier-ignore
    this.result = el("div", "short-result");
    this.result.hidden = true;
    root.append(this.heading, this.hint, this.form, this.result);
  }

  setWelcome(w) {
    this.welcome = w;
    this.root.hidden = !may(w, "proposal.shortlist");
    this.rerender();
  }

  setMeeting(id) {
    if (this.meeting === id) return;
    this.meeting = id;
    this.made = null;
    this.touched = { id: false, title: false, top: false };
    this.voteId.value = "";
    this.title.value = "";
    this.top.value = "";
    this.msg.textContent = "";
    this.rerender();
    this.readTaken();
  }

  /** The ids in use, so that the proposed one is free (`<meeting>-short`, then `-2`, `-3`, ...). */
  async readTaken() {
    try {
      const listed = await this.conn.request("vote.list", {});
      this.taken = new Set((listed.votes || []).map((v) => v.vote));
      this.render();
    } catch {
      /* the hub refuses a taken id anyway (bad_transition) */
    }
  }

  rerender() {
    this.heading.textContent = t("mod.short.heading");
    this.hint.textContent = t("mod.short.hint");
    this.sectionLabel.textContent = t("mod.short.section");
    this.topLabel.textContent = t("mod.short.top");
    this.idLabel.textContent = t("mod.short.id");
    this.titleLabel.textContent = t("mod.short.title");
    this.sendBtn.textContent = t(this.sending ? "mod.short.sending" : "mod.short.send");
    this.render();
  }

  /** The submitted proposals of the meeting, per section. */
  counts() {
    const n = new Map();
    for (const p of this.props.state.items.values()) if (p.state === "submitted") n.set(p.section, (n.get(p.section) || 0) + 1);
    return n;
  }

  /** The sections on the vote that still take proposals (for "all": every open one). */
  stillOpen() {
    const open = this.props.state.open || [];
    return this.section.value ? open.filter((s) => s === this.section.value) : [...open];
  }

  /** Called by the page whenever the proposals column changes (a proposal, the open sections). */
  render() {
    if (this.root.hidden || !this.meeting) return;
    const counts = this.counts();
    const keep = this.section.value;
    const all = [...counts.values()].reduce((a, b) => a + b, 0);
    const options = [["", t("mod.short.section.all", { n: all })]];
    for (const s of SECTIONS) {
      if (counts.has(s) || s === keep) options.push([s, t("mod.short.section.one", { name: t(`prop.section.${s}`), n: counts.get(s) || 0 })]);
    }
    // rebuilt only when an option changed: a support elsewhere in the meeting leaves an open list alone
    const signature = JSON.stringify(options);
    if (signature !== this.signature) {
      this.signature = signature;
      setChildren(this.section, ...options.map(([value, text]) => Object.assign(el("option", "", text), { value })));
      this.section.value = keep;
    }
    const here = keep ? counts.get(keep) || 0 : all;
    // what the moderator typed stays (even emptied, to type anew); the rest follows the meeting
    if (!this.touched.top) this.top.value = String(Math.max(1, Math.min(DEFAULT_TOP, here)));
    this.topHint.textContent = t("mod.short.top.hint", { n: here });
    if (!this.touched.id) this.voteId.value = freeId(`${this.meeting}-short`, this.taken);
    if (!this.touched.title) this.title.value = t("mod.short.title.default", { meeting: this.meetingTitle() });
    const open = this.stillOpen();
    this.openBox.hidden = open.length === 0;
    const names = open.map((s) => t(`prop.section.${s}`)).join(", ");
    this.openNote.textContent = t("mod.short.open", { names });
    this.closeBtn.textContent = t("mod.short.close", { names });
    this.renderResult();
  }

  meetingTitle() {
    const m = ((this.welcome && this.welcome.meetings) || []).find((x) => x.id === this.meeting);
    return m ? m.title : this.meeting;
  }

  message(kind, text) {
    this.msg.textContent = text;
    this.msg.className = `proposal-msg ${kind === "error" ? "error" : "ok-text"}`;
    this.msg.setAttribute("role", kind === "error" ? "alert" : "status");
  }

  /** Close the chosen section(s) to new proposals: the open sections less those on the vote. */
  async closeSection() {
    const closing = this.stillOpen();
    const open = (this.props.state.open || []).filter((s) => !closing.includes(s));
    try {
      await this.conn.request("proposal.sections", { meeting: this.meeting, open });
      this.props.state.open = open; // the channel's event follows
      this.message("ok", t("mod.short.closed", { names: closing.map((s) => t(`prop.section.${s}`)).join(", ") }));
      this.render();
      this.sendBtn.focus();
    } catch (err) {
      this.message("error", errText(err));
    }
  }

  async send() {
    const top = Number(this.top.value);
    const vote = this.voteId.value.trim();
    const title = this.title.value.trim();
    if (!Number.isInteger(top) || top < 1 || top > MAX_TOP) return this.fail(t("mod.short.err.top", { max: MAX_TOP }), this.top);
    if (!/^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/.test(vote)) return this.fail(t("mod.short.err.id"), this.voteId);
    if (!title) return this.fail(t("mod.short.err.title"), this.title);
    if (this.sending) return;
    this.sending = true;
    this.sendBtn.disabled = true;
    this.sendBtn.textContent = t("mod.short.sending");
    try {
      const r = await this.conn.request("proposal.shortlist", { meeting: this.meeting, vote, title, top, section: this.section.value });
      this.made = { vote: r.vote, title, top, items: r.items, again: r.offset === null };
      this.taken.add(r.vote);
      this.touched = { id: false, title: false, top: false };
      this.message("ok", t(this.made.again ? "mod.short.made.again" : "mod.short.made", { title, n: r.items.length, top }));
      this.render();
      this.result.querySelector("a")?.focus();
    } catch (err) {
      const text = errText(err);
      this.fail(err.name === "section_still_open" ? `${text} ${t("mod.short.open.press")}` : text, err.name === "section_still_open" ? this.closeBtn : null);
      this.render();
    } finally {
      this.sending = false;
      this.sendBtn.disabled = false;
      this.sendBtn.textContent = t("mod.short.send");
    }
  }

  fail(text, focus) {
    this.message("error", text);
    focus?.focus();
  }

  /** The vote just made: its items (the proposals in its order) and where hosts run it. */
  renderResult() {
    const m = this.made;
    this.result.hidden = !m;
    if (!m) return;
    const head = el("h3", "sub-heading", t("mod.short.result.heading", { title: m.title }));
    const next = el("p", "hint-text", t("mod.short.result.next", { top: m.top }));
    const link = el("a", "button-link", t("mod.short.result.host"));
    link.href = `/host?vote=${encodeURIComponent(m.vote)}`;
    const list = el("ol", "short-items");
    for (const item of m.items) {
      const li = el("li", "");
      li.append(el("span", "proposal-title", item.title), el("span", "hint-text", ` ${t("prop.authors", { names: (item.authors || []).map((a) => a.name).join(", ") })}`));
      list.append(li);
    }
    setChildren(this.result, head, next, list, link);
  }
}
