// The frame of the app: the navigation rail, the list column and the main area, with the
// section (chats, contacts, search, settings) chosen by the route. On a phone-sized screen the
// list and the open item take turns, and the rail becomes a tab bar at the bottom.

import { h, replaceChildren } from "../dom.js";
import { t } from "../i18n/index.js";
import { icon } from "../icons.js";
import { navigate, onRoute, parseRoute } from "../router.js";
import { on, state, totalUnread } from "../store.js";
import { currentOrg, isOrgAdmin, onOrgsChange, orgState } from "../org.js";
import { userAvatar } from "../components/avatar.js";
import { closePopover } from "../components/popover.js";
import { mountChats } from "./chats.js";
import { mountDingBanner } from "./ding-banner.js";
import { pendingApprovals } from "./approval-badge.js";
import { workbenchTab } from "./workbench.js";
import { todoBadge } from "../todos-badge.js";
import { orgRailButton, watchJoinRoute } from "./workspace-switcher.js";
import { watchGroupJoinRoute } from "./group-join.js";

// Chats is where nearly every visit starts, so it comes with the shell; every other section is
// loaded the first time it is opened (`load` gives its mount function).
// `workspace: true` sections sit in the rail's workspace group, shown only to members of an
// organization; `badge()` gives the count on their rail item; `visible(orgState)`, when
// given, hides the item (and the section) from those it is not for. `tucked: true` apps (the work
// apps: approvals, reports, to-dos…) have no rail item of their own on a wide screen either: they
// sit in the 工作台 (workbench) sheet, whose rail button then shows, as DingTalk's desktop does.
const SECTIONS = {
  chats: { load: () => mountChats, icon: "chat", label: "nav.chats" },
  contacts: { load: () => import("./contacts.js").then((m) => m.mountContacts), icon: "contacts", label: "nav.contacts" },
  search: { load: () => import("./search.js").then((m) => m.mountSearch), icon: "search", label: "nav.search" },
  settings: { load: () => import("./settings.js").then((m) => m.mountSettings), icon: "settings", label: "nav.settings" },
  directory: {
    load: () => import("./directory.js").then((m) => m.mountDirectory), icon: "directory", label: "nav.directory", workspace: true,
  },
  ding: {
    load: () => import("./ding.js").then((m) => m.mountDing), icon: "ding", label: "nav.ding", workspace: true,
    badge: () => currentOrg()?.pending_dings || 0,
  },
  announcements: {
    load: () => import("./announcements.js").then((m) => m.mountAnnouncements), icon: "megaphone", label: "nav.announcements",
    workspace: true, badge: () => currentOrg()?.unread_announcements || 0,
  },
};
// Daily reports (日志): write, receive, read status, comments, a leader's team (views/reports.js).
SECTIONS.reports = {
  load: () => import("./reports.js").then((m) => m.mountReports), icon: "edit", label: "nav.reports", workspace: true, tucked: true,
};
// The growth engine: the organization's campaigns (leaderboards), and analytics for server admins.
SECTIONS.campaigns = {
  load: () => import("./growth-campaigns.js").then((m) => m.mountCampaigns), icon: "trophy", label: "nav.campaigns", workspace: true,
};
// Analytics is the server's, not an organization's: its admins see it even in no organization.
SECTIONS.analytics = {
  load: () => import("./growth-analytics.js").then((m) => m.mountAnalytics), icon: "chart", label: "nav.analytics",
  workspace: true, orgless: true, visible: () => !!state.me?.is_admin,
};
// Approvals (审批), a work app in the 工作台: the badge counts the requests waiting for me.
SECTIONS.approvals = {
  load: () => import("./approvals.js").then((m) => m.mountApprovals), icon: "approval", label: "nav.approvals", workspace: true,
  tucked: true, badge: pendingApprovals,
};
// Work apps: to-dos (待办), in the workbench sheet, with the count of those open for me.
SECTIONS.todos = {
  load: () => import("./todos.js").then((m) => m.mountTodos), icon: "check", label: "nav.todos", workspace: true,
  tucked: true, badge: () => todoBadge(),
};
SECTIONS.admin = {
  load: () => import("./admin.js").then((m) => m.mountAdmin), icon: "shield", label: "nav.admin", workspace: true,
  visible: () => isOrgAdmin(), badge: () => currentOrg()?.pending_join_requests || 0,
};
const WORKSPACE = Object.keys(SECTIONS).filter((name) => SECTIONS[name].workspace);
const RAIL_APPS = () => WORKSPACE.filter((name) => !SECTIONS[name].tucked);

/** Workspace sections show to members of an organization, and only to those they are for. */
function shown(name) {
  const section = SECTIONS[name];
  return (section.orgless || orgState.orgs.length > 0) && (!section.visible || section.visible(orgState));
}

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
  const orgButton = orgRailButton();
  const workbench = workbenchTab(() => WORKSPACE.filter(shown).map((name) => ({
    name, icon: SECTIONS[name].icon, label: SECTIONS[name].label, count: SECTIONS[name].badge ? SECTIONS[name].badge() : 0,
    tucked: Boolean(SECTIONS[name].tucked),
  })));
  const rail = h(
    "nav",
    { class: "rail", "aria-label": t("nav.main") },
    h("div", { class: "rail-top" }, me),
    h("div", { class: "rail-items" }, railItem("chats"), railItem("contacts"), railItem("search")),
    // Workspace apps (directory, DING, announcements…) for members of an organization.
    h("div", { class: "rail-items rail-slot", "data-slot": "workspace" }, orgButton.el, ...RAIL_APPS().map(railItem)),
    // On a phone the workspace apps fold into one tab (views/workbench.js).
    h("div", { class: "rail-items rail-workbench-slot" }, workbench.el),
    h("div", { class: "rail-bottom" }, railItem("settings")),
  );

  const banner = h("div", { class: "conn-banner", role: "status", hidden: true });
  const shell = h("div", { class: "shell" }, rail, listPane, mainPane);
  replaceChildren(root, shell, banner);
  // DINGs waiting for confirmation stay pinned above every section. The connection banner floats
  // just below it, never over it (--above: the DING banner's height, 0 while it is hidden).
  const dingBanner = mountDingBanner(shell);
  const stackBanners = new ResizeObserver(() => {
    banner.style.setProperty("--above", `${dingBanner.el.hidden ? 0 : dingBanner.el.offsetHeight}px`);
  });
  stackBanners.observe(dingBanner.el);

  let sectionName = null;
  let controller = null;
  let destroyed = false;

  // The section shown, and the one being loaded (a later route wins over an earlier one).
  let routeToken = 0;

  async function route(current) {
    const token = ++routeToken;
    const name = SECTIONS[current.section] ? current.section : "chats";
    closePopover();
    if (name !== sectionName) {
      let mount;
      try {
        mount = await SECTIONS[name].load();
      } catch {
        if (token === routeToken) showLoadFailure(name);
        return;
      }
      if (token !== routeToken || destroyed) return;
      if (controller) controller.destroy();
      replaceChildren(listPane);
      replaceChildren(mainPane);
      sectionName = name;
      controller = mount({ list: listPane, main: mainPane, shell });
    }
    controller.update(current);
    shell.dataset.section = name;
    shell.dataset.detail = String(current.detail);
    workbench.update(name);
    for (const [key, button] of Object.entries(railButtons)) {
      if (key === name) button.setAttribute("aria-current", "page");
      else button.removeAttribute("aria-current");
    }
  }

  // A section that cannot load: the network, or a new release whose files replaced this page's.
  function showLoadFailure(name) {
    if (controller) controller.destroy();
    controller = null;
    sectionName = null;
    replaceChildren(listPane);
    replaceChildren(mainPane, h("div", { class: "empty-state", role: "alert" },
      h("p", { text: t("app.loadFailed") }),
      h("button", { class: "btn btn-primary", type: "button", text: t("action.reload"), on: { click: () => window.location.reload() } })));
    shell.dataset.section = name;
    shell.dataset.detail = "true";
  }

  function updateBadges() {
    setBadge(badges.chats, totalUnread());
    setBadge(badges.contacts, state.requests.incoming.length);
    workbench.update(sectionName);
    for (const name of RAIL_APPS()) {
      railButtons[name].hidden = !shown(name);
      if (SECTIONS[name].badge) setBadge(badges[name], shown(name) ? SECTIONS[name].badge() : 0);
    }
    // On a wide screen the workbench button stands in the rail once there are tucked apps to show.
    rail.classList.toggle("with-workbench", WORKSPACE.some((name) => SECTIONS[name].tucked && shown(name)));
  }

  function updateBanner(status) {
    banner.hidden = status !== "reconnecting";
    replaceChildren(banner, icon("wifiOff", "icon-sm"), h("span", { text: t("conn.reconnecting") }));
  }

  unsubscribe.push(on("conversations", updateBadges), on("requests", updateBadges), on("connection", updateBanner));
  unsubscribe.push(onOrgsChange(updateBadges), on("approvals-count", updateBadges), on("todos-badge", updateBadges));
  unsubscribe.push(onRoute(route));
  unsubscribe.push(on("me", () => replaceChildren(me, userAvatar(state.me.id, { size: "sm" }))));
  unsubscribe.push(on("conversation-closed", () => navigate("chats")));
  updateBadges();
  updateBanner(state.connection);
  route(parseRoute());
  unsubscribe.push(watchJoinRoute(), watchGroupJoinRoute(), orgButton.destroy);

  return {
    destroy() {
      destroyed = true;
      stackBanners.disconnect();
      for (const fn of unsubscribe) fn();
      if (controller) controller.destroy();
      dingBanner.destroy();
    },
  };
}

export function setBadge(el, count, { dot = false } = {}) {
  el.hidden = !count;
  el.classList.toggle("badge-dot", dot);
  el.textContent = dot ? "" : count > 99 ? "99+" : String(count);
}
