// The admin section (#/admin), for owners and admins of the current organization: settings,
// members, departments, invitations, join requests, DING escalation and the audit log. Each page is its own
// module; this one draws the navigation, picks the page from the route, and hands it the events
// that concern it so it stays current.
//
// Routes: #/admin/settings, #/admin/members, #/admin/departments, #/admin/invitations,
// #/admin/requests, #/admin/ding, #/admin/ldap (LDAP / Active Directory), #/admin/audit.

import { h, replaceChildren } from "../dom.js";
import { t } from "../i18n/index.js";
import { icon } from "../icons.js";
import { on } from "../store.js";
import { currentOrg, isOrgAdmin, onOrgsChange } from "../org.js";
import { mountDepartmentsAdmin } from "./admin-departments.js";
import { mountInvitationsAdmin, mountJoinRequestsAdmin } from "./admin-invitations.js";
import { mountMembersAdmin } from "./admin-members.js";
import { mountDingPolicyAdmin, mountSettingsAdmin } from "./admin-settings.js";
import { mountAuditLog } from "./admin-audit.js";
import { mountSsoAdmin } from "./admin-sso.js";
import { mountLdapAdmin } from "./admin-ldap.js";
import { orgPaneHead } from "./workspace-switcher.js";
import { setBadge } from "./shell.js";

const PAGES = [
  { name: "settings", icon: "settings", label: "admin.settings", mount: mountSettingsAdmin, events: ["organization"] },
  { name: "members", icon: "users", label: "admin.members", mount: mountMembersAdmin, events: ["org_member", "department"] },
  { name: "departments", icon: "directory", label: "admin.departments", mount: mountDepartmentsAdmin, events: ["department", "org_member"] },
  { name: "invitations", icon: "link", label: "admin.invitations", mount: mountInvitationsAdmin, events: ["org_member"] },
  { name: "requests", icon: "userPlus", label: "admin.requests", mount: mountJoinRequestsAdmin, events: ["join_request", "org_member"] },
  { name: "ding", icon: "bell", label: "admin.ding", mount: mountDingPolicyAdmin, events: [] },
  { name: "sso", icon: "shield", label: "ssoAdmin.page", mount: mountSsoAdmin, events: [] },
  { name: "ldap", icon: "building", label: "admin.ldap", mount: mountLdapAdmin, events: [] },
  { name: "audit", icon: "file", label: "admin.audit", mount: mountAuditLog, events: [] },
];

export function mountAdmin({ list, main }) {
  const unsubscribe = [];
  const head = orgPaneHead(t("nav.admin"));
  const nav = h("ul", { class: "contact-nav admin-nav" });
  const requestBadge = h("span", { class: "badge", hidden: true });
  replaceChildren(list, head.el, h("div", { class: "scroll contact-scroll" }, nav));

  let org = currentOrg();
  let route = { parts: [], detail: false };
  let pageName = null;
  let page = null;

  function currentName() {
    const wanted = route.parts[0];
    return PAGES.some((item) => item.name === wanted) ? wanted : null;
  }

  function renderNav() {
    setBadge(requestBadge, org ? org.pending_join_requests || 0 : 0);
    if (!isOrgAdmin(org)) {
      replaceChildren(nav);
      return;
    }
    const active = currentName() || (route.detail ? null : "settings");
    replaceChildren(nav, PAGES.map((item) => h("li", {}, h("a", {
      class: ["contact-item", active === item.name && "active"], href: `#/admin/${item.name}`, "aria-current": active === item.name ? "page" : null,
    }, h("span", { class: `contact-icon admin-icon-${item.name}`, "aria-hidden": "true" }, icon(item.icon)),
    h("span", { class: "grow", text: t(item.label) }), item.name === "requests" ? requestBadge : null))));
  }

  function closePage() {
    if (page) page.destroy();
    page = null;
    pageName = null;
  }

  function renderMain(force = false) {
    if (!isOrgAdmin(org)) {
      closePage();
      replaceChildren(main, h("div", { class: "empty-state" },
        h("div", { class: "empty-icon", "aria-hidden": "true" }, icon("shield", "icon-lg")),
        h("p", { text: org ? t("admin.onlyAdmins") : t("org.emptyHint") })));
      return;
    }
    // A desktop opens the first page at once; a phone shows the navigation first.
    const name = currentName() || "settings";
    if (name === pageName && !force) return;
    closePage();
    const spec = PAGES.find((item) => item.name === name);
    pageName = name;
    page = spec.mount(main, { org, title: t(spec.label) });
  }

  const forward = (type) => (event) => {
    if (!org || !event.data || event.data.organization_id !== org.id || !page) return;
    const spec = PAGES.find((item) => item.name === pageName);
    if (spec && spec.events.includes(type) && page.refresh) page.refresh(event);
  };
  for (const type of ["organization", "org_member", "department", "join_request"]) unsubscribe.push(on(`event:${type}`, forward(type)));

  unsubscribe.push(onOrgsChange(({ switched } = {}) => {
    const next = currentOrg();
    const changed = switched || (next ? next.id : null) !== (org ? org.id : null);
    const wasAdmin = isOrgAdmin(org);
    org = next;
    renderNav();
    if (changed || wasAdmin !== isOrgAdmin(org)) renderMain(true);
    else if (page && page.orgChanged) page.orgChanged(org);
  }));

  return {
    update(next) {
      route = next;
      renderNav();
      renderMain();
    },
    destroy() {
      for (const fn of unsubscribe) fn();
      head.destroy();
      closePage();
    },
  };
}
