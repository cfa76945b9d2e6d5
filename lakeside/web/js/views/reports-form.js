// The form of a daily report (日志): the template's fields (text, long text, number, date,
// attachments and images uploaded as files), the period's date, and whom to send it to — people
// found in the organization's directory and/or groups one is in. It is sent, or kept as a draft
// (a draft opens here again; a sent report cannot be changed).

import { api } from "../api.js";
import { h, replaceChildren } from "../dom.js";
import { errorText } from "../errors.js";
import { t } from "../i18n/index.js";
import { icon } from "../icons.js";
import { navigate } from "../router.js";
import { displayName, rememberUser, state } from "../store.js";
import { searchPicker } from "../components/user-picker.js";
import { toast } from "../components/toast.js";
import { fieldLabel, templateName, today } from "./reports.js";

function memberPerson(member) {
  rememberUser({ id: member.user_id, username: member.username, display_name: member.display_name, avatar_url: member.avatar_url });
  const meta = (member.departments || []).map((seat) => seat.name).join(" · ");
  return { id: member.user_id, name: member.name || member.display_name, meta: meta || `@${member.username}` };
}


export async function renderReportForm(main, { orgId, route, templates, templateId, page, onSaved }) {
  const path = (rest = "") => `/orgs/${orgId}${rest}`;
  const draftId = Number(route.query.draft) || null;
  const template = templates.find((item) => item.id === templateId);
  if (!template) return replaceChildren(main, h("div", { class: "empty-state" }, h("span", { class: "spinner" })));
  let draft = null;
  if (draftId) draft = await api.get(path(`/reports/${draftId}`)).catch(() => null);
  const fields = draft ? draft.fields : template.fields;
  const answers = { ...(draft ? draft.answers : {}) };
  const fileNames = new Map();
  const error = h("p", { class: "form-error", role: "alert", hidden: true });
  const date = h("input", { class: "input reports-date", type: "date", value: draft ? draft.date : route.query.date || today(), "aria-label": t("reports.date") });
  const inputs = fields.map((field) => {
    const label = h("label", { class: "reports-field-label", text: fieldLabel(field) + (field.required ? " *" : "") });
    let control;
    if (field.type === "attachment" || field.type === "image") {
      const files = h("ul", { class: "reports-files" });
      // Each file by its name (a draft's files, uploaded earlier, by the field's word), with a way
      // to take it off again before sending.
      const show = () => replaceChildren(files, (answers[field.key] || []).map((fileId) => h("li", {},
        field.type === "image" ? h("img", { class: "reports-image", src: `/api/v1/files/${fileId}`, alt: "" }) : icon("file", "icon-sm"),
        h("span", { class: "ellipsis grow", text: fileNames.get(fileId) || t("reports.attachment") }),
        h("button", {
          class: "btn btn-sm btn-ghost reports-file-remove", type: "button", text: t("reports.removeFile"),
          "aria-label": `${t("reports.removeFile")} ${fileNames.get(fileId) || t("reports.attachment")}`,
          on: { click: () => { answers[field.key] = (answers[field.key] || []).filter((id) => id !== fileId); show(); } },
        }))));
      // The browser's own file input speaks the browser's language («Choose Files»), not the
      // app's: it stays hidden behind a button in the app's words, as in approvals.
      const picker = h("input", { type: "file", multiple: true, hidden: true, accept: field.type === "image" ? "image/*" : null });
      const add = h("button", {
        class: "btn btn-sm reports-add-file", type: "button", "aria-label": fieldLabel(field), on: { click: () => picker.click() },
      }, icon(field.type === "image" ? "image" : "attach", "icon-sm"), field.type === "image" ? t("reports.addImage") : t("reports.addFile"));
      picker.addEventListener("change", async () => {
        for (const file of picker.files) {
          try {
            const stored = await api.upload("/files", file);
            fileNames.set(stored.id, stored.filename);
            answers[field.key] = [...(answers[field.key] || []), stored.id];
          } catch (problem) {
            toast(errorText(problem), "error");
          }
        }
        picker.value = "";
        show();
      });
      show();
      control = h("div", { class: "reports-upload" }, files, add, picker);
    } else {
      const attrs = { class: "input", "data-key": field.key, "aria-label": fieldLabel(field) };
      control = field.type === "textarea"
        ? h("textarea", { ...attrs, rows: 4, maxlength: 10000, placeholder: t("reports.placeholder") })
        : h("input", { ...attrs, type: field.type === "number" ? "number" : field.type === "date" ? "date" : "text", maxlength: field.type === "text" ? 500 : null });
      control.value = answers[field.key] ?? "";
      control.addEventListener("input", () => {
        answers[field.key] = field.type === "number" ? (control.value === "" ? null : Number(control.value)) : control.value;
      });
    }
    return h("div", { class: "reports-form-field" }, label, control);
  });
  const picker = searchPicker({
    search: async (query) => (await api.get(path("/members"), { q: query || null, limit: 50 })).members.map(memberPerson),
    exclude: new Set([state.me.id]), placeholder: t("reports.findPeople"),
  });
  if (draft) picker.choose(draft.user_ids.map((uid) => ({ id: uid, name: displayName(uid) })));
  const groups = [...state.conversations.values()].filter((c) => ["group", "org_all", "department"].includes(c.kind));
  const chosenGroups = new Set(draft ? draft.conversation_ids : []);
  const groupList = h("ul", { class: "picker-list reports-groups" }, groups.map((conversation) => {
    const box = h("input", { type: "checkbox", value: String(conversation.id), checked: chosenGroups.has(conversation.id) });
    box.addEventListener("change", () => (box.checked ? chosenGroups.add(conversation.id) : chosenGroups.delete(conversation.id)));
    return h("li", {}, h("label", { class: "picker-row" }, box, h("span", { class: "ellipsis", text: conversation.title || t("reports.group") })));
  }));
  const body = () => ({
    date: date.value || null,
    answers: Object.fromEntries(Object.entries(answers).filter(([, value]) => value !== null && value !== "")),
    user_ids: [...picker.chosen], conversation_ids: [...chosenGroups],
  });
  async function save(sendIt) {
    error.hidden = true;
    try {
      let stored;
      if (draft) {
        stored = await api.patch(path(`/reports/${draft.id}`), body());
        if (sendIt) stored = await api.post(path(`/reports/${draft.id}/send`));
      } else {
        stored = await api.post(path("/reports"), { template_id: template.id, ...body(), send: sendIt });
      }
      toast(sendIt ? t("reports.sentToast") : t("reports.savedToast"));
      await onSaved();
      navigate(sendIt ? `reports/${stored.id}` : "reports?tab=write");
    } catch (problem) {
      error.textContent = errorText(problem);
      error.hidden = false;
    }
  }
  replaceChildren(main, page(templateName(template),
    h("form", { class: "reports-form", on: { submit: (event) => { event.preventDefault(); save(true); } } },
      h("div", { class: "reports-form-field" }, h("label", { class: "reports-field-label", text: t(`reports.dateLabel.${template.period}`) }), date),
      inputs,
      h("fieldset", { class: "reports-to" }, h("legend", { text: t("reports.sendTo") }), picker.el,
        groups.length ? h("details", { class: "reports-group-pick" }, h("summary", { text: t("reports.sendToGroups") }), groupList) : null),
      error,
      h("div", { class: "reports-form-actions" },
        h("button", { class: "btn", type: "button", text: t("reports.saveDraft"), on: { click: () => save(false) } }),
        h("button", { class: "btn btn-primary reports-submit", type: "submit", text: t("reports.send") })))));
}
