// The group tools in a group's side panel: the group notice (everyone reads it; the owner and
// admins write it and see who has confirmed), and for the owner and admins mute-all, join
// approval, the invite link with its QR code, join requests and the group's robots
// (group-robots.js); plus muting one member from the
// member list. Follows group_notice.* and group_join_request.* live.

import { api } from "../api.js";
import { h, replaceChildren } from "../dom.js";
import { errorText } from "../errors.js";
import { formatDateTime } from "../format.js";
import { t } from "../i18n/index.js";
import { icon } from "../icons.js";
import { displayName, on, rememberUser, state, upsertConversation } from "../store.js";
import { userAvatar } from "../components/avatar.js";
import { confirmDialog, openModal } from "../components/modal.js";
import { openMenu } from "../components/popover.js";
import { toast } from "../components/toast.js";
import { robotsPanel } from "./group-robots.js";

const MANAGERS = ["owner", "admin"];
const DURATIONS = [["mute.for10m", 600], ["mute.for1h", 3600], ["mute.for1d", 86_400], ["mute.forever", null]];

export function groupPanel(conversationId, { getConversation, rerender }) {
  const base = `/conversations/${conversationId}`;
  const guard = (promise) => promise.catch((error) => toast(errorText(error), "error"));
  const unsubscribe = [];
  let notice = null;
  let progress = null; // {done, total} for the owner and admins
  let requests = [];

  const manager = () => MANAGERS.includes(getConversation().role);
  const robots = robotsPanel(conversationId, { rerender });
  const plainGroup = () => getConversation().kind === "group";

  async function load() {
    try {
      notice = (await api.get(`${base}/notice`)).notice;
      progress = null;
      if (notice && manager()) {
        const readers = await api.get(`${base}/notice/readers`);
        progress = { done: readers.acknowledged.length, total: readers.acknowledged.length + readers.pending.length };
      }
      requests = manager() && plainGroup() ? await api.get(`${base}/join-requests`) : [];
      if (manager()) robots.load();
      for (const request of requests) rememberUser(request.user);
    } catch {
      // The panel shows what it has; the next event asks again.
    }
    rerender();
  }

  function noticeSection() {
    const buttons = manager() ? h("span", { class: "row" },
      h("button", { class: "btn btn-sm", type: "button", text: notice ? t("notice.edit") : t("notice.set"), on: { click: editNotice } }),
      notice ? h("button", { class: "icon-btn", type: "button", "aria-label": t("notice.clear"), title: t("notice.clear"), on: { click: clearNotice } }, icon("trash", "icon-sm")) : null)
      : null;
    return h("div", { class: "panel-section panel-notice" },
      h("div", { class: "panel-section-head" }, h("h3", { text: t("notice.title") }), buttons),
      notice ? h("p", { class: "panel-notice-body", text: notice.body }) : h("p", { class: "muted", text: t("notice.none") }),
      notice && progress ? h("button", {
        class: "link-btn", type: "button", text: t("notice.progress", progress), on: { click: openReaders },
      }) : null);
  }

  function managerSection() {
    const now = getConversation();
    const rows = [
      toggle(t("mute.all"), t("mute.allHint"), now.mute_all, (value) => guard(api.put(`${base}/mute-all`, { enabled: value }).then(upsertConversation))),
    ];
    if (plainGroup()) {
      rows.push(
        toggle(t("invite.approval"), t("invite.approvalHint"), now.join_approval, (value) => guard(api.patch(base, { join_approval: value }).then(upsertConversation))),
        h("button", { class: "btn btn-block", type: "button", on: { click: openInvite } }, icon("qr", "icon-sm"), t("invite.open")),
      );
    }
    const section = [h("div", { class: "panel-section" }, rows)];
    if (plainGroup() && (now.join_approval || requests.length)) section.push(requestSection());
    return section;
  }

  function requestSection() {
    const rows = requests.map((request) => h("li", { class: "member-row join-request" },
      userAvatar(request.user.id, { size: "sm" }),
      h("span", { class: "member-name ellipsis" }, request.user.display_name,
        request.message ? h("span", { class: "muted block ellipsis", text: `“${request.message}”` }) : null),
      h("button", { class: "btn btn-sm btn-primary", type: "button", text: t("invite.approve"), on: { click: () => decide(request, true) } }),
      h("button", { class: "btn btn-sm", type: "button", text: t("invite.reject"), on: { click: () => decide(request, false) } })));
    return h("div", { class: "panel-section" },
      h("div", { class: "panel-section-head" }, h("h3", { text: `${t("invite.requests")} (${requests.length})` })),
      rows.length ? h("ul", { class: "member-list" }, rows) : h("p", { class: "muted", text: t("invite.noRequests") }));
  }

  function toggle(label, hint, value, onChange) {
    const box = h("input", { type: "checkbox", class: "switch", checked: value, role: "switch", "aria-checked": String(value), "aria-label": label });
    box.addEventListener("change", () => onChange(box.checked));
    return h("label", { class: "panel-toggle" }, h("span", {}, h("span", { text: label }), h("span", { class: "field-hint block", text: hint })), box);
  }

  async function decide(request, approve) {
    try {
      await api.post(`${base}/join-requests/${request.id}/${approve ? "approve" : "reject"}`);
      toast(approve ? t("invite.approved", { name: request.user.display_name }) : t("invite.rejected"));
    } catch (error) {
      toast(errorText(error), "error");
    }
    load();
  }

  function editNotice() {
    const input = h("textarea", { class: "input notice-editor", rows: "6", maxlength: 4000, placeholder: t("notice.placeholder"), "aria-label": t("notice.title"), autofocus: true });
    input.value = notice ? notice.body : "";
    const publish = h("button", { class: "btn btn-primary", type: "button", text: t("notice.publish") });
    const modal = openModal({ title: notice ? t("notice.edit") : t("notice.set"), body: input,
      actions: [h("button", { class: "btn", type: "button", text: t("action.cancel"), on: { click: () => modal.close() } }), publish] });
    publish.addEventListener("click", async () => {
      if (!input.value.trim()) return;
      publish.disabled = true;
      try {
        await api.put(`${base}/notice`, { body: input.value });
        modal.close();
      } catch (error) {
        publish.disabled = false;
        toast(errorText(error), "error");
      }
    });
  }

  async function clearNotice() {
    if (await confirmDialog({ title: t("notice.clear"), message: t("notice.clearConfirm"), confirmLabel: t("notice.clear"), danger: true })) {
      guard(api.del(`${base}/notice`));
    }
  }

  async function openReaders() {
    let readers;
    try {
      readers = await api.get(`${base}/notice/readers`);
    } catch (error) {
      toast(errorText(error), "error");
      return;
    }
    const person = (user, meta) => h("li", { class: "member-row" }, userAvatar(user.id, { size: "sm" }),
      h("span", { class: "member-name ellipsis", text: displayName(user.id, user.display_name) }), meta ? h("span", { class: "muted", text: meta }) : null);
    openModal({ title: t("notice.readers"), body: h("div", { class: "notice-readers" },
      h("h3", { class: "section-title", text: t("notice.pending", { n: readers.pending.length }) }),
      h("ul", { class: "member-list" }, readers.pending.map((user) => person(user, null))),
      h("h3", { class: "section-title", text: t("notice.acknowledged", { n: readers.acknowledged.length }) }),
      h("ul", { class: "member-list" }, readers.acknowledged.map((entry) => person(entry.user, formatDateTime(entry.acked_at))))) });
  }

  function openInvite() {
    const body = h("div", { class: "invite-link" });
    const modal = openModal({ title: t("invite.title"), body });
    async function render(link) {
      if (!link) {
        replaceChildren(body, h("p", { class: "muted", text: t("invite.none") }),
          h("button", { class: "btn btn-primary", type: "button", text: t("invite.create"), on: { click: () => make() } }));
        return;
      }
      const copy = () => navigator.clipboard.writeText(link.url).then(() => toast(t("invite.copied")));
      replaceChildren(body,
        h("img", { class: "invite-qr", src: `/api/v1${base}/invite-link/qr?v=${encodeURIComponent(link.token)}`, alt: t("invite.qrAlt"), width: 220, height: 220 }),
        h("p", { class: "field-hint", text: getConversation().join_approval ? t("invite.hintApproval") : t("invite.hint") }),
        h("div", { class: "row" }, h("input", { class: "input invite-url", readonly: true, value: link.url, "aria-label": t("invite.title") }),
          h("button", { class: "btn", type: "button", on: { click: copy } }, icon("copy", "icon-sm"), t("invite.copy"))),
        h("div", { class: "row invite-actions" },
          h("button", { class: "btn", type: "button", text: t("invite.reset"), on: { click: async () => {
            if (await confirmDialog({ title: t("invite.reset"), message: t("invite.resetConfirm"), confirmLabel: t("invite.reset") })) make();
          } } }),
          h("button", { class: "btn btn-danger", type: "button", text: t("invite.revoke"), on: { click: () => guard(api.del(`${base}/invite-link`).then(() => render(null))) } })));
    }
    async function make() {
      try {
        render(await api.post(`${base}/invite-link`, {}));
      } catch (error) {
        toast(errorText(error), "error");
      }
    }
    api.get(`${base}/invite-link`).then((answer) => render(answer.link), (error) => { toast(errorText(error), "error"); modal.close(); });
  }

  /** Whether the caller may mute this member (the owner: anyone else; admins: plain members). */
  function canMute(member) {
    const mine = getConversation().role;
    if (!MANAGERS.includes(mine) || !state.me || member.user.id === state.me.id || member.role === "owner") return false;
    return mine === "owner" || member.role === "member";
  }

  function muteItems(member, anchor) {
    if (!canMute(member)) return [];
    const path = `${base}/members/${member.user.id}/mute`;
    const name = displayName(member.user.id, member.user.display_name);
    return [
      { label: t("mute.member"), icon: "mute", hidden: Boolean(member.mute), onSelect: () => openMenu(anchor, DURATIONS.map(([key, seconds]) => ({
        label: t(key), onSelect: () => guard(api.put(path, { duration_seconds: seconds }).then(() => toast(t("mute.done", { name })))),
      })), { label: t("mute.member") }) },
      { label: t("mute.lift"), icon: "mute", hidden: !member.mute, onSelect: () => guard(api.del(path).then(() => toast(t("mute.lifted", { name })))) },
    ];
  }

  function muteTag(member) {
    if (!member.mute || (member.mute.until !== null && member.mute.until <= Date.now())) return null;
    const until = member.mute.until === null ? t("mute.forever") : formatDateTime(member.mute.until);
    return h("span", { class: "role-tag muted-tag", title: until, text: t("mute.tag") });
  }

  const ours = (event) => event.conversation_id === conversationId || (event.data && event.data.conversation_id === conversationId);
  unsubscribe.push(
    on("event:group_notice", (event) => ours(event) && load()),
    on("event:group_join_request", (event) => ours(event) && load()),
  );
  load();

  return {
    sections: () => (getConversation().kind === "direct" ? [] : [noticeSection(), ...(manager() ? [...managerSection(), robots.section()] : [])]),
    canMute,
    muteItems,
    muteTag,
    destroy() {
      for (const fn of unsubscribe) fn();
    },
  };
}
