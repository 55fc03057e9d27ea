// The panelist's ballot: a "투표 / Vote" section that fills itself with the votes of the chosen
// meeting (announced on meeting/<id>/votes: VoteFinder in vote-common.js), one card per vote.
//
// Ranking without drag and drop: tap proposals in the order you prefer them, then move them up or
// down or remove them with buttons. The rule (how many, at least how many) is spelled out and the
// send button refuses until the ranking fits it. A cast carries a random nonce that is kept (in
// this tab's sessionStorage) until the receipt arrives, so every retry after a lost reply, a
// reconnect or a reload sends the same nonce and the hub stores the ballot at most once.
//
// What the panelist has voted is the server's word, never this tab's memory: on every (re)connect,
// when the tab is shown again, after each cast and when the vote closes the card asks `vote.mine`
// and shows the ballot that counts (its channel, code and ranking; paper beats online), on any
// device. Until the answer comes the ballot is not offered (an empty ballot would read as "you have
// not voted"), and "you did not vote" is said only when the answer says `voted: false`.
//
// Use: const ballot = new Ballot(conn, sectionElement, {ids});
//      ballot.setWelcome(welcome)  on every welcome (first connect and each reconnect);
//      ballot.setMeeting(meetingId) when the meeting changes.
// Everything from the server goes on the page through textContent.

import { onChange, lang, t, tIn } from "../lib/i18n.js";
import {
  VoteFinder,
  applyEvent,
  applySnapshot,
  clock,
  el,
  fmtClock,
  fmtDuration,
  fmtNumber,
  fmtTime,
  followVote,
  newNonce,
  officialOrder,
  orderList,
  phaseOf,
  resultsHref,
  setChildren,
  setCode,
} from "../lib/vote-common.js";

const STORE_PREFIX = "plenary.ballot.";
const RETRYABLE = new Set(["disconnected", "timeout", "unavailable", "rate_limited"]);
const HALL_RETRY_MS = 10_000; // a ballot refused not_checked_in is tried again this often
const PHASE_ORDER = { open: 0, closing: 1, draft: 2, closed: 3, published: 4 };

function bounds(def) {
  const n = def.proposals.length;
  const longest = def.rule.kind === "rank_all" ? n : def.rule.k || n;
  const shortest = def.rule.minimum == null ? longest : def.rule.minimum;
  return [shortest, longest];
}

function button(className, text) {
  const b = el("button", className, text);
  b.type = "button";
  return b;
}

/** A move/remove button: a glyph and a word that may stack, the word never split. */
function toolButton(className, glyph, word) {
  const b = button(className);
  const g = el("span", "glyph", glyph);
  g.setAttribute("aria-hidden", "true");
  b.append(g, el("span", "word", word));
  return b;
}

export class Ballot {
  /**
   * @param {import("../lib/client.js").Connection} conn
   * @param {HTMLElement} section an empty element the ballot fills; hidden until a vote is found
   * @param {{ids?: string[], onScanned?: () => void}} [o] vote ids given by hand (the page's
   *   `?vote=`); onScanned after each look for votes (`this.votes.size` says how many were found)
   */
  constructor(conn, section, { ids = [], onScanned = () => {} } = {}) {
    this.conn = conn;
    this.section = section;
    this.welcome = null;
    this.mayCast = false;
    this.meeting = null;
    this.votes = new Map(); // id -> vote record
    this.finder = new VoteFinder(conn, { onFound: (id, reply) => this._found(id, reply), onScanned });
    this.finder.addIds(ids);
    this.handIds = new Set(ids);

    section.classList.add("votes");
    section.setAttribute("aria-labelledby", "vote-heading");
    const heading = el("h2", "votes-heading", t("vote.heading"));
    heading.id = "vote-heading";
    this.heading = heading;
    this.cards = el("div", "vote-cards");
    this.live = el("p", "visually-hidden");
    this.live.setAttribute("aria-live", "polite");
    this.live.setAttribute("role", "status");
    section.append(heading, this.live, this.cards);
    section.hidden = true;

    onChange(() => this.rerender());
    // The send area follows the connection: offline, a ballot waits to be sent and says so.
    conn.watch(() => {
      for (const v of this.votes.values()) if (v.ui && !v.ui.editor.hidden) this._renderSend(v);
    });
    this.ticker = setInterval(() => this._tick(), 1000);
    // Back from another tab or phone, where a ballot may have been cast: ask the server again.
    document.addEventListener("visibilitychange", () => {
      if (document.visibilityState === "visible") for (const v of this.votes.values()) this._askMine(v);
    });
  }

  setWelcome(welcome) {
    this.welcome = welcome;
    this.mayCast = (welcome.may || []).includes("vote.cast");
    this.mayAsk = (welcome.may || []).includes("vote.mine");
    clock.sync(welcome.server_time);
    for (const v of this.votes.values()) {
      if (!v.restored) this._restore(v);
      this._flush(v);
      this._askMine(v);
    }
    this.finder.scan();
  }

  setMeeting(meetingId) {
    if (meetingId === this.meeting) return;
    this.meeting = meetingId;
    for (const [id, v] of this.votes) {
      if (!this.handIds.has(id)) {
        v.sub.close();
        v.ui.card.remove();
        this.votes.delete(id);
      }
    }
    this.finder.setMeeting(meetingId);
    this._layout();
  }

  rerender() {
    this.heading.textContent = t("vote.heading");
    for (const v of this.votes.values()) {
      this._renderStatic(v);
      this._render(v);
    }
  }

  // -- votes found, followed, stored -------------------------------------------------------------
  _found(id, reply) {
    if (this.votes.has(id)) return;
    const def = reply.definition;
    const v = {
      id,
      def,
      titles: new Map(def.proposals.map((p) => [p.id, p.title])),
      status: reply.status,
      proposalIds: def.proposals.map((p) => p.id),
      eligible: null,
      turnout: null,
      closesAt: null,
      hardCloseAt: null,
      results: reply.results || null,
      counted: reply.counted ?? null,
      headHash: reply.head_hash || null,
      draft: [],
      pending: null, // {nonce, ranking}: sent or to be sent, until its receipt
      sending: false,
      receipt: null, // {code, ranking, at, channel}: the ballot that counts, as the server said
      mine: null, // the last vote.mine answer; null until one came (then the ballot is offered)
      mineFinal: null, // a vote.mine answer asked for after the close: what the closing notice says
      mineFailed: false, // vote.mine refused for good: fall back to what this tab saw
      asking: false,
      askAgain: false,
      mineTimer: null,
      casts: 0, // receipts this tab got: an answer asked for before one of them is stale
      revoting: false,
      error: null, // {key, vars}
      closed: null, // {key, vars, inflight, refused, tone}: the "voting has closed" notice
      phase: null,
      synced: false, // a snapshot arrived: phase changes from now on are news to tell
      editorSig: null,
      restored: false,
      retryTimer: null,
    };
    v.ui = this._build(v);
    this.votes.set(id, v);
    this._restore(v);
    this._renderStatic(v);
    this._render(v);
    this._layout();
    v.sub = followVote(this.conn, id, {
      onSnapshot: (s) => {
        applySnapshot(v, s);
        this._render(v);
        v.synced = true;
        this._layout();
      },
      onEvents: (events) => {
        for (const e of events) {
          applyEvent(v, e);
          if (e.event === "vote.published" && !v.results) this._fetchResults(v);
        }
        this._render(v);
        this._layout();
      },
      onError: () => {
        /* the vote exists (vote.get found it): a refusal here leaves the card as vote.get showed it */
      },
    });
    this._flush(v);
    this._askMine(v);
  }

  // -- what the server says I voted ------------------------------------------------------------------
  /** Ask `vote.mine` (one request per card at a time; asked again once it returns if wanted meanwhile). */
  async _askMine(v) {
    if (!this.mayAsk || !this.conn.live) return;
    if (v.asking) {
      v.askAgain = true;
      return;
    }
    clearTimeout(v.mineTimer);
    v.asking = true;
    v.askAgain = false;
    const phase = phaseOf(v);
    const afterClose = phase !== "open" && phase !== "draft";
    const casts = v.casts;
    try {
      const r = await this.conn.request("vote.mine", { vote: v.id });
      if (casts === v.casts) this._applyMine(v, r, afterClose);
      else v.askAgain = true; // a receipt came meanwhile: this answer may predate it
    } catch (err) {
      if (RETRYABLE.has(err.name) || err.retryable) {
        if (this.conn.live) v.mineTimer = setTimeout(() => this._askMine(v), 3_000);
      } else {
        v.mineFailed = true; // e.g. an older hub: offer the ballot as this tab knows it
        this._render(v);
      }
    } finally {
      v.asking = false;
    }
    if (v.askAgain) this._askMine(v);
  }

  _applyMine(v, r, afterClose) {
    v.mine = r;
    if (afterClose) v.mineFinal = r;
    const c = r.counted;
    v.receipt = c ? { code: c.tracking_code, ranking: c.ranking || [], at: c.received_ms, channel: c.channel } : null;
    if (!v.receipt || this._paperCounts(v)) v.revoting = false;
    const phase = phaseOf(v);
    if (afterClose && this.mayCast && (v.closed || phase === "closing" || phase === "closed")) {
      v.closed = this._closedNotice(v, !!(v.closed && v.closed.refused));
    }
    this._save(v);
    this._render(v);
    this._layout();
  }

  /** A paper ballot counts (or paper entries await an officer): an online ballot would change nothing. */
  _paperCounts(v) {
    const m = v.mine;
    return !!m && (m.conflict || (m.counted && m.counted.channel === "paper"));
  }

  async _fetchResults(v) {
    try {
      const r = await this.conn.request("vote.get", { vote: v.id });
      if (r.results) {
        v.results = r.results;
        v.counted = r.counted ?? v.counted;
        v.headHash = r.head_hash || v.headHash;
        this._render(v);
      }
    } catch {
      /* the link to the results page is there either way */
    }
  }

  _key(v) {
    return `${STORE_PREFIX}${this.welcome ? this.welcome.participant : "?"}.${v.id}`;
  }

  _restore(v) {
    if (!this.welcome) return;
    v.restored = true;
    try {
      const saved = JSON.parse(sessionStorage.getItem(this._key(v)) || "null");
      if (!saved) return;
      const known = new Set(v.proposalIds);
      v.draft = (saved.draft || []).filter((id) => known.has(id));
      v.pending = saved.pending || null;
      v.revoting = !!saved.revoting; // the receipt itself is not kept here: vote.mine tells it
    } catch {
      /* nothing kept */
    }
  }

  _save(v) {
    if (!this.welcome) return;
    try {
      sessionStorage.setItem(
        this._key(v),
        JSON.stringify({ draft: v.draft, pending: v.pending, revoting: v.revoting }),
      );
    } catch {
      /* storage off: this page keeps it until reload */
    }
  }

  /** Cards in order: open votes first, then drafts, closed, published; newest first within each. */
  _layout() {
    const list = [...this.votes.values()].sort((a, b) => {
      const pa = PHASE_ORDER[phaseOf(a)] ?? 9;
      const pb = PHASE_ORDER[phaseOf(b)] ?? 9;
      return pa - pb || b.id.localeCompare(a.id, "en", { numeric: true });
    });
    const current = [...this.cards.children];
    if (list.some((v, i) => current[i] !== v.ui.card)) {
      const focused = document.activeElement;
      this.cards.append(...list.map((v) => v.ui.card));
      if (focused && focused !== document.activeElement && this.cards.contains(focused)) focused.focus();
    }
    this.section.hidden = this.votes.size === 0;
  }

  // -- the card --------------------------------------------------------------------------------------
  _build(v) {
    const ui = {};
    const card = el("article", "ballot");
    card.dataset.vote = v.id;
    const titleId = `ballot-${v.id}-title`;
    card.setAttribute("aria-labelledby", titleId);
    ui.card = card;

    const head = el("header", "ballot-head");
    ui.title = el("h3", "ballot-title");
    ui.title.id = titleId;
    const state = el("p", "ballot-state");
    ui.badge = el("span", "phase-badge");
    ui.clock = el("span", "ballot-clock");
    state.append(ui.badge, ui.clock);
    ui.turnout = el("p", "ballot-turnout");
    head.append(ui.title, state, ui.turnout);

    ui.closed = el("div", "ballot-closed");
    ui.closed.setAttribute("role", "alert");
    ui.closedTitle = el("p", "ballot-closed-title");
    ui.closedBody = el("p", "ballot-closed-body");
    ui.closedOther = el("p", "ballot-closed-other");
    ui.closed.append(ui.closedTitle, ui.closedBody, ui.closedOther);

    ui.note = el("p", "ballot-note");
    ui.mineNote = el("p", "ballot-mine-note");

    // published results
    ui.results = el("div", "ballot-results");
    ui.resultsTitle = el("h4", "ballot-sub");
    ui.resultsList = el("div", "ballot-results-list");
    ui.resultsLink = el("a", "button-link");
    ui.results.append(ui.resultsTitle, ui.resultsList, ui.resultsLink);

    // the receipt
    ui.receipt = el("section", "receipt");
    ui.receipt.setAttribute("aria-labelledby", `ballot-${v.id}-receipt`);
    ui.receiptTitle = el("h4", "receipt-title");
    ui.receiptTitle.id = `ballot-${v.id}-receipt`;
    ui.receiptTitle.tabIndex = -1;
    ui.codeLabel = el("p", "code-label");
    ui.code = el("p", "code");
    ui.code.id = `ballot-${v.id}-code`;
    ui.receiptTime = el("p", "receipt-time");
    ui.channel = el("p", "receipt-channel");
    ui.superseded = el("p", "receipt-superseded");
    ui.keep = el("p", "receipt-keep");
    ui.check = el("a", "button-link");
    ui.sentLabel = el("p", "receipt-sent-label");
    ui.sentList = el("ol", "receipt-sent");
    ui.revoteNote = el("p", "receipt-revote-note");
    ui.revote = button("secondary revote");
    ui.receipt.append(
      ui.receiptTitle,
      ui.codeLabel,
      ui.code,
      ui.receiptTime,
      ui.channel,
      ui.superseded,
      ui.keep,
      ui.check,
      ui.sentLabel,
      ui.sentList,
      ui.revoteNote,
      ui.revote,
    );

    // the editor
    ui.editor = el("div", "ballot-editor");
    ui.rule = el("p", "ballot-rule");
    ui.rule.id = `ballot-${v.id}-rule`;
    ui.revoting = el("div", "revoting");
    ui.revotingText = el("p", "");
    ui.revoteCancel = button("link-like");
    ui.revoting.append(ui.revotingText, ui.revoteCancel);
    ui.mineHeading = el("h4", "ballot-sub");
    ui.ranking = el("ol", "ranking");
    ui.rankingEmpty = el("p", "ranking-empty");
    ui.poolHeading = el("h4", "ballot-sub");
    ui.pool = el("ul", "pool");
    ui.poolNote = el("p", "pool-note");
    ui.validity = el("p", "validity");
    ui.validity.id = `ballot-${v.id}-validity`;
    ui.error = el("p", "error ballot-error");
    ui.error.setAttribute("role", "alert");
    ui.cast = button("cast");
    ui.cast.setAttribute("aria-describedby", `${ui.validity.id} ${ui.rule.id}`);
    ui.resend = button("secondary resend");
    ui.editor.append(
      ui.rule,
      ui.revoting,
      ui.mineHeading,
      ui.ranking,
      ui.rankingEmpty,
      ui.poolHeading,
      ui.pool,
      ui.poolNote,
      ui.validity,
      ui.error,
      ui.cast,
      ui.resend,
    );

    card.append(head, ui.closed, ui.note, ui.mineNote, ui.results, ui.receipt, ui.editor);

    // one listener per card for every control in it
    card.addEventListener("click", (e) => {
      const target = e.target.closest("button");
      if (!target || !card.contains(target)) return;
      const act = target.dataset.act;
      const id = target.dataset.id;
      if (act === "pick") this._pick(v, id);
      else if (act === "up") this._move(v, id, -1);
      else if (act === "down") this._move(v, id, 1);
      else if (act === "remove") this._remove(v, id);
      else if (target === ui.cast) this._cast(v);
      else if (target === ui.resend) this._flush(v);
      else if (target === ui.revote) this._startRevote(v);
      else if (target === ui.revoteCancel) this._cancelRevote(v);
    });
    return ui;
  }

  /** The parts that change only with the language. */
  _renderStatic(v) {
    const ui = v.ui;
    ui.title.textContent = v.def.title;
    ui.rule.textContent = this._ruleText(v.def);
    ui.mineHeading.textContent = t("vote.mine");
    ui.poolHeading.textContent = t("vote.list");
    ui.codeLabel.textContent = t("vote.receipt.code");
    ui.keep.textContent = t("vote.receipt.keep");
    ui.check.textContent = t("vote.receipt.check");
    ui.sentLabel.textContent = t("vote.receipt.sent");
    ui.revoteNote.textContent = t("vote.revote.note");
    ui.revote.textContent = t("vote.revote");
    ui.revoteCancel.textContent = t("vote.revote.cancel");
    ui.resend.textContent = t("vote.resend");
    ui.resultsTitle.textContent = t("vote.results.title");
    ui.resultsLink.textContent = t("vote.results.link");
    ui.resultsLink.href = resultsHref(v.id);
  }

  _ruleText(def) {
    const [shortest, longest] = bounds(def);
    const n = def.proposals.length;
    if (def.rule.kind === "rank_all" && shortest === n) return t("vote.rule.all.exact", { n });
    if (def.rule.kind !== "rank_all" && shortest === longest) return t("vote.rule.topk.exact", { k: longest });
    const main = def.rule.kind === "rank_all" ? t("vote.rule.all") : t("vote.rule.topk", { k: longest });
    return `${main} ${t("vote.rule.min", { min: shortest })}`;
  }

  _tick() {
    for (const v of this.votes.values()) {
      if (v.phase !== phaseOf(v)) {
        this._render(v);
        this._layout();
      } else if (v.closesAt || v.hardCloseAt) this._renderClock(v, v.phase);
    }
  }

  _renderClock(v, phase) {
    const now = clock.now();
    let text = "";
    if (phase === "open" && v.closesAt) {
      text = t("vote.countdown", { time: fmtDuration(v.closesAt - now), at: fmtTime(v.closesAt) });
    } else if (phase === "closing" && v.hardCloseAt && now < v.hardCloseAt) {
      text = t("vote.grace", { time: fmtDuration(v.hardCloseAt - now) });
    }
    v.ui.clock.textContent = text;
    v.ui.clock.hidden = !text;
  }

  _render(v) {
    const ui = v.ui;
    const phase = phaseOf(v);
    if (v.phase !== null && v.phase !== phase) this._phaseChanged(v, v.phase, phase);
    v.phase = phase;
    ui.card.dataset.phase = phase;
    ui.badge.textContent = t(`vote.status.${phase}`);
    ui.badge.dataset.phase = phase;

    // the clock: a countdown to the close, then the grace period
    this._renderClock(v, phase);

    const turnout = v.turnout ?? 0;
    ui.turnout.hidden = phase === "draft" || (v.turnout === null && !v.eligible);
    ui.turnout.textContent = v.eligible
      ? t("vote.turnout", { voted: fmtNumber(turnout), eligible: fmtNumber(v.eligible) })
      : t("vote.turnout.only", { voted: fmtNumber(turnout) });

    // "voting has closed", in the page's language and, below, in the other one
    ui.closed.hidden = !v.closed;
    if (v.closed) {
      ui.closed.dataset.tone = v.closed.tone;
      const other = lang() === "ko" ? "en" : "ko";
      const body = (l) =>
        [v.closed.key ? tIn(l, v.closed.key, v.closed.vars) : "", v.closed.inflight ? tIn(l, "vote.closed.inflight") : ""]
          .filter(Boolean)
          .join(" ");
      ui.closedTitle.textContent = t("vote.closed.title");
      ui.closedBody.textContent = body(lang());
      ui.closedOther.textContent = `${tIn(other, "vote.closed.title")}. ${body(other)}`;
      ui.closedOther.lang = other;
    }

    let note = "";
    if (phase === "draft") note = t("vote.draft.body");
    else if (!this.mayCast && this.welcome && phase === "open") {
      note = t("vote.cannot", { role: t(`role.${this.welcome.role}`) });
    }
    ui.note.textContent = note;
    ui.note.hidden = !note;

    // published: the official order here, the board on the results page
    ui.results.hidden = phase !== "published";
    if (phase === "published" && v.results) {
      const order = officialOrder(v.results, v.def.method);
      setChildren(ui.resultsList, orderList(order, (id) => v.titles.get(id) || id, "order compact"));
    }

    // Until the server said what I voted, no ballot is offered (unless one of mine is on its way).
    const known = !!v.mine || v.mineFailed || !this.mayAsk;
    let mineNote = "";
    if (this.mayCast && !known && !v.pending && phase !== "draft") mineNote = t("vote.mine.checking");
    else if (this.mayCast && v.mine && v.mine.conflict) mineNote = t("vote.conflict");
    else if (this.mayCast && v.mine && !v.mine.eligible && phase === "open") mineNote = t("vote.err.not_eligible");
    ui.mineNote.textContent = mineNote;
    ui.mineNote.hidden = !mineNote;
    const mayEdit = this.mayCast && phase === "open" && !this._paperCounts(v) && (known || !!v.pending);
    const editing = mayEdit && (!v.receipt || v.revoting || !!v.pending);
    ui.editor.hidden = !editing;
    ui.receipt.hidden = !v.receipt || editing;
    if (v.receipt) this._renderReceipt(v, phase);
    // Rebuilt only when something in it changed: turnout events and the clock must not move focus.
    const sig = editing
      ? JSON.stringify([lang(), v.draft, v.sending, v.pending, v.error, v.revoting, v.receipt && v.receipt.code])
      : null;
    if (sig !== v.editorSig) {
      v.editorSig = sig;
      if (editing) this._renderEditor(v);
    }
  }

  _renderReceipt(v, phase) {
    const ui = v.ui;
    const r = v.receipt;
    ui.receiptTitle.textContent = t("vote.receipt.title");
    setCode(ui.code, r.code);
    ui.receiptTime.textContent = r.at ? t("vote.receipt.time", { time: fmtClock(r.at) }) : "";
    ui.receiptTime.hidden = !r.at;
    ui.check.href = resultsHref(v.id, r.code);
    setChildren(ui.sentList, ...r.ranking.map((id) => el("li", "", v.titles.get(id) || id)));
    // Which channel counts, and which of my other ballots it replaced (from vote.mine).
    const channel = r.channel || "online";
    ui.channel.textContent = t(`vote.receipt.channel.${channel}`);
    const others = (v.mine && v.mine.counted && v.mine.counted.tracking_code === r.code && v.mine.superseded) || [];
    const codes = (ch) => others.filter((b) => b.channel === ch).map((b) => b.tracking_code).join(", ");
    const lines = [];
    if (codes("online")) {
      lines.push(t(channel === "paper" ? "vote.receipt.byPaper" : "vote.receipt.superseded.online", { codes: codes("online") }));
    }
    if (codes("phone")) lines.push(t("vote.receipt.superseded.phone", { codes: codes("phone") }));
    ui.superseded.textContent = lines.join(" ");
    ui.superseded.hidden = lines.length === 0;
    const canRevote = this.mayCast && phase === "open" && !this._paperCounts(v);
    ui.revote.hidden = !canRevote;
    ui.revoteNote.hidden = !canRevote;
  }

  _renderEditor(v) {
    const ui = v.ui;
    const [shortest, longest] = bounds(v.def);
    const locked = v.sending || !!v.pending;
    const titleOf = (id) => v.titles.get(id) || id;

    ui.revoting.hidden = !(v.revoting && v.receipt);
    if (v.revoting && v.receipt) ui.revotingText.textContent = t("vote.revote.editing", { code: v.receipt.code });

    // my ranking
    const items = v.draft.map((id, i) => {
      const li = el("li", "rank-item");
      li.dataset.id = id;
      const num = el("span", "rank-num", String(i + 1));
      num.setAttribute("aria-hidden", "true");
      const title = el("span", "rank-title", titleOf(id));
      const tools = el("span", "rank-tools");
      const up = toolButton("rank-btn", "▲", t("vote.up"));
      up.dataset.act = "up";
      up.dataset.id = id;
      up.setAttribute("aria-label", t("vote.up.label", { title: titleOf(id) }));
      up.disabled = locked || i === 0;
      const down = toolButton("rank-btn", "▼", t("vote.down"));
      down.dataset.act = "down";
      down.dataset.id = id;
      down.setAttribute("aria-label", t("vote.down.label", { title: titleOf(id) }));
      down.disabled = locked || i === v.draft.length - 1;
      const rm = toolButton("rank-btn remove", "✕", t("vote.remove"));
      rm.dataset.act = "remove";
      rm.dataset.id = id;
      rm.setAttribute("aria-label", t("vote.remove.label", { title: titleOf(id) }));
      rm.disabled = locked;
      tools.append(up, down, rm);
      li.append(num, title, tools);
      return li;
    });
    setChildren(ui.ranking, ...items);
    ui.rankingEmpty.textContent = t("vote.mine.empty");
    ui.rankingEmpty.hidden = v.draft.length > 0;

    // the proposals not ranked yet
    const full = v.draft.length >= longest;
    const picked = new Set(v.draft);
    const pool = [];
    for (const p of v.def.proposals) {
      if (picked.has(p.id)) continue;
      const li = el("li", "");
      const b = button("pick");
      b.dataset.act = "pick";
      b.dataset.id = p.id;
      b.disabled = locked || full;
      b.append(el("span", "pick-title", p.title));
      if (p.description) b.append(el("span", "pick-desc", p.description));
      if (!full) b.append(el("span", "pick-hint", t("vote.add.hint", { n: v.draft.length + 1 })));
      li.append(b);
      pool.push(li);
    }
    setChildren(ui.pool, ...pool);
    ui.pool.hidden = pool.length === 0;
    ui.poolNote.textContent = pool.length === 0 ? t("vote.allRanked") : full ? t("vote.full", { k: longest }) : "";
    ui.poolNote.hidden = !ui.poolNote.textContent;

    this._renderSend(v);
  }

  /**
   * The one state of a ballot's sending, from the ballot and the connection together:
   * "ready" (live, nothing sent yet), "offline" (nothing sent, no connection: pressing the button
   * queues the ballot), "queued" (a ballot waits for the connection and goes by itself, with the
   * same nonce), "sending" (on its way), "retrying" (live, refused for now or unconfirmed: sent
   * again by itself, and "send again now" is offered).
   */
  _sendState(v) {
    if (v.sending) return "sending";
    if (v.pending) return this.conn.live ? "retrying" : "queued";
    return this.conn.live ? "ready" : "offline";
  }

  /** The send area shows exactly one state: one line above the button, and the button's label. */
  _renderSend(v) {
    const ui = v.ui;
    const [shortest, longest] = bounds(v.def);
    const state = this._sendState(v);
    const valid = v.draft.length >= shortest && v.draft.length <= longest;
    let line = "";
    let tone = "wait";
    if (state === "ready" || state === "offline") {
      tone = valid ? "yes" : "no";
      if (!valid) line = t("vote.need", { n: shortest - v.draft.length });
      else line = t(state === "ready" ? "vote.ready" : "vote.offline.ready");
    } else if (state === "queued") {
      line = t("vote.queued");
    }
    ui.validity.textContent = line;
    ui.validity.dataset.valid = tone;
    ui.validity.hidden = !line;
    ui.card.dataset.send = state;
    const blocked = !valid || state === "sending" || state === "queued" || state === "retrying";
    ui.cast.setAttribute("aria-disabled", blocked ? "true" : "false");
    ui.cast.textContent = t(
      { ready: "vote.send", offline: "vote.send", queued: "vote.queued.button", sending: "vote.sending", retrying: "vote.retrying.button" }[state],
    );
    // the error line only in the states it belongs to: offline, the queued line says it all
    const error = state === "retrying" || state === "ready" ? v.error : null;
    ui.error.hidden = !error;
    ui.error.textContent = error ? t(error.key, error.vars) : "";
    ui.resend.hidden = state !== "retrying";
  }

  // -- editing -------------------------------------------------------------------------------------
  _editable(v) {
    return this.mayCast && phaseOf(v) === "open" && !v.sending && !v.pending;
  }

  _pick(v, id) {
    const [, longest] = bounds(v.def);
    if (!this._editable(v) || v.draft.includes(id) || v.draft.length >= longest) return;
    const before = v.def.proposals.filter((p) => !v.draft.includes(p.id)).findIndex((p) => p.id === id);
    v.draft.push(id);
    v.error = null;
    this._save(v);
    this._render(v);
    this._say(t("vote.added", { title: v.titles.get(id), n: v.draft.length }));
    // focus stays in the list, on the proposal that took this one's place (or the send button)
    const picks = [...v.ui.pool.querySelectorAll("button.pick:not([disabled])")];
    (picks[Math.min(before, picks.length - 1)] || v.ui.cast).focus();
  }

  _move(v, id, delta) {
    const i = v.draft.indexOf(id);
    const j = i + delta;
    if (!this._editable(v) || i < 0 || j < 0 || j >= v.draft.length) return;
    [v.draft[i], v.draft[j]] = [v.draft[j], v.draft[i]];
    this._save(v);
    this._render(v);
    this._say(t("vote.moved", { title: v.titles.get(id), n: j + 1 }));
    // focus follows the item that moved; at the top or bottom, its other arrow
    const same = v.ui.ranking.querySelector(`button[data-act="${delta < 0 ? "up" : "down"}"][data-id="${CSS.escape(id)}"]`);
    const other = v.ui.ranking.querySelector(`button[data-act="${delta < 0 ? "down" : "up"}"][data-id="${CSS.escape(id)}"]`);
    (same && !same.disabled ? same : other)?.focus();
  }

  _remove(v, id) {
    const i = v.draft.indexOf(id);
    if (!this._editable(v) || i < 0) return;
    v.draft.splice(i, 1);
    this._save(v);
    this._render(v);
    this._say(t("vote.removed", { title: v.titles.get(id) }));
    const rest = [...v.ui.ranking.querySelectorAll('button[data-act="remove"]')];
    (rest[Math.min(i, rest.length - 1)] || v.ui.pool.querySelector("button.pick:not([disabled])") || v.ui.cast).focus();
  }

  _startRevote(v) {
    if (!this.mayCast || phaseOf(v) !== "open") return;
    v.revoting = true;
    v.draft = [...v.receipt.ranking];
    this._save(v);
    this._render(v);
    v.ui.mineHeading.scrollIntoView({ block: "nearest" });
    (v.ui.ranking.querySelector("button:not([disabled])") || v.ui.cast).focus();
  }

  _cancelRevote(v) {
    v.revoting = false;
    v.draft = [];
    v.error = null;
    this._save(v);
    this._render(v);
    v.ui.receiptTitle.focus();
  }

  _say(text) {
    this.live.textContent = text;
  }

  // -- casting -------------------------------------------------------------------------------------
  _cast(v) {
    if (!this._editable(v)) return;
    const [shortest, longest] = bounds(v.def);
    if (v.draft.length < shortest || v.draft.length > longest) {
      v.ui.validity.scrollIntoView({ block: "nearest" });
      this._say(v.ui.validity.textContent);
      return;
    }
    // A new ballot gets a new nonce; it is kept until the receipt, for every retry of this ballot.
    v.pending = { nonce: newNonce(), ranking: [...v.draft] };
    v.error = null;
    this._save(v);
    this._flush(v);
  }

  /** Send the pending ballot (again), with its own nonce. */
  async _flush(v) {
    clearTimeout(v.retryTimer);
    if (!v.pending || v.sending || !this.conn.live) {
      this._render(v);
      return;
    }
    v.sending = true;
    this._render(v);
    const { nonce, ranking } = v.pending;
    let outcome = null;
    try {
      const r = await this.conn.request("vote.cast", { vote: v.id, ranking, nonce });
      v.receipt = { code: r.tracking_code, ranking, at: r.received_ms, channel: "online" };
      v.casts += 1;
      v.mineFinal = null; // asked again below: a notice must not rest on an answer from before this ballot
      v.pending = null;
      v.revoting = false;
      v.draft = [];
      v.error = null;
      outcome = "ok";
    } catch (err) {
      if (RETRYABLE.has(err.name) || err.retryable) {
        // rate_limited: the hub said when its cast bucket has a token again; sending sooner
        // would only be refused again (and count against the same bucket).
        // not_checked_in (a vote of the hall): kept and sent again once the desk has checked them
        // in, and the page says so, where "sending again soon" would leave them waiting in vain.
        let wait = 0;
        if (err.name === "not_checked_in") {
          wait = HALL_RETRY_MS;
          v.error = { key: "mt.err.not_checked_in", vars: {} };
        } else if (err.name === "rate_limited" && Number(err.retryAfterMs) > 0) {
          wait = Number(err.retryAfterMs);
          v.error = { key: "vote.waiting.rate", vars: { s: Math.max(1, Math.ceil(wait / 1000)) } };
        } else {
          v.error = { key: "vote.waiting", vars: {} };
        }
        outcome = "retry";
        if (this.conn.live) v.retryTimer = setTimeout(() => this._flush(v), Math.max(3_000, wait));
      } else if (err.name === "vote_closed") {
        v.pending = null;
        v.status = "closed";
        v.mineFinal = null;
        v.closed = this._closedNotice(v, true);
        v.revoting = false;
        outcome = "closed";
      } else {
        v.pending = null;
        const known = ["vote_not_open", "not_eligible", "forbidden", "unknown_vote", "too_many_ballots"];
        v.error = known.includes(err.name)
          ? { key: `vote.err.${err.name}`, vars: {} }
          : { key: "vote.err.other", vars: { name: err.name, message: err.message } };
        outcome = "error";
      }
    } finally {
      v.sending = false;
    }
    if (v.closed && v.closed.inflight && outcome !== "retry") {
      v.closed = this._closedNotice(v, outcome === "closed");
    }
    this._save(v);
    this._render(v);
    this._layout();
    if (outcome === "ok" || outcome === "closed") this._askMine(v); // which ballot counts now
    if (outcome === "ok") {
      this._say(`${t("vote.receipt.title")}. ${t("vote.receipt.code")} ${v.receipt.code}`);
      if (!v.ui.receipt.hidden) v.ui.receiptTitle.focus();
    } else if (outcome === "closed") {
      v.ui.closed.scrollIntoView({ block: "nearest" });
    }
  }

  // -- the close -------------------------------------------------------------------------------------
  _phaseChanged(v, from, to) {
    if (from !== "open" || !(to === "closing" || to === "closed" || to === "published")) return;
    if (!this.mayCast || !v.synced) return;
    v.mineFinal = null;
    v.closed = this._closedNotice(v, false);
    v.revoting = false;
    this._askMine(v); // what the store holds as of the close decides what the notice says
    this._save(v);
    // said at once: the alert region speaks, and it is brought into view
    requestAnimationFrame(() => v.ui.closed.scrollIntoView({ block: "nearest" }));
  }

  /**
   * What to tell a panelist when the vote closes. Whether they voted is the server's answer to a
   * `vote.mine` asked after the close (`v.mineFinal`); until it comes the notice says it is checking.
   * What this tab adds: a ranking it had not sent, or a ballot still on its way.
   */
  _closedNotice(v, castRefused) {
    const unsent = castRefused || (v.draft.length > 0 && (!v.receipt || v.revoting));
    const inflight = !!v.pending;
    const base = { refused: castRefused, inflight, vars: {} };
    const final = this.mayAsk && !v.mineFailed ? v.mineFinal : null;
    // Before the final answer, the ballot the server last named (a receipt, an earlier vote.mine).
    const counted = final ? final.counted : v.receipt && { tracking_code: v.receipt.code, channel: v.receipt.channel };
    if (final && final.conflict) return { ...base, key: "vote.conflict", tone: "wait" };
    if (counted) {
      const vars = { code: counted.tracking_code };
      if (unsent || inflight) return { ...base, key: "vote.closed.unsentKept", vars, tone: "bad" };
      const key = counted.channel === "paper" ? "vote.closed.keptPaper" : "vote.closed.kept";
      return { ...base, key, vars, tone: "ok" };
    }
    if (unsent || inflight) return { ...base, key: "vote.closed.unsent", tone: "bad" };
    if (!final) return { ...base, key: this.mayAsk && !v.mineFailed ? "vote.closed.checking" : "", tone: "wait" };
    if (!final.eligible) return { ...base, key: "vote.closed.notEligible", tone: "wait" };
    return { ...base, key: "vote.closed.none", tone: "bad" }; // only ever from the server's answer
  }
}
