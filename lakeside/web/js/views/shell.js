// The frame of the app: the navigation rail, the list column and the main area, with the
// section (chats, contacts, search, settings) chosen by the route. On a phone-sized screen the
// list and the open item take turns, and the rail becomes a tab bar at the bottom.

import { h, replaceChildren } from "../dom.js";
import { t } from "../i18n/index.js";
import { icon } from "../icons.js";
import { navigate, onRoute, parseRoute } from "../router.js";
import { on, state, totalUnread } from "../store.js";
import { onOrgsChange, orgState } from "../org.js";
import { userAvatar } from "../components/avatar.js";
import { closePopover } from "../components/popover.js";
import { mountChats } from "./chats.js";
import { mountContacts } from "./contacts.js";
import { mountSearch } from "./search.js";
import { mountSettings } from "./settings.js";

// `workspace: true` sections sit in the rail's workspace group, shown only to members of an
// organization; `badge(orgState)` gives the count on their rail item.
const SECTIONS = {
  chats: { mount: mountChats, icon: "chat", label: "nav.chats" },
  contacts: { mount: mountContacts, icon: "contacts", label: "nav.contacts" },
  search: { mount: mountSearch, icon: "search", label: "nav.search" },
  settings: { mount: mountSettings, icon: "settings", label: "nav.settings" },
};
const WORKSPACE = Object.keys(SECTIONS).filter((name) => SECTIONS[name].workspace);

export function mountShell(root) {
  const unsubscribe = [];
  const listPane = h("section", { class: "list-pane" });
  const mainPane = h("div", { class: "main-pane" });
  const badges = {};
  const railButtons = {};

  const railItem = (name) => {
    const section = SECTIONS[name];
    badges[name] = h("span", { class: "badge rail-badge", hidden: true });
    railButtons[name] = h(
      "a",
      { class: "rail-item", href: `#/${name}`, title: t(section.label) },
      icon(section.icon, "icon-lg"),
      h("span", { class: "rail-label", text: t(section.label) }),
      badges[name],
    );
    return railButtons[name];
  };

  const me = h("a", { class: "rail-me", href: "#/settings/profile", "aria-label": t("nav.me"), title: state.me.display_name },
    userAvatar(state.me.id, { size: "sm" }));
  const rail = h(
    "nav",
    { class: "rail", "aria-label": t("nav.main") },
    h("div", { class: "rail-top" }, me),
    h("div", { class: "rail-items" }, railItem("chats"), railItem("contacts"), railItem("search")),
    // Workspace apps (directory, DING, announcements…) for members of an organization.
    h("div", { class: "rail-items rail-slot", "data-slot": "workspace" }, ...WORKSPACE.map(railItem)),
    h("div", { class: "rail-bottom" }, railItem("settings")),
  );

  const banner = h("div", { class: "conn-banner", role: "status", hidden: true });
  const shell = h("div", { class: "shell" }, rail, listPane, mainPane);
  replaceChildren(root, shell, banner);

  let sectionName = null;
  let controller = null;

  function route(current) {
    const name = SECTIONS[current.section] ? current.section : "chats";
    closePopover();
    if (name !== sectionName) {
      if (controller) controller.destroy();
      replaceChildren(listPane);
      replaceChildren(mainPane);
      sectionName = name;
      controller = SECTIONS[name].mount({ list: listPane, main: mainPane, shell });
    }
    controller.update(current);
    shell.dataset.section = name;
    shell.dataset.detail = String(current.detail);
    for (const [key, button] of Object.entries(railButtons)) {
      if (key === name) button.setAttribute("aria-current", "page");
      else button.removeAttribute("aria-current");
    }
  }

  function updateBadges() {
    setBadge(badges.chats, totalUnread());
    setBadge(badges.contacts, state.requests.incoming.length);
    const member = orgState.orgs.length > 0;
    for (const name of WORKSPACE) {
      railButtons[name].hidden = !member;
      if (SECTIONS[name].badge) setBadge(badges[name], member ? SECTIONS[name].badge(orgState) : 0);
    }
  }

  function updateBanner(status) {
    banner.hidden = status !== "reconnecting";
    replaceChildren(banner, icon("wifiOff", "icon-sm"), h("span", { text: t("conn.reconnecting") }));
  }

  unsubscribe.push(on("conversations", updateBadges), on("requests", updateBadges), on("connection", updateBanner));
  unsubscribe.push(onOrgsChange(updateBadges));
  unsubscribe.push(onRoute(route));
  unsubscribe.push(on("me", () => replaceChildren(me, userAvatar(state.me.id, { size: "sm" }))));
  unsubscribe.push(on("conversation-closed", () => navigate("chats")));
  updateBadges();
  updateBanner(state.connection);
  route(parseRoute());

  return {
    destroy() {
      for (const fn of unsubscribe) fn();
      if (controller) controller.destroy();
    },
  };
}

export function setBadge(el, count, { dot = false } = {}) {
  el.hidden = !count;
  el.classList.toggle("badge-dot", dot);
  el.textContent = dot ? "" : count > 99 ? "99+" : String(count);
}
