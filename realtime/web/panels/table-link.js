// The way from the panelist page to the panelist's own discussion table (issue 15): one link,
// "내 토론 테이블(3번)으로 가기", to /table?meeting=<m>, shown only to someone the meeting's seating
// (or a host) gave a table. Asked with `table.get` on each welcome (a connect or a reconnect: a
// reseat may have moved them), on a change of meeting, and on a newer seating: the part follows
// `meeting/<id>/seating`, whose `table.seating` event names no one, and asks again with its `at`
// (so a reseat moves the link at once; each person learns only their own table). A refusal (no
// seating yet, not seated, no table command for this role) shows nothing: the table page itself
// says why to whoever opens it.
// The token stays in this tab's storage (lib/boot.js), so the table page opened here is signed in.
//
// Mount: new TableLink(conn, sectionElement); setWelcome, setMeeting, rerender (pages/index.js parts).

import { t } from "../lib/i18n.js";
import { el, followState, may } from "../lib/meeting-common.js";

export class TableLink {
  constructor(conn, section) {
    this.conn = conn;
    this.section = section;
    this.meeting = null;
    this.table = 0;
    this.allowed = false;
    this.asked = 0; // the latest question: an older answer arriving late is dropped
    this.sub = null; // meeting/<id>/seating
    this.seatingAt = 0; // the version of the seating the link is from
    this.link = el("a", "record-link");
    section.append(this.link);
    section.hidden = true;
  }

  setWelcome(w) {
    this.allowed = may(w, "table.get");
    this.ask();
    this.follow();
  }

  setMeeting(id) {
    const changed = id !== this.meeting;
    this.meeting = id;
    this.ask();
    if (changed) this.follow();
  }

  /** Follow the meeting's seating news (once per meeting; the connection re-subscribes itself). */
  follow() {
    const channel = this.meeting ? `meeting/${this.meeting}/seating` : null;
    if (!this.allowed || !channel || (this.sub && this.sub.channel === channel)) return;
    this.sub?.close();
    this.seatingAt = 0;
    const seen = (news) => {
      if (!news || !news.at || news.at <= this.seatingAt) return;
      this.seatingAt = news.at;
      this.ask(news.at);
    };
    this.sub = followState(this.conn, channel, {
      onSnapshot: (snap) => seen(snap.seating),
      onEvents: (events, info) => {
        if (info.snapshot) return;
        for (const e of events) if (e.event === "table.seating") seen(e.data);
      },
    });
  }

  rerender() {
    this.render();
  }

  async ask(at = 0) {
    const n = ++this.asked;
    if (!at) this.table = 0; // a reseat keeps the old link until the new answer
    this.render();
    if (!this.allowed || !this.meeting || !this.conn.live) return;
    try {
      const view = await this.conn.request("table.get", { meeting: this.meeting, ...(at ? { seating_at: at } : {}) });
      if (n === this.asked) {
        this.table = Number(view.table) || 0;
        this.seatingAt = Math.max(this.seatingAt, view.seating_at || 0);
      }
    } catch {
      if (n === this.asked) this.table = 0; // not seated here: no link
    }
    this.render();
  }

  render() {
    this.section.hidden = !this.table;
    if (!this.table) return;
    this.link.textContent = t("table.open", { n: this.table });
    this.link.href = `/table?meeting=${encodeURIComponent(this.meeting)}`;
  }
}
