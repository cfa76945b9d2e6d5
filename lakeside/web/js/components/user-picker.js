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

/**
 * Choosing people found by a search (members of an organization, of a conversation): the same
 * rows, with `search(query)` resolving to [{id, name, meta}] (debounced, latest answer wins) and
 * the chosen shown as removable chips, since a new search hides them from the list.
 */
export function searchPicker({ search, exclude = new Set(), onChange = () => {}, placeholder = t("picker.filter") }) {
  const chosen = new Set();
  const names = new Map();
  const filter = h("input", { class: "input", type: "search", placeholder, "aria-label": placeholder });
  const chips = h("div", { class: "picker-chips" });
  const list = h("ul", { class: "picker-list scroll", "aria-live": "polite" });
  const count = h("div", { class: "picker-count muted" });
  let asked = 0;

  function toggle(id, on) {
    if (on) chosen.add(id);
    else chosen.delete(id);
    renderChosen();
    onChange(chosen);
  }

  function row(person) {
    names.set(person.id, person.name);
    const box = h("input", { type: "checkbox", checked: chosen.has(person.id), value: String(person.id) });
    box.addEventListener("change", () => toggle(person.id, box.checked));
    return h("li", {}, h("label", { class: "picker-row" }, box, userAvatar(person.id, { size: "sm" }),
      h("span", { class: "picker-name ellipsis", text: person.name }),
      person.meta ? h("span", { class: "muted ellipsis picker-meta", text: person.meta }) : null));
  }

  async function find() {
    const ticket = ++asked;
    let people = [];
    try {
      people = (await search(filter.value.trim())).filter((person) => !exclude.has(person.id));
    } catch {
      people = null;
    }
    if (ticket !== asked) return;
    const rows = people ? people.map(row) : [];
    if (!rows.length) rows.push(h("li", { class: "list-empty", text: t("picker.noMatch") }));
    list.replaceChildren(...rows);
  }

  function renderChosen() {
    count.textContent = t("picker.chosen", { n: chosen.size });
    chips.replaceChildren(...[...chosen].map((id) => h("button", {
      class: "picker-chip", type: "button", title: names.get(id) || "", "aria-label": `${names.get(id) || ""} ×`,
      on: {
        click: () => {
          toggle(id, false);
          const box = list.querySelector(`input[value="${id}"]`);
          if (box) box.checked = false;
        },
      },
    }, h("span", { class: "ellipsis", text: names.get(id) || `#${id}` }), h("span", { "aria-hidden": "true", text: "×" }))));
    chips.hidden = chosen.size === 0;
  }

  let timer = null;
  filter.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(find, 200);
  });
  find();
  renderChosen();
  return {
    el: h("div", { class: "picker" }, filter, chips, list, count),
    chosen,
    /** Choose people from outside (e.g. "everyone in this chat"). */
    choose(people) {
      for (const person of people) {
        if (exclude.has(person.id)) continue;
        names.set(person.id, person.name);
        chosen.add(person.id);
      }
      for (const box of list.querySelectorAll("input[type=checkbox]")) box.checked = chosen.has(Number(box.value));
      renderChosen();
      onChange(chosen);
    },
  };
}
