// Formatting for people: times and dates in the chosen language, sizes, initials, and the one-line
// summary of a message (conversation previews, notifications, quotes).

import { getLang, t } from "./i18n/index.js";

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
/** Two characters for an avatar without a picture. A Chinese person's name gives its last two (张三丰
 * → 三丰, as DingTalk does: the given name); a group's or a robot's name its first two (运维群 → 运维,
 * 构建机器人 → 构建), which say what it is. */
export function initials(name, { leading = false } = {}) {
  const clean = (name || "?").replace(/[^\p{L}\p{N}\s._-]/gu, "").trim() || "?";
  if (CJK.test(clean)) {
    const chars = [...clean.replace(/\s+/g, "")];
    return (leading ? chars.slice(0, 2) : chars.slice(-2)).join("");
  }
  const words = clean.split(/[\s._-]+/).filter(Boolean);
  if (words.length >= 2) return (words[0][0] + words[1][0]).toUpperCase();
  return [...clean].slice(0, 2).join("").toUpperCase();
}

export function colorIndex(id) {
  let hash = Number(id) || 0;
  hash = ((hash * 2654435761) >>> 0) % 9973;
  return hash % 8;
}
