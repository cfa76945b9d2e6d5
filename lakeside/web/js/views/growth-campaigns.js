// The campaigns section of the workspace: the organization's campaigns in the list column (the
// picker), and the open campaign beside it — its leaderboard, your friends as it counts them, and
// for the organization's owner and admins the quota report, the fraud review and the editor.
// Routes: #/campaigns, #/campaigns/new, #/campaigns/12, #/campaigns/12/{friends,quota,flags,edit}.

import { api } from "../api.js";
import { h, replaceChildren } from "../dom.js";
import { t } from "../i18n/index.js";
import { icon } from "../icons.js";
import { currentOrgId, isOrgAdmin, onOrgsChange } from "../org.js";
import { navigate } from "../router.js";
import { on } from "../store.js";
import { mountCampaignForm } from "./growth-campaign-form.js";
import { mountFriends, mountLeaderboard } from "./growth-leaderboard.js";
import { mountFlags, mountQuota } from "./growth-review.js";
import { countdown, dateOnly, emptyState, failure, frame, spinner, statusTag } from "./growth-util.js";

const TABS = () => [
  { name: "", label: t("growth.tabBoard"), icon: "trophy" },
  { name: "friends", label: t("growth.tabFriends"), icon: "users" },
  { name: "quota", label: t("growth.tabQuota"), icon: "check", manage: true },
  { name: "flags", label: t("growth.tabFlags"), icon: "flag", manage: true },
  { name: "edit", label: t("growth.tabEdit"), icon: "edit", manage: true },
];
const ORDER = { running: 0, closing: 1, scheduled: 2, ended: 3 };
const WIDE = window.matchMedia("(min-width: 769px)");

export function mountCampaigns({ list, main }) {
  const unsubscribe = [];
  let orgId = currentOrgId();
  let campaigns = null;
  let loadError = null;
  let route = { parts: [], query: {} };
  let page = null;
  let pageKey = null;
  let built = null; // status and update time of the campaign the open page shows
  let clocks = []; // [element, campaign]: the countdowns in the list, ticking every second
  let refetched = null; // the campaign id the list was fetched again for

  const items = h("ul", { class: "g-campaign-list", "aria-live": "polite" });
  const newButton = h("a", { class: "icon-btn", href: "#/campaigns/new", "aria-label": t("growth.newCampaign"), title: t("growth.newCampaign") }, icon("plus"));
  replaceChildren(list,
    h("header", { class: "pane-head" }, h("h1", { class: "pane-title", text: t("growth.campaigns") }), newButton),
    h("div", { class: "scroll g-list-scroll" }, items));

  async function load() {
    const asked = orgId;
    if (!asked) {
      campaigns = [];
      render();
      return;
    }
    try {
      const body = await api.get(`/orgs/${asked}/campaigns`);
      if (asked !== orgId) return;
      campaigns = body.campaigns;
      loadError = null;
    } catch (error) {
      if (asked !== orgId) return;
      loadError = error;
    }
    render();
  }

  function sorted() {
    return [...(campaigns || [])].sort((a, b) => (ORDER[a.status] ?? 9) - (ORDER[b.status] ?? 9) || b.ends_at - a.ends_at);
  }

  function openId() {
    return Number(route.parts[0]) || null;
  }

  function renderList() {
    newButton.hidden = !isOrgAdmin();
    if (campaigns === null && !loadError) return replaceChildren(items, h("li", { class: "list-empty" }, h("span", { class: "spinner" })));
    if (loadError) return replaceChildren(items, h("li", { class: "list-empty" }, failure(loadError, load)));
    if (!campaigns.length) {
      return replaceChildren(items, h("li", { class: "list-empty" }, h("p", { text: t("growth.noCampaigns") }),
        isOrgAdmin() ? h("a", { class: "btn btn-primary btn-sm", href: "#/campaigns/new", text: t("growth.newCampaign") }) : null));
    }
    clocks = [];
    replaceChildren(items, sorted().map((campaign) => {
      const clock = h("span", { class: "muted", text: when(campaign) });
      if (campaign.status === "running") clocks.push([clock, campaign]);
      return h("li", {}, h("a", {
        class: ["g-campaign-item", openId() === campaign.id && "active"], href: `#/campaigns/${campaign.id}`,
        "aria-current": openId() === campaign.id ? "page" : null,
      },
      h("span", { class: ["g-campaign-icon", `g-campaign-icon-${campaign.status}`], "aria-hidden": "true" }, icon("trophy")),
      h("span", { class: "g-campaign-text" },
        h("span", { class: "g-campaign-name ellipsis", text: campaign.name }),
        h("span", { class: "g-campaign-meta" }, statusTag(campaign), clock))));
    }));
  }

  function when(campaign) {
    const left = campaign.status === "running" ? countdown(campaign.ends_at) : null;
    if (left) return t("growth.endsIn", { time: left });
    if (campaign.status === "scheduled") return t("growth.startsOn", { date: dateOnly(campaign.starts_at, campaign.spec.timezone) });
    return t("growth.deadlineOn", { date: dateOnly(campaign.ends_at, campaign.spec.timezone) });
  }

  function renderMain() {
    const [first, tab = ""] = route.parts;
    const key = `${orgId}|${route.parts.join("/")}`;
    if (key === pageKey && page) return;
    destroyPage();
    pageKey = key;
    if (!orgId) {
      replaceChildren(main, emptyState("trophy", t("growth.noOrg")));
      return;
    }
    if (first === "new") {
      if (!isOrgAdmin()) return replaceChildren(main, emptyState("lock", t("growth.managersOnly")));
      page = mountCampaignForm(main, { orgId, campaign: null, onSaved: saved });
      return;
    }
    const id = openId();
    if (!id) {
      if (campaigns && campaigns.length && WIDE.matches) {
        pageKey = null;
        navigate(`campaigns/${sorted()[0].id}`, { replace: true });
        return;
      }
      replaceChildren(main, emptyState("trophy", campaigns && campaigns.length ? t("growth.pickCampaign") : t("growth.noCampaignsHint")));
      return;
    }
    const campaign = (campaigns || []).find((item) => item.id === id);
    if (!campaign) {
      // A link to a campaign made since the list was fetched: fetch it again, once.
      const retry = campaigns !== null && refetched !== id;
      if (retry) {
        refetched = id;
        load();
      }
      if (campaigns === null || retry) replaceChildren(main, spinner());
      else replaceChildren(main, emptyState("trophy", t("growth.notFound")));
      pageKey = campaigns === null || retry ? null : key;
      return;
    }
    built = { id: campaign.id, status: campaign.status, updated: campaign.updated_at };
    const tabs = TABS().filter((item) => !item.manage || campaign.can_manage);
    const current = tabs.find((item) => item.name === tab) || tabs[0];
    const body = frame(main, {
      title: campaign.name, back: "#/campaigns", className: "g-campaign-body",
      actions: statusTag(campaign),
    });
    const nav = h("nav", { class: "tabs g-tabs", "aria-label": campaign.name }, tabs.map((item) => h("a", {
      class: ["tab", item === current && "active"], href: `#/campaigns/${campaign.id}${item.name ? `/${item.name}` : ""}`,
      "aria-current": item === current ? "page" : null,
    }, icon(item.icon, "icon-sm"), h("span", { text: item.label }))));
    const slot = h("div", { class: "g-tab-body" });
    replaceChildren(body, nav, slot);
    const context = { campaign, slot, orgId, reload: load, onSaved: saved };
    if (current.name === "friends") page = mountFriends(context);
    else if (current.name === "quota") page = mountQuota(context);
    else if (current.name === "flags") page = mountFlags(context);
    else if (current.name === "edit") page = mountCampaignForm(slot, { orgId, campaign, onSaved: saved, embedded: true });
    else page = mountLeaderboard(context);
  }

  async function saved(campaign) {
    await load();
    pageKey = null;
    if (!campaign) return navigate("campaigns");
    navigate(`campaigns/${campaign.id}`);
    if (openId() === campaign.id) renderMain();
  }

  function destroyPage() {
    if (page && page.destroy) page.destroy();
    page = null;
  }

  function render() {
    renderList();
    // A campaign changed (e.g. from running to ended): rebuild its page with the new state.
    const campaign = (campaigns || []).find((item) => item.id === openId());
    if (campaign && built && built.id === campaign.id && (built.status !== campaign.status || built.updated !== campaign.updated_at)) pageKey = null;
    renderMain();
  }

  unsubscribe.push(onOrgsChange((detail) => {
    if (currentOrgId() !== orgId) {
      orgId = currentOrgId();
      campaigns = null;
      pageKey = null;
      if (route.parts.length) navigate("campaigns", { replace: true });
      load();
    } else if (!detail || !detail.switched) renderList();
  }));
  unsubscribe.push(on("event:campaign", (event) => {
    const data = event.data || {};
    if (data.organization_id === orgId && event.op !== "leaderboard") load();
  }));
  const tick = setInterval(() => {
    if (document.visibilityState !== "visible") return;
    for (const [clock, campaign] of clocks) clock.textContent = when(campaign);
  }, 1000);
  unsubscribe.push(() => clearInterval(tick));
  load();

  return {
    update(next) {
      route = next;
      renderList();
      renderMain();
    },
    destroy() {
      for (const fn of unsubscribe) fn();
      destroyPage();
    },
  };
}
