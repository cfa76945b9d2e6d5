// The approvals designer (admins): the organization's templates, and one template's name, icon,
// fields (added, reordered, configured; a table's columns), flow (steps with their approvers,
// 或签/会签, CC and conditions) and auto-approval settings. Saving a changed form, flow or
// settings makes a new version on the server; requests made before keep theirs. Also the roles
// (角色) page: the named groups of members that flows route to (人事, 财务…).

import { api } from "../api.js";
import { h, replaceChildren } from "../dom.js";
import { errorText } from "../errors.js";
import { formatListTime } from "../format.js";
import { t } from "../i18n/index.js";
import { icon } from "../icons.js";
import { navigate } from "../router.js";
import { confirmDialog, promptDialog } from "../components/modal.js";
import { toast } from "../components/toast.js";
import { pickPeople } from "./approval-form.js";
import { TEMPLATE_ICONS, formatMoney, memberNames, orgDepartments, templateIcon } from "./approval-values.js";

const FIELD_TYPES = ["text", "textarea", "number", "money", "date", "daterange", "datetimerange", "select", "multiselect", "people", "department", "attachment", "image", "table"];
const KINDS = ["user", "leader", "role", "department_leader"];
const OPS = [">", ">=", "<", "<=", "==", "!=", "in"];

function designerPage(title, back, actions, ...body) {
  return h("div", { class: "page appr-page appr-designer" },
    h("header", { class: "page-head" },
      h("a", { class: "icon-btn back-btn", href: back, "aria-label": t("action.back") }, icon("back")),
      h("h2", { class: "page-title grow ellipsis", text: title }), actions),
    h("div", { class: "page-body scroll" }, ...body));
}

export function mountDesigner({ main, orgId, templateId, onSaved }) {
  const path = (rest = "") => `/orgs/${orgId}${rest}`;
  let alive = true;
  if (!templateId) showList();
  else showEditor(templateId === "new" ? null : Number(templateId));

  async function showList() {
    let page;
    try {
      page = await api.get(path("/approval-templates"), { all: true });
    } catch (error) {
      replaceChildren(main, h("div", { class: "empty-state" }, h("p", { text: errorText(error) })));
      return;
    }
    if (!alive) return;
    replaceChildren(main, designerPage(t("appr.manage"), "#/approvals",
      h("div", { class: "appr-designer-actions" },
        h("a", { class: "btn btn-sm", href: "#/approvals/data" }, icon("chart", "icon-sm"), t("appr.data.title")),
        h("a", { class: "btn btn-sm", href: "#/approvals/roles" }, icon("users", "icon-sm"), t("appr.roles")),
        h("a", { class: "btn btn-sm btn-primary", href: "#/approvals/admin/new" }, icon("plus", "icon-sm"), t("appr.newTemplate"))),
      h("ul", { class: "appr-tpl-list" }, page.templates.map((tpl) => h("li", {}, h("a", { class: "appr-tpl-row", href: `#/approvals/admin/${tpl.id}` },
        templateIcon(tpl), h("div", { class: "grow" },
          h("div", { class: "appr-tpl-name", text: tpl.name }),
          h("div", { class: "muted appr-tpl-sub", text: t("appr.versionLine", { version: tpl.version, n: tpl.form.fields.length, steps: tpl.flow.steps.length, time: formatListTime(tpl.updated_at) }) })),
        tpl.enabled ? null : h("span", { class: "appr-tag", text: t("appr.disabled") })))))));
  }

  async function showEditor(id) {
    let template = {
      name: "", description: "", icon: "general", group: "", enabled: true,
      form: { fields: [] }, flow: { steps: [{ name: "", approvers: [{ kind: "leader", level: 1 }], mode: "any", cc: [], when: [] }], cc: [] },
      settings: { auto_approve_applicant: true, auto_approve_repeat: true, remind_after_hours: null },
    };
    let roles = [];
    let departments = [];
    let names = new Map();
    try {
      [roles, departments, names] = await Promise.all([
        api.get(path("/roles")).then((page) => page.roles),
        orgDepartments(orgId).catch(() => []),
        memberNames(orgId).catch(() => new Map()),
      ]);
      if (id) template = await api.get(path(`/approval-templates/${id}`));
    } catch (error) {
      replaceChildren(main, h("div", { class: "empty-state" }, h("p", { text: errorText(error) })));
      return;
    }
    if (!alive) return;
    // A working copy, drawn again from itself on every structural change.
    const draft = JSON.parse(JSON.stringify(template));
    draft.form.fields = draft.form.fields || [];
    let nextKey = draft.form.fields.length + 1;
    const newKey = (taken) => {
      let key;
      do key = `f${nextKey++}`; while (taken.some((f) => f.key === key));
      return key;
    };

    const fieldsBox = h("div", { class: "appr-d-fields" });
    const stepsBox = h("div", { class: "appr-d-steps" });
    const errorBox = h("p", { class: "appr-hint", role: "alert", hidden: true });
    const input = (value, onInput, props = {}) => h("input", { class: "input", value: value ?? "", ...props, on: { input: (event) => onInput(event.target.value) } });
    const check = (checked, label, onChange) => h("label", { class: "appr-check" },
      h("input", { type: "checkbox", checked: !!checked, on: { change: (event) => onChange(event.target.checked) } }), h("span", { text: label }));
    const select = (value, options, onChange, props = {}) => h("select", { class: "input", ...props, on: { change: (event) => onChange(event.target.value) } },
      options.map(([optionValue, label]) => h("option", { value: String(optionValue), text: label, selected: String(optionValue) === String(value) })));
    const small = (label, control) => h("label", { class: "appr-d-prop" }, h("span", { class: "muted", text: label }), control);

    function fieldCard(field, list, index, redraw, { inTable = false } = {}) {
      const move = (delta) => {
        const to = index + delta;
        if (to < 0 || to >= list.length) return;
        [list[index], list[to]] = [list[to], list[index]];
        redraw();
      };
      const props = [
        small(t("appr.d.label"), input(field.label, (v) => { field.label = v; }, { maxlength: 64, "aria-label": t("appr.d.label") })),
        small(t("appr.d.key"), input(field.key, (v) => { field.key = v.trim(); }, {
          maxlength: 32, pattern: "[A-Za-z][A-Za-z0-9_]*", "aria-label": t("appr.d.key"), title: t("appr.d.keyHint"), class: "input appr-d-key",
        })),
        small(t("appr.d.type"), select(field.type, FIELD_TYPES.filter((type) => !inTable || type !== "table").map((type) => [type, t(`appr.type.${type}`)]), (v) => {
          field.type = v;
          if (v === "table" && !field.columns) field.columns = [{ key: "amount", type: "money", label: t("appr.d.amount"), required: true }];
          if ((v === "select" || v === "multiselect") && !field.options) field.options = [];
          redraw();
        }, { "aria-label": t("appr.d.type") })),
        h("div", { class: "appr-d-checks" },
          check(field.required, t("appr.d.required"), (v) => { field.required = v; }),
          inTable ? null : check(field.hidden_from_approvers, t("appr.d.hidden"), (v) => { field.hidden_from_approvers = v; }),
          inTable ? null : check(field.summary, t("appr.d.summary"), (v) => { field.summary = v; }),
          field.type === "people" || field.type === "department" ? check(field.multiple, t("appr.d.multiple"), (v) => { field.multiple = v; }) : null),
      ];
      if (field.type === "select" || field.type === "multiselect") {
        props.push(small(t("appr.d.options"), h("textarea", {
          class: "input", rows: 3, "aria-label": t("appr.d.options"), value: (field.options || []).join("\n"),
          on: { input: (event) => { field.options = event.target.value.split("\n").map((line) => line.trim()).filter(Boolean); } },
        })));
      }
      if (field.type === "table") {
        field.columns = field.columns || [];
        const columnsBox = h("div", { class: "appr-d-columns" });
        const drawColumns = () => replaceChildren(columnsBox,
          field.columns.map((column, i) => fieldCard(column, field.columns, i, drawColumns, { inTable: true })),
          h("button", { class: "btn btn-sm", type: "button", on: { click: () => { field.columns.push({ key: newKey(field.columns), type: "text", label: t("appr.d.newColumn"), required: false }); drawColumns(); } } },
            icon("plus", "icon-sm"), t("appr.d.addColumn")),
          small(t("appr.d.totalOf"), select(field.total_of || "", [["", t("appr.d.noTotal")], ...field.columns.filter((c) => c.type === "money" || c.type === "number").map((c) => [c.key, c.label])],
            (v) => { field.total_of = v || null; }, { "aria-label": t("appr.d.totalOf") })));
        drawColumns();
        props.push(h("div", { class: "appr-d-table" }, h("strong", { text: t("appr.d.columns") }), columnsBox));
      }
      return h("fieldset", { class: ["appr-d-field", inTable && "appr-d-column"], dataset: { key: field.key } },
        h("legend", { class: "appr-d-field-head" },
          h("span", { class: "appr-d-type muted", text: t(`appr.type.${field.type}`) }),
          h("span", { class: "grow" }),
          h("button", { class: "icon-btn", type: "button", "aria-label": t("appr.d.up"), title: t("appr.d.up"), disabled: index === 0, on: { click: () => move(-1) } }, h("span", { "aria-hidden": "true", text: "\u2191" })),
          h("button", { class: "icon-btn", type: "button", "aria-label": t("appr.d.down"), title: t("appr.d.down"), disabled: index === list.length - 1, on: { click: () => move(1) } }, h("span", { "aria-hidden": "true", text: "\u2193" })),
          h("button", { class: "icon-btn", type: "button", "aria-label": t("appr.d.remove"), title: t("appr.d.remove"), on: { click: () => { list.splice(index, 1); redraw(); } } }, icon("trash", "icon-sm"))),
        props);
    }

    function drawFields() {
      replaceChildren(fieldsBox,
        draft.form.fields.map((field, index) => fieldCard(field, draft.form.fields, index, () => { drawFields(); drawSteps(); })),
        h("div", { class: "appr-d-add" },
          select("", [["", t("appr.d.addField")], ...FIELD_TYPES.map((type) => [type, t(`appr.type.${type}`)])], (type) => {
            if (!type) return;
            const field = { key: newKey(draft.form.fields), type, label: t(`appr.type.${type}`), required: false };
            if (type === "select" || type === "multiselect") field.options = [t("appr.d.optionA"), t("appr.d.optionB")];
            if (type === "table") {
              field.columns = [{ key: "amount", type: "money", label: t("appr.d.amount"), required: true }];
              field.total_of = "amount";
            }
            draft.form.fields.push(field);
            drawFields();
            drawSteps();
          }, { "aria-label": t("appr.d.addField"), class: "input appr-d-add-field" })));
    }

    function approverEditor(approver, list, index, redraw) {
      let value;
      if (approver.kind === "user") {
        const name = h("span", { class: "appr-person", text: approver.user_id ? names.get(approver.user_id) || `#${approver.user_id}` : t("appr.d.nobody") });
        value = h("span", { class: "appr-d-user" }, name, h("button", { class: "btn btn-sm", type: "button", text: t("appr.d.choosePerson"), on: { click: async () => {
          const picked = await pickPeople(orgId, { multiple: false });
          if (!picked || !picked.length) return;
          approver.user_id = picked[0].id;
          names.set(picked[0].id, picked[0].name);
          name.textContent = picked[0].name;
        } } }));
      } else if (approver.kind === "leader") {
        value = select(approver.level || 1, [1, 2, 3, 4, 5].map((level) => [level, t("appr.leaderN", { n: level })]), (v) => { approver.level = Number(v); }, { "aria-label": t("appr.d.level") });
      } else if (approver.kind === "role") {
        value = select(approver.role_id || "", [["", t("appr.choosePlaceholder")], ...roles.map((role) => [role.id, role.name])], (v) => { approver.role_id = Number(v) || null; }, { "aria-label": t("appr.d.role") });
      } else {
        value = select(approver.department_id || "", [["", t("appr.choosePlaceholder")], ...departments.map((d) => [d.id, d.name])], (v) => { approver.department_id = Number(v) || null; }, { "aria-label": t("appr.d.department") });
      }
      return h("div", { class: "appr-d-approver" },
        select(approver.kind, KINDS.map((kind) => [kind, t(`appr.kind.${kind}`)]), (kind) => {
          list[index] = kind === "leader" ? { kind, level: 1 } : { kind };
          redraw();
        }, { "aria-label": t("appr.d.approverKind") }),
        value,
        h("button", { class: "icon-btn", type: "button", "aria-label": t("appr.d.remove"), title: t("appr.d.remove"), on: { click: () => { list.splice(index, 1); redraw(); } } }, icon("close", "icon-sm")));
    }

    function approverList(list, label, addLabel) {
      const box = h("div", { class: "appr-d-approvers" });
      const redraw = () => replaceChildren(box, h("span", { class: "muted", text: label }),
        list.map((approver, index) => approverEditor(approver, list, index, redraw)),
        h("button", { class: "btn btn-sm", type: "button", on: { click: () => { list.push({ kind: "leader", level: 1 }); redraw(); } } }, icon("plus", "icon-sm"), addLabel));
      redraw();
      return box;
    }

    function conditionEditor(condition, list, index, redraw) {
      const fields = draft.form.fields.filter((f) => ["number", "money", "daterange", "datetimerange", "select", "table", "text"].includes(f.type));
      const field = draft.form.fields.find((f) => f.key === condition.field);
      const money = field && (field.type === "money" || (field.type === "table" && field.columns?.find((c) => c.key === field.total_of)?.type === "money"));
      const shown = condition.value === null || condition.value === undefined ? "" : money ? String(condition.value / 100) : Array.isArray(condition.value) ? condition.value.join(",") : String(condition.value);
      return h("div", { class: "appr-d-condition" },
        select(condition.field, [["", t("appr.d.chooseField")], ...fields.map((f) => [f.key, f.label])], (v) => { condition.field = v; redraw(); }, { "aria-label": t("appr.d.conditionField") }),
        select(condition.op, OPS.map((op) => [op, t(`appr.op.${op}`)]), (v) => { condition.op = v; }, { "aria-label": t("appr.d.operator"), class: "input appr-d-op" }),
        input(shown, (v) => {
          const numeric = field && field.type !== "select" && field.type !== "text";
          if (condition.op === "in") condition.value = v.split(",").map((part) => part.trim()).filter(Boolean).map((part) => (numeric ? Number(part) : part));
          else if (numeric) condition.value = v === "" ? null : money ? Math.round(Number(v) * 100) : Number(v);
          else condition.value = v;
        }, { "aria-label": t("appr.d.value"), placeholder: money ? t("appr.d.yuan") : field && field.type.includes("range") ? (field.type === "daterange" ? t("appr.d.daysUnit") : t("appr.d.hoursUnit")) : "" }),
        money && typeof condition.value === "number" ? h("span", { class: "muted", text: formatMoney(condition.value) }) : null,
        h("button", { class: "icon-btn", type: "button", "aria-label": t("appr.d.remove"), title: t("appr.d.remove"), on: { click: () => { list.splice(index, 1); redraw(); } } }, icon("close", "icon-sm")));
    }

    function drawSteps() {
      const steps = draft.flow.steps;
      replaceChildren(stepsBox,
        steps.map((step, index) => {
          step.cc = step.cc || [];
          step.when = step.when || [];
          const conditions = h("div", { class: "appr-d-conditions" });
          const redrawConditions = () => replaceChildren(conditions,
            h("span", { class: "muted", text: step.when.length ? t("appr.d.onlyWhen") : t("appr.d.always") }),
            step.when.map((condition, i) => conditionEditor(condition, step.when, i, redrawConditions)),
            h("button", { class: "btn btn-sm appr-d-add-condition", type: "button", on: { click: () => { step.when.push({ field: "", op: ">=", value: null }); redrawConditions(); } } }, icon("plus", "icon-sm"), t("appr.d.addCondition")));
          redrawConditions();
          return h("fieldset", { class: "appr-d-step", dataset: { index } },
            h("legend", { class: "appr-d-field-head" }, h("strong", { text: t("appr.d.stepN", { n: index + 1 }) }), h("span", { class: "grow" }),
              h("button", { class: "icon-btn", type: "button", "aria-label": t("appr.d.up"), title: t("appr.d.up"), disabled: index === 0, on: { click: () => { [steps[index - 1], steps[index]] = [steps[index], steps[index - 1]]; drawSteps(); } } }, h("span", { "aria-hidden": "true", text: "\u2191" })),
              h("button", { class: "icon-btn", type: "button", "aria-label": t("appr.d.remove"), title: t("appr.d.remove"), disabled: steps.length === 1, on: { click: () => { steps.splice(index, 1); drawSteps(); } } }, icon("trash", "icon-sm"))),
            small(t("appr.d.stepName"), input(step.name, (v) => { step.name = v; }, { maxlength: 64, "aria-label": t("appr.d.stepName") })),
            approverList(step.approvers, t("appr.d.approvers"), t("appr.d.addApprover")),
            small(t("appr.mode"), select(step.mode, [["any", t("appr.modeAny")], ["all", t("appr.modeAll")]], (v) => { step.mode = v; }, { "aria-label": t("appr.mode") })),
            approverList(step.cc, t("appr.d.stepCc"), t("appr.d.addCc")),
            conditions);
        }),
        h("button", { class: "btn btn-sm appr-d-add-step", type: "button", on: { click: () => { steps.push({ name: "", approvers: [{ kind: "leader", level: 1 }], mode: "any", cc: [], when: [] }); drawSteps(); } } },
          icon("plus", "icon-sm"), t("appr.d.addStep")),
        approverList(draft.flow.cc, t("appr.d.endCc"), t("appr.d.addCc")));
    }

    const save = h("button", { class: "btn btn-primary appr-d-save", type: "button", text: t("appr.d.save"), on: { click: saveTemplate } });
    const enabledToggle = check(draft.enabled, t("appr.d.enabled"), (v) => { draft.enabled = v; });
    const remind = input(draft.settings.remind_after_hours ?? "", (v) => { draft.settings.remind_after_hours = v ? Number(v) : null; }, { type: "number", min: 1, max: 720, "aria-label": t("appr.d.remindHours") });

    drawFields();
    drawSteps();
    replaceChildren(main, designerPage(id ? t("appr.d.editTitle", { name: template.name }) : t("appr.newTemplate"), "#/approvals/admin", save,
      h("div", { class: "appr-d-body" },
        id ? h("p", { class: "muted", text: t("appr.d.versionNote", { version: template.version }) }) : null,
        errorBox,
        h("section", { class: "appr-d-section" }, h("h3", { class: "appr-section-title", text: t("appr.d.basics") }),
          small(t("appr.d.name"), input(draft.name, (v) => { draft.name = v; }, { maxlength: 64, "aria-label": t("appr.d.name"), required: true })),
          small(t("appr.d.icon"), select(draft.icon, TEMPLATE_ICONS.map((name) => [name, t(`appr.icon.${name}`)]), (v) => { draft.icon = v; }, { "aria-label": t("appr.d.icon") })),
          small(t("appr.d.group"), input(draft.group, (v) => { draft.group = v; }, { maxlength: 32, "aria-label": t("appr.d.group") })),
          small(t("appr.d.description"), input(draft.description, (v) => { draft.description = v; }, { maxlength: 512, "aria-label": t("appr.d.description") })),
          id ? enabledToggle : null),
        h("section", { class: "appr-d-section" }, h("h3", { class: "appr-section-title", text: t("appr.d.fields") }), fieldsBox),
        h("section", { class: "appr-d-section" }, h("h3", { class: "appr-section-title", text: t("appr.flow") }), stepsBox),
        h("section", { class: "appr-d-section" }, h("h3", { class: "appr-section-title", text: t("appr.d.settings") }),
          check(draft.settings.auto_approve_applicant, t("appr.d.autoApplicant"), (v) => { draft.settings.auto_approve_applicant = v; }),
          check(draft.settings.auto_approve_repeat, t("appr.d.autoRepeat"), (v) => { draft.settings.auto_approve_repeat = v; }),
          small(t("appr.d.remindHours"), remind)))));

    async function saveTemplate() {
      errorBox.hidden = true;
      const body = { name: draft.name.trim(), description: draft.description, icon: draft.icon, group: draft.group, form: draft.form, flow: draft.flow, settings: draft.settings };
      save.disabled = true;
      try {
        const stored = id
          ? await api.patch(path(`/approval-templates/${id}`), { ...body, enabled: draft.enabled })
          : await api.post(path("/approval-templates"), body);
        toast(t("appr.d.saved", { version: stored.version }));
        if (onSaved) onSaved();
        navigate("approvals/admin");
      } catch (error) {
        errorBox.hidden = false;
        errorBox.textContent = errorText(error);
        errorBox.scrollIntoView({ block: "center" });
      } finally {
        save.disabled = false;
      }
    }
  }

  return { destroy() { alive = false; } };
}

export function mountRoles({ main, orgId }) {
  const path = (rest = "") => `/orgs/${orgId}/roles${rest}`;
  let alive = true;

  async function draw() {
    let roles;
    try {
      roles = (await api.get(path())).roles;
    } catch (error) {
      replaceChildren(main, h("div", { class: "empty-state" }, h("p", { text: errorText(error) })));
      return;
    }
    if (!alive) return;
    const add = h("button", { class: "btn btn-sm btn-primary", type: "button", on: { click: create } }, icon("plus", "icon-sm"), t("appr.r.new"));
    replaceChildren(main, designerPage(t("appr.roles"), "#/approvals/admin", add,
      h("p", { class: "muted appr-description", text: t("appr.r.about") }),
      h("ul", { class: "appr-roles" }, roles.length ? roles.map((role) => h("li", { class: "appr-role", dataset: { id: role.id } },
        h("div", { class: "appr-role-head" },
          h("strong", { class: "grow", text: role.name }),
          h("button", { class: "btn btn-sm", type: "button", text: t("appr.r.rename"), on: { click: () => rename(role) } }),
          h("button", { class: "btn btn-sm", type: "button", text: t("appr.r.addMembers"), on: { click: () => addMembers(role) } }),
          h("button", { class: "btn btn-sm btn-danger", type: "button", text: t("action.delete"), on: { click: () => remove(role) } })),
        h("div", { class: "appr-chips" }, role.members.length ? role.members.map((member) => h("span", { class: "picker-chip appr-chip" },
          h("span", { class: "ellipsis", text: member.name }),
          h("button", { class: "link-btn", type: "button", "aria-label": t("appr.removeName", { name: member.name }), text: "\u00d7",
            on: { click: () => setMembers(role, role.members.filter((m) => m.user_id !== member.user_id).map((m) => m.user_id)) } })))
          : h("span", { class: "muted", text: t("appr.r.noMembers") }))))
        : h("li", { class: "list-empty", text: t("appr.r.none") }))));
  }

  async function run(promise) {
    try {
      await promise;
      draw();
    } catch (error) {
      toast(errorText(error), "error");
    }
  }

  async function create() {
    const name = await promptDialog({ title: t("appr.r.new"), label: t("appr.r.name"), maxLength: 32 });
    if (name) run(api.post(path(), { name, user_ids: [] }));
  }

  async function rename(role) {
    const name = await promptDialog({ title: t("appr.r.rename"), label: t("appr.r.name"), value: role.name, maxLength: 32 });
    if (name && name !== role.name) run(api.patch(path(`/${role.id}`), { name }));
  }

  async function addMembers(role) {
    const picked = await pickPeople(orgId, { title: t("appr.r.addMembers"), exclude: new Set(role.members.map((m) => m.user_id)) });
    if (picked && picked.length) setMembers(role, [...role.members.map((m) => m.user_id), ...picked.map((p) => p.id)]);
  }

  function setMembers(role, userIds) {
    run(api.put(path(`/${role.id}/members`), { user_ids: userIds }));
  }

  async function remove(role) {
    const ok = await confirmDialog({ title: t("appr.r.delete"), message: t("appr.r.deleteConfirm", { name: role.name }), confirmLabel: t("action.delete"), danger: true });
    if (ok) run(api.del(path(`/${role.id}`)));
  }

  draw();
  return { destroy() { alive = false; } };
}
