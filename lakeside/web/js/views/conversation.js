// The open conversation: header (who, presence or typing), the message list, the composer, and
// the side panel. Marks messages read while the page is visible and scrolled to the newest.

import * as actions from "../actions.js";
import { api } from "../api.js";
import { h, isNearBottom, replaceChildren } from "../dom.js";
import { errorText } from "../errors.js";
import { t } from "../i18n/index.js";
import { icon } from "../icons.js";
import { sendTyping } from "../session.js";
import { conversationTitle, displayName, on, refreshConversation, rememberUser, state } from "../store.js";
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
  };
  const list = new MessageList(line, conversation, handlers, { onBottom: () => maybeMarkRead() });
  const composer = new Composer(conversation, {
    getMembers: () => ({
      users: members.map((member) => member.user).filter((user) => user.id !== state.me.id),
      all: conversation.kind !== "direct" && ["owner", "admin"].includes(current().role),
    }),
    onSend: (body, reply) => actions.sendMessage(conversationId, { body, replyTo: reply }),
    onSendFiles: (files) => files.forEach((file) => actions.sendMessage(conversationId, { file })),
    onEditSave: async (message, body) => {
      try {
        await actions.editMessage(message, body);
        return true;
      } catch (error) {
        toast(errorText(error), "error");
        return false;
      }
    },
    onEditLast: () => {
      const mine = line.list().filter((m) => m.sender_id === state.me.id && !m.pending && !m.recalled && (m.kind === "text" || m.kind === "markdown"));
      if (mine.length) composer.setEdit(mine[mine.length - 1]);
    },
    onTyping: () => sendTyping(conversationId),
  });

  // The group notice and pinned messages above the messages; the composer disabled while muted.
  const tools = mountChatTools(conversationId, { getConversation: current, onJump: (seq) => jumpTo(seq) });
  const mute = muteGuard(composer, current);

  const sidePanel = h("aside", { class: "side-panel", hidden: true, "aria-label": t("conv.details") });
  const dropHint = h("div", { class: "drop-hint", hidden: true, text: t("composer.drop") });
  const column = h("section", { class: "conv-column", "aria-label": conversationTitle(conversation) }, header, tools.el, list.root, composer.el, dropHint);
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

  function renderSubtitle() {
    const now = current();
    const typers = [...(state.typing.get(conversationId) || new Map()).keys()];
    subtitle.classList.toggle("typing", typers.length > 0);
    if (typers.length) {
      subtitle.textContent = now.kind === "direct"
        ? t("conv.typing")
        : t("conv.typingNamed", { names: typers.slice(0, 3).map((id) => displayName(id)).join(t("list.separator")) });
    } else if (now.kind === "direct" && now.peer) {
      const status = state.presence.get(now.peer.id) || "offline";
      subtitle.textContent = `${t(`presence.${status}`)} · @${now.peer.username}`;
    } else {
      subtitle.textContent = t("conv.members", { n: now.member_count });
    }
  }

  function moreMenu(message, anchor) {
    const mine = message.sender_id === state.me.id;
    const manager = current().kind !== "direct" && ["owner", "admin"].includes(current().role);
    openMenu(anchor, [
      { label: t("msg.react"), icon: "smile", onSelect: () => handlers.onPickReaction(message, anchor) },
      { label: t("msg.reply"), icon: "reply", onSelect: () => composer.setReply(message) },
      { label: t("fav.save"), icon: "star", hidden: !["text", "markdown", "image", "file"].includes(message.kind),
        onSelect: () => guard(api.post("/favorites", { message_id: message.id }).then(() => toast(t("fav.saved")))) },
      { label: tools.isPinned(message.id) ? t("pins.unpin") : t("pins.pin"), icon: "pin", hidden: !tools.canPin(),
        onSelect: () => (tools.isPinned(message.id) ? tools.unpin(message) : tools.pin(message)) },
      { label: t("msg.copy"), icon: "file", hidden: !message.body || !navigator.clipboard,
        onSelect: () => navigator.clipboard.writeText(message.body).then(() => toast(t("msg.copied"))) },
      { label: t("msg.edit"), icon: "edit", hidden: !mine || !["text", "markdown"].includes(message.kind),
        onSelect: () => composer.setEdit(message) },
      { label: t("msg.readBy"), icon: "users", hidden: !mine || current().kind === "direct",
        onSelect: () => openReceipts(anchor, message) },
      { label: t("ding.thisMessage"), icon: "ding", hidden: !["org_all", "department"].includes(current().kind) || !["text", "markdown"].includes(message.kind),
        onSelect: () => dingMessage(message) },
      { label: t("msg.recall"), icon: "recall", danger: true, hidden: !mine && !manager,
        onSelect: () => guard(actions.recallMessage(message)) },
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
    on("presence", renderSubtitle),
    on("users", renderHeader),
    on("friends", renderHeader),
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
      list.destroy();
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
