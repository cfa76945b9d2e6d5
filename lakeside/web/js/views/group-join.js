// Joining a group through its invite link or QR code: /g/TOKEN opens the page at #/g/TOKEN, which
// shows the group's card (name, photo, size) and joins it, or asks to when the group wants
// approval. Also tells the requester, wherever they are in the app, when their request is decided.

import { api } from "../api.js";
import { h, replaceChildren } from "../dom.js";
import { errorText } from "../errors.js";
import { t } from "../i18n/index.js";
import { navigate, onRoute, parseRoute } from "../router.js";
import { on, refreshConversation, state } from "../store.js";
import { avatar } from "../components/avatar.js";
import { openModal } from "../components/modal.js";
import { toast } from "../components/toast.js";

export function openGroupJoin(token) {
  const body = h("div", { class: "join-preview", "aria-live": "polite" }, h("span", { class: "spinner" }));
  const message = h("input", { class: "input", id: "group-join-message", maxlength: 256, placeholder: t("groupJoin.message") });
  const messageField = h("div", { class: "field", hidden: true }, h("label", { for: "group-join-message", text: t("groupJoin.message") }), message);
  const action = h("button", { class: "btn btn-primary", type: "button", disabled: true, text: t("groupJoin.join") });
  const modal = openModal({
    title: t("groupJoin.title"),
    body: h("div", { class: "join-form" }, body, messageField),
    actions: [h("button", { class: "btn", type: "button", text: t("action.cancel"), on: { click: () => modal.close() } }), action],
  });
  let group = null;

  function render() {
    const standing = group.is_member ? t("groupJoin.already")
      : group.pending_request ? t("groupJoin.pending")
        : group.join_approval ? t("groupJoin.needsApproval") : t("groupJoin.atOnce");
    replaceChildren(body, h("div", { class: "join-card" },
      avatar({ id: group.conversation_id, name: group.title, url: group.avatar_url, size: "lg", group: true }),
      h("div", { class: "join-card-text" },
        h("strong", { class: "join-card-name", text: group.title }),
        h("span", { class: "muted", text: t("groupJoin.members", { n: group.member_count }) }),
        h("span", { class: "muted", text: standing }))));
    messageField.hidden = group.is_member || Boolean(group.pending_request) || !group.join_approval;
    action.disabled = Boolean(group.pending_request);
    action.textContent = group.is_member ? t("groupJoin.open") : group.join_approval ? t("groupJoin.ask") : t("groupJoin.join");
  }

  action.addEventListener("click", async () => {
    if (group.is_member) {
      modal.close();
      navigate(`chats/${group.conversation_id}`);
      return;
    }
    action.disabled = true;
    try {
      const answer = await api.post(`/group-invitations/${encodeURIComponent(token)}/join`, { message: message.value.trim() });
      modal.close();
      if (answer.status === "joined") {
        toast(t("groupJoin.joined", { title: group.title }));
        await refreshConversation(group.conversation_id);
        navigate(`chats/${group.conversation_id}`);
      } else {
        toast(t("groupJoin.requested", { title: group.title }));
      }
    } catch (error) {
      action.disabled = false;
      toast(errorText(error), "error");
    }
  });

  api.get(`/group-invitations/${encodeURIComponent(token)}`).then((found) => {
    group = found;
    render();
  }, (error) => replaceChildren(body, h("p", { class: "form-error", text: errorText(error) })));
}

/** Opens the card when the page is at #/g/TOKEN (now or later), tells the owner and admins of new
 * requests and the requester of decisions; returns the function that stops all that. */
export function watchGroupJoinRoute() {
  const check = (route) => {
    if (route.section !== "g" || !route.parts[0]) return;
    navigate("chats", { replace: true });
    openGroupJoin(route.parts[0]);
  };
  check(parseRoute());
  const offRoute = onRoute(check);
  const offDecided = on("event:group_join_request", (event) => {
    const request = event.data || {};
    const title = request.conversation_title || "";
    if (!state.me || !request.user) return;
    if (event.op === "created" && request.user.id !== state.me.id) {
      toast(t("invite.newRequest", { name: request.user.display_name, title }));
      return;
    }
    if (event.op !== "decided" || request.user.id !== state.me.id) return;
    if (request.status === "approved") toast(t("groupJoin.approved", { title }));
    else toast(t("groupJoin.rejectedToast", { title }));
  });
  return () => {
    offRoute();
    offDecided();
  };
}
