// The stream overlay (`overlay.html?meeting=<id>#t=<token>`): what the hosts put on the broadcast,
// from the one channel `overlay/<meeting>` (the question on air, the slide, a poll's or a vote's
// results, a text). A transparent page with large type and no controls, for OBS or vMix as a
// browser source. Any role may follow the channel; use an observer's (or the host's) link.
// Text goes on the page through textContent only.

import { connectWithLink } from "../lib/boot.js";
import { initLang, setLang, t } from "../lib/i18n.js";
import { el, followState, setChildren } from "../lib/meeting-common.js";
import { CaptionFeed } from "../panels/captions.js";

const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(window.location.search);

const state = { conn: null, meeting: null, item: null, sub: null, captions: null, capTimer: null };

// -- live captions at the bottom (issue 13): the last finished line and the one being typed -------
const CAPTION_SHOWN_MS = 8_000; // over a silence, the last caption leaves the picture after this

function renderCaptions() {
  const box = $("ov-captions");
  const feed = state.captions;
  const lines = feed.lines.slice(feed.partial ? -1 : -2).map((l) => el("p", "ov-cap-line", l.text));
  if (feed.partial) lines.push(el("p", "ov-cap-line ov-cap-partial", feed.partial.text));
  setChildren(box, ...lines);
  box.hidden = lines.length === 0;
  clearTimeout(state.capTimer);
  state.capTimer = setTimeout(() => {
    box.hidden = true;
  }, CAPTION_SHOWN_MS);
}

function notice(key, vars) {
  const n = $("overlay-notice");
  n.textContent = key ? t(key, vars) : "";
  n.hidden = !key;
}

function render() {
  const root = $("overlay");
  const item = state.item;
  document.body.dataset.kind = item ? item.kind : "none";
  if (!item) {
    setChildren(root);
    return;
  }
  const card = el("section", `ov-card ov-kind-${item.kind}`);
  switch (item.kind) {
    case "question": {
      const q = item.question || {};
      card.append(el("p", "ov-label", t("ov.question")), el("p", "ov-text", q.text || ""));
      const who = q.anonymous || !q.author ? t("qa.anonymous") : q.author.name;
      const meta = el("p", "ov-meta", who);
      if (q.votes) meta.append(el("span", "ov-votes", t("qa.votes", { n: q.votes })));
      card.append(meta);
      break;
    }
    case "text":
      card.append(el("p", "ov-text", item.text || ""));
      break;
    case "slide": {
      const s = item.slide || {};
      if (s.title) card.append(el("p", "ov-label", s.title));
      if (s.kind === "url" && /^https:\/\//.test(s.url || "") && !/\.pdf(\?|#|$)/i.test(s.url)) {
        const img = el("img", "ov-slide");
        img.alt = s.title || t("ov.slide");
        img.src = s.url;
        card.append(img);
      } else if (s.kind === "image" && s.url) {
        const img = el("img", "ov-slide");
        img.alt = s.title || t("ov.slide");
        card.append(img);
        loadUpload(s.url, img);
      } else if (s.pages > 1) card.append(el("p", "ov-meta", t("ov.page", { page: s.page, pages: s.pages })));
      break;
    }
    case "poll": {
      const p = item.poll || {};
      card.append(el("p", "ov-label", t("ov.poll")), el("p", "ov-title", p.title || ""));
      for (const q of p.questions || []) {
        const counts = (p.results || {})[q.id];
        if (!Array.isArray(counts)) continue;
        const total = counts.reduce((a, b) => a + b, 0) || 1;
        const labels = q.kind === "scale" ? (q.options && q.options.length ? q.options : ["1", "2", "3", "4", "5"]) : q.options || [];
        const ul = el("ul", "ov-bars");
        counts.forEach((n, i) => {
          const li = el("li", "ov-bar");
          const pct = Math.round((n / total) * 100);
          li.append(el("span", "ov-bar-label", labels[i] ?? String(i + 1)), el("span", "ov-bar-value", `${pct}% (${n})`));
          const meter = el("meter", "ov-meter");
          meter.min = 0;
          meter.max = total;
          meter.value = n;
          li.append(meter);
          ul.append(li);
        });
        if ((p.questions || []).length > 1) card.append(el("p", "ov-meta", q.prompt || ""));
        card.append(ul);
      }
      card.append(el("p", "ov-meta", t("ov.answered", { n: p.answered || 0 })));
      break;
    }
    case "vote": {
      const v = item.vote || {};
      card.append(el("p", "ov-label", t("ov.vote")), el("p", "ov-title", v.title || ""));
      // Tiers best first; a tier of several is a tie ("공동 2위"), never shown as an order.
      const ol = el("ol", "ov-ranking");
      let place = 1;
      for (const tier of (v.ranking || []).slice(0, 5)) {
        const names = Array.isArray(tier) ? tier : [String(tier)];
        const li = el("li", names.length > 1 ? "ov-tier tied" : "ov-tier");
        li.append(el("span", "ov-place", t(names.length > 1 ? "place.tie" : "place", { n: place })), el("span", "", names.join(" · ")));
        ol.append(li);
        place += names.length;
      }
      card.append(ol);
      if (v.tied && Array.isArray(v.resolved) && v.resolved.length) {
        card.append(el("p", "ov-meta", t("ov.tiebreak", { order: v.resolved.slice(0, 5).join(", ") })));
      }
      if (v.n_voters) card.append(el("p", "ov-meta", t("ov.voters", { n: v.n_voters })));
      // The head hash on air: published where the operator cannot change it afterwards.
      if (v.head_hash) card.append(el("p", "ov-hash", t("ov.head", { hash: v.head_hash })));
      break;
    }
    case "themes": {
      // issue 15: the theme team's published themes (moderation/overlay.py themes_item)
      card.append(el("p", "ov-label", t("ov.themes")));
      const ol = el("ol", "ov-themes");
      for (const th of (item.themes || []).slice(0, 8)) {
        const li = el("li", "ov-theme");
        li.append(el("span", "ov-theme-title", th.title || ""), el("span", "ov-theme-meta", t("ov.themes.meta", { cards: th.count, tables: th.tables })));
        ol.append(li);
      }
      card.append(ol);
      if ((item.themes || []).length > 8) card.append(el("p", "ov-meta", t("ov.themes.more", { n: item.themes.length - 8 })));
      break;
    }
    default:
      return;
  }
  setChildren(root, card);
}

/** An uploaded slide is served to members with the token in a header: fetch it, show it as data:. */
async function loadUpload(url, img) {
  try {
    const r = await fetch(url, { headers: { Authorization: `Bearer ${state.conn.token}` } });
    if (!r.ok) return;
    const blob = await r.blob();
    const reader = new FileReader();
    reader.onload = () => {
      img.src = String(reader.result);
    };
    reader.readAsDataURL(blob);
  } catch {
    /* the title stays */
  }
}

function follow(meeting) {
  state.meeting = meeting;
  state.captions ??= new CaptionFeed(state.conn, (_added, info) => {
    if (!info.initial) renderCaptions(); // what was said before the overlay opened stays off air
  });
  state.captions.follow(meeting);
  state.sub?.close();
  state.sub = followState(state.conn, `overlay/${meeting}`, {
    onSnapshot: (s) => {
      state.item = s.item || null;
    },
    onEvents: (events, info) => {
      if (!info.snapshot) {
        for (const e of events) {
          if (e.event === "overlay.shown") state.item = (e.data || {}).item || null;
          else if (e.event === "overlay.cleared") state.item = null;
        }
      }
      render();
    },
    onError: (err) => notice("ov.err", { name: err.name }),
  });
}

function main() {
  initLang();
  if (params.get("lang") === "en" || params.get("lang") === "ko") setLang(params.get("lang"));
  document.title = `${t("app.title")} · ${t("ov.page.title")}`;
  state.conn = connectWithLink({
    onNoToken: () => notice("ov.notoken"),
    onState: (s) => {
      document.body.dataset.conn = s;
      if (s === "crowded") notice("ov.crowded");
    },
    onWelcome: (w) => {
      notice(null);
      const meetings = w.meetings || [];
      const fromPath = /^\/overlay\/([^/]+)$/.exec(window.location.pathname);
      const wanted = fromPath ? decodeURIComponent(fromPath[1]) : params.get("meeting");
      const m = meetings.find((x) => x.id === wanted) || (wanted ? null : meetings[0]);
      if (!m) {
        notice("ov.nomeeting", { meeting: wanted || "" });
        return;
      }
      if (state.meeting !== m.id) follow(m.id);
    },
    onFatal: () => notice("ov.notoken"),
  });
  state.conn?.start();
}

main();
