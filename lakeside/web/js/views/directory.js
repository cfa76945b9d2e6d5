// The directory section (#/directory): the current organization's department tree in the list
// pane (nested, expandable, with people counts) and a search that finds colleagues by name,
// pinyin, initials (zs finds 张三), username, employee number or department, on the server; the
// main pane shows a department, the whole organization, a colleague's card, or the external
// contacts. Department and member events keep it current; switching organizations rebuilds it.
//
// Routes: #/directory, #/directory/dept/ID, #/directory/member/USER_ID, #/directory/contacts.

import { api } from "../api.js";
import { debounce, h, replaceChildren } from "../dom.js";
import { errorText } from "../errors.js";
import { t } from "../i18n/index.js";
import { icon } from "../icons.js";
import { navigate } from "../router.js";
import { on } from "../store.js";
import { currentOrg, isOrgAdmin, onOrgsChange } from "../org.js";
import { toast as showToast } from "../components/toast.js";
import { mountExternalContacts } from "./directory-contacts.js";
import { departmentPage, memberPage, orgGone, orgPage, personLink } from "./directory-people.js";
import { buildTree, expandTo, renderTree } from "./directory-tree.js";
import { openCreateDialog, openJoinDialog, orgLogo, orgPaneHead } from "./workspace-switcher.js";

const toast = (text) => showToast(text, "error");

export function mountDirectory({ list, main }) {
  const unsubscribe = [];
  const head = orgPaneHead(t("nav.directory"));
  const search = h("input", { class: "input search-input", type: "search", id: "directory-search", placeholder: t("dir.searchPlaceholder"), "aria-label": t("dir.search"), autocomplete: "off" });
  const body = h("div", { class: "scroll contact-scroll dir-scroll" });
  replaceChildren(list, head.el, h("div", { class: "pane-search" }, search), body);

  let org = currentOrg();
  let tree = buildTree([]);
  let loaded = false;
  const expanded = new Set();
  let route = { parts: [], query: {} };
  let query = "";
  let results = null; // {query, members, departments} of the last search
  let mainToken = 0;
  let contacts = null;
  let destroyed = false; // async answers arriving after the section closed draw nothing

  // -- data -----------------------------------------------------------------------------------

  async function loadDepartments() {
    if (!org) return;
    const orgId = org.id;
    try {
      const departments = await api.get(`/orgs/${orgId}/departments`);
      if (!org || org.id !== orgId) return;
      tree = buildTree(departments);
      if (!loaded) for (const root of tree.roots) expanded.add(root.id);
      loaded = true;
      const selected = selectedDept();
      if (selected) expandTo(tree, expanded, selected);
    } catch (error) {
      if (!orgGone(error)) toast(errorText(error));
    }
  }

  function selectedDept() {
    return route.parts[0] === "dept" ? Number(route.parts[1]) || null : null;
  }

  // -- list pane ------------------------------------------------------------------------------

  function renderList() {
    if (destroyed) return;
    if (!org) {
      replaceChildren(body, h("div", { class: "list-empty org-empty" },
        h("p", { text: t("org.noneYet") }),
        h("button", { class: "btn btn-primary", type: "button", text: t("org.create"), on: { click: openCreateDialog } }),
        h("button", { class: "btn", type: "button", text: t("org.join"), on: { click: () => openJoinDialog() } })));
      return;
    }
    if (query) return renderResults();
    const atRoot = route.parts.length === 0;
    const contactsActive = route.parts[0] === "contacts";
    replaceChildren(body,
      h("a", { class: ["contact-item org-root", atRoot && "active"], href: "#/directory", "aria-current": atRoot ? "page" : null },
        orgLogo(org, "sm"), h("span", { class: "grow ellipsis", text: org.name }),
        h("span", { class: "tree-count", text: String(org.member_count) })),
      loaded && !tree.roots.length ? h("p", { class: "list-empty", text: t("dir.noDepartmentsYet") }) : null,
      renderTree(tree, { selected: selectedDept(), expanded, href: (dept) => `#/directory/dept/${dept.id}`, onToggle: renderList }),
      h("h2", { class: "list-heading", text: t("ext.heading") }),
      h("a", { class: ["contact-item", contactsActive && "active"], href: "#/directory/contacts", "aria-current": contactsActive ? "page" : null },
        h("span", { class: "contact-icon ext-icon", "aria-hidden": "true" }, icon("briefcase")), h("span", { class: "grow", text: t("ext.title") })));
  }

  function renderResults() {
    // Until the first answer comes, a spinner; after that the last answer stays until the next.
    if (!results) {
      replaceChildren(body, h("div", { class: "search-status muted" }, h("span", { class: "spinner" })));
      return;
    }
    const userId = route.parts[0] === "member" ? Number(route.parts[1]) : null;
    const departments = results.departments.map((dept) => h("li", {}, h("a", { class: "dept-row", href: `#/directory/dept/${dept.id}` },
      h("span", { class: "dept-icon", "aria-hidden": "true" }, icon("directory", "icon-sm")), h("span", { class: "grow ellipsis", text: dept.name }))));
    replaceChildren(body,
      departments.length ? [h("h2", { class: "list-heading", text: t("dir.departments") }), h("ul", { class: "dept-list" }, departments)] : null,
      h("h2", { class: "list-heading", text: t("dir.people") }),
      h("ul", { class: "person-list dir-results", "aria-live": "polite" }, results.members.length
        ? results.members.map((member) => personLink(member, { active: member.user_id === userId }))
        : h("li", { class: "list-empty", text: t("dir.noMatch", { q: results.query }) })));
  }

  let searchToken = 0;
  const runSearch = debounce(async () => {
    const q = search.value.trim();
    query = q;
    if (!q || !org) {
      results = null;
      renderList();
      return;
    }
    const mine = ++searchToken;
    renderList();
    try {
      const page = await api.get(`/orgs/${org.id}/members`, { q, limit: 50 });
      if (mine !== searchToken) return;
      const lower = q.toLowerCase();
      results = { query: q, members: page.members, departments: [...tree.byId.values()].filter((dept) => dept.name.toLowerCase().includes(lower)) };
      renderList();
    } catch (error) {
      if (mine === searchToken && !orgGone(error)) toast(errorText(error));
    }
  }, 200);
  search.addEventListener("input", runSearch);
  search.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && search.value) {
      event.stopPropagation();
      search.value = "";
      runSearch();
    }
  });

  // -- main pane ------------------------------------------------------------------------------

  function renderMain() {
    if (destroyed) return;
    const token = ++mainToken;
    const isCurrent = () => token === mainToken;
    const [page, id] = route.parts;
    if (page !== "contacts" && contacts) {
      contacts.destroy();
      contacts = null;
    }
    if (!org) {
      replaceChildren(main, h("div", { class: "empty-state" },
        h("div", { class: "empty-icon", "aria-hidden": "true" }, icon("building", "icon-lg")),
        h("p", { text: t("org.emptyHint") }),
        h("div", { class: "row" },
          h("button", { class: "btn btn-primary", type: "button", text: t("org.create"), on: { click: openCreateDialog } }),
          h("button", { class: "btn", type: "button", text: t("org.join"), on: { click: () => openJoinDialog() } }))));
      return;
    }
    const admin = isOrgAdmin(org);
    if (page === "contacts") {
      if (!contacts) contacts = mountExternalContacts(main, { org, admin });
      return;
    }
    if (page === "dept" && id) return departmentPage(main, { org, tree, deptId: Number(id), isCurrent });
    if (page === "member" && id) return memberPage(main, { org, userId: Number(id), admin, isCurrent, onEdited: refreshSoon });
    return orgPage(main, { org, tree, isCurrent });
  }

  // -- live updates ---------------------------------------------------------------------------

  const refreshSoon = debounce(async () => {
    await loadDepartments();
    renderList();
    if (route.parts[0] !== "contacts") renderMain();
    if (query) runSearch();
  }, 200);

  const ours = (event) => org && event.data && event.data.organization_id === org.id;
  unsubscribe.push(on("event:department", (event) => { if (ours(event)) refreshSoon(); }));
  unsubscribe.push(on("event:org_member", (event) => { if (ours(event)) refreshSoon(); }));
  unsubscribe.push(onOrgsChange(async ({ switched } = {}) => {
    const next = currentOrg();
    if (switched || (next ? next.id : null) !== (org ? org.id : null)) {
      org = next;
      tree = buildTree([]);
      loaded = false;
      expanded.clear();
      search.value = "";
      query = "";
      results = null;
      if (contacts) contacts.destroy();
      contacts = null;
      if (route.parts.length) navigate("directory", { replace: true });
      await loadDepartments();
      renderList();
      renderMain();
    } else {
      const before = org;
      org = next;
      // Name, logo or member count changed: the list shows them; the main pane only at the root.
      if (org && before && (org.name !== before.name || org.logo_url !== before.logo_url || org.member_count !== before.member_count)) {
        renderList();
        if (!route.parts.length) renderMain();
      }
    }
  }));

  const ready = loadDepartments().then(renderList);
  renderList();

  return {
    update(next) {
      route = next;
      const selected = selectedDept();
      if (selected) expandTo(tree, expanded, selected);
      renderList();
      ready.then(() => { if (route === next) renderMain(); });
    },
    destroy() {
      destroyed = true;
      mainToken += 1;
      for (const fn of unsubscribe) fn();
      head.destroy();
      runSearch.cancel();
      refreshSoon.cancel();
      if (contacts) contacts.destroy();
    },
  };
}
