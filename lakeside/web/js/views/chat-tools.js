// What sits above a conversation's messages: the group notice until you confirm it (群公告), and
// the pinned messages (置顶消息); and why the composer is disabled when you are muted (禁言).
// Both bars follow their live events (group_notice.*, message_pin.*) and read again what changed.

import { api } from "../api.js";
import { h, replaceChildren } from "../dom.js";
import { errorText } from "../errors.js";
import { formatDateTime } from "../format.js";
import { messageSummary } from "../summary.js";
import { t } from "../i18n/index.js";
import { icon } from "../icons.js";
import { displayName, on } from "../store.js";
import { closePopover, openPopover } from "../components/popover.js";
import { toast } from "../components/toast.js";

const MANAGERS = ["owner", "admin"];
const LONGEST_TIMER_MS = 2 ** 31 - 1;

/** Why the caller may not send in the conversation now ({text, until}), or null. */
export function muteReason(conversation, now = Date.now()) {
  if (!conversation) return null;
  if (conversation.kind === "notice") return { text: t("workNotice.readOnly"), until: null };
  if (conversation.mute_all && !MANAGERS.includes(conversation.role)) return { text: t("mute.composerAll"), until: null };
  const mine = conversation.my_mute;
  if (!mine || (mine.until !== null && mine.until <= now)) return null;
  return {
    text: mine.until === null ? t("mute.composerForever") : t("mute.composerMember", { time: formatDateTime(mine.until) }),
    until: mine.until,
  };
}

/** Keeps the composer disabled, with the reason shown, while the caller is muted; a timed mute
 * ends by itself (no event comes), so a timer lifts it. Returns {update, destroy}. */
export function muteGuard(composer, getConversation, otherReason = () => null) {
  let timer = null;
  function update() {
    clearTimeout(timer);
    const other = otherReason(); // e.g. the other person deleted their account
    const reason = other ? { text: other, until: null } : muteReason(getConversation());
    composer.setBlocked(reason ? reason.text : null);
    if (reason && reason.until !== null) timer = setTimeout(update, Math.min(LONGEST_TIMER_MS, reason.until - Date.now() + 50));
  }
  update();
  return { update, destroy: () => clearTimeout(timer) };
}

export function mountChatTools(conversationId, { getConversation, onJump }) {
  const base = `/conversations/${conversationId}`;
  const noticeBar = h("section", { class: "notice-bar", hidden: true, "aria-label": t("notice.title") });
  const pinBar = h("div", { class: "pin-bar", hidden: true });
  const el = h("div", { class: "chat-tools" }, noticeBar, pinBar);
  const unsubscribe = [];
  let pins = [];
  let notice = null;
  let alive = true;

  const canPin = () => {
    const conversation = getConversation();
    return conversation.kind === "direct" || MANAGERS.includes(conversation.role);
  };

  async function loadNotice() {
    if (getConversation().kind === "direct") return;
    try {
      notice = (await api.get(`${base}/notice`)).notice;
    } catch {
      notice = null;
    }
    if (alive) renderNotice();
  }

  function renderNotice() {
    noticeBar.hidden = !notice || notice.acknowledged;
    if (noticeBar.hidden) return replaceChildren(noticeBar);
    const body = h("p", { class: "notice-body", text: notice.body });
    const toggle = () => body.classList.toggle("expanded");
    body.addEventListener("click", toggle);
    replaceChildren(noticeBar,
      h("div", { class: "notice-head" }, icon("megaphone", "icon-sm"), h("strong", { text: t("notice.title") }),
        h("span", { class: "notice-meta muted", text: `${displayName(notice.updated_by)} · ${formatDateTime(notice.updated_at)}` })),
      body,
      h("button", {
        class: "btn btn-primary btn-sm notice-confirm", type: "button", text: t("notice.confirm"), "aria-label": t("notice.confirmLabel"),
        on: { click: acknowledge },
      }));
  }

  async function acknowledge(event) {
    event.currentTarget.disabled = true;
    try {
      notice = await api.post(`${base}/notice/ack`, { version: notice.version });
      toast(t("notice.confirmed"));
    } catch (error) {
      toast(errorText(error), "error");
      await loadNotice();
      return;
    }
    renderNotice();
  }

  async function loadPins() {
    try {
      pins = await api.get(`${base}/pins`);
    } catch {
      pins = [];
    }
    if (alive) renderPins();
  }

  function summary(pin) {
    return t("pins.summary", { name: displayName(pin.message.sender_id), text: messageSummary(pin.message) });
  }

  function renderPins() {
    pinBar.hidden = pins.length === 0;
    if (!pins.length) return replaceChildren(pinBar);
    const [latest] = pins;
    const all = h("button", {
      class: "icon-btn pin-all", type: "button", "aria-label": t("pins.show"), title: t("pins.show"), "aria-haspopup": "dialog",
      on: { click: () => openList(all) },
    }, icon("chevronDown", "icon-sm"));
    replaceChildren(pinBar,
      h("button", { class: "pin-latest", type: "button", title: t("pins.title"), on: { click: () => onJump(latest.message.seq) } },
        icon("pin", "icon-sm"),
        h("span", { class: "pin-label", text: pins.length > 1 ? t("pins.count", { n: pins.length }) : t("pins.title") }),
        h("span", { class: "pin-text ellipsis", text: summary(latest) })),
      all);
  }

  function openList(anchor) {
    const rows = pins.map((pin) => h("li", { class: "pin-row" },
      h("button", { class: "pin-row-main", type: "button", on: { click: () => { closePopover(); onJump(pin.message.seq); } } },
        h("span", { class: "pin-row-text", text: summary(pin) }),
        h("span", { class: "pin-row-meta muted", text: `${t("pins.by", { name: displayName(pin.pinned_by) })} · ${formatDateTime(pin.pinned_at)}` })),
      canPin() ? h("button", {
        class: "icon-btn", type: "button", "aria-label": t("pins.unpin"), title: t("pins.unpin"),
        on: { click: () => { closePopover(); unpin(pin.message); } },
      }, icon("close", "icon-sm")) : null));
    openPopover(anchor, h("div", { class: "pin-list" }, h("h3", { class: "pin-list-title", text: t("pins.title") }), h("ul", {}, rows)),
      { label: t("pins.title"), className: "pin-popover" });
  }

  async function pin(message) {
    try {
      await api.put(`${base}/pins/${message.id}`);
      toast(t("pins.pinned"));
    } catch (error) {
      toast(errorText(error), "error");
    }
  }

  async function unpin(message) {
    try {
      await api.del(`${base}/pins/${message.id}`);
      toast(t("pins.unpinned"));
    } catch (error) {
      toast(errorText(error), "error");
    }
  }

  const ours = (event) => event.conversation_id === conversationId;
  unsubscribe.push(
    on("event:message_pin", (event) => ours(event) && loadPins()),
    on("event:group_notice", (event) => ours(event) && loadNotice()),
    on("users", () => { renderPins(); renderNotice(); }),
  );
  loadNotice();
  loadPins();

  return {
    el,
    canPin,
    isPinned: (messageId) => pins.some((item) => item.message.id === messageId),
    pin,
    unpin,
    destroy() {
      alive = false;
      for (const fn of unsubscribe) fn();
    },
  };
}
