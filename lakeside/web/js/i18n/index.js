// Languages: Simplified Chinese and English. The browser's preference picks one on first visit;
// a choice made in Settings is remembered on this device.

import baseEn from "./en.js";
import baseZhCN from "./zh-CN.js";
import growthEn from "./growth.en.js";
import growthZhCN from "./growth.zh-CN.js";
import workspaceEn from "./workspace.en.js";
import workspaceZhCN from "./workspace.zh-CN.js";
import dingEn from "./ding.en.js";
import dingZhCN from "./ding.zh-CN.js";
import toolsEn from "./tools.en.js";
import toolsZhCN from "./tools.zh-CN.js";

// One dictionary per language, assembled from the core strings and each feature's own file.
const en = { ...baseEn, ...workspaceEn, ...dingEn, ...growthEn, ...toolsEn };
const zhCN = { ...baseZhCN, ...workspaceZhCN, ...dingZhCN, ...growthZhCN, ...toolsZhCN };
const DICTIONARIES = { en, "zh-CN": zhCN };
const STORAGE_KEY = "lakeside.lang";

export const LANGUAGES = [
  { code: "zh-CN", name: "简体中文" },
  { code: "en", name: "English" },
];

function detect() {
  const saved = localStorage.getItem(STORAGE_KEY);
  if (saved && DICTIONARIES[saved]) return saved;
  for (const language of navigator.languages || [navigator.language]) {
    const lower = (language || "").toLowerCase();
    if (lower.startsWith("zh")) return "zh-CN";
    if (lower.startsWith("en")) return "en";
  }
  return "en";
}

let current = detect();
const listeners = new Set();

export function getLang() {
  return current;
}

export function setLang(code) {
  if (!DICTIONARIES[code]) return;
  localStorage.setItem(STORAGE_KEY, code);
  if (code === current) return;
  current = code;
  document.documentElement.lang = code;
  for (const fn of listeners) fn(code);
}

export function onLangChange(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

/** The text for `key` with {placeholders} filled; English if the language lacks it, else the key. */
export function t(key, vars = {}) {
  const text = DICTIONARIES[current][key] ?? en[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (match, name) => (name in vars ? String(vars[name]) : match));
}

/** For counts: `key.one` when n is 1 and the language distinguishes it, else `key`. */
export function tn(key, n, vars = {}) {
  const one = `${key}.one`;
  const dictionary = DICTIONARIES[current];
  const chosen = n === 1 && (dictionary[one] ?? en[one]) !== undefined && current === "en" ? one : key;
  return t(chosen, { n, ...vars });
}

document.documentElement.lang = current;
