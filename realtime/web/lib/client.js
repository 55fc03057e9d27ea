// The hub connection, free of any page concern: protocol v1 over `plenary.v1.json`.
//
// - Every command gets a fresh id (one counter for the page's whole life, across reconnects);
//   replies and errors are matched by id. A command rejects with a plain object
//   {code, name, message, retryable}; the page-side names "disconnected" and "timeout" mean the
//   connection dropped or no reply came.
// - On close it reconnects with jittered exponential backoff, sends hello again and re-subscribes
//   every channel from the last event it saw, except after close codes 4003 (bad token),
//   4012 (revoked) and 4004 (bad subprotocol): a human must act, so it stops and says why.
// - A link already open in as many windows and phones as its role may hold (hello refused with
//   `too_many_connections`, then close 4013) is not a network failure: the state is "crowded"
//   (the page asks the person to close one) and it retries slowly, 5 s to 60 s apart, so that a
//   forgotten tab does not knock on the hub every second; it connects by itself once a slot frees.
// - A Subscription keeps the channel's epoch and last offset and passes on each event exactly once:
//   events at or below the last offset are dropped (dedupe), a hole or a `gap` frame triggers a
//   re-subscribe with {epoch, offset}, and a new epoch (Redis was reset) is reported as a reset.
// - A long subscribe reply comes in several `reply` frames with the same id, `more: true` on all
//   but the last: the request resolves once, on the last, with every part's events joined.
// - WebSockets blocked (an office or public network's proxy): after WS_FAILURES_BEFORE_HTTP
//   WebSockets in a row that fail to open or close before `welcome` while the hub answers plain
//   HTTP (`/readyz`: so a hub that is down sends nobody to HTTP), the tab speaks the same
//   protocol over HTTP (lib/http-socket.js) for HTTP_STAY_MS, then tries a WebSocket again: at
//   once while idle, or with a probe that must open before the live HTTP connection is swapped.
//   Panels see nothing of it; `conn.transport` says which ("websocket" or "http").
// - The hub takes at most `burst` commands at once from a connection, then `rate` a second
//   (docs/protocol.md §10; the welcome says both), and refuses the rest `rate_limited`. A page
//   that opens a meeting sends more than that at once (a subscribe per channel, a `vote.get` per
//   vote, ...), so commands past the budget wait here, in order (`Pacer`), instead of going out to
//   be refused and asked again seconds later by each panel: a new vote announced meanwhile once
//   waited 2-4 s behind such a refusal, and a console's `vote.create` was refused outright.

import { HttpSocket } from "./http-socket.js";

export const SUBPROTOCOL = "plenary.v1.json";
export const NO_RECONNECT = new Set([4003, 4004, 4012]);

const HEARTBEAT_MS = 25_000; // an application ping this often finds dead links (phones, NAT)
const PING_TIMEOUT_MS = 10_000;
const COMMAND_TIMEOUT_MS = 15_000;
const BACKOFF_BASE_MS = 500;
const BACKOFF_CAP_MS = 20_000;
const CROWDED_BASE_MS = 10_000; // the first retry of a crowded link waits 5-10 s, then doubling
const CROWDED_CAP_MS = 60_000;
export const TOO_MANY_CONNECTIONS = 4013;
const OPEN = 1; // WebSocket.OPEN, also where a page has no WebSocket at all
export const WS_FAILURES_BEFORE_HTTP = 2;
const HTTP_STAY_MS = 5 * 60_000; // how long a tab stays on HTTP before trying a WebSocket again
const WS_OPEN_TIMEOUT_MS = 10_000; // a proxy that holds the upgrade unanswered counts as a failure
const HUB_RATE = 20; // commands per second per connection until a welcome says (docs/protocol.md §10)
const HUB_BURST = 40; // commands at once, likewise
const PACE_SHARE = 0.9; // of the hub's rate and burst: frames bunched on the way still fit its bucket

/** The hub's HTTP origin for the fallback, from its WebSocket URL (ws://host/ws -> http://host). */
export function httpBase(wsUrl) {
  return wsUrl.replace(/^ws/, "http").replace(/\/ws$/, "");
}

function localError(name, message) {
  return { code: 0, name, message, retryable: true };
}

export function hubUrl(loc = window.location) {
  return `${loc.protocol === "https:" ? "wss" : "ws"}://${loc.host}/ws`;
}

/**
 * The hub's command bucket of one connection, kept on this side: `burst` at once, then `rate` a
 * second, as the welcome says, each a little under the hub's own (PACE_SHARE), so that what this
 * side lets go the hub takes. A new connection starts full, as the hub's does.
 */
export class Pacer {
  constructor(rate = HUB_RATE, burst = HUB_BURST) {
    this.reset(rate, burst);
  }

  /** A new connection (the hub's commands per second, and at once). */
  reset(rate = HUB_RATE, burst = HUB_BURST) {
    this.setLimits(rate, burst);
    this.tokens = this.burst;
    this.last = performance.now();
  }

  /** The welcome's `limits.rate` and `limits.burst`: the bucket keeps what it holds, up to the
   * new size. */
  setLimits(rate, burst) {
    const r = Number(rate) > 0 ? Number(rate) : HUB_RATE;
    const b = Number(burst) > 0 ? Number(burst) : HUB_BURST;
    this.rate = r * PACE_SHARE;
    this.burst = Math.max(1, Math.floor(b * PACE_SHARE));
    if (this.tokens !== undefined) this.tokens = Math.min(this.tokens, this.burst);
  }

  /** 0 if one more command may go now (it is counted), else the ms until one may. */
  take(now = performance.now()) {
    this._refill(now);
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return 0;
    }
    return Math.ceil(((1 - this.tokens) / this.rate) * 1000);
  }

  /** A command that went out without waiting (the heartbeat): counted all the same. */
  spend(now = performance.now()) {
    this._refill(now);
    this.tokens -= 1;
  }

  _refill(now) {
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.rate);
    this.last = now;
  }
}

export class Connection {
  /**
   * @param {object} o
   * @param {string} o.url
   * @param {string} o.token
   * @param {(state: string, info?: object) => void} [o.onState]
   *   idle|connecting|live|reconnecting|crowded|closed (crowded: the link is open in too many
   *   windows; info.delay says when the next try is)
   * @param {(welcome: object) => void} [o.onWelcome]
   * @param {(code: number, reason: string) => void} [o.onFatal]
   */
  constructor({ url, token, onState, onWelcome, onFatal }) {
    this.url = url;
    this.token = token;
    this.onState = onState || (() => {});
    this.onWelcome = onWelcome || (() => {});
    this.onFatal = onFatal || (() => {});
    this.nextId = 1;
    this.pending = new Map(); // id -> {resolve, reject, timer}
    this.pacer = new Pacer();
    this.outbox = []; // [{ws, id, frame}]: commands waiting for the pacer, in the order sent
    this.outboxTimer = null;
    this.subs = new Map(); // channel -> Subscription
    this.ws = null;
    this.state = "idle";
    this.live = false;
    this.everLive = false;
    this.attempt = 0;
    this.crowded = 0; // refusals in a row for too many connections (0: not crowded)
    this.refusedCrowded = false; // this socket's hello was refused: its close is a crowded one
    this.retryTimer = null;
    this.heartbeat = null;
    this.stopped = false;
    this.welcome = null;
    this.transport = "websocket"; // of the current or last connection
    this.wsFailures = 0; // WebSockets in a row that failed to open or closed before welcome
    this.httpUntil = 0; // until then, connect over HTTP (lib/http-socket.js)
    this.wsProbe = null;
    this.watchers = new Set(); // (state) => void: the panels' own views of the connection
  }

  /**
   * Call `fn(state)` on every change of the connection's state (and once now), so that each action
   * on a page shows one state that matches the connection: a panel that only learned of a drop
   * when a send failed would show "sending" beside a dead button. Returns a function that stops it.
   */
  watch(fn) {
    this.watchers.add(fn);
    fn(this.state);
    return () => this.watchers.delete(fn);
  }

  start() {
    window.addEventListener("online", () => this.reconnectNow());
    document.addEventListener("visibilitychange", () => {
      if (document.visibilityState !== "visible") return;
      if (this.live) this._probe(5_000);
      else this.reconnectNow();
    });
    this._connect();
  }

  /** Skip the backoff wait (the network came back, the page became visible, or the user asked). */
  reconnectNow() {
    if (this.stopped || this.live || this.ws) return;
    clearTimeout(this.retryTimer);
    this.retryTimer = null;
    this._connect();
  }

  _setState(state, info = {}) {
    this.state = state;
    this.onState(state, info);
    for (const fn of this.watchers) fn(state);
  }

  _connect() {
    if (this.stopped) return;
    // A crowded link stays "crowded" while it tries again: its notice must not flicker away.
    this._setState(this.crowded ? "crowded" : this.everLive ? "reconnecting" : "connecting");
    this.refusedCrowded = false;
    const overHttp = Date.now() < this.httpUntil;
    let ws;
    try {
      ws = overHttp ? new HttpSocket(httpBase(this.url), SUBPROTOCOL) : new WebSocket(this.url, [SUBPROTOCOL]);
    } catch {
      this._wsFailed();
      this._scheduleReconnect();
      return;
    }
    this.ws = ws;
    this.pacer.reset(); // the hub's bucket of a new connection starts full
    this.transport = overHttp ? "http" : "websocket";
    if (!overHttp) {
      setTimeout(() => {
        if (ws === this.ws && ws.readyState !== OPEN) this._drop(ws);
      }, WS_OPEN_TIMEOUT_MS);
    }
    ws.onopen = () => this._hello(ws);
    ws.onmessage = (e) => {
      if (ws === this.ws) this._onFrame(e.data);
    };
    ws.onclose = (e) => this._onClose(ws, e.code, e.reason);
    ws.onerror = () => {}; // a close event always follows
  }

  async _hello(ws) {
    if (ws.protocol !== SUBPROTOCOL) {
      this._fatal(4004, "subprotocol");
      return;
    }
    let welcome;
    try {
      welcome = await this._send(ws, "hello", { token: this.token, client: "web-panelist/1" });
    } catch (err) {
      if (err && err.name === "bad_token") this._fatal(4003, "bad token");
      if (err && err.name === "too_many_connections" && ws === this.ws) this.refusedCrowded = true;
      if (err && err.name === "timeout" && ws === this.ws) this._drop(ws); // a proxy that swallows frames
      return; // otherwise the close that follows decides
    }
    if (ws !== this.ws) return;
    if (this.transport === "websocket") {
      this.wsFailures = 0;
      this.httpUntil = 0;
    } else {
      this._probeLater();
    }
    this.welcome = welcome;
    const limits = welcome.limits || {};
    this.pacer.setLimits(limits.rate, limits.burst);
    this.live = true;
    this.everLive = true;
    this.attempt = 0;
    this.crowded = 0;
    this._setState("live");
    this.onWelcome(welcome);
    for (const sub of this.subs.values()) sub._subscribe();
    clearInterval(this.heartbeat);
    this.heartbeat = setInterval(() => this._probe(PING_TIMEOUT_MS), HEARTBEAT_MS);
  }

  _probe(timeout) {
    const ws = this.ws;
    if (!ws || !this.live) return;
    this._send(ws, "ping", {}, timeout, true).catch((err) => {
      if (err.name === "timeout" && ws === this.ws) this._drop(ws);
    });
  }

  /** Forget a socket that stopped answering and reconnect without waiting for its close handshake. */
  _drop(ws) {
    try {
      ws.close();
    } catch {
      /* already closing */
    }
    this._onClose(ws, 1006, "no answer");
  }

  _fatal(code, reason) {
    this.stopped = true;
    const ws = this.ws;
    this._teardown();
    if (ws) {
      try {
        ws.close();
      } catch {
        /* ignore */
      }
    }
    this._setState("closed", { code });
    this.onFatal(code, reason);
  }

  _teardown() {
    this.ws = null;
    this.live = false;
    clearInterval(this.heartbeat);
    this.heartbeat = null;
    for (const [id, p] of this.pending) {
      clearTimeout(p.timer);
      p.reject(localError("disconnected", "the connection closed before the reply"));
      this.pending.delete(id);
    }
    for (const sub of this.subs.values()) sub.pending = false;
    this.outbox = []; // rejected above: none of it is sent
    clearTimeout(this.outboxTimer);
    this.outboxTimer = null;
  }

  _onClose(ws, code, reason) {
    if (ws !== this.ws) return; // a socket already given up
    const refused = NO_RECONNECT.has(code) || code === TOO_MANY_CONNECTIONS || this.refusedCrowded;
    if (this.transport === "websocket" && !this.live && !refused) this._wsFailed();
    this._teardown();
    if (this.stopped) return;
    if (NO_RECONNECT.has(code)) {
      this._fatal(code, reason);
      return;
    }
    if (code === TOO_MANY_CONNECTIONS || this.refusedCrowded) {
      this._scheduleCrowded();
      return;
    }
    this.crowded = 0;
    this._scheduleReconnect(code);
  }

  /**
   * A WebSocket failed to open or closed before welcome. Blocked on the way, or the hub down (a
   * restart, a lost network)? Only when the hub answers plain HTTP meanwhile (`/readyz`) is it
   * counted as blocked: a hub outage must not send every tab to HTTP. Past the threshold, the tab
   * uses HTTP for a while.
   */
  _wsFailed() {
    fetch(`${httpBase(this.url)}/readyz`, { cache: "no-store" })
      .then((res) => {
        if (!res.ok) return;
        this.wsFailures += 1;
        if (this.wsFailures >= WS_FAILURES_BEFORE_HTTP) this.httpUntil = Date.now() + HTTP_STAY_MS;
      })
      .catch(() => {});
  }

  /**
   * Live over HTTP: when the HTTP time is over, open a probe WebSocket; if it opens, drop the HTTP
   * connection once no reply is awaited, so that the next one is a WebSocket. Else stay on HTTP.
   */
  _probeLater() {
    clearTimeout(this.wsProbe);
    this.wsProbe = setTimeout(() => {
      this.wsProbe = null;
      if (this.stopped || this.transport !== "http" || !this.live) return;
      // Live over HTTP, so the hub answers: a probe that fails is the network blocking it again.
      const blocked = () => {
        this.wsFailures += 1;
        this.httpUntil = Date.now() + HTTP_STAY_MS;
        this._probeLater();
      };
      let probe;
      try {
        probe = new WebSocket(this.url, [SUBPROTOCOL]);
      } catch {
        blocked();
        return;
      }
      let settled = false;
      const settle = (opened) => {
        if (settled) return;
        settled = true;
        probe.onopen = probe.onclose = probe.onerror = null;
        try {
          probe.close();
        } catch {
          /* ignore */
        }
        if (opened) this._swapWhenIdle(20);
        else blocked();
      };
      probe.onopen = () => settle(true);
      probe.onclose = () => settle(false);
      probe.onerror = () => {};
      setTimeout(() => settle(false), WS_OPEN_TIMEOUT_MS); // an upgrade held unanswered
    }, Math.max(0, this.httpUntil - Date.now()) + Math.random() * 30_000);
  }

  /** A WebSocket got through: leave HTTP once no reply is awaited (a few tries, 0.5 s apart). */
  _swapWhenIdle(tries) {
    if (this.stopped || this.transport !== "http" || !this.live) return;
    if (this.pending.size > 0) {
      if (tries > 0) setTimeout(() => this._swapWhenIdle(tries - 1), 500);
      else this._probeLater();
      return;
    }
    this.wsFailures = 0;
    this.httpUntil = 0;
    this._drop(this.ws);
  }

  _scheduleCrowded() {
    // Slow and jittered: a slot frees only when a person closes a window (or within 15 s of a
    // dead hub), so trying faster would only load the hub; the first try is soon enough for the
    // person who just closed a tab.
    const window = Math.min(CROWDED_CAP_MS, CROWDED_BASE_MS * 2 ** this.crowded);
    const delay = window / 2 + Math.random() * (window / 2);
    this.crowded += 1;
    this._setState("crowded", { delay });
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      this._connect();
    }, delay);
  }

  _scheduleReconnect(code = 1006) {
    // Equal jitter: half the window fixed, half random, so 3,000 phones that lost the same hub do
    // not all come back in the same instant. A hub going away (1001/1012) spreads them wider.
    const window = Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** this.attempt);
    let delay = window / 2 + Math.random() * (window / 2);
    if (this.attempt === 0 && (code === 1001 || code === 1012)) delay = 250 + Math.random() * 2_500;
    this.attempt += 1;
    this._setState(this.everLive ? "reconnecting" : "connecting", { delay });
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      this._connect();
    }, delay);
  }

  _onFrame(data) {
    if (typeof data !== "string") return; // the JSON subprotocol only sends text frames
    let msg;
    try {
      msg = JSON.parse(data);
    } catch {
      return;
    }
    switch (msg.type) {
      case "reply":
      case "error": {
        const p = this.pending.get(msg.id);
        if (!p) return;
        const result = msg.result;
        if (msg.type === "reply" && p.type === "subscribe" && result && result.more === true) {
          // One part of a long subscribe reply: keep its events; the last part (more: false)
          // resolves the request with every part's events joined in order.
          p.parts = (p.parts || []).concat(result.events || []);
          return;
        }
        this.pending.delete(msg.id);
        clearTimeout(p.timer);
        if (msg.type === "reply") {
          if (p.parts && result) result.events = p.parts.concat(result.events || []);
          p.resolve(result);
        } else {
          p.reject({
            code: msg.code,
            name: msg.name,
            message: msg.message,
            retryable: !!msg.retryable,
            retryAfterMs: Number(msg.retry_after_ms) || 0,
          });
        }
        return;
      }
      case "event":
        this.subs.get(msg.channel)?._onEvents([msg]);
        return;
      case "batch": {
        const events = msg.events || [];
        if (events.length) this.subs.get(events[0].channel)?._onEvents(events);
        return;
      }
      case "gap":
        this.subs.get(msg.channel)?._onGap(msg);
        return;
      default:
        return; // unknown frame types are ignored (the protocol only ever adds)
    }
  }

  /**
   * One command on `ws`; resolves with its reply's result. It waits in the outbox for the pacer
   * (in order) unless `first`: the heartbeat's ping goes at once, or a long outbox would make a
   * live link look dead. Its `timeout` runs from when it is sent: the wait is this side's own.
   */
  _send(ws, type, fields, timeout = COMMAND_TIMEOUT_MS, first = false) {
    if (!ws || ws.readyState !== OPEN) {
      return Promise.reject(localError("disconnected", "not connected"));
    }
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, timer: null, type });
      const out = { ws, id, timeout, frame: JSON.stringify({ ...fields, type, id }) };
      if (first) {
        this.pacer.spend();
        this._write(out);
      } else {
        this.outbox.push(out);
        this._drain();
      }
    });
  }

  _write({ ws, id, timeout, frame }) {
    const p = this.pending.get(id);
    p.timer = setTimeout(() => {
      if (this.pending.delete(id)) p.reject(localError("timeout", "no reply"));
    }, timeout);
    ws.send(frame);
  }

  /** Send what waits in the outbox as fast as the pacer allows; one whose connection closed
   * meanwhile (rejected `disconnected` then) is never sent. */
  _drain() {
    clearTimeout(this.outboxTimer);
    this.outboxTimer = null;
    while (this.outbox.length) {
      const out = this.outbox[0];
      if (out.ws !== this.ws || out.ws.readyState !== OPEN || !this.pending.has(out.id)) {
        this.outbox.shift();
        continue;
      }
      const wait = this.pacer.take();
      if (wait > 0) {
        this.outboxTimer = setTimeout(() => this._drain(), wait);
        return;
      }
      this.outbox.shift();
      this._write(out);
    }
  }

  /** Send a command once the connection is live; resolves with the reply's result. */
  request(type, fields = {}, timeout = COMMAND_TIMEOUT_MS) {
    if (!this.live) return Promise.reject(localError("disconnected", "not connected"));
    return this._send(this.ws, type, fields, timeout);
  }

  /**
   * Follow a channel: returns a listener whose close() stops it. handlers.onEvents(events,
   * {initial, reset, skipped, snapshot}) gets each event once, in order; handlers.onSnapshot(state)
   * gets a stateful channel's snapshot first (then `snapshot: true` marks the events it holds);
   * handlers.onError(err) gets a refusal (forbidden, not_a_member, ...).
   *
   * Several page parts may follow one channel (issue 15: the host console's proposals desk, its
   * response form and its shortlist list all follow `meeting/<id>/proposals`): each adds its own
   * listener, and the connection keeps one Subscription per channel, one subscription on the wire.
   * A listener that joins a channel already followed gets its own start (one `subscribe` reply
   * read for it alone: the snapshot and the backlog), then the shared stream from there on. The
   * last listener to close unsubscribes.
   */
  subscribe(channel, handlers) {
    let sub = this.subs.get(channel);
    if (!sub || !sub.active) {
      sub = new Subscription(this, channel);
      this.subs.set(channel, sub);
    }
    return sub._add(handlers);
  }
}

/** One part of a page following a channel (``conn.subscribe``'s answer). */
export class Listener {
  constructor(sub, handlers) {
    this.sub = sub;
    this.channel = sub.channel;
    this.onEvents = handlers.onEvents || (() => {});
    this.onError = handlers.onError || (() => {});
    this.onSnapshot = handlers.onSnapshot || null;
    this.active = true;
    this.joining = 0; // its own start is under way (a number: a later one replaces it)
    this.from = null; // after its own start: the shared events up to here are already in it
  }

  /** A subscribe reply for this listener: the snapshot first, then the events past ``from``. */
  _deliver(r, events, info) {
    if (!this.active) return;
    const snap = !!(r.snapshot && typeof r.snapshot === "object");
    if (snap && this.onSnapshot) this.onSnapshot(r.snapshot, { reset: !!info.reset });
    this.onEvents(events, { ...info, snapshot: snap });
  }

  close() {
    if (!this.active) return;
    this.active = false;
    this.sub._remove(this);
  }
}

export class Subscription {
  constructor(conn, channel) {
    this.conn = conn;
    this.channel = channel;
    this.listeners = new Set();
    this.epoch = null;
    this.offset = null; // the last offset passed on
    this.time = null; // that event's time: the hub checks it is still the channel's (a failover can lose it)
    this.pending = false; // a subscribe is in flight: live events are covered by its reply
    this.active = true;
    this.retryTimer = null;
  }

  _add(handlers) {
    const listener = new Listener(this, handlers);
    this.listeners.add(listener);
    if (this.epoch === null || this.pending) {
      if (this.conn.live) this._subscribe(); // the first reply (or the one under way) starts it too
    } else {
      this._join(listener);
    }
    return listener;
  }

  _remove(listener) {
    this.listeners.delete(listener);
    if (!this.listeners.size) this.close();
  }

  /** A listener joining a channel already followed: one subscribe reply for it alone. */
  async _join(listener) {
    if (!this.conn.live) return; // the reconnect's subscribe starts every listener
    const n = ++listener.joining;
    let r;
    try {
      r = await this.conn.request("subscribe", { channel: this.channel });
    } catch (err) {
      if (listener.joining !== n || !listener.active) return;
      listener.joining = 0;
      if (err.name === "disconnected") return;
      if (err.retryable || err.name === "timeout") {
        setTimeout(() => listener.active && !listener.joining && this._join(listener), 2_000);
        return;
      }
      listener.onError(err);
      return;
    }
    if (listener.joining !== n || !listener.active || !this.active) return; // a shared start came first
    listener.joining = 0;
    listener.from = r.offset;
    listener._deliver(r, r.events || [], { initial: true, reset: false, skipped: false });
  }

  async _subscribe() {
    if (!this.active || !this.conn.live || this.pending) return;
    this.pending = true;
    const fields = { channel: this.channel };
    if (this.epoch !== null && this.offset !== null) {
      fields.epoch = this.epoch;
      fields.offset = this.offset;
      if (this.time !== null) fields.time = this.time;
    }
    let reply;
    try {
      reply = await this.conn.request("subscribe", fields);
    } catch (err) {
      this.pending = false;
      if (!this.active || err.name === "disconnected") return; // re-subscribed after the reconnect
      if (err.retryable || err.name === "timeout") {
        clearTimeout(this.retryTimer);
        this.retryTimer = setTimeout(() => this._subscribe(), 2_000);
        return;
      }
      for (const l of [...this.listeners]) l.onError(err);
      return;
    }
    this.pending = false;
    if (!this.active) return;
    this._applySubscribed(reply);
  }

  _applySubscribed(r) {
    // A fresh start behind our offset, or another event at it: a failover lost the channel's last
    // events and reused their offsets (protocol §7). What we show is no longer the channel's.
    const mine = this.offset;
    const rolledBack = !r.recovered && mine !== null && r.offset < mine;
    const diverged =
      !r.recovered && this.time !== null && (r.events || []).some((e) => e.offset === mine && e.time !== this.time);
    const reset = (this.epoch !== null && r.epoch !== this.epoch) || rolledBack || diverged;
    if (reset) this.offset = null;
    let events = r.events || [];
    let skipped = false;
    if (this.offset !== null) {
      events = events.filter((e) => e.offset > this.offset);
      skipped = !r.recovered && events.length > 0 && events[0].offset > this.offset + 1;
    }
    this.epoch = r.epoch;
    const last = events.length ? events[events.length - 1].offset : 0;
    this.offset = Math.max(this.offset ?? 0, r.offset, last);
    const at = events.find((e) => e.offset === this.offset);
    if (at) this.time = at.time;
    else if (!r.recovered || events.length) this.time = null; // not known: the next subscribe sends none
    for (const l of [...this.listeners]) {
      l.joining = 0; // this start is theirs too: a reply of their own, arriving later, is dropped
      l.from = null;
      l._deliver(r, events, { initial: true, reset, skipped });
    }
  }

  _onEvents(list) {
    if (!this.active || this.pending || this.epoch === null) return;
    const fresh = [];
    let resync = false;
    for (const e of list) {
      if (e.epoch !== this.epoch || e.offset > this.offset + 1) {
        resync = true; // a reset Redis or a missed event: ask for exactly what is missing
        break;
      }
      if (e.offset <= this.offset) continue; // seen already
      fresh.push(e);
      this.offset = e.offset;
      this.time = e.time;
    }
    if (fresh.length) {
      for (const l of [...this.listeners]) {
        if (!l.active || l.joining) continue; // its own start will hold these
        const mine = l.from === null ? fresh : fresh.filter((e) => e.offset > l.from);
        if (mine.length) l.onEvents(mine, { initial: false, reset: false, skipped: false, snapshot: false });
      }
    }
    if (resync) this._subscribe();
  }

  _onGap(gap) {
    if (!this.active) return;
    this._subscribe();
  }

  /** Stop following the channel, for every listener (each listener's close() does it for the last). */
  close() {
    if (!this.active) return;
    this.active = false;
    clearTimeout(this.retryTimer);
    for (const l of this.listeners) l.active = false;
    this.listeners.clear();
    if (this.conn.subs.get(this.channel) === this) this.conn.subs.delete(this.channel);
    this.conn.request("unsubscribe", { channel: this.channel }).catch(() => {});
  }
}
