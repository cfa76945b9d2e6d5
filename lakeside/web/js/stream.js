// The WebSocket to /api/v1/stream (docs/protocol.md). Keeps one number, the position: the id of
// the last event handled. Every (re)connection says hello with `since` = position, so the server
// replays exactly what was missed; an event at or below the position is never handled twice.
// The hello asks for the replay in batch frames (many events per frame); live events come one
// per frame. Sends (the outbox's `send` frames) go only on a live socket; their ack or nack comes
// back through onReply. A socket that stops answering is dropped: one that says nothing for a while
// before it is live, and one whose ping goes unanswered — checked at once when the page comes
// back (a phone waking up, a tab shown again), since a socket that slept may be dead without
// knowing it.

const PING_EVERY_MS = 25_000;
const PONG_TIMEOUT_MS = 10_000;
const WAKE_PONG_TIMEOUT_MS = 5_000;
const SILENT_BEFORE_LIVE_MS = 15_000;
const BACKOFF_MIN_MS = 50;
const BACKOFF_MAX_MS = 2_000;

const SESSION_REVOKED = 4001;
const AUTH_CLOSES = new Set([SESSION_REVOKED, 4003]);
const RESUME_TOO_OLD = 4009;

export class Stream {
  /**
   * handlers: onEvent(event) for durable events in order; onEphemeral(frame) for typing and
   * presence; onReply(frame) for the ack or nack of a send; onStatus("connecting" | "live" |
   * "reconnecting"); onAuthLost(reason: "revoked" or "expired"); onTooOld().
   */
  constructor(handlers) {
    this.handlers = handlers;
    this.position = null;
    this.ws = null;
    this.stopped = true;
    this.backoff = BACKOFF_MIN_MS;
    this.retryTimer = null;
    this.pingTimer = null;
    this.pongTimer = null;
    this.silenceTimer = null;
    this.status = "connecting";
    this.onOnline = () => this.reconnectNow();
    this.onOffline = () => this.drop();
    this.onWake = () => {
      if (document.visibilityState === "visible") this.checkNow();
    };
  }

  start(position) {
    this.position = position;
    this.stopped = false;
    window.addEventListener("online", this.onOnline);
    window.addEventListener("offline", this.onOffline);
    document.addEventListener("visibilitychange", this.onWake);
    document.addEventListener("resume", this.onWake);
    window.addEventListener("pageshow", this.onWake);
    this.connect();
  }

  /** Connect again from a new position (after starting fresh). */
  restart(position) {
    this.position = position;
    clearTimeout(this.retryTimer);
    if (!this.stopped && !this.ws) this.connect();
  }

  stop() {
    this.stopped = true;
    window.removeEventListener("online", this.onOnline);
    window.removeEventListener("offline", this.onOffline);
    document.removeEventListener("visibilitychange", this.onWake);
    document.removeEventListener("resume", this.onWake);
    window.removeEventListener("pageshow", this.onWake);
    clearTimeout(this.retryTimer);
    this.clearTimers();
    if (this.ws) {
      const ws = this.ws;
      this.ws = null;
      ws.close(1000, "bye");
    }
  }

  send(frame) {
    if (this.ws && this.ws.readyState === WebSocket.OPEN && this.status === "live") {
      this.ws.send(JSON.stringify(frame));
      return true;
    }
    return false;
  }

  setStatus(status) {
    if (this.status === status) return;
    this.status = status;
    this.handlers.onStatus(status);
  }

  connect() {
    if (this.stopped) return;
    const scheme = window.location.protocol === "https:" ? "wss:" : "ws:";
    const ws = new WebSocket(`${scheme}//${window.location.host}/api/v1/stream`);
    this.ws = ws;
    this.watchSilence(ws);
    // The HttpOnly session cookie authenticates the socket; the hello carries only the position.
    ws.addEventListener("open", () =>
      ws.send(JSON.stringify({ op: "hello", since: this.position, batch: true })),
    );
    ws.addEventListener("message", (event) => this.receive(ws, event.data));
    ws.addEventListener("close", (event) => this.closed(ws, event.code));
  }

  receive(ws, raw) {
    if (ws !== this.ws) return;
    if (this.status !== "live") this.watchSilence(ws);
    let frame;
    try {
      frame = JSON.parse(raw);
    } catch {
      return;
    }
    if (typeof frame.id === "number") {
      this.event(frame);
    } else if (frame.type === "batch" && Array.isArray(frame.events)) {
      for (const event of frame.events) {
        // A handler may close this socket (e.g. a revoked session): the rest is not for us.
        if (ws !== this.ws) return;
        this.event(event);
      }
    } else if (frame.type === "sync" && frame.op === "live") {
      this.position = Math.max(this.position ?? 0, frame.position);
      this.backoff = BACKOFF_MIN_MS;
      clearTimeout(this.silenceTimer);
      this.startPinging(ws);
      this.setStatus("live");
    } else if (frame.type === "typing" || frame.type === "presence") {
      this.handlers.onEphemeral(frame);
    } else if (frame.type === "ack" || frame.type === "nack") {
      if (this.handlers.onReply) this.handlers.onReply(frame);
    } else if (frame.type === "pong") {
      clearTimeout(this.pongTimer);
    } else if (frame.type === "error" && frame.code === "RESUME_TOO_OLD") {
      this.tooOld = true;
    }
  }

  event(frame) {
    if (this.position !== null && frame.id <= this.position) return;
    this.position = frame.id;
    this.handlers.onEvent(frame);
  }

  closed(ws, code) {
    if (ws !== this.ws) return;
    this.ws = null;
    this.clearTimers();
    if (this.stopped) return;
    if (AUTH_CLOSES.has(code)) {
      this.stopped = true;
      // 4001: this very session was ended (signed out from another device); 4003: the session
      // the socket presented is no longer valid.
      this.handlers.onAuthLost(code === SESSION_REVOKED ? "revoked" : "expired");
      return;
    }
    this.setStatus("reconnecting");
    if (code === RESUME_TOO_OLD || this.tooOld) {
      this.tooOld = false;
      this.handlers.onTooOld();
      return;
    }
    this.retryTimer = setTimeout(() => this.connect(), this.backoff);
    this.backoff = Math.min(this.backoff * 2, BACKOFF_MAX_MS);
  }

  /** Close the socket now (the network went away, or a ping went unanswered); reconnect follows. */
  drop() {
    if (!this.ws) return;
    const ws = this.ws;
    this.closed(ws, 1006);
    ws.close();
  }

  reconnectNow() {
    if (this.stopped || this.ws) return;
    clearTimeout(this.retryTimer);
    this.backoff = BACKOFF_MIN_MS;
    this.connect();
  }

  startPinging(ws) {
    this.clearTimers();
    this.pingTimer = setInterval(() => this.ping(ws, PONG_TIMEOUT_MS), PING_EVERY_MS);
  }

  ping(ws, timeout) {
    if (ws !== this.ws || ws.readyState !== WebSocket.OPEN) return;
    ws.send(JSON.stringify({ op: "ping" }));
    clearTimeout(this.pongTimer);
    this.pongTimer = setTimeout(() => this.drop(), timeout);
  }

  /** The page is back (shown again, a phone woke up): a live socket must prove it still is. */
  checkNow() {
    if (this.stopped) return;
    if (!this.ws) this.reconnectNow();
    else if (this.status === "live") this.ping(this.ws, WAKE_PONG_TIMEOUT_MS);
  }

  /** Before it is live a socket must keep talking (hello, replay): one silent too long is dropped. */
  watchSilence(ws) {
    clearTimeout(this.silenceTimer);
    this.silenceTimer = setTimeout(() => {
      if (ws === this.ws && this.status !== "live") this.drop();
    }, SILENT_BEFORE_LIVE_MS);
  }

  clearTimers() {
    clearInterval(this.pingTimer);
    clearTimeout(this.pongTimer);
    clearTimeout(this.silenceTimer);
  }
}
