// The conversation list: pinned first, then by last activity; unread badges (a grey dot when
// muted), last-message previews (or "[Draft] …" where something is typed and not sent, as in
// WeChat, except in the conversation open beside it), a filter box, and a menu to pin, mute or
// mark read.

import { markRead, setConversationSettings } from "../actions.js";
import { draftText } from "../drafts.js";
import { debounce, h, replaceChildren } from "../dom.js";
import { errorText } from "../errors.js";
import { formatListTime } from "../format.js";
import { messageSummary } from "../summary.js";
import { t } from "../i18n/index.js";
import { icon } from "../icons.js";
import { askPermission, dismissOffer, shouldOffer } from "../notify.js";
import { navigate } from "../router.js";
import { conversationTitle, displayName, on, presenceOf, sortedConversations, state } from "../store.js";
import { conversationAvatar } from "../components/avatar.js";
import { openMenu } from "../components/popover.js";
import { toast } from "../components/toast.js";
import { openNewGroup } from "./new-group.js";

export function mountConversationList(root) {
  let activeId = null;
  let filter = "";
  const unsubscribe = [];

  const search = h("input", {
    class: "input search-input", type: "search", placeholder: t("chats.filter"), "aria-label": t("chats.filter"),
    on: { input: debounce(() => { filter = search.value.trim().toLowerCase(); render(); }, 120) },
  });
  const addButton = h("button", {
    class: "icon-btn", type: "button", "aria-label": t("chats.new"), title: t("chats.new"), "aria-haspopup": "menu",
    on: {
      click: () => openMenu(addButton, [
        { label: t("chats.newGroup"), icon: "users", onSelect: () => openNewGroup() },
        { label: t("contacts.addFriend"), icon: "userPlus", onSelect: () => navigate("contacts/add") },
      ], { label: t("chats.new") }),
    },
  }, icon("plus"));
  const offer = h("div", { class: "notify-offer", hidden: true });
  const listEl = h("ul", { class: "conv-list scroll", "aria-label": t("chats.title") });
  replaceChildren(
    root,
    h("header", { class: "pane-head" }, h("h1", { class: "pane-title", text: t("chats.title") }), addButton),
    h("div", { class: "pane-search" }, search),
    offer,
    listEl,
  );

  function renderOffer() {
    offer.hidden = !shouldOffer();
    if (offer.hidden) return;
    replaceChildren(
      offer,
      h("button", {
        class: "notify-offer-btn", type: "button", title: t("notify.offerHint"),
        on: { click: async () => { await askPermission(); renderOffer(); } },
      }, icon("bell", "icon-sm"), h("span", { class: "ellipsis", text: t("notify.offer") })),
      h("button", { class: "icon-btn", type: "button", "aria-label": t("notify.notNow"), title: t("notify.notNow"),
        on: { click: () => { dismissOffer(); renderOffer(); } } }, icon("close", "icon-sm")),
    );
  }

  function matches(conversation) {
    if (!filter) return true;
    const haystack = [conversationTitle(conversation), conversation.peer ? conversation.peer.username : ""]
      .join(" ").toLowerCase();
    return haystack.includes(filter);
  }

  // Rows are kept per conversation and only refilled when what they show changes, so a click that
  // lands while the list updates (a message, a presence change) still reaches its row.
  const rows = new Map(); // conversation id -> { li, link, signature }

  function rowSignature(conversation) {
    const last = conversation.last_message;
    const peerId = conversation.peer ? conversation.peer.id : null;
    return JSON.stringify([
      conversation, conversation.id === activeId, conversationTitle(conversation),
      last && last.sender_id ? displayName(last.sender_id) : "",
      peerId ? presenceOf(peerId) : "", formatListTime(last ? last.created_at : conversation.last_activity_at),
      shownDraft(conversation),
      last ? messageSummary(last) : "", // names in a system line arrive later
    ]);
  }

  /** The draft the row shows: none for the conversation open beside the list (it is being typed). */
  function shownDraft(conversation) {
    return conversation.id === activeId ? "" : draftText(conversation.id).replace(/\s+/g, " ").trim();
  }

  function row(conversation) {
    const id = conversation.id;
    let entry = rows.get(id);
    if (!entry) {
      const current = () => state.conversations.get(id);
      const link = h("a", {
        href: `#/chats/${id}`,
        dataset: { id },
        on: { contextmenu: (event) => { event.preventDefault(); if (current()) menu(current(), link); } },
      });
      const more = h("button", {
        class: "icon-btn conv-more", type: "button", tabindex: "-1", "aria-label": t("chats.options"), title: t("chats.options"),
        on: { click: (event) => { event.stopPropagation(); event.preventDefault(); if (current()) menu(current(), more); } },
      }, icon("more", "icon-sm"));
      entry = { li: h("li", { class: "conv-li" }, link, more), link, signature: "" };
      rows.set(id, entry);
    }
    const signature = rowSignature(conversation);
    if (signature !== entry.signature) {
      entry.signature = signature;
      fillRow(entry.link, conversation);
    }
    return entry.li;
  }

  function fillRow(link, conversation) {
    const title = conversationTitle(conversation);
    const last = conversation.last_message;
    let summary = last ? messageSummary(last) : "";
    const fromOther = last && last.sender_id && last.sender_id !== state.me.id;
    if (fromOther && !["direct", "notice"].includes(conversation.kind) && last.kind !== "system" && !last.recalled) {
      summary = `${displayName(last.sender_id)}: ${summary}`;
    }
    const draft = shownDraft(conversation);
    const unread = conversation.unread;
    const badge = unread
      ? h("span", { class: ["badge", conversation.muted && "badge-muted"], text: unread > 99 ? "99+" : String(unread),
        "aria-label": t("chats.unread", { n: unread }) })
      : null;
    const active = conversation.id === activeId;
    link.className = ["conv-item", conversation.pinned && "pinned", active && "active"].filter(Boolean).join(" ");
    if (active) link.setAttribute("aria-current", "true");
    else link.removeAttribute("aria-current");
    replaceChildren(
      link,
      conversationAvatar(conversation, { presence: conversation.kind === "direct" }),
      h("span", { class: "conv-body" },
        h("span", { class: "conv-top" },
          h("span", { class: "conv-title ellipsis", text: title }),
          h("span", { class: "conv-time", text: formatListTime(last ? last.created_at : conversation.last_activity_at) })),
        h("span", { class: "conv-bottom" },
          draft
            ? h("span", { class: "conv-preview ellipsis" }, h("span", { class: "conv-draft", text: t("chats.draft") }), ` ${draft}`)
            : h("span", { class: "conv-preview ellipsis", text: summary || "\u00a0" }),
          conversation.muted ? h("span", { class: "conv-muted", title: t("chats.muted") }, icon("mute", "icon-sm"),
            h("span", { class: "sr-only", text: t("chats.muted") })) : null,
          badge)),
    );
  }

  function menu(conversation, anchor) {
    const settings = async (changes) => {
      try {
        await setConversationSettings(conversation.id, changes);
      } catch (error) {
        toast(errorText(error), "error");
      }
    };
    openMenu(anchor, [
      { label: conversation.pinned ? t("chats.unpin") : t("chats.pin"), icon: "pin", onSelect: () => settings({ pinned: !conversation.pinned }) },
      { label: conversation.muted ? t("chats.unmute") : t("chats.mute"), icon: conversation.muted ? "bell" : "mute", onSelect: () => settings({ muted: !conversation.muted }) },
      { label: t("chats.markRead"), icon: "check", hidden: !conversation.unread, onSelect: () => markRead(conversation.id) },
    ], { label: t("chats.options") });
  }

  let frame = 0;
  function render() {
    cancelAnimationFrame(frame);
    frame = requestAnimationFrame(draw);
  }

  function draw() {
    const conversations = sortedConversations().filter(matches);
    for (const id of rows.keys()) if (!state.conversations.has(id)) rows.delete(id);
    const items = conversations.map(row);
    if (!state.conversations.size) {
      items.push(h("li", { class: "list-empty" }, h("p", { text: t("chats.none") }),
        h("a", { class: "btn btn-sm", href: "#/contacts", text: t("chats.findFriends") })));
    } else if (!items.length) {
      items.push(h("li", { class: "list-empty", text: t("chats.noMatch") }));
    }
    if (filter) {
      items.push(h("li", {}, h("a", {
        class: "conv-search-all", href: `#/search?q=${encodeURIComponent(search.value.trim())}`,
      }, icon("search", "icon-sm"), h("span", { text: t("chats.searchMessages", { q: search.value.trim() }) }))));
    }
    // Move only what moved: rows that stay in place are never detached (focus and presses survive).
    const children = listEl.children;
    items.forEach((item, index) => {
      if (children[index] !== item) listEl.insertBefore(item, children[index] || null);
    });
    while (children.length > items.length) listEl.lastElementChild.remove();
  }

  listEl.addEventListener("keydown", (event) => {
    if (event.key !== "ArrowDown" && event.key !== "ArrowUp") return;
    const links = [...listEl.querySelectorAll(".conv-item")];
    const index = links.indexOf(document.activeElement);
    if (index < 0) return;
    event.preventDefault();
    const next = links[index + (event.key === "ArrowDown" ? 1 : -1)];
    if (next) next.focus();
  });

  for (const topic of ["conversations", "users", "friends", "presence", "drafts"]) unsubscribe.push(on(topic, render));
  renderOffer();
  draw();

  return {
    setActive(id) {
      activeId = id;
      render();
    },
    destroy() {
      cancelAnimationFrame(frame);
      for (const fn of unsubscribe) fn();
    },
  };
}
