// The host console's live quorum (issue 14): of the chosen meeting's panel, how many are present
// now, online or checked in at the hall (each once), asked every POLL_MS with `attendance.quorum`
// (hosts only, realtime/roles.py) while the page is shown. Numbers only: who is present stays in
// the CSV of `plenary attendance`.
//
// Mount: new QuorumPanel(conn, sectionElement); setWelcome, setMeeting, rerender (as the host
// console's other tools).

import { t } from "../lib/i18n.js";
import { el, errText, may, setChildren } from "../lib/meeting-common.js";

const POLL_MS = 5_000;

export class QuorumPanel {
  constructor(conn, section) {
    this.conn = conn;
    this.section = section;
    this.meeting = null;
    this.allowed = false;
    this.figure = null;
    this.error = null;
    section.hidden = true;
    section.setAttribute("aria-labelledby", "quorum-heading");
    this.heading = el("h2", "panel-heading");
    this.heading.id = "quorum-heading";
    this.main = el("p", "quorum-main");
    this.detail = el("p", "hint-text");
    setChildren(section, this.heading, this.main, this.detail);
    setInterval(() => this.poll(), POLL_MS);
  }

  setWelcome(w) {
    this.allowed = may(w, "attendance.quorum");
    this.section.hidden = !this.allowed;
    this.poll();
  }

  setMeeting(id) {
    this.meeting = id;
    this.figure = null;
    this.poll();
  }

  async poll() {
    if (!this.allowed || !this.meeting || document.hidden) return this.rerender();
    const meeting = this.meeting;
    try {
      const q = await this.conn.request("attendance.quorum", { session: meeting });
      if (meeting !== this.meeting) return;
      this.figure = q;
      this.error = null;
    } catch (err) {
      this.error = err;
    }
    this.rerender();
  }

  rerender() {
    this.heading.textContent = t("host.present.now");
    const q = this.figure;
    this.main.textContent = q ? t("host.present.main", { present: q.present, panel: q.panel }) : t("host.present.wait");
    this.detail.textContent = this.error
      ? errText(this.error)
      : q
        ? t("host.present.detail", { online: q.online, hall: q.hall })
        : "";
  }
}
