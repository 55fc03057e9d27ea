// The "지금" strip of the panelist page: what is live now, always in view on a phone whatever
// section is open (it sits in the bottom dock, above the section buttons): the question on air and
// an open vote with its countdown and a button that goes to the ballot. Hidden when nothing is live.
//
// It reads the state the Q&A panel and the ballot already keep (no channel of its own, so nothing
// is asked twice of the hub) and redraws once a second for the countdown. Its nodes are kept and
// only their text changes, so a keyboard user on "go to the ballot" keeps the focus. It is not a
// live region: a countdown read out every second would drown everything else; the ballot and the
// Q&A panel say their own changes.
//
// Mount: new NowStrip(sectionElement, {qa, ballot, onGoVote(voteId)}); rerender() after a language
// change.

import { t } from "../lib/i18n.js";
import { el } from "../lib/meeting-common.js";
import { clock, fmtDuration, phaseOf } from "../lib/vote-common.js";

const TICK_MS = 1000;

/** Set a node's text only when it changed (no needless layout work every second). */
function put(node, text) {
  if (node.textContent !== text) node.textContent = text;
}

export class NowStrip {
  /**
   * @param {HTMLElement} root an empty element (the page's `#now`)
   * @param {{qa: import("./qa.js").QaPanel, ballot: import("./ballot.js").Ballot,
   *   onGoVote: (voteId: string) => void}} o
   */
  constructor(root, { qa, ballot, onGoVote }) {
    this.root = root;
    this.qa = qa;
    this.ballot = ballot;
    this.voteId = null;

    root.classList.add("now");
    this.label = el("p", "now-label", "");
    this.question = el("p", "now-row now-question");
    this.questionTag = el("span", "now-tag", "");
    this.questionText = el("span", "now-text", "");
    this.question.append(this.questionTag, " ", this.questionText);
    this.vote = el("div", "now-row now-vote");
    this.voteTag = el("span", "now-tag", "");
    this.voteTitle = el("span", "now-text", "");
    this.voteClock = el("span", "now-clock", "");
    this.voteDone = el("span", "now-done", "");
    const line = el("p", "now-vote-line");
    // the countdown before the title: a long title is cut at two lines, the time never is
    line.append(this.voteTag, " ", this.voteClock, " ", this.voteDone, " ", this.voteTitle);
    this.go = el("button", "now-go", "");
    this.go.type = "button";
    this.go.addEventListener("click", () => {
      if (this.voteId) onGoVote(this.voteId);
    });
    this.vote.append(line, this.go);
    root.append(this.label, this.question, this.vote);
    root.hidden = true;
    this.render();
    setInterval(() => this.render(), TICK_MS);
  }

  /** The question on air, from the Q&A panel's state (null when none). */
  onAir() {
    for (const q of this.qa.qa.questions.values()) if (q.state === "on_air") return q;
    return null;
  }

  /** The open vote that closes first (null when none takes ballots now). */
  openVote() {
    const open = [...this.ballot.votes.values()].filter((v) => v.def && phaseOf(v) === "open");
    open.sort((a, b) => (a.closesAt || Infinity) - (b.closesAt || Infinity));
    return open[0] || null;
  }

  render() {
    const q = this.onAir();
    const v = this.openVote();
    this.question.hidden = !q;
    if (q) {
      put(this.questionTag, t("now.question"));
      put(this.questionText, q.text);
    }
    this.vote.hidden = !v;
    this.voteId = v ? v.id : null;
    if (v) {
      put(this.voteTag, t("now.vote"));
      put(this.voteTitle, v.def.title);
      const left = v.closesAt ? t("now.vote.left", { time: fmtDuration(v.closesAt - clock.now()) }) : "";
      put(this.voteClock, left);
      this.voteClock.hidden = !left;
      const voted = !!v.receipt && !v.revoting;
      put(this.voteDone, voted ? t("now.vote.done") : "");
      this.voteDone.hidden = !voted;
      put(this.go, t("now.vote.go"));
      this.go.setAttribute("aria-label", t("now.vote.go.label", { title: v.def.title }));
    }
    put(this.label, t("now.label"));
    this.root.hidden = !q && !v;
  }

  rerender() {
    this.render();
  }
}
