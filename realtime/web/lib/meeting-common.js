// What the moderated-meeting panels share (the panelist page's Q&A and speakers panels, the
// moderator console, the stream overlay): following a stateful channel with its snapshot, the
// hub's clock, small DOM helpers and the formats. No side effect on import.

import { lang, t } from "./i18n.js";

export const TIME_ZONE = "Asia/Seoul";

/**
 * Follow a stateful channel: handlers.onSnapshot(state), onEvents(events, info), onError. On a
 * fresh subscribe the snapshot is the state as of the reply's offset and the reply's backlog is
 * already part of it: onSnapshot comes first, then onEvents(events, {initial: true, snapshot:
 * true}), whose events must be skipped. Several parts of a page may follow one channel, each with
 * its own handlers (client.js `subscribe`: one subscription on the wire); close() stops this one.
 */
export function followState(conn, channel, handlers) {
  return conn.subscribe(channel, { ...handlers, onSnapshot: handlers.onSnapshot || (() => {}) });
}

/**
 * The meeting a staff console opens on: the one it shows already (`current`), else the page's
 * `?meeting=`, else the one this tab chose last (sessionStorage under `key`: each console its
 * own), else the first it may see; null for none. `rememberMeeting` keeps a choice for the next
 * load of this tab. Storage may be blocked (a private window): then nothing is remembered.
 */
export function wantedMeeting(meetings, key, current = null) {
  let wanted = current || new URLSearchParams(window.location.search).get("meeting");
  try {
    wanted = wanted || sessionStorage.getItem(key);
  } catch {
    /* storage blocked */
  }
  return meetings.find((m) => m.id === wanted) || meetings[0] || null;
}

export function rememberMeeting(key, id) {
  try {
    sessionStorage.setItem(key, id);
  } catch {
    /* storage blocked */
  }
}

/** The hub's clock: phones drift, the welcome's server_time does not. */
export class HubClock {
  constructor() {
    this.skew = 0;
  }

  setWelcome(welcome) {
    if (welcome && typeof welcome.server_time === "number") this.skew = welcome.server_time - Date.now();
  }

  now() {
    return Date.now() + this.skew;
  }

  /** A hub time as this device's time (for formatting). */
  local(ms) {
    return ms - this.skew;
  }
}

export function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined && text !== null) node.textContent = String(text);
  return node;
}

export function button(className, text, onClick) {
  const b = el("button", className, text);
  b.type = "button";
  if (onClick) b.addEventListener("click", onClick);
  return b;
}

/** Replace an element's children (Element.replaceChildren needs Safari 14; older phones are here too). */
export function setChildren(parent, ...children) {
  while (parent.firstChild) parent.firstChild.remove();
  parent.append(...children);
}

/**
 * The meeting picker's options, one per meeting (its title shown, its id the value), in the order
 * given; disabled when there is nothing to choose. One rule for every page with a picker (the
 * panelist page, the ballot page, the host and captioner consoles).
 */
export function setMeetingOptions(select, meetings) {
  setChildren(
    select,
    ...meetings.map((m) => {
      const opt = el("option", "", m.title);
      opt.value = m.id;
      return opt;
    }),
  );
  select.disabled = meetings.length < 2;
}

export function fmtTime(ms) {
  return new Intl.DateTimeFormat(lang(), { hour: "numeric", minute: "2-digit", timeZone: TIME_ZONE }).format(ms);
}

/** 83 000 ms -> "1:23" (minutes:seconds, rounded up so that 0:00 means the time is over). */
export function fmtClock(ms) {
  const total = Math.max(0, Math.ceil(ms / 1000));
  const m = Math.floor(total / 60);
  const s = total % 60;
  return `${m}:${String(s).padStart(2, "0")}`;
}

export function may(welcome, command) {
  return !!(welcome && (welcome.may || []).includes(command));
}

/** How long a refused action must wait before it may be tried again, in ms (0: no wait known).
 * Only `rate_limited` says: the hub's retry_after_ms, the moment its bucket has a token again. */
export function waitOf(err) {
  return err && err.name === "rate_limited" ? Math.max(0, Number(err.retryAfterMs) || 0) : 0;
}

/**
 * The wait after a `rate_limited` refusal, for one kind of action on a page: while it runs the
 * page keeps that action's buttons off and says, where the person acted, when they may try again
 * (pressing faster would only be refused again and load the hub). `onChange` re-renders at the end.
 */
export class Cooldown {
  constructor(onChange) {
    this.until = 0;
    this.timer = null;
    this.onChange = onChange;
  }

  /** Start the wait the error asks for; false when it asks for none (not rate_limited). */
  start(err) {
    const ms = waitOf(err);
    if (!ms) return false;
    this.until = Date.now() + ms;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.until = 0;
      this.onChange();
    }, ms);
    this.onChange();
    return true;
  }

  get active() {
    return Date.now() < this.until;
  }
}

/** A refusal in plain words: `mt.err.<name>` when known, the hub's own message otherwise. A
 * `rate_limited` refusal that says how long to wait gives the seconds. */
export function errText(err) {
  const wait = waitOf(err);
  if (wait > 0) return t("mt.err.rate_limited.wait", { s: Math.max(1, Math.ceil(wait / 1000)) });
  const key = `mt.err.${err.name}`;
  const s = t(key);
  return s === key ? t("mt.err.other", { name: err.name, message: err.message || "" }) : s;
}

// -- Q&A state --------------------------------------------------------------------------------------
/** A Q&A view: questions by id and the moderators' order; the same for the panelists' and the desk's. */
export class QaState {
  constructor() {
    this.questions = new Map();
    this.order = [];
    this.reports = new Map(); // desk only: chat reports by offset
    this.onAir = null;
  }

  snapshot(s) {
    this.questions.clear();
    this.reports.clear();
    this.order = [];
    this.onAir = null;
    for (const [k, v] of Object.entries(s)) {
      if (k.startsWith("q:") && v) this.questions.set(Number(v.id), v);
      else if (k.startsWith("report:") && v) this.reports.set(Number(k.slice(7)), v);
      else if (k === "order" && Array.isArray(v)) this.order = v.map(Number);
      else if (k === "on_air") this.onAir = v;
    }
  }

  apply(e) {
    const d = e.data || {};
    if (e.event === "qa.voted") {
      const q = this.questions.get(Number(d.id));
      if (q) q.votes = d.votes;
      return;
    }
    if (e.event === "chat.reported" && d.report) {
      this.reports.set(Number(d.report.offset), d.report);
      return;
    }
    if (e.event === "chat.report_closed") {
      this.reports.delete(Number(d.offset));
      return;
    }
    if (!e.event.startsWith("qa.")) return;
    for (const q of d.questions || []) this.questions.set(Number(q.id), { ...this.questions.get(Number(q.id)), ...q });
    for (const id of d.removed || []) this.questions.delete(Number(id));
    if (Array.isArray(d.order)) this.order = d.order.map(Number);
  }

  /** Panelists' order: on air first, then by votes (or the moderators' order), answered last. */
  sorted(by) {
    const list = [...this.questions.values()];
    const rank = (q) => (q.state === "on_air" ? 0 : q.state === "answered" ? 3 : by === "order" && q.state === "queued" ? 1 : 2);
    const pos = new Map(this.order.map((id, i) => [id, i]));
    return list.sort((a, b) => {
      const r = rank(a) - rank(b);
      if (r) return r;
      if (by === "order" && a.state === "queued" && b.state === "queued") return pos.get(a.id) - pos.get(b.id);
      if (by === "votes" || a.state === "answered") {
        const v = (b.votes || 0) - (a.votes || 0);
        if (v) return v;
      }
      return (a.at || 0) - (b.at || 0) || a.id - b.id;
    });
  }
}

// -- speakers state ---------------------------------------------------------------------------------
export class SpeakersState {
  constructor() {
    this.hands = new Map();
    this.current = null;
    this.seconds = 120;
  }

  snapshot(s) {
    this.hands.clear();
    this.current = null;
    for (const [k, v] of Object.entries(s)) {
      if (k.startsWith("hand:") && v) this.hands.set(v.id, v);
      else if (k === "current") this.current = v || null;
      else if (k === "seconds" && typeof v === "number") this.seconds = v;
    }
  }

  apply(e) {
    const d = e.data || {};
    switch (e.event) {
      case "speakers.raised":
        if (d.hand) this.hands.set(d.hand.id, d.hand);
        return;
      case "speakers.lowered":
        this.hands.delete(d.participant);
        return;
      case "speakers.ordered":
        (d.order || []).forEach((id, i) => {
          const h = this.hands.get(id);
          if (h) h.rank = i + 1;
        });
        return;
      case "speakers.called":
        this.current = d.current || null;
        if (this.current) this.hands.delete(this.current.id);
        return;
      case "speakers.yielded":
        this.current = null;
        return;
      case "speakers.timer":
        if (typeof d.seconds === "number") this.seconds = d.seconds;
        return;
      default:
        return;
    }
  }

  queue() {
    return [...this.hands.values()].sort(
      (a, b) => (a.rank ?? 0) - (b.rank ?? 0) || (a.at || 0) - (b.at || 0) || String(a.id).localeCompare(String(b.id)),
    );
  }
}
