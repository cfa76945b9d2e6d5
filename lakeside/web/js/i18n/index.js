// Languages: Simplified Chinese and English. The browser's preference picks one on first visit;
// a choice made in Settings is remembered on this device.
//
// Each language is a core dictionary (what the log-in page and the chats need) and one per
// feature. Only the language in use is loaded: its core before anything is shown (this module
// waits for it), the features when the app starts (loadFeatureStrings); another language is
// loaded when chosen, before the switch.

const FILES = {
  en: {
    core: () => import("./en.js"),
    workspace: () => import("./workspace.en.js"),
    ding: () => import("./ding.en.js"),
    growth: () => import("./growth.en.js"),
    tools: () => import("./tools.en.js"),
    media: () => import("./media.en.js"),
    robots: () => import("./robots.en.js"),
    outgoing: () => import("./outgoing.en.js"),
    bots: () => import("./bots.en.js"),
    approvals: () => import("./approvals.en.js"),
    reports: () => import("./reports.en.js"),
    todos: () => import("./todos.en.js"),
  },
  "zh-CN": {
    core: () => import("./zh-CN.js"),
    workspace: () => import("./workspace.zh-CN.js"),
    ding: () => import("./ding.zh-CN.js"),
    growth: () => import("./growth.zh-CN.js"),
    tools: () => import("./tools.zh-CN.js"),
    media: () => import("./media.zh-CN.js"),
    robots: () => import("./robots.zh-CN.js"),
    outgoing: () => import("./outgoing.zh-CN.js"),
    bots: () => import("./bots.zh-CN.js"),
    approvals: () => import("./approvals.zh-CN.js"),
    reports: () => import("./reports.zh-CN.js"),
    todos: () => import("./todos.zh-CN.js"),
  },
};
const FEATURES = ["workspace", "ding", "growth", "tools", "media", "robots", "outgoing", "bots", "approvals", "reports", "todos"];
const STORAGE_KEY = "lakeside.lang";

// One dictionary per language, assembled from the parts loaded so far.
const dictionaries = { en: {}, "zh-CN": {} };
const loaded = { en: new Map(), "zh-CN": new Map() }; // part -> promise
// The parts the app needs in whichever language it shows.
const needed = new Set(["core"]);

export const LANGUAGES = [
  { code: "zh-CN", name: "简体中文" },
  { code: "en", name: "English" },
];

function detect() {
  const saved = localStorage.getItem(STORAGE_KEY);
  if (saved && FILES[saved]) return saved;
  for (const language of navigator.languages || [navigator.language]) {
    const lower = (language || "").toLowerCase();
    if (lower.startsWith("zh")) return "zh-CN";
    if (lower.startsWith("en")) return "en";
  }
  return "en";
}

function load(code, parts) {
  return Promise.all(parts.map((part) => {
    if (!loaded[code].has(part)) {
      const promise = FILES[code][part]().then((module) => Object.assign(dictionaries[code], module.default));
      // A failed fetch (the network) is tried again next time.
      promise.catch(() => loaded[code].delete(part));
      loaded[code].set(part, promise);
    }
    return loaded[code].get(part);
  }));
}

let current = detect();
const listeners = new Set();

export function getLang() {
  return current;
}

/** The strings of every feature, in the language shown (and in any chosen later). */
export async function loadFeatureStrings() {
  for (const part of FEATURES) needed.add(part);
  await load(current, [...needed]);
}

/** Switch language once its strings are here; listeners rebuild what is shown. */
export async function setLang(code) {
  if (!FILES[code]) return;
  localStorage.setItem(STORAGE_KEY, code);
  if (code === current) return;
  await load(code, [...needed]);
  current = code;
  document.documentElement.lang = code;
  for (const fn of listeners) fn(code);
}

export function onLangChange(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

/** The text for `key` with {placeholders} filled; the key itself if the language lacks it. */
export function t(key, vars = {}) {
  const text = dictionaries[current][key] ?? key;
  return text.replace(/\{(\w+)\}/g, (match, name) => (name in vars ? String(vars[name]) : match));
}

/** For counts: `key.one` when n is 1 and the language distinguishes it, else `key`. */
export function tn(key, n, vars = {}) {
  const one = `${key}.one`;
  const chosen = n === 1 && current === "en" && dictionaries[current][one] !== undefined ? one : key;
  return t(chosen, { n, ...vars });
}

document.documentElement.lang = current;
await load(current, ["core"]);
