// Choosing people from your friends (new group, add members): a filter box and checkboxes.

import { h } from "../dom.js";
import { t } from "../i18n/index.js";
import { displayName, state } from "../store.js";
import { userAvatar } from "./avatar.js";

export function userPicker({ exclude = new Set(), onChange = () => {} } = {}) {
  const chosen = new Set();
  const filter = h("input", { class: "input", type: "search", placeholder: t("picker.filter"), "aria-label": t("picker.filter") });
  const list = h("ul", { class: "picker-list scroll" });
  const count = h("div", { class: "picker-count muted" });

  const friends = [...state.friends.values()].filter((friend) => !exclude.has(friend.user.id));

  function render() {
    const query = filter.value.trim().toLowerCase();
    const rows = friends
      .filter((friend) => !query || [friend.user.username, friend.user.display_name, friend.remark || ""].some((text) => text.toLowerCase().includes(query)))
      .map((friend) => {
        const box = h("input", { type: "checkbox", checked: chosen.has(friend.user.id), value: String(friend.user.id) });
        box.addEventListener("change", () => {
          if (box.checked) chosen.add(friend.user.id);
          else chosen.delete(friend.user.id);
          renderCount();
          onChange(chosen);
        });
        return h("li", {}, h("label", { class: "picker-row" }, box, userAvatar(friend.user.id, { size: "sm" }),
          h("span", { class: "picker-name ellipsis", text: displayName(friend.user.id, friend.user.display_name) }),
          h("span", { class: "muted", text: `@${friend.user.username}` })));
      });
    if (!rows.length) rows.push(h("li", { class: "list-empty", text: friends.length ? t("picker.noMatch") : t("picker.noFriends") }));
    list.replaceChildren(...rows);
  }

  function renderCount() {
    count.textContent = t("picker.chosen", { n: chosen.size });
  }

  filter.addEventListener("input", render);
  render();
  renderCount();
  return { el: h("div", { class: "picker" }, filter, list, count), chosen };
}
