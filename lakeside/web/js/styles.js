// The stylesheets of the logged-in app, added when it starts: the log-in page needs only the ones
// the page links. Their hashed names come from the page's import map (import.meta.resolve).

import { h } from "./dom.js";

const SHEETS = ["../css/chat.css", "../css/workspace.css", "../css/ding.css", "../css/growth.css", "../css/tools.css", "../css/media.css", "../css/approvals.css", "../css/reports.css", "../css/todos.css"];

let loading = null;

/** Resolves when every sheet has loaded, so the app is never drawn unstyled. */
export function loadAppStyles() {
  loading ??= Promise.all(SHEETS.map(addSheet));
  loading.catch(() => { loading = null; });
  return loading;
}

function addSheet(relative) {
  const href = import.meta.resolve(relative);
  const present = [...document.querySelectorAll('link[rel="stylesheet"]')].find((link) => link.href === href);
  if (present) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const link = h("link", { rel: "stylesheet", href });
    link.addEventListener("load", resolve);
    link.addEventListener("error", () => {
      link.remove();
      reject(new Error(`stylesheet ${relative} did not load`));
    });
    document.head.append(link);
  });
}
