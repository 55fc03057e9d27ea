// The panelist's vote page (`/static/ballot.html#t=<token>`): the ballot alone, for a phone, without
// the stream and the chat. The same Ballot component mounts inside the panelist page (`/`).
//
// Which votes: those of the chosen meeting (announced on its channel, see VoteFinder) and any
// given in the address (`?vote=<id>`).

import { Ballot } from "../panels/ballot.js";
import { connectPage } from "../lib/boot.js";
import { initShell } from "../lib/shell.js";
import { setMeetingOptions } from "../lib/meeting-common.js";
import { votesFromAddress } from "../lib/vote-common.js";

const MEETING_KEY = "plenary.meeting";
const $ = (id) => document.getElementById(id);

let welcome = null;
let ballot = null;

const shell = initShell({ pageKey: "page.vote" });

function pickMeeting(meetings) {
  let wanted = null;
  try {
    wanted = sessionStorage.getItem(MEETING_KEY);
  } catch {
    /* ignore */
  }
  const now = Date.now();
  return (
    meetings.find((m) => m.id === wanted) ||
    meetings.find((m) => m.starts_at && m.starts_at <= now && (!m.ends_at || now < m.ends_at)) ||
    meetings[0]
  );
}

function chooseMeeting(id) {
  try {
    sessionStorage.setItem(MEETING_KEY, id);
  } catch {
    /* ignore */
  }
  ballot.setMeeting(id);
}

function onWelcome(w) {
  const first = !welcome;
  welcome = w;
  const meetings = w.meetings || [];
  const select = $("meeting");
  if (first) {
    setMeetingOptions(select, meetings);
    $("who").hidden = meetings.length === 0;
  }
  ballot.setWelcome(w);
  if (first && meetings.length) {
    const m = pickMeeting(meetings);
    select.value = m.id;
    chooseMeeting(m.id);
  }
}

function main() {
  const conn = connectPage(shell, {
    onWelcome,
    onFatal: () => {
      $("who").hidden = true;
      $("vote").hidden = true;
    },
  });
  if (!conn) return;
  // Until a vote is found the section is hidden; once a look found none, the page says so.
  const empty = $("vote-empty");
  ballot = new Ballot(conn, $("vote"), {
    ids: votesFromAddress(),
    onScanned: () => {
      empty.hidden = ballot.votes.size > 0;
    },
  });
  new MutationObserver(() => {
    if (!$("vote").hidden) empty.hidden = true;
  }).observe($("vote"), { attributes: true, attributeFilter: ["hidden"] });
  $("meeting").addEventListener("change", () => chooseMeeting($("meeting").value));
  conn.start();
}

main();
