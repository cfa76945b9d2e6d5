// An approval form (审批): one editor per typed field of a template's version (docs/approvals.md,
// "form"), the values as the server wants them (money in fen, ranges as {start, end}, people and
// departments as id lists, files as file ids), hints while typing, the server's errors on the
// field they name, and the resolved flow (who approves) asked of the preview endpoint as the
// values change.

import { api } from "../api.js";
import { debounce, h, replaceChildren } from "../dom.js";
import { errorText } from "../errors.js";
import { t } from "../i18n/index.js";
import { icon } from "../icons.js";
import { displayName, rememberUser } from "../store.js";
import { openModal } from "../components/modal.js";
import { searchPicker } from "../components/user-picker.js";
import { formatMoney, memberNames, orgDepartments, rangeDays, rangeHours } from "./approval-values.js";

function localInput(ms) {
  const date = new Date(ms - new Date(ms).getTimezoneOffset() * 60_000);
  return date.toISOString().slice(0, 16);
}

/** A modal to choose members of the organization; resolves to [{id, name}] or null. */
export function pickPeople(orgId, { title, multiple = true, exclude = new Set() } = {}) {
  return new Promise((resolve) => {
    let done = false;
    const search = async (query) => {
      const page = await api.get(`/orgs/${orgId}/members`, { q: query || null, limit: 50 });
      return page.members.map((member) => {
        rememberUser({ id: member.user_id, username: member.username, display_name: member.display_name, avatar_url: member.avatar_url });
        return { id: member.user_id, name: member.name || member.display_name, meta: `@${member.username}` };
      });
    };
    const names = new Map();
    const picker = searchPicker({
      search: async (query) => {
        const people = await search(query);
        for (const person of people) names.set(person.id, person.name);
        return people;
      },
      exclude,
      placeholder: t("appr.findPeople"),
      onChange: (chosen) => {
        if (!multiple && chosen.size > 1) {
          const [first] = chosen;
          chosen.delete(first);
          for (const box of picker.el.querySelectorAll("input[type=checkbox]")) box.checked = chosen.has(Number(box.value));
        }
      },
    });
    const modal = openModal({
      title: title || t("appr.pickPeople"),
      body: picker.el,
      onClose: () => { if (!done) resolve(null); },
      actions: [
        h("button", { class: "btn", type: "button", text: t("action.cancel"), on: { click: () => modal.close() } }),
        h("button", {
          class: "btn btn-primary", type: "button", text: t("appr.choose"),
          on: { click: () => { done = true; resolve([...picker.chosen].map((id) => ({ id, name: names.get(id) || displayName(id) }))); modal.close(); } },
        }),
      ],
    });
  });
}

function fieldLabel(field, id) {
  return h("label", { class: "appr-label", for: id },
    h("span", { text: field.label }),
    field.required ? h("span", { class: "appr-required", "aria-label": t("appr.required"), text: "*" }) : null);
}

let serial = 0;

/**
 * One field's editor: {el, get() → value or undefined (empty), set(value), error(message|null)}.
 * `onInput` is called on every change (for the preview); ctx: {orgId}.
 */
export function fieldEditor(field, initial, ctx, onInput, { compact = false } = {}) {
  const id = `appr-f-${++serial}`;
  const hint = h("p", { class: "appr-hint", id: `${id}-hint`, hidden: true, role: "alert" });
  let get = () => undefined;
  let control;
  const changed = () => onInput && onInput();
  const attrs = { id, "aria-describedby": `${id}-hint`, placeholder: field.placeholder || null };

  switch (field.type) {
    case "text":
    case "textarea": {
      control = h(field.type === "text" ? "input" : "textarea", {
        ...attrs, class: field.type === "text" ? "input" : "input appr-textarea", maxlength: field.max_length || (field.type === "text" ? 200 : 2000),
        value: initial || "", on: { input: changed },
      });
      get = () => control.value.trim() || undefined;
      break;
    }
    case "number":
    case "money": {
      const money = field.type === "money";
      const input = h("input", {
        ...attrs, class: "input appr-number", type: "number", inputmode: "decimal",
        step: money ? "0.01" : field.decimals ? String(10 ** -field.decimals) : "1",
        value: initial === undefined || initial === null ? "" : String(money ? initial / 100 : initial),
        on: { input: changed },
      });
      control = money ? h("span", { class: "appr-money" }, h("span", { class: "appr-yuan", "aria-hidden": "true", text: "\u00a5" }), input) : input;
      get = () => {
        if (input.value === "") return undefined;
        const number = Number(input.value);
        if (!Number.isFinite(number)) return undefined;
        return money ? Math.round(number * 100) : number;
      };
      break;
    }
    case "date": {
      control = h("input", { ...attrs, class: "input", type: "date", value: initial || "", on: { input: changed } });
      get = () => control.value || undefined;
      break;
    }
    case "daterange":
    case "datetimerange": {
      const timed = field.type === "datetimerange";
      const value = (ms) => (timed ? (ms ? localInput(ms) : "") : ms || "");
      const start = h("input", { ...attrs, class: "input", type: timed ? "datetime-local" : "date", value: value(initial?.start), "aria-label": t("appr.rangeStart"), on: { input: update } });
      const end = h("input", { class: "input", type: timed ? "datetime-local" : "date", value: value(initial?.end), "aria-label": t("appr.end"), on: { input: update } });
      const duration = h("span", { class: "appr-duration muted", "aria-live": "polite" });
      control = h("div", { class: "appr-range" }, start, h("span", { class: "muted", text: "\u2013" }), end, duration);
      get = () => {
        if (!start.value || !end.value) return undefined;
        return timed ? { start: new Date(start.value).getTime(), end: new Date(end.value).getTime() } : { start: start.value, end: end.value };
      };
      function update() {
        const current = get();
        const amount = current ? (timed ? rangeHours(current) : rangeDays(current)) : null;
        duration.textContent = amount === null ? "" : timed ? t("appr.hours", { n: amount }) : t("appr.days", { n: amount });
        if (current && amount === null) showError(t("appr.endBeforeStart"));
        else showError(null);
        changed();
      }
      queueMicrotask(update);
      break;
    }
    case "select": {
      control = h("select", { ...attrs, class: "input", on: { change: changed } },
        h("option", { value: "", text: t("appr.choosePlaceholder") }),
        (field.options || []).map((option) => h("option", { value: option, text: option, selected: option === initial })));
      get = () => control.value || undefined;
      break;
    }
    case "multiselect": {
      const chosen = new Set(initial || []);
      control = h("div", { class: "appr-checks", id, role: "group" }, (field.options || []).map((option) => h("label", { class: "appr-check" },
        h("input", { type: "checkbox", value: option, checked: chosen.has(option), on: { change: changed } }), h("span", { text: option }))));
      get = () => {
        const values = [...control.querySelectorAll("input:checked")].map((box) => box.value);
        return values.length ? values : undefined;
      };
      break;
    }
    case "people": {
      let people = (initial || []).map((userId) => ({ id: userId, name: displayName(userId) }));
      memberNames(ctx.orgId).then((names) => { people = people.map((p) => ({ id: p.id, name: names.get(p.id) || p.name })); draw(); }).catch(() => {});
      const chips = h("div", { class: "appr-chips" });
      const add = h("button", { ...attrs, class: "btn btn-sm appr-add-people", type: "button", on: { click: choose } }, icon("userPlus", "icon-sm"), t("appr.addPeople"));
      control = h("div", { class: "appr-people" }, chips, add);
      function draw() {
        replaceChildren(chips, people.map((person) => h("span", { class: "picker-chip appr-chip" }, h("span", { class: "ellipsis", text: person.name }),
          h("button", { class: "link-btn", type: "button", "aria-label": t("appr.removeName", { name: person.name }), text: "\u00d7", on: { click: () => { people = people.filter((p) => p.id !== person.id); draw(); changed(); } } }))));
        add.hidden = !field.multiple && people.length > 0;
      }
      async function choose() {
        const picked = await pickPeople(ctx.orgId, { title: field.label, multiple: !!field.multiple, exclude: new Set(people.map((p) => p.id)) });
        if (!picked) return;
        people = field.multiple ? [...people, ...picked] : picked.slice(0, 1);
        draw();
        changed();
      }
      draw();
      get = () => (people.length ? people.map((p) => p.id) : undefined);
      break;
    }
    case "department": {
      control = h("select", { ...attrs, class: "input", multiple: !!field.multiple, on: { change: changed } },
        field.multiple ? null : h("option", { value: "", text: t("appr.choosePlaceholder") }));
      orgDepartments(ctx.orgId).then((list) => {
        for (const department of list) {
          control.append(h("option", { value: String(department.id), text: department.name, selected: (initial || []).includes(department.id) }));
        }
      }).catch(() => {});
      get = () => {
        const ids = [...control.selectedOptions].map((option) => Number(option.value)).filter(Boolean);
        return ids.length ? ids : undefined;
      };
      break;
    }
    case "attachment":
    case "image": {
      const images = field.type === "image";
      let files = (initial || []).map((fileId, index) => ({ id: fileId, name: t("appr.fileN", { n: index + 1 }) }));
      const list = h("ul", { class: "appr-files" });
      const input = h("input", { type: "file", multiple: true, hidden: true, accept: images ? "image/*" : null, on: { change: () => upload([...input.files]) } });
      const add = h("button", { ...attrs, class: "btn btn-sm appr-upload", type: "button", on: { click: () => input.click() } },
        icon(images ? "image" : "attach", "icon-sm"), images ? t("appr.addImage") : t("appr.addFile"));
      control = h("div", { class: "appr-upload-box" }, list, add, input);
      function draw() {
        replaceChildren(list, files.map((file) => h("li", { class: "appr-file" },
          file.uploading ? h("span", { class: "spinner spinner-sm" }) : icon(images ? "image" : "file", "icon-sm"),
          h("span", { class: "ellipsis grow", text: file.name }),
          file.uploading ? null : h("button", { class: "link-btn", type: "button", "aria-label": t("appr.removeName", { name: file.name }), text: "\u00d7", on: { click: () => { files = files.filter((f) => f !== file); draw(); changed(); } } }))));
        add.hidden = files.length >= 9;
      }
      async function upload(chosen) {
        input.value = "";
        for (const blob of chosen.slice(0, 9 - files.length)) {
          const file = { id: null, name: blob.name, uploading: true };
          files.push(file);
          draw();
          try {
            const stored = await api.upload("/files", blob);
            file.id = stored.id;
            file.uploading = false;
            showError(null);
          } catch (error) {
            files = files.filter((f) => f !== file);
            showError(errorText(error));
          }
          draw();
          changed();
        }
      }
      draw();
      get = () => {
        const ids = files.filter((file) => file.id).map((file) => file.id);
        return ids.length ? ids : undefined;
      };
      break;
    }
    case "table": {
      control = tableEditor(field, initial, ctx, changed);
      get = control.get;
      control = control.el;
      break;
    }
    default:
      control = h("span", { class: "muted", text: t("appr.unknownField") });
  }

  function showError(message) {
    hint.hidden = !message;
    hint.textContent = message || "";
    el.classList.toggle("appr-invalid", !!message);
  }

  const el = h("div", { class: ["appr-field", `appr-field-${field.type}`], dataset: { key: field.key } },
    compact ? null : fieldLabel(field, id), control, hint);
  return { el, get, error: showError, field };
}

/** A detail table: rows of column editors, add/remove rows, the total of `total_of`. */
function tableEditor(field, initial, ctx, changed) {
  const columns = field.columns || [];
  const totalColumn = columns.find((column) => column.key === field.total_of);
  const rowsEl = h("div", { class: "appr-rows" });
  const total = h("div", { class: "appr-total", "aria-live": "polite" });
  let rows = [];

  function addRow(values = {}) {
    const editors = columns.map((column) => fieldEditor(column, values[column.key], ctx, () => { drawTotal(); changed(); }));
    const row = { editors };
    const remove = h("button", { class: "link-btn appr-row-remove", type: "button", text: t("appr.removeRow"), on: { click: () => { rows = rows.filter((r) => r !== row); draw(); changed(); } } });
    row.el = h("fieldset", { class: "appr-row" }, h("legend", { class: "appr-row-head" }, h("span", { class: "appr-row-title" }), remove), editors.map((e) => e.el));
    rows.push(row);
  }

  function draw() {
    rows.forEach((row, index) => {
      row.el.querySelector(".appr-row-title").textContent = t("appr.rowN", { label: field.label, n: index + 1 });
      row.el.querySelector(".appr-row-remove").hidden = rows.length <= 1;
    });
    replaceChildren(rowsEl, rows.map((row) => row.el));
    drawTotal();
  }

  function drawTotal() {
    if (!totalColumn) return;
    const sum = rows.reduce((acc, row) => acc + (Number(row.editors.find((e) => e.field.key === totalColumn.key)?.get()) || 0), 0);
    total.textContent = t("appr.total", { total: totalColumn.type === "money" ? formatMoney(sum) : String(sum) });
  }

  for (const values of initial && initial.length ? initial : [{}]) addRow(values);
  draw();
  const add = h("button", { class: "btn btn-sm appr-add-row", type: "button", on: { click: () => { addRow(); draw(); changed(); } } }, icon("plus", "icon-sm"), t("appr.addRow"));
  return {
    el: h("div", { class: "appr-table" }, rowsEl, add, totalColumn ? total : null),
    get() {
      const values = rows.map((row) => Object.fromEntries(row.editors.map((e) => [e.field.key, e.get()]).filter(([, v]) => v !== undefined)))
        .filter((row) => Object.keys(row).length);
      return values.length ? values : undefined;
    },
    /** "lines.1.amount": the editor of that cell. */
    cell(rowIndex, key) {
      return rows[rowIndex]?.editors.find((e) => e.field.key === key);
    },
  };
}

/**
 * The whole form: {el, values(), check() → true when the required fields are there, showErrors(error)}.
 * onChange(values) is debounced by the caller.
 */
export function formEditor(form, initial, ctx, onChange) {
  const editors = form.fields.map((field) => fieldEditor(field, initial ? initial[field.key] : undefined, ctx, () => onChange && onChange()));
  const values = () => Object.fromEntries(editors.map((e) => [e.field.key, e.get()]).filter(([, v]) => v !== undefined));
  return {
    el: h("div", { class: "appr-form" }, editors.map((e) => e.el)),
    values,
    check() {
      let ok = true;
      for (const editor of editors) {
        if (editor.field.required && editor.get() === undefined) {
          editor.error(t("appr.requiredHint", { label: editor.field.label }));
          if (ok) editor.el.scrollIntoView({ block: "center" });
          ok = false;
        } else if (!editor.el.querySelector(".appr-range") || !editor.el.classList.contains("appr-invalid")) {
          editor.error(null);
        }
      }
      return ok;
    },
    /** The server's 422 (field "lines.0.amount") or the preview's errors {key: message}. */
    showErrors(errors) {
      for (const editor of editors) editor.error(null);
      for (const [key, message] of Object.entries(errors || {})) {
        const [top] = key.split(".");
        const editor = editors.find((e) => e.field.key === top);
        if (editor) editor.error(message);
      }
    },
  };
}

/** The field of a 422 INVALID_FIELD answer, as {key: message}, or null. */
export function fieldErrors(error) {
  const data = error && error.data;
  if (data && typeof data.field === "string") {
    const text = errorText(error);
    return { [data.field]: text.startsWith(`${data.field}: `) ? text.slice(data.field.length + 2) : text };
  }
  return null;
}

/** The resolved flow (who approves) from the preview endpoint, as the values change. */
export function flowPreview(orgId, templateId, values) {
  const el = h("section", { class: "appr-preview", "aria-label": t("appr.flow") },
    h("h3", { class: "appr-section-title", text: t("appr.flow") }));
  const body = h("ol", { class: "appr-timeline", "aria-live": "polite" });
  el.append(body);
  let asked = 0;
  const refresh = debounce(async () => {
    const ticket = ++asked;
    try {
      const preview = await api.post(`/orgs/${orgId}/approval-templates/${templateId}/preview`, { values: values() });
      if (ticket !== asked) return;
      replaceChildren(body,
        h("li", { class: "appr-tl-item appr-tl-start" }, h("span", { class: "appr-tl-dot" }), h("div", { class: "appr-tl-body" }, h("strong", { text: t("appr.applicant") }))),
        preview.steps.map((step) => h("li", { class: ["appr-tl-item", step.auto_approved && "appr-tl-auto"] }, h("span", { class: "appr-tl-dot" }),
          h("div", { class: "appr-tl-body" },
            h("div", { class: "appr-tl-head" }, h("strong", { text: step.name || t("appr.step") }),
              h("span", { class: "appr-mode muted", text: step.approvers.length > 1 ? (step.mode === "all" ? t("appr.modeAll") : t("appr.modeAny")) : "" }),
              step.auto_approved ? h("span", { class: "appr-tag", text: t("appr.autoApproved") }) : null),
            h("div", { class: "appr-tl-people" }, step.approvers.map((p) => h("span", { class: "appr-person", text: p.name })))))),
        preview.cc.length ? h("li", { class: "appr-tl-item appr-tl-cc" }, h("span", { class: "appr-tl-dot" }),
          h("div", { class: "appr-tl-body" }, h("strong", { text: t("appr.cc") }),
            h("div", { class: "appr-tl-people" }, preview.cc.map((p) => h("span", { class: "appr-person", text: p.name }))))) : null);
    } catch (error) {
      if (ticket === asked) replaceChildren(body, h("li", { class: "muted", text: errorText(error) }));
    }
  }, 300);
  refresh();
  return { el, refresh };
}

