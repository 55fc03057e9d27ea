// The panelists' Q&A panel (inside the panelist page): ask (optionally without one's name), the
// approved questions by votes or in the moderators' order, upvote and withdraw, the one on air.
//
// Mount: const qa = new QaPanel(conn, sectionElement, {onCount}); then qa.setWelcome(welcome) on
// every welcome, qa.setMeeting(id) when the meeting changes, qa.rerender() on a language change.
// Text from people goes on the page through textContent only.

import { t } from "../lib/i18n.js";
import { listNote, pressToggle, renderItems } from "../lib/item-list.js";
import { Cooldown, QaState, button, el, errText, followState, may, setChildren } from "../lib/meeting-common.js";

const MAX_CHARS = 300;
const SORT_KEY = "plenary.qa.sort";
const STATE_LABEL = { pending: "qa.state.pending", dismissed: "qa.state.dismissed", merged: "qa.state.merged" };

export class QaPanel {
  constructor(conn, root, { onCount = () => {} } = {}) {
    this.conn = conn;
    this.root = root;
    this.onCount = onCount;
    this.welcome = null;
    this.meeting = null;
    this.sub = null;
    this.qa = new QaState();
    this.mine = new Map(); // id -> {state, text, anonymous}: my questions
    this.voted = new Set();
    this.busy = new Set(); // question ids with a vote in flight
    // After rate_limited: the vote buttons (or the ask button) stay off until the hub's wait ends.
    this.voteWait = new Cooldown(() => this.renderList());
    this.askWait = new Cooldown(() => this._renderAsk());
    this.timer = null; // a coalesced render
    this.loaded = false;
    this.error = null;
    this.sort = "votes";
    try {
      if (sessionStorage.getItem(SORT_KEY) === "order") this.sort = "order";
    } catch {
      /* ignore */
    }
    this._build();
    conn.watch(() => this._renderAsk());
  }

  _build() {
    const r = this.root;
    this.heading = el("h2", "panel-heading", "");
    this.heading.id = "qa-heading";
    r.setAttribute("aria-labelledby", "qa-heading");

    // the ask form
    this.form = el("form", "qa-ask");
    this.form.noValidate = true;
    this.askLabel = el("label", "field-label", "");
    this.askLabel.htmlFor = "qa-text";
    this.text = el("textarea", "input qa-text");
    this.text.id = "qa-text";
    this.text.rows = 2;
    this.text.setAttribute("aria-describedby", "qa-count qa-ask-msg");
    this.count = el("span", "count");
    this.count.id = "qa-count";
    // Anonymous by default toward panelists and the stream (moderation/qa.py names_author): the
    // asker ticks this to agree to be named; it is unticked again after every question.
    this.showNameLabel = el("label", "choice");
    this.showName = el("input");
    this.showName.type = "checkbox";
    this.showName.id = "qa-show-name";
    this.showNameText = el("span", "", "");
    this.showNameLabel.append(this.showName, this.showNameText);
    this.askBtn = el("button", "small-btn primary", "");
    this.askBtn.type = "submit";
    this.askMsg = el("p", "qa-ask-msg");
    this.askMsg.id = "qa-ask-msg";
    this.askMsg.setAttribute("role", "status");
    const row = el("div", "qa-ask-row");
    row.append(this.showNameLabel, this.count);
    // offline, one line says the question cannot go yet (and the button does not pretend to send)
    this.askOffline = el("p", "offline-note");
    this.askOffline.hidden = true;
    this.form.append(this.askLabel, this.text, row, this.askMsg, this.askOffline, this.askBtn);
    this.form.addEventListener("submit", (e) => {
      e.preventDefault();
      this.ask();
    });
    this.text.addEventListener("input", () => this._renderCount());

    // my questions that panelists do not see (yet)
    this.mineBox = el("div", "qa-mine");
    this.mineHeading = el("h3", "sub-heading", "");
    this.mineList = el("ul", "qa-mine-list");
    this.mineBox.append(this.mineHeading, this.mineList);

    // sort toggle
    this.sortBox = el("div", "toggle");
    this.sortBox.setAttribute("role", "group");
    this.sortVotes = button("toggle-btn", "", () => this.setSort("votes"));
    this.sortOrder = button("toggle-btn", "", () => this.setSort("order"));
    this.sortBox.append(this.sortVotes, this.sortOrder);

    this.note = el("p", "hint-text qa-note");
    this.list = el("ol", "qa-list");
    this.status = el("p", "visually-hidden");
    this.status.setAttribute("role", "status");
    // Seen, next to the buttons pressed: why they are off and for how long.
    this.waitMsg = el("p", "error qa-wait");
    this.waitMsg.setAttribute("role", "alert");
    this.waitMsg.hidden = true;
    setChildren(r, this.heading, this.form, this.mineBox, this.sortBox, this.note, this.waitMsg, this.list, this.status);
    this.rerender();
  }

  setWelcome(welcome) {
    this.welcome = welcome;
    this.rerender();
    if (this.meeting) this._loadMine();
  }

  setMeeting(id) {
    if (this.meeting === id && this.sub) return;
    this.meeting = id;
    this.qa = new QaState();
    this.mine.clear();
    this.voted.clear();
    this.loaded = false;
    this.error = null;
    this.sub?.close();
    this.sub = followState(this.conn, `meeting/${id}/qa`, {
      onSnapshot: (s) => {
        this.qa.snapshot(s);
        this.loaded = true;
      },
      onEvents: (events, info) => {
        if (!info.snapshot) for (const e of events) this.qa.apply(e);
        this.loaded = true;
        // One of mine left the panelists' view (set aside, merged): ask what became of it.
        const gone = events.some((e) => ((e.data || {}).removed || []).some((id) => this.mine.has(Number(id))));
        if (info.initial || gone) this._loadMine();
        this._mergeMine();
        // Thousands vote at once: one render per 300 ms at most, whatever the number of events.
        if (info.initial) this.renderList();
        else this._schedule();
      },
      onError: (err) => {
        this.error = err;
        this.renderList();
      },
    });
    this.rerender();
  }

  async _loadMine() {
    if (!may(this.welcome, "qa.mine") || !this.conn.live) return;
    const meeting = this.meeting;
    try {
      const r = await this.conn.request("qa.mine", { meeting });
      if (meeting !== this.meeting) return;
      this.mine = new Map((r.asked || []).map((q) => [Number(q.id), q]));
      this.voted = new Set((r.voted || []).map(Number));
      this._mergeMine();
      this.renderList();
    } catch {
      /* the list still shows; votes are re-read after the next reconnect */
    }
  }

  /** A question of mine that panelists see now carries its public state. */
  _mergeMine() {
    for (const [id, q] of this.mine) {
      const pub = this.qa.questions.get(id);
      if (pub) q.state = pub.state;
      else if (!["pending", "dismissed", "merged"].includes(q.state)) q.state = "pending";
    }
  }

  _schedule() {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.renderList();
    }, 300);
  }

  setSort(by) {
    this.sort = by;
    try {
      sessionStorage.setItem(SORT_KEY, by);
    } catch {
      /* ignore */
    }
    this.renderList();
  }

  _renderCount() {
    const n = [...this.text.value.trim()].length;
    this.count.textContent = t("composer.count", { n, max: MAX_CHARS });
    this.count.classList.toggle("over", n > MAX_CHARS);
  }

  async ask() {
    const text = this.text.value.trim();
    if (!text) {
      this.text.focus();
      return;
    }
    if ([...text].length > MAX_CHARS) {
      this._askMessage("error", t("qa.err.long", { max: MAX_CHARS }));
      return;
    }
    if (this.askWait.active) return;
    if (!this.conn.live) {
      this._renderAsk();
      return;
    }
    this.askBtn.disabled = true;
    try {
      const anonymous = !this.showName.checked;
      const r = await this.conn.request("qa.ask", { meeting: this.meeting, text, anonymous });
      this.mine.set(Number(r.question), { id: r.question, state: r.state, text, anonymous });
      this.text.value = "";
      this.showName.checked = false;
      this._renderCount();
      this._askMessage("ok", t("qa.asked"));
      this.renderList();
    } catch (err) {
      this._askMessage("error", errText(err));
      this.askWait.start(err);
    } finally {
      this._renderAsk();
    }
  }

  _renderAsk() {
    this.askBtn.disabled = this.askWait.active;
    const off = this.conn.state !== "live";
    this.askOffline.textContent = off ? t("offline.send") : "";
    this.askOffline.hidden = !off;
    this.askBtn.setAttribute("aria-disabled", String(off));
    if (!this.askWait.active && this.askMsg.classList.contains("waiting")) this._askMessage("ok", "");
    this.askMsg.classList.toggle("waiting", this.askWait.active);
  }

  _askMessage(kind, text) {
    this.askMsg.textContent = text;
    this.askMsg.className = `qa-ask-msg ${kind === "error" ? "error" : "ok-text"}`;
    this.askMsg.setAttribute("role", kind === "error" ? "alert" : "status");
  }

  vote(q, on) {
    return pressToggle({
      id: q.id,
      busy: this.busy,
      wait: this.voteWait,
      render: () => this.renderList(),
      root: this.root,
      status: this.status,
      waitMsg: this.waitMsg,
      request: () => this.conn.request(on ? "qa.upvote" : "qa.unvote", { meeting: this.meeting, question: q.id }),
      done: (r) => {
        if (r.voted) this.voted.add(q.id);
        else this.voted.delete(q.id);
        const cur = this.qa.questions.get(q.id);
        if (cur && typeof r.votes === "number") cur.votes = r.votes;
        return t(r.voted ? "qa.voted.on" : "qa.voted.off", { n: r.votes });
      },
    });
  }

  rerender() {
    this.heading.textContent = t("qa.heading");
    this.askLabel.textContent = t("qa.ask.label");
    this.text.placeholder = t("qa.ask.placeholder");
    this.showNameText.textContent = t("qa.showName");
    this.askBtn.textContent = t("qa.ask.send");
    this.mineHeading.textContent = t("qa.mine.heading");
    this.sortBox.setAttribute("aria-label", t("qa.sort.label"));
    this.sortVotes.textContent = t("qa.sort.votes");
    this.sortOrder.textContent = t("qa.sort.order");
    const canAsk = may(this.welcome, "qa.ask");
    this.form.hidden = !canAsk;
    this._renderCount();
    this._renderAsk();
    this.renderList();
  }

  renderList() {
    this.waitMsg.hidden = !this.voteWait.active;
    this.sortVotes.setAttribute("aria-pressed", String(this.sort === "votes"));
    this.sortOrder.setAttribute("aria-pressed", String(this.sort === "order"));
    // my questions waiting for a moderator (or set aside)
    const hiddenMine = [...this.mine.values()].filter((q) => !this.qa.questions.has(Number(q.id)));
    this.mineBox.hidden = hiddenMine.length === 0;
    setChildren(
      this.mineList,
      ...hiddenMine.map((q) => {
        const li = el("li", "qa-mine-item");
        li.append(el("span", "state-tag", t(STATE_LABEL[q.state] || "qa.state.pending")), el("span", "", q.text));
        return li;
      }),
    );
    const list = this.qa.sorted(this.sort);
    this.onCount(list.filter((q) => q.state !== "answered").length);
    listNote(this.note, { error: this.error, loaded: this.loaded, empty: !list.length }, { loading: t("qa.loading"), none: t("qa.none") });
    const canVote = may(this.welcome, "qa.upvote");
    renderItems(this.list, list.map((q) => this._item(q, canVote)));
  }

  _item(q, canVote) {
    const li = el("li", `qa-item state-${q.state}`);
    li.dataset.id = String(q.id);
    if (q.state === "on_air") {
      li.append(el("p", "on-air-tag", t("qa.onair")));
      li.setAttribute("aria-current", "true");
    } else if (q.state === "answered") li.append(el("p", "state-tag", t("qa.state.answered")));
    li.append(el("p", "qa-text-shown", q.text));
    const meta = el("p", "qa-meta");
    const mine = this.mine.has(Number(q.id));
    const who = q.anonymous || !q.author ? t("qa.anonymous") : q.author.name;
    meta.append(el("span", "qa-author", who));
    if (mine) meta.append(el("span", "badge self", t("chat.me")));
    const votable = canVote && q.state !== "answered";
    if (!votable) meta.append(el("span", "qa-votes", t("qa.votes", { n: q.votes || 0 })));
    li.append(meta);
    if (votable) {
      const on = this.voted.has(Number(q.id));
      const b = button(`vote-btn${on ? " on" : ""}`, t(on ? "qa.unvote" : "qa.upvote", { n: q.votes || 0 }), () =>
        this.vote(q, !on),
      );
      b.setAttribute("aria-pressed", String(on));
      b.setAttribute("aria-label", t(on ? "qa.unvote.label" : "qa.upvote.label", { n: q.votes || 0, text: q.text.slice(0, 40) }));
      b.disabled = this.busy.has(q.id) || this.voteWait.active;
      li.append(b);
    }
    return li;
  }
}
