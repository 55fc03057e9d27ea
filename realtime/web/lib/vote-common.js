// What the ballot (panelist), the host console and the public results page share: following a vote's
// channel with its snapshot, finding a meeting's votes, the hub's clock, nonces, and the formats.
//
// No DOM state of its own and no side effect on import.

import { lang, t } from "./i18n.js";
import { TIME_ZONE, el, followState, setChildren } from "./meeting-common.js";

// The DOM helpers, the time zone and the time-of-day format are meeting-common's (one copy).
export { TIME_ZONE, el, fmtTime, setChildren } from "./meeting-common.js";
export const METHODS = ["schulze", "ranked_pairs", "borda", "copeland", "instant_runoff"];
const ID_RE = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;

// -- following a vote -----------------------------------------------------------------------------
/**
 * Follow `vote/<id>`: handlers.onSnapshot(snapshot, {reset}) on every fresh subscribe (first time,
 * after a reconnect the hub could not bridge, after a Redis reset: a vote channel keeps no backlog,
 * so a fresh subscriber learns the vote's status, turnout and close times from the snapshot
 * alone), then handlers.onEvents(events) exactly once each; handlers.onError(err) on a refusal.
 * Re-subscribes by itself after a reconnect (client.js `subscribe`; several parts may follow one
 * vote, each with its own handlers).
 */
export function followVote(conn, voteId, handlers) {
  return conn.subscribe(`vote/${voteId}`, { ...handlers, onSnapshot: handlers.onSnapshot || (() => {}) });
}

/** Apply a snapshot or an event to a plain vote state object (status, turnout, close times, results). */
export function applySnapshot(v, s) {
  v.status = s.status || v.status;
  if (Array.isArray(s.proposals)) v.proposalIds = s.proposals;
  if (typeof s.eligible === "number") v.eligible = s.eligible;
  if (typeof s.turnout === "number") v.turnout = s.turnout;
  v.closesAt = s.closes_at || null;
  v.hardCloseAt = s.hard_close_at || null;
  if (s.results) v.results = s.results;
  if (typeof s.counted === "number") v.counted = s.counted;
  if (s.head_hash) v.headHash = s.head_hash;
}

/** v.def (the definition, from vote.get) fills in what an event leaves out. */
export function applyEvent(v, e) {
  const d = e.data || {};
  switch (e.event) {
    case "vote.created":
      v.status = v.status || "draft";
      return;
    case "vote.opened":
      v.status = "open";
      if (typeof d.eligible === "number") v.eligible = d.eligible;
      if (typeof v.turnout !== "number") v.turnout = 0;
      // A scheduled close is known from the definition (the hub sets the same times at the opening).
      if (v.def && v.def.scheduled_close && !v.closesAt) {
        v.closesAt = v.def.scheduled_close;
        v.hardCloseAt = v.def.scheduled_close + (v.def.grace_seconds || 0) * 1000;
      }
      return;
    case "vote.turnout":
      if (typeof d.voted === "number") v.turnout = d.voted;
      return;
    case "vote.closing":
      v.closesAt = d.closes_at || null;
      v.hardCloseAt = d.hard_close_at || null;
      return;
    case "vote.closed":
      v.status = "closed";
      return;
    case "vote.published":
      v.status = "published";
      if (typeof d.counted === "number") v.counted = d.counted;
      if (d.head_hash) v.headHash = d.head_hash;
      return;
    default:
      return; // the protocol only ever adds event kinds
  }
}

/**
 * Where a vote stands for a person looking at it now:
 * draft | open | closing (announced or scheduled close passed: no new ballots, the grace runs) |
 * closed | published.
 */
export function phaseOf(v, now = clock.now()) {
  if (v.status === "open" && v.closesAt && now >= v.closesAt) return "closing";
  return v.status || "draft";
}

// -- finding a meeting's votes ----------------------------------------------------------------------
/**
 * The votes a meeting's pages show are announced on `meeting/<M>/votes` (the rule of which: the
 * hub's moderation/meeting_votes.py, docs/protocol.md "Moderated meetings"): the channel's snapshot
 * lists them when the page follows it (and again after a reconnect the hub cannot bridge), and each
 * new one comes as a `vote.announced` event at once. No polling: the finder asks `vote.get` once
 * per vote it learns of (again after 2-4 s only if that failed for a reason that passes), and for
 * ids given by hand (`?vote=` in the page's address) once per connection. The name of a vote means
 * nothing; the host console still proposes `<M>-<n>` as a name (`suggest`: it asks `vote.list` on
 * each connect, meeting change and creation to find the next free one).
 */
export class VoteFinder {
  constructor(conn, { onFound, onScanned = () => {}, suggest = false }) {
    this.conn = conn;
    this.onFound = onFound;
    this.onScanned = onScanned;
    this.suggest = suggest;
    this.meeting = null;
    this.sub = null;
    this.next = 1;
    this.known = new Set();
    this.wanted = new Set(); // ids to look up: announced or given by hand, not found yet
    this.extra = [];
    this.timer = null;
    this.scanning = false;
    this.again = false;
    this.generation = 0;
  }

  /** Follow the votes of this meeting; null follows only ids given by hand. */
  setMeeting(meetingId) {
    const id = meetingId && ID_RE.test(meetingId) ? meetingId : null;
    if (id === this.meeting) return;
    this.meeting = id;
    this.next = 1;
    this.generation += 1;
    this.sub?.close();
    this.sub = null;
    this.known = new Set([...this.known].filter((v) => this.extra.includes(v))); // the page drops the others
    this.wanted = new Set(this.extra.filter((v) => !this.known.has(v)));
    if (id) {
      this.sub = followState(this.conn, `meeting/${id}/votes`, {
        onSnapshot: (s) => {
          for (const [k, v] of Object.entries(s || {})) if (k.startsWith("vote:") && v && v.vote) this._want(v.vote);
        },
        onEvents: (events, info) => {
          if (!info.snapshot) for (const e of events) if (e.event === "vote.announced" && e.data) this._want(e.data.vote);
          this.scan();
        },
        onError: () => this.scan(),
      });
    }
    this.scan();
  }

  addIds(ids) {
    for (const id of ids) {
      if (ID_RE.test(id) && !this.extra.includes(id)) {
        this.extra.push(id);
        this._want(id);
      }
    }
  }

  _want(id) {
    if (typeof id === "string" && ID_RE.test(id) && !this.known.has(id)) this.wanted.add(id);
    this._count(id);
  }

  /** Keep the proposed name past every `<meeting>-<n>` seen. */
  _count(id) {
    const prefix = `${this.meeting}-`;
    if (this.meeting && typeof id === "string" && id.startsWith(prefix) && /^[0-9]+$/.test(id.slice(prefix.length))) {
      this.next = Math.max(this.next, Number(id.slice(prefix.length)) + 1);
    }
  }

  /** The next free conventional name (what the host console proposes). */
  nextId() {
    return this.meeting ? `${this.meeting}-${this.next}` : "";
  }

  /** Look up what is wanted now (after a reconnect, an announcement, a creation). */
  async scan() {
    clearTimeout(this.timer);
    this.timer = null;
    if (this.scanning) {
      this.again = true; // once this scan ends
      return;
    }
    if (!this.conn.live) return;
    this.scanning = true;
    this.again = false;
    const generation = this.generation;
    let retryable = false;
    try {
      if (this.suggest && this.meeting) {
        try {
          const listed = await this.conn.request("vote.list", {});
          for (const v of listed.votes || []) this._count(v.vote);
        } catch {
          retryable = true;
        }
      }
      // The newest wanted first, looked for again after each lookup: a vote announced while the
      // meeting's earlier votes are still being looked up (a page just opened, many votes) is news,
      // and waiting for the whole backlog once took it past 5 s (test_live_pages' flake).
      const tried = new Set();
      for (;;) {
        if (generation !== this.generation) break;
        const id = [...this.wanted].reverse().find((w) => !tried.has(w));
        if (id === undefined) break;
        tried.add(id);
        if (this.known.has(id)) {
          this.wanted.delete(id);
          continue;
        }
        const res = await this._get(id);
        if (generation !== this.generation) break; // the meeting changed meanwhile: its scan asks again
        if (res === "retry") {
          retryable = true;
          continue;
        }
        this.wanted.delete(id);
        if (res) this._found(id, res);
      }
    } finally {
      this.scanning = false;
    }
    if (generation !== this.generation || this.again) {
      this.scan();
      return;
    }
    this.onScanned(this.nextId());
    if (retryable) this.timer = setTimeout(() => this.scan(), 2_000 + Math.random() * 2_000);
  }

  async _get(id) {
    try {
      return await this.conn.request("vote.get", { vote: id });
    } catch (err) {
      if (err.name === "unknown_vote" || err.name === "not_a_member" || err.name === "forbidden") return null;
      return "retry"; // disconnected, timeout, unavailable, rate_limited: asked again shortly
    }
  }

  _found(id, reply) {
    this.known.add(id);
    this.onFound(id, reply);
  }
}

/** Vote ids given in the page address: `?vote=a` or `?vote=a,b`. */
export function votesFromAddress(loc = window.location) {
  const raw = new URLSearchParams(loc.search).get("vote") || "";
  return raw
    .split(",")
    .map((s) => s.trim())
    .filter((s) => ID_RE.test(s));
}

// -- the hub's clock --------------------------------------------------------------------------------
/** Countdowns use the hub's clock: a phone's clock may be minutes off. */
export const clock = {
  skew: 0,
  sync(serverTime) {
    if (typeof serverTime === "number" && serverTime > 0) this.skew = serverTime - Date.now();
  },
  now() {
    return Date.now() + this.skew;
  },
};

// -- nonces -----------------------------------------------------------------------------------------
/** 16 random characters of A-Z a-z 0-9 _ - (96 bits): new for each ballot, the same for its retries. */
export function newNonce() {
  const bytes = new Uint8Array(12);
  crypto.getRandomValues(bytes);
  let bin = "";
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

// -- formats ----------------------------------------------------------------------------------------
export function fmtNumber(n) {
  return new Intl.NumberFormat(lang()).format(n);
}

export function fmtPercent(part, whole) {
  if (!whole) return new Intl.NumberFormat(lang(), { style: "percent" }).format(0);
  return new Intl.NumberFormat(lang(), { style: "percent", maximumFractionDigits: 1 }).format(part / whole);
}

export function fmtClock(ms) {
  return new Intl.DateTimeFormat(lang(), {
    hour: "numeric",
    minute: "2-digit",
    second: "2-digit",
    timeZone: TIME_ZONE,
  }).format(ms);
}

export function fmtDuration(ms) {
  const total = Math.max(0, Math.ceil(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  if (h) return t("dur.hms", { h, m });
  if (m) return t("dur.ms", { m, s });
  return t("dur.s", { s });
}

export function methodName(method) {
  const key = `method.${method}`;
  const s = t(key);
  return s === key ? method : s;
}

/** A stratum value as people read it ("male" → 남성); district names and age bands stay as they are. */
export function stratumName(value) {
  const key = `stratum.${value}`;
  const s = t(key);
  return s === key ? value : s;
}

/**
 * The official order of published results as places: [{place, tied, ids}] best first. `results` is
 * the `results` object of vote.publish (proposals by index); `method` the definition's method.
 */
export function officialOrder(results, method) {
  const ids = results.proposals || [];
  const tiers = (results[method] && results[method].order) || [];
  const out = [];
  let place = 1;
  for (const tier of tiers) {
    out.push({ place, tied: tier.length > 1, ids: tier.map((i) => ids[i]) });
    place += tier.length;
  }
  return out;
}

/** The strict order after the tie-break, as proposal ids. */
export function resolvedOrder(results, method) {
  const ids = results.proposals || [];
  return ((results[method] && results[method].resolved) || []).map((i) => ids[i]);
}


/** The ordered list of places: "1위 A", "공동 2위 B", "공동 2위 C", ... */
export function orderList(order, titleOf, className = "order") {
  const ol = el("ol", className);
  for (const tier of order) {
    for (const id of tier.ids) {
      const li = el("li", tier.tied ? "order-item tied" : "order-item");
      li.dataset.id = id;
      li.append(el("span", "place", t(tier.tied ? "place.tie" : "place", { n: tier.place })), el("span", "order-title", titleOf(id)));
      ol.append(li);
    }
  }
  return ol;
}

/** A tracking code that wraps, if it must, only in its middle: "ABCD-EFGH-" / "JKLM-NPQR". */
export function setCode(node, code) {
  const text = String(code);
  const cut = text.length === 19 ? 10 : text.length;
  setChildren(node, ...[text.slice(0, cut), text.slice(cut)].filter(Boolean).map((s) => el("span", "code-group", s)));
}

/** Where the public results page of a vote is (and a receipt on it). */
export function resultsHref(voteId, code) {
  // The tracking code goes in the fragment: browsers never send it, so no server log holds it.
  const q = code ? `#${new URLSearchParams({ code }).toString()}` : "";
  return `/results/${encodeURIComponent(voteId)}${q}`;
}
