// The workbench tab of the phone-size tab bar. A phone has no room for every workspace app in the
// bar, so one tab opens a sheet with the organization switcher and the apps (directory, DING,
// announcements, admin…) as tiles with their badges. On wider screens the apps sit in the rail
// and this tab is hidden (workspace.css).

import { h, replaceChildren } from "../dom.js";
import { t } from "../i18n/index.js";
import { icon } from "../icons.js";
import { currentOrg, onOrgsChange, orgState } from "../org.js";
import { closePopover, openPopover } from "../components/popover.js";
import { openOrgMenu, orgBadge, orgLogo } from "./workspace-switcher.js";

/** items(): [{name, icon, label, count, tucked}] of the workspace sections this user sees. */
export function workbenchTab(items) {
  const badge = h("span", { class: "badge rail-badge", hidden: true });
  const el = h("button", { class: "rail-item rail-workbench", type: "button", title: t("nav.workbench"), "aria-haspopup": "dialog", on: { click: open } },
    icon("apps", "icon-lg"), h("span", { class: "rail-label", text: t("nav.workbench") }), badge);

  // The sheet follows the organizations while open: an approval or a switch arriving meanwhile
  // shows in it at once.
  function open() {
    const sheet = h("div", { class: "workbench" });
    fill(sheet);
    openPopover(el, sheet, { label: t("nav.workbench"), className: "workbench-popover", placement: "above" });
    sheet.querySelector(".workbench-org").focus();
    const stop = onOrgsChange(() => {
      if (!sheet.isConnected) return stop();
      const hadFocus = sheet.contains(document.activeElement);
      fill(sheet);
      if (hadFocus) sheet.querySelector(".workbench-org").focus();
    });
  }

  function fill(sheet) {
    const org = currentOrg();
    const head = h("button", { class: "org-head workbench-org", type: "button", on: { click: () => openOrgMenu(el) } },
      org ? orgLogo(org, "sm") : icon("building"),
      h("span", { class: "org-head-text" }, h("span", { class: "org-head-name ellipsis", text: org ? org.name : t("org.createOrJoin") }),
        h("span", { class: "org-head-sub", text: t("org.switcher") })),
      icon("swap", "icon-sm org-head-chevron"));
    const tiles = org ? items().map((item) => h("a", { class: "workbench-tile", href: `#/${item.name}`, on: { click: () => closePopover() } },
      h("span", { class: `workbench-icon tile-${item.name}`, "aria-hidden": "true" }, icon(item.icon, "icon-lg")),
      h("span", { class: "workbench-label", text: t(item.label) }),
      item.count ? h("span", { class: "badge workbench-badge", text: item.count > 99 ? "99+" : String(item.count) }) : null)) : [];
    replaceChildren(sheet, head,
      tiles.length ? h("nav", { class: "workbench-grid", "aria-label": t("nav.workbench") }, tiles) : h("p", { class: "muted workbench-empty", text: t("org.noneYet") }));
  }

  // On a phone every workspace app is in the sheet; on a wide screen the rail has its own item for
  // all but the tucked ones, so the button counts (and marks as current) those alone.
  const phone = window.matchMedia("(max-width: 768px)");
  phone.addEventListener("change", () => update(lastSection));
  let lastSection = null;

  function update(sectionName) {
    lastSection = sectionName;
    const mine = items().filter((item) => phone.matches || item.tucked);
    const inWorkspace = mine.some((item) => item.name === sectionName);
    if (inWorkspace) el.setAttribute("aria-current", "page");
    else el.removeAttribute("aria-current");
    // The other organizations' news: in the rail's organization button on a wide screen.
    const elsewhere = !phone.matches ? 0
      : orgState.orgs.filter((org) => org.id !== orgState.currentId).reduce((sum, org) => sum + orgBadge(org), 0)
        + orgState.invitations.length;
    const count = mine.reduce((sum, item) => sum + (item.count || 0), 0) + elsewhere;
    badge.hidden = !count;
    replaceChildren(badge, count > 99 ? "99+" : String(count || ""));
  }

  return { el, update };
}
