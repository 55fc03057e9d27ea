// The theme team's published themes (issue 15), from `meeting/<id>/themes`.
//
// - ThemesFeed: follows the channel; its state is the list the team published last
//   (`theme.published` replaces it whole). No DOM.
// - ThemesPanel: the panelist page's section "모인 주제" (mounted as the other panels:
//   new ThemesPanel(conn, sectionElement); setWelcome, setMeeting, rerender). Hidden until the team
//   publishes; each theme shows its title, how many cards and tables it gathers, and its cards'
//   texts behind a disclosure, so every table can find its own idea in the room's themes.
//
// Card texts go on the page through textContent only.

import { t } from "../lib/i18n.js";
import { el, followState, setChildren } from "../lib/meeting-common.js";

export function themesChannel(meeting) {
  return `meeting/${meeting}/themes`;
}

export class ThemesFeed {
  /** onChange(info): info.initial for the snapshot or the first reply, false for a live publish. */
  constructor(conn, onChange) {
    this.conn = conn;
    this.onChange = onChange;
    this.meeting = null;
    this.sub = null;
    this.themes = [];
    this.at = 0;
  }

  follow(meeting) {
    if (this.meeting === meeting && this.sub) return;
    this.meeting = meeting;
    this.themes = [];
    this.sub?.close();
    this.sub = followState(this.conn, themesChannel(meeting), {
      onSnapshot: (s) => {
        this.themes = Array.isArray(s.themes) ? s.themes : [];
        this.at = s.at || 0;
      },
      onEvents: (events, info) => {
        if (!info.snapshot) {
          for (const e of events) {
            if (e.event === "theme.published") {
              this.themes = (e.data || {}).themes || [];
              this.at = (e.data || {}).at || e.time;
            }
          }
        }
        this.onChange(info);
      },
      onError: () => {}, // a meeting whose themes this person may not follow shows none
    });
  }
}

export class ThemesPanel {
  constructor(conn, root) {
    this.root = root;
    root.classList.add("panel", "themes-panel");
    root.setAttribute("aria-labelledby", "themes-heading");
    this.heading = el("h2", "panel-heading");
    this.heading.id = "themes-heading";
    this.intro = el("p", "hint-text");
    this.list = el("ol", "themes-list");
    this.list.setAttribute("aria-live", "polite");
    root.append(this.heading, this.intro, this.list);
    root.hidden = true;
    this.feed = new ThemesFeed(conn, () => this.render());
  }

  setWelcome() {}

  setMeeting(id) {
    if (id) this.feed.follow(id);
    this.render();
  }

  rerender() {
    this.render();
  }

  render() {
    const themes = this.feed.themes;
    this.root.hidden = themes.length === 0;
    this.heading.textContent = t("themes.heading");
    this.intro.textContent = t("themes.intro", { n: themes.length });
    setChildren(
      this.list,
      ...themes.map((th) => {
        const li = el("li", "theme-item");
        li.dataset.theme = th.id;
        li.append(el("p", "theme-title", th.title));
        li.append(el("p", "theme-meta", t("themes.meta", { cards: th.count, tables: (th.tables || []).length })));
        const more = el("details", "theme-cards");
        more.append(el("summary", "", t("themes.cards")));
        const ul = el("ul", "theme-card-list");
        for (const c of th.cards || []) ul.append(el("li", "", t("themes.card", { text: c.text, table: c.table })));
        more.append(ul);
        li.append(more);
        return li;
      }),
    );
  }
}
