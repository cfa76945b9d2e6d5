// Starting a group: a name and friends to invite.

import { api } from "../api.js";
import { h } from "../dom.js";
import { errorText } from "../errors.js";
import { t } from "../i18n/index.js";
import { navigate } from "../router.js";
import { upsertConversation } from "../store.js";
import { openModal } from "../components/modal.js";
import { userPicker } from "../components/user-picker.js";

export function openNewGroup() {
  const name = h("input", { class: "input", id: "new-group-name", maxlength: 64, placeholder: t("group.namePlaceholder"), autofocus: true });
  const error = h("div", { class: "form-error", role: "alert", hidden: true });
  const picker = userPicker();
  const create = h("button", { class: "btn btn-primary", type: "button", text: t("group.create") });
  const modal = openModal({
    title: t("chats.newGroup"),
    wide: true,
    body: h("div", {}, error,
      h("div", { class: "field" }, h("label", { for: "new-group-name", text: t("group.name") }), name),
      h("div", { class: "field" }, h("span", { class: "field-label", text: t("group.members") }), picker.el)),
    actions: [h("button", { class: "btn", type: "button", text: t("action.cancel"), on: { click: () => modal.close() } }), create],
  });
  create.addEventListener("click", async () => {
    const title = name.value.trim();
    if (!title) {
      error.textContent = t("group.nameRequired");
      error.hidden = false;
      name.focus();
      return;
    }
    create.disabled = true;
    try {
      const conversation = await api.post("/conversations", { title, member_ids: [...picker.chosen] });
      upsertConversation(conversation);
      modal.close();
      navigate(`chats/${conversation.id}`);
    } catch (err) {
      create.disabled = false;
      error.textContent = errorText(err);
      error.hidden = false;
    }
  });
}
