// @mention autocomplete for the composer: typing @ (or the full-width ＠ of a Chinese keyboard)
// and a few letters or characters lists matching members (by display name, your remark, or
// username); arrows choose, Enter or Tab inserts @display name and remembers who was picked, Esc
// closes. As in DingTalk, the text keeps a readable @张伟 and the send carries the picked ids
// (mention_ids), so two members called 张伟 stay apart. No space is needed before the @ in
// Chinese text (你好@张伟); after a Latin letter or digit one is added, or it would read as an
// e-mail address.

import { handleListKey } from "./listbox.js";
import { h } from "../dom.js";
import { t } from "../i18n/index.js";
import { displayName } from "../store.js";
import { userAvatar } from "./avatar.js";

// What comes before an @ that starts a mention (anything but what an e-mail address holds).
const TRIGGER = /(^|[^A-Za-z0-9_.+%\-@＠])[@＠]([^\s@＠]{0,32})$/;
const SHOWN = 8;
// The full-width ＠ a Chinese keyboard types.
export const FULL_WIDTH_AT = "\uFF20";
let counter = 0;

/** The text that mentions everyone in the language being written (the server reads both). */
export function everyoneWord() {
  return t("composer.mentionEveryone");
}

export class MentionPicker {
  /** getMembers() -> {users: [UserOut], all: boolean (may mention everyone)};
   * onPick({id, name}) is told each person picked (id null for everyone). */
  constructor(input, getMembers, onChange, onPick = () => {}) {
    counter += 1;
    this.input = input;
    this.getMembers = getMembers;
    this.onChange = onChange;
    this.onPick = onPick;
    this.items = [];
    this.active = 0;
    this.query = null;
    this.el = h("ul", { class: "mention-list", role: "listbox", id: `mentions-${counter}`, hidden: true, "aria-label": t("composer.mention") });
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-controls", this.el.id);
    input.addEventListener("blur", () => setTimeout(() => this.close(), 150));
  }

  get open() {
    return !this.el.hidden;
  }

  update() {
    const before = this.input.value.slice(0, this.input.selectionStart);
    const match = TRIGGER.exec(before);
    if (!match) {
      this.close();
      return;
    }
    this.query = match[2].toLowerCase();
    const { users, all } = this.getMembers();
    const found = users
      .filter((user) => {
        const name = displayName(user.id, user.display_name).toLowerCase();
        return user.username.toLowerCase().includes(this.query) || name.includes(this.query) ||
          user.display_name.toLowerCase().includes(this.query);
      })
      .slice(0, SHOWN)
      .map((user) => ({ username: user.username, user }));
    if (all && (["all", "所有人", t("mention.all").toLowerCase()].some((word) => word.startsWith(this.query)))) {
      found.unshift({ username: everyoneWord(), user: null });
    }
    this.items = found;
    this.active = 0;
    this.render();
  }

  render() {
    this.el.hidden = this.items.length === 0;
    if (this.el.hidden) {
      this.input.removeAttribute("aria-activedescendant");
      this.input.setAttribute("aria-expanded", "false");
      return;
    }
    this.input.setAttribute("aria-expanded", "true");
    this.el.replaceChildren(
      ...this.items.map((item, index) => {
        const id = `${this.el.id}-${index}`;
        const option = h(
          "li",
          {
            id, role: "option", class: ["mention-option", index === this.active && "active"],
            "aria-selected": String(index === this.active),
            on: { mousedown: (event) => { event.preventDefault(); this.choose(index); } },
          },
          item.user ? userAvatar(item.user.id, { size: "xs" }) : h("span", { class: "avatar avatar-xs c0", text: "@" }),
          h("span", { class: "mention-name", text: item.user ? displayName(item.user.id, item.user.display_name) : t("mention.all") }),
          h("span", { class: "mention-username", text: `@${item.username}` }),
        );
        return option;
      }),
    );
    this.input.setAttribute("aria-activedescendant", `${this.el.id}-${this.active}`);
  }

  handleKey(event) {
    return handleListKey(this, event);
  }

  choose(index) {
    const item = this.items[index];
    if (!item) return;
    // A person is written by their display name (what everyone sees, never your private remark).
    const name = item.user ? item.user.display_name : item.username;
    const caret = this.input.selectionStart;
    const typed = this.input.value.slice(0, caret);
    const at = Math.max(typed.lastIndexOf("@"), typed.lastIndexOf(FULL_WIDTH_AT));
    const lead = at > 0 && /[A-Za-z0-9_.+%-]/.test(typed[at - 1]) ? " " : "";
    const before = `${typed.slice(0, at)}${lead}@${name} `;
    this.input.value = before + this.input.value.slice(caret);
    this.input.selectionStart = this.input.selectionEnd = before.length;
    this.onPick({ id: item.user ? item.user.id : null, name });
    this.close();
    this.input.focus();
    this.onChange();
  }

  close() {
    this.items = [];
    this.render();
  }
}
