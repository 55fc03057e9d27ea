// The city's responses on the public results page of the plenary vote (issue 14): beside each
// decided proposal of the ranking that has an answer, by its place, the answer in plain words, the
// department in charge and the text. Public like the results: `GET /api/votes/<id>/responses`,
// no token, no one's name. The section stays hidden while the city has answered nothing.
//
// Mount: const r = new CityResponses(sectionElement, voteId); r.load() once the results are
// there; r.render() on a language change. The text is the city's words: textContent only.

import { t } from "../lib/i18n.js";
import { el, setChildren } from "../lib/vote-common.js";

export class CityResponses {
  constructor(section, vote) {
    this.section = section;
    this.vote = vote;
    this.items = [];
    section.hidden = true;
  }

  async load() {
    try {
      const r = await fetch(`/api/votes/${encodeURIComponent(this.vote)}/responses`, { cache: "no-store" });
      if (r.ok) this.items = (await r.json()).responses || [];
    } catch {
      /* the results stand without it */
    }
    this.render();
  }

  render() {
    this.section.hidden = this.items.length === 0;
    if (!this.items.length) return;
    const ol = el("ol", "record-items city-responses-list");
    for (const r of this.items) {
      const li = el("li", "record-item proposal-response");
      li.dataset.item = r.item;
      const head = el("h3", "detail-sub", r.rank ? `${t("resp.rank", { rank: r.rank })} ${r.title}` : r.title);
      li.append(head, el("p", `path-answer ${r.status}`, t(`resp.status.${r.status}`)));
      li.append(el("p", "record-desc", t("path.dept", { dept: r.department })));
      if (r.text) li.append(el("p", "record-text", r.text));
      ol.append(li);
    }
    setChildren(
      this.section,
      el("h2", "panel-heading", t("resp.heading")),
      el("p", "hint-text", t("resp.intro")),
      ol,
    );
    this.section.setAttribute("aria-label", t("resp.heading"));
  }
}
