// Admin page: the organization's LDAP / Active Directory connection (#/admin/ldap). The server URL,
// the service account (its password is write-only: the server says only whether one is set), the
// base DN and filter, which attribute holds what, the sync schedule and log-in by bind; "Test
// connection" (optionally looking one person up) and "Sync now", and the last sync's result.
// See docs/integrations/ldap.md.

import { api } from "../api.js";
import { h, replaceChildren } from "../dom.js";
import { formatDateTime } from "../format.js";
import { t } from "../i18n/index.js";
import { icon } from "../icons.js";
import { confirmDialog } from "../components/modal.js";
import { toast } from "../components/toast.js";
import { adminFrame, field, guard, loading, switchRow } from "./admin-ui.js";

// Labels are looked up when drawn (the language may change); each key literally, for the checks.
const ATTRIBUTES = [
  { key: "attr_id", label: () => t("ldap.attrId"), hint: () => t("ldap.attrIdHint") },
  { key: "attr_username", label: () => t("ldap.attrUsername"), hint: () => t("ldap.attrUsernameHint") },
  { key: "attr_name", label: () => t("ldap.attrName") },
  { key: "attr_email", label: () => t("ldap.attrEmail") },
  { key: "attr_phone", label: () => t("ldap.attrPhone") },
  { key: "attr_title", label: () => t("ldap.attrTitle") },
  { key: "attr_employee_no", label: () => t("ldap.attrEmployeeNo") },
];
const COUNTS = [
  ["added", () => t("ldap.count.added")],
  ["updated", () => t("ldap.count.updated")],
  ["moved", () => t("ldap.count.moved")],
  ["deactivated", () => t("ldap.count.deactivated")],
  ["reactivated", () => t("ldap.count.reactivated")],
  ["departments_created", () => t("ldap.count.departments_created")],
  ["departments_updated", () => t("ldap.count.departments_updated")],
  ["departments_deleted", () => t("ldap.count.departments_deleted")],
];

function input(value, extra = {}) {
  return h("input", { class: "input", value: value || "", autocomplete: "off", spellcheck: "false", ...extra });
}

/** The last sync's result: when, whether it worked, the counts and the first problems. */
function resultView(result, when) {
  if (!result) return h("p", { class: "muted", id: "ldap-last-none", text: t("ldap.neverSynced") });
  const counts = COUNTS.map(([key, label]) => h("div", { class: "ldap-count", "data-count": key },
    h("span", { class: "ldap-count-n", text: String(result[key] || 0) }), h("span", { class: "muted", text: label() })));
  const problems = result.errors || [];
  return h("div", { class: "ldap-result", id: "ldap-last" },
    h("p", { class: ["ldap-status", result.ok ? "ok" : "failed"] },
      icon(result.ok ? "check" : "alert", "icon-sm"),
      h("span", { text: result.ok ? t("ldap.syncOk", { when: formatDateTime(when || result.finished_at), n: result.seen }) : t("ldap.syncFailed", { when: formatDateTime(when || result.finished_at) }) })),
    result.error ? h("p", { class: "ldap-error", text: `${result.error.code}: ${result.error.message}` }) : null,
    h("div", { class: "ldap-counts" }, counts),
    problems.length ? h("details", { class: "ldap-problems", open: true },
      h("summary", { text: t("ldap.problems", { n: result.error_count }) }),
      h("ul", {}, problems.map((problem) => h("li", {},
        h("strong", { text: problem.code }), h("span", { text: ` ${problem.message}` }),
        problem.dn ? h("div", { class: "muted ldap-dn", text: problem.dn }) : null)))) : null);
}

function testView(answer) {
  if (!answer) return null;
  if (!answer.ok) return h("p", { class: "ldap-status failed", id: "ldap-test-result" }, icon("alert", "icon-sm"), h("span", { text: `${answer.error.code}: ${answer.error.message}` }));
  const person = answer.person;
  return h("div", { id: "ldap-test-result" },
    h("p", { class: "ldap-status ok" }, icon("check", "icon-sm"), h("span", { text: t("ldap.testOk", { n: answer.found }) })),
    person ? h("dl", { class: "ldap-person" }, [
      ["DN", person.dn], [t("ldap.attrId"), person.stable_id], [t("ldap.attrUsername"), person.username],
      [t("ldap.attrName"), person.name], [t("ldap.attrEmail"), person.email], [t("ldap.attrPhone"), person.phone],
      [t("ldap.attrTitle"), person.title], [t("ldap.attrEmployeeNo"), person.employee_no],
      [t("ldap.disabled"), person.disabled ? t("ldap.yes") : t("ldap.no")],
    ].map(([key, value]) => [h("dt", { text: key }), h("dd", { text: value || "—" })])) : null);
}

export function mountLdapAdmin(main, { org, title }) {
  const body = adminFrame(main, title);
  let alive = true;
  let current = null;

  async function load() {
    const fresh = await guard(api.get(`/orgs/${org.id}/ldap`));
    if (!alive || !fresh) return;
    current = fresh;
    render();
  }

  function render() {
    const c = current;
    const url = input(c.url, { placeholder: "ldaps://dc1.corp.example:636" });
    const startTls = switchRow("ldap-starttls", t("ldap.startTls"), c.start_tls, t("ldap.startTlsHint"));
    const ca = h("textarea", { class: "textarea ldap-ca", rows: 3, placeholder: "-----BEGIN CERTIFICATE-----" });
    ca.value = c.tls_ca_cert || "";
    const bindDn = input(c.bind_dn, { placeholder: "cn=lakeside,ou=Services,dc=corp,dc=example" });
    const password = input("", {
      type: "password", autocomplete: "new-password",
      placeholder: c.bind_password_set ? t("ldap.passwordKept") : "",
    });
    const baseDn = input(c.base_dn, { placeholder: "ou=People,dc=corp,dc=example" });
    const filter = input(c.user_filter);
    const attributes = Object.fromEntries(ATTRIBUTES.map((a) => [a.key, input(c[a.key])]));
    const interval = h("input", { class: "input input-number", type: "number", min: 0, max: 10080, step: 1, value: String(c.sync_interval_minutes) });
    const loginOn = switchRow("ldap-login", t("ldap.login"), c.login_enabled, t("ldap.loginHint"));

    const form = h("form", { class: "settings-card ldap-form" },
      h("h3", { class: "section-title", text: t("ldap.server") }),
      h("p", { class: "field-hint block", text: t("ldap.intro") }),
      field("ldap-url", t("ldap.url"), url, t("ldap.urlHint")),
      startTls.el,
      field("ldap-ca", t("ldap.caCert"), ca, t("ldap.caCertHint")),
      field("ldap-bind-dn", t("ldap.bindDn"), bindDn, t("ldap.bindDnHint")),
      field("ldap-bind-password", t("ldap.bindPassword"), password, c.bind_password_set ? t("ldap.passwordSetHint") : null),
      field("ldap-base-dn", t("ldap.baseDn"), baseDn, t("ldap.baseDnHint")),
      field("ldap-filter", t("ldap.filter"), filter, t("ldap.filterHint")),
      h("h3", { class: "section-title", text: t("ldap.mapping") }),
      h("p", { class: "field-hint block", text: t("ldap.mappingHint") }),
      h("div", { class: "ldap-mapping" }, ATTRIBUTES.map((a) => field(`ldap-${a.key}`, a.label(), attributes[a.key], a.hint ? a.hint() : null))),
      h("h3", { class: "section-title", text: t("ldap.syncTitle") }),
      h("p", { class: "field-hint block", text: t("ldap.departmentsHint") }),
      field("ldap-interval", t("ldap.interval"), interval, t("ldap.intervalHint")),
      loginOn.el,
      h("div", { class: "row" },
        h("button", { class: "btn btn-primary", type: "submit", id: "ldap-save", text: t("action.save") }),
        c.configured ? h("button", { class: "btn btn-ghost", type: "button", id: "ldap-delete", text: t("ldap.delete"), on: { click: remove } }) : null));
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const changes = {
        url: url.value.trim(), start_tls: startTls.input.checked, tls_ca_cert: ca.value.trim() || null,
        bind_dn: bindDn.value.trim(), base_dn: baseDn.value.trim(), user_filter: filter.value.trim(),
        sync_interval_minutes: Number(interval.value || 0), login_enabled: loginOn.input.checked,
      };
      for (const a of ATTRIBUTES) changes[a.key] = attributes[a.key].value.trim();
      if (password.value) changes.bind_password = password.value;
      const saved = await guard(api.put(`/orgs/${org.id}/ldap`, changes));
      if (!saved || !alive) return;
      current = saved;
      toast(t("admin.saved"));
      render();
    });

    const probe = input("", { placeholder: t("ldap.testUserPlaceholder") });
    const testBox = h("div", { class: "ldap-test-box" });
    const test = async () => {
      replaceChildren(testBox, h("span", { class: "spinner" }));
      const answer = await guard(api.post(`/orgs/${org.id}/ldap/test`, probe.value.trim() ? { username: probe.value.trim() } : {}));
      if (alive) replaceChildren(testBox, testView(answer));
    };
    const lastBox = h("div", {}, resultView(c.last_sync, c.last_sync_at));
    const syncNow = async (event) => {
      const button = event.currentTarget;
      button.disabled = true;
      replaceChildren(lastBox, h("span", { class: "spinner" }));
      const result = await guard(api.post(`/orgs/${org.id}/ldap/sync`, {}));
      button.disabled = false;
      if (!alive) return;
      if (!result) {
        replaceChildren(lastBox, resultView(current.last_sync, current.last_sync_at));
        return;
      }
      await load(); // the counts of linked members and the next sync changed too
    };
    const linked = c.linked_members || {};
    const actions = c.configured ? h("div", { class: "settings-card ldap-actions" },
      h("h3", { class: "section-title", text: t("ldap.testTitle") }),
      field("ldap-test-user", t("ldap.testUser"), probe, t("ldap.testUserHint")),
      h("button", { class: "btn", type: "button", id: "ldap-test", text: t("ldap.test"), on: { click: test } }),
      testBox,
      h("h3", { class: "section-title", text: t("ldap.lastSync") }),
      h("p", { class: "muted", text: t("ldap.linked", { active: linked.active || 0, off: (linked.disabled || 0) + (linked.gone || 0) }) }),
      c.next_sync_at ? h("p", { class: "muted", text: t("ldap.nextSync", { when: formatDateTime(c.next_sync_at) }) }) : null,
      lastBox,
      h("button", { class: "btn btn-primary", type: "button", id: "ldap-sync", text: t("ldap.syncNow"), on: { click: syncNow } })) : null;
    replaceChildren(body, form, actions);
  }

  async function remove() {
    if (!await confirmDialog({ title: t("ldap.delete"), message: t("ldap.deleteConfirm"), confirmLabel: t("action.delete"), danger: true })) return;
    if (await guard(api.del(`/orgs/${org.id}/ldap`))) {
      toast(t("admin.saved"));
      load();
    }
  }

  loading(body);
  load();
  return {
    destroy() {
      alive = false;
    },
  };
}
