// Writing or editing a to-do: title, markdown description, assignees (the conversation's or the
// DING's people when it comes from one, else the organization's), due time, a reminder before it
// and the priority. A draft (GET …/todos/draft) fills the form for a message or a DING.

import { api } from "../api.js";
import { h } from "../dom.js";
import { errorText } from "../errors.js";
import { t } from "../i18n/index.js";
import { currentOrgId, orgState } from "../org.js";
import { navigate } from "../router.js";
import { displayName, rememberUser, state } from "../store.js";
import { openModal } from "../components/modal.js";
import { toast } from "../components/toast.js";
import { searchPicker } from "../components/user-picker.js";
import { orgOfConversation } from "./ding-composer.js";

const MINUTE = 60_000;
// The reminder choices: minutes before the due time ("" none, "0" at the due time).
export const REMINDERS = [["", "todo.remindNone"], ["0", "todo.remindAtDue"], ["15", "todo.remind15m"], ["60", "todo.remind1h"], ["1440", "todo.remind1d"]];
export const PRIORITIES = ["normal", "high", "urgent"];

/** "2025-03-05T14:30" for a datetime-local input, in local time. */
function localInput(ms) {
  const date = new Date(ms - new Date(ms).getTimezoneOffset() * MINUTE);
  return date.toISOString().slice(0, 16);
}

function memberPerson(member) {
  rememberUser({ id: member.user_id, username: member.username, display_name: member.display_name, avatar_url: member.avatar_url });
  return { id: member.user_id, name: member.name || member.display_name, meta: `@${member.username}` };
}

/** The reminder choice that gives `todo`'s remind_at, or "" when none fits. */
function reminderChoice(todo) {
  if (!todo || todo.remind_at == null || todo.due_at == null) return "";
  const minutes = String(Math.round((todo.due_at - todo.remind_at) / MINUTE));
  return REMINDERS.some(([value]) => value === minutes) ? minutes : "";
}

/**
 * Opens the form. `todo`: edit it. `source`: {message_id} or {ding_id}, whose draft fills the form.
 * `onSaved(todo)` gets the stored to-do.
 */
export async function openTodoEditor({ orgId, todo = null, source = null, onSaved = () => {} }) {
  let draft = null;
  if (source) {
    try {
      draft = await api.get(`/orgs/${orgId}/todos/draft`, source);
    } catch (err) {
      toast(errorText(err), "error");
      return;
    }
  }
  const error = h("div", { class: "form-error", role: "alert", hidden: true });
  const title = h("input", { class: "input", id: "todo-title", maxlength: 200, autofocus: true, placeholder: t("todo.titlePlaceholder"), value: todo ? todo.title : draft ? draft.title : "" });
  const description = h("textarea", { class: "textarea todo-description-input", id: "todo-description", rows: 4, maxlength: 16000, placeholder: t("todo.descriptionPlaceholder") });
  description.value = todo ? todo.description : draft ? draft.description : "";

  const candidates = draft ? draft.candidates.map((c) => ({ id: c.user_id, name: c.name, meta: "" })) : null;
  // The source's people first; a name typed finds anyone of the organization.
  async function search(query) {
    if (candidates && !query) return candidates;
    const page = await api.get(`/orgs/${orgId}/members`, { q: query || null, limit: 50 });
    return page.members.map(memberPerson);
  }
  const picker = searchPicker({ search, placeholder: t("todo.findPeople"), onChange: () => { error.hidden = true; } });
  const initial = todo
    ? todo.assignees.map((a) => ({ id: a.user_id, name: a.name }))
    : draft && draft.assignee_ids.length
      ? draft.assignee_ids.map((id) => candidates.find((c) => c.id === id) || { id, name: displayName(id) })
      : [{ id: state.me.id, name: displayName(state.me.id, state.me.display_name) }];
  picker.choose(initial);

  const due = h("input", { class: "input", type: "datetime-local", id: "todo-due", "aria-label": t("todo.due") });
  if (todo && todo.due_at) due.value = localInput(todo.due_at);
  const remind = h("select", { class: "select", id: "todo-remind", "aria-label": t("todo.remind") },
    REMINDERS.map(([value, key]) => h("option", { value, text: t(key) })));
  remind.value = reminderChoice(todo);
  const syncRemind = () => { remind.disabled = !due.value; };
  due.addEventListener("change", syncRemind);
  syncRemind();
  const priority = h("select", { class: "select", id: "todo-priority", "aria-label": t("todo.priority") },
    PRIORITIES.map((value) => h("option", { value, text: t(`todo.priority.${value}`) })));
  priority.value = todo ? todo.priority : "normal";

  const save = h("button", { class: "btn btn-primary todo-save", type: "button", text: todo ? t("action.save") : t("todo.create") });
  const modal = openModal({
    title: todo ? t("todo.edit") : source ? t("todo.fromSource") : t("todo.new"),
    wide: true,
    className: "todo-editor",
    body: h("div", {}, error,
      h("div", { class: "field" }, h("label", { for: "todo-title", text: t("todo.titleLabel") }), title),
      h("div", { class: "field" }, h("label", { for: "todo-description", text: t("todo.description") }), description),
      h("div", { class: "field" }, h("span", { class: "field-label", text: t("todo.assignees") }), picker.el),
      h("div", { class: "todo-form-row" },
        h("div", { class: "field" }, h("label", { for: "todo-due", text: t("todo.due") }), due),
        h("div", { class: "field" }, h("label", { for: "todo-remind", text: t("todo.remind") }), remind),
        h("div", { class: "field" }, h("label", { for: "todo-priority", text: t("todo.priority") }), priority))),
    actions: [h("button", { class: "btn", type: "button", text: t("action.cancel"), on: { click: () => modal.close() } }), save],
  });

  function fail(text, focus = null) {
    error.textContent = text;
    error.hidden = false;
    if (focus) focus.focus();
  }

  save.addEventListener("click", async () => {
    if (!title.value.trim()) return fail(t("todo.needTitle"), title);
    if (!picker.chosen.size) return fail(t("todo.needPeople"));
    const dueAt = due.value ? new Date(due.value).getTime() : null;
    if (due.value && !Number.isFinite(dueAt)) return fail(t("todo.badTime"), due);
    const remindAt = dueAt !== null && remind.value !== "" ? dueAt - Number(remind.value) * MINUTE : null;
    const unchangedReminder = todo && remindAt === todo.remind_at;
    if (remindAt !== null && remindAt <= Date.now() && !unchangedReminder) return fail(t("todo.reminderPast"), remind);
    const body = {
      title: title.value.trim(), description: description.value, assignee_ids: [...picker.chosen],
      due_at: dueAt, remind_at: remindAt, priority: priority.value,
    };
    save.disabled = true;
    try {
      let stored;
      if (todo) stored = await api.patch(`/orgs/${orgId}/todos/${todo.id}`, body);
      else stored = await api.post(`/orgs/${orgId}/todos`, { ...body, message_id: draft?.message_id ?? null, ding_id: draft?.ding_id ?? null });
      modal.close();
      toast(todo ? t("todo.saved") : t("todo.created"));
      onSaved(stored);
    } catch (err) {
      save.disabled = false;
      fail(errorText(err));
    }
  });
}

/** A message becomes a to-do: in its organization group's organization, else the current one. */
export async function todoFromMessage(conversation, message) {
  const orgId = (await orgOfConversation(conversation, orgState.orgs)) || currentOrgId();
  if (orgId) openTodoEditor({ orgId, source: { message_id: message.id }, onSaved: (todo) => navigate(`todos/${todo.id}`) });
}

/** A DING becomes a to-do: its receivers are the default assignees. */
export function todoFromDing(orgId, ding) {
  openTodoEditor({ orgId, source: { ding_id: ding.id }, onSaved: (todo) => navigate(`todos/${todo.id}`) });
}
