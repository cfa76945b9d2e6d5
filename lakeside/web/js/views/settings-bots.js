// Settings → Bots (机器人): the API bots you manage (your own, and your organizations' when you own
// or administer one). Make a bot; add it to groups you manage; issue tokens with scopes and an
// optional conversation allowlist (the token is shown once); revoke them; edit its slash commands;
// delete it. docs/integrations/bots.md says what each scope allows.

import { api } from "../api.js";
import { h, replaceChildren } from "../dom.js";
import { errorText } from "../errors.js";
import { formatDateTime } from "../format.js";
import { t } from "../i18n/index.js";
import { state } from "../store.js";
import { confirmDialog } from "../components/modal.js";
import { toast } from "../components/toast.js";

const DEFAULT_SCOPES = ["messages:read", "messages:write", "conversations:read", "events:read"];

async function attempt(action, done) {
  try {
    const result = await action();
    if (done) toast(done);
    return result ?? true;
  } catch (error) {
    toast(errorText(error), "error");
    return null;
  }
}

/** A scope's name in the reader's language ("messages:write" → 发送消息), the name itself if unknown. */
function scopeLabel(name) {
  const key = `bots.scope.${name}`;
  const label = t(key);
  return label === key ? name : label;
}

export function mountBots(root) {
  let destroyed = false;
  let scopes = [];
  let orgs = [];
  const list = h("div", { class: "bot-list" });

  function field(label, input, hint) {
    return h("label", { class: "field" }, h("span", { text: label }), input, hint ? h("span", { class: "field-hint", text: hint }) : null);
  }

  function createForm() {
    const name = h("input", { class: "input", maxlength: 64, required: true, name: "bot-name" });
    const description = h("input", { class: "input", maxlength: 500, name: "bot-description" });
    const owner = h("select", { class: "input", name: "bot-org" },
      h("option", { value: "", text: t("bots.personal") }),
      ...orgs.map((org) => h("option", { value: String(org.id), text: org.name })));
    const form = h("form", { class: "settings-card bot-create" },
      h("h3", { class: "section-title", text: t("bots.create") }),
      field(t("bots.name"), name), field(t("bots.description"), description), field(t("bots.belongsTo"), owner),
      h("button", { class: "btn btn-primary", type: "submit", text: t("bots.createButton") }));
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const body = { display_name: name.value.trim(), description: description.value.trim() };
      if (owner.value) body.organization_id = Number(owner.value);
      if (await attempt(() => api.post("/bots", body), t("bots.created"))) {
        name.value = description.value = "";
        load();
      }
    });
    return form;
  }

  function groupsSection(bot, groups) {
    const groupIds = new Set(groups.map((group) => group.id));
    const candidates = [...state.conversations.values()].filter((c) => c.kind !== "direct" && !groupIds.has(c.id));
    const pick = h("select", { class: "input", "aria-label": t("bots.addToGroup") },
      h("option", { value: "", text: t("bots.chooseGroup") }),
      ...candidates.map((c) => h("option", { value: String(c.id), text: c.title || String(c.id) })));
    const add = h("button", { class: "btn btn-sm", type: "button", text: t("bots.add"), on: { click: async () => {
      if (!pick.value) return;
      if (await attempt(() => api.post(`/bots/${bot.id}/groups`, { conversation_id: Number(pick.value) }), t("bots.added"))) load();
    } } });
    return h("section", { class: "bot-section" },
      h("h4", { class: "bot-section-title", text: t("bots.groups") }),
      h("ul", { class: "person-list" }, groups.length ? groups.map((group) => h("li", { class: "session-row" },
        h("span", { class: "person-name", text: group.title || String(group.id) }),
        h("button", { class: "btn btn-sm", type: "button", text: t("bots.remove"), on: { click: async () => {
          if (await attempt(() => api.del(`/bots/${bot.id}/groups/${group.id}`))) load();
        } } }))) : h("li", { class: "page-hint", text: t("bots.noGroups") })),
      h("div", { class: "bot-inline" }, pick, add));
  }

  function tokensSection(bot, tokens, groups) {
    const shown = h("div", { class: "bot-secret", hidden: true });
    const scopeBoxes = scopes.map((scope) => h("label", { class: "bot-check", title: scope.description },
      h("input", { type: "checkbox", value: scope.name, checked: DEFAULT_SCOPES.includes(scope.name) }),
      h("span", { text: scopeLabel(scope.name) }), h("code", { class: "muted", text: scope.name })));
    const allowBoxes = groups.map((group) => h("label", { class: "bot-check" },
      h("input", { type: "checkbox", value: String(group.id) }), h("span", { text: group.title || String(group.id) })));
    const label = h("input", { class: "input", maxlength: 100, placeholder: t("bots.tokenNameHint") });
    const days = h("input", { class: "input", type: "number", min: 1, max: 3650, placeholder: t("bots.never") });
    const form = h("form", { class: "bot-token-form" },
      field(t("bots.tokenName"), label),
      h("fieldset", { class: "bot-checks" }, h("legend", { text: t("bots.scopes") }), ...scopeBoxes),
      h("fieldset", { class: "bot-checks" }, h("legend", { text: t("bots.allowlist") }),
        h("span", { class: "field-hint block", text: t("bots.allowlistHint") }), ...allowBoxes),
      field(t("bots.expiresDays"), days),
      h("button", { class: "btn btn-primary btn-sm", type: "submit", text: t("bots.issue") }));
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const chosen = scopeBoxes.map((box) => box.querySelector("input")).filter((box) => box.checked).map((box) => box.value);
      const allowed = allowBoxes.map((box) => box.querySelector("input")).filter((box) => box.checked).map((box) => Number(box.value));
      const body = { name: label.value.trim(), scopes: chosen, conversation_ids: allowed.length ? allowed : null };
      if (days.value) body.expires_in_days = Number(days.value);
      const made = await attempt(() => api.post(`/bots/${bot.id}/tokens`, body));
      if (!made) return;
      const secret = h("input", { class: "input bot-token-value", readonly: true, value: made.token, "aria-label": t("bots.tokenValue") });
      replaceChildren(shown, h("p", { class: "field-hint", text: t("bots.shownOnce") }), h("div", { class: "bot-inline" }, secret,
        h("button", { class: "btn btn-sm", type: "button", text: t("bots.copy"), on: { click: async () => {
          secret.select();
          await attempt(() => navigator.clipboard.writeText(made.token), t("bots.copied"));
        } } })));
      shown.hidden = false;
      renderTokens([...tokens, made]);
    });
    const rows = h("ul", { class: "person-list" });
    function renderTokens(current) {
      tokens = current;
      replaceChildren(rows, tokens.length ? tokens.map((token) => h("li", { class: "session-row bot-token" },
        h("div", { class: "person-text" },
          h("span", { class: "person-name" }, h("code", { text: `${token.prefix}…` }), token.name ? ` ${token.name}` : ""),
          h("span", { class: "person-meta", text: [
            token.scopes.map(scopeLabel).join(t("bots.scopeJoin")),
            token.conversation_ids ? t("bots.onlyIn", { count: token.conversation_ids.length }) : t("bots.everyGroup"),
            token.last_used_at ? t("bots.lastUsed", { time: formatDateTime(token.last_used_at) }) : t("bots.unused"),
            token.expires_at ? t("bots.expires", { time: formatDateTime(token.expires_at) }) : "",
          ].filter(Boolean).join(" · ") })),
        h("button", { class: "btn btn-sm btn-danger", type: "button", text: t("bots.revoke"), on: { click: async () => {
          if (!(await confirmDialog({ title: t("bots.revokeTitle"), message: t("bots.revokeBody"), confirmLabel: t("bots.revoke"), danger: true }))) return;
          if (await attempt(() => api.del(`/bots/${bot.id}/tokens/${token.id}`), t("bots.revoked"))) renderTokens(tokens.filter((x) => x.id !== token.id));
        } } }))) : h("li", { class: "page-hint", text: t("bots.noTokens") }));
    }
    renderTokens(tokens);
    return h("section", { class: "bot-section" }, h("h4", { class: "bot-section-title", text: t("bots.tokens") }), rows, shown, form);
  }

  function commandsSection(bot, commands) {
    const rows = h("div", { class: "bot-commands" });
    function row(command = { name: "", description: "", usage: "" }) {
      return h("div", { class: "bot-inline bot-command" },
        h("input", { class: "input", name: "name", value: command.name, maxlength: 33, placeholder: "/deploy", "aria-label": t("bots.commandName") }),
        h("input", { class: "input", name: "usage", value: command.usage, maxlength: 100, placeholder: t("bots.usage"), "aria-label": t("bots.usage") }),
        h("input", { class: "input", name: "description", value: command.description, maxlength: 200, placeholder: t("bots.commandDescription"), "aria-label": t("bots.commandDescription") }));
    }
    replaceChildren(rows, [...commands.map(row), row()]);
    const save = h("button", { class: "btn btn-sm btn-primary", type: "button", text: t("action.save"), on: { click: async () => {
      const body = [...rows.children].map((line) => ({
        name: line.querySelector("[name=name]").value.trim(),
        usage: line.querySelector("[name=usage]").value.trim(),
        description: line.querySelector("[name=description]").value.trim(),
      })).filter((command) => command.name);
      const saved = await attempt(() => api.put(`/bots/${bot.id}/commands`, { commands: body }), t("bots.commandsSaved"));
      if (saved) replaceChildren(rows, [...saved.commands.map(row), row()]);
    } } });
    const more = h("button", { class: "btn btn-sm", type: "button", text: t("bots.addCommand"), on: { click: () => rows.append(row()) } });
    return h("section", { class: "bot-section" },
      h("h4", { class: "bot-section-title", text: t("bots.commands") }),
      h("p", { class: "field-hint", text: t("bots.commandsHint") }), rows, h("div", { class: "bot-inline" }, more, save));
  }

  async function botCard(bot) {
    const [groups, tokens, commands] = await Promise.all([
      api.get(`/bots/${bot.id}/groups`), api.get(`/bots/${bot.id}/tokens`), api.get(`/bots/${bot.id}/commands`),
    ]);
    const org = orgs.find((o) => o.id === bot.organization_id);
    const remove = h("button", { class: "btn btn-sm btn-danger", type: "button", text: t("bots.delete"), on: { click: async () => {
      if (!(await confirmDialog({ title: t("bots.deleteTitle", { name: bot.display_name }), message: t("bots.deleteBody"), confirmLabel: t("bots.delete"), danger: true }))) return;
      if (await attempt(() => api.del(`/bots/${bot.id}`), t("bots.deleted"))) load();
    } } });
    return h("article", { class: "settings-card bot-card", dataset: { botId: String(bot.id) } },
      h("header", { class: "bot-head" },
        h("div", {}, h("span", { class: "profile-name", text: bot.display_name }), " ",
          h("span", { class: "role-tag bot-badge", text: t("bots.badge") })),
        remove),
      h("p", { class: "muted", text: [bot.description, org ? org.name : t("bots.personal"), `@${bot.username}`].filter(Boolean).join(" · ") }),
      groupsSection(bot, groups.groups), tokensSection(bot, tokens.tokens, groups.groups), commandsSection(bot, commands.commands));
  }

  async function load() {
    replaceChildren(list, h("div", { class: "empty-state" }, h("span", { class: "spinner" })));
    try {
      const [found, known, mine] = await Promise.all([api.get("/bots"), api.get("/bots/scopes"), api.get("/orgs")]);
      scopes = known.scopes;
      orgs = (Array.isArray(mine) ? mine : mine.organizations || []).filter((org) => ["owner", "admin"].includes(org.my_role));
      const cards = await Promise.all(found.bots.map(botCard));
      if (destroyed) return;
      replaceChildren(root, h("p", { class: "page-hint", text: t("bots.hint") }), createForm(), list);
      replaceChildren(list, cards.length ? cards : h("p", { class: "page-hint", text: t("bots.none") }));
    } catch (error) {
      replaceChildren(list, h("p", { class: "form-error", text: errorText(error) }));
    }
  }

  replaceChildren(root, list);
  load();
  return { destroy() { destroyed = true; } };
}
