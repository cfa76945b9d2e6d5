// The organization switcher: the current organization's logo and name (in the rail on a desktop,
// at the top of the workspace panes everywhere), and a menu to switch, create one, join one by
// invitation link or code, answer invitations addressed to you, follow your join requests, and
// leave. Also opens the join dialog when the page is opened through an invitation link
// (/join/CODE redirects to #/join/CODE).

import { api } from "../api.js";
import { h, replaceChildren } from "../dom.js";
import { errorText } from "../errors.js";
import { formatListTime } from "../format.js";
import { t } from "../i18n/index.js";
import { icon } from "../icons.js";
import { navigate, onRoute, parseRoute } from "../router.js";
import {
  afterJoin, createOrg, currentOrg, isOrgOwner, leaveOrg, loadOrgs, onOrgsChange, orgState, setCurrentOrg,
} from "../org.js";
import { avatar } from "../components/avatar.js";
import { confirmDialog, openModal, promptDialog } from "../components/modal.js";
import { closePopover, openPopover } from "../components/popover.js";
import { toast } from "../components/toast.js";

/** An organization's logo, or its initial on a colour chosen by its id. */
export function orgLogo(org, size = "sm") {
  return avatar({ id: org.id, name: org.name, url: org.logo_url, size, group: true });
}

/** What waits in one organization for the user: DINGs, announcements, join requests (admins). */
export function orgBadge(org) {
  return (org.pending_dings || 0) + (org.unread_announcements || 0) + (org.pending_join_requests || 0);
}

function inboxCount() {
  return orgState.invitations.length;
}

function countBadge(count, extra = "") {
  return h("span", { class: ["badge", extra], hidden: !count, text: count > 99 ? "99+" : String(count) });
}

/** The rail's organization button (desktop): the current logo, or "+" to create or join one. */
export function orgRailButton() {
  const el = h("button", { class: "rail-org", type: "button", on: { click: () => openOrgMenu(el) } });
  function render() {
    const org = currentOrg();
    const others = orgState.orgs.filter((item) => item.id !== orgState.currentId).reduce((sum, item) => sum + orgBadge(item), 0);
    const label = org ? t("org.switcherOf", { name: org.name }) : t("org.createOrJoin");
    el.setAttribute("aria-label", label);
    el.title = label;
    replaceChildren(el, org ? orgLogo(org, "sm") : h("span", { class: "rail-org-add" }, icon("building")),
      countBadge(others + inboxCount(), "rail-badge badge-dot"));
  }
  const off = onOrgsChange(render);
  render();
  return { el, destroy: off };
}

/** The head of a workspace list pane: the organization's logo and name, opening the switcher. */
export function orgPaneHead(title) {
  const button = h("button", { class: "org-head", type: "button", on: { click: () => openOrgMenu(button) } });
  const el = h("header", { class: "pane-head org-pane-head" }, button);
  function render() {
    const org = currentOrg();
    replaceChildren(button,
      org ? orgLogo(org, "xs") : icon("building", "icon-sm"),
      h("span", { class: "org-head-text" },
        h("span", { class: "org-head-name ellipsis", text: org ? org.name : t("org.none") }),
        h("span", { class: "org-head-sub ellipsis", text: title })),
      countBadge(inboxCount() + orgState.orgs.filter((item) => item.id !== orgState.currentId).reduce((sum, item) => sum + orgBadge(item), 0), "badge-dot"),
      icon("chevronDown", "icon-sm org-head-chevron"));
    button.setAttribute("aria-label", org ? t("org.switcherOf", { name: org.name }) : t("org.createOrJoin"));
    button.setAttribute("aria-haspopup", "dialog");
  }
  const off = onOrgsChange(render);
  render();
  return { el, destroy: off };
}

/** The switcher: every organization (with what waits there), then create, join, invitations, leave. */
export function openOrgMenu(anchor) {
  const current = currentOrg();
  const rows = orgState.orgs.map((org) => h("button", {
    class: ["org-option", org.id === orgState.currentId && "current"], type: "button", role: "menuitemradio",
    "aria-checked": org.id === orgState.currentId ? "true" : "false",
    on: { click: () => { closePopover(); setCurrentOrg(org.id); } },
  }, orgLogo(org, "sm"),
  h("span", { class: "org-option-text" }, h("span", { class: "org-option-name ellipsis", text: org.name }),
    h("span", { class: "org-option-meta ellipsis", text: `${t(`role.${org.my_role}`)} · ${t("org.memberCount", { n: org.member_count })}` })),
  org.id === orgState.currentId ? icon("check", "icon-sm org-option-check") : countBadge(orgBadge(org))));
  const action = (iconName, label, handler, extra = null, danger = false) => h("button", {
    class: ["menu-item", danger && "danger"], type: "button", role: "menuitem", on: { click: () => { closePopover(); handler(); } },
  }, icon(iconName, "icon-sm"), h("span", { class: "grow", text: label }), extra);
  const waiting = inboxCount() + orgState.requests.length;
  const content = h("div", { class: "org-menu" },
    h("div", { class: "org-menu-title", text: t("org.yourOrgs") }),
    rows.length ? h("div", { class: "org-options", role: "group" }, rows) : h("p", { class: "org-menu-empty", text: t("org.noneYet") }),
    h("div", { class: "org-menu-actions" },
      action("plus", t("org.create"), openCreateDialog),
      action("link", t("org.join"), () => openJoinDialog()),
      waiting ? action("inbox", t("org.inbox"), openInboxDialog, countBadge(inboxCount())) : null,
      current && !isOrgOwner(current) ? action("logout", t("org.leave"), () => leave(current), null, true) : null));
  openPopover(anchor, content, { label: t("org.switcher"), className: "org-popover" });
  const first = content.querySelector("button");
  if (first) first.focus();
}

export async function openCreateDialog() {
  const name = await promptDialog({ title: t("org.create"), label: t("org.name"), placeholder: t("org.namePlaceholder"), maxLength: 256 });
  if (!name) return;
  try {
    const org = await createOrg(name);
    toast(t("org.created", { name: org.name }));
    navigate("directory");
  } catch (error) {
    toast(errorText(error), "error");
  }
}

/** The code from a pasted link (…/join/CODE or …#/join/CODE) or the code itself. */
export function codeFromInput(text) {
  const trimmed = text.trim();
  const match = trimmed.match(/\/join\/([^/?#\s]+)/);
  return match ? decodeURIComponent(match[1]) : trimmed.replace(/\s+/g, "");
}

/** Join by link or code: type or paste it, see the organization, then join (or ask to). */
export function openJoinDialog(initialCode = "") {
  const input = h("input", { class: "input", id: "join-code", value: initialCode, placeholder: t("org.codePlaceholder"), autocomplete: "off", autofocus: true });
  const preview = h("div", { class: "join-preview", "aria-live": "polite" });
  const message = h("input", { class: "input", id: "join-message", maxlength: 256, placeholder: t("org.joinMessagePlaceholder") });
  const messageField = h("div", { class: "field", hidden: true }, h("label", { for: "join-message", text: t("org.joinMessage") }), message);
  const joinButton = h("button", { class: "btn btn-primary", type: "button", text: t("org.joinNow"), disabled: true, on: { click: join } });
  const checkButton = h("button", { class: "btn", type: "submit", text: t("org.lookUp") });
  let found = null;

  async function look(event) {
    if (event) event.preventDefault();
    const code = codeFromInput(input.value);
    found = null;
    joinButton.disabled = true;
    messageField.hidden = true;
    if (!code) return;
    replaceChildren(preview, h("span", { class: "spinner" }));
    try {
      const org = await api.get(`/org-invitations/${encodeURIComponent(code)}`);
      found = { code, org };
      const member = orgState.orgs.some((item) => item.id === org.organization_id);
      replaceChildren(preview, h("div", { class: "join-card" },
        orgLogo({ id: org.organization_id, name: org.name, logo_url: org.logo_url }, "lg"),
        h("div", { class: "join-card-text" },
          h("strong", { class: "join-card-name", text: org.name }),
          h("span", { class: "muted", text: t("org.memberCount", { n: org.member_count }) }),
          h("span", { class: "muted", text: member ? t("org.alreadyMember") : org.join_approval ? t("org.needsApproval") : t("org.joinsAtOnce") }))));
      joinButton.disabled = member;
      joinButton.textContent = org.join_approval ? t("org.askToJoin") : t("org.joinNow");
      messageField.hidden = member || !org.join_approval;
    } catch (error) {
      replaceChildren(preview, h("p", { class: "form-error", text: errorText(error) }));
    }
  }

  async function join() {
    if (!found) return;
    joinButton.disabled = true;
    try {
      const result = await afterJoin(await api.post(`/org-invitations/${encodeURIComponent(found.code)}/join`, { message: message.value.trim() }));
      modal.close();
      if (result.status === "joined") {
        toast(t("org.joined", { name: found.org.name }));
        navigate("directory");
      } else {
        toast(t("org.requestSent", { name: found.org.name }));
      }
    } catch (error) {
      joinButton.disabled = false;
      toast(errorText(error), "error");
    }
  }

  const form = h("form", { class: "join-form", on: { submit: look } },
    h("div", { class: "field" }, h("label", { for: "join-code", text: t("org.codeLabel") }),
      h("div", { class: "row" }, input, checkButton),
      h("span", { class: "field-hint", text: t("org.codeHint") })),
    preview, messageField);
  const modal = openModal({
    title: t("org.join"),
    body: form,
    actions: [h("button", { class: "btn", type: "button", text: t("action.cancel"), on: { click: () => modal.close() } }), joinButton],
  });
  if (initialCode) look();
}

/** Invitations addressed to your phone or e-mail (accept or decline) and your pending join requests. */
export function openInboxDialog() {
  const body = h("div", { class: "org-inbox" });
  const guard = async (promise, done) => {
    try {
      const result = await promise;
      if (done) done(result);
    } catch (error) {
      toast(errorText(error), "error");
    }
    await loadOrgs().catch(() => {});
  };
  function render() {
    const invitations = orgState.invitations.map((invitation) => h("li", { class: "person-row" },
      orgLogo({ id: invitation.organization_id, name: invitation.organization_name || "?", logo_url: invitation.organization_logo_url }, "sm"),
      h("div", { class: "person-text" },
        h("span", { class: "person-name ellipsis", text: invitation.organization_name || "" }),
        h("span", { class: "person-meta ellipsis", text: `${invitation.email || invitation.phone || ""} · ${formatListTime(invitation.created_at)}` })),
      h("div", { class: "person-actions" },
        h("button", { class: "btn btn-sm", type: "button", text: t("org.decline"),
          on: { click: () => guard(api.post(`/me/org-invitations/${invitation.id}/decline`)) } }),
        h("button", { class: "btn btn-sm btn-primary", type: "button", text: t("org.accept"),
          on: { click: () => guard(api.post(`/me/org-invitations/${invitation.id}/accept`).then(afterJoin), (result) => {
            toast(result.status === "joined" ? t("org.joined", { name: invitation.organization_name }) : t("org.requestSent", { name: invitation.organization_name }));
          }) } }))));
    const requests = orgState.requests.map((request) => h("li", { class: "person-row" },
      orgLogo({ id: request.organization_id, name: request.organization_name }, "sm"),
      h("div", { class: "person-text" },
        h("span", { class: "person-name ellipsis", text: request.organization_name }),
        h("span", { class: "person-meta ellipsis", text: `${t("org.waitingApproval")} · ${formatListTime(request.created_at)}` })),
      h("div", { class: "person-actions" }, h("button", { class: "btn btn-sm", type: "button", text: t("org.withdraw"),
        on: { click: () => guard(api.del(`/me/org-join-requests/${request.id}`)) } }))));
    replaceChildren(body,
      h("h3", { class: "section-title", text: t("org.invitationsToYou") }),
      h("ul", { class: "person-list" }, invitations.length ? invitations : h("li", { class: "list-empty", text: t("org.noInvitations") })),
      h("h3", { class: "section-title", text: t("org.yourRequests") }),
      h("ul", { class: "person-list" }, requests.length ? requests : h("li", { class: "list-empty", text: t("org.noRequests") })));
  }
  const off = onOrgsChange(render);
  render();
  openModal({ title: t("org.inbox"), body, wide: true, onClose: off });
}

async function leave(org) {
  const ok = await confirmDialog({ title: t("org.leave"), message: t("org.leaveConfirm", { name: org.name }), confirmLabel: t("org.leave"), danger: true });
  if (!ok) return;
  try {
    await leaveOrg(org.id);
    toast(t("org.left", { name: org.name }));
  } catch (error) {
    toast(errorText(error), "error");
  }
}

/** #/join/CODE (where an invitation link lands): open the join dialog, then leave the route. */
export function watchJoinRoute() {
  const check = (route) => {
    if (route.section !== "join" || !route.parts[0]) return;
    const code = route.parts[0];
    navigate(orgState.orgs.length ? "directory" : "chats", { replace: true });
    openJoinDialog(code);
  };
  check(parseRoute());
  return onRoute(check);
}
