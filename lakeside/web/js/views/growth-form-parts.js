// Parts of the campaign editor: prize tier rows, the choice of participants (whole organization,
// departments, or a list of people), and the 2013 Laiwang campaign as a ready-made example.

import { api } from "../api.js";
import { h, replaceChildren } from "../dom.js";
import { t } from "../i18n/index.js";
import { icon } from "../icons.js";
import { displayName } from "../store.js";
import { searchPicker } from "../components/user-picker.js";

const DAY_MS = 86_400_000;

/** Today (or `days` from today) as YYYY-MM-DD in the browser's zone. */
export function isoDay(days = 0) {
  const date = new Date(Date.now() + days * DAY_MS);
  return `${date.getFullYear()}-${String(date.getMonth() + 1).padStart(2, "0")}-${String(date.getDate()).padStart(2, "0")}`;
}

/**
 * A campaign the server ships as an example (GET /campaign-templates: the 2013 Laiwang contest),
 * moved to start today in the browser's calendar with its lengths kept, since a campaign in the
 * past would be over at once.
 */
export async function loadTemplate(key) {
  const templates = await api.get("/campaign-templates", { start: isoDay(0) });
  const found = templates.find((template) => template.key === key);
  if (!found) throw new Error(`no campaign template ${key}`);
  return found.spec;
}

/** Editable rows of prize tiers; value() gives them back as the document's tiers (amounts in fen). */
export function tierEditor(tiers, { prefix }) {
  const rows = h("tbody", {});
  const table = h("table", { class: "g-table g-tier-table" },
    h("thead", {}, h("tr", {}, [t("growth.tierName"), t("growth.tierNameEn"), t("growth.tierCount"), t("growth.tierAmount"), ""].map((label) => h("th", { scope: "col", text: label })))),
    rows);
  let made = 0;

  function add(tier = null) {
    made += 1;
    const key = tier ? tier.key : `${prefix}${Date.now().toString(36)}${made}`;
    const name = h("input", { class: "input", maxlength: 64, required: true, value: tier ? tier.name : "", "aria-label": t("growth.tierName") });
    const nameEn = h("input", { class: "input", maxlength: 64, value: tier ? tier.name_en || "" : "", "aria-label": t("growth.tierNameEn") });
    const count = h("input", { class: "input input-number", type: "number", min: 1, max: 10000, value: tier ? tier.count : 1, "aria-label": t("growth.tierCount") });
    const amount = h("input", { class: "input input-number", type: "number", min: 0, step: "0.01", value: tier ? tier.amount_fen / 100 : 0, "aria-label": t("growth.tierAmount") });
    const row = h("tr", { dataset: { key } },
      h("td", {}, name), h("td", {}, nameEn), h("td", {}, count),
      h("td", {}, h("span", { class: "g-yuan" }, h("span", { class: "muted", text: "¥" }), amount)),
      h("td", {}, h("button", { class: "icon-btn", type: "button", "aria-label": t("growth.removeTier"), title: t("growth.removeTier"), on: { click: () => { row.remove(); changed(); } } }, icon("trash"))));
    row.read = () => ({ key, name: name.value.trim(), name_en: nameEn.value.trim(), count: Number(count.value) || 0, amount_fen: Math.round(Number(amount.value || 0) * 100) });
    rows.append(row);
    changed();
    return row;
  }

  let onChange = () => {};
  function changed() {
    table.hidden = rows.children.length === 0;
    onChange();
  }

  for (const tier of tiers || []) add(tier);
  changed();
  const addButton = h("button", { class: "btn btn-sm", type: "button", on: { click: () => add().querySelector("input").focus() } }, icon("plus", "icon-sm"), t("growth.addTier"));
  return {
    el: h("div", { class: "g-tiers-editor" }, table, addButton),
    value: () => [...rows.children].map((row) => row.read()),
    set(next) {
      replaceChildren(rows);
      for (const tier of next || []) add(tier);
      changed();
    },
    onChange(fn) {
      onChange = fn;
    },
  };
}

/** Departments of the organization, in tree order, with their depth. */
async function departments(orgId) {
  const all = await api.get(`/orgs/${orgId}/departments`);
  const children = new Map();
  for (const dept of all) {
    const key = dept.parent_id ?? 0;
    if (!children.has(key)) children.set(key, []);
    children.get(key).push(dept);
  }
  const ordered = [];
  const walk = (parent, depth) => {
    for (const dept of (children.get(parent) || []).sort((a, b) => a.sort_order - b.sort_order || a.name.localeCompare(b.name, "zh-CN"))) {
      ordered.push({ ...dept, depth });
      walk(dept.id, depth + 1);
    }
  };
  walk(0, 0);
  return ordered;
}

/** Who takes part: the whole organization, chosen departments, or chosen people. */
export function participantsEditor(orgId, participants) {
  const value = { kind: "organization", departments: [], include_subdepartments: true, user_ids: [], ...participants };
  const kinds = h("div", { class: "g-radios", role: "radiogroup", "aria-label": t("growth.participants") });
  const deptBox = h("div", { class: "g-dept-list" });
  const subs = h("input", { type: "checkbox", checked: value.include_subdepartments });
  const chosenDepts = new Set(value.departments);
  const picker = searchPicker({
    search: async (query) => (await api.get(`/orgs/${orgId}/members`, { q: query || null, limit: 50 })).members
      .map((member) => ({ id: member.user_id, name: member.name || member.display_name, meta: member.title || `@${member.username}` })),
    placeholder: t("growth.findPeople"),
  });
  if (value.user_ids.length) picker.choose(value.user_ids.map((id) => ({ id, name: displayName(id) })));
  const deptPane = h("div", { class: "g-sub" }, deptBox, h("label", { class: "g-check" }, subs, h("span", { text: t("growth.includeSubdepartments") })));
  const peoplePane = h("div", { class: "g-sub" }, picker.el);

  function renderKinds() {
    replaceChildren(kinds, [["organization", t("growth.wholeOrg")], ["departments", t("growth.byDepartment")], ["users", t("growth.byList")]].map(([kind, label]) => {
      const radio = h("input", { type: "radio", name: "g-participants", value: kind, checked: value.kind === kind });
      radio.addEventListener("change", () => {
        value.kind = kind;
        show();
      });
      return h("label", { class: "g-radio" }, radio, h("span", { text: label }));
    }));
  }

  function show() {
    deptPane.hidden = value.kind !== "departments";
    peoplePane.hidden = value.kind !== "users";
  }

  departments(orgId).then((list) => {
    const byName = new Map(list.map((dept) => [dept.name, dept.id]));
    // A document may name departments ("研发中心"); the editor works with their ids.
    for (const item of [...chosenDepts]) {
      if (typeof item === "string" && byName.has(item)) {
        chosenDepts.delete(item);
        chosenDepts.add(byName.get(item));
      }
    }
    replaceChildren(deptBox, list.length ? list.map((dept) => {
      const box = h("input", { type: "checkbox", value: String(dept.id), checked: chosenDepts.has(dept.id) });
      box.addEventListener("change", () => (box.checked ? chosenDepts.add(dept.id) : chosenDepts.delete(dept.id)));
      return h("label", { class: `g-check g-depth-${Math.min(dept.depth, 4)}` }, box, h("span", { text: dept.name }),
        h("span", { class: "muted", text: String(dept.member_count) }));
    }) : h("p", { class: "muted", text: t("growth.noDepartments") }));
  }).catch(() => replaceChildren(deptBox, h("p", { class: "form-error", text: t("error.generic") })));

  renderKinds();
  show();
  return {
    el: h("div", { class: "g-participants" }, kinds, deptPane, peoplePane),
    value: () => ({
      kind: value.kind,
      departments: value.kind === "departments" ? [...chosenDepts] : [],
      include_subdepartments: subs.checked,
      user_ids: value.kind === "users" ? [...picker.chosen] : [],
    }),
  };
}
