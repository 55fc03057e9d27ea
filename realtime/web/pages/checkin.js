// The hall desk (`/checkin#t=<clerk token>`, issue 14): a clerk picks the session and what to
// record (in, out, paper sign-in), then for each panelist either scans their QR link with the
// camera (where the browser has BarcodeDetector) or types their number or pastes their link. The
// panelist's token stays in this page and goes to the hub in the command's body
// (`attendance.checkin`), never in a URL. Checking in twice is no error: the page says "already".
//
// Clerks and hosts keep the desk (realtime/roles.py); any other role gets the hub's refusal in
// plain words. Names go on the page through textContent only.

import { connectPage } from "../lib/boot.js";
import { t } from "../lib/i18n.js";
import { Cooldown, el, errText, fmtTime, may, setChildren, setMeetingOptions } from "../lib/meeting-common.js";
import { initShell } from "../lib/shell.js";

const SESSION_KEY = "plenary.checkin.session";
const SHOWN = 10; // latest marks listed
const SCAN_MS = 300; // how often a camera frame is looked at
const COMMANDS = { in: "attendance.checkin", out: "attendance.checkout", paper: "attendance.paper" };

const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(window.location.search);

const ui = {
  desk: $("ck-desk"),
  refused: $("ck-refused"),
  session: $("ck-session"),
  scan: $("ck-scan"),
  camera: $("ck-camera"),
  video: $("ck-video"),
  form: $("ck-form"),
  code: $("ck-code"),
  send: $("ck-send"),
  error: $("ck-error"),
  result: $("ck-result"),
  recent: $("ck-recent"),
  none: $("ck-none"),
  list: $("ck-list"),
};

const state = { conn: null, session: null, busy: false, error: null, last: null, marks: [], stream: null, lastScan: "" };
const wait = new Cooldown(() => render());

/** What the clerk typed or scanned: a personal link (its token, from the fragment) or a number. */
function readCode(text) {
  const value = String(text || "").trim();
  const at = value.indexOf("#t=");
  if (at >= 0) return { token: value.slice(at + 3) };
  return value ? { participant: value } : null;
}

function markNow() {
  const checked = document.querySelector('input[name="ck-mark"]:checked');
  return checked ? checked.value : "in";
}

function errWords(err) {
  if (!err) return "";
  if (err.name === "bad_field" && err.local) return t("ck.err.empty");
  if (err.name === "paper_needs_number") return t("ck.err.paper_needs_number");
  if (["unknown_participant", "not_a_member", "forbidden", "bad_field"].includes(err.name)) return t(`ck.err.${err.name}`);
  return errText(err);
}

async function submit(text) {
  if (state.busy || wait.active || !state.session) return;
  const who = readCode(text);
  const mark = markNow();
  state.error = null;
  if (!who) state.error = { name: "bad_field", local: true };
  else if (mark === "paper" && who.token) state.error = { name: "paper_needs_number" };
  if (state.error) {
    render();
    return;
  }
  state.busy = true;
  render();
  try {
    const r = await state.conn.request(COMMANDS[mark], { session: state.session, ...who });
    state.last = r;
    state.marks.unshift(r);
    state.marks.length = Math.min(state.marks.length, SHOWN);
    ui.code.value = "";
  } catch (err) {
    wait.start(err);
    state.error = err; // what was typed stays in the field
    state.last = null;
  } finally {
    state.busy = false;
    render();
    ui.code.focus();
  }
}

function resultWords(r) {
  const who = { name: r.name, id: r.panelist, time: r.at ? fmtTime(r.at) : "" };
  if (r.changed) return t(`ck.done.${r.mark}`, who);
  return t(r.mark === "out" ? "ck.same.out" : `ck.same.${r.mark}`, who);
}

function render() {
  ui.send.disabled = state.busy || wait.active || !state.session;
  const words = errWords(state.error);
  ui.error.textContent = words;
  ui.error.hidden = !words;
  ui.code.setAttribute("aria-invalid", String(!!words));
  ui.result.textContent = state.last ? resultWords(state.last) : "";
  ui.result.className = `ck-result ${state.last ? (state.last.changed ? "done" : "same") : ""}`;
  setChildren(
    ui.list,
    ...state.marks.map((r) => {
      const li = el("li");
      li.append(el("span", "ck-time", r.at ? fmtTime(r.at) : ""), el("span", "", resultWords(r)));
      return li;
    }),
  );
  ui.none.hidden = state.marks.length > 0;
}

// -- the camera (BarcodeDetector, where the browser has it) -----------------------------------------
async function startCamera() {
  if (state.stream) return stopCamera();
  try {
    const detector = new window.BarcodeDetector({ formats: ["qr_code"] });
    state.stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } });
    ui.video.srcObject = state.stream;
    ui.video.hidden = false;
    await ui.video.play();
    ui.camera.textContent = t("ck.camera.stop");
    const look = async () => {
      if (!state.stream) return;
      try {
        const found = await detector.detect(ui.video);
        const value = found.length ? found[0].rawValue : "";
        if (value && value !== state.lastScan) {
          state.lastScan = value; // the same code held up a while is one scan
          await submit(value);
        }
      } catch {
        /* a frame that could not be read: the next one */
      }
      setTimeout(look, SCAN_MS);
    };
    look();
  } catch {
    stopCamera();
    state.error = { name: "camera" };
    ui.error.textContent = t("ck.err.camera");
    ui.error.hidden = false;
  }
}

function stopCamera() {
  if (state.stream) for (const track of state.stream.getTracks()) track.stop();
  state.stream = null;
  state.lastScan = "";
  ui.video.hidden = true;
  ui.camera.textContent = t("ck.camera");
}

// -- start ---------------------------------------------------------------------------------------
function chooseSession(id) {
  state.session = id;
  ui.session.value = id;
  try {
    sessionStorage.setItem(SESSION_KEY, id);
  } catch {
    /* ignore */
  }
  render();
}

function onWelcome(welcome) {
  const meetings = welcome.meetings || [];
  const allowed = may(welcome, "attendance.checkin");
  ui.desk.hidden = false;
  ui.refused.textContent = allowed ? "" : t("ck.err.forbidden");
  ui.refused.hidden = allowed;
  ui.form.hidden = !allowed || !meetings.length;
  ui.recent.hidden = !allowed || !meetings.length;
  ui.scan.hidden = !allowed || !("BarcodeDetector" in window) || !navigator.mediaDevices;
  setMeetingOptions(ui.session, meetings);
  if (allowed && !meetings.length) {
    ui.refused.textContent = t("ck.nomeeting");
    ui.refused.hidden = false;
    return;
  }
  let wanted = params.get("session");
  try {
    wanted = wanted || sessionStorage.getItem(SESSION_KEY);
  } catch {
    /* ignore */
  }
  const still = meetings.find((m) => m.id === (state.session || wanted)) || meetings[0];
  if (still) chooseSession(still.id);
}

function onFatal() {
  stopCamera();
  ui.desk.hidden = true;
  ui.recent.hidden = true;
}

const shell = initShell({ pageKey: "page.checkin", onRerender: render });

function main() {
  state.conn = connectPage(shell, { onWelcome, onFatal });
  if (!state.conn) return;
  ui.session.addEventListener("change", () => chooseSession(ui.session.value));
  ui.form.addEventListener("submit", (e) => {
    e.preventDefault();
    submit(ui.code.value);
  });
  ui.code.addEventListener("input", () => {
    if (state.error && !wait.active) {
      state.error = null;
      render();
    }
  });
  ui.camera.addEventListener("click", () => startCamera());
  render();
  state.conn.start();
}

main();
