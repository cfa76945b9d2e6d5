// Settings → Linked accounts: the accounts at sign-in providers (company Keycloak, Authing, Azure
// AD…) that log in to yours. Unlink one, or link another of the server's providers (the browser
// goes to the provider and comes back here). The last way in is never removed: an account made
// by single sign-on has no password, so its only identity stays.

import { api } from "../api.js";
import { h, replaceChildren } from "../dom.js";
import { errorText } from "../errors.js";
import { formatDateTime } from "../format.js";
import { t } from "../i18n/index.js";
import { icon } from "../icons.js";
import { confirmDialog } from "../components/modal.js";
import { toast } from "../components/toast.js";

export function mountLinkedAccounts(root, query = {}) {
  let alive = true;

  async function load() {
    replaceChildren(root, h("div", { class: "empty-state" }, h("span", { class: "spinner" })));
    let mine;
    let providers;
    try {
      [mine, providers] = await Promise.all([api.get("/me/identities"), api.get("/auth/oidc/providers")]);
    } catch (error) {
      if (alive) replaceChildren(root, h("p", { class: "form-error", text: errorText(error) }));
      return;
    }
    if (!alive) return;
    const only = !mine.has_password && mine.identities.length <= 1;
    const rows = mine.identities.map((identity) => h("li", { class: "session-row sso-identity", "data-provider": identity.provider_key },
      h("span", { class: "contact-icon", "aria-hidden": "true" }, icon("shield")),
      h("div", { class: "person-text" },
        h("span", { class: "person-name", text: identity.provider_name }),
        h("span", { class: "person-meta", text: [identity.name, identity.email].filter(Boolean).join(" · ") || identity.provider_key }),
        h("span", { class: "person-meta", text: t("sso.linkedAt", { time: formatDateTime(identity.created_at) }) })),
      h("button", {
        class: "btn btn-sm btn-danger", type: "button", text: t("sso.unlink"), disabled: only,
        title: only ? t("sso.lastWay") : null,
        on: { click: () => unlink(identity) },
      })));
    const linked = new Set(mine.identities.map((identity) => identity.provider_key));
    const more = providers.filter((provider) => !linked.has(provider.key));
    const next = encodeURIComponent("/#/settings/accounts");
    replaceChildren(root,
      h("p", { class: "page-hint", text: t("sso.hint") }),
      mine.has_password ? null : h("p", { class: "login-notice", text: t("sso.noPassword") }),
      rows.length
        ? h("ul", { class: "person-list" }, rows)
        : h("p", { class: "page-hint", text: t("sso.none") }),
      more.length
        ? h("div", { class: "settings-card sso-link-more" },
          h("h3", { class: "section-title", text: t("sso.linkMore") }),
          more.map((provider) => h("a", {
            class: "btn login-sso-btn", href: `${provider.start_url}?link=true&next=${next}`, "data-provider": provider.key,
          }, icon("link", "icon-sm"), h("span", { text: t("login.ssoWith", { name: provider.display_name }) }))))
        : null);
  }

  async function unlink(identity) {
    const ok = await confirmDialog({
      title: t("sso.unlink"),
      message: t("sso.unlinkConfirm", { name: identity.provider_name }),
      confirmLabel: t("sso.unlink"),
      danger: true,
    });
    if (!ok) return;
    try {
      await api.del(`/me/identities/${identity.id}`);
      toast(t("sso.unlinked"));
      load();
    } catch (error) {
      toast(errorText(error), "error");
    }
  }

  if (query.sso_linked) toast(t("sso.linked"));
  if (query.sso_error) toast(errorText({ code: query.sso_error }), "error");
  load();
  return { destroy() { alive = false; } };
}
