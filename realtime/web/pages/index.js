// The panelist page: the meeting picker, the stream, and the meeting's panels under tabs (the chat,
// questions, speakers, polls) with the vote section. The header (who I am) is lib/shell.js's.
//
// Everything that comes from the server or from people (names, titles) is put on the page with
// textContent or as attribute values set through the DOM, never as HTML.

import { Ballot } from "../panels/ballot.js";
import { chatPanel } from "../panels/chat.js";
import { QaPanel } from "../panels/qa.js";
import { SpeakersPanel } from "../panels/speakers.js";
import { PollsPanel } from "../panels/polls.js";
import { CaptionsPanel } from "../panels/captions.js";
import { NowStrip } from "../panels/now-strip.js";
import { AgendaFeed } from "../panels/agenda-feed.js";
import { AgendaPanel } from "../panels/agenda.js";
import { SlidePanel } from "../panels/slide.js";
import { MaterialsPanel } from "../panels/materials.js";
import { ProposalsPanel } from "../panels/proposals.js"; // issue 14
import { RecordLink } from "../panels/record-link.js";
import { TableLink } from "../panels/table-link.js"; // issue 15
import { ThemesPanel } from "../panels/themes.js";
import { connectPage } from "../lib/boot.js";
import { lang, t } from "../lib/i18n.js";
import { TIME_ZONE, el, fmtTime, setChildren, setMeetingOptions } from "../lib/meeting-common.js";
import { initShell } from "../lib/shell.js";
import { phaseOf, votesFromAddress } from "../lib/vote-common.js";

const MEETING_KEY = "plenary.meeting";
const YOUTUBE_ID = /^[A-Za-z0-9_-]{6,20}$/;

const $ = (id) => document.getElementById(id);

const ui = {
  who: $("who"),
  me: $("me"),
  meeting: $("meeting"),
  stage: $("stage"),
  meetingTitle: $("meeting-title"),
  meetingWhen: $("meeting-when"),
  video: $("video"),
  novideo: $("novideo"),
  chat: $("chat"),
  vote: $("vote"),
  sideHead: $("side-head"),
  banner: $("floor-banner"),
  tabs: [...document.querySelectorAll("#tabs [role=tab]")],
  qa: $("qa"),
  speakers: $("speakers"),
  polls: $("polls"),
  qaCount: $("tab-qa-count"),
  speakersCount: $("tab-speakers-count"),
  pollsCount: $("tab-polls-count"),
  chatCount: $("tab-chat-count"),
  now: $("now"),
  proposals: $("proposals"), // issue 14
  proposalsCount: $("tab-proposals-count"),
};

// -- tabs: chat, questions, speakers (one at a time on every screen) ----------------------------
// On a phone the tabs are the page's sections, in a dock at the bottom a thumb reaches (app.css):
// the stream (the video and the meeting's time) and the votes (the ballot above the polls) are
// sections too, so that one section fills the screen at a time. From 960 px the stream and the
// ballot keep their own column, and the stream's tab is not shown. The meeting picker stays above
// every section (which meeting am I in?).
const TAB_KEY = "plenary.tab";
const WIDE = window.matchMedia("(min-width: 960px)");
/** Parts shown only with their section on a phone (`phone-off` hides them below 960 px). */
const PHONE_PARTS = { stream: ["stage"], polls: ["vote"] };

/** The tabs a person can reach now (the stream's is not shown on a wide screen). */
function shownTabs() {
  return ui.tabs.filter((tab) => tab.getClientRects().length > 0);
}

/** The heading of a section, where the focus goes when a person chooses it. */
function sectionHeading(name) {
  const id = { stream: "meeting-title", chat: "chat-heading", qa: "qa-heading", speakers: "speakers-heading", proposals: "proposals-heading" }[name];
  const heading = id ? $(id) : (name === "polls" && !ui.vote.hidden ? $("vote-heading") : ui.polls.querySelector("h2"));
  return heading || $(name);
}

function selectTab(name, focus = false) {
  if (name === "stream" && WIDE.matches) name = "chat"; // the stream has its own column there
  for (const [section, ids] of Object.entries(PHONE_PARTS)) {
    for (const id of ids) $(id).classList.toggle("phone-off", section !== name);
  }
  for (const tab of ui.tabs) {
    const on = tab.dataset.tab === name;
    tab.setAttribute("aria-selected", String(on));
    tab.tabIndex = on ? 0 : -1;
    if (tab.dataset.tab !== "stream") $(tab.getAttribute("aria-controls")).classList.toggle("tab-off", !on);
    if (on && focus) tab.focus();
  }
  try {
    sessionStorage.setItem(TAB_KEY, name);
  } catch {
    /* ignore */
  }
  if (name === "chat") state.chat?.showNewest();
}

/** A section chosen on a phone: the screen starts at its top and the focus is on its heading. */
function openSection(name) {
  selectTab(name);
  if (WIDE.matches) return; // the tabs' own pattern: the focus stays on the tab
  window.scrollTo(0, 0);
  const heading = sectionHeading(name);
  if (!heading.hasAttribute("tabindex")) heading.tabIndex = -1;
  heading.focus({ preventScroll: true });
}

function initTabs() {
  for (const tab of ui.tabs) {
    tab.addEventListener("click", () => openSection(tab.dataset.tab));
    tab.addEventListener("keydown", (e) => {
      const tabs = shownTabs();
      const i = tabs.indexOf(tab);
      let j = null;
      if (e.key === "ArrowRight") j = (i + 1) % tabs.length;
      else if (e.key === "ArrowLeft") j = (i - 1 + tabs.length) % tabs.length;
      else if (e.key === "Home") j = 0;
      else if (e.key === "End") j = tabs.length - 1;
      if (j === null) return;
      e.preventDefault();
      selectTab(tabs[j].dataset.tab, true);
    });
  }
  WIDE.addEventListener("change", () => {
    if (WIDE.matches && ui.tabs[0].getAttribute("aria-selected") === "true") selectTab("chat");
    else selectTab(ui.tabs.find((tab) => tab.getAttribute("aria-selected") === "true")?.dataset.tab || "chat");
  });
  // The dock is fixed at the bottom on a phone: the page keeps room for it, whatever its height
  // (the largest text, the floor banner, the live strip).
  const dock = $("side-head");
  new ResizeObserver(() => {
    const h = dock.hidden || WIDE.matches ? 0 : dock.getBoundingClientRect().height;
    document.documentElement.style.setProperty("--dock-h", `${Math.ceil(h)}px`);
  }).observe(dock);
  document.querySelector(".skip-link").addEventListener("click", () => selectTab("chat"));
  let saved = "chat";
  try {
    saved = sessionStorage.getItem(TAB_KEY) || "chat";
  } catch {
    /* ignore */
  }
  selectTab(ui.tabs.some((tab) => tab.dataset.tab === saved) ? saved : "chat");
}

function setCount(node, n) {
  node.textContent = n > 0 ? String(n) : "";
}

/** The votes section's number: open polls not answered, and open votes I have not voted in. */
const counts = { polls: 0 };
function renderVotesCount() {
  let votes = 0;
  for (const v of state.ballot ? state.ballot.votes.values() : []) {
    if (v.def && phaseOf(v) === "open" && !v.receipt && state.ballot.mayCast) votes += 1;
  }
  setCount(ui.pollsCount, counts.polls + votes);
}

/** "Go to the ballot" from the live strip: the votes section, that vote's card, its title. */
function goToVote(voteId) {
  selectTab("polls");
  const card = ui.vote.querySelector(`article.ballot[data-vote="${CSS.escape(voteId)}"]`);
  const title = card && card.querySelector(".ballot-title");
  if (!title) return;
  if (!title.hasAttribute("tabindex")) title.tabIndex = -1;
  title.focus({ preventScroll: true });
  card.scrollIntoView({ block: "start" });
}

const state = {
  conn: null,
  chat: null, // the chat panel (panels/chat.js)
  ballot: null, // the vote section (panels/ballot.js)
  parts: [], // the meeting's other panels (Q&A, speakers, polls): setWelcome, setMeeting, rerender
  welcome: null,
  meeting: null, // the chosen meeting object from the welcome
};

// -- small helpers ----------------------------------------------------------------------------
function fmtWhen(ms) {
  return new Intl.DateTimeFormat(lang(), {
    month: "long",
    day: "numeric",
    weekday: "short",
    hour: "numeric",
    minute: "2-digit",
    timeZone: TIME_ZONE,
  }).format(ms);
}

// -- a close after which the person must act (the header shows why) ---------------------------
function onFatal() {
  ui.who.hidden = true;
  ui.me.hidden = true;
  ui.stage.hidden = true;
  ui.chat.hidden = true;
  ui.vote.hidden = true;
  ui.sideHead.hidden = true;
  ui.qa.hidden = true;
  ui.speakers.hidden = true;
  ui.polls.hidden = true;
  ui.proposals.hidden = true;
}

// -- welcome and the meeting picker -------------------------------------------------------------
function onWelcome(welcome) {
  state.welcome = welcome;
  state.ballot.setWelcome(welcome);
  for (const part of state.parts) part.setWelcome(welcome);
  state.chat.setWelcome(welcome);
  ui.who.hidden = false;
  renderMeetingOptions();
  const meetings = welcome.meetings || [];
  if (!meetings.length) {
    ui.stage.hidden = false;
    ui.meetingTitle.textContent = t("meeting.none");
    ui.meetingWhen.textContent = "";
    ui.video.hidden = true;
    ui.novideo.hidden = true;
    ui.chat.hidden = true;
    return;
  }
  // Keep the current meeting across reconnects (its subscription resumes on its own).
  const still = state.meeting && meetings.find((m) => m.id === state.meeting.id);
  if (still) {
    state.meeting = still;
    ui.meeting.value = still.id;
    renderStage();
    return;
  }
  let wanted = null;
  try {
    wanted = sessionStorage.getItem(MEETING_KEY);
  } catch {
    /* ignore */
  }
  chooseMeeting((meetings.find((m) => m.id === wanted) || pickDefault(meetings)).id);
}

function pickDefault(meetings) {
  const now = Date.now();
  const running = meetings.find((m) => m.starts_at && m.starts_at <= now && (!m.ends_at || now < m.ends_at));
  return running || meetings[0];
}

function renderMeetingOptions() {
  const meetings = (state.welcome && state.welcome.meetings) || [];
  setMeetingOptions(ui.meeting, meetings);
  if (state.meeting) ui.meeting.value = state.meeting.id;
}

function chooseMeeting(id) {
  const meeting = state.welcome.meetings.find((m) => m.id === id);
  if (!meeting) return;
  state.meeting = meeting;
  ui.meeting.value = meeting.id;
  try {
    sessionStorage.setItem(MEETING_KEY, meeting.id);
  } catch {
    /* ignore */
  }
  renderStage();
  ui.sideHead.hidden = false;
  ui.qa.hidden = false;
  ui.speakers.hidden = false;
  ui.polls.hidden = false;
  ui.proposals.hidden = false;
  state.chat.setMeeting(meeting.id); // a new meeting's chat; the same one goes on as it is
  state.ballot.setMeeting(meeting.id);
  for (const part of state.parts) part.setMeeting(meeting.id);
}

function renderStage() {
  const m = state.meeting;
  ui.stage.hidden = false;
  ui.meetingTitle.textContent = m.title;
  let when = "";
  if (m.starts_at && m.ends_at) when = t("meeting.when.range", { start: fmtWhen(m.starts_at), end: fmtTime(m.ends_at) });
  else if (m.starts_at) when = t("meeting.when", { start: fmtWhen(m.starts_at) });
  ui.meetingWhen.textContent = when;
  ui.meetingWhen.hidden = !when;
  renderVideo(m);
}

function renderVideo(m) {
  const id = m.youtube && YOUTUBE_ID.test(m.youtube) ? m.youtube : "";
  ui.novideo.hidden = !!id;
  ui.video.hidden = !id;
  const current = ui.video.querySelector("iframe");
  if (!id) {
    setChildren(ui.video);
    return;
  }
  const src = `https://www.youtube-nocookie.com/embed/${encodeURIComponent(id)}?rel=0&playsinline=1`;
  if (current && current.dataset.videoId === id) {
    current.title = t("meeting.video", { title: m.title });
    return;
  }
  const frame = document.createElement("iframe");
  frame.dataset.videoId = id;
  frame.src = src;
  frame.title = t("meeting.video", { title: m.title });
  frame.allow = "autoplay; encrypted-media; picture-in-picture; fullscreen";
  // The page itself sends no Referer; YouTube's player refuses to play without one (error 153),
  // so this frame alone sends the origin (never a path or fragment, so never the token).
  frame.referrerPolicy = "strict-origin-when-cross-origin";
  setChildren(ui.video, frame);
}

// -- text size and language (the header is lib/shell.js) ----------------------------------------
/** A size change keeps a reader who follows the chat at its newest message. */
function aroundResize(resize) {
  if (state.chat) state.chat.keepPinned(resize);
  else resize();
}

function rerender() {
  if (state.meeting) renderStage();
  state.chat?.rerender();
  for (const part of state.parts) part.rerender();
  state.now?.rerender();
}

// -- start ---------------------------------------------------------------------------------------
const shell = initShell({ pageKey: "app.tagline", onRerender: rerender, aroundResize });

function main() {
  ui.meeting.addEventListener("change", () => chooseMeeting(ui.meeting.value));
  window.addEventListener("hashchange", () => {
    if (/(?:^#|&)t=/.test(window.location.hash)) window.location.reload(); // another personal link
  });

  state.conn = connectPage(shell, { onWelcome, onFatal });
  if (!state.conn) return;
  state.chat = chatPanel(state.conn, ui.chat, { onCount: (n) => setCount(ui.chatCount, n) });
  state.ballot = new Ballot(state.conn, ui.vote, { ids: votesFromAddress() });
  state.parts = [
    new QaPanel(state.conn, ui.qa, { onCount: (n) => setCount(ui.qaCount, n) }),
    new SpeakersPanel(state.conn, ui.speakers, ui.banner, { onCount: (n) => setCount(ui.speakersCount, n) }),
    new PollsPanel(state.conn, ui.polls, {
      onCount: (n) => {
        counts.polls = n;
        renderVotesCount();
      },
    }),
    new CaptionsPanel(state.conn, $("captions")), // under the stream (issue 13)
  ];
  state.now = new NowStrip(ui.now, { qa: state.parts[0], ballot: state.ballot, onGoVote: goToVote });
  setInterval(renderVotesCount, 2_000);
  // The meeting's agenda, slide and materials (issue 13): one agenda channel, three panels.
  const feed = new AgendaFeed(state.conn);
  state.parts.push(
    feed,
    new AgendaPanel(feed, $("agenda")),
    new SlidePanel(state.conn, feed, $("slide")),
    new MaterialsPanel(state.conn, feed, $("materials")),
  );
  state.parts.push(new ProposalsPanel(state.conn, ui.proposals, { onCount: (n) => setCount(ui.proposalsCount, n) })); // issue 14
  state.parts.push(new RecordLink($("record-entry"))); // issue 14: the meeting's open record
  state.parts.push(new TableLink(state.conn, $("table-entry"))); // issue 15: my discussion table
  state.parts.push(new ThemesPanel(state.conn, $("themes"))); // issue 15: the theme team's published themes
  initTabs();
  state.conn.start();
}

main();
