// Hash routes, so the server serves one page and a reload or a shared link opens the same view:
// #/chats/12, #/contacts/requests, #/contacts/user/7, #/search?q=…, #/settings/sessions.

const listeners = new Set();

export function parseRoute(hash = window.location.hash) {
  const [path, queryString = ""] = hash.replace(/^#\/?/, "").split("?");
  const parts = path.split("/").filter(Boolean).map(decodeURIComponent);
  const query = Object.fromEntries(new URLSearchParams(queryString));
  const section = parts[0] || "chats";
  return { section, parts: parts.slice(1), query, detail: parts.length > 1 };
}

export function navigate(path, { replace = false } = {}) {
  const hash = `#/${path.replace(/^#?\/?/, "")}`;
  if (window.location.hash === hash) return;
  if (replace) {
    window.history.replaceState(null, "", hash);
    fire();
  } else {
    window.location.hash = hash;
  }
}

export function onRoute(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

function fire() {
  const route = parseRoute();
  for (const fn of [...listeners]) fn(route);
}

window.addEventListener("hashchange", fire);
