// Live captions (issue 13): what a captioner types for a meeting, from `meeting/<id>/captions`.
//
// - CaptionFeed: follows the channel and keeps the last finished lines (`caption.line`) and the
//   line being typed (`caption.partial`, replaced by the next partial or by its line). No DOM; the
//   panelist page's panel, the stream overlay and the captioner's console all read it.
// - CaptionsPanel: the captions line of the panelist page, mounted as the other panels
//   (new CaptionsPanel(conn, sectionElement); setWelcome, setMeeting, rerender). It appears once the
//   meeting has captions; the person can enlarge it (bigger text, more lines) or hide it, and both
//   choices are remembered on the device. Finished lines are a polite live region (additions only);
//   the line being typed is outside it, so a screen reader reads each line once, not every keystroke.
//
// Caption text goes on the page through textContent only.

import { t } from "../lib/i18n.js";
import { button, el, setChildren } from "../lib/meeting-common.js";

const KEEP = 20; // finished lines kept in memory and on the page (CSS shows the last 2 or 6)
const PARTIAL_STALE_MS = 10_000; // a line being typed that was neither finished nor changed goes
const VIEW_KEY = "plenary.captions"; // {big, hidden}: the person's choice, kept on the device

export function captionsChannel(meeting) {
  return `meeting/${meeting}/captions`;
}

export class CaptionFeed {
  /** onChange(added): `added` holds the finished lines that just arrived (oldest first). */
  constructor(conn, onChange) {
    this.conn = conn;
    this.onChange = onChange;
    this.sub = null;
    this.meeting = null;
    this.lines = []; // [{offset, time, text, by}]
    this.partial = null; // {text, by, offset} or null
    this.staleTimer = null;
  }

  follow(meeting) {
    if (this.meeting === meeting && this.sub) return;
    this.meeting = meeting;
    this.lines = [];
    this.partial = null;
    clearTimeout(this.staleTimer);
    this.sub?.close();
    this.sub = this.conn.subscribe(captionsChannel(meeting), {
      onEvents: (events, info) => this._apply(events, info),
      onError: () => {}, // a role or meeting that may not follow captions just shows none
    });
  }

  _apply(events, info) {
    if (info.reset) {
      this.lines = [];
      this.partial = null;
    }
    const added = [];
    for (const e of events) {
      const d = e.data || {};
      const by = d.by || {};
      if (e.event === "caption.line") {
        const line = { offset: e.offset, time: e.time, text: String(d.text || ""), by };
        this.lines.push(line);
        added.push(line);
        if (this.partial && this.partial.by.id === by.id) this.partial = null;
      } else if (e.event === "caption.partial" && !info.initial) {
        this.partial = { offset: e.offset, text: String(d.text || ""), by };
      }
    }
    // A captioner who erased the line (or left) sends nothing more: the partial must not linger.
    clearTimeout(this.staleTimer);
    if (this.partial) {
      this.staleTimer = setTimeout(() => {
        this.partial = null;
        this.onChange([], { initial: false, reset: false, skipped: false });
      }, PARTIAL_STALE_MS);
    }
    if (this.lines.length > KEEP) this.lines = this.lines.slice(-KEEP);
    this.onChange(added, info);
  }

  /** Anything to show yet (a finished line or a line being typed). */
  get any() {
    return this.lines.length > 0 || !!this.partial;
  }

  close() {
    clearTimeout(this.staleTimer);
    this.sub?.close();
    this.sub = null;
    this.meeting = null;
  }
}

function loadView() {
  try {
    const v = JSON.parse(localStorage.getItem(VIEW_KEY) || "{}") || {};
    return { big: v.big === true, hidden: v.hidden === true };
  } catch {
    return { big: false, hidden: false };
  }
}

function saveView(v) {
  try {
    localStorage.setItem(VIEW_KEY, JSON.stringify(v));
  } catch {
    /* ignore */
  }
}

export class CaptionsPanel {
  constructor(conn, root) {
    this.root = root;
    this.view = loadView();
    this.feed = new CaptionFeed(conn, (added, info) => this._onFeed(added, info));
    this._build();
  }

  _build() {
    this.heading = el("h2", "cap-heading", "");
    this.heading.id = "captions-heading";
    this.root.setAttribute("aria-labelledby", "captions-heading");
    this.bigBtn = button("cap-btn", "", () => this._setView({ big: !this.view.big }));
    this.hideBtn = button("cap-btn", "", () => this._setView({ hidden: !this.view.hidden }));
    this.bigBtn.id = "captions-big";
    this.hideBtn.id = "captions-hide";
    const bar = el("div", "cap-bar");
    bar.append(this.heading, this.bigBtn, this.hideBtn);
    this.box = el("div", "cap-box");
    this.box.id = "captions-box";
    this.list = el("ol", "cap-lines");
    this.list.setAttribute("aria-live", "polite");
    this.list.setAttribute("aria-relevant", "additions");
    this.list.setAttribute("aria-labelledby", "captions-heading");
    this.partial = el("p", "cap-partial");
    this.box.append(this.list, this.partial);
    this.hideBtn.setAttribute("aria-controls", "captions-box");
    setChildren(this.root, bar, this.box);
    this.render();
  }

  setWelcome() {
    this.render();
  }

  setMeeting(id) {
    if (this.feed.meeting !== id) setChildren(this.list);
    this.feed.follow(id);
    this.render();
  }

  rerender() {
    this.render();
  }

  _setView(change) {
    this.view = { ...this.view, ...change };
    saveView(this.view);
    this.render();
  }

  _onFeed(added, info) {
    if (info.reset || info.initial) {
      // a fresh start (or a new epoch): the list is the feed's, without announcing the backlog
      this.list.setAttribute("aria-busy", "true");
      setChildren(this.list, ...this.feed.lines.map((l) => this._item(l)));
      this.list.removeAttribute("aria-busy");
    } else {
      for (const line of added) this.list.append(this._item(line));
      while (this.list.children.length > KEEP) this.list.firstChild.remove();
    }
    this.render();
  }

  _item(line) {
    const li = el("li", "cap-line", line.text);
    li.dataset.offset = String(line.offset);
    return li;
  }

  render() {
    const { big, hidden } = this.view;
    this.root.hidden = !this.feed.any; // a meeting without captions shows nothing
    this.root.classList.toggle("cap-big", big);
    this.root.classList.toggle("cap-off", hidden);
    this.heading.textContent = t("cap.heading");
    this.bigBtn.textContent = t(big ? "cap.smaller" : "cap.bigger");
    this.bigBtn.setAttribute("aria-pressed", String(big));
    this.bigBtn.hidden = hidden;
    this.hideBtn.textContent = t(hidden ? "cap.show" : "cap.hide");
    this.hideBtn.setAttribute("aria-expanded", String(!hidden));
    this.box.hidden = hidden;
    const p = this.feed.partial;
    this.partial.textContent = p ? p.text : "";
    this.partial.hidden = !p;
  }
}
