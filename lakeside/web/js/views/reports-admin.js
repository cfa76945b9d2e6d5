// The admins' side of daily reports (日志): design a template from typed fields (a changed
// template makes a new version; reports already written keep theirs), archive one, and set its
// reminder rule (at hh:mm on chosen weekdays, in the organization's time zone, to everyone who has
// not written for the period).

import { api } from "../api.js";
import { h, replaceChildren } from "../dom.js";
import { errorText } from "../errors.js";
import { t } from "../i18n/index.js";
import { icon } from "../icons.js";
import { toast } from "../components/toast.js";
import { fieldLabel, templateName } from "./reports.js";

const TYPES = ["text", "textarea", "number", "date", "attachment", "image"];
const PERIODS = ["day", "week", "month"];

export function mountTemplateDesigner(main, { orgId, templates, onChanged, page }) {
  const path = (rest = "") => `/orgs/${orgId}/report-templates${rest}`;
  let chosen = null; // a template being edited, or {} for a new one

  function fieldRow(field, rows) {
    const label = h("input", { class: "input designer-label", value: field.label || "", maxlength: 64, placeholder: t("reports.designer.label"), "aria-label": t("reports.designer.label") });
    const type = h("select", { class: "input designer-type", "aria-label": t("reports.designer.type") },
      TYPES.map((name) => h("option", { value: name, text: t(`reports.type.${name}`), selected: name === (field.type || "text") })));
    const required = h("input", { type: "checkbox", checked: !!field.required });
    const row = h("li", { class: "designer-field" }, label, type, h("label", { class: "designer-required" }, required, t("reports.designer.required")),
      h("button", { class: "icon-btn", type: "button", "aria-label": t("action.delete"), on: { click: () => row.remove() } }, icon("trash", "icon-sm")));
    row.read = () => ({ key: field.key || null, label: label.value.trim(), type: type.value, required: required.checked });
    rows.append(row);
  }

  function editor(template) {
    const name = h("input", { class: "input designer-name", value: template.name || "", maxlength: 64, placeholder: t("reports.designer.name"), "aria-label": t("reports.designer.name") });
    const period = h("select", { class: "input", disabled: !!template.id, "aria-label": t("reports.designer.period") },
      PERIODS.map((p) => h("option", { value: p, text: t(`reports.period.${p}`), selected: p === (template.period || "day") })));
    const rows = h("ul", { class: "designer-fields" });
    for (const field of template.fields || [{ type: "textarea", required: true }]) {
      fieldRow(template.builtin ? { ...field, label: fieldLabel(field) } : field, rows);
    }
    const error = h("p", { class: "form-error", role: "alert", hidden: true });
    async function save() {
      error.hidden = true;
      const fields = [...rows.children].map((row) => row.read());
      try {
        if (template.id) await api.patch(path(`/${template.id}`), { name: name.value.trim(), fields });
        else await api.post(path(), { name: name.value.trim(), period: period.value, fields });
        toast(t("reports.designer.saved"));
        chosen = null;
        await onChanged();
      } catch (problem) {
        error.textContent = errorText(problem);
        error.hidden = false;
      }
    }
    return h("section", { class: "designer-editor" },
      h("div", { class: "designer-row" }, name, period),
      rows,
      h("button", { class: "btn btn-sm", type: "button", on: { click: () => fieldRow({ type: "text" }, rows) } }, icon("plus", "icon-sm"), t("reports.designer.addField")),
      template.id ? h("p", { class: "muted", text: t("reports.designer.versionNote", { version: template.version }) }) : null,
      error,
      h("div", { class: "reports-form-actions" },
        h("button", { class: "btn", type: "button", text: t("action.cancel"), on: { click: () => { chosen = null; render(); } } }),
        h("button", { class: "btn btn-primary designer-save", type: "button", text: t("reports.designer.save"), on: { click: save } })));
  }

  async function reminderBlock(template) {
    const rule = await api.get(path(`/${template.id}/reminder`));
    const enabled = h("input", { type: "checkbox", checked: rule.enabled });
    const time = h("input", { class: "input designer-time", type: "time", value: `${String(rule.hour).padStart(2, "0")}:${String(rule.minute).padStart(2, "0")}`, "aria-label": t("reports.reminder.time") });
    const days = [1, 2, 3, 4, 5, 6, 7].map((day) => {
      const box = h("input", { type: "checkbox", value: String(day), checked: rule.weekdays.includes(day) });
      return { day, box, el: h("label", { class: "designer-day" }, box, t(`reports.weekday.${day}`)) };
    });
    const save = h("button", {
      class: "btn btn-sm", type: "button", text: t("reports.reminder.save"),
      on: {
        click: async () => {
          const [hour, minute] = (time.value || "18:00").split(":").map(Number);
          try {
            await api.put(path(`/${template.id}/reminder`), {
              enabled: enabled.checked, hour, minute,
              weekdays: template.period === "month" ? [] : days.filter((d) => d.box.checked).map((d) => d.day),
            });
            toast(t("reports.reminder.saved"));
          } catch (problem) {
            toast(errorText(problem), "error");
          }
        },
      },
    });
    return h("div", { class: "designer-reminder" },
      h("label", {}, enabled, t("reports.reminder.enabled")), time,
      template.period === "month" ? h("span", { class: "muted", text: t("reports.reminder.monthEnd") }) : h("span", { class: "designer-days" }, days.map((d) => d.el)),
      h("span", { class: "muted", text: t("reports.reminder.zone", { zone: rule.timezone }) }), save);
  }

  function render() {
    if (chosen) return replaceChildren(main, page(t("reports.manage"), editor(chosen)));
    const items = templates.map((template) => {
      const reminder = h("div", { class: "designer-reminder-slot" });
      reminderBlock(template).then((el) => replaceChildren(reminder, el)).catch(() => {});
      return h("li", { class: "designer-template" },
        h("div", { class: "designer-template-head" },
          h("strong", { class: "grow", text: templateName(template) }),
          h("span", { class: "muted", text: `${t(`reports.period.${template.period}`)} · v${template.version}` }),
          h("button", { class: "btn btn-sm", type: "button", on: { click: () => { chosen = template; render(); } } }, icon("edit", "icon-sm"), t("reports.designer.edit")),
          template.builtin ? null : h("button", {
            class: "btn btn-sm btn-danger", type: "button", text: t("reports.designer.archive"),
            on: { click: async () => { await api.patch(path(`/${template.id}`), { archived: true }).catch((e) => toast(errorText(e), "error")); onChanged(); } },
          })),
        reminder);
    });
    replaceChildren(main, page(t("reports.manage"),
      h("div", { class: "designer" },
        h("button", { class: "btn btn-primary designer-new", type: "button", on: { click: () => { chosen = {}; render(); } } }, icon("plus", "icon-sm"), t("reports.designer.new")),
        h("ul", { class: "designer-templates" }, items))));
  }

  render();
}
