// The way from the panelist page to the panelist's own discussion table (issue 15): one link,
// "내 토론 테이블(3번)으로 가기", to /table?meeting=<m>, shown only to someone the meeting's seating
// (or a host) gave a table. Asked with `table.get` on each welcome (a connect or a reconnect: a
// reseat may have moved them) and on a change of meeting; a refusal (no seating yet, not seated,
// no table command for this role) shows nothing: the table page itself says why to whoever opens it.
// The token stays in this tab's storage (lib/boot.js), so the table page opened here is signed in.
//
// Mount: new TableLink(conn, sectionElement); setWelcome, setMeeting, rerender (pages/index.js parts).

import { t } from "../lib/i18n.js";
import { el, may } from "../lib/meeting-common.js";

export class TableLink {
  constructor(conn, section) {
    this.conn = conn;
    this.section = section;
    this.meeting = null;
    this.table = 0;
    this.allowed = false;
    this.asked = 0; // the latest question: an older answer arriving late is dropped
    this.link = el("a", "record-link");
    section.append(this.link);
    section.hidden = true;
  }

  setWelcome(w) {
    this.allowed = may(w, "table.get");
    this.ask();
  }

  setMeeting(id) {
    this.meeting = id;
    this.ask();
  }

  rerender() {
    this.render();
  }

  async ask() {
    const n = ++this.asked;
    this.table = 0;
    this.render();
    if (!this.allowed || !this.meeting || !this.conn.live) return;
    try {
      const view = await this.conn.request("table.get", { meeting: this.meeting });
      if (n === this.asked) this.table = Number(view.table) || 0;
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
