// Formatting for people: times and dates in the chosen language, sizes, initials, and the one-line
// summary of a message (conversation previews, notifications, quotes).

import { getLang, t } from "./i18n/index.js";
import { displayName, state } from "./store.js";

const DAY = 86_400_000;

function startOfDay(ms) {
  const date = new Date(ms);
  date.setHours(0, 0, 0, 0);
  return date.getTime();
}

const formatters = new Map();
function fmt(options) {
  const key = getLang() + JSON.stringify(options);
  if (!formatters.has(key)) formatters.set(key, new Intl.DateTimeFormat(getLang(), options));
  return formatters.get(key);
}

export function formatTime(ms, { seconds = false } = {}) {
  return fmt({ hour: "2-digit", minute: "2-digit", ...(seconds ? { second: "2-digit" } : {}), hour12: false }).format(ms);
}

/** For the conversation list: 14:05, Yesterday, Tue, 3/5, 2023/3/5. */
export function formatListTime(ms) {
  if (!ms) return "";
  const today = startOfDay(Date.now());
  if (ms >= today) return formatTime(ms);
  if (ms >= today - DAY) return t("time.yesterday");
  if (ms >= today - 6 * DAY) return fmt({ weekday: "short" }).format(ms);
  if (new Date(ms).getFullYear() === new Date().getFullYear()) {
    return fmt({ month: "numeric", day: "numeric" }).format(ms);
  }
  return fmt({ year: "numeric", month: "numeric", day: "numeric" }).format(ms);
}

/** Between messages of different days: Today, Yesterday, or the full date. */
export function formatDay(ms) {
  const today = startOfDay(Date.now());
  if (ms >= today) return t("time.today");
  if (ms >= today - DAY) return t("time.yesterday");
  return fmt({ year: "numeric", month: "long", day: "numeric", weekday: "short" }).format(ms);
}

export function formatDateTime(ms) {
  return fmt({ year: "numeric", month: "short", day: "numeric", hour: "2-digit", minute: "2-digit" }).format(ms);
}

export function sameDay(a, b) {
  return startOfDay(a) === startOfDay(b);
}

export function formatSize(bytes) {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  if (bytes < 1024 ** 3) return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
  return `${(bytes / 1024 ** 3).toFixed(1)} GB`;
}

const CJK = /[\u3400-\u9fff\uf900-\ufaff]/;

/** 张三 -> 张三, 欧阳娜娜 -> 娜娜 (as Chinese apps do), Alice Chen -> AC, bob -> BO. */
export function initials(name) {
  const clean = (name || "?").replace(/[^\p{L}\p{N}\s._-]/gu, "").trim() || "?";
  if (CJK.test(clean)) return [...clean.replace(/\s+/g, "")].slice(-2).join("");
  const words = clean.split(/[\s._-]+/).filter(Boolean);
  if (words.length >= 2) return (words[0][0] + words[1][0]).toUpperCase();
  return [...clean].slice(0, 2).join("").toUpperCase();
}

export function colorIndex(id) {
  let hash = Number(id) || 0;
  hash = ((hash * 2654435761) >>> 0) % 9973;
  return hash % 8;
}

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
