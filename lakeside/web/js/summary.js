// What messages say in one line: system sentences ("张三 added 李四") and previews for the
// conversation list, notifications and quotes. Reads names from the session's store, so it stays
// out of format.js, which the log-in page loads.

import { t } from "./i18n/index.js";
import { displayName, state } from "./store.js";

export function nameOrYou(id) {
  return state.me && id === state.me.id ? t("you") : displayName(id);
}

/** What a system message's body says: {action, user_ids, title}; null if it is not JSON. */
export function systemData(message) {
  try {
    const data = JSON.parse(message.body || "{}");
    return data && typeof data === "object" ? data : null;
  } catch {
    return null;
  }
}

/** The sentence a system message stands for ("张三 added 李四", "张三 joined the group"). */
export function systemText(message) {
  const data = systemData(message);
  if (!data) return message.body;
  const ids = data.user_ids || [];
  // Someone who joined by themselves (an invitation link, an approved request) "joined"; nobody
  // "added" themselves.
  const action = data.action === "members_added" && ids.length === 1 && ids[0] === message.sender_id ? "member_joined" : data.action;
  const actor = nameOrYou(message.sender_id);
  const names = ids.map(nameOrYou).join(t("list.separator"));
  const key = `system.${action}`;
  const text = t(key, { actor, names, title: data.title || "" });
  return text === key ? t("system.unknown") : text;
}

const MARKDOWN_MARKS = /(^|\n)\s{0,3}(#{1,6}\s|>\s?|[-*+]\s|\d+\.\s)|[*_~`]{1,3}|\[([^\]]*)\]\([^)]*\)/g;

/** One line for a message or a conversation's last-message preview. */
export function messageSummary(message) {
  if (!message) return "";
  if (message.recalled) {
    return state.me && message.sender_id === state.me.id
      ? t("msg.recalledByYou")
      : t("msg.recalledBy", { name: displayName(message.sender_id) });
  }
  switch (message.kind) {
    case "image":
      return t("msg.imageSummary");
    case "file":
      return `${t("msg.fileSummary")} ${message.file ? message.file.filename : message.file_name || message.body || ""}`.trim();
    case "voice":
      return t("msg.voiceSummary");
    case "forward":
      return t("msg.recordSummary");
    case "system":
      return systemText(message);
    case "markdown":
      return (message.body || "").replace(MARKDOWN_MARKS, (match, lead, block, link) => link ?? (lead || "")).replace(/\s+/g, " ").trim();
    default:
      return (message.body || "").replace(/\s+/g, " ").trim();
  }
}
