// @mention autocomplete for the composer: typing @ and a few letters lists matching members (by
// username, name or your remark); arrows choose, Enter or Tab inserts @username, Esc closes.

import { h } from "../dom.js";
import { t } from "../i18n/index.js";
import { displayName } from "../store.js";
import { userAvatar } from "./avatar.js";

const TRIGGER = /(^|[^\w@])@([\w.-]{0,32})$/;
const SHOWN = 8;
let counter = 0;

export class MentionPicker {
  /** getMembers() -> {users: [UserOut], all: boolean (may mention everyone)} */
  constructor(input, getMembers, onChange) {
    counter += 1;
    this.input = input;
    this.getMembers = getMembers;
    this.onChange = onChange;
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
    if (all && "all".startsWith(this.query)) found.unshift({ username: "all", user: null });
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
    if (!this.open) return false;
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      const step = event.key === "ArrowDown" ? 1 : -1;
      this.active = (this.active + step + this.items.length) % this.items.length;
      this.render();
      return true;
    }
    if ((event.key === "Enter" && !event.isComposing) || event.key === "Tab") {
      event.preventDefault();
      this.choose(this.active);
      return true;
    }
    if (event.key === "Escape") {
      event.preventDefault();
      event.stopPropagation();
      this.close();
      return true;
    }
    return false;
  }

  choose(index) {
    const item = this.items[index];
    if (!item) return;
    const caret = this.input.selectionStart;
    const before = this.input.value.slice(0, caret).replace(/@[\w.-]*$/, `@${item.username} `);
    this.input.value = before + this.input.value.slice(caret);
    this.input.selectionStart = this.input.selectionEnd = before.length;
    this.close();
    this.input.focus();
    this.onChange();
  }

  close() {
    this.items = [];
    this.render();
  }
}
