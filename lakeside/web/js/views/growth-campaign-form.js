// Defining a campaign (owners and admins of the organization): a form that writes the campaign
// document the server validates (lakeside/domain/campaigns.py: CampaignSpec). Whatever the form
// does not show (e.g. fraud thresholds) is kept as it was. The document is shown as JSON below.

import { api } from "../api.js";
import { h, replaceChildren } from "../dom.js";
import { errorText } from "../errors.js";
import { t } from "../i18n/index.js";
import { icon } from "../icons.js";
import { confirmDialog } from "../components/modal.js";
import { toast } from "../components/toast.js";
import { isoDay, loadTemplate, participantsEditor, tierEditor } from "./growth-form-parts.js";
import { frame } from "./growth-util.js";

const FRAUD_RULES = ["device_burst", "network_burst", "only_inviter", "dormant", "invite_chain"];

function blank() {
  return {
    version: 1, name: "", description: "", timezone: "Asia/Shanghai", start: isoDay(0), deadline: isoDay(30),
    participants: { kind: "organization" }, metric: { kind: "active_outside_friends", active_days: 7, friends: "any" },
    prizes: [], min_score_for_prize: 1, teams: null, tie_break: ["reached_at", "user_id"], quota: null,
  };
}

export function mountCampaignForm(main, { orgId, campaign, onSaved, embedded = false }) {
  const editing = !!campaign;
  let base = editing ? structuredClone(campaign.spec) : blank();
  let body = embedded ? main : frame(main, { title: t("growth.newCampaign"), back: "#/campaigns" });
  let parts = null;

  function field(id, label, control, hint = null) {
    control.id = id;
    return h("div", { class: "field" }, h("label", { for: id, text: label }), control, hint ? h("span", { class: "field-hint", text: hint }) : null);
  }

  function check(label, checked, hint = null) {
    const input = h("input", { type: "checkbox", checked });
    return { input, el: h("label", { class: "g-check" }, input, h("span", {}, h("span", { text: label }), hint ? h("span", { class: "field-hint block", text: hint }) : null)) };
  }

  function section(title, ...children) {
    return h("fieldset", { class: "g-card g-fieldset" }, h("legend", { class: "g-card-title", text: title }), ...children);
  }

  function dateValue(value) {
    return (value || "").slice(0, 10);
  }

  async function usePreset() {
    try {
      base = await loadTemplate("laiwang-2013");
      build();
    } catch (error) {
      toast(errorText(error), "error");
    }
  }

  function build() {
    const spec = base;
    const name = h("input", { class: "input", maxlength: 128, required: true, value: spec.name });
    const description = h("textarea", { class: "textarea", maxlength: 2000, rows: 3 });
    description.value = spec.description || "";
    const zones = [...new Set([spec.timezone, "Asia/Shanghai", Intl.DateTimeFormat().resolvedOptions().timeZone, "UTC"].filter(Boolean))];
    const timezone = h("select", { class: "select" }, zones.map((zone) => h("option", { value: zone, selected: zone === spec.timezone, text: zone })));
    const start = h("input", { class: "input", type: "date", required: true, value: dateValue(spec.start) });
    const deadline = h("input", { class: "input", type: "date", required: true, value: dateValue(spec.deadline) });
    const participants = participantsEditor(orgId, spec.participants);
    const days = h("input", { class: "input input-number", type: "number", min: 1, max: 366, value: spec.metric.active_days });
    const friends = h("select", { class: "select" }, [["any", t("growth.friendsAny")], ["registered_during_campaign", t("growth.friendsDuring")], ["invited_by_participant", t("growth.friendsInvited")]]
      .map(([value, label]) => h("option", { value, selected: spec.metric.friends === value, text: label })));
    const prizes = tierEditor(spec.prizes, { prefix: "p" });
    const minScore = h("input", { class: "input input-number", type: "number", min: 0, value: spec.min_score_for_prize ?? 1 });
    const teamsOn = check(t("growth.teamsOn"), !!spec.teams, t("growth.teamsOnHint"));
    const teamSpec = spec.teams || { level: "top", aggregate: "sum", min_members: 1, prizes: [] };
    const level = h("select", { class: "select" }, [["top", t("growth.levelTop")], ["direct", t("growth.levelDirect")]].map(([value, label]) => h("option", { value, selected: teamSpec.level === value, text: label })));
    const aggregate = h("select", { class: "select" }, [["sum", t("growth.aggregateSum")], ["average", t("growth.aggregateAverage")]].map(([value, label]) => h("option", { value, selected: teamSpec.aggregate === value, text: label })));
    const minMembers = h("input", { class: "input input-number", type: "number", min: 1, value: teamSpec.min_members ?? 1 });
    const teamPrizes = tierEditor(teamSpec.prizes, { prefix: "t" });
    const teamBox = h("div", { class: "g-sub" }, h("div", { class: "g-grid" }, field("g-level", t("growth.teamLevel"), level), field("g-aggregate", t("growth.aggregate"), aggregate),
      field("g-min-members", t("growth.minMembers"), minMembers)), h("h4", { class: "g-sub-title", text: t("growth.teamPrizes") }), teamPrizes.el);
    const tie = h("select", { class: "select" }, [["reached_at", t("growth.tieReached")], ["user_id", t("growth.tieUser")]].map(([value, label]) => h("option", { value, selected: spec.tie_break[0] === value, text: label })));
    const quotaOn = check(t("growth.quotaOn"), !!spec.quota, t("growth.quotaOnHint"));
    const quota = spec.quota || { min_outside_users: 100, by: dateValue(spec.deadline), require_active: false, consequence: "", consequence_en: "" };
    const quotaMin = h("input", { class: "input input-number", type: "number", min: 1, value: quota.min_outside_users });
    const quotaBy = h("input", { class: "input", type: "date", value: dateValue(quota.by) });
    const quotaActive = check(t("growth.quotaRequireActive"), quota.require_active);
    const consequence = h("input", { class: "input", maxlength: 200, value: quota.consequence || "" });
    const consequenceEn = h("input", { class: "input", maxlength: 200, value: quota.consequence_en || "" });
    const quotaBox = h("div", { class: "g-sub" }, h("div", { class: "g-grid" }, field("g-quota-min", t("growth.quotaMin"), quotaMin), field("g-quota-by", t("growth.quotaBy"), quotaBy)),
      quotaActive.el, field("g-consequence", t("growth.consequence"), consequence), field("g-consequence-en", t("growth.consequenceEn"), consequenceEn));
    const fraudRules = new Set((spec.fraud && spec.fraud.rules) || FRAUD_RULES);
    const fraudChecks = FRAUD_RULES.map((rule) => ({ rule, ...check({ device_burst: t("growth.ruleDevice"), network_burst: t("growth.ruleNetwork"), only_inviter: t("growth.ruleOnlyInviter"), dormant: t("growth.ruleDormant"), invite_chain: t("growth.ruleChain") }[rule], fraudRules.has(rule)) }));
    const json = h("pre", { class: "g-json" });
    const error = h("div", { class: "form-error", role: "alert", hidden: true });
    const submit = h("button", { class: "btn btn-primary", type: "submit", text: editing ? t("action.save") : t("growth.create") });

    const toggle = () => {
      teamBox.hidden = !teamsOn.input.checked;
      quotaBox.hidden = !quotaOn.input.checked;
    };
    teamsOn.input.addEventListener("change", toggle);
    quotaOn.input.addEventListener("change", toggle);
    toggle();

    parts = () => {
      const doc = {
        ...base,
        version: 1,
        name: name.value.trim(),
        description: description.value.trim(),
        timezone: timezone.value,
        start: start.value,
        deadline: deadline.value,
        participants: participants.value(),
        metric: { ...base.metric, kind: "active_outside_friends", active_days: Number(days.value) || 1, friends: friends.value },
        prizes: prizes.value(),
        min_score_for_prize: Number(minScore.value) || 0,
        teams: teamsOn.input.checked ? { ...(base.teams || {}), by: "department", level: level.value, aggregate: aggregate.value, min_members: Number(minMembers.value) || 1, prizes: teamPrizes.value() } : null,
        tie_break: tie.value === "reached_at" ? ["reached_at", "user_id"] : ["user_id"],
        quota: quotaOn.input.checked ? { min_outside_users: Number(quotaMin.value) || 1, by: quotaBy.value, require_active: quotaActive.input.checked, consequence: consequence.value.trim(), consequence_en: consequenceEn.value.trim() } : null,
        fraud: { ...(base.fraud || {}), rules: fraudChecks.filter((item) => item.input.checked).map((item) => item.rule) },
      };
      return doc;
    };

    const preset = editing ? null : h("div", { class: "g-preset" }, icon("info", "icon-sm"),
      h("span", { class: "grow", text: t("growth.presetHint") }),
      h("button", { class: "btn btn-sm", type: "button", text: t("growth.presetLaiwang"), on: { click: () => usePreset() } }));

    const form = h("form", { class: "g-form", novalidate: true },
      preset,
      section(t("growth.basics"), field("g-name", t("growth.name"), name), field("g-description", t("growth.description"), description),
        h("div", { class: "g-grid" }, field("g-start", t("growth.start"), start), field("g-deadline", t("growth.deadline"), deadline, t("growth.deadlineHint")),
          field("g-timezone", t("growth.timezone"), timezone))),
      section(t("growth.participants"), participants.el),
      section(t("growth.metric"), h("div", { class: "g-grid" }, field("g-days", t("growth.windowDays"), days, t("growth.windowHint")), field("g-friends", t("growth.friendsFilter"), friends))),
      section(t("growth.prizes"), prizes.el, h("div", { class: "g-grid" }, field("g-min-score", t("growth.minScore"), minScore, t("growth.minScoreHint")), field("g-tie", t("growth.tieBreak"), tie))),
      section(t("growth.teams"), teamsOn.el, teamBox),
      section(t("growth.quota"), quotaOn.el, quotaBox),
      section(t("growth.fraud"), h("div", { class: "g-checks" }, fraudChecks.map((item) => item.el))),
      h("details", { class: "g-card g-json-box", on: { toggle: () => { json.textContent = JSON.stringify(parts(), null, 2); } } },
        h("summary", { text: t("growth.document") }), json),
      error,
      h("div", { class: "g-form-actions" },
        editing ? h("button", { class: "btn btn-danger", type: "button", text: t("action.delete"), on: { click: remove } }) : null,
        h("span", { class: "grow" }), submit));
    form.addEventListener("input", () => {
      if (json.isConnected && json.closest("details").open) json.textContent = JSON.stringify(parts(), null, 2);
    });
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      error.hidden = true;
      const doc = parts();
      if (!doc.name) return fail({ message: t("growth.nameRequired") });
      submit.disabled = true;
      try {
        const saved = editing ? await api.put(`/campaigns/${campaign.id}`, doc) : await api.post(`/orgs/${orgId}/campaigns`, doc);
        toast(editing ? t("growth.saved") : t("growth.created"));
        onSaved(saved);
      } catch (failed) {
        submit.disabled = false;
        fail(failed);
      }
    });

    function fail(failed) {
      // The server names the field and the problem (e.g. "deadline must come after the start").
      const details = failed && failed.data && Array.isArray(failed.data.fields) ? failed.data.fields.map((item) => `${item.field}: ${item.problem}`) : [];
      error.textContent = details.length ? details.join(" · ") : failed.status ? errorText(failed) : failed.message;
      error.hidden = false;
      error.scrollIntoView({ block: "nearest" });
    }

    replaceChildren(body, form);
    name.focus();
  }

  async function remove() {
    const ok = await confirmDialog({ title: t("growth.deleteCampaign"), message: t("growth.deleteConfirm", { name: campaign.name }), confirmLabel: t("action.delete"), danger: true });
    if (!ok) return;
    try {
      await api.del(`/campaigns/${campaign.id}`);
      toast(t("growth.deleted"));
      onSaved(null);
    } catch (failed) {
      toast(errorText(failed), "error");
    }
  }

  build();
  return { destroy() {} };
}
