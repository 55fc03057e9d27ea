// The host console's form for the city's response (issue 14): for the meeting chosen in the
// console's form, its proposals the plenary decided on (followed live on `meeting/<id>/proposals`,
// whose records carry the ballot's rank and the response), each with its answer now; pick one, the
// answer (받아들임 / 검토 중 / 받아들이지 않음), the department in charge and the text (the reason,
// required when not accepted), and record it (`proposal.respond`). A new answer replaces the one
// shown everywhere; every answer stays on the proposal's page. The section stays hidden for a
// meeting with no decided proposal. The hub checks everything again (roles, bounds, the reason).
//
// Mount: new ResponseForm(conn, sectionElement); setWelcome, setMeeting, rerender (host.js tools).

import { t } from "../lib/i18n.js";
import { el, errText, followState, may, setChildren } from "../lib/meeting-common.js";
import { ProposalsState } from "./proposals.js";

const STATUSES = ["accepted", "under_review", "rejected"]; // proposals.model.ResponseStatus
const LIMITS = { department: 100, text: 2000 }; // proposals/response.py

export class ResponseForm {
  constructor(conn, section) {
    this.conn = conn;
    this.section = section;
    this.welcome = null;
    this.meeting = null;
    this.sub = null;
    this.state = new ProposalsState();
    this.sending = false;
    section.setAttribute("aria-labelledby", "response-heading");
    this.heading = el("h2", "panel-heading");
    this.heading.id = "response-heading";
    this.hint = el("p", "hint-text");
    this.form = el("form", "form response-form");
    this.form.noValidate = true;
    this.form.addEventListener("submit", (e) => {
      e.preventDefault();
      this.send();
    });
    const field = (id, tag) => {
      const label = el("label", "field-label");
      const input = el(tag, tag === "select" ? "select" : "input");
      input.id = id;
      label.htmlFor = id;
      if (tag === "input") input.type = "text";
      if (tag === "textarea") input.rows = 4;
      return [label, input];
    };
    [this.pickLabel, this.pick] = field("response-proposal", "select");
    this.pick.addEventListener("change", () => this.renderCurrent());
    this.current = el("p", "hint-text");
    this.statusBox = el("fieldset", "fieldset response-status");
    this.statusLegend = el("legend", "field-label");
    this.statusLabels = {};
    this.statusBox.append(this.statusLegend);
    for (const s of STATUSES) {
      const label = el("label", "choice");
      const radio = el("input");
      radio.type = "radio";
      radio.name = "response-status";
      radio.value = s;
      const text = el("span");
      label.append(radio, text);
      this.statusLabels[s] = text;
      this.statusBox.append(label);
    }
    [this.deptLabel, this.dept] = field("response-department", "input");
    [this.textLabel, this.text] = field("response-text", "textarea");
    this.msg = el("p", "proposal-msg");
    this.msg.setAttribute("role", "status");
    this.sendBtn = el("button", "send");
    this.sendBtn.type = "submit";
    this.form.append(this.pickLabel, this.pick, this.current, this.statusBox, this.deptLabel, this.dept, this.textLabel, this.text, this.msg, this.sendBtn);
    section.append(this.heading, this.hint, this.form);
    section.hidden = true;
  }

  setWelcome(w) {
    this.welcome = w;
    this.follow();
  }

  setMeeting(id) {
    if (this.meeting === id) return;
    this.meeting = id;
    this.msg.textContent = "";
    this.follow();
  }

  rerender() {
    this.render();
  }

  /** The meeting's proposals as its channel has them (records with their ballot and response). */
  follow() {
    const channel = this.meeting ? `meeting/${this.meeting}/proposals` : null;
    if (!may(this.welcome, "proposal.respond") || !channel) {
      this.render();
      return;
    }
    if (this.sub && this.sub.channel === channel) return;
    this.sub?.close();
    this.state = new ProposalsState();
    this.render();
    this.sub = followState(this.conn, channel, {
      onSnapshot: (snap) => this.state.snapshot(snap),
      onEvents: (events, info) => {
        if (!info.snapshot) for (const e of events) this.state.apply(e);
        this.render();
      },
      onError: () => this.render(), // a meeting one does not follow: nothing to answer here
    });
  }

  get decided() {
    return [...this.state.items.values()].filter((p) => p.state === "decided").sort((a, b) => (a.ballot?.rank || 1e9) - (b.ballot?.rank || 1e9) || a.id - b.id);
  }

  chosen() {
    return this.decided.find((p) => String(p.id) === this.pick.value) || null;
  }

  async send() {
    const p = this.chosen();
    const status = this.form.querySelector('input[name="response-status"]:checked')?.value;
    const department = this.dept.value.trim();
    const text = this.text.value.trim();
    const fail = (key, input) => {
      this.message("error", t(key));
      input?.focus();
    };
    if (!p) return fail("resp.form.err.proposal", this.pick);
    if (!status) return fail("resp.form.err.status", this.form.querySelector('input[name="response-status"]'));
    if (!department || [...department].length > LIMITS.department) return fail("resp.form.err.department", this.dept);
    if ([...text].length > LIMITS.text) return fail("resp.form.err.text", this.text);
    if (status === "rejected" && !text) return fail("mt.err.response_needs_reason", this.text);
    if (this.sending) return;
    this.sending = true;
    this.sendBtn.disabled = true;
    try {
      const r = await this.conn.request("proposal.respond", { meeting: this.meeting, proposal: p.id, status, department, text });
      this.message("ok", t("resp.form.sent", { status: t(`resp.status.${r.response.status}`), n: r.n }));
      this.state._set(p.id, { response: r.response }); // the event follows on the channel
      this.render();
    } catch (err) {
      this.message("error", errText(err));
    } finally {
      this.sending = false;
      this.sendBtn.disabled = false;
    }
  }

  message(kind, text) {
    this.msg.textContent = text;
    this.msg.className = `proposal-msg ${kind === "error" ? "error" : "ok-text"}`;
    this.msg.setAttribute("role", kind === "error" ? "alert" : "status");
  }

  renderCurrent() {
    const p = this.chosen();
    const r = p && p.response;
    this.current.textContent = r ? t("resp.form.current", { status: t(`resp.status.${r.status}`), dept: r.department }) : t("path.response.none");
  }

  render() {
    this.section.hidden = !may(this.welcome, "proposal.respond") || this.decided.length === 0;
    if (this.section.hidden) return;
    this.heading.textContent = t("resp.form.heading");
    this.hint.textContent = t("resp.form.hint");
    this.pickLabel.textContent = t("resp.form.proposal");
    const keep = this.pick.value;
    setChildren(
      this.pick,
      ...this.decided.map((p) => {
        const rank = p.ballot && p.ballot.rank ? `${t("resp.rank", { rank: p.ballot.rank })} ` : "";
        return Object.assign(el("option", "", `${rank}${p.id}. ${p.title}`), { value: String(p.id) });
      }),
    );
    if (this.decided.some((p) => String(p.id) === keep)) this.pick.value = keep;
    this.renderCurrent();
    this.statusLegend.textContent = t("resp.form.status");
    for (const s of STATUSES) this.statusLabels[s].textContent = t(`resp.status.${s}`);
    this.deptLabel.textContent = t("resp.form.department", { max: LIMITS.department });
    this.textLabel.textContent = t("resp.form.text", { max: LIMITS.text });
    this.sendBtn.textContent = t("resp.form.send");
  }
}
