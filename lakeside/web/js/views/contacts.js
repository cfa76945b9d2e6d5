// Contacts: friends (A–Z with presence), friend requests in and out, finding people to add,
// blocked users, and a friend's card (message, remark, remove, block).

import { openDirect } from "../actions.js";
import { api } from "../api.js";
import { h, replaceChildren } from "../dom.js";
import { errorText } from "../errors.js";
import { formatListTime } from "../format.js";
import { t } from "../i18n/index.js";
import { icon } from "../icons.js";
import { navigate } from "../router.js";
import { displayName, getUser, loadBlocks, loadFriends, loadRequests, on, presenceOf, rememberUser, state } from "../store.js";
import { userAvatar } from "../components/avatar.js";
import { confirmDialog, promptDialog } from "../components/modal.js";
import { toast } from "../components/toast.js";
import { setBadge } from "./shell.js";

export function mountContacts({ list, main }) {
  const unsubscribe = [];
  let route = { parts: [] };
  const guard = (promise) => promise.catch((error) => toast(errorText(error), "error"));

  const requestBadge = h("span", { class: "badge", hidden: true });
  const nav = h("ul", { class: "contact-nav" });
  const friendList = h("ul", { class: "contact-list" });
  replaceChildren(
    list,
    h("header", { class: "pane-head" }, h("h1", { class: "pane-title", text: t("contacts.title") }),
      h("a", { class: "icon-btn", href: "#/contacts/add", "aria-label": t("contacts.addFriend"), title: t("contacts.addFriend") }, icon("userPlus"))),
    h("div", { class: "scroll contact-scroll" }, nav, h("h2", { class: "list-heading", text: t("contacts.friends") }), friendList),
  );

  function navItem(path, iconName, label, extra = null) {
    const active = `contacts/${route.parts.join("/")}` === path;
    return h("li", {}, h("a", { class: ["contact-item", active && "active"], href: `#/${path}`, "aria-current": active ? "page" : null },
      h("span", { class: "contact-icon", "aria-hidden": "true" }, icon(iconName)), h("span", { class: "grow", text: label }), extra));
  }

  function renderList() {
    setBadge(requestBadge, state.requests.incoming.length);
    replaceChildren(nav,
      navItem("contacts/requests", "userPlus", t("contacts.requests"), requestBadge),
      navItem("contacts/blocked", "block", t("contacts.blocked")));
    const friends = [...state.friends.values()];
    const items = friends.map((friend) => {
      const id = friend.user.id;
      const active = route.parts[0] === "user" && Number(route.parts[1]) === id;
      return h("li", {}, h("a", { class: ["contact-item", active && "active"], href: `#/contacts/user/${id}`, "aria-current": active ? "page" : null },
        userAvatar(id, { size: "sm", presence: true }),
        h("span", { class: "grow ellipsis", text: displayName(id, friend.user.display_name) })));
    });
    if (!items.length) items.push(h("li", { class: "list-empty", text: t("contacts.noFriends") }));
    replaceChildren(friendList, items);
  }

  function renderMain() {
    const [page, id] = route.parts;
    if (page === "requests") return requestsPage();
    if (page === "blocked") return blockedPage();
    if (page === "add") return addPage();
    if (page === "user" && id) return userPage(Number(id));
    replaceChildren(main, h("div", { class: "empty-state" },
      h("div", { class: "empty-icon", "aria-hidden": "true" }, icon("contacts", "icon-lg")),
      h("p", { text: t("contacts.pickOne") }),
      h("a", { class: "btn btn-primary", href: "#/contacts/add" }, icon("userPlus", "icon-sm"), t("contacts.addFriend"))));
  }

  function page(title, ...body) {
    replaceChildren(main, h("div", { class: "page" },
      h("header", { class: "page-head" },
        h("a", { class: "icon-btn back-btn", href: "#/contacts", "aria-label": t("action.back") }, icon("back")),
        h("h2", { class: "page-title", text: title })),
      h("div", { class: "page-body scroll" }, ...body)));
  }

  function personRow(user, meta, ...buttons) {
    rememberUser(user);
    return h("li", { class: "person-row" }, userAvatar(user.id, { size: "md" }),
      h("div", { class: "person-text" },
        h("span", { class: "person-name ellipsis", text: displayName(user.id, user.display_name) }),
        meta ? h("span", { class: "person-meta ellipsis", text: meta }) : null),
      h("div", { class: "person-actions" }, buttons));
  }

  function button(label, handler, kind = "") {
    return h("button", { class: ["btn btn-sm", kind], type: "button", text: label, on: { click: handler } });
  }

  function requestsPage() {
    const incoming = state.requests.incoming.map((request) => personRow(request.from_user,
      request.greeting ? `“${request.greeting}”` : `@${request.from_user.username} · ${formatListTime(request.created_at)}`,
      button(t("contacts.decline"), () => guard(api.post(`/friends/requests/${request.id}/decline`).then(loadRequests))),
      button(t("contacts.accept"), () => guard(api.post(`/friends/requests/${request.id}/accept`).then(() => Promise.all([loadRequests(), loadFriends()])))
        , "btn-primary")));
    const outgoing = state.requests.outgoing.map((request) => personRow(request.to_user,
      `${t("contacts.waiting")} · ${formatListTime(request.created_at)}`,
      button(t("contacts.cancelRequest"), () => guard(api.post(`/friends/requests/${request.id}/cancel`).then(loadRequests)))));
    page(t("contacts.requests"),
      h("h3", { class: "section-title", text: t("contacts.incoming") }),
      h("ul", { class: "person-list" }, incoming.length ? incoming : h("li", { class: "list-empty", text: t("contacts.noIncoming") })),
      h("h3", { class: "section-title", text: t("contacts.outgoing") }),
      h("ul", { class: "person-list" }, outgoing.length ? outgoing : h("li", { class: "list-empty", text: t("contacts.noOutgoing") })));
  }

  function blockedPage() {
    const rows = state.blocks.map((block) => personRow(block.user, `@${block.user.username}`,
      button(t("contacts.unblock"), () => guard(api.del(`/blocks/${block.user.id}`).then(loadBlocks)))));
    page(t("contacts.blocked"), h("p", { class: "page-hint", text: t("contacts.blockedHint") }),
      h("ul", { class: "person-list" }, rows.length ? rows : h("li", { class: "list-empty", text: t("contacts.noBlocked") })));
  }

  function addPage() {
    const query = h("input", { class: "input", type: "search", id: "find-person", placeholder: t("contacts.findPlaceholder"), autocomplete: "off" });
    const greeting = h("input", { class: "input", id: "greeting", maxlength: 200, value: t("contacts.defaultGreeting", { name: state.me.display_name }) });
    const results = h("ul", { class: "person-list", "aria-live": "polite" });
    const form = h("form", { class: "find-form" },
      h("div", { class: "field" }, h("label", { for: "find-person", text: t("contacts.find") }),
        h("div", { class: "row" }, query, h("button", { class: "btn btn-primary", type: "submit", text: t("nav.search") })),
        h("span", { class: "field-hint", text: t("contacts.findHint") })),
      h("div", { class: "field" }, h("label", { for: "greeting", text: t("contacts.greeting") }), greeting));
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const q = query.value.trim();
      if (!q) return;
      try {
        const users = await api.get("/users/lookup", { q });
        const rows = users.map((user) => {
          if (user.id === state.me.id) return personRow(user, t("contacts.thisIsYou"));
          if (state.friends.has(user.id)) return personRow(user, `@${user.username}`, button(t("contacts.message"), () => startChat(user.id), "btn-primary"));
          return personRow(user, `@${user.username}`, button(t("contacts.sendRequest"), async (event) => {
            event.currentTarget.disabled = true;
            try {
              const request = await api.post("/friends/requests", { user_id: user.id, greeting: greeting.value.trim() || null });
              toast(request.status === "accepted" ? t("contacts.nowFriends") : t("contacts.requestSent"));
              await Promise.all([loadRequests(), loadFriends()]);
            } catch (error) {
              toast(errorText(error), "error");
            }
          }, "btn-primary"));
        });
        replaceChildren(results, rows.length ? rows : h("li", { class: "list-empty", text: t("contacts.nobody") }));
      } catch (error) {
        toast(errorText(error), "error");
      }
    });
    page(t("contacts.addFriend"), form, results);
    query.focus();
  }

  async function startChat(userId) {
    try {
      const conversation = await openDirect(userId);
      navigate(`chats/${conversation.id}`);
    } catch (error) {
      toast(errorText(error), "error");
    }
  }

  function userPage(userId) {
    const friend = state.friends.get(userId);
    const user = friend ? friend.user : getUser(userId);
    if (!user) {
      replaceChildren(main, h("div", { class: "empty-state" }, h("span", { class: "spinner" })));
      return;
    }
    const status = presenceOf(userId);
    const card = h("div", { class: "profile-card" },
      userAvatar(userId, { size: "xl", presence: Boolean(friend) }),
      h("h2", { class: "profile-name", text: displayName(userId, user.display_name) }),
      friend && friend.remark ? h("p", { class: "muted", text: t("contacts.nameIs", { name: user.display_name }) }) : null,
      h("p", { class: "muted", text: `@${user.username}${friend ? ` · ${t(`presence.${status}`)}` : ""}` }),
      h("div", { class: "profile-actions" },
        friend ? h("button", { class: "btn btn-primary", type: "button", on: { click: () => startChat(userId) } }, icon("chat", "icon-sm"), t("contacts.message")) : null,
        friend ? h("button", { class: "btn", type: "button", on: { click: () => remark(friend) } }, icon("edit", "icon-sm"), t("contacts.setRemark")) : null),
      h("div", { class: "profile-danger" },
        friend ? h("button", { class: "link-btn", type: "button", text: t("contacts.remove"), on: { click: () => unfriend(user) } }) : null,
        h("button", { class: "link-btn danger", type: "button", text: t("contacts.block"), on: { click: () => block(user) } })));
    replaceChildren(main, h("div", { class: "page" },
      h("header", { class: "page-head" }, h("a", { class: "icon-btn back-btn", href: "#/contacts", "aria-label": t("action.back") }, icon("back")),
        h("h2", { class: "page-title", text: t("contacts.details") })),
      h("div", { class: "page-body scroll" }, card)));
  }

  async function remark(friend) {
    const value = await promptDialog({ title: t("contacts.setRemark"), label: t("contacts.remark"), value: friend.remark || "", placeholder: friend.user.display_name, maxLength: 64, allowEmpty: true });
    if (value === null) return;
    guard(api.patch(`/friends/${friend.user.id}`, { remark: value || null }).then(loadFriends));
  }

  async function unfriend(user) {
    if (await confirmDialog({ title: t("contacts.remove"), message: t("contacts.removeConfirm", { name: displayName(user.id) }), confirmLabel: t("contacts.remove"), danger: true })) {
      guard(api.del(`/friends/${user.id}`).then(() => { navigate("contacts"); return loadFriends(); }));
    }
  }

  async function block(user) {
    if (await confirmDialog({ title: t("contacts.block"), message: t("contacts.blockConfirm", { name: displayName(user.id) }), confirmLabel: t("contacts.block"), danger: true })) {
      guard(api.put(`/blocks/${user.id}`).then(() => Promise.all([loadBlocks(), loadFriends()])).then(() => navigate("contacts/blocked")));
    }
  }

  // The add page keeps what was typed and found; the other pages follow the data.
  const refresh = () => {
    renderList();
    if (route.parts[0] !== "add") renderMain();
  };
  for (const topic of ["friends", "requests", "blocks", "presence", "users"]) unsubscribe.push(on(topic, refresh));

  return {
    update(next) {
      route = next;
      renderList();
      renderMain();
    },
    destroy() {
      for (const fn of unsubscribe) fn();
    },
  };
}
