// The city's responses on the public results page of the plenary vote (issue 14): beside each
// decided proposal of the ranking that has an answer, a line with the answer in plain words that
// leads to it in full below the ranking (by its place: the answer, the department in charge, the
// text). Public like the results: `GET /api/votes/<id>/responses`, no token, no one's name. The
// section stays hidden while the city has answered nothing.
//
// Mount: const r = new CityResponses(sectionElement, orderElement, voteId); r.load() once the
// results are there; r.render() after every render of the ranking (it adds the lines to its
// items, `li[data-id]`). The text is the city's words: textContent only.

import { t } from "../lib/i18n.js";
import { el, setChildren } from "../lib/vote-common.js";

export class CityResponses {
  constructor(section, order, vote) {
    this.section = section;
    this.order = order;
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
      li.id = `resp-${r.item}`; // item ids are letters, digits, - and _ (ballot/rules.py)
      li.tabIndex = -1;
      this._beside(r);
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

  /** The line beside the item in the ranking: the answer in words, a link to it in full. */
  _beside(r) {
    const item = [...this.order.querySelectorAll("li[data-id]")].find((li) => li.dataset.id === r.item);
    if (!item) return;
    item.querySelector(".order-response")?.remove();
    item.classList.add("has-response");
    const a = el("a", "record-link order-response", t("resp.line", { status: t(`resp.status.${r.status}`) }));
    a.href = `#resp-${r.item}`;
    a.addEventListener("click", (e) => {
      e.preventDefault();
      const target = document.getElementById(`resp-${r.item}`);
      target?.scrollIntoView();
      target?.focus();
    });
    item.append(a);
  }
}
