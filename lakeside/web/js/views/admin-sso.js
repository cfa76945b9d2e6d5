// Admin page: the organization's own single sign-on providers (its Keycloak, Authing or Entra ID
// tenant). Owners and admins add one (the client secret is sent once and never shown again),
// switch it on and off, choose whether it creates accounts and adds people to the organization,
// rotate the secret, and remove it. The page says what to register at the provider (the
// redirect URI) and which link to share (the log-in page with the organization's buttons).

import { api } from "../api.js";
import { h, replaceChildren } from "../dom.js";
import { t } from "../i18n/index.js";
import { icon } from "../icons.js";
import { confirmDialog } from "../components/modal.js";
import { toast } from "../components/toast.js";
import { adminFrame, field, guard, loading, switchRow } from "./admin-ui.js";

const callbackOf = (provider) => `${window.location.origin}/api/v1/auth/oidc/${provider.key}/callback`;

async function copy(text) {
  try {
    await navigator.clipboard.writeText(text);
    toast(t("ssoAdmin.copied"));
  } catch {
    toast(text);
  }
}

function copyLine(label, value) {
  return h("div", { class: "sso-copy-line" },
    h("span", { class: "field-hint", text: label }),
    h("code", { class: "sso-code", text: value }),
    h("button", { class: "btn btn-sm btn-ghost", type: "button", "aria-label": t("ssoAdmin.copy"), on: { click: () => copy(value) } },
      icon("copy", "icon-sm")));
}

export function mountSsoAdmin(main, { org, title }) {
  const body = adminFrame(main, title);
  let alive = true;
  const base = `/orgs/${org.id}/sso/providers`;

  async function load() {
    const providers = await guard(api.get(base));
    if (!alive || !providers) return;
    render(providers);
  }

  function providerCard(provider) {
    const enabled = switchRow(`sso-on-${provider.id}`, t("ssoAdmin.enabled"), provider.enabled, t("ssoAdmin.enabledHint"));
    // The hints of these two are on the form that adds a provider.
    const signup = switchRow(`sso-signup-${provider.id}`, t("ssoAdmin.allowSignup"), provider.allow_signup);
    const join = switchRow(`sso-join-${provider.id}`, t("ssoAdmin.addToOrg"), provider.add_to_org);
    for (const [row, name] of [[enabled, "enabled"], [signup, "allow_signup"], [join, "add_to_org"]]) {
      row.input.addEventListener("change", async () => {
        const saved = await guard(api.patch(`${base}/${provider.id}`, { [name]: row.input.checked }));
        if (saved) toast(t("admin.saved"));
        else row.input.checked = !row.input.checked;
      });
    }
    const secret = h("input", { class: "input", type: "password", autocomplete: "new-password", maxlength: 512, placeholder: t("ssoAdmin.newSecret") });
    const rotate = h("form", { class: "row sso-rotate" }, secret,
      h("button", { class: "btn btn-sm", type: "submit", text: t("ssoAdmin.rotate") }));
    rotate.addEventListener("submit", async (event) => {
      event.preventDefault();
      if (!secret.value.trim()) return;
      if (await guard(api.patch(`${base}/${provider.id}`, { client_secret: secret.value.trim() }))) {
        secret.value = "";
        toast(t("ssoAdmin.secretSaved"));
      }
    });
    const remove = async () => {
      const ok = await confirmDialog({
        title: t("ssoAdmin.remove"), message: t("ssoAdmin.removeConfirm", { name: provider.display_name }),
        confirmLabel: t("ssoAdmin.remove"), danger: true,
      });
      if (ok && await guard(api.del(`${base}/${provider.id}`))) load();
    };
    return h("section", { class: "settings-card sso-provider", "data-key": provider.key },
      h("div", { class: "row" },
        h("span", { class: "contact-icon", "aria-hidden": "true" }, icon("shield")),
        h("div", { class: "person-text grow" },
          h("strong", { class: "person-name", text: provider.display_name }),
          h("span", { class: "person-meta", text: provider.issuer }),
          h("span", { class: "person-meta", text: t("ssoAdmin.clientMeta", { id: provider.client_id, scopes: provider.scopes }) })),
        h("button", { class: "btn btn-sm btn-danger", type: "button", text: t("ssoAdmin.remove"), on: { click: remove } })),
      copyLine(t("ssoAdmin.redirectUri"), callbackOf(provider)),
      enabled.el, signup.el, join.el,
      field(`sso-secret-${provider.id}`, t("ssoAdmin.secret"), rotate, t("ssoAdmin.secretHint")));
  }

  function addForm() {
    const name = h("input", { class: "input", maxlength: 64, required: true, placeholder: "Keycloak" });
    const issuer = h("input", { class: "input", type: "url", maxlength: 512, required: true, placeholder: "https://sso.example.com/realms/acme" });
    const clientId = h("input", { class: "input", maxlength: 256, required: true, autocomplete: "off" });
    const clientSecret = h("input", { class: "input", type: "password", maxlength: 512, required: true, autocomplete: "new-password" });
    const scopes = h("input", { class: "input", maxlength: 256, value: "openid email profile" });
    const signup = switchRow("sso-new-signup", t("ssoAdmin.allowSignup"), true, t("ssoAdmin.allowSignupHint"));
    const join = switchRow("sso-new-join", t("ssoAdmin.addToOrg"), true, t("ssoAdmin.addToOrgHint"));
    const form = h("form", { class: "settings-card sso-add", novalidate: true },
      h("h3", { class: "section-title", text: t("ssoAdmin.add") }),
      field("sso-new-name", t("ssoAdmin.name"), name, t("ssoAdmin.nameHint")),
      field("sso-new-issuer", t("ssoAdmin.issuer"), issuer, t("ssoAdmin.issuerHint")),
      field("sso-new-client", t("ssoAdmin.clientId"), clientId),
      field("sso-new-secret", t("ssoAdmin.secret"), clientSecret),
      field("sso-new-scopes", t("ssoAdmin.scopes"), scopes),
      signup.el, join.el,
      h("button", { class: "btn btn-primary", type: "submit", text: t("ssoAdmin.addButton") }));
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      if (![name, issuer, clientId, clientSecret].every((input) => input.value.trim())) {
        toast(t("error.FILL_IN"), "error");
        return;
      }
      const created = await guard(api.post(base, {
        display_name: name.value.trim(), issuer: issuer.value.trim(), client_id: clientId.value.trim(),
        client_secret: clientSecret.value.trim(), scopes: scopes.value.trim() || "openid email profile",
        allow_signup: signup.input.checked, add_to_org: join.input.checked,
      }));
      if (created) {
        toast(t("ssoAdmin.added"));
        load();
      }
    });
    return form;
  }

  function render(providers) {
    const loginLink = `${window.location.origin}/?org=${org.id}`;
    replaceChildren(body,
      h("p", { class: "page-hint", text: t("ssoAdmin.hint") }),
      providers.length ? copyLine(t("ssoAdmin.loginLink"), loginLink) : null,
      h("div", { class: "sso-providers", role: "list", "aria-label": t("ssoAdmin.page") },
        providers.map((provider) => h("div", { role: "listitem" }, providerCard(provider)))),
      providers.length < 5 ? addForm() : null);
  }

  loading(body);
  load();
  return { destroy() { alive = false; } };
}
