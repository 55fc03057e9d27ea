// The meeting's agenda channel (meeting/<m>/agenda) as one feed that several panels read: the
// agenda list, the slide and the materials on the panelist page, the slide and materials tools on
// the host console. One subscription per page (a connection keeps one per channel), its snapshot
// and events folded into {items, current, slide, materials}; each listener is called on a change.
//
// Use: const feed = new AgendaFeed(conn); feed.on((state) => ...); feed.setWelcome(w); feed.setMeeting(id).
// Also what loads an uploaded file: fetchUpload(conn, url) (the token goes in a header, never in a URL).

import { followState } from "../lib/meeting-common.js";

function empty() {
  return { items: [], current: null, slide: null, materials: [] };
}

export class AgendaFeed {
  constructor(conn) {
    this.conn = conn;
    this.meeting = null;
    this.sub = null;
    this.state = empty();
    this.listeners = new Set();
  }

  on(fn) {
    this.listeners.add(fn);
  }

  setWelcome() {
    /* the subscription resumes by itself after a reconnect */
  }

  rerender() {
    /* the panels that listen re-render themselves */
  }

  setMeeting(id) {
    if (this.meeting === id && this.sub) return;
    this.meeting = id;
    this.sub?.close();
    this.sub = null;
    this.state = empty();
    this._changed();
    if (!id) return;
    this.sub = followState(this.conn, `meeting/${id}/agenda`, {
      onSnapshot: (s) => {
        this.state = {
          items: Array.isArray(s.items) ? s.items : [],
          current: s.current || null,
          slide: s.slide || null,
          materials: Array.isArray(s.materials) ? s.materials : [],
        };
      },
      onEvents: (events, info) => {
        if (!info.snapshot) for (const e of events) this._apply(e);
        this._changed();
      },
      onError: () => {},
    });
  }

  _apply(e) {
    const d = e.data || {};
    switch (e.event) {
      case "agenda.items":
        this.state.items = d.items || [];
        if ("current" in d) this.state.current = d.current || null;
        return;
      case "agenda.current":
        this.state.current = d.current || null;
        return;
      case "slide.shown":
      case "slide.cleared":
        this.state.slide = d.slide || null;
        return;
      case "materials.set":
        this.state.materials = d.materials || [];
        return;
      default:
        return; // the protocol only ever adds event kinds
    }
  }

  _changed() {
    for (const fn of this.listeners) fn(this.state);
  }
}

/** An uploaded file of the meeting (a slide or a material), as a Blob; null when it cannot be had. */
export async function fetchUpload(conn, url) {
  try {
    const r = await fetch(url, { headers: { Authorization: `Bearer ${conn.token}` }, cache: "no-store" });
    return r.ok ? await r.blob() : null;
  } catch {
    return null;
  }
}

/** A Blob as a data: URL (the page's CSP lets images come from data:, not from blob:). */
export function dataUrl(blob) {
  return new Promise((resolve) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result));
    reader.onerror = () => resolve("");
    reader.readAsDataURL(blob);
  });
}

/** Save a Blob as a file (a PDF slide, a material the hosts uploaded). */
export function saveBlob(blob, name) {
  const url = URL.createObjectURL(blob);
  const a = document.createElement("a");
  a.href = url;
  a.download = name || "file";
  a.hidden = true;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}
