// How a page with a personal link starts: the token, the hub connection and what its close codes
// mean for the person. Every page that talks to the hub boots through here, so the rules live once:
//
// - The token comes from the link's fragment (`#t=<token>`: never sent to a server), is kept for
//   this tab only (sessionStorage) and cleared from the address bar: not bookmarked, not in
//   screenshots or over a shoulder, not in the history. A reload finds it in storage.
// - Reconnecting (backoff, the crowded slow retry, hello again, re-subscribing from the last
//   offsets) is client.js's; this module decides only what the page shows.
// - After a close that needs a person (client.js NO_RECONNECT) the page says so and stops. A token
//   the hub refused or revoked (4003, 4012) is forgotten, so a reload does not knock with it again;
//   after 4004 (a page and a hub of different versions) the token is still good and kept.

import { Connection, hubUrl } from "./client.js";

const TOKEN_KEY = "plenary.token";
const FORGET_TOKEN = new Set([4003, 4012]);

/** The token from the link's fragment (then kept for this tab only and cleared from the address). */
function takeToken() {
  const match = /(?:^#|&)t=([^&]+)/.exec(window.location.hash);
  if (match) {
    const token = decodeURIComponent(match[1]);
    try {
      sessionStorage.setItem(TOKEN_KEY, token);
      history.replaceState(null, "", window.location.pathname + window.location.search);
    } catch {
      /* no storage: keep the fragment so that a reload still works */
    }
    return token;
  }
  try {
    return sessionStorage.getItem(TOKEN_KEY);
  } catch {
    return null;
  }
}

function forgetToken() {
  try {
    sessionStorage.removeItem(TOKEN_KEY);
  } catch {
    /* ignore */
  }
}

/** The notice keys for a close after which a person must act (a new link, a reload). */
function fatalKeys(code) {
  const c = code === 4003 || code === 4012 || code === 4004 ? code : 4004;
  return { title: `fatal.${c}.title`, body: `fatal.${c}.body` };
}

/**
 * The connection of the link's token, not started; null when the address and the tab hold no
 * token (then `onNoToken()` was called). `onFatal(code, reason)` comes after the token rule above.
 * For a page without the shared header (the stream overlay); a page with one uses connectPage.
 */
export function connectWithLink({ onNoToken, onState, onWelcome, onFatal }) {
  const token = takeToken();
  if (!token) {
    onNoToken();
    return null;
  }
  return new Connection({
    url: hubUrl(),
    token,
    onState,
    onWelcome,
    onFatal: (code, reason) => {
      if (FORGET_TOKEN.has(code)) forgetToken();
      onFatal(code, reason);
    },
  });
}

/**
 * Boot a page with the shared header (`shell`, lib/shell.js): its connection state in the pill,
 * "reconnect now", who is connected, and the notice for a missing token or a fatal close.
 * `onWelcome(welcome)` comes after the header shows the name; `onFatal(code)` hides the page's own
 * parts. Returns the connection, not started: the page mounts its parts on it (their subscriptions
 * go out with the first welcome) and then calls `start()`. Null without a token.
 */
export function connectPage(shell, { onWelcome = () => {}, onFatal = () => {} } = {}) {
  const conn = connectWithLink({
    onNoToken: () => {
      shell.setConn("closed");
      shell.notice("fatal.notoken.title", "fatal.notoken.body");
    },
    onState: (s) => shell.setConn(s),
    onWelcome: (w) => {
      shell.setMe(w);
      onWelcome(w);
    },
    onFatal: (code) => {
      const keys = fatalKeys(code);
      shell.notice(keys.title, keys.body);
      onFatal(code);
    },
  });
  if (conn) shell.onRetry(() => conn.reconnectNow());
  return conn;
}
