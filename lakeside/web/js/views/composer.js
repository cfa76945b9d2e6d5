// Writing a message: Enter sends, Shift+Enter starts a new line (and an input method's Enter only
// confirms its candidate), Esc leaves reply or edit mode. @ opens member autocomplete; emoji,
// files and pasted images go along. The draft is kept per conversation (drafts.js: kept on this
// device at once, on the server shortly after), and follows what another device writes.

import { h } from "../dom.js";
import { t } from "../i18n/index.js";
import { icon } from "../icons.js";
import { clearDraft, draftText, setDraft } from "../drafts.js";
import { displayName, getUser, on, state } from "../store.js";
import { openEmojiPicker } from "../components/emoji.js";
import { FULL_WIDTH_AT, MentionPicker } from "../components/mention.js";
import { CommandPicker } from "../components/command-picker.js";
import { messageSummary } from "../summary.js";

const TYPING_EVERY_MS = 2000;

/** A touch screen (hold to talk) rather than a mouse (click to record). */
function coarse() {
  return window.matchMedia("(pointer: coarse)").matches;
}
const pickedDrafts = new Map(); // conversation id -> the people picked in its draft

/** The ids of the picked people whose @name still stands in the text. */
export function pickedIn(text, picked) {
  const ids = [];
  for (const { id, name } of picked) {
    if ((text.includes(`@${name}`) || text.includes(`${FULL_WIDTH_AT}${name}`)) && !ids.includes(id)) ids.push(id);
  }
  return ids;
}

/** The name a user goes by for everyone (not your remark for them). */
function publicName(id) {
  if (state.me && id === state.me.id) return state.me.display_name;
  const user = getUser(id);
  return user ? user.display_name : "";
}

export class Composer {
  constructor(conversation, handlers) {
    this.conversationId = conversation.id;
    this.handlers = handlers;
    this.reply = null;
    this.editing = null;
    this.lastTyping = 0;

    this.context = h("div", { class: "composer-context", hidden: true });
    this.input = h("textarea", {
      class: "composer-input", rows: "1", "aria-label": t("composer.label"),
      placeholder: t("composer.placeholder"), maxlength: 65536,
    });
    this.input.value = draftText(conversation.id);
    // The people picked from the @ list for this draft ({id, name}), kept with the draft.
    this.picked = pickedDrafts.get(conversation.id) || [];
    this.mentions = new MentionPicker(this.input, handlers.getMembers, () => this.onInput(), (pick) => {
      if (pick.id !== null && !this.picked.some((p) => p.id === pick.id)) this.picked.push(pick);
      if (!this.editing) pickedDrafts.set(this.conversationId, this.picked);
    });
    // Slash commands of the group's bots (components/command-picker.js); none in a direct chat.
    this.commands = conversation.kind === "direct" ? null : new CommandPicker(this.input, conversation.id, () => this.onInput());
    this.fileInput = h("input", { type: "file", multiple: true, hidden: true, tabindex: "-1", "aria-hidden": "true" });
    this.fileInput.addEventListener("change", () => {
      if (this.fileInput.files.length) handlers.onSendFiles([...this.fileInput.files]);
      this.fileInput.value = "";
    });
    const emojiButton = h("button", {
      class: "icon-btn", type: "button", "aria-label": t("composer.emoji"), title: t("composer.emoji"), dataset: { optional: "" },
      on: { click: () => openEmojiPicker(emojiButton, (emoji) => this.insert(emoji)) },
    }, icon("smile"));
    const attachButton = h("button", {
      class: "icon-btn", type: "button", "aria-label": t("composer.attach"), title: t("composer.attach"),
      on: { click: () => this.fileInput.click() },
    }, icon("attach"));
    const mentionButton = h("button", {
      class: "icon-btn", type: "button", "aria-label": t("composer.mention"), title: t("composer.mention"),
      hidden: conversation.kind === "direct",
      dataset: { optional: "" },
      on: { click: () => { this.insert(/[A-Za-z0-9_.+%-]$/.test(this.input.value.slice(0, this.input.selectionStart)) ? " @" : "@"); this.mentions.update(); } },
    }, icon("at"));
    // 语音: with a mouse, click to record; on a touch screen, hold to talk.
    const micButton = h("button", {
      class: "icon-btn composer-mic", type: "button", "aria-label": t("voice.record"),
      title: coarse() ? t("voice.hold") : t("voice.record"),
      on: {
        click: () => { if (!coarse()) handlers.onVoice({ button: micButton }); },
        pointerdown: (event) => {
          if (!coarse()) return;
          event.preventDefault();
          handlers.onVoice({ button: micButton, hold: event });
        },
        contextmenu: (event) => event.preventDefault(),
      },
    }, icon("mic"));
    this.sendButton = h("button", {
      class: "btn btn-primary composer-send", type: "button", text: t("composer.send"),
      on: { click: () => this.submit() },
    });
    this.el = h(
      "div",
      { class: "composer" },
      this.context,
      h("div", { class: "composer-tools" }, emojiButton, mentionButton, attachButton, micButton, this.fileInput),
      h("div", { class: "composer-field" }, this.input, this.mentions.el, this.commands ? this.commands.el : null),
      h("div", { class: "composer-foot" }, h("span", { class: "composer-hint", text: t("composer.hint") }), this.sendButton),
    );
    this.input.addEventListener("keydown", (event) => this.onKey(event));
    this.input.addEventListener("input", () => this.onInput());
    this.input.addEventListener("paste", (event) => this.onPaste(event));
    requestAnimationFrame(() => this.autosize());
    // Written on another device (newer than what is here): shown, unless a message is being edited.
    this.unsubscribe = on(`draft:${conversation.id}`, (text) => {
      if (this.editing || this.input.value === text) return;
      this.input.value = text;
      this.autosize();
    });
  }

  destroy() {
    this.unsubscribe();
  }

  focus() {
    this.input.focus();
  }

  onKey(event) {
    if (this.commands && this.commands.handleKey(event)) return;
    if (this.mentions.handleKey(event)) return;
    if (event.isComposing || event.keyCode === 229) return;
    if (event.key === "Enter" && !event.shiftKey && !event.altKey) {
      event.preventDefault();
      this.submit();
    } else if (event.key === "Escape" && (this.reply || this.editing)) {
      event.preventDefault();
      event.stopPropagation();
      this.clearContext();
    } else if (event.key === "ArrowUp" && !this.input.value && !this.editing && this.handlers.onEditLast) {
      event.preventDefault();
      this.handlers.onEditLast();
    }
  }

  onInput() {
    if (!this.editing) setDraft(this.conversationId, this.input.value);
    this.autosize();
    this.mentions.update();
    if (this.commands) this.commands.update();
    const now = Date.now();
    if (this.input.value && now - this.lastTyping > TYPING_EVERY_MS && !this.editing) {
      this.lastTyping = now;
      this.handlers.onTyping();
    } else if (!this.input.value) {
      this.stopTyping();
    }
  }

  /** The input was cleared (or left): others stop seeing "typing…" at once, not seconds later. */
  stopTyping() {
    if (!this.lastTyping) return;
    this.lastTyping = 0;
    this.handlers.onTyping({ stopped: true });
  }

  onPaste(event) {
    const files = [...(event.clipboardData ? event.clipboardData.files : [])];
    if (files.length) {
      event.preventDefault();
      this.handlers.onSendFiles(files);
    }
  }

  autosize() {
    this.input.style.height = "auto";
    this.input.style.height = `${Math.min(this.input.scrollHeight, 200)}px`;
  }

  insert(text) {
    const { selectionStart: start, selectionEnd: end, value } = this.input;
    this.input.value = value.slice(0, start) + text + value.slice(end);
    this.input.selectionStart = this.input.selectionEnd = start + text.length;
    this.input.focus();
    this.onInput();
  }

  async submit() {
    const body = this.input.value;
    if (this.editing) {
      const message = this.editing;
      if (!body.trim() || body === message.body) {
        this.clearContext();
        return;
      }
      this.sendButton.disabled = true;
      const ok = await this.handlers.onEditSave(message, body, pickedIn(body, this.editPicked));
      this.sendButton.disabled = false;
      if (ok) this.clearContext();
      return;
    }
    if (!body.trim()) return;
    const command = this.commands && (await this.commands.match(body));
    if (command) {
      // To the bot alone, not the group; the text stays if the server refuses it.
      if (!(await this.commands.invoke(command))) return;
    } else {
      this.handlers.onSend(body, this.reply, pickedIn(body, this.picked));
    }
    this.lastTyping = 0; // the message itself ends "typing…" on the other side
    this.input.value = "";
    clearDraft(this.conversationId);
    this.picked = [];
    pickedDrafts.delete(this.conversationId);
    this.reply = null;
    this.renderContext();
    this.autosize();
    this.mentions.close();
    this.input.focus();
  }

  setReply(message) {
    if (this.editing) this.clearContext();
    this.reply = message;
    this.renderContext();
    this.input.focus();
  }

  setEdit(message) {
    this.reply = null;
    this.editing = message;
    // Who the message mentions now, by the names they are written with, plus whoever is picked
    // while editing.
    this.editPicked = (message.mentions || []).map((id) => ({ id, name: publicName(id) })).filter((p) => p.name);
    this.draftPicked = this.picked;
    this.picked = this.editPicked;
    this.input.value = message.body;
    this.renderContext();
    this.autosize();
    this.input.focus();
    this.input.selectionStart = this.input.selectionEnd = this.input.value.length;
  }

  clearContext() {
    if (this.editing) {
      this.input.value = draftText(this.conversationId);
      this.picked = this.draftPicked || [];
    }
    this.reply = null;
    this.editing = null;
    this.renderContext();
    this.autosize();
    this.input.focus();
  }

  /** Disable writing, saying why (a mute: views/chat-tools.js), or enable it again with null. */
  setBlocked(reason) {
    this.el.classList.toggle("composer-blocked", Boolean(reason));
    this.input.disabled = Boolean(reason);
    this.input.placeholder = reason || t("composer.placeholder");
    this.input.title = reason || "";
    for (const button of this.el.querySelectorAll(".composer-tools button, .composer-send")) button.disabled = Boolean(reason);
  }

  renderContext() {
    const target = this.editing || this.reply;
    this.context.hidden = !target;
    this.sendButton.textContent = this.editing ? t("action.save") : t("composer.send");
    if (!target) return;
    const label = this.editing
      ? t("composer.editing")
      : t("composer.replyingTo", { name: displayName(target.sender_id) });
    this.context.replaceChildren(
      icon(this.editing ? "edit" : "reply", "icon-sm"),
      h("span", { class: "composer-context-label", text: label }),
      h("span", { class: "composer-context-text ellipsis", text: this.editing ? "" : messageSummary(target) }),
      h("button", {
        class: "icon-btn", type: "button", "aria-label": t("action.cancel"), title: `${t("action.cancel")} (Esc)`,
        on: { click: () => this.clearContext() },
      }, icon("close", "icon-sm")),
    );
  }
}
