// The way from the panelist page to the meeting's open record (issue 14): one link under the
// meeting's materials, "이 회의의 기록 보기", to /record/<meeting>. The token stays in this tab's
// storage (lib/boot.js), so the record page opened here is signed in without it in the address.
//
// Mount: new RecordLink(sectionElement); setWelcome, setMeeting, rerender (pages/index.js parts).

import { t } from "../lib/i18n.js";
import { el } from "../lib/meeting-common.js";

export class RecordLink {
  constructor(section) {
    this.section = section;
    this.meeting = null;
    section.classList.add("record-entry");
    this.link = el("a", "record-link");
    section.append(this.link);
    section.hidden = true;
  }

  setWelcome() {}

  setMeeting(id) {
    this.meeting = id;
    this.render();
  }

  rerender() {
    this.render();
  }

  render() {
    this.section.hidden = !this.meeting;
    if (!this.meeting) return;
    this.link.textContent = t("record.open");
    this.link.href = `/record/${encodeURIComponent(this.meeting)}`;
  }
}
