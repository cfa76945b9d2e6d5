// The to-dos section (待办) of the current organization: mine (assigned to me) and those I made,
// open or done, overdue first; a quick add; beside it the open to-do, where an assignee marks it
// done for themselves and its creator edits it, closes it for everyone or deletes it.

import { api } from "../api.js";
import { h, replaceChildren } from "../dom.js";
import { errorText } from "../errors.js";
import { formatDateTime } from "../format.js";
import { t } from "../i18n/index.js";
import { icon } from "../icons.js";
import { currentOrgId, onOrgsChange } from "../org.js";
import { navigate } from "../router.js";
import { on, state } from "../store.js";
import { renderMarkdown } from "../components/markdown.js";
import { confirmDialog } from "../components/modal.js";
import { toast } from "../components/toast.js";
import { personAvatar } from "./ding-state.js";
import { PRIORITIES, openTodoEditor } from "./todo-editor.js";
import { refreshTodoBadge } from "../todos-badge.js";

const PAGE = 100;

const mineOf = (todo) => todo.assignees.find((a) => a.user_id === state.me.id) || null;
const doneCount = (todo) => todo.assignees.filter((a) => a.done_at).length;

export function mountTodos({ list, main }) {
  const unsubscribe = [];
  let route = { parts: [], query: {} };
  let orgId = currentOrgId();
  let items = [];
  let counts = { open: 0, overdue: 0 };
  let generation = 0;
  let openTodo = null;

  const tabs = h("div", { class: "tabs todo-tabs", role: "tablist" });
  const filters = h("div", { class: "todo-filters" });
  const rows = h("ul", { class: "todo-list", "aria-live": "polite" });
  const quick = h("input", { class: "input todo-quick", type: "text", maxlength: 200, placeholder: t("todo.quickAdd"), "aria-label": t("todo.quickAdd") });
  quick.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.isComposing) quickAdd();
  });
  replaceChildren(list,
    h("header", { class: "pane-head" }, h("h1", { class: "pane-title", text: t("todo.title") }),
      h("button", { class: "icon-btn todo-new", type: "button", "aria-label": t("todo.new"), title: t("todo.new"), on: { click: () => compose() } }, icon("plus"))),
    h("div", { class: "todo-tabs-wrap" }, tabs, filters),
    h("div", { class: "todo-quick-wrap" }, quick),
    h("div", { class: "scroll todo-scroll" }, rows));

  const box = () => (route.query.tab === "created" ? "created" : "assigned");
  const showDone = () => route.query.done === "1";
  const priorityFilter = () => (PRIORITIES.includes(route.query.priority) ? route.query.priority : null);
  const listHref = (changes = {}) => {
    const query = { tab: box() === "created" ? "created" : null, done: showDone() ? "1" : null, priority: priorityFilter(), ...changes };
    const search = Object.entries(query).filter(([, v]) => v).map(([k, v]) => `${k}=${v}`).join("&");
    return `#/todos${search ? `?${search}` : ""}`;
  };
  const path = (rest = "") => `/orgs/${orgId}/todos${rest}`;

  function compose(source = null) {
    if (!orgId) return;
    openTodoEditor({ orgId, source, onSaved: (todo) => { load(); navigate(`todos/${todo.id}`); } });
  }

  async function quickAdd() {
    const title = quick.value.trim();
    if (!title || !orgId) return;
    quick.disabled = true;
    try {
      await api.post(path(), { title, assignee_ids: [state.me.id] });
      quick.value = "";
      toast(t("todo.created"));
      load();
    } catch (error) {
      toast(errorText(error), "error");
    } finally {
      quick.disabled = false;
      quick.focus();
    }
  }

  async function load() {
    if (!orgId) return render();
    const ticket = ++generation;
    try {
      const page = await api.get(path(), { box: box(), done: showDone() ? true : null, priority: priorityFilter(), limit: PAGE });
      if (ticket !== generation) return;
      items = page.todos;
      counts = { open: page.open, overdue: page.overdue };
      render();
    } catch (error) {
      toast(errorText(error), "error");
    }
  }

  function renderTabs() {
    const tab = (name, label, count) => h("a", {
      class: ["tab", box() === name && "active"], role: "tab", "aria-selected": String(box() === name),
      href: name === "created" ? "#/todos?tab=created" : "#/todos",
    }, label, count ? h("span", { class: "badge todo-tab-badge", text: String(count) }) : null);
    replaceChildren(tabs, tab("assigned", t("todo.mine"), counts.open), tab("created", t("todo.createdByMe"), 0));
    const chip = (done, label) => h("a", { class: ["chip", showDone() === done && "active"], href: listHref({ done: done ? "1" : null }), text: label });
    const priority = h("select", { class: "select todo-priority-filter", "aria-label": t("todo.priority") },
      h("option", { value: "", text: t("todo.anyPriority") }), PRIORITIES.map((value) => h("option", { value, text: t(`todo.priority.${value}`) })));
    priority.value = priorityFilter() || "";
    priority.addEventListener("change", () => navigate(listHref({ priority: priority.value || null })));
    replaceChildren(filters, chip(false, t("todo.open")), chip(true, t("todo.done")), priority);
  }

  function dueText(todo) {
    if (!todo.due_at) return null;
    const late = !todo.done_at && todo.due_at < Date.now() && !(box() === "assigned" && mineOf(todo)?.done_at);
    return h("span", { class: ["todo-due", late && "overdue"] }, icon("clock", "icon-sm"),
      late ? t("todo.overdueAt", { time: formatDateTime(todo.due_at) }) : formatDateTime(todo.due_at));
  }

  function row(todo) {
    const mine = mineOf(todo);
    const doneForMe = box() === "assigned" ? Boolean(mine?.done_at) : Boolean(todo.done_at);
    const check = mine ? h("button", {
      class: ["todo-check", doneForMe && "checked"], type: "button", "aria-pressed": String(Boolean(mine.done_at)),
      "aria-label": mine.done_at ? t("todo.markUndone") : t("todo.markDone"), title: mine.done_at ? t("todo.markUndone") : t("todo.markDone"),
      on: { click: (event) => { event.preventDefault(); toggleMine(todo); } },
    }, icon("check", "icon-sm")) : h("span", { class: ["todo-check", "static", doneForMe && "checked"], "aria-hidden": "true" }, icon("check", "icon-sm"));
    return h("li", { class: "todo-row" }, check, h("a", {
      class: ["todo-item", doneForMe && "done", openId() === todo.id && "active"], href: `#/todos/${todo.id}`,
      "aria-current": openId() === todo.id ? "page" : null,
    },
    h("div", { class: "todo-item-top" },
      todo.priority !== "normal" ? h("span", { class: `todo-priority todo-priority-${todo.priority}`, text: t(`todo.priority.${todo.priority}`) }) : null,
      h("span", { class: "todo-item-title ellipsis", text: todo.title })),
    h("div", { class: "todo-item-foot muted" }, dueText(todo),
      todo.assignees.length > 1 || box() === "created" ? h("span", { class: "todo-progress", text: t("todo.progress", { n: doneCount(todo), total: todo.assignees.length }) }) : null,
      box() === "assigned" && todo.creator_id !== state.me.id ? h("span", { class: "ellipsis", text: t("todo.from", { name: todo.creator_name }) }) : null)));
  }

  function render() {
    renderTabs();
    quick.hidden = !orgId;
    if (!orgId) return replaceChildren(rows, h("li", { class: "list-empty", text: t("todo.noOrg") }));
    replaceChildren(rows, items.length ? items.map(row) : h("li", { class: "list-empty", text: showDone() ? t("todo.noneDone") : t("todo.noneOpen") }));
  }

  function openId() {
    return Number(route.parts[0]) || null;
  }

  async function toggleMine(todo) {
    const mine = mineOf(todo);
    if (!mine) return;
    try {
      const stored = await api.post(path(`/${todo.id}/${mine.done_at ? "undone" : "done"}`), {});
      upsert(stored);
      toast(mine.done_at ? t("todo.reopened") : t("todo.doneToast"));
    } catch (error) {
      toast(errorText(error), "error");
    }
  }

  async function forEveryone(todo, done) {
    try {
      upsert(await api.post(path(`/${todo.id}/${done ? "done" : "undone"}`), { everyone: true }));
    } catch (error) {
      toast(errorText(error), "error");
    }
  }

  async function remove(todo) {
    const ok = await confirmDialog({ title: t("todo.delete"), message: t("todo.deleteConfirm", { title: todo.title }), confirmLabel: t("action.delete"), danger: true });
    if (!ok) return;
    try {
      await api.del(path(`/${todo.id}`));
      items = items.filter((item) => item.id !== todo.id);
      navigate("todos");
      render();
    } catch (error) {
      toast(errorText(error), "error");
    }
  }

  function upsert(todo) {
    const index = items.findIndex((item) => item.id === todo.id);
    if (index >= 0) items[index] = todo;
    if (openTodo && openTodo.id === todo.id) openTodo = todo;
    render();
    renderMain();
    refreshTodoBadge();
  }

  function sourceLink(todo) {
    if (todo.source === "message" && todo.conversation_id) {
      return h("a", { class: "todo-source", href: `#/chats/${todo.conversation_id}` }, icon("chat", "icon-sm"), t("todo.fromMessage"));
    }
    if (todo.source === "ding" && todo.ding_id) {
      return h("a", { class: "todo-source", href: `#/ding/${todo.ding_id}` }, icon("ding", "icon-sm"), t("todo.fromDing"));
    }
    return null;
  }

  function detail(todo) {
    const mine = mineOf(todo);
    const creator = todo.creator_id === state.me.id;
    const actions = h("div", { class: "todo-actions" },
      mine ? h("button", { class: ["btn", !mine.done_at && "btn-primary", "todo-mine"], type: "button", on: { click: () => toggleMine(todo) } },
        icon("check", "icon-sm"), mine.done_at ? t("todo.markUndone") : t("todo.markDone")) : null,
      creator ? h("button", { class: "btn todo-everyone", type: "button", on: { click: () => forEveryone(todo, !todo.done_at) } },
        todo.done_at ? t("todo.reopenAll") : t("todo.doneAll")) : null,
      creator ? h("button", { class: "btn todo-edit", type: "button", on: { click: () => openTodoEditor({ orgId, todo, onSaved: upsert }) } }, icon("edit", "icon-sm"), t("todo.editShort")) : null,
      creator ? h("button", { class: "btn btn-danger todo-delete", type: "button", on: { click: () => remove(todo) } }, icon("trash", "icon-sm"), t("action.delete")) : null);
    const facts = h("dl", { class: "todo-facts" },
      h("dt", { text: t("todo.status") }), h("dd", { class: ["todo-status", todo.done_at && "done"], text: todo.done_at ? t("todo.allDone", { time: formatDateTime(todo.done_at) }) : t("todo.progress", { n: doneCount(todo), total: todo.assignees.length }) }),
      h("dt", { text: t("todo.priority") }), h("dd", { text: t(`todo.priority.${todo.priority}`) }),
      h("dt", { text: t("todo.due") }), h("dd", { text: todo.due_at ? formatDateTime(todo.due_at) : t("todo.noDue") }),
      h("dt", { text: t("todo.remind") }), h("dd", { text: todo.remind_at ? formatDateTime(todo.remind_at) : t("todo.remindNone") }),
      h("dt", { text: t("todo.creator") }), h("dd", { text: todo.creator_name }));
    const people = h("ul", { class: "ding-people todo-people" }, todo.assignees.map((a) => h("li", { class: ["ding-person", a.done_at ? "done" : "waiting"] },
      personAvatar(a.user_id, a.name), h("span", { class: "grow ellipsis", text: a.name }),
      h("span", { class: ["todo-person-state", a.done_at && "done"], text: a.done_at ? t("todo.doneAt", { time: formatDateTime(a.done_at) }) : t("todo.notDone") }))));
    return h("div", { class: "page todo-page" },
      h("header", { class: "page-head" },
        h("a", { class: "icon-btn back-btn", href: listHref(), "aria-label": t("action.back") }, icon("back")),
        h("h2", { class: "page-title grow ellipsis", text: t("todo.title") })),
      h("div", { class: "page-body scroll" }, h("article", { class: "todo-article" },
        h("h1", { class: ["todo-title", todo.done_at && "done"], text: todo.title }),
        sourceLink(todo), actions, facts,
        todo.html ? h("div", { class: "todo-description md" }, renderMarkdown(todo.html)) : null,
        h("h3", { class: "section-title", text: t("todo.assigneesN", { n: todo.assignees.length }) }), people)));
  }

  async function renderMain() {
    const id = openId();
    if (!id) {
      openTodo = null;
      return replaceChildren(main, h("div", { class: "empty-state" },
        h("div", { class: "empty-icon", "aria-hidden": "true" }, icon("check", "icon-lg")),
        h("p", { text: orgId ? t("todo.pickOne") : t("todo.noOrg") }),
        orgId ? h("button", { class: "btn btn-primary", type: "button", on: { click: () => compose() } }, icon("plus", "icon-sm"), t("todo.new")) : null));
    }
    if (!openTodo || openTodo.id !== id) {
      openTodo = items.find((item) => item.id === id) || null;
      if (!openTodo) {
        replaceChildren(main, h("div", { class: "empty-state" }, h("span", { class: "spinner" })));
        try {
          openTodo = await api.get(path(`/${id}`));
        } catch (error) {
          if (openId() !== id) return;
          return replaceChildren(main, h("div", { class: "empty-state" }, h("p", { text: errorText(error) }),
            h("a", { class: "btn", href: "#/todos", text: t("action.back") })));
        }
        if (openId() !== id) return;
      }
    }
    replaceChildren(main, detail(openTodo));
  }

  async function refreshOpen(id) {
    try {
      openTodo = await api.get(path(`/${id}`));
      renderMain();
    } catch {
      openTodo = null;
      if (openId() === id) navigate("todos");
    }
  }

  unsubscribe.push(on("event:todo", (event) => {
    const data = event.data || {};
    if (data.organization_id !== orgId) return;
    load();
    if (openId() === data.id) {
      if (event.op === "deleted" || event.op === "removed") {
        toast(t("todo.gone"));
        navigate("todos");
      } else refreshOpen(data.id);
    }
  }));
  unsubscribe.push(onOrgsChange(() => {
    if (currentOrgId() === orgId) return render();
    const switched = orgId !== null;
    orgId = currentOrgId();
    items = [];
    if (openId() && switched) navigate("todos");
    load();
  }));
  // A new tab or filter loads the list again; opening a to-do only shows it.
  let lastQuery = "";
  return {
    update(next) {
      const key = `${next.query.tab || ""}|${next.query.done || ""}|${next.query.priority || ""}`;
      route = next;
      if (key !== lastQuery) {
        lastQuery = key;
        renderTabs(); // the tabs and filters follow the route at once; the rows when loaded
        load();
      } else render();
      renderMain();
    },
    destroy() {
      for (const fn of unsubscribe) fn();
    },
  };
}
