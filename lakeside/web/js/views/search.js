// Searching messages across every conversation you are in (Chinese included), optionally within
// one conversation; a hit opens the conversation at that message.

import { api } from "../api.js";
import { h, replaceChildren } from "../dom.js";
import { errorText } from "../errors.js";
import { formatListTime } from "../format.js";
import { t } from "../i18n/index.js";
import { icon } from "../icons.js";
import { navigate } from "../router.js";
import { conversationTitle, displayName, on, sortedConversations, state } from "../store.js";
import { userAvatar } from "../components/avatar.js";

export function mountSearch({ list, main }) {
  let lastQuery = null;
  let lastKey = null;
  let nextCursor = null;
  let hits = [];
  let busy = false;
  const unsubscribe = [];

  const input = h("input", { class: "input search-input", type: "search", id: "search-q", placeholder: t("search.placeholder"), "aria-label": t("search.placeholder") });
  const scope = h("select", { class: "select", "aria-label": t("search.in") },
    h("option", { value: "", text: t("search.everywhere") }),
    sortedConversations().map((conversation) => h("option", { value: String(conversation.id), text: conversationTitle(conversation) })));
  const form = h("form", { class: "search-form", role: "search" }, input, scope);
  const status = h("p", { class: "search-status muted", role: "status" });
  const results = h("ul", { class: "search-results" });
  const more = h("button", { class: "btn btn-sm search-more", type: "button", hidden: true, text: t("search.more"), on: { click: () => run(true) } });
  replaceChildren(list,
    h("header", { class: "pane-head" }, h("h1", { class: "pane-title", text: t("search.title") })),
    h("div", { class: "pane-search" }, form),
    h("div", { class: "scroll search-scroll" }, status, results, more));
  replaceChildren(main, h("div", { class: "empty-state" },
    h("div", { class: "empty-icon", "aria-hidden": "true" }, icon("search", "icon-lg")),
    h("p", { text: t("search.hint") })));

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const q = input.value.trim();
    const query = new URLSearchParams({ q });
    if (scope.value) query.set("in", scope.value);
    navigate(`search?${query}`);
  });
  scope.addEventListener("change", () => form.requestSubmit());

  async function run(append = false) {
    const q = input.value.trim();
    if (!q || busy) return;
    busy = true;
    if (!append) {
      hits = [];
      nextCursor = null;
      status.textContent = t("search.searching");
    }
    try {
      const page = await api.get("/search/messages", { q, conversation_id: scope.value || null, cursor: append ? nextCursor : null, limit: 30 });
      hits = hits.concat(page.results);
      nextCursor = page.next_cursor;
      status.textContent = hits.length ? t("search.count", { n: hits.length }) : t("search.none", { q });
      render(q);
    } catch (error) {
      status.textContent = errorText(error);
    } finally {
      busy = false;
    }
  }

  function render(q) {
    const terms = q.split(/\s+/).filter(Boolean);
    replaceChildren(results, hits.map((hit) => {
      const message = hit.message;
      const conversation = state.conversations.get(hit.conversation_id);
      // Where it was said: the group's name, or for a direct chat the other person when you said it.
      const where = !conversation || (conversation.kind === "direct" && message.sender_id !== state.me.id)
        ? "" : conversationTitle(conversation);
      return h("li", {}, h("a", {
        class: "search-hit", href: `#/chats/${hit.conversation_id}?seq=${message.seq}`,
      },
      userAvatar(message.sender_id, { size: "sm" }),
      h("span", { class: "search-hit-body" },
        h("span", { class: "search-hit-top" },
          h("span", { class: "search-hit-name ellipsis", text: displayName(message.sender_id) }),
          h("span", { class: "search-hit-conv ellipsis", text: where }),
          h("span", { class: "conv-time", text: formatListTime(message.created_at) })),
        h("span", { class: "search-hit-snippet" }, highlight(hit.snippet, terms)))));
    }));
    more.hidden = !nextCursor;
  }

  unsubscribe.push(on("users", () => lastQuery && render(lastQuery)));

  return {
    update(route) {
      const q = route.query.q || "";
      input.value = q;
      scope.value = route.query.in || "";
      const key = `${q}|${scope.value}`;
      if (q && key !== lastKey) run();
      else if (!q) input.focus();
      lastKey = key;
      lastQuery = q;
    },
    destroy() {
      for (const fn of unsubscribe) fn();
    },
  };
}

/** The snippet with every occurrence of the query's words marked; built from text nodes only. */
export function highlight(text, terms) {
  const lowered = terms.map((term) => term.toLowerCase()).filter(Boolean);
  if (!lowered.length) return [text];
  const lower = text.toLowerCase();
  const nodes = [];
  let at = 0;
  while (at < text.length) {
    let best = -1;
    let length = 0;
    for (const term of lowered) {
      const found = lower.indexOf(term, at);
      if (found >= 0 && (best < 0 || found < best)) {
        best = found;
        length = term.length;
      }
    }
    if (best < 0) break;
    nodes.push(text.slice(at, best), h("mark", { text: text.slice(best, best + length) }));
    at = best + length;
  }
  nodes.push(text.slice(at));
  return nodes;
}
