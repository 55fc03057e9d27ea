// The hub's protocol over plain HTTP, for networks that block WebSockets (docs/protocol.md "Over
// HTTP when WebSockets are blocked"). An HttpSocket has the part of the WebSocket interface that
// lib/client.js uses (readyState, protocol, send, close, onopen, onmessage, onclose, onerror), so
// the connection, its subscriptions and every panel work on it unchanged.
//
// - The first frame sent (the hello, with the token) is the body of `POST /sse`; the answer is the
//   stream of the hub's frames as server-sent events, read from fetch's body. Not EventSource: it
//   can only GET, so the token would have to go in the URL, which servers and proxies log.
// - The stream's first event names its session; every later frame goes in a `POST /sse/cmd` with
//   that id in a header (never in the URL). One request at a time, frames queued meanwhile going
//   together one per line, so the hub gets the commands in the order they were sent.
// - A `close` event carries the WebSocket close code (4003, 4012, 4013, ...). A stream that ends
//   without one, a refused request or a lost network closes with 1006, like a dropped socket.

export const STREAM_PATH = "/sse";
export const COMMAND_PATH = "/sse/cmd";
export const SESSION_HEADER = "X-Plenary-Session";
const MAX_BODY = 64 * 1024; // the hub's frame cap is also its cap per request
const CONNECTING = 0;
const OPEN = 1;
const CLOSED = 3;

const encoder = new TextEncoder();

/** One server-sent event block ("event: x\ndata: y") as {event, data}; comments are skipped. */
function parseEvent(block) {
  let event = "";
  const data = [];
  for (const line of block.split("\n")) {
    if (!line || line.startsWith(":")) continue;
    const colon = line.indexOf(":");
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    if (field === "event") event = value;
    else if (field === "data") data.push(value);
  }
  return { event, data: data.join("\n") };
}

export class HttpSocket {
  /**
   * @param {string} base the hub's origin ("" for this page's own)
   * @param {string} protocol the subprotocol whose frames it carries (the JSON one)
   */
  constructor(base, protocol) {
    this.base = base;
    this.protocol = protocol;
    this.readyState = CONNECTING;
    this.onopen = null;
    this.onmessage = null;
    this.onclose = null;
    this.onerror = null;
    this.session = null;
    this.queue = [];
    this.sending = false;
    this.streaming = false;
    this.stop = new AbortController();
    // Nothing to open: the stream starts with the first frame (the hello), as its body.
    setTimeout(() => {
      if (this.readyState !== CONNECTING) return;
      this.readyState = OPEN;
      this.onopen?.({ type: "open" });
    }, 0);
  }

  send(data) {
    if (this.readyState !== OPEN) throw new Error("the HTTP connection is not open");
    if (!this.streaming) {
      this.streaming = true;
      this._stream(String(data));
      return;
    }
    this.queue.push(String(data));
    this._flush();
  }

  close() {
    this._closed(1000, "");
  }

  async _stream(hello) {
    let code = 1006;
    let reason = "";
    try {
      const res = await fetch(this.base + STREAM_PATH, {
        method: "POST",
        body: hello,
        headers: { "Content-Type": "text/plain;charset=UTF-8" },
        cache: "no-store",
        signal: this.stop.signal,
      });
      if (!res.ok || !res.body) throw new Error(`stream refused: ${res.status}`);
      const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = "";
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += value.replace(/\r\n?/g, "\n");
        let end;
        while ((end = buffer.indexOf("\n\n")) >= 0) {
          const { event, data } = parseEvent(buffer.slice(0, end));
          buffer = buffer.slice(end + 2);
          if (event === "session") {
            this.session = data;
            this._flush();
          } else if (event === "close") {
            try {
              ({ code, reason } = JSON.parse(data));
            } catch {
              code = 1006;
            }
          } else if (data && this.readyState === OPEN) {
            this.onmessage?.({ type: "message", data });
          }
        }
      }
    } catch {
      /* refused, aborted or the network is gone: closed below */
    }
    this._closed(code, reason);
  }

  async _flush() {
    if (this.sending || !this.session || !this.queue.length || this.readyState !== OPEN) return;
    this.sending = true;
    let size = 0;
    let n = 0;
    while (n < this.queue.length) {
      const bytes = encoder.encode(this.queue[n]).length + 1;
      if (n > 0 && size + bytes > MAX_BODY) break;
      size += bytes;
      n += 1;
    }
    const body = this.queue.splice(0, n).join("\n");
    try {
      const res = await fetch(this.base + COMMAND_PATH, {
        method: "POST",
        body,
        headers: { "Content-Type": "text/plain;charset=UTF-8", [SESSION_HEADER]: this.session },
        cache: "no-store",
        signal: this.stop.signal,
      });
      if (!res.ok) throw new Error(`commands refused: ${res.status}`);
    } catch {
      // The commands may be lost: as with a dropped socket, the connection is closed, its pending
      // requests fail as "disconnected" and it reconnects (a cast is sent again with its nonce).
      this.sending = false;
      this._closed(1006, "commands not delivered");
      return;
    }
    this.sending = false;
    this._flush();
  }

  _closed(code, reason) {
    if (this.readyState === CLOSED) return;
    this.stop.abort();
    this.queue = [];
    this.readyState = CLOSED;
    this.onclose?.({ type: "close", code, reason, wasClean: code !== 1006 });
  }
}
