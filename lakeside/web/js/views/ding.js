// The DING section: DINGs received (waiting for confirmation first) and sent, in the current
// organization, beside the open DING; a new DING is written in the composer.

import { api } from "../api.js";
import { h, replaceChildren } from "../dom.js";
import { errorText } from "../errors.js";
import { formatDateTime, formatListTime } from "../format.js";
import { t } from "../i18n/index.js";
import { icon } from "../icons.js";
import { currentOrgId, onOrgsChange } from "../org.js";
import { navigate } from "../router.js";
import { displayName, on, state } from "../store.js";
import { userAvatar } from "../components/avatar.js";
import { toast } from "../components/toast.js";
import { openDingComposer } from "./ding-composer.js";
import { mountDingDetail } from "./ding-detail.js";
import { confirmDing, confirmedDings, dingPath, pendingDings } from "./ding-state.js";

const PAGE = 50;

/** The rail badge: DINGs waiting for my confirmation in the current organization. */
export function dingText(ding) {
  return ding.recalled ? t("ding.recalledText") : ding.body;
}

export function mountDing({ list, main }) {
  const unsubscribe = [];
  let route = { parts: [], query: {} };
  let orgId = currentOrgId();
  let sent = [];
  let sentDone = false;
  let sentLoading = false;
  // The inbox's history (GET …/dings/received): confirmed DINGs below the pending ones.
  let received = [];
  let receivedDone = false;
  let receivedLoading = false;
  let detail = null;
  let detailKey = null;

  const tabs = h("div", { class: "tabs ding-tabs", role: "tablist" });
  const items = h("ul", { class: "ding-list", "aria-live": "polite" });
  const more = h("button", { class: "btn btn-sm search-more", type: "button", text: t("ding.loadMore"), hidden: true, on: { click: () => (tab() === "sent" ? loadSent(true) : loadReceived(true)) } });
  replaceChildren(list,
    h("header", { class: "pane-head" }, h("h1", { class: "pane-title", text: t("ding.title") }),
      h("button", { class: "icon-btn", type: "button", "aria-label": t("ding.new"), title: t("ding.new"), on: { click: compose } }, icon("plus"))),
    h("div", { class: "ding-tabs-wrap" }, tabs),
    h("div", { class: "scroll ding-scroll" }, items, more));

  function tab() {
    return route.query.tab === "sent" ? "sent" : "received";
  }

  function compose() {
    if (!orgId) return;
    openDingComposer({
      orgId,
      onSent: (ding) => {
        upsertSent(ding);
        navigate(`ding/${ding.id}?tab=sent`);
      },
    });
  }

  async function loadSent(older = false) {
    if (!orgId || sentLoading || (older && sentDone)) return;
    sentLoading = true;
    const asked = orgId;
    try {
      const before = older && sent.length ? sent[sent.length - 1].id : null;
      const page = await api.get(dingPath(orgId, "/sent"), { before, limit: PAGE });
      if (asked !== orgId) return;
      sent = older ? [...sent, ...page] : page;
      sentDone = page.length < PAGE;
      renderList();
    } catch (error) {
      toast(errorText(error), "error");
    } finally {
      sentLoading = false;
    }
  }

  async function loadReceived(older = false) {
    if (!orgId || receivedLoading || (older && receivedDone)) return;
    receivedLoading = true;
    const asked = orgId;
    try {
      const before = older && received.length ? received[received.length - 1].id : null;
      const page = await api.get(dingPath(orgId, "/received"), { before, limit: PAGE });
      if (asked !== orgId) return;
      received = older ? [...received, ...page] : page;
      receivedDone = page.length < PAGE;
      renderList();
    } catch (error) {
      toast(errorText(error), "error");
    } finally {
      receivedLoading = false;
    }
  }

  /** Pending first (newest first), then everything already confirmed, newest first. */
  function receivedRows() {
    const pending = pendingDings(orgId);
    const waiting = new Set(pending.map((ding) => ding.id));
    const done = new Map();
    for (const ding of received) if (!waiting.has(ding.id)) done.set(ding.id, ding);
    // Confirmed here since the page loaded: newer than the history, or fresher than its copy.
    for (const ding of confirmedDings(orgId)) if (!waiting.has(ding.id)) done.set(ding.id, ding);
    return [...pending, ...[...done.values()].sort((a, b) => b.id - a.id)];
  }

  function upsertSent(ding) {
    const index = sent.findIndex((item) => item.id === ding.id);
    if (index >= 0) sent[index] = { ...sent[index], ...ding };
    else sent = [ding, ...sent].sort((a, b) => b.id - a.id);
    renderList();
  }

  function renderTabs() {
    const waiting = orgId ? pendingDings(orgId).length : 0;
    const tabButton = (name, label, count) => h("a", {
      class: ["tab", tab() === name && "active"], role: "tab", "aria-selected": String(tab() === name),
      href: name === "sent" ? "#/ding?tab=sent" : "#/ding",
    }, label, count ? h("span", { class: "badge ding-tab-badge", text: String(count) }) : null);
    replaceChildren(tabs, tabButton("received", t("ding.received"), waiting), tabButton("sent", t("ding.sentTab"), 0));
  }

  function openId() {
    return Number(route.parts[0]) || null;
  }

  function href(ding) {
    return `#/ding/${ding.id}${tab() === "sent" ? "?tab=sent" : ""}`;
  }

  function receivedItem(ding) {
    const waiting = !ding.confirmed_at;
    return h("li", {}, h("a", { class: ["ding-item", waiting && "waiting", openId() === ding.id && "active"], href: href(ding) },
      userAvatar(ding.sender_id, { size: "sm" }),
      h("div", { class: "ding-item-body" },
        h("div", { class: "ding-item-top" },
          h("span", { class: "ding-item-name ellipsis", text: displayName(ding.sender_id) }),
          h("time", { class: "ding-item-time", text: formatListTime(ding.sent_at || ding.created_at) })),
        h("div", { class: "ding-item-text", text: dingText(ding) }),
        h("div", { class: "ding-item-foot" },
          h("span", { class: ["ding-state", waiting ? "ding-state-waiting" : "ding-state-done"], text: waiting ? t("ding.unconfirmed") : t("ding.confirmed") }),
          waiting ? h("button", {
            class: "btn btn-sm ding-confirm", type: "button", text: t("ding.confirm"),
            on: { click: (event) => { event.preventDefault(); confirm(ding, event.currentTarget); } },
          }) : null))));
  }

  function sentState(ding) {
    if (ding.status === "scheduled") return [t("ding.scheduledAt", { time: formatDateTime(ding.send_at) }), "ding-state-scheduled"];
    if (ding.status === "cancelled") return [t("ding.cancelled"), "ding-state-done"];
    if (ding.confirmed_count >= ding.recipient_count) return [t("ding.allConfirmed"), "ding-state-done"];
    return [t("ding.progress", { n: ding.confirmed_count, total: ding.recipient_count }), "ding-state-waiting"];
  }

  function sentItem(ding) {
    const [label, kind] = sentState(ding);
    return h("li", {}, h("a", { class: ["ding-item", openId() === ding.id && "active"], href: href(ding) },
      h("span", { class: "ding-item-icon", "aria-hidden": "true" }, icon(ding.status === "scheduled" ? "clock" : "ding")),
      h("div", { class: "ding-item-body" },
        h("div", { class: "ding-item-top" },
          h("span", { class: "ding-item-name ellipsis", text: t("ding.toN", { n: ding.recipient_count }) }),
          h("time", { class: "ding-item-time", text: formatListTime(ding.sent_at || ding.send_at || ding.created_at) })),
        h("div", { class: "ding-item-text", text: dingText(ding) }),
        h("div", { class: "ding-item-foot" }, h("span", { class: ["ding-state", kind], text: label })))));
  }

  function renderList() {
    renderTabs();
    if (!orgId) {
      replaceChildren(items, h("li", { class: "list-empty", text: t("ding.noOrg") }));
      more.hidden = true;
      return;
    }
    let rows;
    if (tab() === "sent") {
      rows = sent.map(sentItem);
      if (!rows.length) rows.push(h("li", { class: "list-empty", text: sentLoading ? "" : t("ding.noneSent") }));
      more.hidden = sentDone || !sent.length;
    } else {
      rows = receivedRows().map(receivedItem);
      if (!rows.length) rows.push(h("li", { class: "list-empty", text: receivedLoading ? "" : t("ding.noneReceived") }));
      more.hidden = receivedDone || !received.length;
    }
    replaceChildren(items, rows);
  }

  async function confirm(ding, button) {
    button.disabled = true;
    try {
      await confirmDing(ding);
    } catch (error) {
      button.disabled = false;
      toast(errorText(error), "error");
    }
  }

  function renderMain() {
    const id = openId();
    const org = Number(route.query.org) || orgId;
    const key = id ? `${org}:${id}` : null;
    if (key === detailKey && detail) return;
    if (detail) detail.destroy();
    detail = null;
    detailKey = key;
    if (id && org) {
      detail = mountDingDetail(main, { orgId: org, dingId: id, back: tab() === "sent" ? "#/ding?tab=sent" : "#/ding", onChange: upsertSent });
      return;
    }
    replaceChildren(main, h("div", { class: "empty-state" },
      h("div", { class: "empty-icon ding-empty-icon", "aria-hidden": "true" }, icon("ding", "icon-lg")),
      h("p", { text: orgId ? t("ding.pickOne") : t("ding.noOrg") }),
      orgId ? h("button", { class: "btn btn-primary", type: "button", on: { click: compose } }, icon("plus", "icon-sm"), t("ding.new")) : null));
  }

  // Sent DINGs follow their events; the received ones live in ding-state.js.
  unsubscribe.push(on("event:ding", (event) => {
    const data = event.data || {};
    if (["created", "scheduled"].includes(event.op) && data.sender_id === state.me.id && data.organization_id === orgId) {
      upsertSent(data);
    } else if (event.op === "cancelled") {
      const known = sent.find((ding) => ding.id === data.ding_id);
      if (known) upsertSent({ ...known, status: "cancelled" });
    } else if (event.op === "confirmed") {
      const known = sent.find((ding) => ding.id === data.ding_id);
      if (known) upsertSent({ ...known, confirmed_count: Math.max(known.confirmed_count, data.confirmed_count) });
    }
  }));
  unsubscribe.push(on("dings", renderList), on("users", renderList));
  unsubscribe.push(onOrgsChange(() => {
    if (currentOrgId() === orgId) return renderTabs();
    orgId = currentOrgId();
    sent = [];
    sentDone = false;
    received = [];
    receivedDone = false;
    loadSent();
    loadReceived();
    renderList();
    // An open DING belongs to the organization left behind.
    if (openId() && !route.query.org) navigate(tab() === "sent" ? "ding?tab=sent" : "ding");
  }));
  loadSent();
  loadReceived();

  return {
    update(next) {
      route = next;
      renderList();
      renderMain();
    },
    destroy() {
      for (const fn of unsubscribe) fn();
      if (detail) detail.destroy();
    },
  };
}
