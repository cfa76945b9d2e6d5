// The outbox: messages the user has sent that the server has not acknowledged yet
// (docs/protocol.md, "Keeping an outbox"). Each is shown at once, pending, and kept in IndexedDB
// (localdb.js), so that a reload, a crash or a tab the phone threw away while asleep loses
// nothing; it goes over the socket's `send` op with the client_msg_id it was given when written,
// however many times it has to go: the server stores it once and answers a repeat with the
// original. Nothing here can make it twice; what the client must not do is *show* it twice, which
// the timeline sees to (the ack, the live event and a catch-up all merge by the message's seq, and
// each confirms the pending copy by its client_msg_id).
//
// Each conversation's queue goes one message at a time, in the order written: the next goes when
// the one before is acknowledged. A refusal (a nack such as NOT_FRIENDS or MESSAGE_TOO_LONG) marks
// the message failed, with the reason, and steps it out of the line: what the user writes next still
// goes (as in WeChat, each message is refused or sent on its own), and a retry sends the failed one
// again, next. Everything else waits and goes again with the same id: a socket that is not live
// (offline, reconnecting, the server restarting), a send whose socket closed before its ack, an
// ack that does not come, RATE_LIMITED (after retry_after_ms), a server error (backing off).
//
// Files and images are queued too: the file itself waits in IndexedDB and is uploaded (HTTP) when
// its message's turn comes on a live socket; from then on the row keeps the file's id instead.

import { noteOwnMessage, noteRefusal } from "./actions.js";
import { api } from "./api.js";
import { deleteOutbox, forgetOutbox, outboxRows, putOutbox } from "./localdb.js";
import { on, state } from "./store.js";
import { timeline } from "./timeline.js";

const ACK_TIMEOUT_MS = 20_000;
const RETRY_MIN_MS = 1_000;
const RETRY_MAX_MS = 30_000;
const SERVER_ERRORS_BEFORE_FAILING = 5;

const queues = new Map(); // conversation id -> the messages not yet acknowledged, in order
const inFlight = new Map(); // client_msg_id -> message sent on the current socket, unanswered
let userId = null;
let transport = null; // (frame) => true when the frame went out on a live socket
let live = false;
let unsubscribe = [];
let writes = Promise.resolve(); // IndexedDB writes, one after the other
let wakeTimer = 0;
let session = 0; // bumped when a session ends: work begun before then lets go

/** Load what an earlier page left unsent, and send it (and what follows) whenever live. */
export async function startOutbox(me, send) {
  stopOutbox(); // a session that failed to start may have begun one
  userId = me;
  transport = send;
  live = false;
  for (const row of await outboxRows(me)) restore(row);
  unsubscribe = [
    on("connection", (status) => setLive(status === "live")),
    // The message came back another way first (a live event, a catch-up, a history page).
    on("own-confirmed", (message) => settled(message.client_msg_id)),
    on("conversation-removed", dropConversation),
  ];
}

/** The session ended; `forget`: also delete what this browser kept for the user. */
export function stopOutbox({ forget = false } = {}) {
  for (const fn of unsubscribe) fn();
  unsubscribe = [];
  for (const message of inFlight.values()) clearTimeout(message.ackTimer);
  inFlight.clear();
  queues.clear();
  clearTimeout(wakeTimer);
  session += 1;
  const who = userId;
  userId = transport = null;
  live = false;
  if (forget && who !== null) write(() => forgetOutbox(who));
}

/** A new message (actions.sendMessage built it): shown, kept, and sent in its turn. */
export function enqueue(message) {
  message.status = "queued";
  queueOf(message.conversation_id).push(message);
  timeline(message.conversation_id).addPending(message);
  persist(message);
  pump();
}

/** The socket's answer to a send. */
export function handleReply(frame) {
  const id = frame.client_msg_id;
  const message = inFlight.get(id);
  if (message) {
    inFlight.delete(id);
    clearTimeout(message.ackTimer);
  }
  if (frame.type === "ack" && frame.message) {
    const stored = frame.message;
    if (state.me && stored.sender_id === state.me.id) {
      noteOwnMessage(stored);
      timeline(stored.conversation_id).applyMessage(stored); // confirms the pending copy
    }
    settled(id);
  } else if (frame.type === "nack" && message && !message.gone) {
    const { code = "INTERNAL", message: text = "", ...data } = frame.error || {};
    const error = { code, message: text, data };
    message.attempts = (message.attempts || 0) + 1;
    if (error.code === "RATE_LIMITED") {
      later(message, frame.error.retry_after_ms || RETRY_MIN_MS);
    } else if (error.code === "INTERNAL" && message.attempts < SERVER_ERRORS_BEFORE_FAILING) {
      later(message, backoff(message.attempts));
    } else {
      fail(message, error);
    }
  }
  pump();
}

/** Send a failed message again (same client_msg_id), before what is still waiting behind it. */
export function retry(conversationId, clientMsgId) {
  const message = find(conversationId, clientMsgId);
  if (!message || message.status !== "failed") return;
  message.error = null;
  message.attempts = 0;
  message.notBefore = 0;
  setStatus(message, "queued");
  persist(message);
  pump();
}

/** Delete a failed message; the messages written after it go on. */
export function discard(conversationId, clientMsgId) {
  const message = find(conversationId, clientMsgId);
  if (!message || message.status !== "failed") return;
  remove(message);
  const line = timeline(conversationId);
  line.pending.delete(clientMsgId);
  line.changed("update");
  pump();
}

/** The user is no longer in the conversation: what was waiting for it can never go. */
function dropConversation(conversationId) {
  for (const message of [...(queues.get(conversationId) || [])]) {
    remove(message);
    timeline(conversationId).pending.delete(message.client_msg_id);
  }
}

// -- the queue ------------------------------------------------------------------------------------

function queueOf(conversationId) {
  if (!queues.has(conversationId)) queues.set(conversationId, []);
  return queues.get(conversationId);
}

function find(conversationId, clientMsgId) {
  return (queues.get(conversationId) || []).find((message) => message.client_msg_id === clientMsgId) || null;
}

function setLive(now) {
  live = now;
  if (!now) {
    // What went out on the socket that closed may or may not be stored: it goes again, same id.
    for (const message of inFlight.values()) {
      clearTimeout(message.ackTimer);
      setStatus(message, "queued");
    }
    inFlight.clear();
  }
  pump();
}

/** Send the first message of every conversation's queue that is ready to go (failed ones wait for
 * the user, out of the line). */
function pump() {
  clearTimeout(wakeTimer);
  if (!live) return;
  const now = Date.now();
  let next = Infinity;
  for (const queue of queues.values()) {
    const head = queue.find((message) => message.status !== "failed");
    if (!head || head.status !== "queued") continue;
    if (head.notBefore > now) next = Math.min(next, head.notBefore);
    else deliver(head);
  }
  if (next < Infinity) wakeTimer = setTimeout(pump, next - now);
}

async function deliver(message) {
  if (message.upload && !message.file_id) {
    const started = session;
    setStatus(message, "uploading");
    let uploaded;
    try {
      uploaded = await api.upload("/files", message.upload);
    } catch (error) {
      if (message.gone || started !== session) return;
      message.attempts = (message.attempts || 0) + 1;
      if (error.status === 429) later(message, (Number(error.data.retry_after) || 1) * 1000);
      else if (error.retryable) later(message, backoff(message.attempts));
      else fail(message, error);
      pump();
      return;
    }
    if (message.gone || started !== session) return;
    message.file_id = uploaded.id;
    message.file = uploaded;
    if (message.kind !== "voice") message.kind = uploaded.content_type.startsWith("image/") && uploaded.thumbnail_url ? "image" : "file";
    persist(message); // the row keeps the file's id from now on, no longer the file
  }
  const frame = {
    op: "send", conversation_id: message.conversation_id, client_msg_id: message.client_msg_id,
    kind: message.kind, body: message.body, reply_to_id: message.reply_to_id, file_id: message.file_id,
    ...(message.kind === "voice" ? { duration_ms: message.duration_ms } : {}),
    ...(message.mention_ids && message.mention_ids.length ? { mention_ids: message.mention_ids } : {}),
  };
  if (!live || !transport || !transport(frame)) {
    setStatus(message, "queued");
    return;
  }
  setStatus(message, "sending");
  inFlight.set(message.client_msg_id, message);
  // Never answered on a socket that looks alive: send it again (the server keeps it once).
  message.ackTimer = setTimeout(() => {
    if (inFlight.get(message.client_msg_id) !== message) return;
    inFlight.delete(message.client_msg_id);
    setStatus(message, "queued");
    pump();
  }, ACK_TIMEOUT_MS);
}

function later(message, waitMs) {
  message.notBefore = Date.now() + waitMs;
  setStatus(message, "queued");
}

function backoff(attempts) {
  return Math.min(RETRY_MAX_MS, RETRY_MIN_MS * 2 ** Math.max(0, attempts - 1));
}

function fail(message, error) {
  message.error = { code: error.code, message: error.message, data: error.data || {} };
  setStatus(message, "failed");
  noteRefusal(message.conversation_id, message.error); // e.g. no longer friends: the chat says why
  persist(message); // a reload shows it failed, and does not send it on its own
}

function setStatus(message, status) {
  message.status = status;
  timeline(message.conversation_id).updatePending(message);
}

/** Acknowledged (or seen stored): out of the queue and out of IndexedDB. */
function settled(clientMsgId) {
  for (const queue of queues.values()) {
    const message = queue.find((m) => m.client_msg_id === clientMsgId);
    if (message) {
      remove(message);
      pump();
      return;
    }
  }
}

function remove(message) {
  const queue = queues.get(message.conversation_id) || [];
  const index = queue.indexOf(message);
  if (index >= 0) queue.splice(index, 1);
  if (!queue.length) queues.delete(message.conversation_id);
  message.gone = true;
  clearTimeout(message.ackTimer);
  if (inFlight.get(message.client_msg_id) === message) inFlight.delete(message.client_msg_id);
  write(() => (message.n ? deleteOutbox(message.n) : null));
  if (message.localUrl) setTimeout(() => URL.revokeObjectURL(message.localUrl), 30_000);
}

// -- IndexedDB ------------------------------------------------------------------------------------

function write(work) {
  writes = writes.then(work).catch((error) => console.warn("outbox: not kept", error));
  return writes;
}

/** Keep the message as it is now (the first write gives it its key `n`, its place in the order). */
function persist(message) {
  const owner = userId;
  write(async () => {
    if (message.gone || owner === null) return;
    const n = await putOutbox({
      ...(message.n ? { n: message.n } : {}),
      user_id: owner,
      conversation_id: message.conversation_id,
      client_msg_id: message.client_msg_id,
      kind: message.kind,
      duration_ms: message.duration_ms || null,
      body: message.body,
      reply_to_id: message.reply_to_id,
      reply_to: message.reply_to,
      mention_ids: message.mention_ids || [],
      file_id: message.file_id,
      file: message.file,
      blob: message.file_id ? null : message.upload,
      created_at: message.created_at,
      error: message.status === "failed" ? message.error : null,
    });
    if (typeof n === "number") message.n = n;
    // Removed while this write was on its way: the row must not outlive it.
    if (message.gone && message.n) await deleteOutbox(message.n);
  });
}

/** A row an earlier page kept, as the pending message it was. */
function restore(row) {
  const blob = row.blob || null;
  const message = {
    pending: true,
    n: row.n,
    status: row.error ? "failed" : "queued",
    error: row.error || null,
    client_msg_id: row.client_msg_id,
    conversation_id: row.conversation_id,
    sender_id: row.user_id,
    kind: row.kind,
    duration_ms: row.duration_ms || null,
    body: row.body,
    html: null,
    reply_to: row.reply_to || null,
    reply_to_id: row.reply_to_id || null,
    file: row.file || null,
    file_id: row.file_id || null,
    upload: blob,
    localUrl: blob && (blob.type || "").startsWith("image/") ? URL.createObjectURL(blob) : null,
    reactions: [],
    mentions: row.mention_ids || [],
    mention_ids: row.mention_ids || [],
    created_at: row.created_at,
    recalled: false,
  };
  queueOf(message.conversation_id).push(message);
  timeline(message.conversation_id).addPending(message);
}
