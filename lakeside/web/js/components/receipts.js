// Who has read one of your messages and who has not (DingTalk's 已读 / 未读 lists), kept current
// while open.

import { api } from "../api.js";
import { debounce, h } from "../dom.js";
import { errorText } from "../errors.js";
import { t } from "../i18n/index.js";
import { displayName, on, rememberUser } from "../store.js";
import { userAvatar } from "./avatar.js";
import { openPopover } from "./popover.js";

export function openReceipts(anchor, message) {
  let tab = "unread";
  let data = null;
  const body = h("div", { class: "receipts" }, h("div", { class: "receipts-loading" }, h("span", { class: "spinner" })));
  const popover = openPopover(anchor, body, { label: t("receipt.title"), className: "receipts-popover" });

  function render() {
    if (!data) return;
    const tabs = ["unread", "read"].map((name) =>
      h("button", {
        class: ["tab", tab === name && "active"], type: "button", role: "tab", "aria-selected": String(tab === name),
        text: t(name === "unread" ? "receipt.unreadTab" : "receipt.readTab", { n: name === "unread" ? data.unread_count : data.read_count }),
        on: { click: () => { tab = name; render(); } },
      }));
    const people = tab === "unread" ? data.unread : data.read;
    const total = tab === "unread" ? data.unread_count : data.read_count;
    const rows = people.map((user) => h("li", { class: "receipt-person" }, userAvatar(user.id, { size: "xs" }),
      h("span", { class: "ellipsis", text: displayName(user.id, user.display_name) })));
    if (!rows.length) rows.push(h("li", { class: "receipt-empty", text: t(tab === "unread" ? "receipt.noneUnread" : "receipt.noneRead") }));
    if (total > people.length) rows.push(h("li", { class: "receipt-more muted", text: t("receipt.more", { n: total - people.length }) }));
    body.replaceChildren(h("div", { class: "tabs", role: "tablist" }, tabs), h("ul", { class: "receipt-list scroll" }, rows));
  }

  async function load() {
    try {
      data = await api.get(`/messages/${message.id}/receipts`);
      for (const user of [...data.read, ...data.unread]) rememberUser(user);
      render();
    } catch (error) {
      body.replaceChildren(h("p", { class: "receipt-empty", text: errorText(error) }));
    }
  }

  const reload = debounce(load, 300);
  const stop = on(`timeline:${message.conversation_id}`, (change) => {
    if (!popover.isConnected) return stop();
    if (change.kind === "receipts") reload();
  });
  load();
}
