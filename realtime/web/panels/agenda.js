// The meeting's agenda for panelists: the items in order, the one under way marked (in words and
// with aria-current, not by colour alone). Hidden while the hosts have set no agenda.
//
// Mount: new AgendaPanel(feed, sectionElement) with the page's AgendaFeed (panels/agenda-feed.js);
// setWelcome, setMeeting (the feed's), rerender. Titles go on the page as text.

import { t } from "../lib/i18n.js";
import { el, fmtTime, setChildren } from "../lib/meeting-common.js";

export class AgendaPanel {
  constructor(feed, section) {
    this.feed = feed;
    this.section = section;
    this.state = feed.state;
    section.classList.add("live-panel", "agenda-panel");
    section.setAttribute("aria-labelledby", "agenda-heading");
    this.heading = el("h2", "live-heading");
    this.heading.id = "agenda-heading";
    this.now = el("p", "agenda-now");
    this.now.setAttribute("role", "status");
    this.list = el("ol", "agenda-steps");
    section.append(this.heading, this.now, this.list);
    section.hidden = true;
    feed.on((s) => {
      this.state = s;
      this.render();
    });
  }

  setWelcome() {}

  setMeeting() {}

  rerender() {
    this.render();
  }

  render() {
    const { items, current } = this.state;
    this.section.hidden = !items.length;
    this.heading.textContent = t("live.agenda.heading");
    const on = current && current.item;
    const item = items.find((i) => i.id === on);
    this.now.textContent = item ? t("live.agenda.now", { title: item.title }) : t("live.agenda.notyet");
    setChildren(
      this.list,
      ...items.map((it) => {
        const li = el("li", `agenda-step${it.id === on ? " current" : ""}`);
        li.dataset.item = it.id;
        const when = [];
        if (it.starts_at) when.push(fmtTime(it.starts_at));
        if (it.minutes) when.push(t("live.agenda.minutes", { m: it.minutes }));
        li.append(el("span", "agenda-step-title", it.title));
        if (when.length) li.append(el("span", "agenda-step-when", when.join(" · ")));
        if (it.id === on) {
          li.setAttribute("aria-current", "step");
          li.append(el("span", "agenda-badge", t("live.agenda.badge")));
        }
        return li;
      }),
    );
  }
}
