// Slash commands in a group's composer: typing / at the start lists the commands the group's bots
// offer (GET /conversations/{id}/commands); arrows choose, Enter or Tab writes "/name ", Esc
// closes. A message whose first word is an offered command is not sent as a message: it goes to
// the bot (POST /conversations/{id}/commands), which alone hears it; the sender sees a note. Any
// other text starting with / (a path, a smiley) is an ordinary message. A bot's answer meant for
// the invoker alone (command.replied) is a line in the timeline that only they see and that is
// never stored (ephemeral.js).

import { api } from "../api.js";
import { handleListKey } from "./listbox.js";
import { h } from "../dom.js";
import { errorText } from "../errors.js";
import { t } from "../i18n/index.js";
import { listenForNotes } from "../ephemeral.js";
import { on } from "../store.js";
import { toast } from "./toast.js";

const SHOWN = 8;
const TRIGGER = /^\/([a-z0-9_-]{0,32})$/i;
let counter = 0;
let listening = false;

/** Once per page: a bot's answer for the invoker alone goes in that conversation's timeline
 * (ephemeral.js); while that conversation is not on screen, a toast says it came. */
function listenForReplies() {
  if (listening) return;
  listening = true;
  listenForNotes();
  on("ephemeral", ({ conversationId, note }) => {
    if (document.querySelector(`.msg-scroll[data-conversation="${conversationId}"]`)) return;
    toast(t("bots.replied", { command: note.command, text: note.text }), "info", 8000);
  });
}

/** "/deploy prod now" as {name: "deploy", args: "prod now"}; null when no command. */
export function parseCommand(text) {
  const match = /^\/([A-Za-z0-9_-]{1,32})(?:\s+([\s\S]*))?$/.exec(text.trim());
  return match ? { name: match[1].toLowerCase(), args: (match[2] || "").trim() } : null;
}

export class CommandPicker {
  constructor(input, conversationId, onChange) {
    counter += 1;
    listenForReplies();
    this.input = input;
    this.conversationId = conversationId;
    this.onChange = onChange;
    this.commands = null; // loaded when / is first typed
    this.loading = null;
    this.items = [];
    this.active = 0;
    this.el = h("ul", { class: "mention-list command-list", role: "listbox", id: `commands-${counter}`, hidden: true, "aria-label": t("bots.commands") });
    input.addEventListener("blur", () => setTimeout(() => this.close(), 150));
  }

  get open() {
    return !this.el.hidden;
  }

  async load() {
    if (this.commands) return this.commands;
    if (!this.loading) {
      this.loading = api.get(`/conversations/${this.conversationId}/commands`)
        .then((body) => { this.commands = body.commands; return this.commands; })
        .catch(() => { this.loading = null; return []; });
    }
    return this.loading;
  }

  async update() {
    const before = this.input.value.slice(0, this.input.selectionStart);
    const match = TRIGGER.exec(before);
    if (!match) {
      this.close();
      return;
    }
    const commands = await this.load();
    const query = match[1].toLowerCase();
    this.items = commands.filter((command) => command.name.startsWith(query)).slice(0, SHOWN);
    this.active = 0;
    this.render();
  }

  render() {
    this.el.hidden = this.items.length === 0;
    if (this.el.hidden) return;
    this.el.replaceChildren(...this.items.map((command, index) => h("li", {
      id: `${this.el.id}-${index}`, role: "option", class: ["mention-option", "command-option", index === this.active && "active"],
      "aria-selected": String(index === this.active),
      on: { mousedown: (event) => { event.preventDefault(); this.choose(index); } },
    },
    h("span", { class: "mention-name", text: `/${command.name}${command.usage ? ` ${command.usage}` : ""}` }),
    h("span", { class: "mention-username", text: [command.description, command.bot_name].filter(Boolean).join(" · ") }))));
  }

  handleKey(event) {
    return handleListKey(this, event);
  }

  choose(index) {
    const command = this.items[index];
    if (!command) return;
    this.chosen = command;
    this.input.value = `/${command.name} `;
    this.input.selectionStart = this.input.selectionEnd = this.input.value.length;
    this.close();
    this.input.focus();
    this.onChange();
  }

  close() {
    this.el.hidden = true;
    this.items = [];
  }

  /** The offered command ``text`` invokes, or null (then it is an ordinary message). */
  async match(text) {
    const parsed = parseCommand(text);
    if (!parsed) return null;
    const offered = (await this.load()).filter((command) => command.name === parsed.name);
    if (!offered.length) return null;
    const bot = this.chosen && this.chosen.name === parsed.name ? this.chosen : offered[0];
    return { ...parsed, botId: bot.bot_id, botName: bot.bot_name };
  }

  async invoke(command) {
    try {
      await api.post(`/conversations/${this.conversationId}/commands`, { command: command.name, args: command.args, bot_id: command.botId });
      toast(t("bots.invoked", { command: command.name, bot: command.botName }));
      return true;
    } catch (error) {
      toast(errorText(error), "error");
      return false;
    } finally {
      this.chosen = null;
    }
  }
}
