// Settings: your profile (name, avatar, contact details and their proofs, password), your favourites (收藏), the
// devices logged in to your account (revoke any), linked sign-in accounts, language and notifications, and logging out.

import { api } from "../api.js";
import { h, replaceChildren } from "../dom.js";
import { errorText } from "../errors.js";
import { formatDateTime } from "../format.js";
import { LANGUAGES, getLang, setLang, t } from "../i18n/index.js";
import { icon } from "../icons.js";
import { askPermission, enabled as notificationsOn, setEnabled, supported as notificationsSupported } from "../notify.js";
import { logout } from "../session.js";
import { emit, on, rememberUser, state } from "../store.js";
import { userAvatar } from "../components/avatar.js";
import { confirmDialog } from "../components/modal.js";
import { toast } from "../components/toast.js";
import { mountFavorites } from "./favorites.js";
import { mountInvite } from "./growth-invite.js";
import { mountPrivacy } from "./settings-privacy.js";
import { mountBots } from "./settings-bots.js";
import { mountLinkedAccounts } from "./settings-accounts.js";

const PAGES = [
  { name: "profile", icon: "user", label: "settings.profile" },
  { name: "favorites", icon: "star", label: "fav.page" },
  { name: "sessions", icon: "monitor", label: "settings.sessions" },
  { name: "accounts", icon: "link", label: "sso.page" },
  { name: "preferences", icon: "globe", label: "settings.preferences" },
  { name: "invite", icon: "gift", label: "growth.invitePage" },
  { name: "bots", icon: "apps", label: "bots.page" },
  { name: "privacy", icon: "shield", label: "privacy.page" },
];

export function mountSettings({ list, main }) {
  const unsubscribe = [];
  let current = null;
  let subpage = null; // the favourites or privacy page, while shown (they follow live events)
  const nav = h("ul", { class: "contact-nav" });
  replaceChildren(list,
    h("header", { class: "pane-head" }, h("h1", { class: "pane-title", text: t("settings.title") })),
    h("div", { class: "scroll contact-scroll" }, nav,
      h("div", { class: "settings-logout" }, h("button", { class: "btn btn-block", type: "button", on: { click: () => logout() } }, icon("logout", "icon-sm"), t("settings.logout")))));

  function renderNav() {
    replaceChildren(nav, PAGES.map((page) => h("li", {}, h("a", {
      class: ["contact-item", current === page.name && "active"], href: `#/settings/${page.name}`, "aria-current": current === page.name ? "page" : null,
    }, h("span", { class: "contact-icon", "aria-hidden": "true" }, icon(page.icon)), h("span", { text: t(page.label) })))));
  }

  function page(title, ...body) {
    replaceChildren(main, h("div", { class: "page" },
      h("header", { class: "page-head" },
        h("a", { class: "icon-btn back-btn", href: "#/settings", "aria-label": t("action.back") }, icon("back")),
        h("h2", { class: "page-title", text: title })),
      h("div", { class: "page-body scroll" }, h("div", { class: "settings-body" }, ...body))));
  }

  function field(id, label, input, hint) {
    input.id = id;
    return h("div", { class: "field" }, h("label", { for: id, text: label }), input, hint ? h("span", { class: "field-hint", text: hint }) : null);
  }

  function profilePage() {
    const me = state.me;
    const name = h("input", { class: "input", value: me.display_name, maxlength: 64 });
    const email = h("input", { class: "input", type: "email", value: me.email || "", maxlength: 320 });
    const phone = h("input", { class: "input", type: "tel", value: me.phone || "", maxlength: 32 });
    const fileInput = h("input", { type: "file", accept: "image/*", hidden: true });
    fileInput.addEventListener("change", async () => {
      const [file] = fileInput.files;
      if (!file) return;
      try {
        updateMe(await api.upload("/me/avatar", file, "PUT"));
        toast(t("settings.saved"));
      } catch (error) {
        toast(errorText(error), "error");
      }
    });
    const profile = h("form", { class: "settings-card" },
      h("div", { class: "settings-avatar" }, userAvatar(me.id, { size: "xl" }),
        h("div", {}, h("div", { class: "profile-name", text: me.display_name }), h("div", { class: "muted", text: `@${me.username}` }),
          h("button", { class: "btn btn-sm", type: "button", on: { click: () => fileInput.click() } }, icon("image", "icon-sm"), t("settings.changeAvatar")), fileInput)),
      field("me-name", t("login.displayName"), name),
      field("me-email", t("settings.email"), email),
      me.email ? proofRow("email") : null,
      field("me-phone", t("settings.phone"), phone),
      me.phone ? proofRow("phone") : null,
      h("button", { class: "btn btn-primary", type: "submit", text: t("action.save") }));
    profile.addEventListener("submit", async (event) => {
      event.preventDefault();
      try {
        updateMe(await api.patch("/me", { display_name: name.value.trim() || null, email: email.value.trim() || null, phone: phone.value.trim() || null }));
        toast(t("settings.saved"));
      } catch (error) {
        toast(errorText(error), "error");
      }
    });
    const oldPassword = h("input", { class: "input", type: "password", autocomplete: "current-password" });
    const newPassword = h("input", { class: "input", type: "password", autocomplete: "new-password", minlength: 8 });
    const password = h("form", { class: "settings-card" },
      h("h3", { class: "section-title", text: t("settings.password") }),
      field("pw-old", t("settings.currentPassword"), oldPassword),
      field("pw-new", t("settings.newPassword"), newPassword, t("login.passwordHint")),
      h("button", { class: "btn", type: "submit", text: t("settings.changePassword") }));
    password.addEventListener("submit", async (event) => {
      event.preventDefault();
      try {
        await api.post("/me/password", { current_password: oldPassword.value, new_password: newPassword.value });
        oldPassword.value = newPassword.value = "";
        toast(t("settings.passwordChanged"));
      } catch (error) {
        toast(errorText(error), "error");
      }
    });
    page(t("settings.profile"), profile, password);
  }

  // Whether an address is proved; if not, a button that sends the link (e-mail) or the code (SMS,
  // then a field for it). Until proved, an address neither logs in nor receives invitations.
  function proofRow(channel) {
    const me = state.me;
    const proved = me[`${channel}_verified`];
    const row = h("div", { class: "proof-row", "data-channel": channel },
      h("span", { class: ["role-tag", proved ? "verified" : "unverified"], text: proved ? t("settings.verified") : t("settings.unverified") }));
    if (proved) return row;
    const code = h("input", { class: "input input-sm", inputmode: "numeric", autocomplete: "one-time-code", maxlength: 6, "aria-label": t("settings.code"), placeholder: t("settings.code") });
    const confirm = h("form", { class: "proof-code", hidden: true },
      code, h("button", { class: "btn btn-sm btn-primary", type: "submit", text: t("settings.confirmCode") }));
    confirm.addEventListener("submit", async (event) => {
      event.preventDefault();
      try {
        updateMe(await api.post("/me/phone/confirm", { code: code.value.trim() }));
        toast(t("settings.verifiedNow"));
      } catch (error) {
        toast(errorText(error), "error");
      }
    });
    const send = h("button", { class: "btn btn-sm", type: "button", text: t("settings.verify"), on: { click: async () => {
      try {
        const sent = await api.post(`/me/${channel}/verify`, {});
        toast(channel === "email" ? t("settings.linkSent", { address: sent.sent_to }) : t("settings.codeSent", { address: sent.sent_to }));
        if (channel === "phone") { confirm.hidden = false; code.focus(); }
      } catch (error) {
        toast(errorText(error), "error");
      }
    } } });
    row.append(send, confirm);
    return row;
  }

  // The e-mailed link opens #/settings/profile?verify_email=TOKEN.
  async function followLink(token) {
    try {
      await api.post("/auth/verify-email", { token });
      updateMe(await api.get("/me"));
      toast(t("settings.verifiedNow"));
    } catch (error) {
      toast(errorText(error), "error");
    }
  }

  function updateMe(profile) {
    Object.assign(state.me, profile);
    rememberUser(profile);
    emit("me");
    profilePage();
  }

  async function sessionsPage() {
    page(t("settings.sessions"), h("div", { class: "empty-state" }, h("span", { class: "spinner" })));
    let sessions;
    try {
      sessions = await api.get("/auth/sessions");
    } catch (error) {
      page(t("settings.sessions"), h("p", { class: "form-error", text: errorText(error) }));
      return;
    }
    if (current !== "sessions") return;
    sessions.sort((a, b) => Number(b.current) - Number(a.current));
    const rows = sessions.map((session) => h("li", { class: "session-row" },
      h("span", { class: "contact-icon", "aria-hidden": "true" }, icon("monitor")),
      h("div", { class: "person-text" },
        h("span", { class: "person-name" }, describeAgent(session.user_agent),
          session.current ? h("span", { class: "role-tag owner", text: t("settings.thisDevice") }) : null),
        h("span", { class: "person-meta", text: t("settings.sessionMeta", { address: session.address || "?", time: formatDateTime(session.last_seen_at) }) })),
      session.current
        ? h("button", { class: "btn btn-sm", type: "button", text: t("settings.logout"), on: { click: () => logout() } })
        : h("button", { class: "btn btn-sm btn-danger", type: "button", text: t("settings.revoke"), on: { click: () => revoke(session) } })));
    page(t("settings.sessions"), h("p", { class: "page-hint", text: t("settings.sessionsHint") }), h("ul", { class: "person-list" }, rows));
  }

  async function revoke(session) {
    const ok = await confirmDialog({ title: t("settings.revoke"), message: t("settings.revokeConfirm", { device: describeAgent(session.user_agent) }), confirmLabel: t("settings.revoke"), danger: true });
    if (!ok) return;
    try {
      await api.del(`/auth/sessions/${session.id}`);
      toast(t("settings.revoked"));
      sessionsPage();
    } catch (error) {
      toast(errorText(error), "error");
    }
  }

  function preferencesPage() {
    const language = h("select", { class: "select" }, LANGUAGES.map((lang) => h("option", { value: lang.code, selected: lang.code === getLang(), text: lang.name })));
    language.addEventListener("change", () => setLang(language.value));
    const notify = h("input", { type: "checkbox", class: "switch", role: "switch", checked: notificationsOn(), disabled: !notificationsSupported() });
    notify.addEventListener("change", async () => {
      if (notify.checked && Notification.permission !== "granted") notify.checked = await askPermission();
      else setEnabled(notify.checked);
      if (notify.checked === false && Notification.permission === "denied") toast(t("settings.notificationsBlocked"));
    });
    page(t("settings.preferences"),
      h("div", { class: "settings-card" },
        field("pref-lang", t("settings.language"), language),
        h("label", { class: "panel-toggle" }, h("span", {}, h("span", { text: t("settings.notifications") }),
          h("span", { class: "field-hint block", text: t("settings.notificationsHint") })), notify)));
  }

  function show(name, query = {}) {
    current = name;
    renderNav();
    if (subpage) subpage.destroy();
    subpage = null;
    if (name === "profile") profilePage();
    else if (name === "privacy") page(t("privacy.page"), h("div", { class: "privacy-page", ref: (el) => { subpage = mountPrivacy(el); } }));
    else if (name === "favorites") page(t("fav.page"), h("div", { class: "fav-page", ref: (el) => { subpage = mountFavorites(el); } }));
    else if (name === "bots") page(t("bots.page"), h("div", { class: "bots-page", ref: (el) => { subpage = mountBots(el); } }));
    else if (name === "sessions") sessionsPage();
    else if (name === "accounts") page(t("sso.page"), h("div", { class: "sso-page", ref: (el) => { subpage = mountLinkedAccounts(el, query); } }));
    else if (name === "preferences") preferencesPage();
    else if (name === "invite") page(t("growth.invitePage"), h("div", { class: "g-invite", ref: mountInvite }));
    else replaceChildren(main, h("div", { class: "empty-state" },
      h("div", { class: "empty-icon", "aria-hidden": "true" }, icon("settings", "icon-lg")), h("p", { text: t("settings.pickOne") })));
  }

  unsubscribe.push(on("sessions", () => current === "sessions" && sessionsPage()));
  return {
    update(route) {
      show(route.parts[0] || null, route.query);
      if (route.query.verify_email) followLink(route.query.verify_email);
    },
    destroy() {
      for (const fn of unsubscribe) fn();
      if (subpage) subpage.destroy();
    },
  };
}

/** "Chrome on Linux" from a user agent string; the raw string when nothing matches. */
export function describeAgent(agent) {
  if (!agent) return t("settings.unknownDevice");
  const browser = [["Edg/", "Edge"], ["Firefox/", "Firefox"], ["Chrome/", "Chrome"], ["Safari/", "Safari"], ["python-httpx", "Python"], ["curl/", "curl"]]
    .find(([needle]) => agent.includes(needle));
  const system = [["Windows", "Windows"], ["Android", "Android"], ["iPhone", "iOS"], ["iPad", "iPadOS"], ["Mac OS X", "macOS"], ["Linux", "Linux"]]
    .find(([needle]) => agent.includes(needle));
  if (!browser) return agent.slice(0, 60);
  return system ? t("settings.agent", { browser: browser[1], system: system[1] }) : browser[1];
}
