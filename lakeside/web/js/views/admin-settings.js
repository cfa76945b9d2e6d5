// Admin pages: the organization's settings (name, logo, who may invite, join approval, recall and
// edit windows, read receipts for members, message retention, exporting the organization) and the DING escalation rules (in-app re-notification,
// e-mail, SMS and voice through the provider webhook).

import { api } from "../api.js";
import { h, replaceChildren } from "../dom.js";
import { t } from "../i18n/index.js";
import { icon } from "../icons.js";
import { loadOrgs } from "../org.js";
import { toast } from "../components/toast.js";
import { adminFrame, field, guard, loading, switchRow } from "./admin-ui.js";
import { mountExports } from "./settings-privacy.js";
import { orgLogo } from "./workspace-switcher.js";

const minutesOf = (seconds) => (seconds === null || seconds === undefined ? "" : String(Math.round(seconds / 60)));

function numberInput(value, { min = 0, max = 100000, placeholder = "" } = {}) {
  return h("input", { class: "input input-number", type: "number", inputmode: "numeric", min, max, step: 1, value, placeholder });
}

function readNumber(input) {
  const text = input.value.trim();
  return text === "" ? null : Number(text);
}

/** Retention: off, or delete messages older than N ≥ 30 days (PUT /orgs/{id}/retention). */
function retentionCard(org) {
  const days = numberInput("", { min: 30, max: 36500, placeholder: "180" });
  days.id = "set-retention";
  const keep = h("input", { type: "checkbox", class: "switch", role: "switch", id: "set-retention-off" });
  // Switched off "keep all", the days are needed: saved empty they meant keep all after all.
  const sync = () => { days.disabled = keep.checked; days.required = !keep.checked; };
  keep.addEventListener("change", sync);
  guard(api.get(`/orgs/${org.id}/retention`)).then((policy) => {
    if (!policy) return;
    keep.checked = policy.days === null;
    days.value = policy.days === null ? "" : String(policy.days);
    sync();
  });
  const form = h("form", { class: "settings-card retention-card" },
    h("h3", { class: "section-title", text: t("admin.retentionTitle") }),
    h("p", { class: "field-hint block", text: t("admin.retentionHint") }),
    h("label", { class: "panel-toggle" }, h("span", { text: t("admin.retentionOff") }), keep),
    field("set-retention", t("admin.retentionDays"), days),
    h("button", { class: "btn btn-primary", type: "submit", text: t("admin.retentionSave") }));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const saved = await guard(api.put(`/orgs/${org.id}/retention`, { days: keep.checked ? null : readNumber(days) }));
    if (saved) toast(t("admin.saved"));
  });
  return form;
}

export function mountSettingsAdmin(main, { org, title }) {
  const body = adminFrame(main, title);
  let settings = null;
  let alive = true;
  let exportsView = null;

  async function load() {
    const fresh = await guard(api.get(`/orgs/${org.id}`));
    if (!alive || !fresh) return;
    settings = fresh;
    render();
  }

  function render() {
    const name = h("input", { class: "input", value: settings.name, maxlength: 256 });
    const policy = h("select", { class: "select" },
      h("option", { value: "admins", text: t("admin.invitePolicyAdmins"), selected: settings.invite_policy === "admins" }),
      h("option", { value: "members", text: t("admin.invitePolicyMembers"), selected: settings.invite_policy === "members" }));
    const approval = switchRow("set-approval", t("admin.joinApproval"), settings.join_approval, t("admin.joinApprovalHint"));
    const receipts = switchRow("set-receipts", t("admin.receipts"), settings.members_see_read_receipts, t("admin.receiptsHint"));
    const recall = numberInput(minutesOf(settings.recall_window_seconds), { placeholder: t("admin.windowDefault") });
    const edit = numberInput(minutesOf(settings.edit_window_seconds), { placeholder: t("admin.windowDefault") });
    const file = h("input", { type: "file", accept: "image/*", hidden: true });
    file.addEventListener("change", async () => {
      const [chosen] = file.files;
      if (!chosen) return;
      const uploaded = await guard(api.upload("/files", chosen));
      if (uploaded && await guard(api.patch(`/orgs/${org.id}`, { logo_file_id: uploaded.id }))) {
        toast(t("admin.saved"));
        await loadOrgs().catch(() => {});
        load();
      }
    });
    const removeLogo = async () => {
      if (await guard(api.patch(`/orgs/${org.id}`, { logo_file_id: null }))) {
        await loadOrgs().catch(() => {});
        load();
      }
    };

    const form = h("form", { class: "settings-card" },
      h("div", { class: "settings-avatar" }, orgLogo(settings, "xl"),
        h("div", {}, h("div", { class: "profile-name", text: settings.name }),
          h("div", { class: "muted", text: t("org.memberCount", { n: settings.member_count }) }),
          h("div", { class: "row" },
            h("button", { class: "btn btn-sm", type: "button", on: { click: () => file.click() } }, icon("image", "icon-sm"), t("admin.changeLogo")),
            settings.logo_url ? h("button", { class: "btn btn-sm btn-ghost", type: "button", text: t("admin.removeLogo"), on: { click: removeLogo } }) : null),
          file)),
      field("set-name", t("org.name"), name),
      field("set-invite", t("admin.invitePolicy"), policy),
      approval.el,
      h("h3", { class: "section-title", text: t("admin.messages") }),
      field("set-recall", t("admin.recallWindow"), recall, t("admin.recallWindowHint")),
      field("set-edit", t("admin.editWindow"), edit, t("admin.editWindowHint")),
      receipts.el,
      h("button", { class: "btn btn-primary", type: "submit", text: t("action.save") }));
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const seconds = (input) => (readNumber(input) === null ? null : Math.round(readNumber(input) * 60));
      const changes = {
        name: name.value.trim() || settings.name,
        invite_policy: policy.value,
        join_approval: approval.input.checked,
        members_see_read_receipts: receipts.input.checked,
        recall_window_seconds: seconds(recall),
        edit_window_seconds: seconds(edit),
      };
      const saved = await guard(api.patch(`/orgs/${org.id}`, changes));
      if (!saved) return;
      settings = saved;
      toast(t("admin.saved"));
      loadOrgs().catch(() => {});
    });
    const exportsBox = h("div", { class: "settings-card export-card" });
    if (exportsView) exportsView.destroy();
    exportsView = mountExports(exportsBox, `/orgs/${org.id}`);
    exportsBox.prepend(h("h3", { class: "section-title", text: t("admin.exportTitle") }));
    replaceChildren(body, form, retentionCard(org), exportsBox);
  }

  loading(body);
  load();
  return {
    // Another admin changed the settings: show them, unless this admin is typing.
    refresh(event) {
      if (event.op === "updated" && !body.contains(document.activeElement)) load();
    },
    destroy() {
      alive = false;
      if (exportsView) exportsView.destroy();
    },
  };
}

const STEPS = [
  { key: "app", label: "admin.dingApp", hint: "admin.dingAppHint" },
  { key: "email", label: "admin.dingEmail", hint: "admin.dingEmailHint" },
  { key: "sms", label: "admin.dingSms", hint: "admin.dingSmsHint" },
  { key: "voice", label: "admin.dingVoice", hint: "admin.dingVoiceHint" },
];

export function mountDingPolicyAdmin(main, { org, title }) {
  const body = adminFrame(main, title);
  let alive = true;

  async function load() {
    const policy = await guard(api.get(`/orgs/${org.id}/ding-policy`));
    if (alive && policy) render(policy);
  }

  function render(policy) {
    const rows = STEPS.map((step) => {
      const current = policy[`${step.key}_after_minutes`];
      const enabled = h("input", { type: "checkbox", class: "switch", id: `ding-${step.key}-on`, checked: current !== null });
      const minutes = numberInput(current === null ? "" : String(current), { min: step.key === "app" ? 5 : 1, max: 10080 });
      minutes.id = `ding-${step.key}`;
      minutes.disabled = current === null;
      minutes.setAttribute("aria-label", t("admin.dingMinutesOf", { step: t(step.label) }));
      enabled.addEventListener("change", () => {
        minutes.disabled = !enabled.checked;
        if (enabled.checked && !minutes.value) minutes.value = step.key === "app" ? "5" : "15";
      });
      return { step, enabled, minutes, el: h("div", { class: "ding-step" },
        h("div", { class: "switch-text" }, h("label", { for: `ding-${step.key}-on`, text: t(step.label) }), h("span", { class: "field-hint", text: t(step.hint) })),
        h("div", { class: "ding-after" }, h("span", { class: "muted", text: t("admin.after") }), minutes, h("span", { class: "muted", text: t("admin.minutes") })),
        enabled) };
    });
    const url = h("input", { class: "input", type: "url", value: policy.webhook_url || "", maxlength: 2048, placeholder: "https://" });
    const secret = h("input", { class: "input", type: "password", autocomplete: "new-password", maxlength: 256,
      placeholder: policy.has_webhook_secret ? t("admin.secretKept") : t("admin.secretNone") });
    const clearSecret = h("input", { type: "checkbox" });
    const form = h("form", { class: "settings-card" },
      h("p", { class: "page-hint", text: t("admin.dingIntro") }),
      rows.map((row) => row.el),
      h("h3", { class: "section-title", text: t("admin.webhook") }),
      field("ding-url", t("admin.webhookUrl"), url, t("admin.webhookUrlHint")),
      field("ding-secret", t("admin.webhookSecret"), secret, t("admin.webhookSecretHint")),
      policy.has_webhook_secret ? h("label", { class: "checkbox" }, clearSecret, h("span", { text: t("admin.removeSecret") })) : null,
      h("button", { class: "btn btn-primary", type: "submit", text: t("action.save") }));
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const changes = { webhook_url: url.value.trim() || null };
      for (const row of rows) changes[`${row.step.key}_after_minutes`] = row.enabled.checked ? readNumber(row.minutes) : null;
      if (secret.value) changes.webhook_secret = secret.value;
      else if (clearSecret.checked) changes.webhook_secret = null;
      const saved = await guard(api.put(`/orgs/${org.id}/ding-policy`, changes));
      if (saved && alive) {
        toast(t("admin.saved"));
        render(saved);
      }
    });
    replaceChildren(body, form);
  }

  loading(body);
  load();
  return { destroy() { alive = false; } };
}
