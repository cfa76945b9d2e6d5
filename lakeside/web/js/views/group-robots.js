// The group's robots (incoming webhooks) in its side panel, for its owner and admins: the list,
// adding one (its dialect, name, avatar and security: keywords, an IP allowlist, signing), changing
// one, regenerating its URL and removing it. A robot's URL (and signing secret) is shown once,
// right after it is made or regenerated, with a copy button; the server keeps only its hash.

import { api } from "../api.js";
import { h, replaceChildren } from "../dom.js";
import { errorText } from "../errors.js";
import { formatDateTime } from "../format.js";
import { t } from "../i18n/index.js";
import { icon } from "../icons.js";
import { confirmDialog, openModal } from "../components/modal.js";
import { toast } from "../components/toast.js";

const DIALECTS = ["dingtalk", "slack", "wecom", "feishu"];
const SIGNING = new Set(["dingtalk", "feishu"]);
const KEYWORDS = new Set(["dingtalk", "slack", "feishu"]);
const SPLIT = /[\s,]+/;

export function robotsPanel(conversationId, { rerender }) {
  const base = `/conversations/${conversationId}/webhooks`;
  let robots = [];

  async function load() {
    try {
      robots = (await api.get(base)).webhooks;
    } catch {
      robots = [];
    }
    rerender();
  }

  function section() {
    const rows = robots.map((robot) => h("li", { class: "member-row robot-row", dataset: { robot: robot.id } },
      h("span", { class: "robot-icon", "aria-hidden": "true" }, icon("apps", "icon-sm")),
      h("span", { class: "member-name" }, h("span", { class: "robot-name", text: robot.name, title: robot.name }),
        h("span", { class: "muted block robot-meta", text: `${t(`robots.dialect.${robot.dialect}`)} · ${robot.token_prefix}…` }),
        h("span", { class: "muted block robot-meta", text: robot.last_used_at ? t("robots.lastUsed", { when: formatDateTime(robot.last_used_at) }) : t("robots.neverUsed") })),
      h("button", { class: "icon-btn", type: "button", title: t("robots.edit"), "aria-label": t("robots.edit"), on: { click: () => edit(robot) } }, icon("edit", "icon-sm")),
      h("button", { class: "icon-btn", type: "button", title: t("robots.remove"), "aria-label": t("robots.remove"), on: { click: () => remove(robot) } }, icon("trash", "icon-sm"))));
    return h("div", { class: "panel-section panel-robots" },
      h("div", { class: "panel-section-head" }, h("h3", { text: t("robots.title") }),
        h("button", { class: "btn btn-sm", type: "button", text: t("robots.add"), on: { click: add } })),
      rows.length ? h("ul", { class: "member-list" }, rows) : h("p", { class: "muted", text: t("robots.none") }));
  }

  function field(id, label, input, hint) {
    input.id = id;
    return h("div", { class: "field" }, h("label", { for: id, text: label }), input, hint ? h("span", { class: "field-hint", text: hint }) : null);
  }

  /** The form of a robot's settings; `robot` is null for a new one. */
  function form(robot) {
    const dialect = h("select", { class: "select", disabled: Boolean(robot) },
      DIALECTS.map((value) => h("option", { value, text: t(`robots.dialect.${value}`), selected: robot ? robot.dialect === value : value === "dingtalk" })));
    const name = h("input", { class: "input", maxlength: 64, value: robot ? robot.name : "", placeholder: t("robots.namePlaceholder") });
    const avatar = h("input", { class: "input", type: "file", accept: "image/*" });
    const keywords = h("input", { class: "input", value: robot ? robot.keywords.join(" ") : "", placeholder: t("robots.keywordsPlaceholder") });
    const allowlist = h("input", { class: "input", value: robot ? robot.ip_allowlist.join(" ") : "", placeholder: "203.0.113.0/24" });
    const signing = h("input", { type: "checkbox", class: "switch", role: "switch", checked: robot ? robot.signing : false, "aria-label": t("robots.signing") });
    const keywordField = field("robot-keywords", t("robots.keywords"), keywords, t("robots.keywordsHint"));
    const signingField = h("label", { class: "panel-toggle" }, h("span", {}, h("span", { text: t("robots.signing") }), h("span", { class: "field-hint block", text: t("robots.signingHint") })), signing);
    const sync = () => {
      keywordField.hidden = !KEYWORDS.has(dialect.value);
      signingField.hidden = !SIGNING.has(dialect.value);
    };
    dialect.addEventListener("change", sync);
    sync();
    const body = h("div", { class: "robot-form" },
      field("robot-dialect", t("robots.dialect"), dialect, t("robots.dialectHint")),
      field("robot-name", t("robots.name"), name, null),
      field("robot-avatar", t("robots.avatar"), avatar, t("robots.avatarHint")),
      keywordField,
      field("robot-allowlist", t("robots.allowlist"), allowlist, t("robots.allowlistHint")),
      signingField);
    const values = async () => {
      const out = {
        name: name.value.trim(),
        ip_allowlist: allowlist.value.split(SPLIT).filter(Boolean),
      };
      if (KEYWORDS.has(dialect.value)) out.keywords = keywords.value.split(SPLIT).filter(Boolean);
      if (SIGNING.has(dialect.value)) out.signing = signing.checked;
      if (!robot) out.dialect = dialect.value;
      if (avatar.files && avatar.files[0]) out.avatar_file_id = (await api.upload("/files", avatar.files[0])).id;
      return out;
    };
    return { body, values, name };
  }

  function add() {
    const { body, values, name } = form(null);
    const create = h("button", { class: "btn btn-primary", type: "button", text: t("robots.create") });
    const modal = openModal({ title: t("robots.add"), body,
      actions: [h("button", { class: "btn", type: "button", text: t("action.cancel"), on: { click: () => modal.close() } }), create] });
    create.addEventListener("click", async () => {
      if (!name.value.trim()) return name.focus();
      create.disabled = true;
      try {
        const robot = await api.post(base, await values());
        modal.close();
        showOnce(robot);
        load();
      } catch (error) {
        create.disabled = false;
        toast(errorText(error), "error");
      }
    });
  }

  function edit(robot) {
    const { body, values } = form(robot);
    const save = h("button", { class: "btn btn-primary", type: "button", text: t("robots.save") });
    const regenerate = h("button", { class: "btn", type: "button", text: t("robots.regenerate") });
    const modal = openModal({ title: t("robots.edit"), body,
      actions: [regenerate, h("button", { class: "btn", type: "button", text: t("action.cancel"), on: { click: () => modal.close() } }), save] });
    const submit = async (extra) => {
      save.disabled = regenerate.disabled = true;
      try {
        const changed = await api.patch(`/webhooks/${robot.id}`, { ...(await values()), ...extra });
        modal.close();
        if (changed.url || changed.secret) showOnce(changed);
        else toast(t("robots.saved"));
        load();
      } catch (error) {
        save.disabled = regenerate.disabled = false;
        toast(errorText(error), "error");
      }
    };
    save.addEventListener("click", () => submit({}));
    regenerate.addEventListener("click", async () => {
      if (await confirmDialog({ title: t("robots.regenerate"), message: t("robots.regenerateConfirm"), confirmLabel: t("robots.regenerate") })) submit({ regenerate_token: true });
    });
  }

  async function remove(robot) {
    if (!(await confirmDialog({ title: t("robots.remove"), message: t("robots.removeConfirm", { name: robot.name }), confirmLabel: t("robots.remove"), danger: true }))) return;
    try {
      await api.del(`/webhooks/${robot.id}`);
      toast(t("robots.removed"));
    } catch (error) {
      toast(errorText(error), "error");
    }
    load();
  }

  /** The URL (and secret) of a robot just made or regenerated: shown this once, with copy. */
  function showOnce(robot) {
    const copyRow = (value, label) => {
      const input = h("input", { class: "input robot-secret", readonly: true, value, "aria-label": label });
      const copy = () => navigator.clipboard.writeText(value).then(() => toast(t("robots.copied")), () => input.select());
      return h("div", { class: "field" }, h("span", { class: "field-label", text: label }),
        h("div", { class: "row" }, input, h("button", { class: "btn", type: "button", on: { click: copy } }, icon("copy", "icon-sm"), t("robots.copy"))));
    };
    const body = h("div", { class: "robot-once" });
    replaceChildren(body,
      h("p", { class: "field-hint", text: t("robots.onceHint") }),
      robot.url ? copyRow(robot.url, t("robots.url")) : null,
      robot.secret ? copyRow(robot.secret, t("robots.secret")) : null);
    const modal = openModal({ title: t("robots.ready", { name: robot.name }), body,
      actions: [h("button", { class: "btn btn-primary", type: "button", text: t("robots.done"), on: { click: () => modal.close() } })] });
  }

  return { load, section };
}
