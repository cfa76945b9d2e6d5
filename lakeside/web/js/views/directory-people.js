// The directory's main pane: a department (its sub-departments and its people, leaders first),
// the whole organization, and a colleague's card (title, employee number, departments, work phone,
// e-mail) with "Message" and, for admins or the person, "Edit".

import { openDirect } from "../actions.js";
import { api } from "../api.js";
import { h, replaceChildren } from "../dom.js";
import { errorText } from "../errors.js";
import { t } from "../i18n/index.js";
import { icon } from "../icons.js";
import { navigate } from "../router.js";
import { state } from "../store.js";
import { avatar } from "../components/avatar.js";
import { toast } from "../components/toast.js";
import { pathTo, totalCount } from "./directory-tree.js";
import { editMember } from "./member-edit.js";

const collator = new Intl.Collator(["zh-CN-u-co-pinyin", "en"], { numeric: true });

/** The organization is gone for this user (removed, left): org.js drops it and switches. */
export function orgGone(error) {
  return error && error.code === "ORG_NOT_FOUND";
}

export function memberAvatar(member, size = "md") {
  return avatar({ id: member.user_id, name: member.name, url: member.avatar_url, size });
}

export function roleTag(member) {
  if (member.role !== "owner" && member.role !== "admin") return null;
  return h("span", { class: ["role-tag", member.role === "owner" && "owner"], text: t(`role.${member.role}`) });
}

/** One person in a list, linking to their card; `leaderOf` marks a department's leaders. */
export function personLink(member, { leaderOf = null, href = `#/directory/member/${member.user_id}`, active = false } = {}) {
  const leader = leaderOf !== null && member.departments.some((seat) => seat.id === leaderOf && seat.is_leader);
  const meta = [member.title, member.departments.map((seat) => seat.name).join(t("list.separator"))].filter(Boolean).join(" · ");
  return h("li", {}, h("a", { class: ["person-row person-link", active && "active"], href, dataset: { userId: member.user_id } },
    memberAvatar(member),
    h("div", { class: "person-text" },
      h("span", { class: "person-name" }, h("span", { class: "ellipsis", text: member.name }),
        leader ? h("span", { class: "role-tag leader-tag", text: t("dir.leader") }) : null, roleTag(member),
        member.status === "deactivated" ? h("span", { class: "role-tag off-tag", text: t("dir.deactivated") }) : null),
      meta ? h("span", { class: "person-meta ellipsis", text: meta }) : null)));
}

function pageFrame(main, { title, back = "#/directory", crumbs = null, actions = null }, ...body) {
  replaceChildren(main, h("div", { class: "page" },
    h("header", { class: "page-head" },
      h("a", { class: "icon-btn back-btn", href: back, "aria-label": t("action.back") }, icon("back")),
      h("h2", { class: "page-title ellipsis grow", text: title }), actions),
    h("div", { class: "page-body scroll" }, crumbs, ...body)));
}

function spinner(main) {
  replaceChildren(main, h("div", { class: "empty-state" }, h("span", { class: "spinner" })));
}

function crumbsFor(org, tree, deptId) {
  const path = deptId ? pathTo(tree, deptId) : [];
  const items = [h("a", { href: "#/directory", text: org.name })];
  for (const dept of path) items.push(h("span", { class: "crumb-sep", "aria-hidden": "true", text: "›" }), h("a", { href: `#/directory/dept/${dept.id}`, text: dept.name }));
  return h("nav", { class: "crumbs", "aria-label": t("dir.path") }, items);
}

function subDepartments(tree, parentId) {
  const rows = (tree.children.get(parentId) || []).map((dept) => h("li", {}, h("a", { class: "dept-row", href: `#/directory/dept/${dept.id}` },
    h("span", { class: "dept-icon", "aria-hidden": "true" }, icon("directory", "icon-sm")),
    h("span", { class: "grow ellipsis", text: dept.name }),
    h("span", { class: "muted", text: t("dir.peopleCount", { n: totalCount(tree, dept.id) }) }),
    icon("chevronRight", "icon-sm muted"))));
  return rows.length ? h("ul", { class: "dept-list" }, rows) : null;
}

/** A department: its path, sub-departments, then its people (leaders first). */
export async function departmentPage(main, { org, tree, deptId, isCurrent }) {
  const dept = tree.byId.get(deptId);
  if (!dept) {
    pageFrame(main, { title: t("dir.title") }, h("p", { class: "list-empty", text: t("dir.noSuchDepartment") }));
    return;
  }
  if (!main.querySelector(".page")) spinner(main);
  let members;
  try {
    members = await api.get(`/orgs/${org.id}/departments/${deptId}/members`);
  } catch (error) {
    if (isCurrent() && !orgGone(error)) pageFrame(main, { title: dept.name }, h("p", { class: "form-error", text: errorText(error) }));
    return;
  }
  if (!isCurrent()) return;
  const leader = (member) => (member.departments.some((seat) => seat.id === deptId && seat.is_leader) ? 0 : 1);
  members.sort((a, b) => leader(a) - leader(b) || collator.compare(a.name, b.name));
  const back = dept.parent_id ? `#/directory/dept/${dept.parent_id}` : "#/directory";
  pageFrame(main, { title: dept.name, back, crumbs: crumbsFor(org, tree, deptId) },
    subDepartments(tree, deptId),
    h("h3", { class: "section-title", text: t("dir.peopleHere", { n: members.length }) }),
    h("ul", { class: "person-list" }, members.length ? members.map((member) => personLink(member, { leaderOf: deptId }))
      : h("li", { class: "list-empty", text: t("dir.nobodyHere") })));
}

/** The organization: its top departments, then everyone, a page at a time. */
export async function orgPage(main, { org, tree, isCurrent }) {
  if (!main.querySelector(".page")) spinner(main);
  const list = h("ul", { class: "person-list" });
  const more = h("button", { class: "btn search-more", type: "button", text: t("dir.loadMore"), hidden: true });
  let after = 0;
  async function load() {
    more.disabled = true;
    try {
      const page = await api.get(`/orgs/${org.id}/members`, { after, limit: 50 });
      if (!isCurrent()) return false;
      list.append(...page.members.map((member) => personLink(member)));
      after = page.next_after;
      more.hidden = after === null;
    } catch (error) {
      if (isCurrent() && !orgGone(error)) toast(errorText(error), "error");
    }
    more.disabled = false;
    return true;
  }
  more.addEventListener("click", load);
  if (!(await load())) return;
  pageFrame(main, { title: org.name },
    subDepartments(tree, null),
    h("h3", { class: "section-title", text: t("dir.everyone", { n: org.member_count }) }), list, more);
}

function infoRow(iconName, label, value, extra = null) {
  if (value === null || value === undefined || value === "") return null;
  return h("div", { class: "info-row" }, h("dt", {}, icon(iconName, "icon-sm"), h("span", { text: label })), h("dd", {}, value, extra));
}

/** A colleague's card. */
export async function memberPage(main, { org, userId, admin, isCurrent, onEdited }) {
  if (!main.querySelector(".page")) spinner(main);
  let member;
  try {
    member = await api.get(`/orgs/${org.id}/members/${userId}`);
  } catch (error) {
    if (isCurrent() && !orgGone(error)) pageFrame(main, { title: t("dir.card") }, h("p", { class: "form-error", text: errorText(error) }));
    return;
  }
  if (!isCurrent()) return;
  const me = state.me && member.user_id === state.me.id;
  const seats = member.departments.map((seat) => h("a", { class: "seat-chip", href: `#/directory/dept/${seat.id}` }, seat.name,
    seat.is_leader ? h("span", { class: "seat-lead", text: t("dir.leader") }) : null));
  const phone = member.work_phone
    ? h("a", { href: `tel:${member.work_phone}`, text: member.work_phone })
    : member.hide_phone ? h("span", { class: "muted", text: t("dir.phoneHidden") }) : null;
  const message = async () => {
    try {
      const conversation = await openDirect(member.user_id);
      navigate(`chats/${conversation.id}`);
    } catch (error) {
      toast(errorText(error), "error");
    }
  };
  const edit = async () => {
    const updated = await editMember(org.id, member, { admin });
    if (updated) onEdited();
  };
  const card = h("div", { class: "profile-card member-card" },
    memberAvatar(member, "xl"),
    h("h2", { class: "profile-name" }, member.name, roleTag(member)),
    member.display_name !== member.name ? h("p", { class: "muted", text: t("dir.alsoKnownAs", { name: member.display_name }) }) : null,
    h("p", { class: "muted", text: [member.title, `@${member.username}`].filter(Boolean).join(" · ") }),
    member.status === "deactivated" ? h("p", { class: "role-tag off-tag", text: t("dir.deactivated") }) : null,
    h("dl", { class: "info-list" },
      infoRow("briefcase", t("dir.title"), member.title),
      infoRow("info", t("dir.employeeNo"), member.employee_no),
      infoRow("directory", t("dir.departments"), seats.length ? h("span", { class: "seat-chips" }, seats) : null),
      infoRow("phone", t("dir.workPhone"), phone, member.hide_phone && member.work_phone ? h("span", { class: "muted", text: ` · ${t("dir.hiddenFromOthers")}` }) : null),
      infoRow("mail", t("dir.email"), member.email ? h("a", { href: `mailto:${member.email}`, text: member.email }) : null)),
    h("div", { class: "profile-actions" },
      me ? null : h("button", { class: "btn btn-primary", type: "button", on: { click: message } }, icon("chat", "icon-sm"), t("dir.message")),
      admin || me ? h("button", { class: "btn", type: "button", on: { click: edit } }, icon("edit", "icon-sm"), admin ? t("dir.edit") : t("dir.editMyPhone")) : null));
  const back = history.length > 1 ? null : "#/directory";
  pageFrame(main, { title: t("dir.card"), back: back || "#/directory" }, card);
  if (!back) {
    const link = main.querySelector(".back-btn");
    link.addEventListener("click", (event) => { event.preventDefault(); history.back(); });
  }
}
