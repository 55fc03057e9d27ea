// The slide the hosts show now (meeting/<m>/agenda's `slide`): an uploaded image in the page, with a
// button that shows it large (a modal dialog, closed with its button or Esc); an uploaded PDF or a
// web page as a button / link that opens it. Hidden while no slide is shown.
//
// Uploaded files are the meeting members' only: fetched with the token in a header and shown as
// data: (the page's CSP allows images from data:). Mount: new SlidePanel(conn, feed, sectionElement).

import { lang, t } from "../lib/i18n.js";
import { button, el, setChildren } from "../lib/meeting-common.js";
import { dataUrl, fetchUpload, saveBlob } from "./agenda-feed.js";

export class SlidePanel {
  constructor(conn, feed, section) {
    this.conn = conn;
    this.section = section;
    this.slide = null;
    this.key = ""; // what is loaded: the slide's url and time shown
    this.src = ""; // the image as data:
    this.failed = false;
    section.classList.add("live-panel", "slide-panel");
    section.setAttribute("aria-labelledby", "slide-heading");
    this.heading = el("h2", "live-heading");
    this.heading.id = "slide-heading";
    this.title = el("p", "slide-title");
    this.body = el("div", "slide-body");
    section.append(this.heading, this.title, this.body);
    section.hidden = true;

    this.dialog = el("dialog", "slide-dialog");
    this.dialog.setAttribute("aria-labelledby", "slide-dialog-title");
    this.dialogTitle = el("h2", "slide-dialog-title");
    this.dialogTitle.id = "slide-dialog-title";
    this.big = el("img", "slide-big");
    this.closeBtn = button("small-btn primary slide-close", "", () => this.dialog.close());
    this.dialog.append(this.dialogTitle, this.big, this.closeBtn);
    document.body.append(this.dialog);

    feed.on((s) => this.show(s.slide));
  }

  setWelcome() {}

  setMeeting() {}

  rerender() {
    this.render();
  }

  show(slide) {
    this.slide = slide;
    const key = slide ? `${slide.url}|${slide.since}` : "";
    if (key !== this.key) {
      this.key = key;
      this.src = "";
      this.failed = false;
      if (slide && slide.kind === "image") this._load(slide, key);
    }
    this.render();
  }

  async _load(slide, key) {
    const blob = await fetchUpload(this.conn, slide.url);
    const src = blob ? await dataUrl(blob) : "";
    if (key !== this.key) return; // another slide meanwhile
    this.src = src;
    this.failed = !src;
    this.render();
  }

  render() {
    const s = this.slide;
    this.section.hidden = !s;
    this.heading.textContent = t("live.slide.heading");
    this.closeBtn.textContent = t("live.slide.close");
    if (!s) {
      if (this.dialog.open) this.dialog.close();
      setChildren(this.body);
      this.built = "";
      return;
    }
    const title = s.title || t("live.slide.untitled");
    this.title.textContent = title;
    this.dialogTitle.textContent = title;
    // Built again only when it changed: a button someone is on keeps the focus across agenda events.
    const built = `${this.key}|${this.src.length}|${this.failed}|${title}|${lang()}`;
    if (built === this.built) return;
    this.built = built;
    if (s.kind === "image") {
      if (!this.src) {
        setChildren(this.body, el("p", "slide-wait", t(this.failed ? "live.slide.failed" : "live.slide.loading")));
        return;
      }
      const img = el("img", "slide-img");
      img.src = this.src;
      img.alt = title;
      this.big.src = this.src;
      this.big.alt = title;
      const enlarge = button("small-btn slide-enlarge", t("live.slide.enlarge"), () => this.dialog.showModal());
      setChildren(this.body, img, enlarge);
    } else if (s.kind === "pdf") {
      const open = button("small-btn slide-open", t("live.slide.pdf", { page: s.page || 1 }), async () => {
        const blob = await fetchUpload(this.conn, s.url);
        if (blob) saveBlob(blob, `${title}.pdf`);
      });
      setChildren(this.body, open);
    } else {
      const a = el("a", "button-link slide-open", t("live.slide.link"));
      a.href = s.url;
      a.target = "_blank";
      a.rel = "noopener noreferrer";
      setChildren(this.body, a);
    }
  }
}
