// The meeting's materials for panelists (meeting/<m>/agenda's `materials`): orientation papers,
// online courses, videos and links, each with its title, what it is and a short description; a
// web link opens in a new tab, a file the hosts uploaded is fetched with the token and saved.
// Hidden while there are none. Mount: new MaterialsPanel(conn, feed, sectionElement).

import { lang, t } from "../lib/i18n.js";
import { button, el, setChildren } from "../lib/meeting-common.js";
import { fetchUpload, saveBlob } from "./agenda-feed.js";
import { reportOpened } from "./learning-report.js";

const EXT = { "application/pdf": ".pdf", "image/png": ".png", "image/jpeg": ".jpg", "image/webp": ".webp" };

export class MaterialsPanel {
  constructor(conn, feed, section) {
    this.conn = conn;
    this.section = section;
    this.items = [];
    this.feed = feed; // its meeting is the one whose materials are listed (issue 14: who opened what)
    this.welcome = null;
    section.classList.add("live-panel", "materials-panel");
    section.setAttribute("aria-labelledby", "materials-heading");
    this.heading = el("h2", "live-heading");
    this.heading.id = "materials-heading";
    this.list = el("ul", "materials-list");
    section.append(this.heading, this.list);
    section.hidden = true;
    feed.on((s) => {
      this.items = s.materials || [];
      this.render();
    });
  }

  setWelcome(w) {
    this.welcome = w;
  }

  opened(material) {
    reportOpened(this.conn, this.welcome, this.feed.meeting, material);
  }

  setMeeting() {}

  rerender() {
    this.render();
  }

  render() {
    this.section.hidden = !this.items.length;
    this.heading.textContent = t("live.materials.heading");
    // Built again only when the list or the language changed: a focused link keeps its focus.
    const built = `${lang()}|${JSON.stringify(this.items)}`;
    if (built === this.built) return;
    this.built = built;
    setChildren(
      this.list,
      ...this.items.map((m) => {
        const li = el("li", "material");
        li.dataset.material = m.id;
        li.append(el("span", "material-kind", t(`live.materials.kind.${m.kind || "document"}`)));
        const own = typeof m.url === "string" && m.url.startsWith("/api/meetings/");
        if (own) {
          li.append(
            button("material-link", m.title, async () => {
              this.opened(m.id);
              const blob = await fetchUpload(this.conn, m.url);
              if (blob) saveBlob(blob, `${m.title}${EXT[blob.type] || ""}`);
            }),
          );
        } else {
          const a = el("a", "material-link", m.title);
          a.href = m.url;
          a.target = "_blank";
          a.rel = "noopener noreferrer";
          a.addEventListener("click", () => this.opened(m.id)); // also the middle button and Enter
          a.addEventListener("auxclick", () => this.opened(m.id));
          li.append(a);
        }
        if (m.description) li.append(el("p", "material-desc", m.description));
        return li;
      }),
    );
  }
}
