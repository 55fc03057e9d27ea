// Korean first, English available. One flat dictionary per language; `t(key, vars)` fills {name}
// placeholders. Elements with data-i18n="key" get their textContent from it (never innerHTML), and
// data-i18n-label / data-i18n-placeholder fill aria-label / placeholder.

const DICT = {
  ko: {
    "app.title": "서울시민회의",
    "app.tagline": "시민참여단 채팅",
    "skip": "메시지 입력으로 건너뛰기",
    "lang.switch": "English",
    "lang.switch.label": "Switch to English",
    "size.label": "글자 크기",
    "size.0": "글자 크기: 보통",
    "size.1": "글자 크기: 크게",
    "size.2": "글자 크기: 아주 크게",
    "size.next": "누르면 바뀝니다",

    "conn.idle": "준비 중",
    "conn.connecting": "연결하는 중…",
    "conn.live": "실시간 연결됨",
    "conn.reconnecting": "다시 연결하는 중…",
    "conn.closed": "연결 끊김",
    "conn.retry": "지금 다시 연결",

    "who.greeting": "{name} 님",
    "who.meeting": "회의",
    "role.panelist": "시민참여단",
    "role.moderator": "진행자",
    "role.host": "사회자",
    "role.ops": "운영진",
    "role.observer": "참관인",
    "role.clerk": "서기",

    "meeting.none": "참여할 수 있는 회의가 아직 없습니다.",
    "meeting.when": "{start} 시작",
    "meeting.when.range": "{start} ~ {end}",
    "meeting.novideo": "이 회의에는 영상 중계가 없습니다.",
    "meeting.video": "{title} 생중계 영상",

    "chat.heading": "채팅",
    "chat.empty": "아직 메시지가 없습니다. 첫 메시지를 남겨 보세요.",
    "chat.skipped": "연결이 오래 끊겨 있던 동안의 일부 메시지는 표시하지 못했습니다.",
    "chat.reset": "서버가 다시 시작되어 채팅 목록을 새로 불러왔습니다.",
    "chat.newBelow": "새 메시지 {n}개 ↓",
    "chat.me": "나",
    "chat.cannotRead": "이 채팅을 볼 수 없습니다: {reason}",

    "composer.label": "메시지",
    "composer.placeholder": "메시지를 입력하세요",
    "composer.hint": "Enter: 보내기 · Shift+Enter: 줄바꿈",
    "composer.count": "{n} / {max}자",
    "composer.send": "보내기",
    "composer.sending": "보내는 중…",

    "err.rate_limited": "너무 빠르게 보내고 있습니다. 몇 초 기다린 뒤 다시 보내 주세요. 입력한 글은 그대로 있습니다.",
    "err.message_too_long": "메시지가 너무 깁니다. {max}자 이하로 줄여 주세요.",
    "err.too_long_local": "메시지가 너무 깁니다 ({n}자). {max}자 이하로 줄여 주세요.",
    "err.empty_message": "빈 메시지는 보낼 수 없습니다.",
    "err.forbidden": "지금 역할({role})로는 채팅에 글을 쓸 수 없습니다. 읽기만 할 수 있습니다.",
    "err.forbidden.read": "권한이 없습니다.",
    "err.not_a_member": "이 회의의 참가자가 아닙니다.",
    "err.chat_closed": "이 회의의 채팅은 지금 닫혀 있습니다.",
    "err.muted": "진행자가 회원님의 채팅 쓰기를 잠시 제한했습니다.",
    "err.unknown_meeting": "이 회의를 찾을 수 없습니다.",
    "err.unavailable": "서버가 잠시 응답하지 않습니다. 잠시 뒤 다시 보내 주세요.",
    "err.disconnected": "연결이 끊겨 보내지 못했습니다. 다시 연결되면 한 번 더 보내 주세요. 입력한 글은 그대로 있습니다.",
    "err.timeout": "서버 응답이 늦어 보내졌는지 확인하지 못했습니다. 채팅 목록을 확인한 뒤 필요하면 다시 보내 주세요.",
    "err.other": "보내지 못했습니다 ({name}): {message}",

    "fatal.notoken.title": "개인 링크로 접속해 주세요",
    "fatal.notoken.body": "문자나 이메일로 받은 본인의 참여 링크를 눌러 주세요. 링크는 다른 사람과 나누지 마세요.",
    "fatal.4003.title": "이 링크로는 들어올 수 없습니다",
    "fatal.4003.body": "링크가 만료되었거나 새 링크가 발급되었습니다. 가장 최근에 받은 링크를 누르거나 사무국에 새 링크를 요청해 주세요.",
    "fatal.4012.title": "링크가 취소되었습니다",
    "fatal.4012.body": "이 참여 링크는 더 이상 쓸 수 없습니다. 사무국에 문의해 주세요.",
    "fatal.4004.title": "연결 방식이 맞지 않습니다",
    "fatal.4004.body": "페이지를 새로 고쳐 주세요. 계속되면 사무국에 문의해 주세요.",
  },
  en: {
    "app.title": "Seoul Citizens' Assembly",
    "app.tagline": "Panel chat",
    "skip": "Skip to the message box",
    "lang.switch": "한국어",
    "lang.switch.label": "한국어로 보기",
    "size.label": "Text size",
    "size.0": "Text size: normal",
    "size.1": "Text size: large",
    "size.2": "Text size: larger",
    "size.next": "press to change",

    "conn.idle": "Starting",
    "conn.connecting": "Connecting…",
    "conn.live": "Live",
    "conn.reconnecting": "Reconnecting…",
    "conn.closed": "Disconnected",
    "conn.retry": "Reconnect now",

    "who.greeting": "{name}",
    "who.meeting": "Meeting",
    "role.panelist": "Panelist",
    "role.moderator": "Moderator",
    "role.host": "Host",
    "role.ops": "Staff",
    "role.observer": "Observer",
    "role.clerk": "Clerk",

    "meeting.none": "There is no meeting you can join yet.",
    "meeting.when": "Starts {start}",
    "meeting.when.range": "{start} – {end}",
    "meeting.novideo": "This meeting has no video stream.",
    "meeting.video": "Live video: {title}",

    "chat.heading": "Chat",
    "chat.empty": "No messages yet. Be the first to write.",
    "chat.skipped": "Some messages from while you were disconnected could not be shown.",
    "chat.reset": "The server restarted; the chat was loaded again.",
    "chat.newBelow": "{n} new ↓",
    "chat.me": "me",
    "chat.cannotRead": "You cannot read this chat: {reason}",

    "composer.label": "Message",
    "composer.placeholder": "Write a message",
    "composer.hint": "Enter: send · Shift+Enter: new line",
    "composer.count": "{n} / {max}",
    "composer.send": "Send",
    "composer.sending": "Sending…",

    "err.rate_limited": "You are sending too fast. Please wait a few seconds and send again. Your text is kept.",
    "err.message_too_long": "The message is too long. Please shorten it to {max} characters or fewer.",
    "err.too_long_local": "The message is too long ({n} characters). Please shorten it to {max} or fewer.",
    "err.empty_message": "An empty message cannot be sent.",
    "err.forbidden": "As {role} you can read the chat but not write in it.",
    "err.forbidden.read": "You do not have access.",
    "err.not_a_member": "You are not a participant of this meeting.",
    "err.chat_closed": "The chat of this meeting is closed now.",
    "err.muted": "A moderator has paused your chat for now.",
    "err.unknown_meeting": "This meeting could not be found.",
    "err.unavailable": "The server is not answering right now. Please send again in a moment.",
    "err.disconnected": "The connection dropped, so it was not sent. Send again once reconnected. Your text is kept.",
    "err.timeout": "No answer from the server: check the chat, and send again if your message is missing.",
    "err.other": "Not sent ({name}): {message}",

    "fatal.notoken.title": "Please open your personal link",
    "fatal.notoken.body": "Tap the personal link you received by text message or e-mail. Do not share it with anyone.",
    "fatal.4003.title": "This link does not open a seat",
    "fatal.4003.body": "It has expired or a newer link was issued. Open the most recent link you received, or ask the organisers for a new one.",
    "fatal.4012.title": "This link was revoked",
    "fatal.4012.body": "This personal link no longer works. Please contact the organisers.",
    "fatal.4004.title": "The connection was refused",
    "fatal.4004.body": "Please reload the page. If it happens again, contact the organisers.",
  },
};

export const LANGS = Object.keys(DICT);
const STORE_KEY = "plenary.lang";
let current = "ko";
const listeners = new Set();

export function lang() {
  return current;
}

export function t(key, vars = {}) {
  const s = DICT[current][key] ?? DICT.ko[key] ?? key;
  return s.replace(/\{(\w+)\}/g, (m, k) => (k in vars ? String(vars[k]) : m));
}

export function has(key) {
  return key in DICT[current];
}

/** Fill every data-i18n* element under root. */
export function apply(root = document) {
  for (const el of root.querySelectorAll("[data-i18n]")) el.textContent = t(el.dataset.i18n);
  for (const el of root.querySelectorAll("[data-i18n-label]")) el.setAttribute("aria-label", t(el.dataset.i18nLabel));
  for (const el of root.querySelectorAll("[data-i18n-placeholder]")) el.placeholder = t(el.dataset.i18nPlaceholder);
}

export function setLang(next) {
  if (!(next in DICT)) return;
  current = next;
  document.documentElement.lang = next;
  try {
    localStorage.setItem(STORE_KEY, next);
  } catch {
    /* storage off: the choice lasts for this page only */
  }
  document.title = `${t("app.title")} · ${t("app.tagline")}`;
  apply();
  for (const fn of listeners) fn(next);
}

export function onChange(fn) {
  listeners.add(fn);
}

export function initLang() {
  let saved = null;
  try {
    saved = localStorage.getItem(STORE_KEY);
  } catch {
    /* ignore */
  }
  setLang(saved in DICT ? saved : "ko");
}
