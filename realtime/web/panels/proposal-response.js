// The city's response and the way to a proposal's path, on each proposal of the panelist page's
// 제안 list (issue 14). One function, called once per proposal by panels/proposals.js: a line with
// the city's answer in plain words (시가 받아들였습니다 / 검토 중입니다 / 받아들이지 않았습니다),
// the department in charge and the text, when there is a response; and a link to the proposal's
// page, /record/<meeting>/proposals/<id> (the token stays in this tab's storage, lib/boot.js).
// The text is the city's words: textContent only (el()).

import { t } from "../lib/i18n.js";
import { el } from "../lib/meeting-common.js";

/** The nodes to append to a proposal's list item: its response (if any) and the link to its path. */
export function responseAndPath(p, meeting) {
  const nodes = [];
  const r = p.response;
  if (r) {
    const box = el("div", "proposal-response");
    box.append(el("p", "proposal-label", t("resp.line", { status: t(`resp.status.${r.status}`) })));
    box.append(el("p", "qa-meta", t("path.dept", { dept: r.department })));
    if (r.text) box.append(el("p", "proposal-text", r.text));
    nodes.push(box);
  }
  if (meeting) {
    const a = el("a", "record-link", t("path.open"));
    a.href = `/record/${encodeURIComponent(meeting)}/proposals/${Number(p.id)}`;
    a.setAttribute("aria-describedby", `proposal-${p.id}-title`);
    nodes.push(a);
  }
  return nodes;
}
