// Admin page: the organization's members. Search (name, pinyin, initials, department…), show the
// deactivated too, and for each person: edit the profile and departments, appoint or dismiss an
// admin and hand over ownership (the owner), deactivate or reactivate, and remove.

import { api } from "../api.js";
import { debounce, h, replaceChildren } from "../dom.js";
import { t } from "../i18n/index.js";
import { icon } from "../icons.js";
import { isOrgOwner, loadOrgs } from "../org.js";
import { state } from "../store.js";
import { confirmDialog } from "../components/modal.js";
import { openMenu } from "../components/popover.js";
import { toast } from "../components/toast.js";
import { adminFrame, guard } from "./admin-ui.js";
import { memberAvatar, roleTag } from "./directory-people.js";
import { editMember } from "./member-edit.js";

export function mountMembersAdmin(main, { org, title }) {
  const search = h("input", { class: "input search-input", type: "search", id: "admin-member-search", placeholder: t("dir.searchPlaceholder"), "aria-label": t("dir.search"), autocomplete: "off" });
  const showOff = h("input", { type: "checkbox", id: "admin-show-off" });
  const count = h("span", { class: "muted admin-count" });
  const list = h("ul", { class: "person-list admin-members", "aria-live": "polite" });
  const more = h("button", { class: "btn search-more", type: "button", text: t("dir.loadMore"), hidden: true, on: { click: () => load(false) } });
  const body = adminFrame(main, title, { wide: true });
  replaceChildren(body,
    h("div", { class: "admin-toolbar" }, search,
      h("label", { class: "checkbox", for: "admin-show-off" }, showOff, h("span", { text: t("admin.showDeactivated") }))),
    count, list, more);

  let after = 0;
  let token = 0;
  let alive = true;

  async function load(reset) {
    const mine = ++token;
    if (reset) after = 0;
    more.disabled = true;
    const page = await guard(api.get(`/orgs/${org.id}/members`, {
      q: search.value.trim(), include_deactivated: showOff.checked ? "true" : null, after, limit: 50,
    }));
    more.disabled = false;
    if (!page || !alive || mine !== token) return;
    const rows = page.members.map(row);
    if (reset) replaceChildren(list, rows.length ? rows : h("li", { class: "list-empty", text: t("dir.noMatch", { q: search.value.trim() }) }));
    else list.append(...rows);
    after = page.next_after;
    more.hidden = after === null;
    count.textContent = search.value.trim() ? "" : t("org.memberCount", { n: org.member_count });
  }

  function row(member) {
    const seats = member.departments.map((seat) => (seat.is_leader ? t("dir.seatLed", { name: seat.name, role: t("dir.leader") }) : seat.name))
      .join(t("list.separator"));
    const meta = [member.title, member.employee_no ? `#${member.employee_no}` : null, seats || t("admin.noDepartment")].filter(Boolean).join(" · ");
    const menuButton = h("button", { class: "icon-btn", type: "button", "aria-label": t("admin.memberActions", { name: member.name }), "aria-haspopup": "menu" }, icon("more"));
    menuButton.addEventListener("click", () => openMenu(menuButton, actions(member), { label: t("admin.memberActions", { name: member.name }) }));
    return h("li", { class: ["person-row", member.status === "deactivated" && "is-off"], dataset: { userId: member.user_id } },
      memberAvatar(member),
      h("div", { class: "person-text" },
        h("span", { class: "person-name" }, h("span", { class: "ellipsis", text: member.name }), roleTag(member),
          member.status === "deactivated" ? h("span", { class: "role-tag off-tag", text: t("dir.deactivated") }) : null),
        h("span", { class: "person-meta ellipsis", text: meta })),
      h("div", { class: "person-actions" },
        h("button", { class: "btn btn-sm", type: "button", text: t("dir.edit"), on: { click: () => edit(member) } }), menuButton));
  }

  function actions(member) {
    const owner = isOrgOwner();
    const self = state.me && member.user_id === state.me.id;
    const isOwner = member.role === "owner";
    const active = member.status !== "deactivated";
    const manageable = !self && !isOwner && (owner || member.role !== "admin");
    return [
      { label: t("admin.viewCard"), icon: "user", onSelect: () => { window.location.hash = `#/directory/member/${member.user_id}`; } },
      { label: t("admin.makeAdmin"), icon: "shield", hidden: !owner || member.role !== "member" || !active, onSelect: () => setRole(member, "admin") },
      { label: t("admin.dismissAdmin"), icon: "shield", hidden: !owner || member.role !== "admin", onSelect: () => setRole(member, "member") },
      { label: t("admin.transfer"), icon: "swap", hidden: !owner || self || !active, onSelect: () => transfer(member) },
      { label: t("admin.deactivate"), icon: "block", hidden: !manageable || !active, onSelect: () => deactivate(member, false) },
      { label: t("admin.reactivate"), icon: "retry", hidden: !manageable || active, onSelect: () => deactivate(member, true) },
      { label: t("admin.remove"), icon: "trash", danger: true, hidden: !manageable, onSelect: () => remove(member) },
    ];
  }

  async function edit(member) {
    if (await editMember(org.id, member, { admin: true })) load(true);
  }

  async function setRole(member, role) {
    if (await guard(api.put(`/orgs/${org.id}/members/${member.user_id}/role`, { role }))) {
      toast(role === "admin" ? t("admin.madeAdmin", { name: member.name }) : t("admin.dismissedAdmin", { name: member.name }));
      load(true);
    }
  }

  async function transfer(member) {
    if (!await confirmDialog({ title: t("admin.transfer"), message: t("admin.transferConfirm", { name: member.name, org: org.name }), confirmLabel: t("admin.transfer"), danger: true })) return;
    if (await guard(api.post(`/orgs/${org.id}/transfer`, { user_id: member.user_id }))) {
      toast(t("admin.transferred", { name: member.name }));
      await loadOrgs().catch(() => {});
    }
  }

  async function deactivate(member, back) {
    if (!back && !await confirmDialog({ title: t("admin.deactivate"), message: t("admin.deactivateConfirm", { name: member.name }), confirmLabel: t("admin.deactivate"), danger: true })) return;
    if (await guard(api.post(`/orgs/${org.id}/members/${member.user_id}/${back ? "reactivate" : "deactivate"}`))) load(true);
  }

  async function remove(member) {
    if (!await confirmDialog({ title: t("admin.remove"), message: t("admin.removeConfirm", { name: member.name, org: org.name }), confirmLabel: t("admin.remove"), danger: true })) return;
    if (await guard(api.del(`/orgs/${org.id}/members/${member.user_id}`))) {
      toast(t("admin.removed", { name: member.name }));
      load(true);
    }
  }

  const onInput = debounce(() => load(true), 250);
  search.addEventListener("input", onInput);
  showOff.addEventListener("change", () => load(true));
  const refreshSoon = debounce(() => load(true), 300);
  load(true);

  return {
    refresh: refreshSoon,
    orgChanged(next) { org = next; },
    destroy() {
      alive = false;
      onInput.cancel();
      refreshSoon.cancel();
    },
  };
}
