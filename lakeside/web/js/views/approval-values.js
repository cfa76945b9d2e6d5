// The values of an approval request as the server returns them, drawn read-only on the request
// page (money as ¥ from fen, ranges with their duration, people and departments by name, files as
// links, detail tables as tables); and the organization's member and department names they need.

import { api } from "../api.js";
import { h } from "../dom.js";
import { formatDateTime } from "../format.js";
import { t } from "../i18n/index.js";
import { icon } from "../icons.js";
import { displayName, rememberUser } from "../store.js";

const DAY = 86_400_000;

/** ¥1,234.50 from fen. */
export function formatMoney(fen) {
  const yuan = (Number(fen) || 0) / 100;
  return `\u00a5${yuan.toLocaleString(undefined, { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
}

/** Days of a date range, both ends counted; null when incomplete or reversed. */
export function rangeDays(value) {
  if (!value || !value.start || !value.end) return null;
  const days = (Date.parse(value.end) - Date.parse(value.start)) / DAY + 1;
  return days >= 1 ? days : null;
}

/** Hours of a date/time range, one decimal; null when incomplete or reversed. */
export function rangeHours(value) {
  if (!value || !value.start || !value.end || value.end <= value.start) return null;
  return Math.round((value.end - value.start) / 360_000) / 10;
}

// Names of the organization's members and departments, fetched once per organization.
const members = new Map(); // orgId -> Promise<Map<userId, name>>
const departments = new Map(); // orgId -> Promise<[{id, name}]>

export function memberNames(orgId) {
  if (!members.has(orgId)) {
    const promise = (async () => {
      const names = new Map();
      let after = null;
      // Pages of 200 (the directory's most), up to 5,000 members.
      for (let page = 0; page < 25; page += 1) {
        const found = await api.get(`/orgs/${orgId}/members`, { limit: 200, after });
        for (const member of found.members) {
          rememberUser({ id: member.user_id, username: member.username, display_name: member.display_name, avatar_url: member.avatar_url });
          names.set(member.user_id, member.name || member.display_name);
        }
        if (!found.next_after) break;
        after = found.next_after;
      }
      return names;
    })();
    promise.catch(() => members.delete(orgId));
    members.set(orgId, promise);
  }
  return members.get(orgId);
}

export function orgDepartments(orgId) {
  if (!departments.has(orgId)) {
    const promise = api.get(`/orgs/${orgId}/departments`);
    promise.catch(() => departments.delete(orgId));
    departments.set(orgId, promise);
  }
  return departments.get(orgId);
}

/** A value as text and elements, for the request page. */
export function renderValue(field, value, computed, ctx) {
  if (value === undefined || value === null || (Array.isArray(value) && !value.length)) return h("span", { class: "muted", text: t("appr.empty") });
  switch (field.type) {
    case "money":
      return h("span", { class: "appr-money-value", text: formatMoney(value) });
    case "daterange":
      return h("span", { text: `${value.start} \u2013 ${value.end}` },
        computed !== undefined ? h("span", { class: "appr-duration muted", text: t("appr.days", { n: computed }) }) : null);
    case "datetimerange":
      return h("span", { text: `${formatDateTime(value.start)} \u2013 ${formatDateTime(value.end)}` },
        computed !== undefined ? h("span", { class: "appr-duration muted", text: t("appr.hours", { n: computed }) }) : null);
    case "multiselect":
      return h("span", { text: value.join(t("list.separator")) });
    case "people": {
      const el = h("span", { text: value.map((userId) => displayName(userId)).join(t("list.separator")) });
      memberNames(ctx.orgId).then((names) => { el.textContent = value.map((userId) => names.get(userId) || displayName(userId)).join(t("list.separator")); }).catch(() => {});
      return el;
    }
    case "department": {
      const el = h("span", { text: "" });
      orgDepartments(ctx.orgId).then((list) => {
        el.textContent = value.map((depId) => list.find((d) => d.id === depId)?.name || `#${depId}`).join(t("list.separator"));
      }).catch(() => {});
      return el;
    }
    case "attachment":
      return h("ul", { class: "appr-files" }, value.map((fileId, index) => h("li", { class: "appr-file" }, icon("file", "icon-sm"),
        h("a", { href: `/api/v1/files/${encodeURIComponent(fileId)}`, target: "_blank", rel: "noopener", text: t("appr.fileN", { n: index + 1 }) }))));
    case "image":
      return h("div", { class: "appr-images" }, value.map((fileId) => h("a", { href: `/api/v1/files/${encodeURIComponent(fileId)}`, target: "_blank", rel: "noopener" },
        h("img", { class: "appr-image", src: `/api/v1/files/${encodeURIComponent(fileId)}/thumbnail`, alt: field.label, loading: "lazy" }))));
    case "table": {
      const columns = field.columns || [];
      return h("div", { class: "appr-table-view" },
        h("table", { class: "appr-detail-table" },
          h("thead", {}, h("tr", {}, h("th", { text: "#" }), columns.map((c) => h("th", { text: c.label })))),
          h("tbody", {}, value.map((row, index) => h("tr", {}, h("td", { text: String(index + 1) }),
            columns.map((c) => h("td", {}, row[c.key] === undefined ? "" : renderValue(c, row[c.key], undefined, ctx))))))),
        computed !== undefined ? h("div", { class: "appr-total", text: t("appr.total", {
          total: columns.find((c) => c.key === field.total_of)?.type === "money" ? formatMoney(computed) : String(computed),
        }) }) : null);
    }
    default:
      return h("span", { class: "appr-text-value", text: String(value) });
  }
}

// A template's `icon` (builtin names) → an icon of icons.js and a tile colour.
const ICONS = { leave: "clock", expense: "tag", trip: "briefcase", purchase: "inbox", general: "file" };
export const TEMPLATE_ICONS = ["leave", "expense", "trip", "purchase", "general", "users", "building", "gift", "flag", "chart"];

export function templateIcon(template, size = "") {
  const name = ICONS[template.icon] || (["users", "building", "gift", "flag", "chart"].includes(template.icon) ? template.icon : "file");
  return h("span", { class: `appr-tpl-icon appr-tpl-${TEMPLATE_ICONS.includes(template.icon) ? template.icon : "general"}`, "aria-hidden": "true" }, icon(name, size));
}

export function statusTag(status) {
  return h("span", { class: `appr-status appr-status-${status}`, text: t(`appr.status.${status}`) });
}

/** A page of the main area with a back link. */
export function apprPage(title, back, ...body) {
  return h("div", { class: "page appr-page" },
    h("header", { class: "page-head" },
      h("a", { class: "icon-btn back-btn", href: back, "aria-label": t("action.back") }, icon("back")),
      h("h2", { class: "page-title grow ellipsis", text: title })),
    h("div", { class: "page-body scroll" }, ...body));
}
