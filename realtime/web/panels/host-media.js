// The host console's slide and materials (issue 13). A slide: the host picks an image file (PNG,
// JPEG, WebP; a PDF too), it is uploaded (POST /api/meetings/<m>/uploads: hosts only, at most
// 20 MiB, the type read from the file's first bytes, kept in Redis and served to the meeting's
// members only) and shown at once (`slide.show`), which the agenda channel announces to every
// panelist page. Materials: the list panelists see (a title, what it is, an https link, a short
// description), added and removed one by one (`materials.set` replaces the list).
//
// Mount: new HostMedia(conn, feed, sectionElement) with the page's AgendaFeed; setWelcome,
// setMeeting, rerender.

import { t } from "../lib/i18n.js";
import { button, el, errText, may, setChildren } from "../lib/meeting-common.js";

export const MAX_SLIDE_BYTES = 20 * 2 ** 20; // moderation/uploads.py MAX_BYTES: said before sending
const TYPES = ["image/png", "image/jpeg", "image/webp", "application/pdf"];
const KINDS = ["document", "course", "video", "link"];

function input(id, type = "text") {
  const i = el("input", "input");
  i.id = id;
  i.type = type;
  i.autocomplete = "off";
  return i;
}

function field(labelKey, control, hintKey) {
  const f = el("div", "field");
  const l = el("label", "field-label");
  l.htmlFor = control.id;
  l.dataset.key = labelKey;
  f.append(l, control);
  if (hintKey) {
    const h = el("p", "hint-text");
    h.id = `${control.id}-hint`;
    h.dataset.key = hintKey;
    control.setAttribute("aria-describedby", h.id);
    f.append(h);
  }
  return f;
}

export class HostMedia {
  constructor(conn, feed, section) {
    this.conn = conn;
    this.section = section;
    this.welcome = null;
    this.meeting = null;
    this.state = feed.state;
    this.busy = false;
    section.setAttribute("aria-labelledby", "media-heading");
    this.heading = el("h2", "panel-heading");
    this.heading.id = "media-heading";

    // -- slide
    this.slideHeading = el("h3", "sub-heading");
    this.slideNow = el("p", "stage-now");
    this.slideForm = el("form", "form");
    this.slideForm.noValidate = true;
    this.file = input("hm-file", "file");
    this.file.accept = TYPES.join(",");
    this.slideTitle = input("hm-slide-title");
    this.slideTitle.maxLength = 200;
    this.upload = el("button", "cast");
    this.upload.type = "submit";
    this.clear = button("small-btn danger", "", () => this._do("slide.clear", {}, "hm.done.clear"));
    this.slideForm.append(field("hm.file", this.file, "hm.file.hint"), field("hm.slide.title", this.slideTitle), this.upload);
    this.slideForm.addEventListener("submit", (e) => {
      e.preventDefault();
      this._upload();
    });

    // -- materials
    this.matHeading = el("h3", "sub-heading");
    this.matList = el("ul", "media-list");
    this.matForm = el("form", "form");
    this.matForm.noValidate = true;
    this.matTitle = input("hm-mat-title");
    this.matTitle.maxLength = 200;
    this.matUrl = input("hm-mat-url", "url");
    this.matUrl.placeholder = "https://";
    this.matFile = input("hm-mat-file", "file");
    this.matFile.accept = TYPES.join(",");
    this.matKind = el("select", "select");
    this.matKind.id = "hm-mat-kind";
    this.matDesc = input("hm-mat-desc");
    this.matDesc.maxLength = 300;
    this.matAdd = el("button", "cast");
    this.matAdd.type = "submit";
    this.matForm.append(
      field("hm.mat.title", this.matTitle),
      field("hm.mat.url", this.matUrl, "hm.mat.url.hint"),
      field("hm.mat.file", this.matFile, "hm.mat.file.hint"),
      field("hm.mat.kind", this.matKind),
      field("hm.mat.desc", this.matDesc),
      this.matAdd,
    );
    this.matForm.addEventListener("submit", (e) => {
      e.preventDefault();
      this._addMaterial();
    });

    this.msg = el("p", "ok-text");
    this.msg.setAttribute("role", "status");
    this.error = el("p", "error");
    this.error.setAttribute("role", "alert");
    this.error.hidden = true;
    section.append(this.heading, this.error, this.msg, this.slideHeading, this.slideNow, this.clear, this.slideForm, this.matHeading, this.matList, this.matForm);
    section.hidden = true;
    feed.on((s) => {
      this.state = s;
      this.render();
    });
  }

  setWelcome(w) {
    this.welcome = w;
    this.section.hidden = !may(w, "slide.show");
    this.render();
  }

  setMeeting(id) {
    this.meeting = id;
  }

  rerender() {
    this.render();
  }

  _say(text, bad) {
    this.msg.textContent = bad ? "" : text;
    this.error.hidden = !bad;
    this.error.textContent = bad ? text : "";
  }

  async _do(kind, fields, done) {
    try {
      await this.conn.request(kind, { meeting: this.meeting, ...fields });
      this._say(t(done), false);
      return true;
    } catch (err) {
      this._say(errText(err), true);
      return false;
    }
  }

  /** A file checked as the hub would (said here first), or null with the reason said. */
  _checked(control) {
    const f = control.files && control.files[0];
    let bad = "";
    if (!f) bad = "hm.err.nofile";
    else if (f.size > MAX_SLIDE_BYTES) bad = "hm.err.size";
    else if (f.type && !TYPES.includes(f.type)) bad = "hm.err.type";
    if (!bad) return f;
    this._say(t(bad), true);
    control.focus();
    return null;
  }

  /** POST a file to the meeting's uploads: the upload's {id, ...}, or null with the refusal said. */
  async _send(f) {
    this._say(t("hm.uploading"), false);
    try {
      const resp = await fetch(`/api/meetings/${encodeURIComponent(this.meeting)}/uploads?name=${encodeURIComponent(f.name)}`, {
        method: "POST",
        headers: { Authorization: `Bearer ${this.conn.token}` },
        body: f,
      });
      const body = await resp.json().catch(() => ({}));
      if (resp.ok) return body;
      const key = `hm.err.${body.name}`;
      const text = t(key);
      this._say(text === key ? t("mt.err.other", { name: body.name || resp.status, message: body.message || "" }) : text, true);
    } catch {
      this._say(t("hm.err.network"), true);
    }
    return null;
  }

  /** Upload the chosen file and show it. */
  async _upload() {
    const f = this._checked(this.file);
    if (!f || this.busy) return;
    this.busy = true;
    this.upload.disabled = true;
    try {
      const up = await this._send(f);
      const title = this.slideTitle.value.trim() || f.name;
      if (up && (await this._do("slide.show", { upload: up.id, page: 1, title }, "hm.done.show"))) {
        this.file.value = "";
        this.slideTitle.value = "";
      }
    } finally {
      this.busy = false;
      this.upload.disabled = false;
    }
  }

  _materials() {
    return (this.state.materials || []).map((m) => ({
      id: m.id,
      title: m.title,
      url: m.url,
      kind: m.kind || "document",
      description: m.description || "",
    }));
  }

  async _addMaterial() {
    const title = this.matTitle.value.trim();
    let url = this.matUrl.value.trim();
    const hasFile = !!(this.matFile.files && this.matFile.files.length);
    if (!title) return this._say(t("hm.err.mat.title"), true), this.matTitle.focus();
    if (hasFile) {
      // A file instead of a link: uploaded like a slide, served to the meeting's members only.
      const f = this._checked(this.matFile);
      if (!f || this.busy) return;
      this.busy = true;
      try {
        const up = await this._send(f);
        if (!up) return;
        url = `/api/meetings/${encodeURIComponent(this.meeting)}/uploads/${encodeURIComponent(up.id)}`;
      } finally {
        this.busy = false;
      }
    } else if (!/^https:\/\/[^\s/]+/.test(url)) return this._say(t("hm.err.mat.url"), true), this.matUrl.focus();
    const item = { id: `m${Date.now().toString(36)}`, title, url, kind: this.matKind.value, description: this.matDesc.value.trim() };
    if (await this._do("materials.set", { items: [...this._materials(), item] }, "hm.done.mat.add")) {
      this.matTitle.value = "";
      this.matUrl.value = "";
      this.matDesc.value = "";
      this.matFile.value = "";
    }
  }

  async _removeMaterial(id) {
    await this._do("materials.set", { items: this._materials().filter((m) => m.id !== id) }, "hm.done.mat.remove");
    this.matTitle.focus();
  }

  render() {
    this.heading.textContent = t("hm.heading");
    this.slideHeading.textContent = t("hm.slide");
    this.matHeading.textContent = t("hm.mat");
    for (const node of this.section.querySelectorAll("[data-key]")) node.textContent = t(node.dataset.key);
    this.upload.textContent = t("hm.upload");
    this.clear.textContent = t("hm.clear");
    this.matAdd.textContent = t("hm.mat.add");
    const slide = this.state.slide;
    this.slideNow.textContent = slide ? t("hm.slide.now", { title: slide.title || "" }) : t("hm.slide.none");
    this.clear.hidden = !slide;
    const kind = this.matKind.value || "document";
    setChildren(
      this.matKind,
      ...KINDS.map((k) => {
        const o = el("option", "", t(`live.materials.kind.${k}`));
        o.value = k;
        return o;
      }),
    );
    this.matKind.value = kind;
    const items = (this.state.materials || []).map((m) => {
      const li = el("li", "media-item");
      li.dataset.material = m.id;
      li.append(el("span", "", `${m.title} · ${t(`live.materials.kind.${m.kind || "document"}`)}`));
      const rm = button("small-btn danger", t("hm.mat.remove"), () => this._removeMaterial(m.id));
      rm.setAttribute("aria-label", t("hm.mat.remove.n", { title: m.title }));
      li.append(rm);
      return li;
    });
    if (!items.length) items.push(el("li", "hint-text", t("hm.mat.none")));
    setChildren(this.matList, ...items);
  }
}
