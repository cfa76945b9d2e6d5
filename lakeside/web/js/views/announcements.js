// Announcements (公告) of the current organization: pinned first, unread marked; opening one marks
// it read. Admins publish, edit, pin and delete; the author and admins see how many have read it
// and who has not, live as people read.

import { api } from "../api.js";
import { h, replaceChildren } from "../dom.js";
import { errorText } from "../errors.js";
import { formatDateTime, formatListTime } from "../format.js";
import { messageSummary } from "../summary.js";
import { t } from "../i18n/index.js";
import { icon } from "../icons.js";
import { currentOrgId, isOrgAdmin, onOrgsChange } from "../org.js";
import { navigate } from "../router.js";
import { displayName, on, state } from "../store.js";
import { userAvatar } from "../components/avatar.js";
import { renderMarkdown } from "../components/markdown.js";
import { confirmDialog } from "../components/modal.js";
import { toast } from "../components/toast.js";
import { openAnnouncementEditor } from "./announcement-editor.js";
import { personAvatar } from "./ding-state.js";

const PAGE = 50;

/** The rail badge: unread announcements meant for me in the current organization. */
export function mountAnnouncements({ list, main }) {
  const unsubscribe = [];
  let route = { parts: [], query: {} };
  let orgId = currentOrgId();
  let items = []; // AnnouncementOut, pinned first then newest (admins: every one)
  let mine = new Set(); // ids meant for me (admins also list the others)
  let done = false;
  let openId = null;
  let departments = null;
  let readers = null;
  let readersTab = "unread";
  let generation = 0;

  const newButton = h("button", { class: "icon-btn", type: "button", "aria-label": t("ann.new"), title: t("ann.new"), on: { click: compose } }, icon("plus"));
  const rows = h("ul", { class: "ann-list", "aria-live": "polite" });
  const more = h("button", { class: "btn btn-sm search-more", type: "button", text: t("ding.loadMore"), hidden: true, on: { click: () => load(true) } });
  replaceChildren(list,
    h("header", { class: "pane-head" }, h("h1", { class: "pane-title", text: t("ann.title") }), newButton),
    h("div", { class: "scroll ann-scroll" }, rows, more));

  const path = (rest = "") => `/orgs/${orgId}/announcements${rest}`;
  const find = (id) => items.find((item) => item.id === id);
  const canManage = () => isOrgAdmin();
  const canSeeReaders = (item) => canManage() || (item && item.author_id === state.me.id);

  function compose() {
    openAnnouncementEditor({ orgId, onSaved: (stored) => { upsert(stored); navigate(`announcements/${stored.id}`); } });
  }

  async function load(older = false) {
    if (!orgId) return render();
    const ticket = ++generation;
    try {
      const before = older && items.length ? items[items.length - 1].id : null;
      const [page, own] = await Promise.all([
        api.get(path(), { all: canManage() ? true : null, before, limit: PAGE }),
        canManage() && !older ? api.get(path(), { limit: 100 }) : null,
      ]);
      if (ticket !== generation) return;
      items = older ? [...items, ...page.announcements] : page.announcements;
      mine = new Set([...(older ? mine : []), ...(own || page).announcements.map((item) => item.id)]);
      done = page.announcements.length < PAGE;
      render();
      renderMain();
    } catch (error) {
      toast(errorText(error), "error");
    }
  }

  function upsert(item) {
    const index = items.findIndex((known) => known.id === item.id);
    if (index >= 0) items[index] = { ...items[index], ...item, read_at: item.read_at ?? items[index].read_at };
    else items.unshift(item);
    items.sort((a, b) => Number(b.pinned) - Number(a.pinned) || b.id - a.id);
    render();
  }

  const unread = (item) => mine.has(item.id) && !item.read_at;

  function render() {
    newButton.hidden = !orgId || !canManage();
    if (!orgId) {
      replaceChildren(rows, h("li", { class: "list-empty", text: t("ding.noOrg") }));
      more.hidden = true;
      return;
    }
    const shown = items.map((item) => h("li", {}, h("a", {
      class: ["ann-item", unread(item) && "unread", item.id === openId && "active"], href: `#/announcements/${item.id}`,
      "aria-current": item.id === openId ? "page" : null,
    },
    h("span", { class: "ann-item-icon", "aria-hidden": "true" }, icon(item.pinned ? "pin" : "megaphone")),
    h("div", { class: "ann-item-body" },
      h("div", { class: "ann-item-top" },
        h("span", { class: "ann-item-title ellipsis", text: item.title }),
        unread(item) ? h("span", { class: "ann-dot", title: t("ann.unread") }, h("span", { class: "sr-only", text: t("ann.unread") })) : null,
        h("time", { class: "ann-item-time", text: formatListTime(item.created_at) })),
      h("div", { class: "ann-item-text ellipsis", text: messageSummary({ kind: "markdown", body: item.body }) }),
      h("div", { class: "ann-item-foot muted" },
        item.pinned ? h("span", { class: "ann-tag ann-tag-pin", text: t("ann.pinned") }) : null,
        h("span", { class: "ellipsis", text: displayName(item.author_id) }))))));
    replaceChildren(rows, shown.length ? shown : h("li", { class: "list-empty", text: t("ann.none") }));
    more.hidden = done || !items.length;
  }

  const reading = new Set();
  async function markRead(item) {
    if (item.read_at || !mine.has(item.id) || reading.has(item.id)) return;
    reading.add(item.id);
    try {
      const stored = await api.post(path(`/${item.id}/read`));
      upsert(stored);
    } catch {
      // Opening it again tries again.
    } finally {
      reading.delete(item.id);
    }
  }

  async function loadReaders(id) {
    try {
      const found = await api.get(path(`/${id}/readers`));
      if (openId !== id) return;
      readers = found;
      renderMain();
    } catch {
      readers = null;
    }
  }

  let readersTimer = null;
  function readersSoon(id) {
    clearTimeout(readersTimer);
    readersTimer = setTimeout(() => loadReaders(id), 150);
  }

  async function audienceText(item) {
    if (item.audience !== "departments") return t("ann.wholeOrg");
    if (!departments) departments = await api.get(`/orgs/${orgId}/departments`).catch(() => []);
    const names = item.department_ids.map((id) => departments.find((d) => d.id === id)?.name).filter(Boolean);
    return names.length ? names.join(t("list.separator")) : t("ann.someDepartments");
  }

  function readersBlock(item) {
    if (!canSeeReaders(item)) return null;
    if (!readers || readers.announcement_id !== item.id) return h("section", { class: "ann-readers" }, h("span", { class: "spinner" }));
    const people = readersTab === "unread" ? readers.unread : readers.read;
    const tabButton = (name, text) => h("button", {
      class: ["tab", readersTab === name && "active"], type: "button", role: "tab", "aria-selected": String(readersTab === name),
      text, on: { click: () => { readersTab = name; renderMain(); } },
    });
    return h("section", { class: "ann-readers", "aria-label": t("ann.readers") },
      h("div", { class: "ann-readers-head" },
        h("strong", { class: "ann-read-count", text: t("ann.readCount", { n: readers.read_count, total: readers.audience_count }) })),
      h("div", { class: "tabs", role: "tablist" },
        tabButton("unread", t("ann.unreadN", { n: readers.unread.length })), tabButton("read", t("ann.readN", { n: readers.read.length }))),
      h("ul", { class: ["ding-people", "ann-people", `ann-people-${readersTab}`] }, people.length
        ? people.map((p) => h("li", { class: "ding-person" }, personAvatar(p.user_id, p.name),
          h("span", { class: "grow ellipsis", text: p.name }),
          p.read_at ? h("span", { class: "muted ding-person-meta", text: formatListTime(p.read_at) }) : null))
        : h("li", { class: "list-empty", text: readersTab === "unread" ? t("ann.everyoneRead") : t("ann.noneRead") })));
  }

  function renderMain() {
    const id = Number(route.parts[0]) || null;
    if (id !== openId) {
      openId = id;
      readers = null;
      readersTab = "unread";
      render();
    }
    if (!id) {
      replaceChildren(main, h("div", { class: "empty-state" },
        h("div", { class: "empty-icon", "aria-hidden": "true" }, icon("megaphone", "icon-lg")),
        h("p", { text: orgId ? t("ann.pickOne") : t("ding.noOrg") }),
        orgId && canManage() ? h("button", { class: "btn btn-primary", type: "button", on: { click: compose } }, icon("plus", "icon-sm"), t("ann.new")) : null));
      return;
    }
    const item = find(id);
    if (!item) {
      if (done || items.length) fetchOne(id);
      else replaceChildren(main, h("div", { class: "empty-state" }, h("span", { class: "spinner" })));
      return;
    }
    const audience = h("span", { class: "ann-audience-text" });
    audienceText(item).then((text) => { audience.textContent = text; });
    const actions = canManage() ? h("div", { class: "ann-actions" },
      h("button", { class: "btn btn-sm", type: "button", on: { click: () => openAnnouncementEditor({ orgId, announcement: item, onSaved: upsert }) } }, icon("edit", "icon-sm"), t("ann.edit")),
      h("button", { class: "btn btn-sm", type: "button", on: { click: () => togglePin(item) } }, icon("pin", "icon-sm"), item.pinned ? t("ann.unpin") : t("ann.pin")),
      h("button", { class: "btn btn-sm btn-danger", type: "button", on: { click: () => remove(item) } }, icon("trash", "icon-sm"), t("action.delete"))) : null;
    replaceChildren(main, h("div", { class: "page ann-page" },
      h("header", { class: "page-head" },
        h("a", { class: "icon-btn back-btn", href: "#/announcements", "aria-label": t("action.back") }, icon("back")),
        h("h2", { class: "page-title grow ellipsis", text: t("ann.title") }), actions),
      h("div", { class: "page-body scroll" }, h("article", { class: "ann-article" },
        h("h1", { class: "ann-title" }, item.pinned ? h("span", { class: "ann-tag ann-tag-pin", text: t("ann.pinned") }) : null, item.title),
        h("div", { class: "ann-meta muted" },
          userAvatar(item.author_id, { size: "xs" }),
          h("span", { text: displayName(item.author_id) }),
          h("span", { text: formatDateTime(item.created_at) }),
          item.updated_at > item.created_at ? h("span", { text: t("ann.editedAt", { time: formatDateTime(item.updated_at) }) }) : null,
          h("span", { class: "ann-audience-label" }, icon("users", "icon-sm"), audience),
          item.ding_id ? h("span", { class: "ding-badge" }, icon("ding", "icon-sm"), "DING") : null),
        h("div", { class: "ann-body md" }, renderMarkdown(item.html || "")),
        readersBlock(item)))));
    markRead(item);
    if (canSeeReaders(item) && (!readers || readers.announcement_id !== item.id)) loadReaders(item.id);
  }

  async function fetchOne(id) {
    try {
      const item = await api.get(path(`/${id}`));
      if (item.organization_id !== orgId) return;
      mine.add(item.id);
      upsert(item);
      renderMain();
    } catch (error) {
      replaceChildren(main, h("div", { class: "empty-state" }, h("p", { text: errorText(error) }),
        h("a", { class: "btn", href: "#/announcements", text: t("action.back") })));
    }
  }

  async function togglePin(item) {
    try {
      upsert(await api.patch(path(`/${item.id}`), { pinned: !item.pinned }));
      renderMain();
    } catch (error) {
      toast(errorText(error), "error");
    }
  }

  async function remove(item) {
    const ok = await confirmDialog({ title: t("ann.delete"), message: t("ann.deleteConfirm", { title: item.title }), confirmLabel: t("action.delete"), danger: true });
    if (!ok) return;
    try {
      await api.del(path(`/${item.id}`));
      items = items.filter((known) => known.id !== item.id);
      navigate("announcements");
      render();
    } catch (error) {
      toast(errorText(error), "error");
    }
  }

  unsubscribe.push(on("event:announcement", (event) => {
    const data = event.data || {};
    if (event.op === "read") {
      const item = find(data.announcement_id);
      if (item && data.user_id === state.me.id && !item.read_at) {
        item.read_at = event.created_at || Date.now();
        render();
      }
      if (data.announcement_id === openId && canSeeReaders(item)) readersSoon(openId);
      return;
    }
    if (data.organization_id !== orgId) return;
    if (event.op === "deleted") {
      items = items.filter((item) => item.id !== data.id);
      render();
      if (data.id === openId) {
        toast(t("ann.deleted"));
        navigate("announcements");
      }
    } else {
      if (event.op === "published") mine.add(data.id);
      upsert(data);
      if (data.id === openId) renderMain();
    }
  }));
  unsubscribe.push(on("users", render));
  unsubscribe.push(onOrgsChange(() => {
    if (currentOrgId() === orgId) return render();
    const switched = orgId !== null; // not the first answer of a page still loading its organizations
    orgId = currentOrgId();
    items = [];
    mine = new Set();
    departments = null;
    // Another organization's announcement is not this one's: back to the list. (The organizations
    // arriving late must not close the announcement just opened.)
    if (openId && switched) navigate("announcements");
    load();
  }));
  load();

  return {
    update(next) {
      route = next;
      renderMain();
    },
    destroy() {
      clearTimeout(readersTimer);
      for (const fn of unsubscribe) fn();
    },
  };
}
