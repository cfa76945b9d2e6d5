// Log in and sign up (with an invitation code when the server or an invitation link gives one).

import { api } from "../api.js";
import { h, replaceChildren } from "../dom.js";
import { errorText } from "../errors.js";
import { LANGUAGES, getLang, loadFeatureStrings, setLang, t } from "../i18n/index.js";
import { icon } from "../icons.js";
import { onRoute, parseRoute } from "../router.js";
import { avatar } from "../components/picture.js";

export function mountLogin(root, { reason = null, onLoggedIn }) {
  // ?ref= is a person's invitation link (growth engine), ?invite= the server's invitation code.
  const codeIn = (route) => route.query.ref || route.query.invite || new URLSearchParams(window.location.search).get("ref")
    || new URLSearchParams(window.location.search).get("invite") || "";
  const route = parseRoute();
  let invite = codeIn(route);
  // An organization's invitation link (/join/CODE lands on #/join/CODE): show the company before
  // the forms; once logged in or signed up, the app opens its join dialog from the same route.
  let joinCode = route.section === "join" ? route.parts[0] || "" : "";
  let mode = route.section === "register" || invite || joinCode ? "register" : "login";

  const card = h("div", { class: "login-card" });
  const invitation = h("section", { class: "login-invitation", hidden: true, "aria-live": "polite" });
  const page = h(
    "div",
    { class: "login-page" },
    h("div", { class: "login-brand" },
      h("div", { class: "login-logo", "aria-hidden": "true" }, icon("chat", "icon-lg")),
      h("h1", { class: "login-name", text: "lakeside" }),
      h("p", { class: "login-tagline", text: t("login.tagline") })),
    invitation,
    card,
    languagePicker(),
  );
  replaceChildren(root, page);

  // Single sign-on: one button per provider of the server, and of the organization the link names
  // (?org=ID, as the organization's admins share it). Each is a plain link: the server sends the
  // browser on to the provider and, once logged in there, back into the app.
  const ssoBox = h("div", { class: "login-sso", hidden: true });
  async function showProviders() {
    const orgId = route.query.org || new URLSearchParams(window.location.search).get("org") || "";
    const query = /^[0-9]{1,18}$/.test(orgId) ? `?organization_id=${orgId}` : "";
    let providers = [];
    try {
      providers = await api.get(`/auth/oidc/providers${query}`, null, { quiet401: true });
    } catch {
      return; // the buttons are an extra: the password form stays
    }
    if (!providers.length) return;
    const next = joinCode ? `/#/join/${encodeURIComponent(joinCode)}` : "/";
    replaceChildren(ssoBox,
      h("div", { class: "login-divider" }, h("span", { text: t("login.ssoOr") })),
      providers.map((provider) => h("a", {
        class: "btn btn-block login-sso-btn",
        href: `${provider.start_url}?next=${encodeURIComponent(next)}`,
        "data-provider": provider.key,
      }, icon("shield", "icon-sm"), h("span", { text: t("login.ssoWith", { name: provider.display_name }) }))));
    ssoBox.hidden = false;
  }

  async function showInvitation() {
    if (!joinCode) {
      invitation.hidden = true;
      return;
    }
    const code = joinCode;
    let org;
    try {
      org = await api.get(`/org-invitations/${encodeURIComponent(code)}`, null, { quiet401: true });
    } catch (error) {
      if (code !== joinCode) return;
      replaceChildren(invitation, h("p", { class: "form-error", role: "alert", text: errorText(error) }));
      invitation.hidden = false;
      return;
    }
    if (code !== joinCode) return;
    replaceChildren(invitation,
      h("p", { class: "login-invitation-title",
        text: org.inviter_name ? t("login.invitedBy", { name: org.inviter_name }) : t("login.invitedTitle") }),
      h("div", { class: "join-card" },
        avatar({ id: org.name.length, name: org.name, url: org.logo_url, size: "lg", group: true }),
        h("div", { class: "join-card-text" },
          h("strong", { class: "join-card-name", text: org.name }),
          h("span", { class: "muted", text: t("login.invitedMembers", { n: org.member_count }) }))),
      h("p", { class: "login-invitation-hint", text: t("login.invitedHint") }));
    invitation.hidden = false;
  }

  function render() {
    const error = h("div", { class: "form-error", role: "alert", hidden: true });
    const showError = (err) => {
      error.textContent = errorText(err);
      error.hidden = false;
      // Some errors (an invitation's) are told in a feature's strings, loaded with the app.
      const key = `error.${err && err.code}`;
      if (err && err.code && t(key) === key) {
        loadFeatureStrings().then(() => { error.textContent = errorText(err); }).catch(() => {});
      }
    };
    const tabs = h(
      "div",
      { class: "tabs login-tabs", role: "tablist" },
      tab("login", t("login.tabLogin")),
      tab("register", t("login.tabRegister")),
    );
    const form = mode === "login" ? loginForm(showError) : registerForm(showError);
    replaceChildren(
      card,
      tabs,
      reason ? h("p", { class: "login-notice", role: "status", text: t(`login.reason.${reason}`) }) : null,
      error,
      form,
      ssoBox,
    );
    // A single sign-on that failed comes back here with its error code (/#/login?sso_error=…).
    const failed = parseRoute().query.sso_error;
    if (failed) showError({ code: failed });
    const first = form.querySelector("input");
    if (first) first.focus();
  }

  function tab(name, label) {
    return h("button", {
      class: ["tab", mode === name && "active"],
      type: "button",
      role: "tab",
      "aria-selected": String(mode === name),
      text: label,
      on: { click: () => { mode = name; reason = null; render(); } },
    });
  }

  function field(label, input, hint = null) {
    const id = `f-${input.name}`;
    input.id = id;
    return h("div", { class: "field" }, h("label", { for: id, text: label }), input,
      hint ? h("span", { class: "field-hint", text: hint }) : null);
  }

  function submitting(form, busy) {
    for (const el of form.elements) el.disabled = busy;
  }

  function loginForm(showError) {
    const login = h("input", { class: "input", name: "login", autocomplete: "username", required: true, maxlength: 320 });
    const password = h("input", { class: "input", name: "password", type: "password", autocomplete: "current-password", required: true, maxlength: 256 });
    const form = h(
      "form",
      { class: "login-form", novalidate: true },
      field(t("login.login"), login),
      field(t("login.password"), password),
      h("button", { class: "btn btn-primary btn-block", type: "submit", text: t("login.submitLogin") }),
    );
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      if (!login.value.trim() || !password.value) return showError({ code: "FILL_IN" });
      submitting(form, true);
      try {
        const result = await api.post("/auth/login", { login: login.value.trim(), password: password.value, use_cookie: true }, { quiet401: true });
        await onLoggedIn(result.user);
      } catch (error) {
        submitting(form, false);
        showError(error);
        password.select();
      }
    });
    return form;
  }

  function registerForm(showError) {
    const username = h("input", { class: "input", name: "username", autocomplete: "username", required: true, maxlength: 64, pattern: "[A-Za-z][A-Za-z0-9_.\\-]{2,31}" });
    const displayName = h("input", { class: "input", name: "display_name", autocomplete: "name", maxlength: 64 });
    const password = h("input", { class: "input", name: "password", type: "password", autocomplete: "new-password", required: true, minlength: 8, maxlength: 256 });
    const code = h("input", { class: "input", name: "invitation_code", maxlength: 64, value: invite, autocomplete: "off" });
    const form = h(
      "form",
      { class: "login-form", novalidate: true },
      field(t("login.username"), username, t("login.usernameHint")),
      field(t("login.displayName"), displayName),
      field(t("login.password"), password, t("login.passwordHint")),
      field(t("login.invitation"), code, t("login.invitationHint")),
      h("button", { class: "btn btn-primary btn-block", type: "submit", text: t("login.submitRegister") }),
    );
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      if (!username.value.trim() || !password.value) return showError({ code: "FILL_IN" });
      submitting(form, true);
      try {
        const result = await api.post("/auth/register", {
          username: username.value.trim(),
          password: password.value,
          display_name: displayName.value.trim() || null,
          invitation_code: code.value.trim() || null,
          device_id: deviceId(),
          use_cookie: true,
        }, { quiet401: true });
        await onLoggedIn(result.user);
      } catch (error) {
        submitting(form, false);
        showError(error);
      }
    });
    return form;
  }

  render();
  showInvitation();
  showProviders();
  // An invitation link opened in this tab while the form shows: switch to signing up with its code.
  const stop = onRoute((next) => {
    const nextJoin = next.section === "join" ? next.parts[0] || "" : "";
    if (next.section !== "register" && !codeIn(next) && !nextJoin) return;
    invite = codeIn(next) || invite;
    if (nextJoin !== joinCode) {
      joinCode = nextJoin;
      showInvitation();
    }
    mode = "register";
    render();
  });
  return { destroy: stop };
}

/** A random id for this browser, kept on the device, sent with a sign-up (fraud checks). */
function deviceId() {
  const KEY = "lakeside.device";
  let id = localStorage.getItem(KEY);
  if (!id) {
    id = `web-${crypto.randomUUID ? crypto.randomUUID() : String(Date.now()) + Math.random().toString(16).slice(2)}`;
    localStorage.setItem(KEY, id);
  }
  return id.slice(0, 64);
}

export function languagePicker() {
  const select = h(
    "select",
    { class: "select lang-select", "aria-label": t("settings.language") },
    LANGUAGES.map((language) =>
      h("option", { value: language.code, selected: language.code === getLang(), text: language.name })),
  );
  select.addEventListener("change", () => setLang(select.value));
  return h("label", { class: "lang-picker" }, icon("globe", "icon-sm"), select);
}
