// The open record of a meeting (`/record/<meeting>#t=<token>`, issue 14): what the meeting showed
// its members, in plain words: the agenda, the materials, the slides shown, the questions with
// their answers, the chat (a removed message keeps its place, without its text), the votes with
// their results and downloads, the captions. A meeting still running shows what is there so far
// (say so, and "다시 불러오기" reads it again).
//
// The record is `GET /api/meetings/<m>/record.json` with the token in the Authorization header
// (never in a URL); the downloads are the same record as JSON and CSV, saved as files. Everything
// people wrote goes on the page through textContent (el()), never as HTML.

import { apiGet } from "../lib/api-get.js";
import { connectPage } from "../lib/boot.js";
import { lang, t } from "../lib/i18n.js";
import { TIME_ZONE, button, el, setChildren, setMeetingOptions } from "../lib/meeting-common.js";
import { initShell } from "../lib/shell.js";
import { saveBlob } from "../panels/agenda-feed.js";
import { RecordProposals } from "../panels/record-proposals.js"; // issue 14: each proposal's page

const ID_RE = /^[A-Za-z0-9_.:-]{1,64}$/;
const CHAT_SHOWN = 300; // the page shows the last messages; the downloads hold them all
const $ = (id) => document.getElementById(id);

const state = {
  conn: null,
  welcome: null,
  meeting: null,
  record: null,
  status: { key: "record.loading" },
  loading: false,
};

function meetingFromAddress() {
  const fromQuery = new URLSearchParams(window.location.search).get("meeting");
  const fromPath = /^\/record\/([^/]+)$/.exec(window.location.pathname);
  const id = fromQuery || (fromPath ? decodeURIComponent(fromPath[1]) : "");
  return ID_RE.test(id) ? id : null;
}

function fmtWhen(ms, withDate = false) {
  if (!ms) return "";
  const opts = { hour: "numeric", minute: "2-digit", second: "2-digit", timeZone: TIME_ZONE };
  if (withDate) Object.assign(opts, { month: "long", day: "numeric", weekday: "short" });
  return new Intl.DateTimeFormat(lang(), opts).format(ms);
}

// -- fetching ------------------------------------------------------------------------------------
function fetchRecord(ext) {
  return apiGet(`/api/meetings/${encodeURIComponent(state.meeting)}/record.${ext}`, state.conn.token);
}

async function load() {
  if (!state.meeting || state.loading) return;
  state.loading = true;
  state.status = { key: "record.loading" };
  render();
  try {
    state.record = await (await fetchRecord("json")).json();
    state.status = null;
  } catch (err) {
    state.record = null;
    state.status = { key: errKey(err) };
  } finally {
    state.loading = false;
  }
  render();
}

function errKey(err) {
  if (err.name === "forbidden") return "record.err.forbidden";
  if (err.name === "not_a_member") return "record.err.member";
  if (err.name === "unknown_meeting") return "record.err.meeting";
  if (err.name === "rate_limited") return "record.err.rate";
  return "record.err.load";
}

async function download(ext) {
  const box = $("rec-dl-error");
  box.hidden = true;
  try {
    const blob = await (await fetchRecord(ext)).blob();
    saveBlob(blob, `record-${state.meeting}.${ext}`);
  } catch (err) {
    box.textContent = t(errKey(err));
    box.hidden = false;
  }
}

// -- rendering -----------------------------------------------------------------------------------
function none() {
  return el("p", "hint-text record-none", t("record.none"));
}

function list(tag, items, make) {
  if (!items.length) return none();
  const ol = el(tag, "record-items");
  ol.append(...items.map(make));
  return ol;
}

function line(cls, ...parts) {
  const li = el("li", `record-item ${cls}`.trim());
  li.append(...parts.filter(Boolean));
  return li;
}

function meta(text) {
  return text ? el("span", "record-meta", text) : null;
}

function part(id, node) {
  setChildren($(id).querySelector(".record-list"), node);
}

function renderAgenda(rec) {
  const current = rec.agenda.current && rec.agenda.current.item;
  part(
    "rec-agenda",
    list("ol", rec.agenda.items, (item) => {
      const li = line("", el("span", "record-text", item.title));
      if (item.minutes) li.append(meta(t("record.minutes", { n: item.minutes })));
      if (item.id === current) {
        li.classList.add("current");
        li.setAttribute("aria-current", "step");
        li.append(el("span", "record-badge", t("record.now")));
      }
      return li;
    }),
  );
}

function renderMaterials(rec) {
  part(
    "rec-materials",
    list("ul", rec.materials, (m) => {
      const kind = meta(t(`live.materials.kind.${m.kind || "document"}`));
      let title;
      if (typeof m.url === "string" && m.url.startsWith("https://")) {
        title = el("a", "record-link", m.title);
        title.href = m.url;
        title.target = "_blank";
        title.rel = "noopener noreferrer";
      } else {
        title = el("span", "record-text", m.title);
      }
      return line("", kind, title, m.description ? el("p", "record-desc", m.description) : null);
    }),
  );
}

function renderSlides(rec) {
  part(
    "rec-slides",
    list("ol", rec.slides, (s) =>
      line("", meta(fmtWhen(s.time)), el("span", "record-text", s.title || t(`record.slide.${s.kind}`))),
    ),
  );
}

function renderQuestions(rec) {
  part(
    "rec-questions",
    list("ol", rec.questions, (q) =>
      line(
        `q-${q.state}`,
        el("span", "record-badge", t(`record.q.${q.state}`)),
        el("span", "record-text", q.text),
        meta(`${q.author || t("record.anonymous")} · ${t("record.support", { n: q.votes })}`),
      ),
    ),
  );
}

function renderChat(rec) {
  const shown = rec.chat.slice(-CHAT_SHOWN);
  const box = el("div");
  if (rec.chat.length > shown.length) {
    box.append(el("p", "hint-text", t("record.chat.more", { n: rec.chat.length - shown.length })));
  }
  box.append(
    list("ol", shown, (c) =>
      c.removed
        ? line("removed", meta(fmtWhen(c.time)), el("span", "record-removed", t("record.chat.removed")))
        : line("", meta(`${fmtWhen(c.time)} · ${c.author.name}`), el("span", "record-text", c.text)),
    ),
  );
  part("rec-chat", box);
}

function ranking(res) {
  const ol = el("ol", "record-ranking");
  let place = 1;
  for (const tier of res.ranking) {
    const key = tier.length > 1 ? "record.place.tie" : "record.place";
    for (const title of tier) ol.append(el("li", "", `${t(key, { n: place })} ${title}`));
    place += tier.length;
  }
  return ol;
}

function renderVotes(rec) {
  part(
    "rec-votes",
    list("ul", rec.votes, (v) => {
      const li = line("", el("span", "record-badge", t(`vote.status.${v.status}`)), el("span", "record-text", v.title));
      const res = v.results;
      if (!res) {
        li.append(el("p", "record-desc", t("record.vote.pending")));
        return li;
      }
      li.append(el("p", "record-desc", t("record.vote.voters", { n: res.n_voters })), ranking(res));
      const links = el("ul", "exports");
      const add = (href, key) => {
        const a = el("a", "", t(key));
        a.href = href;
        const item = el("li");
        item.append(a);
        links.append(item);
      };
      add(res.page, "record.vote.page");
      add(res.exports["export.json"], "results.export.json");
      add(res.exports["board.csv"], "results.export.csv");
      li.append(links);
      return li;
    }),
  );
}

function renderCaptions(rec) {
  part(
    "rec-captions",
    list("ol", rec.captions, (c) => line("", meta(fmtWhen(c.time)), el("span", "record-text", c.text))),
  );
}

const PARTS = [
  ["rec-agenda", "record.agenda", (r) => r.agenda.items.length],
  ["rec-materials", "record.materials", (r) => r.materials.length],
  ["rec-slides", "record.slides", (r) => r.slides.length],
  ["rec-questions", "record.questions", (r) => r.questions.length],
  ["rec-chat", "record.chat", (r) => r.chat.length],
  ["rec-votes", "record.votes", (r) => r.votes.length],
  ["rec-captions", "record.captions", (r) => r.captions.length],
];

function renderToc(rec) {
  setChildren(
    $("rec-toc"),
    ...PARTS.map(([id, key, count]) => {
      const a = el("a", "record-toc-link", `${t(key)} (${t("record.count", { n: count(rec) })})`);
      a.href = `#${id}`;
      a.addEventListener("click", (e) => {
        e.preventDefault();
        $(id).scrollIntoView();
        $(id).focus();
      });
      const li = el("li");
      li.append(a);
      return li;
    }),
  );
}

function render() {
  $("rec-status").textContent = state.status ? t(state.status.key) : "";
  $("rec-status").hidden = !state.status;
  const rec = state.record;
  $("rec-main").hidden = !rec;
  if (!rec) return;
  $("rec-title").textContent = rec.meeting.title;
  $("rec-when").textContent = t("record.asof", { when: fmtWhen(rec.as_of, true) });
  $("rec-running").hidden = !rec.running;
  $("rec-running").textContent = t("record.running");
  if (!$("rec-reload")) {
    const again = button("secondary", "", load);
    again.id = "rec-reload";
    $("rec-running").after(again);
  }
  $("rec-reload").hidden = !rec.running;
  $("rec-reload").textContent = t("record.reload");
  renderToc(rec);
  renderAgenda(rec);
  renderMaterials(rec);
  renderSlides(rec);
  renderQuestions(rec);
  renderChat(rec);
  renderVotes(rec);
  renderCaptions(rec);
  proposals.show(state.meeting, state.conn.token).then(() => proposals.render()); // issue 14
}

// -- start ---------------------------------------------------------------------------------------
function chooseMeeting(id) {
  if (state.meeting === id && state.record) return;
  state.meeting = id;
  $("rec-meeting").value = id;
  try {
    history.replaceState(null, "", `/record/${encodeURIComponent(id)}`);
  } catch {
    /* an address we cannot change: the picker still works */
  }
  load();
}

function onWelcome(welcome) {
  state.welcome = welcome;
  const meetings = welcome.meetings || [];
  setMeetingOptions($("rec-meeting"), meetings);
  $("rec-pick").hidden = meetings.length < 2;
  if (!meetings.length) {
    state.status = { key: "record.err.member" };
    render();
    return;
  }
  const wanted = state.meeting || meetingFromAddress();
  const found = meetings.find((m) => m.id === wanted);
  chooseMeeting(found ? found.id : wanted || meetings[0].id); // not a member: the hub says so
}

const proposals = new RecordProposals($("rec-proposals")); // issue 14
const shell = initShell({ pageKey: "page.record", onRerender: render });

function main() {
  state.conn = connectPage(shell, {
    onWelcome,
    onFatal: () => {
      $("rec-main").hidden = true;
      $("rec-status").hidden = true;
    },
  });
  if (!state.conn) {
    $("rec-status").hidden = true;
    return;
  }
  $("rec-meeting").addEventListener("change", () => chooseMeeting($("rec-meeting").value));
  $("rec-dl-csv").addEventListener("click", () => download("csv"));
  $("rec-dl-json").addEventListener("click", () => download("json"));
  render();
  state.conn.start();
}

main();
