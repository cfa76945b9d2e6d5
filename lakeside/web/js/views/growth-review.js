// For the organization's owner and admins: the quota compliance report (who is short, by how
// much, in which department; CSV) and the fraud review (flags with their reason and evidence,
// cleared or confirmed with a note; a cleared friend counts again).

import { api } from "../api.js";
import { h, replaceChildren } from "../dom.js";
import { errorText } from "../errors.js";
import { getLang, t } from "../i18n/index.js";
import { icon } from "../icons.js";
import { displayName, ensureUsers, getUser } from "../store.js";
import { avatar } from "../components/avatar.js";
import { formatNumber } from "../components/chart.js";
import { toast } from "../components/toast.js";
import { csvLink, dateOnly, dateTime, emptyState, failure, spinner } from "./growth-util.js";

export function mountQuota({ campaign, slot }) {
  let destroyed = false;
  let report = null;
  // The filter's values: "all", or "d:" and a department's name (which may be "": no department).
  const ALL = "all";
  let department = ALL;

  if (!campaign.spec.quota) {
    replaceChildren(slot, emptyState("check", t("growth.noQuota")));
    return { destroy() {} };
  }
  replaceChildren(slot, spinner());

  async function load() {
    try {
      report = await api.get(`/campaigns/${campaign.id}/quota`);
    } catch (error) {
      if (!destroyed) replaceChildren(slot, failure(error, load));
      return;
    }
    if (!destroyed) render();
  }

  function render() {
    const rate = report.participants ? report.compliant / report.participants : 0;
    const consequence = getLang() === "en" && report.consequence_en ? report.consequence_en : report.consequence;
    const departments = [...new Set(report.below.map((line) => line.department))].sort((a, b) => a.localeCompare(b, "zh-CN"));
    const filter = h("select", { class: "select g-filter", "aria-label": t("growth.department") },
      h("option", { value: ALL, selected: department === ALL, text: t("growth.allDepartments") }),
      departments.map((name) => h("option", { value: `d:${name}`, selected: `d:${name}` === department, text: name || t("growth.noDepartment") })));
    filter.addEventListener("change", () => {
      department = filter.value;
      render();
    });
    const lines = report.below.filter((line) => department === ALL || `d:${line.department}` === department)
      .sort((a, b) => b.shortfall - a.shortfall || a.name.localeCompare(b.name, "zh-CN"));
    const target = report.min_outside_users;
    const quotaDate = report.quota_at ? dateOnly(report.quota_at, campaign.spec.timezone) : "";
    replaceChildren(slot,
      h("section", { class: "g-card g-quota-head" },
        h("div", { class: "g-quota-figures" },
          h("div", { class: "g-figure" }, h("span", { class: "g-figure-label", text: t("growth.quotaRule") }),
            h("strong", { class: "g-figure-value", text: t("growth.quotaTarget", { n: formatNumber(target) }) }),
            h("span", { class: "muted", text: report.require_active ? t("growth.quotaActive", { date: quotaDate }) : t("growth.quotaAny", { date: quotaDate }) })),
          h("div", { class: "g-figure" }, h("span", { class: "g-figure-label", text: t("growth.compliant") }),
            h("strong", { class: "g-figure-value", text: `${formatNumber(report.compliant)} / ${formatNumber(report.participants)}` }),
            h("span", { class: "g-meter", role: "meter", "aria-valuemin": "0", "aria-valuemax": "100", "aria-valuenow": String(Math.round(rate * 100)), "aria-label": t("growth.compliant") },
              h("span", { class: "g-meter-fill", ref: (el) => { el.style.width = `${(rate * 100).toFixed(1)}%`; } }))),
          h("div", { class: "g-figure" }, h("span", { class: "g-figure-label", text: t("growth.below") }),
            h("strong", { class: "g-figure-value g-bad", text: formatNumber(report.below.length) }),
            h("span", { class: "muted", text: report.final ? t("growth.quotaFinal") : t("growth.quotaPreview") }))),
        consequence ? h("p", { class: "g-consequence" }, icon("alert", "icon-sm"), h("span", { text: consequence })) : null),
      h("div", { class: "g-toolbar" }, filter, h("span", { class: "grow" }),
        csvLink(`/campaigns/${campaign.id}/quota`, {})),
      lines.length
        ? h("table", { class: "g-table g-quota-table" },
          h("thead", {}, h("tr", {}, [t("growth.person"), t("growth.department"), t("growth.have"), t("growth.shortBy")].map((label) => h("th", { scope: "col", text: label })))),
          h("tbody", {}, lines.map((line) => h("tr", { dataset: { userId: line.user_id } },
            h("td", {}, h("span", { class: "g-cell-person" }, avatar({ id: line.user_id, name: line.name, url: getUser(line.user_id)?.avatar_url, size: "sm" }),
              h("span", { class: "ellipsis", text: line.name }))),
            h("td", { text: line.department || t("growth.noDepartment") }),
            h("td", {}, h("span", { class: "g-progress" },
              h("span", { class: "g-meter" }, h("span", { class: "g-meter-fill", ref: (el) => { el.style.width = `${Math.min(100, (line.count / target) * 100).toFixed(1)}%`; } })),
              h("span", { class: "g-num", text: `${formatNumber(line.count)} / ${formatNumber(target)}` }))),
            h("td", { class: "g-num g-bad", text: `−${formatNumber(line.shortfall)}` })))))
        : emptyState("check", report.below.length ? t("growth.noneInDepartment") : t("growth.allCompliant")));
  }

  load();
  return {
    destroy() {
      destroyed = true;
    },
  };
}

const RULES = () => ({
  device_burst: t("growth.ruleDevice"),
  network_burst: t("growth.ruleNetwork"),
  only_inviter: t("growth.ruleOnlyInviter"),
  dormant: t("growth.ruleDormant"),
  invite_chain: t("growth.ruleChain"),
});

/** A flag's evidence told as sentences: its parameters are the rule's (key, count, minutes…). */
export function evidenceLines(flag) {
  const params = flag.params || {};
  const used = new Set();
  const has = (...keys) => keys.every((key) => key in params) && keys.every((key) => used.add(key));
  const lines = [];
  if (has("key")) {
    lines.push(flag.rule === "network_burst" ? t("growth.evidenceNetwork", { key: params.key }) : t("growth.evidenceDevice", { key: params.key }));
  }
  if (has("count", "minutes")) lines.push(t("growth.evidenceBurst", { n: params.count, minutes: params.minutes }));
  if (has("messages", "inviter_id")) lines.push(t("growth.evidenceOnlyInviter", { n: params.messages, name: displayName(params.inviter_id) }));
  if (has("days")) lines.push(t("growth.evidenceDormant", { days: params.days }));
  if (has("length", "head_id")) lines.push(t("growth.evidenceChain", { n: params.length, name: displayName(params.head_id) }));
  // A rule newer than this page: still shown, if less well.
  for (const [key, value] of Object.entries(params)) {
    if (!used.has(key)) lines.push(t("growth.evidenceOther", { name: key, value: Array.isArray(value) ? value.join(t("list.separator")) : String(value) }));
  }
  return lines;
}

export function mountFlags({ campaign, slot }) {
  let destroyed = false;
  let status = "open";
  let flags = null;
  const list = h("div", { class: "g-flags", "aria-live": "polite" });
  const filters = h("div", { class: "tabs g-subtabs", role: "tablist" });
  const screen = h("button", { class: "btn btn-sm", type: "button", on: { click: screenNow } }, icon("shield", "icon-sm"), t("growth.screenNow"));
  replaceChildren(slot, h("p", { class: "page-hint", text: t("growth.flagsHint") }),
    h("div", { class: "g-toolbar" }, filters, h("span", { class: "grow" }), screen), list);

  function renderFilters() {
    replaceChildren(filters, ["open", "confirmed", "cleared", "all"].map((name) => h("button", {
      class: ["tab", status === name && "active"], type: "button", role: "tab", "aria-selected": String(status === name),
      text: { open: t("growth.flagOpen"), confirmed: t("growth.flagConfirmed"), cleared: t("growth.flagCleared"), all: t("growth.flagAll") }[name],
      on: { click: () => { status = name; load(); } },
    })));
  }

  async function load() {
    renderFilters();
    replaceChildren(list, spinner());
    const asked = status;
    try {
      const body = await api.get(`/campaigns/${campaign.id}/flags`, { status: status === "all" ? null : status });
      // The evidence names people (the inviter, a chain's first account): fetch them first.
      await ensureUsers(body.flags.flatMap((flag) => [flag.related_user_id, flag.decided_by, flag.params?.inviter_id, flag.params?.head_id]));
      if (destroyed || asked !== status) return;
      flags = body.flags;
    } catch (error) {
      if (!destroyed) replaceChildren(list, failure(error, load));
      return;
    }
    render();
  }

  async function screenNow() {
    screen.disabled = true;
    try {
      const result = await api.post(`/campaigns/${campaign.id}/screen`);
      toast(t("growth.screened", { n: result.new_flags }));
      await load();
    } catch (error) {
      toast(errorText(error), "error");
    } finally {
      screen.disabled = false;
    }
  }

  function render() {
    if (!flags.length) {
      replaceChildren(list, emptyState("shield", status === "open" ? t("growth.noOpenFlags") : t("growth.noFlags")));
      return;
    }
    replaceChildren(list, flags.map(card));
  }

  function card(flag) {
    const note = h("input", { class: "input g-note", maxlength: 256, placeholder: t("growth.notePlaceholder"), "aria-label": t("growth.note"), value: "" });
    const decide = async (decision, button) => {
      button.disabled = true;
      try {
        const updated = await api.post(`/campaigns/${campaign.id}/flags/${flag.id}`, { decision, note: note.value.trim() });
        toast({ clear: t("growth.flagClearedToast"), confirm: t("growth.flagConfirmedToast"), reopen: t("growth.flagReopenedToast") }[decision]);
        flags = status === "all" ? flags.map((item) => (item.id === flag.id ? updated : item)) : flags.filter((item) => item.id !== flag.id);
        render();
      } catch (error) {
        button.disabled = false;
        toast(errorText(error), "error");
      }
    };
    const button = (label, decision, kind) => h("button", {
      class: ["btn btn-sm", kind], type: "button", text: label, dataset: { decision },
      on: { click: (event) => decide(decision, event.currentTarget) },
    });
    const reason = getLang() === "en" ? flag.reason : flag.reason_zh || flag.reason;
    const evidence = evidenceLines(flag);
    return h("article", { class: ["g-card g-flag", `g-flag-${flag.status}`], dataset: { flagId: flag.id, userId: flag.user_id } },
      h("header", { class: "g-flag-head" },
        avatar({ id: flag.user_id, name: flag.name, url: getUser(flag.user_id)?.avatar_url, size: "md" }),
        h("div", { class: "g-row-text" },
          h("span", { class: "g-row-name" }, flag.name, h("span", { class: "muted g-username", text: `@${flag.username}` })),
          h("span", { class: "g-row-team", text: dateTime(flag.created_at) })),
        h("span", { class: "g-rule", text: RULES()[flag.rule] || flag.rule }),
        h("span", { class: ["g-flag-state", `g-flag-state-${flag.status}`], text: { open: t("growth.flagOpen"), confirmed: t("growth.flagConfirmed"), cleared: t("growth.flagCleared") }[flag.status] || flag.status })),
      h("p", { class: "g-flag-reason", text: reason }),
      evidence.length ? h("ul", { class: "g-evidence" }, evidence.map((line) => h("li", { text: line }))) : null,
      flag.related_user_id ? h("p", { class: "muted g-related", text: t("growth.related", { name: displayName(flag.related_user_id) }) }) : null,
      flag.decided_at ? h("p", { class: "muted g-decided", text: t("growth.decided", { name: displayName(flag.decided_by), time: dateTime(flag.decided_at), note: flag.note || "—" }) }) : null,
      h("footer", { class: "g-flag-actions" },
        flag.status === "open" ? [note, button(t("growth.clear"), "clear", "btn-primary"), button(t("growth.confirmFraud"), "confirm", "btn-danger")]
          : [note, button(t("growth.reopen"), "reopen", "")]));
  }

  load();
  return {
    destroy() {
      destroyed = true;
    },
  };
}
