// The citizens' proposals on a meeting's record page (issue 14): each proposal of the meeting
// with its state and 공감 count, linked to its own page (/record/<meeting>/proposals/<id>), which
// follows its path to the city's response. Reads `GET /api/meetings/<m>/proposals` (the token in
// the Authorization header); the section stays hidden when the meeting has no proposals.
//
// Mount: const p = new RecordProposals(sectionElement); p.show(meeting, token) when the record of
// a meeting is shown, p.render() on a language change. Titles are people's words: textContent only.

import { t } from "../lib/i18n.js";
import { el, setChildren } from "../lib/meeting-common.js";

export class RecordProposals {
  constructor(section) {
    this.section = section;
    this.meeting = null;
    this.items = [];
    section.hidden = true;
  }

  async show(meeting, token) {
    if (meeting === this.meeting) return;
    this.meeting = meeting;
    this.items = [];
    try {
      const r = await fetch(`/api/meetings/${encodeURIComponent(meeting)}/proposals`, {
        headers: { Authorization: `Bearer ${token}` },
        cache: "no-store",
      });
      if (r.ok && meeting === this.meeting) this.items = (await r.json()).proposals || [];
    } catch {
      /* the record stands without it */
    }
    this.render();
  }

  render() {
    this.section.hidden = this.items.length === 0;
    if (!this.items.length) return;
    const ol = el("ul", "record-items"); // the number is the proposal's, in its title
    for (const p of this.items) {
      const li = el("li", "record-item");
      const a = el("a", "record-link", `${p.id}. ${p.title}`);
      a.href = `/record/${encodeURIComponent(this.meeting)}/proposals/${Number(p.id)}`;
      const status = p.response ? ` · ${t(`resp.status.${p.response.status}`)}` : "";
      li.append(a, el("span", "record-meta", `${t(`prop.state.${p.state}`)} · ${t("prop.supports", { n: p.supports })}${status}`));
      ol.append(li);
    }
    const heading = el("h2", "panel-heading", t("record.proposals"));
    heading.id = "rec-proposals-h";
    this.section.setAttribute("aria-labelledby", heading.id);
    setChildren(this.section, heading, ol);
  }
}
