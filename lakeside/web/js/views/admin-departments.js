// Admin page: departments. The tree on the left (create top-level or sub-departments); the chosen
// department on the right: rename, move under another parent, delete (when empty), and its
// people — add, remove, and mark leaders.

import { api } from "../api.js";
import { debounce, h, replaceChildren } from "../dom.js";
import { t } from "../i18n/index.js";
import { icon } from "../icons.js";
import { confirmDialog, openModal, promptDialog } from "../components/modal.js";
import { toast } from "../components/toast.js";
import { adminFrame, guard, loading } from "./admin-ui.js";
import { memberAvatar, roleTag } from "./directory-people.js";
import { buildTree, descendantsOf, expandTo, flatten, pathTo, renderTree } from "./directory-tree.js";

export function mountDepartmentsAdmin(main, { org, title }) {
  const addTop = h("button", { class: "btn btn-primary btn-sm", type: "button", on: { click: () => create(null) } }, icon("plus", "icon-sm"), t("admin.newDepartment"));
  const body = adminFrame(main, title, { actions: addTop, wide: true });
  const treeBox = h("div", { class: "admin-tree" });
  const detail = h("div", { class: "admin-dept" });
  replaceChildren(body, h("div", { class: "admin-split" }, treeBox, detail));

  let tree = buildTree([]);
  const expanded = new Set();
  let selected = null;
  let alive = true;
  let first = true;
  let detailToken = 0;

  async function load() {
    const departments = await guard(api.get(`/orgs/${org.id}/departments`));
    if (!departments || !alive) return;
    tree = buildTree(departments);
    if (first) for (const root of tree.roots) expanded.add(root.id);
    first = false;
    if (selected && !tree.byId.has(selected)) selected = null;
    if (!selected && tree.roots.length) selected = tree.roots[0].id;
    renderTreeBox();
    renderDetail();
  }

  function renderTreeBox() {
    if (!tree.roots.length) {
      replaceChildren(treeBox, h("p", { class: "list-empty", text: t("dir.noDepartmentsYet") }));
      return;
    }
    const el = renderTree(tree, { selected, expanded, href: (dept) => `#/admin/departments?d=${dept.id}`, onToggle: renderTreeBox });
    el.addEventListener("click", (event) => {
      const link = event.target.closest(".tree-link");
      if (!link) return;
      event.preventDefault();
      selected = Number(link.dataset.departmentId);
      renderTreeBox();
      renderDetail();
    });
    replaceChildren(treeBox, el);
  }

  async function renderDetail() {
    const token = ++detailToken;
    const dept = selected ? tree.byId.get(selected) : null;
    if (!dept) {
      replaceChildren(detail, h("div", { class: "empty-state" }, h("p", { text: t("admin.pickDepartment") })));
      return;
    }
    if (!detail.querySelector(".dept-head")) loading(detail);
    const members = await guard(api.get(`/orgs/${org.id}/departments/${dept.id}/members`));
    if (!members || token !== detailToken || !alive) return;
    const path = pathTo(tree, dept.id).slice(0, -1).map((item) => item.name).join(" / ");
    const rows = members.map((member) => {
      const leader = member.departments.some((seat) => seat.id === dept.id && seat.is_leader);
      const lead = h("input", { type: "checkbox", checked: leader, "aria-label": t("admin.leaderOf", { name: member.name, dept: dept.name }) });
      lead.addEventListener("change", async () => {
        if (!await guard(api.put(`/orgs/${org.id}/departments/${dept.id}/members/${member.user_id}`, { is_leader: lead.checked }))) lead.checked = !lead.checked;
      });
      return h("li", { class: "person-row", dataset: { userId: member.user_id } }, memberAvatar(member, "sm"),
        h("div", { class: "person-text" }, h("span", { class: "person-name" }, h("span", { class: "ellipsis", text: member.name }), roleTag(member)),
          member.title ? h("span", { class: "person-meta ellipsis", text: member.title }) : null),
        h("div", { class: "person-actions" },
          h("label", { class: "checkbox" }, lead, h("span", { text: t("dir.leader") })),
          h("button", { class: "icon-btn", type: "button", "aria-label": t("admin.takeOut", { name: member.name }), title: t("admin.takeOut", { name: member.name }),
            on: { click: () => unseat(dept, member) } }, icon("close"))));
    });
    replaceChildren(detail,
      h("div", { class: "dept-head" },
        h("div", { class: "grow" }, h("h3", { class: "dept-title", text: dept.name }), path ? h("p", { class: "muted", text: path }) : null),
        h("div", { class: "row wrap" },
          h("button", { class: "btn btn-sm", type: "button", text: t("admin.rename"), on: { click: () => rename(dept) } }),
          h("button", { class: "btn btn-sm", type: "button", text: t("admin.move"), on: { click: () => move(dept) } }),
          h("button", { class: "btn btn-sm", type: "button", text: t("admin.newSub"), on: { click: () => create(dept) } }),
          h("button", { class: "btn btn-sm btn-danger", type: "button", text: t("action.delete"), on: { click: () => remove(dept) } }))),
      h("div", { class: "row dept-members-head" },
        h("h4", { class: "section-title grow", text: t("dir.peopleHere", { n: members.length }) }),
        h("button", { class: "btn btn-sm btn-primary", type: "button", on: { click: () => addPeople(dept, members) } }, icon("userPlus", "icon-sm"), t("admin.addPeople"))),
      h("ul", { class: "person-list" }, rows.length ? rows : h("li", { class: "list-empty", text: t("dir.nobodyHere") })));
  }

  async function create(parent) {
    const name = await promptDialog({ title: parent ? t("admin.newSubOf", { name: parent.name }) : t("admin.newDepartment"), label: t("admin.departmentName"), maxLength: 256 });
    if (!name) return;
    const dept = await guard(api.post(`/orgs/${org.id}/departments`, { name, parent_id: parent ? parent.id : null }));
    if (!dept) return;
    toast(t("admin.departmentCreated", { name: dept.name }));
    selected = dept.id;
    if (parent) expanded.add(parent.id);
    await load();
    expandTo(tree, expanded, dept.id);
    renderTreeBox();
  }

  async function rename(dept) {
    const name = await promptDialog({ title: t("admin.rename"), label: t("admin.departmentName"), value: dept.name, maxLength: 256 });
    if (name && name !== dept.name && await guard(api.patch(`/orgs/${org.id}/departments/${dept.id}`, { name }))) load();
  }

  function move(dept) {
    const blocked = new Set([dept.id, ...descendantsOf(tree, dept.id).map((item) => item.id)]);
    const select = h("select", { class: "select", id: "move-parent" },
      h("option", { value: "", text: t("admin.topLevel"), selected: dept.parent_id === null }),
      flatten(tree).filter(({ dept: item }) => !blocked.has(item.id)).map(({ dept: item, depth }) => h("option", {
        value: String(item.id), text: `${"\u3000".repeat(depth)}${item.name}`, selected: item.id === dept.parent_id,
      })));
    const modal = openModal({
      title: t("admin.moveTitle", { name: dept.name }),
      body: h("div", { class: "field" }, h("label", { for: "move-parent", text: t("admin.newParent") }), select),
      actions: [
        h("button", { class: "btn", type: "button", text: t("action.cancel"), on: { click: () => modal.close() } }),
        h("button", { class: "btn btn-primary", type: "button", text: t("admin.move"), on: { click: async () => {
          const parent = select.value ? Number(select.value) : null;
          if (await guard(api.patch(`/orgs/${org.id}/departments/${dept.id}`, { parent_id: parent }))) {
            modal.close();
            await load();
            expandTo(tree, expanded, dept.id);
            renderTreeBox();
          }
        } } }),
      ],
    });
  }

  async function remove(dept) {
    if (!await confirmDialog({ title: t("admin.deleteDepartment"), message: t("admin.deleteDepartmentConfirm", { name: dept.name }), confirmLabel: t("action.delete"), danger: true })) return;
    if (await guard(api.del(`/orgs/${org.id}/departments/${dept.id}`))) {
      selected = dept.parent_id;
      load();
    }
  }

  async function unseat(dept, member) {
    if (await guard(api.del(`/orgs/${org.id}/departments/${dept.id}/members/${member.user_id}`))) load();
  }

  // Add people: search the organization (pinyin works), tick, add; "move" takes them out of
  // their other departments in the same step.
  function addPeople(dept, present) {
    const inDept = new Set(present.map((member) => member.user_id));
    const chosen = new Map();
    const query = h("input", { class: "input", type: "search", id: "seat-search", placeholder: t("dir.searchPlaceholder"), autocomplete: "off", autofocus: true });
    const results = h("ul", { class: "picker-list scroll" });
    const moveBox = h("input", { type: "checkbox", id: "seat-move" });
    const countEl = h("span", { class: "picker-count muted", text: t("picker.chosen", { n: 0 }) });
    const search = debounce(async () => {
      const page = await guard(api.get(`/orgs/${org.id}/members`, { q: query.value.trim(), limit: 50 }));
      if (!page) return;
      replaceChildren(results, page.members.length ? page.members.map((member) => {
        const here = inDept.has(member.user_id);
        const box = h("input", { type: "checkbox", checked: here || chosen.has(member.user_id), disabled: here });
        box.addEventListener("change", () => {
          if (box.checked) chosen.set(member.user_id, member);
          else chosen.delete(member.user_id);
          countEl.textContent = t("picker.chosen", { n: chosen.size });
        });
        const seats = member.departments.map((seat) => seat.name).join(t("list.separator"));
        return h("li", {}, h("label", { class: "picker-row" }, box, memberAvatar(member, "sm"),
          h("span", { class: "picker-name ellipsis", text: member.name }), h("span", { class: "muted ellipsis", text: here ? t("admin.alreadyHere") : seats })));
      }) : h("li", { class: "list-empty", text: t("dir.noMatch", { q: query.value.trim() }) }));
    }, 200);
    query.addEventListener("input", search);
    search();
    const modal = openModal({
      title: t("admin.addPeopleTo", { name: dept.name }),
      wide: true,
      body: h("div", { class: "picker" }, query, results, countEl,
        h("label", { class: "checkbox", for: "seat-move" }, moveBox, h("span", { text: t("admin.moveHint") }))),
      onClose: () => search.cancel(),
      actions: [
        h("button", { class: "btn", type: "button", text: t("action.cancel"), on: { click: () => modal.close() } }),
        h("button", { class: "btn btn-primary", type: "button", text: t("admin.add"), on: { click: async () => {
          for (const member of chosen.values()) {
            const call = moveBox.checked
              ? api.put(`/orgs/${org.id}/members/${member.user_id}/departments`, {
                department_ids: [dept.id],
                leader_of: [],
              })
              : api.put(`/orgs/${org.id}/departments/${dept.id}/members/${member.user_id}`, { is_leader: false });
            if (!await guard(call)) break;
          }
          modal.close();
          load();
        } } }),
      ],
    });
  }

  const refreshSoon = debounce(load, 300);
  loading(treeBox);
  load();
  return {
    refresh: refreshSoon,
    orgChanged(next) { org = next; },
    destroy() {
      alive = false;
      refreshSoon.cancel();
    },
  };
}
