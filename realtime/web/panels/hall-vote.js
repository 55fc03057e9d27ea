// The hall-only option of the host console's vote form (issue 14): a checkbox "현장에서 출석 확인한
// 시민참여단만 투표" with what it means in plain words. Ticked, the new vote is limited to the
// panelists checked in at the chosen meeting's hall (`attendance.hall_vote`, right after
// `vote.create`, while the vote is still a draft: the hub refuses the change once it is open,
// docs/attendance.md). A cast from anyone not checked in there is then refused `not_checked_in`.
//
// Mount: const hall = new HallVoteOption(conn, container); setWelcome, setMeeting, rerender (as the
// host console's other tools); after creating a vote, `await hall.apply(voteId, meeting)`.

import { t } from "../lib/i18n.js";
import { el, errText, may, setChildren } from "../lib/meeting-common.js";

export class HallVoteOption {
  constructor(conn, root) {
    this.conn = conn;
    this.root = root;
    root.hidden = true;
    this.label = el("label", "choice");
    this.box = el("input");
    this.box.type = "checkbox";
    this.box.id = "f-hall-only";
    this.box.setAttribute("aria-describedby", "f-hall-only-hint");
    this.text = el("span");
    this.label.append(this.box, this.text);
    this.hint = el("p", "hint-text");
    this.hint.id = "f-hall-only-hint";
    setChildren(root, this.label, this.hint);
    this.rerender();
  }

  setWelcome(w) {
    this.root.hidden = !may(w, "attendance.hall_vote");
  }

  setMeeting() {}

  get wanted() {
    return !this.root.hidden && this.box.checked;
  }

  /** Limit the vote just created to `meeting`'s hall when the box is ticked. Returns null when
   * done (or not wanted), else the message to show: the vote exists, open to all, and why. */
  async apply(vote, meeting) {
    if (!this.wanted) return null;
    try {
      await this.conn.request("attendance.hall_vote", { vote, session: meeting });
      this.box.checked = false;
      return null;
    } catch (err) {
      return t("hall.err", { reason: errText(err) });
    }
  }

  rerender() {
    this.text.textContent = t("hall.only");
    this.hint.textContent = t("hall.only.hint");
  }
}
