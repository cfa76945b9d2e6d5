// Editing a member's profile in the organization: admins change the name used there, title,
// employee number, work phone (and whether it is hidden) and the departments the person sits in
// (and leads); a member changes only their own work phone and its visibility.

import { api } from "../api.js";
import { h } from "../dom.js";
import { errorText } from "../errors.js";
import { t } from "../i18n/index.js";
import { openModal } from "../components/modal.js";
import { toast } from "../components/toast.js";
import { buildTree, flatten } from "./directory-tree.js";

/** Resolves with the updated member, or null when cancelled. */
export async function editMember(orgId, member, { admin }) {
  const departments = admin ? await api.get(`/orgs/${orgId}/departments`) : [];
  return new Promise((resolve) => {
    let saved = null;
    const input = (id, value, extra = {}) => h("input", { class: "input", id, value: value || "", ...extra });
    const field = (id, label, control, hint = null) => h("div", { class: "field" },
      h("label", { for: id, text: label }), control, hint ? h("span", { class: "field-hint", text: hint }) : null);
    const name = input("mem-name", member.name, { maxlength: 256 });
    const title = input("mem-title", member.title, { maxlength: 256 });
    const employeeNo = input("mem-no", member.employee_no, { maxlength: 64 });
    const phone = input("mem-phone", member.work_phone, { maxlength: 32, type: "tel" });
    const hide = h("input", { type: "checkbox", class: "switch", id: "mem-hide", checked: member.hide_phone });
    const seats = new Map(member.departments.map((seat) => [seat.id, seat.is_leader]));

    const deptRows = flatten(buildTree(departments)).map(({ dept, depth }) => {
      const box = h("input", { type: "checkbox", checked: seats.has(dept.id), "aria-label": dept.name });
      const lead = h("input", { type: "checkbox", checked: seats.get(dept.id) === true, disabled: !seats.has(dept.id) });
      box.addEventListener("change", () => {
        if (box.checked) seats.set(dept.id, lead.checked);
        else seats.delete(dept.id);
        lead.disabled = !box.checked;
        if (!box.checked) lead.checked = false;
      });
      lead.addEventListener("change", () => { if (seats.has(dept.id)) seats.set(dept.id, lead.checked); });
      const row = h("li", { class: "seat-row" },
        h("label", { class: "checkbox grow" }, box, h("span", { class: "ellipsis", text: dept.name })),
        h("label", { class: "checkbox seat-leader" }, lead, h("span", { text: t("dir.leader") })));
      row.firstChild.style.paddingLeft = `${depth * 16}px`;
      return row;
    });

    const form = h("form", { class: "member-form" },
      admin ? field("mem-name", t("dir.orgName"), name, t("dir.orgNameHint")) : null,
      admin ? field("mem-title", t("dir.title"), title) : null,
      admin ? field("mem-no", t("dir.employeeNo"), employeeNo) : null,
      field("mem-phone", t("dir.workPhone"), phone),
      h("label", { class: "checkbox switch-row", for: "mem-hide" }, hide, h("span", { text: t("dir.hidePhone") })),
      admin ? h("div", { class: "field" }, h("span", { class: "field-label", text: t("dir.departments") }),
        deptRows.length ? h("ul", { class: "seat-list scroll" }, deptRows) : h("p", { class: "muted", text: t("dir.noDepartmentsYet") })) : null);

    async function save(event) {
      event.preventDefault();
      const changes = {};
      const text = (el) => el.value.trim() || null;
      if (admin) {
        if (text(name) && text(name) !== member.name) changes.name = text(name);
        if (text(title) !== (member.title || null)) changes.title = text(title);
        if (text(employeeNo) !== (member.employee_no || null)) changes.employee_no = text(employeeNo);
      }
      if (text(phone) !== (member.work_phone || null)) changes.work_phone = text(phone);
      if (hide.checked !== member.hide_phone) changes.hide_phone = hide.checked;
      const before = member.departments.map((seat) => `${seat.id}:${seat.is_leader}`).sort().join();
      const after = [...seats].map(([id, leader]) => `${id}:${leader}`).sort().join();
      try {
        let result = member;
        if (Object.keys(changes).length) result = await api.patch(`/orgs/${orgId}/members/${member.user_id}`, changes);
        if (admin && before !== after) {
          result = await api.put(`/orgs/${orgId}/members/${member.user_id}/departments`, {
            department_ids: [...seats.keys()],
            leader_of: [...seats].filter(([, leader]) => leader).map(([id]) => id),
          });
        }
        saved = result;
        toast(t("dir.saved"));
        modal.close();
      } catch (error) {
        toast(errorText(error), "error");
      }
    }
    form.addEventListener("submit", save);

    const modal = openModal({
      title: t("dir.editMember", { name: member.name }),
      body: form,
      wide: true,
      onClose: () => resolve(saved),
      actions: [
        h("button", { class: "btn", type: "button", text: t("action.cancel"), on: { click: () => modal.close() } }),
        h("button", { class: "btn btn-primary", type: "button", text: t("action.save"), on: { click: save } }),
      ],
    });
  });
}
