// The open conversation: header (who, presence or typing), the message list, the composer, and
// the side panel. Marks messages read while the page is visible and scrolled to the newest.

import * as actions from "../actions.js";
import { api, serverNow } from "../api.js";
import { h, isNearBottom, replaceChildren } from "../dom.js";
import { errorText } from "../errors.js";
import { formatDateTime, formatTime, sameDay } from "../format.js";
import { t } from "../i18n/index.js";
import { icon } from "../icons.js";
import { sendTyping } from "../session.js";
import { conversationTitle, displayName, getUser, loadFriends, loadRequests, on, presenceOf, refreshConversation, rememberUser, state } from "../store.js";
import { orgState } from "../org.js";
import { timeline } from "../timeline.js";
import { conversationAvatar } from "../components/avatar.js";
import { openLightbox } from "../components/lightbox.js";
import { openEmojiPicker } from "../components/emoji.js";
import { openMenu } from "../components/popover.js";
import { openReceipts } from "../components/receipts.js";
import { toast } from "../components/toast.js";
import { mountChatTools, muteGuard } from "./chat-tools.js";
import { Composer } from "./composer.js";
import { mountPanel } from "./conv-panel.js";
import { openDingComposer, orgOfConversation } from "./ding-composer.js";
import { MessageList } from "./message-list.js";

const MEMBER_PAGE = 1000;
const ORG_GROUPS = ["org_all", "department"];

/** Whether a message can be forwarded (the server says the same: views/forward.js). */
function forwardable(message) {
  return !message.pending && !message.recalled && ["text", "markdown", "image", "file", "voice", "forward"].includes(message.kind);
}

/** When a window of `seconds` after the message was sent closes (server time, ms). */
function deadline(message, seconds) {
  return typeof seconds === "number" ? message.created_at + seconds * 1000 : Infinity;
}

/** 14:32:05 for a short window, 14:32 later today, else the date too. */
function formatDeadline(ms, windowSeconds) {
  if (!sameDay(ms, serverNow())) return formatDateTime(ms);
  return formatTime(ms, { seconds: windowSeconds < 3600 });
}

export function mountConversation(main, conversationId, { seq = null } = {}) {
  const conversation = state.conversations.get(conversationId);
  if (!conversation) return mountMissing(main, conversationId, seq);

  const unsubscribe = [];
  let line = timeline(conversationId);
  let members = [];
  let panel = null;

  const title = h("h2", { class: "conv-head-title ellipsis" });
  const subtitle = h("div", { class: "conv-head-sub ellipsis", "aria-live": "polite" });
  const avatarSlot = h("span", { class: "conv-head-avatar" });
  const panelButton = h("button", {
    class: "icon-btn", type: "button", "aria-label": t("conv.details"), title: t("conv.details"), "aria-expanded": "false",
    on: { click: () => togglePanel() },
  }, icon("panel"));
  const header = h(
    "header",
    { class: "conv-head" },
    h("a", { class: "icon-btn back-btn", href: "#/chats", "aria-label": t("action.back"), title: t("action.back") }, icon("back")),
    avatarSlot,
    h("div", { class: "conv-head-text" }, title, subtitle),
    panelButton,
  );

  const handlers = {
    onReply: (message) => composer.setReply(message),
    onJump: (target) => jumpTo(target),
    onRetry: (message) => actions.retry(conversationId, message.client_msg_id),
    onDiscard: (message) => actions.discard(conversationId, message.client_msg_id),
    onReact: (message, emoji) => guard(actions.toggleReaction(message, emoji)),
    onPickReaction: (message, anchor) => openEmojiPicker(anchor, (emoji) => guard(actions.toggleReaction(message, emoji))),
    onOpenImage: (message) => openLightbox(message.file.url, message.file.filename),
    onReceipts: (message, anchor) => openReceipts(anchor, message),
    onMore: (message, anchor) => moreMenu(message, anchor),
    onOpenRecord: (message) => forwarding().then((m) => m.openTranscript(message)),
  };
  // Forwarding and recording load on first use.
  const forwarding = () => import("./forward.js");
  let selecting = null;
  const list = new MessageList(line, conversation, handlers, { onBottom: () => maybeMarkRead() });
  const composer = new Composer(conversation, {
    getMembers: () => ({
      users: members.map((member) => member.user).filter((user) => user.id !== state.me.id),
      all: conversation.kind !== "direct" && ["owner", "admin"].includes(current().role),
    }),
    onSend: (body, reply, mentionIds) => actions.sendMessage(conversationId, { body, replyTo: reply, mentionIds }),
    onSendFiles: (files) => files.forEach((file) => actions.sendMessage(conversationId, { file })),
    onEditSave: async (message, body, mentionIds) => {
      try {
        await actions.editMessage(message, body, mentionIds);
        return true;
      } catch (error) {
        toast(errorText(error), "error");
        return false;
      }
    },
    onEditLast: () => {
      const mine = line.list().filter((m) => m.sender_id === state.me.id && !m.pending && !m.recalled && (m.kind === "text" || m.kind === "markdown")
        && deadline(m, current().edit_window_seconds) > serverNow());
      if (mine.length) composer.setEdit(mine[mine.length - 1]);
    },
    onTyping: (options) => sendTyping(conversationId, options),
    onVoice: ({ button, hold }) => import("./voice-recorder.js").then((m) => m.recordVoice({
      composerEl: composer.el, button, hold,
      onSend: (file, durationMs) => actions.sendMessage(conversationId, { file, durationMs }),
    })),
  });

  // The group notice and pinned messages above the messages; the composer disabled while muted.
  const tools = mountChatTools(conversationId, { getConversation: current, onJump: (seq) => jumpTo(seq) });
  const mute = muteGuard(composer, current, () => (peerDeleted() ? t("conv.peerDeletedComposer") : null));

  const sidePanel = h("aside", { class: "side-panel", hidden: true, "aria-label": t("conv.details") });
  const dropHint = h("div", { class: "drop-hint", hidden: true, text: t("composer.drop") });
  // Why a direct chat takes no new messages (no longer friends), with the way back.
  const notice = h("div", { class: "chat-notice", role: "status", hidden: true });
  const column = h("section", { class: "conv-column", "aria-label": conversationTitle(conversation) }, header, tools.el, list.root, notice, composer.el, dropHint);
  const layout = h("div", { class: "conv-layout" }, column, sidePanel);
  replaceChildren(main, layout);

  function current() {
    return state.conversations.get(conversationId) || conversation;
  }

  function guard(promise) {
    promise.catch((error) => toast(errorText(error), "error"));
  }

  function renderHeader() {
    const now = current();
    title.textContent = conversationTitle(now);
    column.setAttribute("aria-label", conversationTitle(now));
    replaceChildren(avatarSlot, conversationAvatar(now, { size: "sm", presence: now.kind === "direct" }));
    renderSubtitle();
  }

  /** The other person of a direct chat deleted their account: nothing more can be sent. */
  function peerDeleted() {
    const now = current();
    if (now.kind !== "direct" || !now.peer) return false;
    const user = getUser(now.peer.id);
    return Boolean(now.peer.deleted || (user && user.deleted));
  }

  function renderSubtitle() {
    const now = current();
    const typers = [...(state.typing.get(conversationId) || new Map()).keys()];
    subtitle.classList.toggle("typing", typers.length > 0);
    if (typers.length) {
      subtitle.textContent = now.kind === "direct"
        ? t("conv.typing")
        : t("conv.typingNamed", { names: typers.slice(0, 3).map((id) => displayName(id)).join(t("list.separator")) });
    } else if (peerDeleted()) {
      subtitle.textContent = t("conv.peerDeletedComposer");
    } else if (now.kind === "direct" && now.peer) {
      const status = presenceOf(now.peer.id);
      subtitle.textContent = `${t(`presence.${status}`)} · @${now.peer.username}`;
    } else {
      subtitle.textContent = t("conv.members", { n: now.member_count });
    }
  }

  function renderNotice() {
    if (peerDeleted()) {
      replaceChildren(notice, icon("users", "icon-sm"), h("span", { class: "chat-notice-text", text: t("conv.peerDeleted") }));
      notice.hidden = false;
      mute.update();
      return;
    }
    const peerId = actions.notFriends.get(conversationId) ?? (current().peer && current().peer.id);
    if (!actions.notFriends.has(conversationId) || state.friends.has(peerId)) {
      actions.notFriends.delete(conversationId);
      notice.hidden = true;
      replaceChildren(notice);
      return;
    }
    const name = displayName(peerId, current().peer ? current().peer.display_name : "");
    const sent = state.requests.outgoing.some((request) => request.to_user.id === peerId && request.status === "pending");
    const button = h("button", {
      class: "btn btn-primary btn-sm", type: "button",
      text: sent ? t("conv.friendRequestSent") : t("conv.sendFriendRequest"), disabled: sent,
      on: { click: () => requestFriend(peerId, button) },
    });
    replaceChildren(notice, icon("users", "icon-sm"), h("span", { class: "chat-notice-text", text: t("conv.notFriends", { name }) }), button);
    notice.hidden = false;
  }

  async function requestFriend(userId, button) {
    button.disabled = true;
    try {
      const request = await api.post("/friends/requests", { user_id: userId, greeting: null });
      toast(request.status === "accepted" ? t("contacts.nowFriends") : t("contacts.requestSent"));
      await Promise.all([loadRequests(), loadFriends()]);
    } catch (error) {
      button.disabled = false;
      toast(errorText(error), "error");
    }
    renderNotice();
  }

  function moreMenu(message, anchor) {
    const mine = message.sender_id === state.me.id;
    const manager = current().kind !== "direct" && ["owner", "admin"].includes(current().role);
    // Owners and admins of an organization's group recall any message, any time; everyone else
    // their own, while the conversation's window is open (the server decides; this only
    // avoids offering what it would refuse).
    const moderator = manager && ORG_GROUPS.includes(current().kind);
    const recallBy = deadline(message, current().recall_window_seconds);
    const editBy = deadline(message, current().edit_window_seconds);
    const recallable = moderator || (mine && recallBy > serverNow());
    openMenu(anchor, [
      { label: t("msg.react"), icon: "smile", onSelect: () => handlers.onPickReaction(message, anchor) },
      { label: t("msg.reply"), icon: "reply", onSelect: () => composer.setReply(message) },
      { label: t("fav.save"), icon: "star", hidden: !["text", "markdown", "image", "file"].includes(message.kind),
        onSelect: () => guard(api.post("/favorites", { message_id: message.id }).then(() => toast(t("fav.saved")))) },
      { label: t("fwd.forward"), icon: "forward", hidden: !forwardable(message),
        onSelect: () => forwarding().then((m) => m.openForwardPicker({ messageIds: [message.id], mode: "single" })) },
      { label: t("fwd.select"), icon: "select", hidden: !forwardable(message),
        onSelect: () => forwarding().then((m) => {
          selecting = m.startSelecting({ listEl: list.el, composerEl: composer.el, line, first: message, onEnd: () => { selecting = null; } });
        }) },
      { label: tools.isPinned(message.id) ? t("pins.unpin") : t("pins.pin"), icon: "pin", hidden: !tools.canPin(),
        onSelect: () => (tools.isPinned(message.id) ? tools.unpin(message) : tools.pin(message)) },
      { label: t("msg.copy"), icon: "file", hidden: !message.body || !navigator.clipboard,
        onSelect: () => navigator.clipboard.writeText(message.body).then(() => toast(t("msg.copied"))) },
      { label: t("msg.edit"), icon: "edit", hidden: !mine || !["text", "markdown"].includes(message.kind) || editBy <= serverNow(),
        onSelect: () => composer.setEdit(message) },
      { label: t("msg.readBy"), icon: "users", hidden: !mine || current().kind === "direct",
        onSelect: () => openReceipts(anchor, message) },
      { label: t("ding.thisMessage"), icon: "ding", hidden: !["org_all", "department"].includes(current().kind) || !["text", "markdown"].includes(message.kind),
        onSelect: () => dingMessage(message) },
      { label: t("todo.fromMessageAction"), icon: "check", hidden: !["text", "markdown"].includes(message.kind) || current().kind === "secret" || !orgState.orgs.length,
        onSelect: () => import("./todo-editor.js").then((m) => m.todoFromMessage(current(), message)) },
      { label: moderator || !Number.isFinite(recallBy) ? t("msg.recall") : t("msg.recallUntil", { time: formatDeadline(recallBy, current().recall_window_seconds) }),
        icon: "recall", danger: true,
        hidden: !recallable, onSelect: () => guard(actions.recallMessage(message)) },
    ], { label: t("msg.actions") });
  }

  // An organization group's message can become a DING to people in the group.
  async function dingMessage(message) {
    const orgId = await orgOfConversation(current(), orgState.orgs);
    if (orgId) openDingComposer({ orgId, message, conversation: current() });
  }

  function visible() {
    return document.visibilityState === "visible" && main.isConnected && column.offsetParent !== null;
  }

  function maybeMarkRead() {
    if (line.loaded && visible() && isNearBottom(list.el)) actions.markRead(conversationId);
  }

  async function loadMembers() {
    try {
      const found = await api.get(`/conversations/${conversationId}/members`, { limit: MEMBER_PAGE });
      for (const member of found) rememberUser(member.user);
      members = found;
      if (panel) panel.setMembers(members);
      // Someone who typed @ before the members arrived sees the list now.
      if (document.activeElement === composer.input) composer.mentions.update();
    } catch {
      // The panel shows what it has; a later member event asks again.
    }
  }

  function togglePanel(force) {
    const open = force ?? sidePanel.hidden;
    sidePanel.hidden = !open;
    panelButton.setAttribute("aria-expanded", String(open));
    layout.classList.toggle("with-panel", open);
    if (open && !panel) {
      panel = mountPanel(sidePanel, conversationId, { onClose: () => togglePanel(false), getMembers: () => members });
      panel.setMembers(members);
    } else if (!open && panel) {
      panel.destroy();
      panel = null;
      panelButton.focus();
    }
  }

  async function jumpTo(target) {
    if (await line.loadUntil(target)) {
      requestAnimationFrame(() => list.highlight(target));
    } else {
      toast(t("conv.notLoaded"));
    }
  }

  function onKey(event) {
    if (event.key === "Escape" && !event.defaultPrevented && !sidePanel.hidden && !document.querySelector(".overlay, .popover, .lightbox")) {
      togglePanel(false);
    }
  }

  // Files dropped anywhere on the conversation are sent.
  let dragDepth = 0;
  column.addEventListener("dragenter", (event) => {
    if (![...event.dataTransfer.types].includes("Files")) return;
    dragDepth += 1;
    dropHint.hidden = false;
  });
  column.addEventListener("dragleave", () => {
    dragDepth = Math.max(0, dragDepth - 1);
    if (!dragDepth) dropHint.hidden = true;
  });
  column.addEventListener("dragover", (event) => event.preventDefault());
  column.addEventListener("drop", (event) => {
    event.preventDefault();
    dragDepth = 0;
    dropHint.hidden = true;
    for (const file of event.dataTransfer.files) actions.sendMessage(conversationId, { file });
  });

  unsubscribe.push(
    on(`conversation:${conversationId}`, (now) => {
      if (!now) {
        toast(t("conv.removed"));
        window.location.hash = "#/chats";
        return;
      }
      renderHeader();
      mute.update();
      maybeMarkRead();
    }),
    on(`typing:${conversationId}`, renderSubtitle),
    on("presence", renderHeader),
    on("users", () => { renderHeader(); renderNotice(); }),
    on("friends", renderHeader),
    on("friends", renderNotice),
    on("requests", renderNotice),
    on("not-friends", (id) => { if (id === conversationId) renderNotice(); }),
    on(`members:${conversationId}`, loadMembers),
    on("timelines-reset", () => {
      line = timeline(conversationId);
      list.line = line;
      line.loadLatest().then(() => maybeMarkRead());
    }),
    on(`timeline:${conversationId}`, () => requestAnimationFrame(maybeMarkRead)),
  );
  document.addEventListener("visibilitychange", maybeMarkRead);
  window.addEventListener("focus", maybeMarkRead);
  document.addEventListener("keydown", onKey);

  renderHeader();
  renderNotice();
  list.render({ kind: "reset" });
  line.loadLatest().then(() => {
    if (seq) jumpTo(seq);
    maybeMarkRead();
  }).catch((error) => toast(errorText(error), "error"));
  loadMembers();
  // With a mouse and keyboard, typing can start at once; on a phone focusing would pop up the keyboard.
  if (window.matchMedia("(hover: hover)").matches) composer.focus();

  return {
    jumpTo,
    destroy() {
      for (const fn of unsubscribe) fn();
      document.removeEventListener("visibilitychange", maybeMarkRead);
      window.removeEventListener("focus", maybeMarkRead);
      document.removeEventListener("keydown", onKey);
      composer.stopTyping();
      if (selecting) selecting.end();
      list.destroy();
      composer.destroy();
      tools.destroy();
      mute.destroy();
      if (panel) panel.destroy();
    },
  };
}

/** A link to a conversation we have not loaded (just created elsewhere) or may not see. */
function mountMissing(main, conversationId, seq) {
  let inner = null;
  let alive = true;
  replaceChildren(main, h("div", { class: "empty-state" }, h("span", { class: "spinner" })));
  refreshConversation(conversationId).then(() => {
    if (!alive) return;
    if (state.conversations.has(conversationId)) {
      inner = mountConversation(main, conversationId, { seq });
    } else {
      replaceChildren(main, h("div", { class: "empty-state" }, h("p", { text: t("conv.notFound") }),
        h("a", { class: "btn", href: "#/chats", text: t("action.back") })));
    }
  });
  return {
    jumpTo: (target) => inner && inner.jumpTo(target),
    destroy() {
      alive = false;
      if (inner) inner.destroy();
    },
  };
}
