// Writing or editing an announcement (admins): title, markdown body, audience (the whole
// organization or chosen departments and everything below them), pinned, and optionally a DING.

import { api } from "../api.js";
import { h, replaceChildren } from "../dom.js";
import { errorText } from "../errors.js";
import { t } from "../i18n/index.js";
import { openModal } from "../components/modal.js";
import { toast } from "../components/toast.js";

/** Departments in tree order (parents before children), as GET /departments lists them. */
export function treeOrder(departments) {
  const children = new Map();
  for (const department of departments) {
    const key = department.parent_id ?? 0;
    if (!children.has(key)) children.set(key, []);
    children.get(key).push(department);
  }
  const ordered = [];
  const walk = (parent) => {
    const list = (children.get(parent) || []).sort((a, b) => a.sort_order - b.sort_order || a.name.localeCompare(b.name, "zh-CN"));
    for (const department of list) {
      ordered.push(department);
      walk(department.id);
    }
  };
  walk(0);
  return ordered;
}

export function openAnnouncementEditor({ orgId, announcement = null, onSaved = () => {} }) {
  const editing = Boolean(announcement);
  const error = h("div", { class: "form-error", role: "alert", hidden: true });
  const title = h("input", { class: "input", id: "ann-title", maxlength: 128, value: announcement ? announcement.title : "", autofocus: true, placeholder: t("ann.titlePlaceholder") });
  const body = h("textarea", { class: "textarea ann-body-input", id: "ann-body", rows: 10, maxlength: 32000, placeholder: t("ann.bodyPlaceholder") });
  body.value = announcement ? announcement.body : "";
  const pinned = h("input", { type: "checkbox", id: "ann-pinned", checked: announcement ? announcement.pinned : false });
  const asDing = h("input", { type: "checkbox", id: "ann-ding" });

  const everyone = h("input", { type: "radio", name: "ann-audience", id: "ann-all", value: "all", checked: true });
  const some = h("input", { type: "radio", name: "ann-audience", id: "ann-some", value: "departments" });
  const departmentList = h("ul", { class: "picker-list scroll ann-departments", hidden: true });
  const chosen = new Set();
  everyone.addEventListener("change", () => { departmentList.hidden = true; });
  some.addEventListener("change", () => { departmentList.hidden = false; });

  async function loadDepartments() {
    try {
      const departments = treeOrder(await api.get(`/orgs/${orgId}/departments`));
      const rows = departments.map((department) => {
        const box = h("input", { type: "checkbox", value: String(department.id) });
        box.addEventListener("change", () => (box.checked ? chosen.add(department.id) : chosen.delete(department.id)));
        return h("li", {}, h("label", { class: "picker-row ann-department", dataset: { depth: Math.min(department.depth, 6) } }, box,
          h("span", { class: "picker-name ellipsis", text: department.name }),
          h("span", { class: "muted", text: t("ann.people", { n: department.member_count }) })));
      });
      replaceChildren(departmentList, rows.length ? rows : h("li", { class: "list-empty", text: t("ann.noDepartments") }));
    } catch (err) {
      replaceChildren(departmentList, h("li", { class: "list-empty", text: errorText(err) }));
    }
  }

  const audience = editing
    ? null
    : h("fieldset", { class: "field ann-audience" },
      h("legend", { class: "field-label", text: t("ann.audience") }),
      h("label", { class: "checkbox", for: "ann-all" }, everyone, h("span", { text: t("ann.wholeOrg") })),
      h("label", { class: "checkbox", for: "ann-some" }, some, h("span", { text: t("ann.someDepartments") })),
      departmentList);

  const save = h("button", { class: "btn btn-primary ann-save", type: "button", text: editing ? t("action.save") : t("ann.publish") });
  const modal = openModal({
    title: editing ? t("ann.edit") : t("ann.new"),
    wide: true,
    className: "ann-editor",
    body: h("div", {}, error,
      h("div", { class: "field" }, h("label", { for: "ann-title", text: t("ann.titleLabel") }), title),
      h("div", { class: "field" }, h("label", { for: "ann-body", text: t("ann.bodyLabel") }), body,
        h("span", { class: "field-hint", text: t("ann.markdownHint") })),
      audience,
      h("div", { class: "field ann-options" },
        h("label", { class: "checkbox", for: "ann-pinned" }, pinned, h("span", { text: t("ann.pinIt") })),
        editing ? null : h("label", { class: "checkbox", for: "ann-ding" }, asDing, h("span", { text: t("ann.asDing") })),
        editing ? null : h("span", { class: "field-hint", text: t("ann.asDingHint") }))),
    actions: [h("button", { class: "btn", type: "button", text: t("action.cancel"), on: { click: () => modal.close() } }), save],
  });
  if (!editing) loadDepartments();

  save.addEventListener("click", async () => {
    const fail = (text, focus) => {
      error.textContent = text;
      error.hidden = false;
      if (focus) focus.focus();
    };
    if (!title.value.trim()) return fail(t("ann.needTitle"), title);
    if (!body.value.trim()) return fail(t("ann.needBody"), body);
    if (!editing && some.checked && !chosen.size) return fail(t("ann.needDepartments"));
    save.disabled = true;
    try {
      const fields = { title: title.value.trim(), body: body.value, pinned: pinned.checked };
      const stored = editing
        ? await api.patch(`/orgs/${orgId}/announcements/${announcement.id}`, fields)
        : await api.post(`/orgs/${orgId}/announcements`, {
          ...fields, department_ids: some.checked ? [...chosen] : [], as_ding: asDing.checked,
        });
      modal.close();
      toast(editing ? t("ann.saved") : t("ann.published"));
      onSaved(stored);
    } catch (err) {
      save.disabled = false;
      fail(errorText(err));
    }
  });
}
