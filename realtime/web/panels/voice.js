// Live voice (issue 16, docs/voice.md): WebRTC between a page and the hub, signaled over the
// protocol (`voice.offer`, `voice.listen`, `voice.end`; who is live on `meeting/<id>/voice`).
//
// VoiceSpeaker, in the panelist's speakers panel: shown only while I hold the floor; the microphone
// is asked for only when I press "말하기 시작" (never before I am called), then a live level meter,
// a clear "지금 말하는 중" state and a stop button. Losing the floor ends it (the hub closes the
// connection and says `voice.ended`). The camera is optional and off: "카메라 켜기" asks for it only
// when pressed and puts it on the offer's video section (`replaceTrack`, no new offer); "카메라 끄기"
// takes it off again. The voice goes on either way.
// Mount: new VoiceSpeaker(conn, element); setFloor(meeting, holdsTheFloor), rerender.
//
// VoiceConsole, on the host console: follows who is live in the chosen meeting, listens to them
// (plays the speaker, and shows their video while their camera sends frames), shows who is live
// and their level, and can mute (here only) or end them;
// and the host's choice whether a speaker's microphone goes off when their time runs out
// (`speakers.timer` with `cut_off`, read from `meeting/<id>/speakers`).
// Mount: new VoiceConsole(conn, section); setWelcome, setMeeting, rerender (as the other tools).

import { t } from "../lib/i18n.js";
import { button, el, errText, followState, may, setChildren } from "../lib/meeting-common.js";

const GATHER_MS = 3000; // an offer goes once ICE gathering completed, or after this long

/** The local description once gathering completed (the hub's pages never trickle). */
async function gathered(pc) {
  await pc.setLocalDescription(await pc.createOffer());
  if (pc.iceGatheringState !== "complete") {
    await new Promise((done) => {
      const timer = setTimeout(done, GATHER_MS);
      pc.addEventListener("icegatheringstatechange", () => {
        if (pc.iceGatheringState === "complete") {
          clearTimeout(timer);
          done();
        }
      });
    });
  }
  return pc.localDescription.sdp;
}

/** The STUN/TURN servers for this page's own connection (`voice.config`, asked right before each
 * one: a TURN credential is the participant's own and expires). None on loopback; a hub that
 * cannot say (an older hub) leaves the page with host candidates, as before. */
async function iceServers(conn, meeting) {
  try {
    const r = await conn.request("voice.config", { meeting });
    return r.ice_servers || [];
  } catch (err) {
    if (err && err.name === "not_on_the_floor") throw err;
    return [];
  }
}

/** A level meter on a stream: `read()` is 0..1 (RMS of the last few ms). */
class Level {
  constructor(stream) {
    const Ctx = window.AudioContext || window.webkitAudioContext;
    this.ctx = new Ctx();
    this.ctx.resume?.();
    this.analyser = this.ctx.createAnalyser();
    this.analyser.fftSize = 1024;
    this.ctx.createMediaStreamSource(stream).connect(this.analyser);
    this.buf = new Float32Array(this.analyser.fftSize);
  }

  read() {
    this.analyser.getFloatTimeDomainData(this.buf);
    let sum = 0;
    for (const x of this.buf) sum += x * x;
    return Math.sqrt(sum / this.buf.length);
  }

  close() {
    this.ctx.close?.();
  }
}

/** A meter element: a bar whose width follows the level, and its value for screen readers. */
function meter(label) {
  const wrap = el("div", "voice-meter");
  wrap.setAttribute("role", "meter");
  wrap.setAttribute("aria-label", label);
  wrap.setAttribute("aria-valuemin", "0");
  wrap.setAttribute("aria-valuemax", "100");
  wrap.setAttribute("aria-valuenow", "0");
  const bar = el("div", "voice-meter-bar");
  wrap.append(bar);
  let peak = 0; // the loudest since live: shows that sound came at all
  return {
    wrap,
    set(level) {
      const pct = Math.min(100, Math.round(Math.sqrt(level) * 140)); // a voice reads mid-scale
      bar.style.width = `${pct}%`;
      wrap.setAttribute("aria-valuenow", String(pct));
      peak = level === 0 ? 0 : Math.max(peak, pct);
      wrap.dataset.peak = String(peak);
    },
  };
}

export class VoiceSpeaker {
  constructor(conn, root) {
    this.conn = conn;
    this.root = root;
    this.meeting = null;
    this.floor = false;
    this.pc = null;
    this.stream = null;
    this.level = null;
    this.session = null;
    this.state = "idle"; // idle, asking, connecting, live
    this.videoTx = null; // the offer's video section: the camera goes on it when turned on
    this.camera = null; // the camera's track while it is on
    this.message = null;
    this.sub = null;
    this.frame = null;
    root.classList.add("voice-speaker");
    this.title = el("p", "voice-state");
    this.title.setAttribute("role", "status");
    this.hint = el("p", "hint-text");
    this.meter = meter(t("voice.meter"));
    this.start = button("cast", "", () => this.goLive());
    this.stop = button("cast warn", "", () => this.end(true));
    this.cam = button("", "", () => (this.camera ? this.cameraOff() : this.cameraOn()));
    this.cam.classList.add("voice-camera");
    this.camHint = el("p", "hint-text");
    this.preview = document.createElement("video");
    this.preview.className = "voice-video voice-preview";
    this.preview.muted = true;
    this.preview.autoplay = true;
    this.preview.playsInline = true;
    this.preview.hidden = true;
    this.msg = el("p", "error");
    this.msg.setAttribute("role", "alert");
    setChildren(root, this.title, this.meter.wrap, this.hint, this.msg, this.start, this.stop, this.cam, this.camHint, this.preview);
    this.rerender();
  }

  /** Whether I hold the floor of `meeting` (the speakers panel says so on every change). */
  setFloor(meeting, holds) {
    if (meeting !== this.meeting) {
      this.end(false);
      this.meeting = meeting;
      this.sub?.close();
      this.sub = meeting
        ? this.conn.subscribe(`meeting/${meeting}/voice`, {
            onEvents: (events) => {
              for (const e of events) if (e.event === "voice.ended" && e.data.session === this.session) this.end(false, e.data.reason);
            },
          })
        : null;
    }
    if (this.floor && !holds) this.end(false, "floor_lost");
    this.floor = holds;
    this.rerender();
  }

  async goLive() {
    if (this.state !== "idle" || !this.meeting || !this.floor) return;
    this.message = null;
    this.state = "asking";
    this.rerender();
    try {
      this.stream = await navigator.mediaDevices.getUserMedia({ audio: { echoCancellation: true, noiseSuppression: true } });
    } catch (err) {
      this.state = "idle";
      this.message = t("voice.err.mic");
      this.rerender();
      return;
    }
    this.state = "connecting";
    this.rerender();
    try {
      const ice = await iceServers(this.conn, this.meeting);
      this.pc = new RTCPeerConnection({ iceServers: ice });
      for (const track of this.stream.getAudioTracks()) this.pc.addTrack(track, this.stream);
      // the camera's place, empty until "카메라 켜기" (no camera is asked for before that press)
      this.videoTx = this.pc.addTransceiver("video", { direction: "sendonly" });
      this.pc.addEventListener("connectionstatechange", () => {
        const s = this.pc?.connectionState;
        if (s === "connected") {
          this.state = "live";
          this.rerender();
        } else if (s === "failed") this.end(false, "failed");
      });
      const sdp = await gathered(this.pc);
      const answer = await this.conn.request("voice.offer", { meeting: this.meeting, sdp });
      this.session = answer.session;
      await this.pc.setRemoteDescription({ type: "answer", sdp: answer.sdp });
      this.level = new Level(this.stream);
      this._meter();
    } catch (err) {
      this.end(false);
      this.message = err && err.name ? errText(err) : t("voice.err.connect");
      this.rerender();
    }
  }

  _meter() {
    cancelAnimationFrame(this.frame);
    if (!this.level) return;
    this.meter.set(this.level.read());
    this.frame = requestAnimationFrame(() => this._meter());
  }

  /** The camera on: asked for only now, put on the live connection's video section. */
  async cameraOn() {
    if (this.camera || !this.videoTx || this.state === "idle") return;
    this.message = null;
    let track;
    try {
      const media = await navigator.mediaDevices.getUserMedia({
        video: { width: { ideal: 640 }, height: { ideal: 360 }, frameRate: { ideal: 15, max: 24 } },
      });
      track = media.getVideoTracks()[0];
    } catch (err) {
      this.message = t("voice.err.camera");
      this.rerender();
      return;
    }
    if (!this.videoTx || this.state === "idle") return track.stop(); // ended while asking
    this.camera = track;
    try {
      await this.videoTx.sender.replaceTrack(track);
    } catch (err) {
      this.cameraOff();
      this.message = t("voice.err.camera");
    }
    this.preview.srcObject = this.camera ? new MediaStream([track]) : null;
    this.rerender();
  }

  /** The camera off: its track stopped, nothing sent on the video section; the voice goes on. */
  cameraOff() {
    this.videoTx?.sender.replaceTrack(null).catch(() => {});
    this.camera?.stop();
    this.camera = null;
    this.preview.srcObject = null;
    this.rerender();
  }

  /** Stop: the microphone off, the connection closed; `tell` the hub (the stop button). */
  end(tell, reason) {
    const session = this.session;
    if (tell && session && this.meeting) this.conn.request("voice.end", { meeting: this.meeting, session }).catch(() => {});
    cancelAnimationFrame(this.frame);
    this.level?.close();
    this.level = null;
    for (const track of this.stream?.getTracks() || []) track.stop();
    this.stream = null;
    this.camera?.stop();
    this.camera = null;
    this.videoTx = null;
    this.preview.srcObject = null;
    this.pc?.close();
    this.pc = null;
    this.session = null;
    const was = this.state;
    this.state = "idle";
    if (was !== "idle" && reason === "floor_lost") this.message = t("voice.ended.floor");
    else if (was !== "idle" && reason === "timer_out") this.message = t("voice.ended.timer");
    else if (was !== "idle" && reason === "end" && !tell) this.message = t("voice.ended.host");
    this.meter.set(0);
    this.rerender();
  }

  rerender() {
    const s = this.state;
    this.root.hidden = !this.floor && s === "idle" && !this.message;
    this.root.classList.toggle("live", s === "live");
    this.title.textContent = t(`voice.state.${s}`);
    this.hint.textContent = s === "idle" ? t("voice.hint") : s === "live" ? t("voice.live.hint") : "";
    this.hint.hidden = !this.hint.textContent;
    this.meter.wrap.hidden = s === "idle";
    this.start.textContent = t("voice.start");
    this.start.hidden = s !== "idle" || !this.floor;
    this.stop.textContent = t("voice.stop");
    this.stop.hidden = s === "idle";
    this.cam.textContent = t(this.camera ? "voice.camera.off" : "voice.camera.on");
    this.cam.setAttribute("aria-pressed", String(!!this.camera));
    this.cam.hidden = s !== "live" && s !== "connecting";
    this.camHint.textContent = t("voice.camera.hint");
    this.camHint.hidden = this.cam.hidden || !!this.camera;
    this.preview.hidden = !this.camera;
    this.preview.setAttribute("aria-label", t("voice.camera.preview"));
    this.msg.textContent = this.message || "";
    this.msg.hidden = !this.message;
  }
}

export class VoiceConsole {
  constructor(conn, section) {
    this.conn = conn;
    this.section = section;
    this.meeting = null;
    this.welcome = null;
    this.allowed = false;
    this.heard = null; // the speaker's session this console listens to
    this.live = null; // the voice.live record
    this.pc = null;
    this.session = null;
    this.level = null;
    this.muted = false;
    this.message = null;
    this.frame = null;
    this.sub = null;
    this.stats = { packets: 0 };
    section.hidden = true;
    section.setAttribute("aria-labelledby", "voice-heading");
    this.heading = el("h2", "panel-heading");
    this.heading.id = "voice-heading";
    this.who = el("p", "voice-state");
    this.who.setAttribute("role", "status");
    this.meter = meter(t("voice.console.meter"));
    this.audio = document.createElement("audio");
    this.audio.autoplay = true;
    this.video = document.createElement("video"); // the speaker's camera, shown while frames come
    this.video.className = "voice-video";
    this.video.muted = true; // the sound is the <audio>'s (the one the stream's mixer takes)
    this.video.autoplay = true;
    this.video.playsInline = true;
    this.video.hidden = true;
    this.videoOn = false;
    this.framesSeen = 0;
    this.watchTimer = null;
    this.mute = button("", "", () => this.toggleMute());
    this.cut = button("warn", "", () => this.endSpeaker());
    this.msg = el("p", "error");
    this.msg.setAttribute("role", "alert");
    const row = el("div", "row");
    row.append(this.mute, this.cut);
    this.cutOff = document.createElement("input");
    this.cutOff.type = "checkbox";
    this.cutOff.id = "voice-cut-off";
    this.cutOff.addEventListener("change", () => this.setCutOff(this.cutOff.checked));
    this.cutOffLabel = el("label", "check-row");
    this.cutOffText = el("span", "", "");
    this.cutOffLabel.append(this.cutOff, this.cutOffText);
    this.speakers = { seconds: 120, cut_off: false };
    this.speakersSub = null;
    setChildren(section, this.heading, this.who, this.video, this.meter.wrap, row, this.cutOffLabel, this.msg, this.audio);
  }

  /** The host's choice: a speaker's live voice ends when their time runs out (or never). */
  async setCutOff(on) {
    if (!this.meeting) return;
    try {
      const r = await this.conn.request("speakers.timer", { meeting: this.meeting, seconds: this.speakers.seconds || 120, cut_off: on });
      this.speakers.cut_off = r.cut_off;
      this.message = null;
    } catch (err) {
      this.message = errText(err);
    }
    this.rerender();
  }

  setWelcome(w) {
    this.welcome = w;
    this.allowed = may(w, "voice.listen");
    this.section.hidden = !this.allowed;
    this.follow();
  }

  setMeeting(id) {
    if (id === this.meeting) return;
    this.meeting = id;
    this.hangUp();
    this.live = null;
    this.sub?.close();
    this.sub = null;
    this.speakersSub?.close();
    this.speakersSub = null;
    this.follow();
  }

  follow() {
    if (!this.allowed || !this.meeting || this.sub) return this.rerender();
    this.speakersSub = followState(this.conn, `meeting/${this.meeting}/speakers`, {
      onSnapshot: (s) => {
        this.speakers = { seconds: s.seconds || 120, cut_off: !!s.cut_off };
      },
      onEvents: (events, info) => {
        if (!info.snapshot) for (const e of events) if (e.event === "speakers.timer") this.speakers = { seconds: e.data.seconds, cut_off: !!e.data.cut_off };
        this.rerender();
      },
    });
    this.sub = followState(this.conn, `meeting/${this.meeting}/voice`, {
      onSnapshot: (s) => {
        this.live = s.live || null;
      },
      onEvents: (events, info) => {
        if (!info.snapshot) {
          for (const e of events) {
            if (e.event === "voice.live") this.live = e.data;
            if (e.event === "voice.ended" && this.live && this.live.session === e.data.session) this.live = null;
          }
        }
        this.sync();
      },
      onError: (err) => {
        this.message = errText(err);
        this.rerender();
      },
    });
    this.rerender();
  }

  /** Listen to whoever is live now (once per speaker's session); hang up when nobody is. */
  sync() {
    if (!this.live) this.hangUp();
    else if (this.heard !== this.live.session) this.listen(this.live.session);
    this.rerender();
  }

  async listen(speakerSession) {
    this.hangUp();
    this.heard = speakerSession;
    const ice = await iceServers(this.conn, this.meeting);
    if (this.heard !== speakerSession) return; // another speaker (or none) while asking
    const pc = (this.pc = new RTCPeerConnection({ iceServers: ice }));
    pc.addTransceiver("audio", { direction: "recvonly" });
    pc.addTransceiver("video", { direction: "recvonly" }); // the speaker's camera, if they turn it on
    pc.addEventListener("track", (e) => {
      if (e.track.kind === "video") {
        this.video.srcObject = new MediaStream([e.track]);
        this.video.play?.().catch(() => {});
        this._watchVideo(pc);
        return;
      }
      const stream = new MediaStream([e.track]);
      this.audio.srcObject = stream;
      this.audio.muted = this.muted;
      this.audio.play?.().catch(() => {});
      this.level = new Level(stream);
      this._meter();
    });
    try {
      const sdp = await gathered(pc);
      const answer = await this.conn.request("voice.listen", { meeting: this.meeting, sdp });
      if (pc !== this.pc) return;
      this.session = answer.session;
      await pc.setRemoteDescription({ type: "answer", sdp: answer.sdp });
      this.message = null;
    } catch (err) {
      if (pc !== this.pc) return;
      this.message = errText(err);
      this.heard = null; // the next voice.live tries again, and a retryable refusal in a while
      if (err && err.retryable) setTimeout(() => this.live && !this.pc?.remoteDescription && this.sync(), 3000);
    }
    this.rerender();
  }

  _meter() {
    cancelAnimationFrame(this.frame);
    if (!this.level) return;
    this.meter.set(this.level.read());
    this.frame = requestAnimationFrame(() => this._meter());
  }

  /** Whether the speaker's camera sends: frames decoded in the last second (the camera may come on
   * and go off during the speech without a new offer). Shows the video only then. */
  _watchVideo(pc) {
    clearInterval(this.watchTimer);
    this.framesSeen = 0;
    this.watchTimer = setInterval(async () => {
      if (pc !== this.pc) return clearInterval(this.watchTimer);
      let frames = 0;
      const stats = await pc.getStats();
      stats.forEach((r) => {
        if (r.type === "inbound-rtp" && r.kind === "video") frames = r.framesDecoded || 0;
      });
      const on = frames > this.framesSeen;
      this.framesSeen = frames;
      if (on !== this.videoOn) {
        this.videoOn = on;
        this.rerender();
      }
    }, 1000);
  }

  hangUp() {
    clearInterval(this.watchTimer);
    this.videoOn = false;
    this.video.srcObject = null;
    cancelAnimationFrame(this.frame);
    this.level?.close();
    this.level = null;
    this.pc?.close();
    this.pc = null;
    this.session = null;
    this.heard = null;
    this.audio.srcObject = null;
    this.meter.set(0);
  }

  toggleMute() {
    this.muted = !this.muted;
    this.audio.muted = this.muted;
    this.rerender();
  }

  async endSpeaker() {
    if (!this.live || !this.meeting) return;
    try {
      await this.conn.request("voice.end", { meeting: this.meeting, session: this.live.session });
    } catch (err) {
      this.message = errText(err);
    }
    this.rerender();
  }

  rerender() {
    this.heading.textContent = t("voice.console.heading");
    this.who.textContent = this.live ? t("voice.console.live", { name: this.live.name }) : t("voice.console.nobody");
    this.section.classList.toggle("live", !!this.live);
    this.meter.wrap.hidden = !this.live;
    this.video.hidden = !this.live || !this.videoOn;
    this.video.setAttribute("aria-label", t("voice.console.video"));
    this.mute.textContent = t(this.muted ? "voice.console.unmute" : "voice.console.mute");
    this.mute.setAttribute("aria-pressed", String(this.muted));
    this.mute.hidden = !this.live;
    this.cutOffText.textContent = t("voice.console.cut_off");
    this.cutOff.checked = !!this.speakers.cut_off;
    this.cutOffLabel.hidden = !may(this.welcome, "speakers.timer");
    this.cut.textContent = t("voice.console.end");
    this.cut.hidden = !this.live || !may(this.welcome, "voice.end");
    this.msg.textContent = this.message || "";
    this.msg.hidden = !this.message;
  }
}
