// Desktop notifications while the tab is hidden (direct messages and mentions of you, never from
// muted conversations), and the unread count in the tab title.

import { t } from "./i18n/index.js";
import { conversationTitle, displayName, on, state, totalUnread } from "./store.js";
import { messageSummary } from "./summary.js";

const PREF_KEY = "lakeside.notifications";
const DISMISS_KEY = "lakeside.notifications.asked";
const FRESH_MS = 60_000; // replayed events after a long absence do not each ring

export const supported = () => "Notification" in window;

export function enabled() {
  return supported() && Notification.permission === "granted" && localStorage.getItem(PREF_KEY) !== "off";
}

export function setEnabled(value) {
  localStorage.setItem(PREF_KEY, value ? "on" : "off");
}

/** Whether to offer the "turn on notifications" prompt: only once, and only if undecided. */
export function shouldOffer() {
  return supported() && Notification.permission === "default" && !localStorage.getItem(DISMISS_KEY);
}

export function dismissOffer() {
  localStorage.setItem(DISMISS_KEY, "1");
}

export async function askPermission() {
  dismissOffer();
  if (!supported()) return false;
  const answer = await Notification.requestPermission();
  if (answer === "granted") setEnabled(true);
  return answer === "granted";
}

export function notifyMessage(conversation, message) {
  if (!state.me || message.sender_id === state.me.id || message.kind === "system") return;
  if (!document.hidden || conversation.muted || !enabled()) return;
  if (Date.now() - message.created_at > FRESH_MS) return;
  const mentioned = (message.mentions || []).includes(state.me.id) || message.mention_all;
  if (conversation.kind !== "direct" && !mentioned) return;
  const sender = displayName(message.sender_id);
  const title = conversation.kind === "direct" ? sender : conversationTitle(conversation);
  let body = messageSummary(message);
  if (conversation.kind !== "direct") body = `${sender}: ${body}`;
  if (mentioned && conversation.kind !== "direct") body = `${t("notify.mentioned")} ${body}`;
  try {
    const note = new Notification(title, { body, tag: `conversation-${conversation.id}`, renotify: true });
    note.addEventListener("click", () => {
      window.focus();
      window.location.hash = `#/chats/${conversation.id}`;
      note.close();
    });
  } catch {
    // Some browsers only allow notifications from a service worker; the title still counts.
  }
}

let baseTitle = "lakeside";

export function watchTitle() {
  const update = () => {
    const unread = state.me ? totalUnread() : 0;
    document.title = unread > 0 ? `(${unread > 99 ? "99+" : unread}) ${baseTitle}` : baseTitle;
  };
  on("conversations", update);
  on("lang", update);
  update();
  return update;
}

export function setBaseTitle(title) {
  baseTitle = title;
}
