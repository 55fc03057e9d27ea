// The speakers list for panelists: raise or lower my hand, my place in the queue, who has the
// floor and the shared countdown (to the hub's `ends_at`, on the hub's clock). Also the floor
// banner that the panelist page shows above its tabs whatever tab is open.
//
// Mount: new SpeakersPanel(conn, sectionElement, bannerElement, {onCount}); setWelcome, setMeeting,
// rerender as the other panels.

import { t } from "../lib/i18n.js";
import {
  Cooldown,
  HubClock,
  SpeakersState,
  button,
  el,
  errText,
  fmtClock,
  followState,
  may,
  setChildren,
} from "../lib/meeting-common.js";
import { VoiceSpeaker } from "./voice.js"; // issue 16: live voice while I hold the floor

const SHOWN = 30; // the first hands in line; my own place is said above the list

export class SpeakersPanel {
  constructor(conn, root, banner, { onCount = () => {} } = {}) {
    this.conn = conn;
    this.root = root;
    this.banner = banner;
    this.onCount = onCount;
    this.clock = new HubClock();
    this.welcome = null;
    this.meeting = null;
    this.sub = null;
    this.sp = new SpeakersState();
    this.busy = false;
    // After rate_limited: the hand button stays off until the hub's wait ends, then its note goes.
    this.wait = new Cooldown(() => {
      if (!this.wait.active) this.message = null;
      this.render();
    });
    this.message = null;
    this.tick = null;
    this.timer = null;
    this._build();
    // One state per action (issue 13): offline, the hand button says at once that it cannot go yet;
    // back online, that line has said its piece.
    conn.watch((state) => {
      if (state !== "live" && this.message === null && this.welcome) {
        this.message = t("offline.send");
        this.render();
      } else if (state === "live" && this.message === t("offline.send")) {
        this.message = null;
        this.render();
      }
    });
  }

  _build() {
    this.heading = el("h2", "panel-heading", "");
    this.heading.id = "speakers-heading";
    this.root.setAttribute("aria-labelledby", "speakers-heading");
    this.floor = el("div", "floor-card");
    this.intro = el("p", "hint-text", "");
    this.mineLine = el("p", "speak-mine");
    this.mineLine.setAttribute("role", "status");
    this.action = button("cast", "", () => this.act());
    this.msg = el("p", "error");
    this.msg.setAttribute("role", "alert");
    this.msg.hidden = true;
    this.queueHeading = el("h3", "sub-heading", "");
    this.queue = el("ol", "hand-list");
    this.voiceBox = el("div", "voice-box");
    this.voiceBox.id = "voice-speaker";
    this.voice = new VoiceSpeaker(this.conn, this.voiceBox);
    setChildren(this.root, this.heading, this.floor, this.voiceBox, this.intro, this.mineLine, this.msg, this.action, this.queueHeading, this.queue);
    this.bannerText = el("span", "floor-banner-text");
    this.bannerClock = el("span", "floor-clock");
    setChildren(this.banner, this.bannerText, this.bannerClock);
  }

  setWelcome(welcome) {
    this.welcome = welcome;
    this.clock.setWelcome(welcome);
    this.render();
  }

  setMeeting(id) {
    if (this.meeting === id && this.sub) return;
    this.meeting = id;
    this.sp = new SpeakersState();
    this.sub?.close();
    this.sub = followState(this.conn, `meeting/${id}/speakers`, {
      onSnapshot: (s) => this.sp.snapshot(s),
      onEvents: (events, info) => {
        if (!info.snapshot) for (const e of events) this.sp.apply(e);
        // a whole plenary raising hands: one render per 300 ms at most
        if (info.initial) this.render();
        else if (!this.timer) {
          this.timer = setTimeout(() => {
            this.timer = null;
            this.render();
          }, 300);
        }
      },
      onError: () => {
        this.banner.hidden = true;
      },
    });
    this.render();
  }

  rerender() {
    this.render();
  }

  _me() {
    return this.welcome && this.welcome.participant;
  }

  async act() {
    if (this.busy || !this.meeting || this.wait.active) return;
    const me = this._me();
    const speaking = this.sp.current && this.sp.current.id === me;
    const raised = this.sp.hands.has(me);
    const [kind, fields] = speaking
      ? ["speakers.yield", {}]
      : raised
        ? ["speakers.lower", { participant: me }]
        : ["speakers.raise", {}];
    if (!this.conn.live) {
      this.message = t("offline.send"); // offline: one line, and nothing pretends to be sent
      this.render();
      return;
    }
    this.busy = true;
    this.render();
    try {
      await this.conn.request(kind, { meeting: this.meeting, ...fields });
      this.message = null;
    } catch (err) {
      this.message = errText(err);
      this.wait.start(err);
    } finally {
      this.busy = false;
      this.render();
      this.action.focus();
    }
  }

  render() {
    this.heading.textContent = t("sp.heading");
    this.intro.textContent = t("sp.intro");
    this.queueHeading.textContent = t("sp.queue");
    const me = this._me();
    const cur = this.sp.current;
    const queue = this.sp.queue();
    this.onCount(queue.length);

    // who has the floor
    setChildren(this.floor);
    if (cur) {
      this.floor.append(el("p", "floor-label", t("sp.floor")), el("p", "floor-name", cur.id === me ? t("sp.floor.me") : cur.name));
      this.clockEl = el("p", "floor-clock big");
      this.clockEl.setAttribute("aria-hidden", "true");
      this.floor.append(this.clockEl);
    } else {
      this.clockEl = null;
      this.floor.append(el("p", "floor-label", t("sp.nobody")));
    }
    this.floor.classList.toggle("active", !!cur);
    this.banner.hidden = !cur;
    if (cur) this.bannerText.textContent = t(cur.id === me ? "sp.banner.me" : "sp.banner", { name: cur.name });

    // my hand
    const speaking = cur && cur.id === me;
    if (this.meeting && may(this.welcome, "voice.offer")) this.voice.setFloor(this.meeting, !!speaking);
    else this.voice.rerender();
    const pos = queue.findIndex((h) => h.id === me);
    const canRaise = may(this.welcome, "speakers.raise");
    this.action.hidden = !canRaise && !speaking;
    this.action.disabled = this.busy || this.wait.active;
    this.action.textContent = t(speaking ? "sp.yield" : pos >= 0 ? "sp.lower" : "sp.raise");
    this.action.classList.toggle("warn", !!speaking);
    this.action.setAttribute("aria-pressed", String(pos >= 0));
    if (!canRaise) this.action.removeAttribute("aria-pressed");
    this.mineLine.textContent = speaking ? t("sp.mine.speaking") : pos >= 0 ? t("sp.mine.raised", { n: pos + 1 }) : "";
    this.mineLine.hidden = !this.mineLine.textContent;
    this.msg.textContent = this.message || "";
    this.msg.hidden = !this.message;

    const shown = queue.slice(0, SHOWN);
    setChildren(
      this.queue,
      ...shown.map((h, i) => {
        const li = el("li", h.id === me ? "hand mine" : "hand");
        li.append(el("span", "hand-pos", t("sp.pos", { n: i + 1 })), el("span", "hand-name", h.name));
        if (h.id === me) li.append(el("span", "badge self", t("chat.me")));
        return li;
      }),
    );
    if (!queue.length) this.queue.append(el("li", "hand empty", t("sp.queue.empty")));
    if (queue.length > SHOWN) this.queue.append(el("li", "hand empty", t("sp.queue.more", { n: queue.length - SHOWN })));
    this._tick();
  }

  _tick() {
    clearTimeout(this.tick);
    const cur = this.sp.current;
    if (!cur) return;
    const left = Math.min((cur.ends_at || 0) - this.clock.now(), (cur.seconds || 3600) * 1000);
    const text = left > 0 ? t("sp.left", { time: fmtClock(left) }) : t("sp.over", { time: fmtClock(-left) });
    this.bannerClock.textContent = text;
    this.bannerClock.classList.toggle("over", left <= 0);
    if (this.clockEl) {
      this.clockEl.textContent = text;
      this.clockEl.classList.toggle("over", left <= 0);
    }
    this.tick = setTimeout(() => this._tick(), 1000 - (Math.abs(left) % 1000) + 20);
  }
}
