// The host console's form for the plenary ballot (issue 14): pick the meetings' published shortlist
// votes, the plenary vote's id and title and how many each panelist ranks (`top`, 10: the Top 10),
// and make it (`proposal.ballot`). The draft is listed on the meeting chosen in the console's form
// and joins the console's vote list like any other; the host opens, closes and publishes it there.
//
// Which votes are published shortlist votes: the proposals they kept say so. Each meeting's
// `proposal.list` gives its proposals with `shortlist: {vote, rank}` (set when a shortlist vote is
// published) and `ballot` (set once on a plenary ballot); `vote.list` gives the votes' titles. (Not
// `GET /api/votes/<vote>/provenance.json` on every published vote: it answers 404 for every vote
// not made from proposals.) The list is read on each welcome (a connect or a reconnect), after
// making a ballot and on "목록 새로 고침", and it is live: the form follows every meeting's
// `meeting/<id>/proposals` (beside the console's other parts on the same channels: client.js gives
// each part its own listener on one subscription) and reads the list again, once for a burst, when
// a shortlist vote's publication shortlists proposals or a ballot takes them (`proposal.shortlisted`,
// `proposal.on_ballot`, `proposal.decided`). Refusals are the codes' plain words (errText).
//
// Mount: new BallotForm(conn, sectionElement, {onMade}); setWelcome, setMeeting, rerender (host.js
// tools). Titles people wrote go on the page through textContent only.

import { t } from "../lib/i18n.js";
import { button, el, errText, followState, may, setChildren } from "../lib/meeting-common.js";
import { freeId } from "./shortlist-form.js";

const MAX_TOP = 100; // realtime/protocol/proposals.py: `top` is 1 … 100
const PLENARY_TOP = 10; // proposals/provenance.py PLENARY_TOP
const CHANGES_LIST = new Set(["proposal.shortlisted", "proposal.on_ballot", "proposal.decided"]);
const RELOAD_MS = 500; // a publication shortlists ten proposals in one event; a burst reads once

export class BallotForm {
  constructor(conn, root, { onMade = () => {} } = {}) {
    this.conn = conn;
    this.root = root;
    this.onMade = onMade;
    this.welcome = null;
    this.meeting = null;
    this.shortlists = []; // [{vote, title, meeting, kept, onBallot}]: published shortlist votes
    this.taken = new Set(); // every vote id (vote.list): the proposed id is a free one
    this.loading = false;
    this.loaded = false;
    this.sending = false;
    this.made = null;
    this.touched = { id: false, title: false };
    this.subs = new Map(); // meeting id -> its proposals channel's listener
    this.reloadTimer = null;
    this.again = false; // a change came while the list was being read: read once more
    root.hidden = true;
    root.setAttribute("aria-labelledby", "ballot-heading");
    this.heading = el("h2", "panel-heading");
    this.heading.id = "ballot-heading";
    this.hint = el("p", "hint-text");
    this.form = el("form", "form ballot-form");
    this.form.noValidate = true;
    this.form.addEventListener("submit", (e) => {
      e.preventDefault();
      this.send();
    });
    this.box = el("fieldset", "fieldset ballot-shortlists");
    this.legend = el("legend", "field-label");
    this.note = el("p", "hint-text");
    this.choices = el("div", "ballot-choices");
    this.refresh = button("small-btn", "", () => this.load());
    this.box.append(this.legend, this.note, this.choices, this.refresh);
    const field = (id, type, max) => {
      const label = el("label", "field-label");
      const input = el("input", "input");
      input.id = id;
      input.type = type;
      if (type === "text") input.maxLength = max;
      else input.max = String(max);
      input.autocomplete = "off";
      label.htmlFor = id;
      return [label, input];
    };
    [this.idLabel, this.voteId] = field("ballot-id", "text", 64);
    this.voteId.spellcheck = false;
    [this.titleLabel, this.title] = field("ballot-title", "text", 200);
    [this.topLabel, this.top] = field("ballot-top", "number", MAX_TOP);
    this.top.classList.add("narrow");
    this.top.min = "1";
    this.top.value = String(PLENARY_TOP);
    this.top.inputMode = "numeric";
    this.top.setAttribute("aria-describedby", "ballot-top-hint");
    this.topHint = el("p", "hint-text");
    this.topHint.id = "ballot-top-hint";
    this.where = el("p", "hint-text"); // the meeting whose pages list it: the console's
    this.voteId.addEventListener("input", () => (this.touched.id = true));
    this.title.addEventListener("input", () => (this.touched.title = true));
    this.msg = el("p", "proposal-msg");
    this.msg.setAttribute("role", "status");
    this.sendBtn = el("button", "send");
    this.sendBtn.type = "submit";
    this.form.append(this.box, this.idLabel, this.voteId, this.titleLabel, this.title, this.where, this.topLabel, this.top, this.topHint, this.msg, this.sendBtn);
    this.result = el("div", "ballot-result");
    this.result.hidden = true;
    root.append(this.heading, this.hint, this.form, this.result);
  }

  setWelcome(w) {
    this.welcome = w;
    this.root.hidden = !may(w, "proposal.ballot");
    this.rerender();
    this.follow();
    if (!this.root.hidden) this.load(); // each welcome: a connect or a reconnect
  }

  /** Follow each meeting's proposals (once; the connection re-subscribes after a reconnect). */
  follow() {
    const wanted = new Set(this.root.hidden ? [] : ((this.welcome && this.welcome.meetings) || []).map((m) => m.id));
    for (const [id, sub] of this.subs) {
      if (wanted.has(id)) continue;
      sub.close();
      this.subs.delete(id);
    }
    for (const id of wanted) {
      if (this.subs.has(id)) continue;
      this.subs.set(
        id,
        followState(this.conn, `meeting/${id}/proposals`, {
          onEvents: (events, info) => {
            if (info.initial) return; // a start: the welcome's own read covers it
            if (events.some((e) => CHANGES_LIST.has(e.event))) this.reloadSoon();
          },
          onError: () => this.subs.delete(id), // not this caller's: the list says what it can read
        }),
      );
    }
  }

  reloadSoon() {
    clearTimeout(this.reloadTimer);
    this.reloadTimer = setTimeout(() => {
      if (this.loading) this.again = true;
      else this.load();
    }, RELOAD_MS);
  }

  setMeeting(id) {
    this.meeting = id;
    this.render();
  }

  rerender() {
    this.heading.textContent = t("host.ballot.heading");
    this.hint.textContent = t("host.ballot.hint");
    this.legend.textContent = t("host.ballot.shortlists");
    this.refresh.textContent = t("host.ballot.refresh");
    this.idLabel.textContent = t("host.ballot.id");
    this.titleLabel.textContent = t("host.ballot.title");
    this.topLabel.textContent = t("host.ballot.top");
    this.topHint.textContent = t("host.ballot.top.hint", { max: MAX_TOP });
    this.sendBtn.textContent = t(this.sending ? "host.ballot.sending" : "host.ballot.send");
    this.render();
  }

  /** The votes (titles, the ids in use), then each meeting's proposals: the shortlist votes that
   * kept them, how many each kept and how many of those are on a plenary ballot already. */
  async load() {
    if (this.loading || this.root.hidden || !this.conn.live) return;
    this.loading = true;
    if (this.msg.getAttribute("role") === "alert") this.message("ok", ""); // a failed read is read again
    this.render();
    try {
      const listed = await this.conn.request("vote.list", {});
      const votes = new Map((listed.votes || []).map((v) => [v.vote, v]));
      this.taken = new Set(votes.keys());
      const found = new Map();
      for (const m of (this.welcome && this.welcome.meetings) || []) {
        let page;
        try {
          page = await this.conn.request("proposal.list", { meeting: m.id });
        } catch (err) {
          if (["not_a_member", "forbidden", "unknown_meeting"].includes(err.name)) continue; // none for this caller
          throw err; // said, and read again by "목록 새로 고침": never a list silently short
        }
        for (const p of page.proposals || []) {
          const v = p.shortlist && votes.get(p.shortlist.vote);
          if (!v || v.status !== "published") continue;
          const s = found.get(v.vote) || { vote: v.vote, title: v.title, meeting: m.id, kept: 0, onBallot: 0 };
          s.kept += 1;
          if (p.ballot) s.onBallot += 1;
          found.set(v.vote, s);
        }
      }
      this.shortlists = [...found.values()];
      this.loaded = true;
    } catch (err) {
      this.message("error", errText(err));
    } finally {
      this.loading = false;
      this.render();
      if (this.again) {
        this.again = false;
        this.reloadSoon();
      }
    }
  }

  meetingTitle(id) {
    const m = ((this.welcome && this.welcome.meetings) || []).find((x) => x.id === id);
    return m ? m.title : id;
  }

  message(kind, text) {
    this.msg.textContent = text;
    this.msg.className = `proposal-msg ${kind === "error" ? "error" : "ok-text"}`;
    this.msg.setAttribute("role", kind === "error" ? "alert" : "status");
  }

  render() {
    if (this.root.hidden) return;
    const ticked = new Set([...this.choices.querySelectorAll("input:checked")].map((b) => b.value));
    this.note.textContent = !this.loaded ? (this.loading ? t("host.ballot.loading") : "") : this.shortlists.length ? "" : t("host.ballot.none");
    this.note.hidden = !this.note.textContent;
    setChildren(
      this.choices,
      ...this.shortlists.map((s) => {
        const label = el("label", "choice");
        const box = el("input");
        box.type = "checkbox";
        box.value = s.vote;
        box.checked = ticked.has(s.vote);
        const text = t("host.ballot.shortlist", { title: s.title, meeting: this.meetingTitle(s.meeting), n: s.kept });
        label.append(box, el("span", "", s.onBallot ? `${text} · ${t("host.ballot.used", { n: s.onBallot })}` : text));
        return label;
      }),
    );
    if (!this.touched.id) this.voteId.value = this.meeting ? freeId(`${this.meeting}-top`, this.taken) : "";
    if (!this.touched.title) this.title.value = t("host.ballot.title.default");
    this.where.textContent = this.meeting ? t("host.ballot.where", { meeting: this.meetingTitle(this.meeting) }) : "";
    this.renderResult();
  }

  async send() {
    const shortlists = [...this.choices.querySelectorAll("input:checked")].map((b) => b.value);
    const vote = this.voteId.value.trim();
    const title = this.title.value.trim();
    const top = Number(this.top.value);
    const fail = (key, input, vars = {}) => {
      this.message("error", t(key, vars));
      input?.focus();
    };
    if (!shortlists.length) return fail("host.ballot.err.pick", this.choices.querySelector("input") || this.refresh);
    if (!/^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/.test(vote)) return fail("mod.short.err.id", this.voteId);
    if (!title) return fail("mod.short.err.title", this.title);
    if (!Number.isInteger(top) || top < 1 || top > MAX_TOP) return fail("mod.short.err.top", this.top, { max: MAX_TOP });
    if (this.sending) return;
    this.sending = true;
    this.sendBtn.disabled = true;
    this.sendBtn.textContent = t("host.ballot.sending");
    try {
      const r = await this.conn.request("proposal.ballot", { vote, title, shortlists, top, meeting: this.meeting || null });
      this.made = { vote: r.vote, title, items: r.items };
      this.taken.add(r.vote);
      this.message("ok", t(r.offset === null ? "host.ballot.made.again" : "host.ballot.made", { title, n: r.items.length }));
      this.touched = { id: false, title: false };
      for (const b of this.choices.querySelectorAll("input:checked")) b.checked = false;
      this.render();
      await this.onMade(r.vote);
    } catch (err) {
      this.message("error", errText(err));
    } finally {
      this.sending = false;
      this.sendBtn.disabled = false;
      this.sendBtn.textContent = t("host.ballot.send");
    }
  }

  /** The ballot just made: its items in order, each with the meeting and the shortlist place. */
  renderResult() {
    const m = this.made;
    this.result.hidden = !m;
    if (!m) return;
    const list = el("ol", "short-items");
    for (const item of m.items) {
      const li = el("li", "");
      const where = t("host.ballot.item.from", { meeting: this.meetingTitle(item.meeting), rank: item.shortlist ? item.shortlist.rank : "-" });
      li.append(el("span", "proposal-title", item.title), el("span", "hint-text", ` ${where}`));
      list.append(li);
    }
    setChildren(this.result, el("h3", "sub-heading", t("host.ballot.result.heading", { title: m.title })), list);
  }
}
