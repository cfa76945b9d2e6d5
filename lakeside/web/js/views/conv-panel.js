// The side panel of a conversation: for a group its name, members and their roles (with the
// owner's and admins' tools), pin and mute, leaving; for a direct chat the other person.

import { setConversationSettings } from "../actions.js";
import { api } from "../api.js";
import { h, replaceChildren } from "../dom.js";
import { errorText } from "../errors.js";
import { t } from "../i18n/index.js";
import { icon } from "../icons.js";
import { navigate } from "../router.js";
import { conversationTitle, displayName, on, removeConversation, state, upsertConversation } from "../store.js";
import { conversationAvatar, userAvatar } from "../components/avatar.js";
import { confirmDialog, openModal, promptDialog } from "../components/modal.js";
import { openMenu } from "../components/popover.js";
import { toast } from "../components/toast.js";
import { userPicker } from "../components/user-picker.js";
import { groupPanel } from "./group-admin.js";
import { outgoingPanel } from "./group-outgoing.js";

export function mountPanel(root, conversationId, { onClose }) {
  let members = [];
  const unsubscribe = [];
  const conversation = () => state.conversations.get(conversationId);
  const guard = (promise) => promise.catch((error) => toast(errorText(error), "error"));
  // The group notice, mute, invite link and join requests (views/group-admin.js).
  const tools = groupPanel(conversationId, { getConversation: conversation, rerender: () => render() });
  // Outgoing robots, for the owner and admins (views/group-outgoing.js).
  const outgoing = outgoingPanel(conversationId, { getConversation: conversation, rerender: () => render() });

  function render() {
    const now = conversation();
    if (!now) return;
    const manager = ["owner", "admin"].includes(now.role);
    const head = h("header", { class: "panel-head" },
      h("h2", { class: "panel-title", text: t("conv.details") }),
      h("button", { class: "icon-btn", type: "button", "aria-label": t("action.close"), title: `${t("action.close")} (Esc)`, on: { click: onClose } }, icon("close")));
    const photo = now.kind === "group" && manager
      ? h("button", { class: "panel-photo", type: "button", "aria-label": t("group.photo"), title: t("group.photo"), on: { click: choosePhoto } },
        conversationAvatar(now, { size: "lg" }), h("span", { class: "panel-photo-edit", "aria-hidden": "true" }, icon("image", "icon-sm")))
      : conversationAvatar(now, { size: "lg" });
    const profile = h("div", { class: "panel-profile" }, photo,
      h("div", { class: "panel-name" },
        h("span", { class: "ellipsis", text: conversationTitle(now) }),
        now.kind === "group" && manager ? h("button", {
          class: "icon-btn", type: "button", "aria-label": t("group.rename"), title: t("group.rename"), on: { click: rename },
        }, icon("edit", "icon-sm")) : null),
      now.kind === "direct" && now.peer ? h("span", { class: "muted", text: `@${now.peer.username}` })
        : h("span", { class: "muted", text: t("conv.members", { n: now.member_count }) }));
    const toggles = h("div", { class: "panel-section" },
      toggle(t("chats.pin"), now.pinned, (value) => guard(setConversationSettings(conversationId, { pinned: value }))),
      toggle(t("chats.muteLong"), now.muted, (value) => guard(setConversationSettings(conversationId, { muted: value }))));
    const sections = [head, h("div", { class: "panel-body scroll" }, profile, toggles, ...tools.sections(), outgoing.section(), now.kind === "group" ? memberSection(now) : null,
      now.kind === "group" ? h("div", { class: "panel-section" }, h("button", { class: "btn btn-danger btn-block", type: "button", text: t("group.leave"), on: { click: leave } })) : null,
      now.kind === "direct" && now.peer ? h("div", { class: "panel-section" }, h("a", { class: "btn btn-block", href: `#/contacts/user/${now.peer.id}`, text: t("contacts.profile") })) : null)];
    replaceChildren(root, ...sections);
  }

  function toggle(label, value, onChange) {
    const box = h("input", { type: "checkbox", class: "switch", checked: value, role: "switch", "aria-checked": String(value) });
    box.addEventListener("change", () => onChange(box.checked));
    return h("label", { class: "panel-toggle" }, h("span", { text: label }), box);
  }

  function memberSection(now) {
    const mine = now.role;
    const rows = members.map((member) => {
      const roleLabel = member.role === "member" ? null : h("span", { class: ["role-tag", member.role], text: t(`role.${member.role}`) });
      const canRemove = member.user.id !== state.me.id && (mine === "owner" || (mine === "admin" && member.role === "member"));
      const canRole = mine === "owner" && member.user.id !== state.me.id;
      const more = canRemove || canRole || tools.canMute(member) ? h("button", {
        class: "icon-btn member-more", type: "button", "aria-label": t("group.memberOptions", { name: displayName(member.user.id, member.user.display_name) }),
        on: { click: (event) => memberMenu(member, event.currentTarget, canRemove, canRole) },
      }, icon("more", "icon-sm")) : null;
      return h("li", { class: "member-row" }, userAvatar(member.user.id, { size: "sm", presence: true }),
        h("span", { class: "member-name ellipsis", text: displayName(member.user.id, member.user.display_name) }), tools.muteTag(member), roleLabel, more);
    });
    if (now.member_count > members.length && members.length) rows.push(h("li", { class: "muted member-more-note", text: t("group.moreMembers", { n: now.member_count - members.length }) }));
    return h("div", { class: "panel-section" },
      h("div", { class: "panel-section-head" }, h("h3", { text: t("group.members") }),
        h("button", { class: "btn btn-sm", type: "button", on: { click: addMembers } }, icon("userPlus", "icon-sm"), t("group.add"))),
      h("ul", { class: "member-list" }, rows));
  }

  function memberMenu(member, anchor, canRemove, canRole) {
    const id = member.user.id;
    const base = `/conversations/${conversationId}`;
    openMenu(anchor, [
      { label: t("group.makeAdmin"), icon: "user", hidden: !canRole || member.role !== "member", onSelect: () => guard(api.put(`${base}/members/${id}/role`, { role: "admin" })) },
      { label: t("group.removeAdmin"), icon: "user", hidden: !canRole || member.role !== "admin", onSelect: () => guard(api.put(`${base}/members/${id}/role`, { role: "member" })) },
      { label: t("group.transfer"), icon: "users", hidden: !canRole, onSelect: async () => {
        const ok = await confirmDialog({ title: t("group.transfer"), message: t("group.transferConfirm", { name: displayName(id) }), confirmLabel: t("group.transfer") });
        if (ok) guard(api.post(`${base}/transfer`, { user_id: id }));
      } },
      { label: t("group.remove"), icon: "close", danger: true, hidden: !canRemove, onSelect: async () => {
        const ok = await confirmDialog({ title: t("group.remove"), message: t("group.removeConfirm", { name: displayName(id) }), confirmLabel: t("group.remove"), danger: true });
        if (ok) guard(api.del(`${base}/members/${id}`));
      } },
      ...tools.muteItems(member, anchor),
    ], { label: t("group.memberOptions", { name: displayName(id) }) });
  }

  function choosePhoto() {
    const input = h("input", { type: "file", accept: "image/*" });
    input.addEventListener("change", async () => {
      const [file] = input.files;
      if (!file) return;
      try {
        const uploaded = await api.upload("/files", file);
        upsertConversation(await api.patch(`/conversations/${conversationId}`, { avatar_file_id: uploaded.id }));
      } catch (error) {
        toast(errorText(error), "error");
      }
    });
    input.click();
  }

  async function rename() {
    const title = await promptDialog({ title: t("group.rename"), label: t("group.name"), value: conversation().title || "", maxLength: 64 });
    if (title) guard(api.patch(`/conversations/${conversationId}`, { title }).then(upsertConversation));
  }

  function addMembers() {
    const picker = userPicker({ exclude: new Set(members.map((member) => member.user.id)) });
    const add = h("button", { class: "btn btn-primary", type: "button", text: t("group.add") });
    const modal = openModal({ title: t("group.addTitle"), body: picker.el, wide: true,
      actions: [h("button", { class: "btn", type: "button", text: t("action.cancel"), on: { click: () => modal.close() } }), add] });
    add.addEventListener("click", async () => {
      if (!picker.chosen.size) return modal.close();
      add.disabled = true;
      try {
        upsertConversation(await api.post(`/conversations/${conversationId}/members`, { user_ids: [...picker.chosen] }));
        modal.close();
      } catch (error) {
        add.disabled = false;
        toast(errorText(error), "error");
      }
    });
  }

  async function leave() {
    const ok = await confirmDialog({ title: t("group.leave"), message: t("group.leaveConfirm", { name: conversationTitle(conversation()) }), confirmLabel: t("group.leave"), danger: true });
    if (!ok) return;
    try {
      await api.post(`/conversations/${conversationId}/leave`);
      navigate("chats", { replace: true }); // closes this view before the conversation goes
      removeConversation(conversationId);
    } catch (error) {
      toast(errorText(error), "error");
    }
  }

  unsubscribe.push(on(`conversation:${conversationId}`, render), on("presence", render), on("users", render), on("friends", render));
  render();
  return {
    setMembers(list) {
      const order = { owner: 0, admin: 1, member: 2 };
      members = [...list].sort((a, b) => order[a.role] - order[b.role]);
      render();
    },
    destroy() {
      for (const fn of unsubscribe) fn();
      tools.destroy();
    },
  };
}
