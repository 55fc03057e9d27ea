// The host console's live quorum (issue 14): of the chosen meeting's panel, how many are present
// now, online or checked in at the hall (each once). The figure is pushed on
// `meeting/<id>/quorum` (hosts only, realtime/roles.py; at most one a second, from the hubs'
// sweep); the panel asks `attendance.quorum` once each time it (re)subscribes, because a hub that
// died changes the figure without anyone pushing it. Numbers only: who is present stays in the CSV
// of `plenary attendance`.
//
// Mount: new QuorumPanel(conn, sectionElement); setWelcome, setMeeting, rerender (as the host
// console's other tools).

import { t } from "../lib/i18n.js";
import { el, errText, may, setChildren } from "../lib/meeting-common.js";

export class QuorumPanel {
  constructor(conn, section) {
    this.conn = conn;
    this.section = section;
    this.meeting = null;
    this.allowed = false;
    this.figure = null;
    this.error = null;
    this.sub = null;
    this.pushed = 0; // figures pushed: a read answered after a newer push is dropped
    section.hidden = true;
    section.setAttribute("aria-labelledby", "quorum-heading");
    this.heading = el("h2", "panel-heading");
    this.heading.id = "quorum-heading";
    this.main = el("p", "quorum-main");
    this.detail = el("p", "hint-text");
    setChildren(section, this.heading, this.main, this.detail);
  }

  setWelcome(w) {
    this.allowed = may(w, "attendance.quorum");
    this.section.hidden = !this.allowed;
    this.follow();
  }

  setMeeting(id) {
    if (id === this.meeting) return;
    this.meeting = id;
    this.figure = null;
    this.sub?.close();
    this.sub = null;
    this.follow();
  }

  /** Follow the meeting's figure: the pushed events, and one read per (re)subscribe. */
  follow() {
    if (!this.allowed || !this.meeting || this.sub) return this.rerender();
    this.sub = this.conn.subscribe(`meeting/${this.meeting}/quorum`, {
      onEvents: (events, info) => {
        const last = events.filter((e) => e.event === "attendance.quorum").at(-1);
        if (last) {
          this.pushed += 1;
          this.figure = last.data;
          this.error = null;
        }
        if (info.initial) this.read();
        this.rerender();
      },
      onError: (err) => {
        this.error = err;
        this.rerender();
      },
    });
    this.rerender();
  }

  async read() {
    const meeting = this.meeting;
    const pushed = this.pushed;
    try {
      const q = await this.conn.request("attendance.quorum", { session: meeting });
      if (meeting !== this.meeting || pushed !== this.pushed) return;
      this.figure = q;
      this.error = null;
    } catch (err) {
      if (err.name === "disconnected") return; // asked again after the reconnect
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
