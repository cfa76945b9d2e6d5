// Admin page: the organization's audit log (GET /orgs/{id}/audit-log), for its owner and admins.
// Newest first, 50 at a time ("Load more" follows the cursor); filtered by action (one action or
// a whole family), by who did it (a member search, or a click on a name in the log) and by date;
// the same filters download as CSV.

import { api } from "../api.js";
import { debounce, h, replaceChildren } from "../dom.js";
import { formatDateTime } from "../format.js";
import { t } from "../i18n/index.js";
import { icon } from "../icons.js";
import { avatar } from "../components/avatar.js";
import { adminFrame, guard } from "./admin-ui.js";

const PAGE = 50;
const DAY_MS = 86_400_000;

// Every action the server records (services/audit.py ACTIONS), by family; tests keep them equal.
export const AUDIT_ACTIONS = {
  org: ["create", "update", "transfer", "export", "retention"],
  member: ["role", "remove", "deactivate", "reactivate", "update", "departments", "leave", "account_deleted", "ldap_add"],
  department: ["create", "update", "delete", "seat", "unseat"],
  invitation: ["create", "revoke"],
  contact_invitation: ["create", "revoke"],
  join_request: ["approve", "reject"],
  contact: ["create", "update", "delete"],
  ding_policy: ["update"],
  announcement: ["publish", "update", "delete"],
  report_template: ["create", "update", "reminder"],
  webhook: ["create", "update", "revoke"],
  robot: ["create", "update", "revoke"],
  bot_subscription: ["create", "update", "delete"],
  sso_provider: ["create", "update", "delete"],
  ldap: ["update", "delete", "sync"],
  approval_template: ["create", "update"],
  approval_role: ["create", "update", "delete"],
};

/** The action's name in the page's language ("member.role" -> "Changed a member's role"). */
export function actionLabel(action) {
  const key = `audit.action.${action}`;
  const text = t(key);
  return text === key ? action : text;
}

export function mountAuditLog(main, { org, title }) {
  const action = h("select", { class: "select", id: "audit-action", "aria-label": t("audit.action") },
    h("option", { value: "", text: t("audit.allActions") }),
    Object.entries(AUDIT_ACTIONS).map(([family, names]) => h("optgroup", { label: t(`audit.family.${family}`) },
      h("option", { value: family, text: t("audit.wholeFamily", { family: t(`audit.family.${family}`) }) }),
      names.map((name) => h("option", { value: `${family}.${name}`, text: actionLabel(`${family}.${name}`) })))));
  const since = h("input", { class: "input", type: "date", id: "audit-since", "aria-label": t("audit.since") });
  const until = h("input", { class: "input", type: "date", id: "audit-until", "aria-label": t("audit.until") });
  const actorSlot = h("div", { class: "audit-actor" });
  const list = h("ol", { class: "audit-list", "aria-live": "polite" });
  const more = h("button", { class: "btn search-more", type: "button", text: t("audit.older"), hidden: true, on: { click: () => load(false) } });
  const csv = h("a", { class: "btn btn-sm", download: "", title: t("audit.csv") }, icon("download", "icon-sm"), h("span", { text: t("audit.csv") }));
  const body = adminFrame(main, title, { wide: true, actions: csv });
  replaceChildren(body,
    h("p", { class: "page-hint", text: t("audit.hint") }),
    h("div", { class: "audit-filters" },
      h("label", { class: "audit-filter" }, h("span", { text: t("audit.action") }), action),
      h("div", { class: "audit-filter" }, h("span", { text: t("audit.actor") }), actorSlot),
      h("label", { class: "audit-filter" }, h("span", { text: t("audit.since") }), since),
      h("label", { class: "audit-filter" }, h("span", { text: t("audit.until") }), until)),
    list, more);

  let actor = null; // {id, name} whose entries alone are shown
  let cursor = null;
  let token = 0;
  let alive = true;

  function filters() {
    // Dates are the viewer's days: from the start of `since` to the end of `until`.
    const day = (input) => (input.value ? new Date(`${input.value}T00:00:00`).getTime() : null);
    const end = day(until);
    return {
      action: action.value || null,
      actor_id: actor ? actor.id : null,
      since: day(since),
      until: end === null ? null : end + DAY_MS,
    };
  }

  function exportUrl() {
    const query = new URLSearchParams();
    for (const [key, value] of Object.entries(filters())) if (value !== null) query.set(key, String(value));
    const rest = query.toString();
    return `/api/v1/orgs/${org.id}/audit-log/export${rest ? `?${rest}` : ""}`;
  }

  async function load(reset) {
    const mine = ++token;
    if (reset) cursor = null;
    csv.href = exportUrl();
    more.disabled = true;
    const page = await guard(api.get(`/orgs/${org.id}/audit-log`, { ...filters(), cursor, limit: PAGE }));
    more.disabled = false;
    if (!page || !alive || mine !== token) return;
    const rows = page.entries.map(entry);
    if (reset) replaceChildren(list, rows.length ? rows : h("li", { class: "list-empty", text: t("audit.none") }));
    else list.append(...rows);
    cursor = page.next_cursor;
    more.hidden = cursor === null;
  }

  function entry(item) {
    const who = item.actor ? item.actor.display_name : t("audit.someone");
    const name = item.actor
      ? h("button", {
        class: "link-btn audit-who", type: "button", text: who, title: t("audit.onlyBy", { name: who }),
        on: { click: () => chooseActor({ id: item.actor.id, name: who }) },
      })
      : h("span", { class: "audit-who", text: who });
    const target = targetText(item);
    const details = Object.entries(item.details || {});
    return h("li", { class: "audit-entry", dataset: { action: item.action } },
      avatar({ id: item.actor ? item.actor.id : 0, name: who, size: "sm" }),
      h("div", { class: "audit-text" },
        h("div", { class: "audit-line" }, name, h("span", { class: "audit-what", text: actionLabel(item.action) }),
          target ? h("span", { class: "audit-target", text: target }) : null),
        h("div", { class: "audit-meta muted" },
          h("time", { datetime: new Date(item.created_at).toISOString(), text: formatDateTime(item.created_at) }),
          item.address ? h("span", { text: t("audit.from", { address: item.address }) }) : null),
        details.length ? h("details", { class: "audit-details" }, h("summary", { text: t("audit.details") }),
          h("dl", {}, details.map(([key, value]) => [h("dt", { text: key }), h("dd", { text: detailText(value) })]))) : null));
  }

  function chooseActor(chosen) {
    actor = chosen;
    renderActor();
    load(true);
  }

  // Who did it: a chip once chosen; before that a search among the organization's members.
  function renderActor() {
    if (actor) {
      replaceChildren(actorSlot, h("span", { class: "audit-chip" }, h("span", { class: "ellipsis", text: actor.name }),
        h("button", {
          class: "icon-btn", type: "button", "aria-label": t("audit.anyone"), title: t("audit.anyone"),
          on: { click: () => chooseActor(null) },
        }, icon("close", "icon-sm"))));
      return;
    }
    const input = h("input", {
      class: "input", type: "search", id: "audit-actor", placeholder: t("audit.actorPlaceholder"), autocomplete: "off",
      "aria-label": t("audit.actor"),
    });
    const options = h("ul", { class: "audit-suggest", role: "listbox", hidden: true });
    const search = debounce(async () => {
      const q = input.value.trim();
      if (!q) {
        options.hidden = true;
        return;
      }
      const found = await guard(api.get(`/orgs/${org.id}/members`, { q, include_deactivated: "true", limit: 8 }));
      if (!found || !alive || input.value.trim() !== q) return;
      replaceChildren(options, found.members.length
        ? found.members.map((member) => h("li", {}, h("button", {
          class: "audit-option", type: "button", role: "option",
          on: { click: () => chooseActor({ id: member.user_id, name: member.name }) },
        }, avatar({ id: member.user_id, name: member.name, url: member.avatar_url, size: "xs" }),
        h("span", { class: "ellipsis", text: member.name }), h("span", { class: "muted", text: `@${member.username}` }))))
        : h("li", { class: "list-empty", text: t("dir.noMatch", { q }) }));
      options.hidden = false;
    }, 200);
    input.addEventListener("input", search);
    input.addEventListener("keydown", (event) => {
      if (event.key === "Escape") options.hidden = true;
    });
    replaceChildren(actorSlot, input, options);
  }

  action.addEventListener("change", () => load(true));
  since.addEventListener("change", () => load(true));
  until.addEventListener("change", () => load(true));
  renderActor();
  load(true);

  return {
    orgChanged(next) { org = next; },
    destroy() {
      alive = false;
    },
  };
}

/** What the entry acted on, when it has a name: a member, a department, an announcement. */
function targetText(item) {
  if (item.target_name) return item.target_name;
  const details = item.details || {};
  return details.title || details.name || "";
}

function detailText(value) {
  if (value && typeof value === "object" && "from" in value && "to" in value) {
    return `${detailText(value.from)} → ${detailText(value.to)}`;
  }
  if (Array.isArray(value)) return value.map(detailText).join(t("list.separator"));
  if (value === null || value === undefined || value === "") return "—";
  if (typeof value === "boolean") return value ? t("audit.yes") : t("audit.no");
  return typeof value === "object" ? JSON.stringify(value) : String(value);
}
