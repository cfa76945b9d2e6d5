// Drafts: what is typed in a conversation and not sent yet, one per conversation. Kept on the
// device at every keystroke (localStorage: a reload finds it), saved to the server a moment after typing
// stops (PUT /conversations/{id}/draft, with the time it was written), so that it follows the
// user to their other devices: they hear of it through `draft.updated`, and the conversation list
// shows "[Draft]". The last writer wins by that time, here as on the server; sending the message
// clears the draft (an empty draft, saved at once). A draft saved while offline waits, marked
// dirty, until the socket is live again.
//
// state.drafts: conversation id -> {text, updated_at, dirty}

import { api } from "./api.js";
import { deleteDraft, draftRows, forgetDrafts, putDraft } from "./localdb.js";
import { emit, on, state } from "./store.js";

const SAVE_AFTER_MS = 800;

let userId = null;
let unsubscribe = [];
const timers = new Map(); // conversation id -> pending save
const saving = new Set();
const fetching = new Set();

/** Load this browser's drafts, then agree with the server's (in the conversation list). */
export async function startDrafts(me) {
  stopDrafts(); // a session that failed to start may have begun one
  userId = me;
  state.drafts.clear();
  for (const [conversationId, draft] of draftRows(me)) {
    state.drafts.set(conversationId, { text: draft.text, updated_at: draft.updated_at, dirty: Boolean(draft.dirty) });
  }
  agreeWithServer();
  unsubscribe = [
    on("connection", (status) => status === "live" && saveAll()),
    on("conversation-removed", dropDraft),
  ];
  emit("drafts");
}

export function stopDrafts({ forget = false } = {}) {
  for (const fn of unsubscribe) fn();
  unsubscribe = [];
  for (const timer of timers.values()) clearTimeout(timer);
  timers.clear();
  if (forget && userId !== null) forgetDrafts(userId);
  userId = null;
}

export function draftText(conversationId) {
  return state.drafts.get(conversationId)?.text || "";
}

/** The user typed: keep it now, save it to the server shortly. */
export function setDraft(conversationId, text) {
  const known = state.drafts.get(conversationId);
  if ((known ? known.text : "") === text) return;
  const updated_at = Math.max(Date.now(), known ? known.updated_at + 1 : 0);
  keep(conversationId, { text, updated_at, dirty: true });
  schedule(conversationId, SAVE_AFTER_MS);
}

/** The message was sent: the draft is cleared here and, at once, everywhere. */
export function clearDraft(conversationId) {
  setDraft(conversationId, "");
  schedule(conversationId, 0);
}

/** The conversation is gone for us (left, removed): so is its draft, here; the server's went
 * with the membership. */
export function dropDraft(conversationId) {
  clearTimeout(timers.get(conversationId));
  timers.delete(conversationId);
  if (!state.drafts.delete(conversationId)) return;
  if (userId !== null) deleteDraft(userId, conversationId);
  emit("drafts", conversationId);
}

/** `draft.updated` from the server: another device (or this one) saved a draft. A replayed event
 * carries no text: ask for it. */
export function applyDraftEvent(data) {
  const id = data.conversation_id;
  const known = state.drafts.get(id);
  if (known && known.updated_at >= data.updated_at) return;
  if (typeof data.text === "string") adopt(id, data);
  else fetchDraft(id);
}

// -- agreeing with the server ---------------------------------------------------------------------

/** The conversation list was (re)loaded: take the server's drafts where they are newer. */
export function agreeWithServer() {
  for (const conversation of state.conversations.values()) agree(conversation.id, conversation.draft);
  for (const id of [...state.drafts.keys()]) if (!state.conversations.has(id)) dropDraft(id);
}

/** Ours or the server's, whichever is newer; a draft the server lost (a membership that ended
 * since) goes unless it was never saved. */
function agree(conversationId, server) {
  const known = state.drafts.get(conversationId);
  if (server && (!known || server.updated_at > known.updated_at)) adopt(conversationId, server);
  else if (known && known.dirty) schedule(conversationId, 0);
  else if (known && !server) dropDraft(conversationId);
  else if (known && server && server.updated_at === known.updated_at && known.text !== server.text) {
    adopt(conversationId, server);
  }
}

function adopt(conversationId, draft) {
  clearTimeout(timers.get(conversationId));
  timers.delete(conversationId);
  keep(conversationId, { text: draft.text, updated_at: draft.updated_at, dirty: false });
  emit(`draft:${conversationId}`, draft.text); // an open composer shows it
}

function keep(conversationId, draft) {
  state.drafts.set(conversationId, draft);
  if (userId !== null) putDraft(userId, conversationId, draft);
  emit("drafts", conversationId);
}

function schedule(conversationId, delay) {
  clearTimeout(timers.get(conversationId));
  timers.set(conversationId, setTimeout(() => {
    timers.delete(conversationId);
    save(conversationId);
  }, delay));
}

function saveAll() {
  for (const [id, draft] of state.drafts) if (draft.dirty && !timers.has(id)) save(id);
}

async function save(conversationId) {
  const draft = state.drafts.get(conversationId);
  if (!draft || !draft.dirty || saving.has(conversationId) || state.connection !== "live") return;
  saving.add(conversationId);
  const sent = { text: draft.text, updated_at: draft.updated_at };
  try {
    const stored = await api.put(`/conversations/${conversationId}/draft`, sent);
    const now = state.drafts.get(conversationId);
    if (!now || userId === null) return;
    if (stored.updated_at > now.updated_at || (now.updated_at === sent.updated_at && stored.text !== sent.text)) {
      adopt(conversationId, stored); // another device wrote later: theirs it is
    } else if (now.updated_at === sent.updated_at) {
      // Saved. The server's time is the one to compare with from now on (it takes a clock
      // running ahead as its own now).
      keep(conversationId, { text: now.text, updated_at: stored.updated_at, dirty: false });
    } else {
      schedule(conversationId, SAVE_AFTER_MS); // typed on while it was saving
    }
  } catch (error) {
    if (error.status === 404) dropDraft(conversationId);
    else if (error.status === 422) keepUnsaved(conversationId); // too long to save: this device's only
    // Otherwise (offline, the server away, too many saves) it stays dirty: saved when live again.
  } finally {
    saving.delete(conversationId);
  }
}

function keepUnsaved(conversationId) {
  const draft = state.drafts.get(conversationId);
  if (draft) keep(conversationId, { ...draft, dirty: false });
}

async function fetchDraft(conversationId) {
  if (fetching.has(conversationId)) return;
  fetching.add(conversationId);
  try {
    const stored = await api.get(`/conversations/${conversationId}/draft`);
    const known = state.drafts.get(conversationId);
    if (userId !== null && (!known || stored.updated_at > known.updated_at)) adopt(conversationId, stored);
  } catch (error) {
    if (error.status === 404) dropDraft(conversationId);
  } finally {
    fetching.delete(conversationId);
  }
}
