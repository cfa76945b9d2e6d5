// Outgoing robots of a group (DingTalk's outgoing mode), in the group's side panel for its owner
// and admins: the robots called back when a message @mentions them or has one of their keywords;
// add one (its AppSecret is shown once), change it, rotate its secret, revoke it, and read its
// delivery log (each callback, its attempts, statuses and errors). The server: api/robots.py.

import { api } from "../api.js";
import { h, replaceChildren } from "../dom.js";
import { errorText } from "../errors.js";
import { formatDateTime } from "../format.js";
import { t } from "../i18n/index.js";
import { icon } from "../icons.js";
import { confirmDialog, openModal } from "../components/modal.js";
import { toast } from "../components/toast.js";

const MANAGERS = ["owner", "admin"];

function splitKeywords(text) {
  return [...new Set(text.split(/[,\n\u3001\uff0c]/).map((word) => word.trim()).filter(Boolean))].slice(0, 10);
}

export function outgoingPanel(conversationId, { getConversation, rerender }) {
  let robots = [];
  const manager = () => {
    const now = getConversation();
    return Boolean(now) && now.kind !== "direct" && MANAGERS.includes(now.role);
  };

  async function load() {
    if (!manager()) return;
    try {
      robots = await api.get(`/conversations/${conversationId}/robots`);
    } catch {
      robots = [];
    }
    rerender();
  }

  function triggers(robot) {
    const parts = [];
    if (robot.on_mention) parts.push(t("outgoing.onMention"));
    if (robot.keywords.length) parts.push(t("outgoing.keywordList", { words: robot.keywords.join(", ") }));
    return parts.join(" · ");
  }

  function section() {
    if (!manager()) return null;
    const live = robots.filter((robot) => !robot.revoked_at);
    const rows = live.map((robot) => h("li", { class: "member-row outgoing-robot" },
      h("span", { class: "outgoing-robot-icon", "aria-hidden": "true" }, icon("apps", "icon-sm")),
      h("span", { class: "member-name outgoing-robot-text" },
        h("span", { class: "outgoing-robot-name ellipsis", text: robot.name }),
        h("span", { class: "muted block outgoing-robot-triggers", text: triggers(robot) })),
      h("button", { class: "icon-btn", type: "button", "aria-label": t("outgoing.log"), title: t("outgoing.log"), on: { click: () => openLog(robot) } }, icon("clock", "icon-sm")),
      h("button", { class: "icon-btn", type: "button", "aria-label": t("outgoing.edit"), title: t("outgoing.edit"), on: { click: () => openEditor(robot) } }, icon("edit", "icon-sm")),
      h("button", { class: "icon-btn", type: "button", "aria-label": t("outgoing.revoke"), title: t("outgoing.revoke"), on: { click: () => revoke(robot) } }, icon("trash", "icon-sm"))));
    return h("div", { class: "panel-section outgoing-robots" },
      h("div", { class: "panel-section-head" }, h("h3", { text: t("outgoing.title") }),
        h("button", { class: "btn btn-sm", type: "button", on: { click: () => openEditor(null) } }, icon("plus", "icon-sm"), t("outgoing.add"))),
      rows.length ? h("ul", { class: "member-list" }, rows) : h("p", { class: "muted", text: t("outgoing.none") }),
      h("p", { class: "field-hint block", text: t("outgoing.hint") }));
  }

  function field(id, label, control, hint) {
    control.id = id;
    return h("div", { class: "field" }, h("label", { for: id, text: label }), control, hint ? h("span", { class: "field-hint", text: hint }) : null);
  }

  function openEditor(robot) {
    const name = h("input", { class: "input", maxlength: 64, value: robot ? robot.name : "", placeholder: t("outgoing.namePlaceholder") });
    const url = h("input", { class: "input", type: "url", maxlength: 2048, value: robot ? robot.callback_url : "", placeholder: "https://" });
    const words = h("input", { class: "input", maxlength: 400, value: robot ? robot.keywords.join(", ") : "", placeholder: t("outgoing.keywordsPlaceholder") });
    const mention = h("input", { type: "checkbox", class: "switch", role: "switch", id: "outgoing-mention", checked: robot ? robot.on_mention : true });
    const rotate = robot ? h("input", { type: "checkbox", id: "outgoing-rotate" }) : null;
    const save = h("button", { class: "btn btn-primary", type: "button", text: robot ? t("outgoing.save") : t("outgoing.create") });
    const body = h("div", { class: "outgoing-editor" },
      field("outgoing-name", t("outgoing.name"), name),
      field("outgoing-url", t("outgoing.url"), url, t("outgoing.urlHint")),
      h("label", { class: "panel-toggle", for: "outgoing-mention" },
        h("span", {}, h("span", { text: t("outgoing.onMention") }), h("span", { class: "field-hint block", text: t("outgoing.onMentionHint") })), mention),
      field("outgoing-keywords", t("outgoing.keywords"), words, t("outgoing.keywordsHint")),
      rotate ? h("label", { class: "row outgoing-rotate", for: "outgoing-rotate" }, rotate, h("span", { text: t("outgoing.rotate") })) : null);
    const modal = openModal({ title: robot ? t("outgoing.edit") : t("outgoing.addTitle"), body,
      actions: [h("button", { class: "btn", type: "button", text: t("action.cancel"), on: { click: () => modal.close() } }), save] });
    save.addEventListener("click", async () => {
      const fields = { name: name.value.trim(), callback_url: url.value.trim(), on_mention: mention.checked, keywords: splitKeywords(words.value) };
      if (!fields.name || !fields.callback_url) {
        toast(t("outgoing.required"), "error");
        return;
      }
      save.disabled = true;
      try {
        let answer;
        if (robot) {
          answer = await api.patch(`/robots/${robot.id}`, { ...fields, rotate_secret: Boolean(rotate && rotate.checked) });
        } else {
          answer = await api.post(`/conversations/${conversationId}/robots`, fields);
        }
        modal.close();
        if (answer.secret) showSecret(answer);
        else toast(t("outgoing.saved"));
        load();
      } catch (error) {
        save.disabled = false;
        toast(errorText(error), "error");
      }
    });
  }

  function showSecret(robot) {
    const value = h("input", { class: "input outgoing-secret", readonly: true, value: robot.secret, "aria-label": t("outgoing.secret") });
    const copy = () => navigator.clipboard.writeText(robot.secret).then(() => toast(t("outgoing.copied")));
    openModal({ title: t("outgoing.secretTitle", { name: robot.name }), body: h("div", { class: "outgoing-secret-box" },
      h("p", { class: "field-hint", text: t("outgoing.secretOnce") }),
      h("div", { class: "row" }, value, h("button", { class: "btn", type: "button", on: { click: copy } }, icon("copy", "icon-sm"), t("outgoing.copy")))) });
  }

  async function revoke(robot) {
    const ok = await confirmDialog({ title: t("outgoing.revoke"), message: t("outgoing.revokeConfirm", { name: robot.name }), confirmLabel: t("outgoing.revoke"), danger: true });
    if (!ok) return;
    try {
      await api.del(`/robots/${robot.id}`);
      toast(t("outgoing.revoked"));
    } catch (error) {
      toast(errorText(error), "error");
    }
    load();
  }

  function statusTag(status) {
    const label = { pending: t("outgoing.status.pending"), delivered: t("outgoing.status.delivered"), failed: t("outgoing.status.failed") }[status];
    return h("span", { class: ["role-tag", "delivery-status", status], text: label || status });
  }

  async function openLog(robot) {
    const list = h("ol", { class: "delivery-log" });
    openModal({ title: t("outgoing.logTitle", { name: robot.name }), wide: true, body: list });
    let entries;
    try {
      entries = await api.get(`/robots/${robot.id}/deliveries`, { limit: 50 });
    } catch (error) {
      toast(errorText(error), "error");
      return;
    }
    if (!entries.length) {
      replaceChildren(list, h("li", { class: "muted", text: t("outgoing.logEmpty") }));
      return;
    }
    replaceChildren(list, entries.map((entry) => h("li", { class: "delivery-entry" },
      h("div", { class: "row delivery-head" }, statusTag(entry.status),
        h("span", { class: "delivery-time", text: formatDateTime(entry.created_at) }),
        h("span", { class: "muted", text: t("outgoing.attempts", { n: entry.attempts }) }),
        entry.status === "pending" && entry.next_attempt_at ? h("span", { class: "muted", text: t("outgoing.nextAt", { time: formatDateTime(entry.next_attempt_at) }) }) : null),
      h("ul", { class: "delivery-tries" }, entry.tries.map((attempt) => h("li", { class: "muted" },
        h("span", { text: `#${attempt.attempt} ${formatDateTime(attempt.started_at)} · ` }),
        h("span", { text: attempt.http_status ? `HTTP ${attempt.http_status}` : t("outgoing.noAnswer") }),
        h("span", { text: ` · ${attempt.duration_ms} ms` }),
        attempt.error ? h("span", { class: "delivery-error", text: ` · ${attempt.error}` }) : null))))));
  }

  load();
  return { section, load };
}
