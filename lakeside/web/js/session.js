// A logged-in session's life: load state at a position, stream from it, keep presence, survive
// reconnects (and a position the server no longer keeps), and end on log-out or revocation. The
// outbox and the drafts this browser kept start with it; logging out (or this device's session
// being revoked) deletes them, an expired session keeps them for the same user's next log-in.

import { api, setUnauthorizedHandler } from "./api.js";
import { agreeWithServer, startDrafts, stopDrafts } from "./drafts.js";
import { loadOrgs, resetOrgs } from "./org.js";
import { handleReply, startOutbox, stopOutbox } from "./outbox.js";
import { Stream } from "./stream.js";
import { applyEphemeral, applyEvent } from "./sync.js";
import {
  emit, loadBlocks, loadConversations, loadFriends, loadPresence, loadRequests, rememberUser, resetState, state,
} from "./store.js";
import { resetTimelines } from "./timeline.js";

let stream = null;
let onEnded = () => {};

/** What the app shows when the session ends (the log-in page). */
export function setSessionEndedHandler(handler) {
  onEnded = handler;
  setUnauthorizedHandler(() => endSession("expired"));
}

export async function startSession(me) {
  state.me = me;
  // Known from the start, so nothing asks the server who you are.
  rememberUser({ id: me.id, username: me.username, display_name: me.display_name, avatar_url: me.avatar_url });
  const { position } = await api.get("/sync");
  await Promise.all([loadConversations(), loadFriends(), loadRequests(), loadBlocks().catch(() => {}), loadSessionId(),
    loadOrgs().catch(() => {})]);
  await Promise.all([startOutbox(me.id, (frame) => (stream ? stream.send(frame) : false)), startDrafts(me.id)]);
  stream = new Stream({
    onEvent: applyEvent,
    onEphemeral: applyEphemeral,
    onReply: handleReply,
    onStatus: (status) => {
      const wasLive = state.connection === "live";
      state.connection = status;
      emit("connection", status);
      // Presence shows as unknown while the socket is down (store.presenceOf): redraw it.
      if ((status === "live") !== wasLive) emit("presence");
      if (status === "live" && !wasLive) refreshPresence();
    },
    onAuthLost: (reason) => endSession(reason),
    onTooOld: () => startFresh(),
  });
  stream.start(position);
  document.addEventListener("visibilitychange", sendPresence);
  // Presence is asked for (and told) once the socket is live: see onStatus.
}

async function loadSessionId() {
  const sessions = await api.get("/auth/sessions");
  const current = sessions.find((session) => session.current);
  state.sessionId = current ? current.id : null;
}

function refreshPresence() {
  const ids = [...state.friends.keys()];
  for (const conversation of state.conversations.values()) if (conversation.peer) ids.push(conversation.peer.id);
  loadPresence(ids).catch(() => {});
  sendPresence();
}

function sendPresence() {
  if (stream) stream.send({ op: "presence", status: document.hidden ? "away" : "online" });
}

/** The server no longer has our position: load everything again from a new one. */
async function startFresh(attempt = 0) {
  if (!stream) return;
  try {
    const { position } = await api.get("/sync");
    await loadConversations();
    agreeWithServer(); // draft events of the time away are gone with the rest
    resetTimelines({ keepPending: true });
    emit("timelines-reset");
    stream.restart(position);
  } catch {
    setTimeout(() => startFresh(attempt + 1), Math.min(2000, 100 * 2 ** attempt));
  }
}

/** You are typing in a conversation, or (`stopped`) you cleared the input. */
export function sendTyping(conversationId, { stopped = false } = {}) {
  if (stream) stream.send({ op: "typing", conversation_id: conversationId, ...(stopped ? { stopped: true } : {}) });
}

export async function logout() {
  try {
    await api.post("/auth/logout");
  } finally {
    endSession("logged-out");
  }
}

// Set while the account is being deleted: its own session.revoked (the socket closing) may arrive
// before the answer, and the login page should say why the session ended.
let endingAs = null;

export function expectSessionEnd(reason) {
  endingAs = reason;
}

export function endSession(reason) {
  if (!state.me) return;
  if (endingAs) reason = endingAs;
  endingAs = null;
  if (stream) stream.stop();
  stream = null;
  const forget = reason !== "expired";
  stopOutbox({ forget });
  stopDrafts({ forget });
  document.removeEventListener("visibilitychange", sendPresence);
  resetTimelines();
  resetState();
  resetOrgs();
  emit("session-ended", reason);
  onEnded(reason);
}
