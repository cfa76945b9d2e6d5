// The client's state and a small publish/subscribe hub. Views read from `state` and subscribe to
// topics; sync.js (server events) and the views' actions write to it and publish.

import { api } from "./api.js";
import { t } from "./i18n/index.js";

export const state = {
  me: null,
  sessionId: null,
  conversations: new Map(), // id -> ConversationOut
  users: new Map(), // id -> UserOut
  friends: new Map(), // user id -> FriendOut
  requests: { incoming: [], outgoing: [] },
  blocks: [],
  presence: new Map(), // user id -> "online" | "away" | "offline"
  typing: new Map(), // conversation id -> Map(user id -> timer)
  connection: "connecting",
  openConversationId: null,
  drafts: new Map(), // conversation id -> {text, updated_at, dirty} (drafts.js)
};

const listeners = new Map();

/** Subscribe to a topic; returns the unsubscribe function. */
export function on(topic, fn) {
  if (!listeners.has(topic)) listeners.set(topic, new Set());
  listeners.get(topic).add(fn);
  return () => listeners.get(topic)?.delete(fn);
}

export function emit(topic, detail) {
  for (const fn of [...(listeners.get(topic) || [])]) {
    try {
      fn(detail);
    } catch (error) {
      console.error(`listener of ${topic} failed`, error);
    }
  }
}

export function resetState() {
  state.me = null;
  state.sessionId = null;
  state.conversations.clear();
  state.users.clear();
  missingUsers.clear();
  state.friends.clear();
  state.requests = { incoming: [], outgoing: [] };
  state.blocks = [];
  state.presence.clear();
  for (const typers of state.typing.values()) for (const timer of typers.values()) clearTimeout(timer);
  state.typing.clear();
  state.openConversationId = null;
  state.drafts.clear();
}

// -- users --------------------------------------------------------------------------------------

const pendingUsers = new Map();
// Ids the server knows no (active) user for: not asked again this session.
const missingUsers = new Set();

export function rememberUser(user) {
  if (!user || typeof user.id !== "number") return;
  const known = state.users.get(user.id);
  // A deleted account never comes back: a view that does not know (deleted: false) cannot undo it.
  const deleted = Boolean(user.deleted || (known && known.deleted));
  // A robot stays a robot: a view that does not say (`bot` left out) keeps the badge known.
  const bot = user.bot || (known && known.bot) || null;
  if (known && known.display_name === user.display_name && known.avatar_url === user.avatar_url && known.deleted === deleted && known.bot === bot) return;
  state.users.set(user.id, { ...known, ...user, deleted, bot });
  emit("users", user.id);
}

/** The user if known; otherwise fetched in the background (subscribers of "users" re-render). */
export function getUser(id) {
  if (id === null || id === undefined) return null;
  const user = state.users.get(id);
  if (user) return user;
  if (!pendingUsers.has(id) && !missingUsers.has(id)) {
    pendingUsers.set(
      id,
      api
        .get(`/users/${id}`)
        .then(rememberUser)
        .catch((error) => {
          if (error.status === 404) {
            missingUsers.add(id);
            emit("users", id);
          }
        })
        .finally(() => pendingUsers.delete(id)),
    );
  }
  return null;
}

/** Resolves once each of these users is known (or known not to exist), for views that name
 *  people in text and would rather not draw "#8" first. */
export async function ensureUsers(ids) {
  for (const id of new Set(ids)) if (id !== null && id !== undefined) getUser(id);
  await Promise.all([...new Set(ids)].map((id) => pendingUsers.get(id)).filter(Boolean));
}

/** What to call a user: your remark for a friend, else their display name. */
export function displayName(id, fallback = "") {
  if (state.me && id === state.me.id) return state.me.display_name;
  const friend = state.friends.get(id);
  if (friend && friend.remark) return friend.remark;
  const user = getUser(id);
  if (user && user.deleted) return t("user.deleted");
  if (user) return user.display_name;
  if (missingUsers.has(id)) return fallback || t("user.unknown");
  return fallback || `#${id}`;
}

// -- conversations ------------------------------------------------------------------------------

export function upsertConversation(conversation) {
  if (conversation.peer) rememberUser(conversation.peer);
  state.conversations.set(conversation.id, conversation);
  emit("conversations");
  emit(`conversation:${conversation.id}`, conversation);
}

export function patchConversation(id, changes) {
  const conversation = state.conversations.get(id);
  if (!conversation) return;
  Object.assign(conversation, changes);
  conversation.unread = Math.max(0, conversation.last_seq - conversation.read_seq);
  emit("conversations");
  emit(`conversation:${id}`, conversation);
}

export function removeConversation(id) {
  if (!state.conversations.delete(id)) return;
  emit("conversations");
  emit(`conversation:${id}`, null);
  emit("conversation-removed", id); // its draft and unsent messages go too
}

export function conversationTitle(conversation) {
  if (!conversation) return "";
  if (conversation.kind === "direct" && conversation.peer) {
    return displayName(conversation.peer.id, conversation.peer.display_name);
  }
  // The organization's work notices (工作通知): named in the reader's language.
  if (conversation.kind === "notice") return t("workNotice.title");
  return conversation.title || "";
}

/** Pinned first, then most recent activity. */
export function sortedConversations() {
  return [...state.conversations.values()].sort(
    (a, b) => Number(b.pinned) - Number(a.pinned) || b.last_activity_at - a.last_activity_at || b.id - a.id,
  );
}

export function totalUnread({ includeMuted = false } = {}) {
  let total = 0;
  for (const conversation of state.conversations.values()) {
    if (includeMuted || !conversation.muted) total += conversation.unread;
  }
  return total;
}

export async function loadConversations() {
  const all = [];
  let cursor = null;
  for (let page = 0; page < 20; page += 1) {
    const result = await api.get("/conversations", { limit: 200, cursor });
    all.push(...result.conversations);
    cursor = result.next_cursor;
    if (!cursor) break;
  }
  state.conversations.clear();
  for (const conversation of all) {
    if (conversation.peer) rememberUser(conversation.peer);
    state.conversations.set(conversation.id, conversation);
  }
  emit("conversations");
}

export async function refreshConversation(id) {
  try {
    upsertConversation(await api.get(`/conversations/${id}`));
  } catch (error) {
    if (error.status === 404) removeConversation(id);
  }
}

// -- friends, requests, blocks ------------------------------------------------------------------

export async function loadFriends() {
  const friends = await api.get("/friends");
  state.friends.clear();
  for (const friend of friends) {
    rememberUser(friend.user);
    state.friends.set(friend.user.id, friend);
  }
  emit("friends");
}

export async function loadRequests() {
  const [incoming, outgoing] = await Promise.all([
    api.get("/friends/requests", { direction: "incoming" }),
    api.get("/friends/requests", { direction: "outgoing" }),
  ]);
  state.requests = { incoming, outgoing };
  emit("requests");
}

export async function loadBlocks() {
  state.blocks = await api.get("/blocks");
  for (const block of state.blocks) rememberUser(block.user);
  emit("blocks");
}

// -- presence -----------------------------------------------------------------------------------

/** Someone's presence as this device knows it: "unknown" while its own socket is down, since
 *  nothing it shows then is current. */
export function presenceOf(userId) {
  if (state.connection !== "live") return "unknown";
  return state.presence.get(userId) || "offline";
}

export function setPresence(userId, status) {
  if (state.presence.get(userId) === status) return;
  state.presence.set(userId, status);
  emit("presence", userId);
}

export async function loadPresence(userIds) {
  const ids = [...new Set(userIds)].filter((id) => state.me && id !== state.me.id);
  for (let i = 0; i < ids.length; i += 200) {
    const rows = await api.get("/presence", { user_ids: ids.slice(i, i + 200).join(",") });
    for (const row of rows) setPresence(row.user_id, row.status);
  }
}
