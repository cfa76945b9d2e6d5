// Approvals' data for admins (#/approvals/data): how many requests, in which state, of which
// template, how long they take to approve (overall and per step), for a period and a template; and
// the CSV export (one row per request, a column per field; the export is per template, since each
// has its own fields). GET …/approvals/stats and …/approvals/export.csv (docs/approvals.md).

import { api } from "../api.js";
import { h, replaceChildren } from "../dom.js";
import { errorText } from "../errors.js";
import { t } from "../i18n/index.js";
import { icon } from "../icons.js";

const HOUR = 3_600_000;

/** "2.5 小时" / "3.2 天": an average time to approve, in the unit that reads best. */
export function formatSpan(ms) {
  if (ms === null || ms === undefined) return "—";
  if (ms < HOUR) return t("appr.data.minutes", { n: Math.max(1, Math.round(ms / 60_000)) });
  if (ms < 48 * HOUR) return t("appr.data.hours", { n: (ms / HOUR).toFixed(1) });
  return t("appr.data.days", { n: (ms / (24 * HOUR)).toFixed(1) });
}

export function mountStats({ main, orgId }) {
  const path = (rest = "") => `/orgs/${orgId}${rest}`;
  let alive = true;
  let templates = [];
  let filters = { template_id: "", from: "", to: "" };
  const dayStart = (text) => (text ? new Date(`${text}T00:00:00`).getTime() : null);
  const dayEnd = (text) => (text ? new Date(`${text}T00:00:00`).getTime() + 86_400_000 - 1 : null);

  const form = h("form", { class: "appr-filters appr-data-filters", on: { submit: (event) => { event.preventDefault(); read(); } } });
  const csv = h("a", { class: "btn btn-sm", download: "" }, icon("download", "icon-sm"), h("span", { text: t("appr.data.csv") }));
  const body = h("div", { class: "appr-data-body", "aria-live": "polite" });
  replaceChildren(main, h("div", { class: "page appr-page appr-data" },
    h("header", { class: "page-head" },
      h("a", { class: "icon-btn back-btn", href: "#/approvals/admin", "aria-label": t("action.back") }, icon("back")),
      h("h2", { class: "page-title grow ellipsis", text: t("appr.data.title") }), csv),
    h("div", { class: "page-body scroll" }, form, body)));

  function query() {
    const out = {};
    if (filters.template_id) out.template_id = filters.template_id;
    if (filters.from) out.from = dayStart(filters.from);
    if (filters.to) out.to = dayEnd(filters.to);
    return out;
  }

  function drawForm() {
    const template = h("select", { class: "input input-sm", name: "template_id", on: { change: read } },
      h("option", { value: "", text: t("appr.any") }),
      templates.map((tpl) => h("option", { value: String(tpl.id), text: tpl.name, selected: String(tpl.id) === filters.template_id })));
    const date = (name, label) => h("label", { class: "appr-filter" }, h("span", { class: "muted", text: label }),
      h("input", { class: "input input-sm", type: "date", name, value: filters[name], on: { change: read } }));
    replaceChildren(form, h("label", { class: "appr-filter" }, h("span", { class: "muted", text: t("appr.template") }), template),
      date("from", t("appr.from")), date("to", t("appr.to")));
  }

  function drawCsv() {
    // One template's requests: its fields are the columns. Without a template chosen, the link
    // explains instead of failing.
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(query())) params.set(key, String(value));
    if (filters.template_id) {
      csv.href = `/api/v1${path("/approvals/export.csv")}?${params}`;
      csv.removeAttribute("aria-disabled");
      csv.title = t("appr.data.csvHint");
    } else {
      csv.removeAttribute("href");
      csv.setAttribute("aria-disabled", "true");
      csv.title = t("appr.data.csvPick");
    }
  }

  function read() {
    const data = new FormData(form);
    filters = { template_id: data.get("template_id") || "", from: data.get("from") || "", to: data.get("to") || "" };
    load();
  }

  function table(caption, head, rows) {
    return h("table", { class: "appr-data-table" },
      h("caption", { text: caption }),
      h("thead", {}, h("tr", {}, head.map((text) => h("th", { scope: "col", text })))),
      h("tbody", {}, rows.length ? rows.map((cells) => h("tr", {}, cells.map((text) => h("td", { text: String(text) }))))
        : h("tr", {}, h("td", { colspan: String(head.length), class: "muted", text: t("appr.data.none") }))));
  }

  async function load() {
    drawCsv();
    replaceChildren(body, h("span", { class: "spinner" }));
    let stats;
    try {
      stats = await api.get(path("/approvals/stats"), query());
    } catch (error) {
      if (alive) replaceChildren(body, h("p", { class: "muted", role: "alert", text: errorText(error) }));
      return;
    }
    if (!alive) return;
    const status = (row) => (t(`appr.status.${row.key}`) !== `appr.status.${row.key}` ? t(`appr.status.${row.key}`) : row.label);
    replaceChildren(body,
      h("div", { class: "appr-data-cards" },
        h("div", { class: "appr-data-card" }, h("span", { class: "muted", text: t("appr.data.total") }), h("strong", { text: String(stats.total) })),
        h("div", { class: "appr-data-card" }, h("span", { class: "muted", text: t("appr.data.average") }), h("strong", { text: formatSpan(stats.average_ms_to_finish) }))),
      table(t("appr.data.byStatus"), [t("appr.statusLabel"), t("appr.data.count")], stats.by_status.map((row) => [status(row), row.count])),
      table(t("appr.data.byTemplate"), [t("appr.template"), t("appr.data.count")], stats.by_template.map((row) => [row.label, row.count])),
      table(t("appr.data.perStep"), [t("appr.template"), t("appr.data.step"), t("appr.data.decided"), t("appr.data.average")],
        stats.per_step.map((row) => [row.template_name, row.step_name, row.decided, formatSpan(row.average_ms)])));
  }

  (async () => {
    try {
      templates = (await api.get(path("/approval-templates"), { all: true })).templates;
    } catch (error) {
      if (alive) replaceChildren(body, h("p", { class: "muted", role: "alert", text: errorText(error) }));
      return;
    }
    if (!alive) return;
    drawForm();
    load();
  })();

  return { destroy() { alive = false; } };
}
