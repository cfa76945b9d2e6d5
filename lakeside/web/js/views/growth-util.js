// Pieces the growth pages share: money in yuan, prize tiers in the reader's language, campaign
// states and countdowns, day numbers as dates, the page frame and CSV download links.

import { h, replaceChildren } from "../dom.js";
import { errorText } from "../errors.js";
import { getLang, t } from "../i18n/index.js";
import { icon } from "../icons.js";

const DAY_MS = 86_400_000;

/** 1234500 fen -> "¥12,345" (cents only when there are any). */
export function yuan(fen) {
  const value = (fen || 0) / 100;
  const whole = Number.isInteger(value);
  return `¥${new Intl.NumberFormat(getLang(), { minimumFractionDigits: whole ? 0 : 2, maximumFractionDigits: 2 }).format(value)}`;
}

export function signedYuan(fen) {
  return fen > 0 ? `+${yuan(fen)}` : fen < 0 ? `−${yuan(-fen)}` : yuan(0);
}

export function tierName(tier) {
  if (!tier) return "";
  return getLang() === "en" && tier.name_en ? tier.name_en : tier.name;
}

/** The prize tier (of the campaign's prizes or team prizes) with this key. */
export function findTier(tiers, key) {
  return key ? (tiers || []).find((tier) => tier.key === key) || null : null;
}

/** A coloured badge for a prize: gold, silver, bronze, then plain, by the tier's position. */
export function prizeBadge(tiers, key) {
  const tier = findTier(tiers, key);
  if (!tier) return null;
  const place = (tiers || []).indexOf(tier);
  return h("span", { class: ["g-prize", `g-prize-${Math.min(place, 3)}`], title: yuan(tier.amount_fen) },
    icon("trophy", "icon-sm"), h("span", { text: tierName(tier) }));
}

/** The days since 1970-01-01 in B1/B2's tables as "YYYY-MM-DD". */
export function dayText(day) {
  if (day === null || day === undefined) return "";
  return new Date(day * DAY_MS).toISOString().slice(0, 10);
}

/** A moment in the reader's language; in `timeZone` (e.g. the campaign's) when given. */
export function dateTime(ms, timeZone = undefined) {
  return new Intl.DateTimeFormat(getLang(), { year: "numeric", month: "short", day: "numeric", hour: "2-digit", minute: "2-digit", hour12: false, timeZone }).format(ms);
}

export function dateOnly(ms, timeZone = undefined) {
  return new Intl.DateTimeFormat(getLang(), { year: "numeric", month: "short", day: "numeric", timeZone }).format(ms);
}

/** "12 d 03:04:05" until `ms`, or null once it passed. */
export function countdown(ms, now = Date.now()) {
  const left = ms - now;
  if (left <= 0) return null;
  const seconds = Math.floor(left / 1000);
  const days = Math.floor(seconds / 86400);
  const clock = [Math.floor(seconds / 3600) % 24, Math.floor(seconds / 60) % 60, seconds % 60]
    .map((n) => String(n).padStart(2, "0")).join(":");
  return days ? t("growth.countdownDays", { days, clock }) : clock;
}

/** The campaign's state word: scheduled, running, closing, ended (growth.status.*). */
export function statusTag(campaign) {
  return h("span", { class: ["g-status", `g-status-${campaign.status}`], text: t(`growth.status.${campaign.status}`) });
}

/** The frame of a growth page in the main pane: back link (phones), title, actions, body. */
export function frame(main, { title, back, actions = null, className = "" }) {
  const body = h("div", { class: ["g-body", className] });
  replaceChildren(main, h("div", { class: "page" },
    h("header", { class: "page-head" },
      back ? h("a", { class: "icon-btn back-btn", href: back, "aria-label": t("action.back") }, icon("back")) : null,
      h("h2", { class: "page-title grow ellipsis", text: title }), actions),
    h("div", { class: "page-body scroll" }, body)));
  return body;
}

export function spinner() {
  return h("div", { class: "empty-state" }, h("span", { class: "spinner" }));
}

export function failure(error, retry = null) {
  return h("div", { class: "empty-state g-failure", role: "alert" },
    h("p", { class: "form-error", text: errorText(error) }),
    retry ? h("button", { class: "btn btn-sm", type: "button", text: t("action.retry"), on: { click: retry } }) : null);
}

export function emptyState(iconName, text, ...extra) {
  return h("div", { class: "empty-state" },
    h("div", { class: "empty-icon", "aria-hidden": "true" }, icon(iconName, "icon-lg")), h("p", { text }), ...extra);
}

/** A link that downloads a CSV the server writes (the session cookie goes along). */
export function csvLink(path, query, label = t("growth.csv")) {
  const url = new URL(`/api/v1${path}`, window.location.origin);
  for (const [key, value] of Object.entries({ ...query, format: "csv" })) {
    if (value !== null && value !== undefined && value !== "") url.searchParams.set(key, String(value));
  }
  return h("a", { class: "btn btn-sm g-csv", href: url.pathname + url.search, download: "" }, icon("download", "icon-sm"), label);
}

/** Runs `fn` every `ms` while the page is visible, and at once when it becomes visible again. */
export function whileVisible(fn, ms) {
  const timer = setInterval(() => {
    if (document.visibilityState === "visible") fn();
  }, ms);
  const onVisible = () => {
    if (document.visibilityState === "visible") fn();
  };
  document.addEventListener("visibilitychange", onVisible);
  return () => {
    clearInterval(timer);
    document.removeEventListener("visibilitychange", onVisible);
  };
}

/** Copies text, falling back to selecting it for the user to copy. */
export async function copyText(text, input = null) {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    if (input) {
      input.focus();
      input.select();
    }
    return false;
  }
}
