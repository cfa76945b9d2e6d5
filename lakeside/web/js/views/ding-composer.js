// Writing a DING: the text (or a message being DINGed), colleagues chosen from the organization's
// directory (or from the conversation's members), and optionally a time to send it later.

import { api } from "../api.js";
import { h } from "../dom.js";
import { errorText } from "../errors.js";
import { formatDateTime } from "../format.js";
import { messageSummary } from "../summary.js";
import { t } from "../i18n/index.js";
import { displayName, rememberUser, state } from "../store.js";
import { openModal } from "../components/modal.js";
import { toast } from "../components/toast.js";
import { searchPicker } from "../components/user-picker.js";
import { dingPath } from "./ding-state.js";

const MAX_AHEAD_MS = 30 * 86_400_000;

function memberPerson(member) {
  rememberUser({ id: member.user_id, username: member.username, display_name: member.display_name, avatar_url: member.avatar_url });
  const meta = [member.title, ...(member.departments || []).map((seat) => seat.name)].filter(Boolean).join(" · ");
  return { id: member.user_id, name: member.name || member.display_name, meta: meta || `@${member.username}` };
}

/** "2025-03-05T14:30" for a datetime-local input, in local time. */
function localInput(ms) {
  const date = new Date(ms - new Date(ms).getTimezoneOffset() * 60_000);
  return date.toISOString().slice(0, 16);
}

/**
 * Opens the composer. With `message` (and its `conversation`), the DING is that message and goes
 * to members of the conversation. `onSent(ding)` is called with the stored DING.
 */
export function openDingComposer({ orgId, message = null, conversation = null, onSent = () => {} }) {
  const error = h("div", { class: "form-error", role: "alert", hidden: true });
  const text = message
    ? h("blockquote", { class: "ding-quote" },
      h("span", { class: "ding-quote-name", text: displayName(message.sender_id) }),
      h("span", { class: "ding-quote-text", text: messageSummary(message) }))
    : h("textarea", {
      class: "textarea ding-text", id: "ding-text", maxlength: 4000, rows: 4, autofocus: true,
      placeholder: t("ding.textPlaceholder"), "aria-label": t("ding.text"),
    });

  let members = null;
  async function search(query) {
    if (conversation) {
      if (!members) {
        const found = await api.get(`/conversations/${conversation.id}/members`, { limit: 1000 });
        members = found.map((member) => {
          rememberUser(member.user);
          return { id: member.user.id, name: displayName(member.user.id, member.user.display_name), meta: `@${member.user.username}` };
        });
      }
      const q = query.toLowerCase();
      return members.filter((person) => !q || person.name.toLowerCase().includes(q) || person.meta.toLowerCase().includes(q));
    }
    const page = await api.get(`/orgs/${orgId}/members`, { q: query || null, limit: 50 });
    return page.members.map(memberPerson);
  }

  const picker = searchPicker({
    search, exclude: new Set([state.me.id]), placeholder: t("ding.findPeople"), onChange: () => { error.hidden = true; },
  });
  const everyone = conversation
    ? h("button", {
      class: "link-btn ding-everyone", type: "button", text: t("ding.everyoneHere"),
      on: { click: async () => { await search(""); picker.choose(members); } },
    })
    : null;

  const later = h("input", { type: "checkbox", id: "ding-later" });
  const when = h("input", { class: "input ding-when", type: "datetime-local", id: "ding-when", hidden: true, "aria-label": t("ding.sendAt") });
  later.addEventListener("change", () => {
    when.hidden = !later.checked;
    if (later.checked && !when.value) when.value = localInput(Date.now() + 3_600_000 - (Date.now() % 60_000));
    if (later.checked) when.focus();
    send.textContent = later.checked ? t("ding.schedule") : t("ding.send");
  });
  when.min = localInput(Date.now());

  const send = h("button", { class: "btn btn-primary ding-send", type: "button", text: t("ding.send") });
  const modal = openModal({
    title: message ? t("ding.thisMessage") : t("ding.new"),
    wide: true,
    className: "ding-composer",
    body: h("div", {}, error,
      h("div", { class: "field" }, message ? h("span", { class: "field-label", text: t("ding.message") }) : h("label", { for: "ding-text", text: t("ding.text") }), text),
      h("div", { class: "field" }, h("div", { class: "row ding-to-head" }, h("span", { class: "field-label grow", text: t("ding.to") }), everyone), picker.el),
      h("div", { class: "field ding-later-field" },
        h("label", { class: "checkbox", for: "ding-later" }, later, h("span", { text: t("ding.later") })), when)),
    actions: [h("button", { class: "btn", type: "button", text: t("action.cancel"), on: { click: () => modal.close() } }), send],
  });

  function fail(textValue, focus = null) {
    error.textContent = textValue;
    error.hidden = false;
    if (focus) focus.focus();
  }

  send.addEventListener("click", async () => {
    const body = message ? null : text.value.trim();
    if (!message && !body) return fail(t("ding.needText"), text);
    if (!picker.chosen.size) return fail(t("ding.needPeople"));
    let sendAt = null;
    if (later.checked) {
      sendAt = when.value ? new Date(when.value).getTime() : NaN;
      if (!Number.isFinite(sendAt) || sendAt <= Date.now() || sendAt > Date.now() + MAX_AHEAD_MS) {
        return fail(t("ding.badTime"), when);
      }
    }
    send.disabled = true;
    try {
      const ding = await api.post(dingPath(orgId), {
        recipient_ids: [...picker.chosen], body, message_id: message ? message.id : null, send_at: sendAt,
      });
      modal.close();
      toast(ding.status === "scheduled" ? t("ding.scheduledFor", { time: formatDateTime(ding.send_at) }) : t("ding.sent", { n: ding.recipient_count }));
      onSent(ding);
    } catch (err) {
      send.disabled = false;
      fail(errorText(err));
    }
  });
}

/** The organization an organization group belongs to: the all-staff group, or a department's. */
export async function orgOfConversation(conversation, orgs) {
  if (!conversation || !["org_all", "department"].includes(conversation.kind)) return null;
  const direct = orgs.find((org) => org.all_staff_conversation_id === conversation.id);
  if (direct) return direct.id;
  for (const org of orgs) {
    const departments = await api.get(`/orgs/${org.id}/departments`).catch(() => []);
    if (departments.some((department) => department.conversation_id === conversation.id)) return org.id;
  }
  return null;
}
