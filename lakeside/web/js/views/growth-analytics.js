// The growth dashboard for server administrators: registered users, DAU/WAU/MAU and DAU growth as
// cards; registrations per day, active users and active organizations as charts; retention of
// each day's sign-ups as a heat map; every table as CSV. The range is in the route
// (#/analytics?days=30, or ?from=2013-08-19&to=2013-09-18) so a reload or a link shows the same.

import { api } from "../api.js";
import { h, replaceChildren } from "../dom.js";
import { t } from "../i18n/index.js";
import { navigate } from "../router.js";
import { state } from "../store.js";
import { chart, formatDayLong, formatDayShort, formatNumber, parseDay } from "../components/chart.js";
import { csvLink, emptyState, failure, frame, spinner, whileVisible } from "./growth-util.js";

const PRESETS = [7, 30, 90];
const DAY_MS = 86_400_000;

function shiftDay(text, days) {
  const date = parseDay(text);
  date.setDate(date.getDate() + days);
  return `${date.getFullYear()}-${String(date.getMonth() + 1).padStart(2, "0")}-${String(date.getDate()).padStart(2, "0")}`;
}

function percent(value, digits = 1) {
  if (value === null || value === undefined) return "–";
  const text = formatNumber(Math.abs(value), { maximumFractionDigits: digits });
  return `${value > 0 ? "+" : value < 0 ? "−" : ""}${text}%`;
}

export function mountAnalytics({ list, main }) {
  replaceChildren(list);
  let route = { query: {} };
  let summary = null;
  let destroyed = false;
  let charts = [];
  let asked = 0;

  if (!state.me.is_admin) {
    replaceChildren(main, emptyState("lock", t("growth.adminOnly")));
    return { update() {}, destroy() {} };
  }

  const body = frame(main, { title: t("growth.analytics"), className: "g-dashboard" });

  function range() {
    const today = summary ? summary.date : shiftDay(new Date().toISOString().slice(0, 10), 0);
    const { from, to } = route.query;
    if (from && to && /^\d{4}-\d{2}-\d{2}$/.test(from) && /^\d{4}-\d{2}-\d{2}$/.test(to) && from <= to) {
      return { from, to, days: Math.round((parseDay(to) - parseDay(from)) / DAY_MS) + 1, preset: null };
    }
    const days = PRESETS.includes(Number(route.query.days)) ? Number(route.query.days) : 30;
    return { from: shiftDay(today, -(days - 1)), to: today, days, preset: days };
  }

  async function load() {
    const ticket = ++asked;
    if (!summary) replaceChildren(body, spinner());
    try {
      summary = await api.get("/admin/analytics/summary");
      const span = range();
      const query = { from: span.from, to: span.to };
      const [daily, growth, retention] = await Promise.all([
        api.get("/admin/analytics/daily", query),
        api.get("/admin/analytics/growth", query),
        api.get("/admin/analytics/retention", query),
      ]);
      if (destroyed || ticket !== asked) return;
      render(span, daily, growth, retention);
    } catch (error) {
      if (!destroyed && ticket === asked) replaceChildren(body, failure(error, load));
    }
  }

  function toolbar(span) {
    const from = h("input", { class: "input g-date", type: "date", value: span.from, max: summary.date, "aria-label": t("growth.from") });
    const to = h("input", { class: "input g-date", type: "date", value: span.to, max: summary.date, "aria-label": t("growth.to") });
    const apply = () => {
      if (from.value && to.value && from.value <= to.value) navigate(`analytics?from=${from.value}&to=${to.value}`);
    };
    from.addEventListener("change", apply);
    to.addEventListener("change", apply);
    return h("div", { class: "g-toolbar g-range" },
      h("div", { class: "g-segmented", role: "group", "aria-label": t("growth.range") }, PRESETS.map((days) => h("a", {
        class: ["g-segment", span.preset === days && "active"], href: `#/analytics?days=${days}`,
        "aria-current": span.preset === days ? "true" : null, text: t("growth.lastDays", { n: days }),
      }))),
      h("span", { class: "g-range-dates" }, from, h("span", { class: "muted", text: "–" }), to),
      h("span", { class: "grow" }),
      h("span", { class: "muted g-tz", text: t("growth.timezoneNote", { zone: summary.timezone }) }));
  }

  function card(label, value, sub = null, tone = "") {
    return h("div", { class: ["g-stat", tone && `g-stat-${tone}`] },
      h("span", { class: "g-stat-label", text: label }),
      h("strong", { class: "g-stat-value", text: value }),
      sub ? h("span", { class: "g-stat-sub", text: sub }) : null);
  }

  function panel(title, hint, content, download) {
    return h("section", { class: "g-card g-panel" },
      h("header", { class: "g-panel-head" }, h("div", { class: "grow" }, h("h3", { class: "g-card-title", text: title }),
        hint ? h("p", { class: "muted g-card-hint", text: hint }) : null), download),
      content);
  }

  function render(span, daily, growth, retention) {
    for (const item of charts) item.destroy();
    charts = [];
    const days = daily.days;
    const labels = days.map((day) => day.date);
    const query = { from: span.from, to: span.to };
    const registrations = chart({
      kind: "bar", dates: true, labels, title: t("growth.registrationsPerDay"),
      desc: t("growth.chartDesc", { from: formatDayLong(span.from), to: formatDayLong(span.to) }),
      series: [{ name: t("growth.registrations"), values: days.map((day) => day.registrations), tone: 0 }],
    });
    const active = chart({
      kind: "line", dates: true, labels, title: t("growth.activeUsers"),
      desc: t("growth.chartDesc", { from: formatDayLong(span.from), to: formatDayLong(span.to) }),
      series: [
        { name: t("growth.dau"), values: days.map((day) => day.dau), tone: 0 },
        { name: t("growth.wau"), values: days.map((day) => day.wau), tone: 1 },
        { name: t("growth.mau"), values: days.map((day) => day.mau), tone: 2 },
      ],
    });
    const orgs = chart({
      kind: "area", dates: true, labels, title: t("growth.activeOrgs"), height: 200,
      desc: t("growth.chartDesc", { from: formatDayLong(span.from), to: formatDayLong(span.to) }),
      series: [{ name: t("growth.activeOrgs"), values: days.map((day) => day.active_organizations), tone: 3 }],
    });
    charts = [registrations, active, orgs];
    const growthTone = growth.dau_growth_percent > 0 ? "up" : growth.dau_growth_percent < 0 ? "down" : "";
    replaceChildren(body,
      toolbar(span),
      h("div", { class: "g-stats" },
        card(t("growth.totalUsers"), formatNumber(summary.registered_total), t("growth.todayNew", { n: formatNumber(summary.registrations_today) })),
        card(t("growth.dau"), formatNumber(summary.dau), t("growth.activeOrgsToday", { n: formatNumber(summary.active_organizations) })),
        card(t("growth.wau"), formatNumber(summary.wau)),
        card(t("growth.mau"), formatNumber(summary.mau)),
        card(t("growth.dauGrowth"), percent(growth.dau_growth_percent), t("growth.dauFromTo", { from: formatNumber(growth.dau_from), to: formatNumber(growth.dau_to) }), growthTone),
        card(t("growth.newInRange"), formatNumber(growth.registrations), t("growth.avg7Growth", { value: percent(growth.avg7_growth_percent) }))),
      h("div", { class: "g-panels" },
        panel(t("growth.registrationsPerDay"), t("growth.registrationsHint"), registrations.el, csvLink("/admin/analytics/daily", query)),
        panel(t("growth.activeUsers"), t("growth.activeHint"), active.el, csvLink("/admin/analytics/growth", query, t("growth.csvGrowth"))),
        panel(t("growth.activeOrgs"), t("growth.activeOrgsHint"), orgs.el, null),
        panel(t("growth.retention"), t("growth.retentionHint"), heatmap(retention.cohorts), csvLink("/admin/analytics/retention", query))));
  }

  function heatmap(cohorts) {
    const rows = cohorts.filter((cohort) => cohort.cohort > 0).reverse();
    if (!rows.length) return h("p", { class: "muted g-empty-line", text: t("growth.noCohorts") });
    const cell = (count, rate) => {
      if (rate === null || rate === undefined) return h("td", { class: "g-heat g-heat-none", title: t("growth.pending"), text: "…" });
      const level = Math.min(5, Math.ceil(rate * 10 / 2));
      return h("td", { class: ["g-heat", `g-heat-${level}`], title: `${formatNumber(count)} / ${formatNumber(rate * 100, { maximumFractionDigits: 1 })}%` },
        h("span", { class: "g-heat-rate", text: `${formatNumber(rate * 100, { maximumFractionDigits: 0 })}%` }),
        h("span", { class: "g-heat-count", text: formatNumber(count) }));
    };
    return h("div", { class: "g-table-wrap" }, h("table", { class: "g-table g-heatmap" },
      h("caption", { class: "sr-only", text: t("growth.retention") }),
      h("thead", {}, h("tr", {}, [t("growth.cohortDay"), t("growth.cohortSize"), t("growth.day1"), t("growth.day7"), t("growth.day30")].map((label) => h("th", { scope: "col", text: label })))),
      h("tbody", {}, rows.map((cohort) => h("tr", {},
        h("th", { scope: "row", text: formatDayShort(cohort.date), title: formatDayLong(cohort.date) }),
        h("td", { class: "g-num", text: formatNumber(cohort.cohort) }),
        cell(cohort.day1, cohort.day1_rate), cell(cohort.day7, cohort.day7_rate), cell(cohort.day30, cohort.day30_rate))))));
  }

  const stop = whileVisible(() => {
    if (document.activeElement && document.activeElement.closest && document.activeElement.closest(".g-range")) return;
    load();
  }, 5 * 60_000);

  return {
    update(next) {
      route = next;
      load();
    },
    destroy() {
      destroyed = true;
      stop();
      for (const item of charts) item.destroy();
    },
  };
}
