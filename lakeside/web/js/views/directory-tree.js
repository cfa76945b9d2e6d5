// The department tree, shared by the directory and the admin pages: building it from the flat
// list the server sends (parents first), paths and descendants, and drawing it as a nested,
// expandable list (role=tree) with member counts.

import { h } from "../dom.js";
import { t } from "../i18n/index.js";
import { icon } from "../icons.js";

const collator = new Intl.Collator(["zh-CN-u-co-pinyin", "en"], { numeric: true });

/** {byId, children: Map(parentId|null -> [dept]), roots} with siblings in the organization's order. */
export function buildTree(departments) {
  const byId = new Map(departments.map((dept) => [dept.id, dept]));
  const children = new Map();
  for (const dept of departments) {
    const parent = dept.parent_id !== null && byId.has(dept.parent_id) ? dept.parent_id : null;
    if (!children.has(parent)) children.set(parent, []);
    children.get(parent).push(dept);
  }
  for (const list of children.values()) list.sort((a, b) => a.sort_order - b.sort_order || collator.compare(a.name, b.name));
  return { byId, children, roots: children.get(null) || [] };
}

/** The departments from the top down to `id` (inclusive). */
export function pathTo(tree, id) {
  const path = [];
  let dept = tree.byId.get(id);
  while (dept && path.length < 32) {
    path.unshift(dept);
    dept = dept.parent_id !== null ? tree.byId.get(dept.parent_id) : null;
  }
  return path;
}

/** Every department below `id` (not including it). */
export function descendantsOf(tree, id) {
  const found = [];
  const walk = (parent) => {
    for (const child of tree.children.get(parent) || []) {
      found.push(child);
      walk(child.id);
    }
  };
  walk(id);
  return found;
}

/** People in a department and everything below it, counted once per seat. */
export function totalCount(tree, id) {
  const dept = tree.byId.get(id);
  return (dept ? dept.member_count : 0) + descendantsOf(tree, id).reduce((sum, child) => sum + child.member_count, 0);
}

/** Departments in tree order, each with its depth, for pickers and selects. */
export function flatten(tree) {
  const out = [];
  const walk = (parent, depth) => {
    for (const dept of tree.children.get(parent) || []) {
      out.push({ dept, depth });
      walk(dept.id, depth + 1);
    }
  };
  walk(null, 0);
  return out;
}

/**
 * A nested tree. options: selected (id), expanded (Set of ids, changed in place), href(dept),
 * onToggle(), extra(dept) -> node appended to the row (buttons in admin).
 */
export function renderTree(tree, { selected = null, expanded, href, onToggle, extra = null }) {
  const branch = (parent, depth) => {
    const items = (tree.children.get(parent) || []).map((dept) => {
      const kids = tree.children.get(dept.id) || [];
      const open = expanded.has(dept.id);
      const toggle = kids.length
        ? h("button", {
          class: ["tree-toggle", open && "open"], type: "button", "aria-label": open ? t("dir.collapse", { name: dept.name }) : t("dir.expand", { name: dept.name }),
          "aria-expanded": open ? "true" : "false",
          on: { click: (event) => { event.preventDefault(); if (open) expanded.delete(dept.id); else expanded.add(dept.id); onToggle(); } },
        }, icon("chevronRight", "icon-sm"))
        : h("span", { class: "tree-toggle-space" });
      const row = h("div", { class: ["tree-row", selected === dept.id && "active"] },
        h("span", { class: "tree-indent", dataset: { depth } }), toggle,
        h("a", { class: "tree-link", href: href(dept), "aria-current": selected === dept.id ? "page" : null, dataset: { departmentId: dept.id } },
          h("span", { class: "tree-name ellipsis", text: dept.name }),
          h("span", { class: "tree-count", text: String(totalCount(tree, dept.id)), title: t("dir.peopleCount", { n: totalCount(tree, dept.id) }) })),
        extra ? extra(dept) : null);
      row.querySelector(".tree-indent").style.width = `${depth * 16}px`;
      return h("li", { role: "treeitem", "aria-expanded": kids.length ? String(open) : null, "aria-selected": selected === dept.id ? "true" : "false" },
        row, kids.length && open ? branch(dept.id, depth + 1) : null);
    });
    return h("ul", { class: "tree", role: depth ? "group" : "tree", "aria-label": depth ? null : t("dir.departments") }, items);
  };
  return branch(null, 0);
}

/** Open every department on the way to `id`, so a selected one is visible. */
export function expandTo(tree, expanded, id) {
  for (const dept of pathTo(tree, id).slice(0, -1)) expanded.add(dept.id);
}
