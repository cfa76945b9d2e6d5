// One approval request (#/approvals/{id}): the header (status, applicant, serial), the values as
// the server returns them, the flow as a vertical timeline of steps with their approvers' states,
// the history (comments with their attachments), a comment box, and the actions the server says
// the caller may take (`can`): approve, reject with a reason, return, transfer, add an approver
// (加签), withdraw, urge (催办), and resubmit after a return (the form again, filled in).

import { api } from "../api.js";
import { h, replaceChildren } from "../dom.js";
import { errorText } from "../errors.js";
import { formatDateTime, formatListTime } from "../format.js";
import { t } from "../i18n/index.js";
import { icon } from "../icons.js";
import { navigate } from "../router.js";
import { state } from "../store.js";
import { confirmDialog, openModal } from "../components/modal.js";
import { toast } from "../components/toast.js";
import { fieldEditor, pickPeople } from "./approval-form.js";
import { apprPage, memberNames, renderValue, statusTag } from "./approval-values.js";
import { refreshApprovalCount } from "./approval-badge.js";

export function mountRequest({ main, orgId, id, onChanged = () => {} }) {
  const path = (rest = "") => `/orgs/${orgId}${rest}`;
  let detail = null;
  let alive = true;

  async function showRequest(quiet = false) {
    if (!quiet) replaceChildren(main, h("div", { class: "empty-state" }, h("span", { class: "spinner" })));
    try {
      const found = await api.get(path(`/approvals/${id}`));
      if (!alive) return;
      detail = found;
      drawRequest();
    } catch (error) {
      if (!alive) return;
      replaceChildren(main, h("div", { class: "empty-state" }, h("p", { text: errorText(error) }),
        h("a", { class: "btn", href: "#/approvals", text: t("action.back") })));
    }
  }

  function drawRequest() {
    const request = detail;
    const ctx = { orgId };
    const head = h("section", { class: "appr-head" },
      h("div", { class: "appr-head-top" },
        h("h1", { class: "appr-title", text: t("appr.itemTitle", { name: request.applicant.name, template: request.template_name }) }),
        statusTag(request.status)),
      h("dl", { class: "appr-meta" },
        meta(t("appr.applicant"), request.applicant.name),
        request.department_name ? meta(t("appr.department"), request.department_name) : null,
        meta(t("appr.serial"), request.serial),
        meta(t("appr.submittedAt"), formatDateTime(request.created_at)),
        request.finished_at ? meta(t("appr.finishedAt"), formatDateTime(request.finished_at)) : null));
    const values = h("section", { class: "appr-values", "aria-label": t("appr.values") },
      h("dl", { class: "appr-value-list" }, request.form.fields.filter((field) => field.required || request.values[field.key] !== undefined).map((field) => h("div", { class: "appr-value", dataset: { key: field.key } },
        h("dt", { text: field.label }), h("dd", {}, renderValue(field, request.values[field.key], request.computed[field.key], ctx))))));
    const shown = apprPage(t("appr.title"), "#/approvals", h("div", { class: "appr-detail" },
      head, values, timeline(request), history(request), composer(request)));
    const bar = actionBar(request);
    if (bar) shown.append(bar);
    replaceChildren(main, shown);
  }

  function meta(label, value) {
    return h("div", { class: "appr-meta-item" }, h("dt", { class: "muted", text: label }), h("dd", { text: value }));
  }

  function timeline(request) {
    const steps = request.steps.map((step) => h("li", { class: ["appr-tl-item", `appr-tl-${step.status}`], dataset: { status: step.status } },
      h("span", { class: "appr-tl-dot" }),
      h("div", { class: "appr-tl-body" },
        h("div", { class: "appr-tl-head" },
          h("strong", { text: step.name || t("appr.step") }),
          step.origin === "added" ? h("span", { class: "appr-tag", text: t("appr.added") }) : null,
          step.tasks.length > 1 ? h("span", { class: "appr-mode muted", text: step.mode === "all" ? t("appr.modeAll") : t("appr.modeAny") }) : null,
          h("span", { class: `appr-step-status appr-status-${step.status}`, text: t(`appr.stepStatus.${step.status}`) })),
        h("ul", { class: "appr-tasks" }, step.tasks.map((task) => h("li", { class: ["appr-task", `appr-task-${task.status}`] },
          h("span", { class: "appr-person", text: task.name }),
          h("span", { class: "appr-task-status", text: t(`appr.taskStatus.${task.status}`) }),
          task.acted_at ? h("time", { class: "muted", text: formatListTime(task.acted_at) }) : null,
          task.comment ? h("p", { class: "appr-task-comment", text: task.comment }) : null))))));
    const cc = request.cc.length ? h("li", { class: "appr-tl-item appr-tl-cc" }, h("span", { class: "appr-tl-dot" }),
      h("div", { class: "appr-tl-body" }, h("strong", { text: t("appr.cc") }),
        h("div", { class: "appr-tl-people" }, request.cc.map((p) => h("span", { class: "appr-person", text: p.name }))))) : null;
    return h("section", { class: "appr-flow", "aria-label": t("appr.flow") },
      h("h3", { class: "appr-section-title", text: t("appr.flow") }),
      h("ol", { class: "appr-timeline" },
        h("li", { class: "appr-tl-item appr-tl-approved" }, h("span", { class: "appr-tl-dot" }),
          h("div", { class: "appr-tl-body" }, h("div", { class: "appr-tl-head" }, h("strong", { text: t("appr.applicant") }),
            h("span", { class: "appr-step-status", text: t("appr.submittedShort") })),
          h("span", { class: "appr-person", text: request.applicant.name }))),
        steps, cc));
  }

  function history(request) {
    return h("section", { class: "appr-history", "aria-label": t("appr.history") },
      h("h3", { class: "appr-section-title", text: t("appr.history") }),
      h("ol", { class: "appr-history-list" }, request.history.map((entry) => h("li", { class: "appr-history-item", dataset: { action: entry.action } },
        h("div", { class: "appr-history-head" },
          h("strong", { text: entry.actor_name || t("appr.system") }),
          h("span", { class: "appr-history-action", text: t(`appr.action.${entry.action}`) }),
          targets(entry),
          h("time", { class: "muted", text: formatDateTime(entry.created_at) })),
        entry.comment ? h("p", { class: "appr-history-comment", text: entry.comment }) : null,
        entry.file_ids.length ? renderValue({ type: "attachment" }, entry.file_ids, undefined, { orgId }) : null))));
  }

  /** Whom an entry reached (transferred to, added, urged, copied), by name. */
  function targets(entry) {
    const ids = entry.data.to ? [entry.data.to] : Array.isArray(entry.data.user_ids) ? entry.data.user_ids : [];
    if (!ids.length) return null;
    const el = h("span", { class: "appr-history-targets muted" });
    memberNames(orgId).then((names) => {
      el.textContent = t("appr.targets", { names: ids.map((userId) => names.get(userId) || `#${userId}`).join(t("list.separator")) });
    }).catch(() => {});
    return el;
  }

  function composer(request) {
    if (!request.can.comment) return null;
    const input = h("textarea", { class: "input appr-comment-input", rows: 2, maxlength: 4000, placeholder: t("appr.commentPlaceholder"), "aria-label": t("appr.comment") });
    const files = fieldEditor({ key: "files", type: "attachment", label: t("appr.attachments") }, [], { orgId }, null, { compact: true });
    const send = h("button", { class: "btn btn-sm btn-primary", type: "submit", text: t("appr.comment") });
    return h("form", {
      class: "appr-composer",
      on: {
        submit: async (event) => {
          event.preventDefault();
          const body = input.value.trim();
          const fileIds = files.get() || [];
          if (!body && !fileIds.length) return;
          send.disabled = true;
          try {
            detail = await api.post(path(`/approvals/${request.id}/comment`), { body, file_ids: fileIds });
            drawRequest();
          } catch (error) {
            toast(errorText(error), "error");
          } finally {
            send.disabled = false;
          }
        },
      },
    }, input, h("div", { class: "appr-composer-foot" }, files.el, send));
  }

  function actionBar(request) {
    const can = request.can;
    const button = (key, label, handler, kind = "") => h("button", { class: ["btn", kind], type: "button", dataset: { action: key }, text: label, on: { click: handler } });
    const buttons = [
      can.urge ? button("urge", t("appr.urge"), () => act("urge", {}, t("appr.urged"))) : null,
      can.withdraw ? button("withdraw", t("appr.withdraw"), withdraw) : null,
      can.resubmit ? button("resubmit", t("appr.resubmit"), () => navigate(`approvals/${request.id}/resubmit`), "btn-primary") : null,
      can.add_approver ? button("add_approver", t("appr.addApprover"), addApprover) : null,
      can.transfer ? button("transfer", t("appr.transfer"), transfer) : null,
      can.return ? button("return", t("appr.return"), () => askText("return", t("appr.return"), t("appr.returnHint"), false)) : null,
      can.reject ? button("reject", t("appr.reject"), () => askText("reject", t("appr.reject"), t("appr.rejectHint"), true), "btn-danger") : null,
      can.approve ? button("approve", t("appr.approve"), () => askText("approve", t("appr.approve"), t("appr.approveHint"), false), "btn-primary") : null,
    ].filter(Boolean);
    return buttons.length ? h("footer", { class: "appr-actions" }, buttons) : null;
  }

  async function act(action, body, done) {
    try {
      detail = await api.post(path(`/approvals/${detail.id}/${action}`), body);
      if (done) toast(done);
      drawRequest();
      refreshApprovalCount();
      onChanged();
      return true;
    } catch (error) {
      toast(errorText(error), "error");
      if (error.status === 409) showRequest(true);
      return false;
    }
  }

  function askText(action, title, label, required) {
    const input = h("textarea", { class: "input", rows: 3, maxlength: 2000, "aria-label": label, placeholder: label, autofocus: true });
    const hint = h("p", { class: "appr-hint", hidden: true, role: "alert", text: t("appr.reasonRequired") });
    const ok = h("button", { class: ["btn", action === "reject" ? "btn-danger" : "btn-primary"], type: "button", text: title, on: { click: submit } });
    const modal = openModal({
      title, body: h("div", { class: "appr-ask" }, input, hint),
      actions: [h("button", { class: "btn", type: "button", text: t("action.cancel"), on: { click: () => modal.close() } }), ok],
    });
    async function submit() {
      const text = input.value.trim();
      if (required && !text) {
        hint.hidden = false;
        input.focus();
        return;
      }
      ok.disabled = true;
      const done = await act(action, action === "reject" ? { reason: text } : { comment: text }, t(`appr.done.${action}`));
      ok.disabled = false;
      if (done) modal.close();
    }
  }

  async function withdraw() {
    const ok = await confirmDialog({ title: t("appr.withdraw"), message: t("appr.withdrawConfirm"), confirmLabel: t("appr.withdraw"), danger: true });
    if (ok) act("withdraw", {}, t("appr.done.withdraw"));
  }

  async function transfer() {
    const picked = await pickPeople(orgId, { title: t("appr.transferTo"), multiple: false, exclude: new Set([state.me.id]) });
    if (!picked || !picked.length) return;
    act("transfer", { user_id: picked[0].id, comment: "" }, t("appr.done.transfer"));
  }

  function addApprover() {
    let people = [];
    const chosen = h("div", { class: "appr-chips" });
    const pick = h("button", { class: "btn btn-sm", type: "button", on: { click: async () => {
      const picked = await pickPeople(orgId, { title: t("appr.addApprover"), multiple: true });
      if (picked) people = picked;
      replaceChildren(chosen, people.map((p) => h("span", { class: "picker-chip", text: p.name })));
    } } }, icon("userPlus", "icon-sm"), t("appr.addPeople"));
    const radio = (name, value, label, checked) => h("label", { class: "appr-check" }, h("input", { type: "radio", name, value, checked }), h("span", { text: label }));
    const comment = h("textarea", { class: "input", rows: 2, maxlength: 2000, "aria-label": t("appr.comment"), placeholder: t("appr.comment") });
    const body = h("div", { class: "appr-ask" }, h("div", { class: "appr-people" }, chosen, pick),
      h("fieldset", { class: "appr-radios" }, h("legend", { text: t("appr.position") }),
        radio("position", "before", t("appr.before"), true), radio("position", "after", t("appr.after"), false)),
      h("fieldset", { class: "appr-radios" }, h("legend", { text: t("appr.mode") }),
        radio("mode", "all", t("appr.modeAll"), true), radio("mode", "any", t("appr.modeAny"), false)),
      comment);
    const ok = h("button", { class: "btn btn-primary", type: "button", text: t("appr.addApprover"), on: { click: async () => {
      if (!people.length) return pick.focus();
      const position = body.querySelector("input[name=position]:checked").value;
      const mode = body.querySelector("input[name=mode]:checked").value;
      if (await act("add-approver", { user_ids: people.map((p) => p.id), position, mode, comment: comment.value.trim() }, t("appr.done.add_approver"))) modal.close();
    } } });
    const modal = openModal({ title: t("appr.addApprover"), body, actions: [h("button", { class: "btn", type: "button", text: t("action.cancel"), on: { click: () => modal.close() } }), ok] });
  }

  showRequest();
  return {
    refresh: () => showRequest(true),
    destroy() { alive = false; },
  };
}
