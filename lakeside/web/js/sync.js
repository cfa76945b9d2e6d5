// Applies server events (docs/protocol.md) to the client's state, in the order they come.

import { noteOwnMessage, preview } from "./actions.js";
import { applyDraftEvent } from "./drafts.js";
import { notifyMessage } from "./notify.js";
import {
  emit,
  loadBlocks,
  loadConversations,
  loadFriends,
  loadPresence,
  loadRequests,
  patchConversation,
  refreshConversation,
  rememberUser,
  removeConversation,
  setPresence,
  state,
} from "./store.js";
import { existingTimeline, timeline } from "./timeline.js";

export function applyEvent(event) {
  const handler = HANDLERS[`${event.type}.${event.op}`];
  if (handler) handler(event.data || {}, event);
  // Every event is also published by type, so a view can follow the ones it shows
  // (`event:ding`, `event:announcement`…) without a handler here.
  emit(`event:${event.type}`, event);
}

export function applyEphemeral(frame) {
  if (frame.type === "typing" && frame.op === "stopped") {
    stopTyping(frame.conversation_id, frame.data.user_id);
  } else if (frame.type === "typing") {
    startTyping(frame.conversation_id, frame.data.user_id, frame.data.expires_in_ms || 6000);
  } else if (frame.type === "presence") {
    setPresence(frame.data.user_id, frame.data.status);
  }
}

const HANDLERS = {
  "message.created": (message) => onMessage(message, true),
  "message.edited": (message) => onMessage(message, false),
  "message.recalled": (message) => onMessage(message, false),
  "message.played": (data) => existingTimeline(data.conversation_id)?.applyPlayed(data.message_id),
  "message.reaction": (data, event) => {
    existingTimeline(event.conversation_id)?.applyReactions(data.message_id, data.reactions);
  },
  "conversation.created": (data, event) => refreshConversation(event.conversation_id ?? data.id),
  "conversation.updated": (data, event) => refreshConversation(event.conversation_id ?? data.id),
  "conversation.removed": (data) => removeConversation(data.conversation_id),
  "conversation.settings": (data) => {
    const changes = {};
    if (typeof data.pinned === "boolean") changes.pinned = data.pinned;
    if (typeof data.muted === "boolean") changes.muted = data.muted;
    patchConversation(data.conversation_id, changes);
  },
  "draft.updated": (data) => applyDraftEvent(data),
  "member.added": (data, event) => memberChange(event.conversation_id),
  "member.removed": (data, event) => {
    if (state.me && data.user_id === state.me.id) removeConversation(event.conversation_id);
    else memberChange(event.conversation_id);
  },
  "member.role": (data, event) => memberChange(event.conversation_id),
  // 禁言: the conversation says whether you may send (views/chat-tools.js); the panel lists who is muted.
  "conversation.mute_all": (data, event) => patchConversation(event.conversation_id, { mute_all: data.mute_all }),
  "member.muted": (data, event) => {
    if (state.me && data.user_id === state.me.id) patchConversation(event.conversation_id, { my_mute: { until: data.until } });
    emit(`members:${event.conversation_id}`);
  },
  "member.unmuted": (data, event) => {
    if (state.me && data.user_id === state.me.id) patchConversation(event.conversation_id, { my_mute: null });
    emit(`members:${event.conversation_id}`);
  },
  "receipt.read": (data, event) => onReceipt(event.conversation_id, data.user_id, data.read_seq),
  "friend_request.created": () => loadRequests(),
  "friend_request.accepted": () => Promise.all([loadRequests(), loadFriends()]),
  "friend_request.declined": () => loadRequests(),
  "friend_request.cancelled": () => loadRequests(),
  // Presence is only told to friends, so a new friend's current status has to be asked for.
  "friend.added": (data) => loadFriends().then(() => loadPresence([data.user.id])),
  "friend.removed": () => loadFriends(),
  "friend.updated": () => loadFriends(),
  // An organization's settings hold its groups' recall and edit windows, which every one of its
  // conversations carries: fetch the list again (a rare event).
  "organization.updated": () => loadConversationsSoon(),
  "block.added": () => loadBlocks(),
  "block.removed": () => loadBlocks(),
  "user.updated": (user) => {
    rememberUser(user);
    if (state.me && user.id === state.me.id) {
      Object.assign(state.me, user);
      emit("me");
    }
  },
  "session.revoked": (data) => {
    if (data.session_id === state.sessionId) emit("auth-lost");
    else emit("sessions");
  },
};

function onMessage(message, created) {
  const conversationId = message.conversation_id;
  const conversation = state.conversations.get(conversationId);
  if (!conversation) {
    refreshConversation(conversationId);
  } else if (state.me && message.sender_id === state.me.id && created) {
    noteOwnMessage(message);
  } else if (created) {
    const newest = message.seq >= conversation.last_seq;
    patchConversation(conversationId, {
      last_seq: Math.max(conversation.last_seq, message.seq),
      last_activity_at: Math.max(conversation.last_activity_at, message.created_at),
      last_message: newest ? preview(message) : conversation.last_message,
    });
  } else if (conversation.last_message && conversation.last_message.id === message.id) {
    patchConversation(conversationId, { last_message: preview(message) });
  }
  timeline(conversationId).applyMessage(message);
  if (created) {
    stopTyping(conversationId, message.sender_id);
    if (conversation) notifyMessage(conversation, message);
  }
}

function onReceipt(conversationId, userId, readSeq) {
  const conversation = state.conversations.get(conversationId);
  if (!conversation) return;
  if (state.me && userId === state.me.id) {
    if (readSeq > conversation.read_seq) patchConversation(conversationId, { read_seq: readSeq });
    return;
  }
  if (conversation.kind === "direct") {
    if (readSeq > (conversation.peer_read_seq ?? 0)) {
      patchConversation(conversationId, { peer_read_seq: readSeq });
      existingTimeline(conversationId)?.changed("receipts");
    }
    return;
  }
  existingTimeline(conversationId)?.applyReceipt(userId, readSeq);
}

let conversationsTimer = null;
function loadConversationsSoon() {
  clearTimeout(conversationsTimer);
  conversationsTimer = setTimeout(() => loadConversations().catch(() => {}), 300);
}

function memberChange(conversationId) {
  refreshConversation(conversationId);
  emit(`members:${conversationId}`);
}

// -- typing -------------------------------------------------------------------------------------

function startTyping(conversationId, userId, expiresInMs) {
  if (!conversationId || (state.me && userId === state.me.id)) return;
  if (!state.typing.has(conversationId)) state.typing.set(conversationId, new Map());
  const typers = state.typing.get(conversationId);
  clearTimeout(typers.get(userId));
  typers.set(userId, setTimeout(() => stopTyping(conversationId, userId), expiresInMs));
  emit(`typing:${conversationId}`);
}

function stopTyping(conversationId, userId) {
  const typers = state.typing.get(conversationId);
  if (!typers || !typers.has(userId)) return;
  clearTimeout(typers.get(userId));
  typers.delete(userId);
  emit(`typing:${conversationId}`);
}
