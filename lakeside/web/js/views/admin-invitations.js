// Admin pages: invitations (links and codes with an expiry and a use limit — copy, revoke, see
// their uses; invitations by phone or e-mail with their state) and join requests to approve or
// reject.

import { api } from "../api.js";
import { h, replaceChildren } from "../dom.js";
import { formatDateTime, formatListTime } from "../format.js";
import { t } from "../i18n/index.js";
import { icon } from "../icons.js";
import { loadOrgs } from "../org.js";
import { confirmDialog } from "../components/modal.js";
import { toast } from "../components/toast.js";
import { adminFrame, field, guard, loading } from "./admin-ui.js";
import { memberAvatar } from "./directory-people.js";

const EXPIRIES = [
  { hours: 24, label: "admin.expires1d" },
  { hours: 24 * 7, label: "admin.expires7d" },
  { hours: 24 * 30, label: "admin.expires30d" },
  { hours: null, label: "admin.expiresNever" },
];

/** Where an invitation link leads: this server's /join/CODE (which opens the join dialog). */
export function invitationLink(code) {
  return `${window.location.origin}/join/${encodeURIComponent(code)}`;
}

async function copy(text) {
  try {
    await navigator.clipboard.writeText(text);
    toast(t("admin.copied"));
  } catch {
    toast(t("admin.copyFailed"), "error");
  }
}

function invitationState(invitation) {
  if (invitation.revoked) return { key: "admin.stateRevoked", live: false };
  if (invitation.expires_at !== null && invitation.expires_at <= Date.now()) return { key: "admin.stateExpired", live: false };
  if (invitation.max_uses !== null && invitation.use_count >= invitation.max_uses) return { key: "admin.stateUsedUp", live: false };
  return { key: "admin.stateActive", live: true };
}

export function mountInvitationsAdmin(main, { org, title }) {
  const body = adminFrame(main, title, { wide: true });
  const links = h("ul", { class: "invite-list" });
  const contacts = h("ul", { class: "person-list" });
  let alive = true;

  const kind = h("select", { class: "select" },
    h("option", { value: "link", text: t("admin.kindLink") }), h("option", { value: "code", text: t("admin.kindCode") }));
  const expiry = h("select", { class: "select" }, EXPIRIES.map((item, index) => h("option", { value: String(index), text: t(item.label), selected: index === 1 })));
  const uses = h("input", { class: "input input-number", type: "number", min: 1, max: 100000, placeholder: t("admin.usesUnlimited") });
  const createForm = h("form", { class: "settings-card invite-create" },
    h("h3", { class: "section-title", text: t("admin.newInvitation") }),
    h("div", { class: "form-grid" },
      field("inv-kind", t("admin.kind"), kind), field("inv-expiry", t("admin.expiry"), expiry), field("inv-uses", t("admin.maxUses"), uses)),
    h("button", { class: "btn btn-primary", type: "submit" }, icon("link", "icon-sm"), t("admin.createInvitation")));
  createForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    const maxUses = uses.value.trim() ? Number(uses.value) : null;
    const created = await guard(api.post(`/orgs/${org.id}/invitations`, {
      kind: kind.value, expires_in_hours: EXPIRIES[Number(expiry.value)].hours, max_uses: maxUses,
    }));
    if (!created) return;
    toast(t("admin.invitationCreated"));
    uses.value = "";
    loadLinks();
  });

  const phone = h("input", { class: "input", type: "tel", maxlength: 32, placeholder: "+86 138 0000 0000" });
  const email = h("input", { class: "input", type: "email", maxlength: 320, placeholder: "name@example.com" });
  const name = h("input", { class: "input", maxlength: 256 });
  const contactForm = h("form", { class: "settings-card" },
    h("h3", { class: "section-title", text: t("admin.inviteContact") }),
    h("p", { class: "page-hint", text: t("admin.inviteContactHint") }),
    h("div", { class: "form-grid" }, field("inv-phone", t("ext.phone"), phone), field("inv-email", t("dir.email"), email), field("inv-name", t("admin.inviteeName"), name)),
    h("button", { class: "btn btn-primary", type: "submit" }, icon("mail", "icon-sm"), t("admin.sendInvitation")));
  contactForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    const payload = { phone: phone.value.trim() || null, email: email.value.trim() || null, name: name.value.trim() || null };
    if (!payload.phone && !payload.email) {
      phone.focus();
      toast(t("admin.phoneOrEmail"), "error");
      return;
    }
    if (!await guard(api.post(`/orgs/${org.id}/contact-invitations`, payload))) return;
    toast(t("admin.invitationSent"));
    phone.value = email.value = name.value = "";
    loadContacts();
  });

  replaceChildren(body, createForm,
    h("h3", { class: "section-title", text: t("admin.linksAndCodes") }), links,
    contactForm,
    h("h3", { class: "section-title", text: t("admin.contactInvitations") }), contacts);

  async function loadLinks() {
    const rows = await guard(api.get(`/orgs/${org.id}/invitations`));
    if (!rows || !alive) return;
    rows.sort((a, b) => invitationState(b).live - invitationState(a).live || b.created_at - a.created_at);
    replaceChildren(links, rows.length ? rows.map(linkRow) : h("li", { class: "list-empty", text: t("admin.noInvitations") }));
  }

  function linkRow(invitation) {
    const stateOf = invitationState(invitation);
    const link = invitationLink(invitation.code);
    const shown = invitation.kind === "code" ? invitation.code : link;
    const usesText = invitation.max_uses === null ? t("admin.usesOf", { n: invitation.use_count }) : t("admin.usesOfMax", { n: invitation.use_count, max: invitation.max_uses });
    const expiresText = invitation.expires_at === null ? t("admin.neverExpires") : t("admin.expiresAt", { time: formatDateTime(invitation.expires_at) });
    return h("li", { class: ["invite-row", !stateOf.live && "is-off"], dataset: { code: invitation.code } },
      h("span", { class: "invite-kind", "aria-hidden": "true" }, icon(invitation.kind === "code" ? "lock" : "link")),
      h("div", { class: "invite-text" },
        h("code", { class: ["invite-code", invitation.kind === "code" && "big"], text: shown }),
        h("span", { class: "person-meta" }, h("span", { class: ["state-tag", stateOf.live && "live"], text: t(stateOf.key) }),
          ` ${usesText} · ${expiresText} · ${t("admin.createdAt", { time: formatListTime(invitation.created_at) })}`)),
      h("div", { class: "person-actions" },
        stateOf.live ? h("button", { class: "btn btn-sm", type: "button", on: { click: () => copy(invitation.kind === "code" ? invitation.code : link) } },
          icon("copy", "icon-sm"), invitation.kind === "code" ? t("admin.copyCode") : t("admin.copyLink")) : null,
        stateOf.live && invitation.kind === "code" ? h("button", { class: "btn btn-sm btn-ghost", type: "button", text: t("admin.copyLink"), on: { click: () => copy(link) } }) : null,
        !invitation.revoked ? h("button", { class: "btn btn-sm btn-danger", type: "button", text: t("admin.revoke"), on: { click: () => revoke(invitation) } }) : null));
  }

  async function revoke(invitation) {
    if (!await confirmDialog({ title: t("admin.revoke"), message: t("admin.revokeConfirm"), confirmLabel: t("admin.revoke"), danger: true })) return;
    if (await guard(api.del(`/orgs/${org.id}/invitations/${invitation.id}`))) loadLinks();
  }

  async function loadContacts() {
    const rows = await guard(api.get(`/orgs/${org.id}/contact-invitations`));
    if (!rows || !alive) return;
    replaceChildren(contacts, rows.length ? rows.map((invitation) => h("li", { class: "person-row" },
      h("span", { class: "invite-kind", "aria-hidden": "true" }, icon(invitation.email ? "mail" : "phone")),
      h("div", { class: "person-text" },
        h("span", { class: "person-name ellipsis", text: [invitation.name, invitation.phone, invitation.email].filter(Boolean).join(" · ") }),
        h("span", { class: "person-meta" }, h("span", { class: ["state-tag", invitation.status === "pending" && "live"], text: t(`admin.contactState.${invitation.status}`) }),
          ` ${formatListTime(invitation.created_at)}`)),
      invitation.status === "pending" ? h("div", { class: "person-actions" }, h("button", { class: "btn btn-sm btn-danger", type: "button", text: t("admin.withdraw"), on: { click: async () => {
        if (await guard(api.del(`/orgs/${org.id}/contact-invitations/${invitation.id}`))) loadContacts();
      } } })) : null)) : h("li", { class: "list-empty", text: t("admin.noContactInvitations") }));
  }

  loading(links);
  loadLinks();
  loadContacts();
  return {
    // A join uses an invitation (org_member added): its use count moved.
    refresh() { loadLinks(); loadContacts(); },
    orgChanged(next) { org = next; },
    destroy() { alive = false; },
  };
}

export function mountJoinRequestsAdmin(main, { org, title }) {
  const body = adminFrame(main, title);
  const tabs = h("div", { class: "tabs", role: "tablist" });
  const list = h("ul", { class: "person-list" });
  replaceChildren(body, tabs, list);
  let status = "pending";
  let alive = true;

  function renderTabs() {
    replaceChildren(tabs, ["pending", "approved", "rejected"].map((value) => h("button", {
      class: ["tab", status === value && "active"], type: "button", role: "tab", "aria-selected": status === value ? "true" : "false",
      text: t(`admin.requests.${value}`), on: { click: () => { status = value; renderTabs(); load(); } },
    })));
  }

  async function load() {
    const rows = await guard(api.get(`/orgs/${org.id}/join-requests`, { status }));
    if (!rows || !alive) return;
    replaceChildren(list, rows.length ? rows.map((request) => h("li", { class: "person-row", dataset: { requestId: request.id } },
      memberAvatar({ user_id: request.user.id, name: request.user.display_name, avatar_url: request.user.avatar_url }),
      h("div", { class: "person-text" },
        h("span", { class: "person-name ellipsis", text: `${request.user.display_name} @${request.user.username}` }),
        h("span", { class: "person-meta", text: [request.message ? `“${request.message}”` : null, formatListTime(request.created_at)].filter(Boolean).join(" · ") })),
      request.status === "pending" ? h("div", { class: "person-actions" },
        h("button", { class: "btn btn-sm", type: "button", text: t("admin.reject"), on: { click: () => decide(request, false) } }),
        h("button", { class: "btn btn-sm btn-primary", type: "button", text: t("admin.approve"), on: { click: () => decide(request, true) } }))
        : null)) : h("li", { class: "list-empty", text: t("admin.noRequests") }));
  }

  async function decide(request, approve) {
    if (await guard(api.post(`/orgs/${org.id}/join-requests/${request.id}/${approve ? "approve" : "reject"}`))) {
      toast(approve ? t("admin.approved", { name: request.user.display_name }) : t("admin.rejected", { name: request.user.display_name }));
      load();
      loadOrgs().catch(() => {});
    }
  }

  renderTabs();
  loading(list);
  load();
  return {
    refresh() { load(); },
    orgChanged(next) { org = next; },
    destroy() { alive = false; },
  };
}
