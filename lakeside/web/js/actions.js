// What the user does to messages: send (shown at once and handed to the outbox, which delivers
// it, confirmed or marked failed), retry with the same client message id, edit, recall, react,
// and moving the read cursor.

import { api, newClientId } from "./api.js";
import * as outbox from "./outbox.js";
import { emit, patchConversation, state, upsertConversation } from "./store.js";
import { timeline } from "./timeline.js";

const MARKDOWN_HINT = /(^|\n)\s{0,3}(#{1,6}\s|[-*+]\s|\d+\.\s|>\s|```)|\*\*[^*\n]+\*\*|`[^`\n]+`|\[[^\]\n]+\]\([^)\s]+\)|~~[^~\n]+~~/;

/** Text that looks like markdown is sent as markdown (rendered by the server, sanitized). */
export function kindForText(body) {
  return MARKDOWN_HINT.test(body) ? "markdown" : "text";
}

function quoteOf(message) {
  if (!message) return null;
  return {
    id: message.id, seq: message.seq, sender_id: message.sender_id, kind: message.kind,
    body: message.recalled ? "" : message.body, recalled: message.recalled,
  };
}

/** Adopt a confirmed message of ours into the conversation summary (the event may come later). */
export function noteOwnMessage(message) {
  const conversation = state.conversations.get(message.conversation_id);
  if (!conversation) return;
  const newest = message.seq >= conversation.last_seq;
  patchConversation(message.conversation_id, {
    last_seq: Math.max(conversation.last_seq, message.seq),
    read_seq: Math.max(conversation.read_seq, message.seq),
    last_activity_at: Math.max(conversation.last_activity_at, message.created_at),
    last_message: newest ? preview(message) : conversation.last_message,
  });
}

export function preview(message) {
  return {
    id: message.id, sender_id: message.sender_id, kind: message.kind,
    body: message.recalled ? "" : message.body, recalled: message.recalled, created_at: message.created_at,
    file_name: message.file && message.kind !== "voice" ? message.file.filename : undefined,
  };
}

/** Show the message now; the outbox delivers it. `file` is a File to upload first (image or file
 * kind), also when offline: it waits with the message. `mentionIds`: the people picked from the
 * @ list (the server keeps those whose @name is still in the text). */
export function sendMessage(conversationId, { body = "", replyTo = null, file = null, mentionIds = [], durationMs = null }) {
  const message = {
    pending: true,
    status: "queued",
    client_msg_id: newClientId(),
    conversation_id: conversationId,
    sender_id: state.me.id,
    kind: durationMs ? "voice" : file ? (file.type.startsWith("image/") ? "image" : "file") : kindForText(body),
    duration_ms: durationMs,
    body,
    html: null,
    reply_to: quoteOf(replyTo),
    reply_to_id: replyTo ? replyTo.id : null,
    file: file ? { filename: file.name, size: file.size, content_type: file.type } : null,
    file_id: null,
    upload: file,
    localUrl: file && file.type.startsWith("image/") ? URL.createObjectURL(file) : null,
    reactions: [],
    mentions: mentionIds,
    mention_ids: mentionIds,
    created_at: Date.now(),
    recalled: false,
  };
  outbox.enqueue(message);
  return message;
}

export function retry(conversationId, clientMsgId) {
  outbox.retry(conversationId, clientMsgId);
}

export function discard(conversationId, clientMsgId) {
  outbox.discard(conversationId, clientMsgId);
}

// Direct chats the server refused to take messages in because the two are no longer friends
// (nor colleagues): conversation id -> the other person's id. The chat shows why, with a button
// for a friend request, until they are friends again.
export const notFriends = new Map();

/** Remember a NOT_FRIENDS refusal of a send or an edit, and tell the open conversation. */
export function noteRefusal(conversationId, error) {
  if (!error || error.code !== "NOT_FRIENDS") return;
  notFriends.set(conversationId, error.data && error.data.user_id);
  emit("not-friends", conversationId);
}

export async function editMessage(message, body, mentionIds = null) {
  let stored;
  try {
    stored = await api.patch(`/messages/${message.id}`, mentionIds === null ? { body } : { body, mention_ids: mentionIds });
  } catch (error) {
    noteRefusal(message.conversation_id, error);
    throw error;
  }
  timeline(stored.conversation_id).applyMessage(stored);
  return stored;
}

export async function recallMessage(message) {
  const stored = await api.post(`/messages/${message.id}/recall`);
  timeline(stored.conversation_id).applyMessage(stored);
  return stored;
}

export async function toggleReaction(message, emoji) {
  const mine = (message.reactions || []).some(
    (reaction) => reaction.emoji === emoji && reaction.user_ids.includes(state.me.id),
  );
  const path = `/messages/${message.id}/reactions/${encodeURIComponent(emoji)}`;
  const stored = mine ? await api.del(path) : await api.put(path);
  timeline(stored.conversation_id).applyReactions(stored.id, stored.reactions);
}

// Conversations whose read request is in flight -> whether another was asked for meanwhile.
const reading = new Map();

/** Move our read cursor to the newest message. One request at a time per conversation; a call
 * that arrives while one is in flight (messages caught up, a burst) is not dropped: another
 * request follows for what arrived meanwhile. */
export async function markRead(conversationId) {
  const conversation = state.conversations.get(conversationId);
  if (!conversation || conversation.read_seq >= conversation.last_seq) return;
  if (reading.has(conversationId)) {
    reading.set(conversationId, true);
    return;
  }
  reading.set(conversationId, false);
  let again = false;
  try {
    const result = await api.post(`/conversations/${conversationId}/read`, { seq: conversation.last_seq });
    const now = state.conversations.get(conversationId);
    if (now) patchConversation(conversationId, { read_seq: Math.max(now.read_seq, result.read_seq) });
    again = reading.get(conversationId) === true;
  } catch {
    // The next visit or message tries again.
  } finally {
    reading.delete(conversationId);
  }
  if (again) await markRead(conversationId);
}

export async function setConversationSettings(conversationId, changes) {
  upsertConversation(await api.put(`/conversations/${conversationId}/settings`, changes));
}

/** The direct chat with a friend, created on first use. */
export async function openDirect(userId) {
  const conversation = await api.post("/conversations/direct", { user_id: userId });
  upsertConversation(conversation);
  return conversation;
}
