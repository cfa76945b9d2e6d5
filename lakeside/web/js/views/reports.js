// Daily reports (日志) of the current organization. The list pane has the tabs 写日志 (the
// templates and my drafts), 我收到的 (reports sent to me, unread first marked, with filters),
// 我发出的 (what I sent, with how many have read it) and, for department leaders, 团队 (who has
// not written). The main pane shows a report (opening it marks it read; its author sees who has
// read it; everyone it reached comments), the form, the team's status, or the admins' template
// designer (views/reports-admin.js). A sent report cannot be changed, only commented on.

import { api } from "../api.js";
import { h, replaceChildren } from "../dom.js";
import { errorText } from "../errors.js";
import { formatDateTime, formatListTime } from "../format.js";
import { t } from "../i18n/index.js";
import { icon } from "../icons.js";
import { currentOrgId, isOrgAdmin, onOrgsChange } from "../org.js";
import { navigate } from "../router.js";
import { displayName, on, state } from "../store.js";
import { userAvatar } from "../components/avatar.js";
import { toast } from "../components/toast.js";
import { mountTemplateDesigner } from "./reports-admin.js";
import { renderReportForm } from "./reports-form.js";

const TABS = ["write", "received", "sent", "team"];

/** A field's label: the built-in fields' in the reader's language, an admin's own as written. */
export function fieldLabel(field) {
  const key = `reports.field.${field.key}`;
  const text = t(key);
  return text === key ? field.label : text;
}

/** A template's (or a report's) name: the built-in ones in the reader's language. */
export function templateName(template) {
  if (template.builtin) return t(`reports.builtin.${template.builtin}`);
  return template.name ?? template.template_name;
}

export function today() {
  const now = new Date();
  return new Date(now.getTime() - now.getTimezoneOffset() * 60_000).toISOString().slice(0, 10);
}

export function mountReports({ list, main }) {
  const unsubscribe = [];
  let route = { parts: [], query: {} };
  let orgId = currentOrgId();
  let templates = [];
  let received = [];
  let sent = [];
  let drafts = [];
  let unread = 0;
  let isLeader = false;
  let filters = { template_id: "", unread: false };
  let openId = null;
  let current = null; // the open report
  let readers = null;
  let comments = [];
  let generation = 0;
  let formKey = null; // the form on show

  const path = (rest = "") => `/orgs/${orgId}${rest}`;
  const tab = () => {
    if (TABS.includes(route.query.tab)) return route.query.tab;
    if (route.parts[0] === "team") return "team";
    return route.parts[0] === "write" || route.parts[0] === "admin" ? "write" : "received";
  };
  const templateOf = (report) => templates.find((item) => item.id === report.template_id) || { template_name: report.template_name };
  const nameOf = (report) => templateName({ ...templateOf(report), template_name: report.template_name });

  async function load() {
    if (!orgId) return renderList();
    const ticket = ++generation;
    try {
      const query = { template_id: filters.template_id || null, unread: filters.unread || null };
      const [found, inbox, outbox, mine] = await Promise.all([
        api.get(path("/report-templates")),
        api.get(path("/reports"), { box: "received", ...query }),
        api.get(path("/reports"), { box: "sent" }),
        api.get(path("/reports"), { box: "drafts" }),
      ]);
      if (ticket !== generation) return;
      templates = found.templates;
      received = inbox.reports;
      unread = inbox.unread;
      sent = outbox.reports;
      drafts = mine.reports;
      renderList();
      renderMain();
      if (templates.length) {
        api.get(path("/reports/team"), { template_id: templates[0].id }, { quiet401: true })
          .then(() => { isLeader = true; renderList(); })
          .catch(() => { isLeader = false; });
      }
    } catch (error) {
      toast(errorText(error), "error");
    }
  }

  // -- the list pane ---------------------------------------------------------------------------

  function tabLink(name, label, count = 0) {
    const active = tab() === name && !openId;
    // The tab follows the route (#/reports/team, a form), so the list is drawn again with it.
    return h("a", { class: ["tab", "reports-tab", active && "active"], href: `#/reports?tab=${name}`, role: "tab", "aria-selected": String(active), "data-tab": name },
      label, count ? h("span", { class: "badge reports-tab-badge", text: count > 99 ? "99+" : String(count) }) : null);
  }

  function reportRow(report, { box }) {
    const isUnread = box === "received" && !report.read_at;
    const author = box === "received" ? displayName(report.author_id) : t("reports.me");
    return h("li", {}, h("a", {
      class: ["reports-item", isUnread && "unread", report.id === openId && "active"], href: `#/reports/${report.id}`,
      "aria-current": report.id === openId ? "page" : null,
    },
    userAvatar(report.author_id, { size: "sm" }),
    h("div", { class: "reports-item-body" },
      h("div", { class: "reports-item-top" },
        h("span", { class: "reports-item-title ellipsis", text: t("reports.titleOf", { name: author, template: nameOf(report) }) }),
        isUnread ? h("span", { class: "ann-dot", title: t("reports.unread") }, h("span", { class: "sr-only", text: t("reports.unread") })) : null,
        h("time", { class: "reports-item-time", text: formatListTime(report.sent_at || report.updated_at) })),
      h("div", { class: "reports-item-foot muted" },
        h("span", { text: report.date }),
        box === "sent" ? h("span", { class: "reports-read-count", text: t("reports.readOf", { n: report.read_count, total: report.receiver_count }) }) : null,
        box === "drafts" ? h("span", { class: "ann-tag", text: t("reports.draft") }) : null))));
  }

  function renderList() {
    if (!orgId) {
      replaceChildren(list, h("header", { class: "pane-head" }, h("h1", { class: "pane-title", text: t("reports.title") })),
        h("p", { class: "list-empty", text: t("ding.noOrg") }));
      return;
    }
    const tabs = h("nav", { class: "tabs reports-tabs", role: "tablist", "aria-label": t("reports.title") },
      tabLink("write", t("reports.tab.write")), tabLink("received", t("reports.tab.received"), unread),
      tabLink("sent", t("reports.tab.sent")), isLeader ? tabLink("team", t("reports.tab.team")) : null);
    let body;
    if (tab() === "write") {
      body = h("div", { class: "reports-write-list" },
        h("ul", { class: "reports-templates" }, templates.map((template) => h("li", {}, h("a", {
          class: "reports-template", href: `#/reports/write/${template.id}`, "data-template": template.builtin || template.name,
        }, h("span", { class: `reports-template-icon period-${template.period}`, "aria-hidden": "true" }, icon("edit")),
        h("span", { class: "grow" }, h("strong", { text: templateName(template) }),
          h("span", { class: "muted reports-template-period", text: t(`reports.period.${template.period}`) })))))),
        drafts.length ? h("h2", { class: "reports-subhead", text: t("reports.drafts") }) : null,
        drafts.length ? h("ul", { class: "reports-list" }, drafts.map((report) => reportRow(report, { box: "drafts" }))) : null,
        isOrgAdmin() ? h("a", { class: "btn btn-sm reports-admin-link", href: "#/reports/admin" }, icon("settings", "icon-sm"), t("reports.manage")) : null);
    } else if (tab() === "sent") {
      body = h("ul", { class: "reports-list" }, sent.length ? sent.map((report) => reportRow(report, { box: "sent" }))
        : h("li", { class: "list-empty", text: t("reports.noneSent") }));
    } else if (tab() === "team") {
      body = h("div", { class: "reports-team-hint" }, h("p", { class: "muted", text: t("reports.teamHint") }),
        h("a", { class: "btn btn-primary", href: "#/reports/team", text: t("reports.team.open") }));
    } else {
      const select = h("select", { class: "input reports-filter-template", "aria-label": t("reports.filter.template") },
        h("option", { value: "", text: t("reports.filter.all") }),
        templates.map((template) => h("option", { value: String(template.id), text: templateName(template), selected: String(template.id) === filters.template_id })));
      select.addEventListener("change", () => { filters = { ...filters, template_id: select.value }; load(); });
      const only = h("input", { type: "checkbox", checked: filters.unread });
      only.addEventListener("change", () => { filters = { ...filters, unread: only.checked }; load(); });
      body = h("div", {},
        h("div", { class: "reports-filters" }, select, h("label", { class: "reports-filter-unread" }, only, t("reports.filter.unread"))),
        h("ul", { class: "reports-list" }, received.length ? received.map((report) => reportRow(report, { box: "received" }))
          : h("li", { class: "list-empty", text: t("reports.noneReceived") })));
    }
    replaceChildren(list,
      h("header", { class: "pane-head" }, h("h1", { class: "pane-title", text: t("reports.title") }),
        h("a", { class: "icon-btn", href: "#/reports?tab=write", "aria-label": t("reports.tab.write"), title: t("reports.tab.write") }, icon("plus"))),
      tabs, h("div", { class: "scroll reports-scroll" }, body));
  }

  // -- the main pane ---------------------------------------------------------------------------

  function page(title, ...content) {
    return h("div", { class: "page reports-page" },
      h("header", { class: "page-head" },
        h("a", { class: "icon-btn back-btn", href: `#/reports?tab=${tab()}`, "aria-label": t("action.back") }, icon("back")),
        h("h2", { class: "page-title grow ellipsis", text: title })),
      h("div", { class: "page-body scroll" }, ...content));
  }

  function renderMain() {
    const [first, second] = route.parts;
    const id = Number(first) || null;
    if (id !== openId) {
      openId = id;
      current = null;
      readers = null;
      comments = [];
      renderList();
      if (id) openReport(id);
    }
    if (!orgId) return replaceChildren(main, h("div", { class: "empty-state" }, h("p", { text: t("ding.noOrg") })));
    if (id) return renderReport();
    if (first === "write" && second) {
      // The form keeps what is typed in it while news arrives (a report received, a reload).
      const key = `${second}?${route.query.draft || ""}&${route.query.date || ""}`;
      if (key === formKey && main.querySelector(".reports-form")) return undefined;
      formKey = key;
      return renderReportForm(main, { orgId, route, templates, templateId: Number(second), page, onSaved: load });
    }
    formKey = null;
    if (first === "team") return renderTeam();
    if (first === "admin") return mountTemplateDesigner(main, { orgId, templates, onChanged: load, page });
    replaceChildren(main, h("div", { class: "empty-state" },
      h("div", { class: "empty-icon", "aria-hidden": "true" }, icon("edit", "icon-lg")),
      h("p", { text: t("reports.pickOne") }),
      h("a", { class: "btn btn-primary", href: "#/reports?tab=write" }, icon("plus", "icon-sm"), t("reports.tab.write"))));
  }

  // -- a report --------------------------------------------------------------------------------

  async function openReport(id) {
    try {
      let report = await api.get(path(`/reports/${id}`));
      if (report.status === "draft") {
        navigate(`reports/write/${report.template_id}?draft=${report.id}`, { replace: true });
        return;
      }
      if (report.author_id !== state.me.id && !report.read_at) {
        report = await api.post(path(`/reports/${id}/read`));
        const listed = received.find((item) => item.id === id);
        if (listed) { listed.read_at = report.read_at; unread = Math.max(0, unread - 1); renderList(); }
      }
      if (openId !== id) return;
      current = report;
      const [found, people] = await Promise.all([
        api.get(path(`/reports/${id}/comments`)),
        report.author_id === state.me.id ? api.get(path(`/reports/${id}/readers`)) : null,
      ]);
      if (openId !== id) return;
      comments = found.comments;
      readers = people;
      renderMain();
    } catch (error) {
      if (openId !== id) return;
      replaceChildren(main, h("div", { class: "empty-state" }, h("p", { text: errorText(error) }),
        h("a", { class: "btn", href: "#/reports", text: t("action.back") })));
    }
  }

  function answerView(field, value) {
    if (value === undefined || value === null || value === "") return h("p", { class: "muted reports-empty-answer", text: t("reports.noAnswer") });
    if (field.type === "image") {
      return h("div", { class: "reports-images" }, value.map((fileId) => h("a", { href: `/api/v1/files/${fileId}`, target: "_blank", rel: "noopener" },
        h("img", { class: "reports-image", src: `/api/v1/files/${fileId}`, alt: fieldLabel(field), loading: "lazy" }))));
    }
    if (field.type === "attachment") {
      return h("ul", { class: "reports-files" }, value.map((fileId) => h("li", {},
        h("a", { href: `/api/v1/files/${fileId}`, target: "_blank", rel: "noopener" }, icon("file", "icon-sm"), t("reports.attachment")))));
    }
    return h("p", { class: "reports-answer", text: String(value) });
  }

  function renderReport() {
    const report = current;
    if (!report) return replaceChildren(main, h("div", { class: "empty-state" }, h("span", { class: "spinner" })));
    const mine = report.author_id === state.me.id;
    const readBlock = mine && readers ? h("section", { class: "reports-readers", "aria-label": t("reports.readStatus") },
      h("strong", { class: "reports-read-summary", text: t("reports.readOf", { n: readers.read_count, total: readers.receiver_count }) }),
      h("ul", { class: "ding-people reports-people" }, readers.receivers.map((person) => h("li", {
        class: ["ding-person", person.read_at ? "is-read" : "is-unread"], "data-user": String(person.user_id),
      }, userAvatar(person.user_id, { size: "sm" }), h("span", { class: "grow ellipsis", text: person.name }),
      h("span", { class: ["reports-read-state", person.read_at ? "read" : "unread"], text: person.read_at ? t("reports.read") : t("reports.unread") }))))) : null;
    const box = h("textarea", { class: "input reports-comment-input", rows: 2, maxlength: 2000, placeholder: t("reports.commentPlaceholder"), "aria-label": t("reports.comment") });
    const mentionable = [report.author_id, ...(readers ? readers.receivers.map((p) => p.user_id) : [])].filter((uid) => uid !== state.me.id);
    const send = h("button", { class: "btn btn-primary btn-sm reports-comment-send", type: "button", text: t("reports.comment"), on: { click: postComment } });
    async function postComment() {
      const body = box.value.trim();
      if (!body) return;
      send.disabled = true;
      // @name in the text mentions that person, when they can read the report.
      const mention_ids = [...new Set(mentionable)].filter((uid) => body.includes(`@${displayName(uid)}`));
      try {
        comments = [...comments, await api.post(path(`/reports/${report.id}/comments`), { body, mention_ids })];
        renderMain();
      } catch (error) {
        toast(errorText(error), "error");
        send.disabled = false;
      }
    }
    replaceChildren(main, page(t("reports.titleOf", { name: mine ? t("reports.me") : displayName(report.author_id), template: nameOf(report) }),
      h("article", { class: "reports-article" },
        h("div", { class: "reports-meta muted" }, userAvatar(report.author_id, { size: "xs" }),
          h("span", { text: displayName(report.author_id) }), h("span", { text: t(`reports.for.${report.period}`, { date: report.date }) }),
          h("span", { text: formatDateTime(report.sent_at) })),
        report.fields.map((field) => h("section", { class: "reports-field" },
          h("h3", { class: "reports-field-label", text: fieldLabel(field) }), answerView(field, report.answers[field.key]))),
        h("p", { class: "muted reports-locked", text: t("reports.locked") }),
        readBlock,
        h("section", { class: "reports-comments", "aria-label": t("reports.comments") },
          h("h3", { text: t("reports.commentsN", { n: comments.length }) }),
          h("ul", { class: "reports-comment-list" }, comments.map((comment) => h("li", { class: "reports-comment" },
            userAvatar(comment.author_id, { size: "sm" }),
            h("div", { class: "grow" }, h("div", { class: "reports-comment-head" }, h("strong", { text: displayName(comment.author_id) }),
              h("time", { class: "muted", text: formatListTime(comment.created_at) })),
            h("p", { class: "reports-comment-body", text: comment.body }))))),
          h("div", { class: "reports-comment-form" }, box, send)))));
  }

  // -- a leader's team -------------------------------------------------------------------------

  async function renderTeam() {
    const templateId = Number(route.query.template) || templates[0]?.id;
    if (!templateId) return replaceChildren(main, h("div", { class: "empty-state" }, h("span", { class: "spinner" })));
    const day = route.query.date || today();
    let status;
    try {
      status = await api.get(path("/reports/team"), { template_id: templateId, date: day });
    } catch (error) {
      return replaceChildren(main, page(t("reports.team.title"), h("p", { class: "empty-state", text: errorText(error) })));
    }
    const select = h("select", { class: "input", "aria-label": t("reports.filter.template") },
      templates.map((template) => h("option", { value: String(template.id), text: templateName(template), selected: template.id === templateId })));
    const date = h("input", { class: "input", type: "date", value: day, "aria-label": t("reports.date") });
    const go = () => navigate(`reports/team?template=${select.value}&date=${date.value || today()}`, { replace: true });
    select.addEventListener("change", go);
    date.addEventListener("change", go);
    const remind = h("button", {
      class: "btn btn-primary btn-sm reports-remind", type: "button", text: t("reports.remindAll"), disabled: !status.missing.length,
      on: {
        click: async () => {
          try {
            const done = await api.post(path("/reports/team/remind"), { template_id: templateId, date: day });
            toast(t("reports.reminded", { n: done.user_ids.length }));
          } catch (error) {
            toast(errorText(error), "error");
          }
        },
      },
    });
    const person = (p, submitted) => h("li", { class: "ding-person", "data-user": String(p.user_id) }, userAvatar(p.user_id, { size: "sm" }),
      h("span", { class: "grow ellipsis", text: p.name }),
      submitted ? h("a", { class: "link-btn", href: `#/reports/${p.report_id}`, text: t("reports.view") }) : null);
    replaceChildren(main, page(t("reports.team.title"),
      h("div", { class: "reports-team" },
        h("div", { class: "reports-filters" }, select, date),
        h("p", { class: "muted", text: t(`reports.for.${status.period}`, { date: status.date }) }),
        h("section", { class: "reports-missing" },
          h("div", { class: "reports-section-head" }, h("h3", { text: t("reports.missingN", { n: status.missing.length }) }), remind),
          h("ul", { class: "ding-people" }, status.missing.length ? status.missing.map((p) => person(p, false))
            : h("li", { class: "list-empty", text: t("reports.allSubmitted") }))),
        h("section", { class: "reports-submitted" },
          h("h3", { text: t("reports.submittedN", { n: status.submitted.length }) }),
          h("ul", { class: "ding-people" }, status.submitted.map((p) => person(p, true)))))));
  }

  // -- live news -------------------------------------------------------------------------------

  unsubscribe.push(on("event:report", (event) => {
    const data = event.data || {};
    if (event.op === "sent") {
      if (data.report?.organization_id === orgId) load();
    } else if (event.op === "read" && current && data.report_id === current.id && current.author_id === state.me.id) {
      api.get(path(`/reports/${current.id}/readers`)).then((people) => { readers = people; renderMain(); }).catch(() => {});
      const listed = sent.find((item) => item.id === data.report_id);
      if (listed) { listed.read_count += 1; renderList(); }
    } else if (event.op === "commented" && current && data.report_id === current.id) {
      if (!comments.some((comment) => comment.id === data.comment.id)) {
        comments = [...comments, data.comment];
        renderMain();
      }
    }
  }));
  unsubscribe.push(on("event:report_template", () => load()));
  unsubscribe.push(on("users", renderList));
  unsubscribe.push(onOrgsChange(() => {
    if (currentOrgId() === orgId) return;
    const switched = orgId !== null;
    orgId = currentOrgId();
    if (openId && switched) navigate("reports");
    load();
  }));
  load();

  return {
    update(next) {
      const tabChanged = next.query.tab !== route.query.tab || next.parts[0] !== route.parts[0];
      route = next;
      if (tabChanged) renderList();
      renderMain();
    },
    destroy() {
      for (const fn of unsubscribe) fn();
    },
  };
}
