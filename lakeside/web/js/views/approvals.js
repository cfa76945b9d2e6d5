// Approvals (审批) of the current organization. The list column: the templates to start a request
// with, and the boxes 待我审批 / 我已审批 / 我发起的 / 抄送我的 with filters (template, status,
// dates) and paging. The main area: a form to fill (#/approvals/new/{template}), a request
// (#/approvals/{id}) with its flow, history and the actions the caller may take, the form again
// after a return (#/approvals/{id}/resubmit), and for admins the designer, the roles and the data
// with the CSV export (#/approvals/admin…, #/approvals/roles, #/approvals/data).

import { api } from "../api.js";
import { h, replaceChildren } from "../dom.js";
import { errorText } from "../errors.js";
import { formatListTime } from "../format.js";
import { t } from "../i18n/index.js";
import { icon } from "../icons.js";
import { currentOrgId, isOrgAdmin, onOrgsChange } from "../org.js";
import { navigate } from "../router.js";
import { on } from "../store.js";
import { toast } from "../components/toast.js";
import { fieldErrors, flowPreview, formEditor } from "./approval-form.js";
import { apprPage, statusTag, templateIcon } from "./approval-values.js";
import { mountRequest } from "./approval-request.js";

const PAGE = 30;
const BOXES = ["pending", "handled", "mine", "cc"];
const STATUSES = ["pending", "approved", "rejected", "returned", "withdrawn"];

export function mountApprovals({ list, main }) {
  const unsubscribe = [];
  let orgId = currentOrgId();
  let route = { parts: [], query: {} };
  let templates = [];
  let box = "pending";
  let filters = { template_id: "", status: "", from: "", to: "" };
  let items = [];
  let cursor = null;
  let generation = 0;
  let openId = null;
  let detailView = null; // {destroy} of a form or the designer

  const path = (rest = "") => `/orgs/${orgId}${rest}`;

  // -- the list column -------------------------------------------------------------------------

  const grid = h("nav", { class: "appr-grid", "aria-label": t("appr.start") });
  const tabs = h("div", { class: "tabs appr-tabs", role: "tablist" });
  const filterBox = h("form", { class: "appr-filters", hidden: true, on: { submit: (event) => { event.preventDefault(); readFilters(); } } });
  const filterButton = h("button", { class: "btn btn-sm appr-filter-btn", type: "button", "aria-expanded": "false", text: t("appr.filter"), on: { click: toggleFilters } });
  const adminButton = h("a", { class: "icon-btn appr-admin-link", href: "#/approvals/admin", "aria-label": t("appr.manage"), title: t("appr.manage"), hidden: true }, icon("settings"));
  const rows = h("ul", { class: "appr-list", "aria-live": "polite" });
  const more = h("button", { class: "btn btn-sm search-more", type: "button", text: t("appr.loadMore"), hidden: true, on: { click: () => load(true) } });
  replaceChildren(list,
    h("header", { class: "pane-head" }, h("h1", { class: "pane-title", text: t("appr.title") }), filterButton, adminButton),
    h("div", { class: "scroll appr-scroll" },
      h("h2", { class: "appr-list-title", text: t("appr.start") }), grid,
      tabs, filterBox, rows, more));

  function toggleFilters() {
    filterBox.hidden = !filterBox.hidden;
    filterButton.setAttribute("aria-expanded", String(!filterBox.hidden));
    if (!filterBox.hidden) drawFilters();
  }

  function drawFilters() {
    const select = (name, label, options) => h("label", { class: "appr-filter" }, h("span", { class: "muted", text: label }),
      h("select", { class: "input input-sm", name, on: { change: readFilters } },
        h("option", { value: "", text: t("appr.any") }),
        options.map(([value, text]) => h("option", { value: String(value), text, selected: String(filters[name]) === String(value) }))));
    const date = (name, label) => h("label", { class: "appr-filter" }, h("span", { class: "muted", text: label }),
      h("input", { class: "input input-sm", type: "date", name, value: filters[name], on: { change: readFilters } }));
    replaceChildren(filterBox,
      select("template_id", t("appr.template"), templates.map((tpl) => [tpl.id, tpl.name])),
      select("status", t("appr.statusLabel"), STATUSES.map((status) => [status, t(`appr.status.${status}`)])),
      date("from", t("appr.from")), date("to", t("appr.to")), exportLink);
    updateExport();
  }

  // Admins export one template's requests, as filtered, to a spreadsheet (CSV with a BOM, so the
  // Chinese stays intact in Excel); the export is per template, so it waits for one to be chosen.
  const exportLink = h("a", { class: "btn btn-sm appr-export", download: "" }, icon("download", "icon-sm"), t("appr.exportCsv"));
  function updateExport() {
    exportLink.hidden = !orgId || !isOrgAdmin() || !filters.template_id;
    if (exportLink.hidden) return;
    const query = new URLSearchParams({ template_id: filters.template_id });
    if (filters.status) query.set("status", filters.status);
    if (filters.from) query.set("from", String(dayStart(filters.from)));
    if (filters.to) query.set("to", String(dayStart(filters.to) + 86_400_000 - 1));
    exportLink.href = `/api/v1${path("/approvals/export.csv")}?${query}`;
  }

  function readFilters() {
    const data = new FormData(filterBox);
    filters = { template_id: data.get("template_id") || "", status: data.get("status") || "", from: data.get("from") || "", to: data.get("to") || "" };
    updateExport();
    load();
  }

  function drawTabs() {
    replaceChildren(tabs, BOXES.map((name) => h("button", {
      class: ["tab", box === name && "active"], type: "button", role: "tab", "aria-selected": String(box === name),
      dataset: { box: name }, text: t(`appr.box.${name}`), on: { click: () => { box = name; drawTabs(); load(); } },
    })));
  }

  function drawGrid() {
    adminButton.hidden = !orgId || !isOrgAdmin();
    filterButton.hidden = !orgId;
    if (!orgId) {
      replaceChildren(grid, h("p", { class: "muted", text: t("ding.noOrg") }));
      return;
    }
    const enabled = templates.filter((tpl) => tpl.enabled);
    replaceChildren(grid, enabled.length
      ? enabled.map((tpl) => h("a", { class: "appr-tile", href: `#/approvals/new/${tpl.id}`, title: tpl.description || tpl.name },
        templateIcon(tpl, "icon-lg"), h("span", { class: "appr-tile-name ellipsis", text: tpl.name })))
      : h("p", { class: "muted", text: t("appr.noTemplates") }));
  }

  async function loadTemplates() {
    if (!orgId) return drawGrid();
    try {
      const page = await api.get(path("/approval-templates"));
      templates = page.templates;
      drawGrid();
      drawList();
      if (!filterBox.hidden) drawFilters();
    } catch (error) {
      toast(errorText(error), "error");
    }
  }

  const dayStart = (text) => (text ? new Date(`${text}T00:00:00`).getTime() : null);

  async function load(older = false) {
    if (!orgId) {
      replaceChildren(rows);
      more.hidden = true;
      return;
    }
    const ticket = ++generation;
    try {
      const page = await api.get(path("/approvals"), {
        box, limit: PAGE, cursor: older ? cursor : null,
        template_id: filters.template_id || null, status: filters.status || null,
        from: dayStart(filters.from), to: filters.to ? dayStart(filters.to) + 86_400_000 - 1 : null,
      });
      if (ticket !== generation) return;
      items = older ? [...items, ...page.approvals] : page.approvals;
      cursor = page.next_cursor;
      drawList();
    } catch (error) {
      if (ticket === generation) toast(errorText(error), "error");
    }
  }

  function drawList() {
    const shown = items.map((item) => h("li", {}, h("a", {
      class: ["appr-item", item.id === openId && "active"], href: `#/approvals/${item.id}`, "aria-current": item.id === openId ? "page" : null,
    },
    templateIcon({ icon: templates.find((tpl) => tpl.id === item.template_id)?.icon || "" }),
    h("div", { class: "appr-item-body" },
      h("div", { class: "appr-item-top" },
        h("span", { class: "appr-item-title ellipsis", text: t("appr.itemTitle", { name: item.applicant.name, template: item.template_name }) }),
        h("time", { class: "appr-item-time muted", text: formatListTime(item.created_at) })),
      item.summary.slice(0, 3).map((line) => h("div", { class: "appr-item-line ellipsis muted", text: t("appr.summaryLine", { label: line.label, text: line.text }) })),
      h("div", { class: "appr-item-foot" }, statusTag(item.status),
        item.status === "pending" && item.current_approvers.length
          ? h("span", { class: "muted ellipsis", text: t("appr.waitingFor", { names: item.current_approvers.map((p) => p.name).join(t("list.separator")) }) })
          : null)))));
    replaceChildren(rows, shown.length ? shown : h("li", { class: "list-empty", text: t(`appr.empty.${box}`) }));
    more.hidden = !cursor;
  }

  // -- the main area ---------------------------------------------------------------------------

  function clearDetailView() {
    if (detailView && detailView.destroy) detailView.destroy();
    detailView = null;
  }

  function renderMain() {
    const [first, second] = route.parts;
    const id = /^\d+$/.test(first || "") ? Number(first) : null;
    if (id !== openId) {
      openId = id;
      drawList();
    }
    clearDetailView();
    if (!orgId) {
      replaceChildren(main, h("div", { class: "empty-state" }, h("p", { text: t("ding.noOrg") })));
      return;
    }
    if (first === "new" && second) return showNewForm(Number(second));
    if (first === "data") {
      const token = route;
      import("./approval-stats.js").then((module) => {
        if (token === route) detailView = module.mountStats({ main, orgId });
      }).catch(() => replaceChildren(main, h("div", { class: "empty-state", role: "alert" }, h("p", { text: t("app.loadFailed") }))));
      return;
    }
    if (first === "admin" || first === "roles") {
      replaceChildren(main, h("div", { class: "empty-state" }, h("span", { class: "spinner" })));
      const token = route;
      import("./approval-designer.js").then((module) => {
        if (token !== route) return;
        detailView = first === "roles"
          ? module.mountRoles({ main, orgId })
          : module.mountDesigner({ main, orgId, templateId: second || null, onSaved: loadTemplates });
      }).catch(() => replaceChildren(main, h("div", { class: "empty-state", role: "alert" }, h("p", { text: t("app.loadFailed") }))));
      return;
    }
    if (id && second === "resubmit") return showResubmit(id);
    if (id) return showRequest(id);
    replaceChildren(main, h("div", { class: "empty-state" },
      h("div", { class: "empty-icon", "aria-hidden": "true" }, icon("check", "icon-lg")),
      h("p", { text: t("appr.pickOne") })));
  }

  async function showNewForm(templateId) {
    replaceChildren(main, h("div", { class: "empty-state" }, h("span", { class: "spinner" })));
    let template;
    try {
      template = await api.get(path(`/approval-templates/${templateId}`));
    } catch (error) {
      replaceChildren(main, h("div", { class: "empty-state" }, h("p", { text: errorText(error) })));
      return;
    }
    if (route.parts[0] !== "new") return;
    fillForm({
      title: template.name, template, form: template.form, initial: null, submitLabel: t("appr.submit"),
      send: (values) => api.post(path("/approvals"), { template_id: template.id, values }),
    });
  }

  async function showResubmit(id) {
    replaceChildren(main, h("div", { class: "empty-state" }, h("span", { class: "spinner" })));
    let request;
    let template;
    try {
      request = await api.get(path(`/approvals/${id}`));
      template = await api.get(path(`/approval-templates/${request.template_id}`)).catch(() => null);
    } catch (error) {
      replaceChildren(main, h("div", { class: "empty-state" }, h("p", { text: errorText(error) })));
      return;
    }
    fillForm({
      title: t("appr.resubmitTitle", { name: request.template_name }), template: template || { id: request.template_id }, form: request.form,
      initial: request.values, submitLabel: t("appr.resubmit"), back: `#/approvals/${id}`,
      send: (values) => api.post(path(`/approvals/${id}/resubmit`), { values }),
    });
  }

  function fillForm({ title, template, form, initial, submitLabel, send, back = "#/approvals" }) {
    let preview = null;
    const editor = formEditor(form, initial, { orgId }, () => preview && preview.refresh());
    preview = template.version_id !== undefined || template.id ? flowPreview(orgId, template.id, editor.values) : null;
    const submit = h("button", { class: "btn btn-primary appr-submit", type: "submit", text: submitLabel });
    const formEl = h("form", { class: "appr-fill", novalidate: true, on: { submit: onSubmit } },
      template.description ? h("p", { class: "muted appr-description", text: template.description }) : null,
      editor.el, preview ? preview.el : null,
      h("div", { class: "appr-form-actions" }, h("a", { class: "btn", href: back, text: t("action.cancel") }), submit));
    replaceChildren(main, apprPage(title, back, formEl));
    async function onSubmit(event) {
      event.preventDefault();
      if (!editor.check()) return;
      submit.disabled = true;
      try {
        const stored = await send(editor.values());
        toast(t("appr.submitted"));
        box = "mine";
        drawTabs();
        load();
        navigate(`approvals/${stored.id}`);
      } catch (error) {
        const errors = fieldErrors(error);
        if (errors) editor.showErrors(errors);
        else toast(errorText(error), "error");
      } finally {
        submit.disabled = false;
      }
    }
  }

  function showRequest(id) {
    detailView = mountRequest({ main, orgId, id, onChanged: () => load() });
  }

  // -- live --------------------------------------------------------------------------------------

  unsubscribe.push(on("event:approval", (event) => {
    const data = event.data || {};
    if (data.organization_id !== orgId) return;
    load();
    if (data.approval && data.approval.id === openId && detailView && detailView.refresh && !route.parts[1]) detailView.refresh();
  }));
  unsubscribe.push(on("event:approval_template", (event) => {
    const data = event.data || {};
    if (!data.organization_id || data.organization_id === orgId) loadTemplates();
  }));
  unsubscribe.push(onOrgsChange(() => {
    if (currentOrgId() === orgId) return drawGrid();
    const switched = orgId !== null;
    orgId = currentOrgId();
    items = [];
    templates = [];
    if (openId && switched) navigate("approvals");
    loadTemplates();
    load();
    renderMain();
  }));
  drawTabs();
  loadTemplates();
  load();

  return {
    update(next) {
      route = next;
      if (next.query.box && BOXES.includes(next.query.box) && next.query.box !== box) {
        box = next.query.box;
        drawTabs();
        load();
      }
      renderMain();
    },
    destroy() {
      clearDetailView();
      for (const fn of unsubscribe) fn();
    },
  };
}
