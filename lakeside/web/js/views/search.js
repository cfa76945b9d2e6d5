// Searching across everything you can see: your chats (group titles, the people of direct chats)
// and contacts (friends, colleagues) by name, full pinyin or initials, files by name, and messages
// (Chinese included), optionally within one conversation; a hit opens what it found.

import { api } from "../api.js";
import { h, replaceChildren } from "../dom.js";
import { errorText } from "../errors.js";
import { formatListTime, formatSize } from "../format.js";
import { t } from "../i18n/index.js";
import { icon } from "../icons.js";
import { navigate } from "../router.js";
import { conversationTitle, displayName, on, rememberUser, sortedConversations, state } from "../store.js";
import { conversationAvatar, userAvatar } from "../components/avatar.js";

const NAME_HITS = 5;
const FILE_HITS = 10;
const TYPE_PAUSE_MS = 250; // a pause in typing that searches

export function mountSearch({ list, main }) {
  let lastQuery = null;
  let lastKey = null;
  let nextCursor = null;
  let hits = [];
  let busy = false;
  let again = false;
  let named = { conversations: [], contacts: [], files: [] }; // the sections above the messages
  const unsubscribe = [];

  const input = h("input", { class: "input search-input", type: "search", id: "search-q", placeholder: t("search.placeholderAll"), "aria-label": t("search.placeholderAll") });
  const scope = h("select", { class: "select", "aria-label": t("search.in") },
    h("option", { value: "", text: t("search.everywhere") }),
    sortedConversations().map((conversation) => h("option", { value: String(conversation.id), text: conversationTitle(conversation) })));
  const form = h("form", { class: "search-form", role: "search" }, input, scope);
  const status = h("p", { class: "search-status muted", role: "status" });
  const sections = h("div", { class: "search-sections" });
  const messagesHead = h("h2", { class: "list-heading", hidden: true, text: t("search.sectionMessages") });
  const results = h("ul", { class: "search-results" });
  const more = h("button", { class: "btn btn-sm search-more", type: "button", hidden: true, text: t("search.more"), on: { click: () => run(true) } });
  replaceChildren(list,
    h("header", { class: "pane-head" }, h("h1", { class: "pane-title", text: t("search.title") })),
    h("div", { class: "pane-search" }, form),
    h("div", { class: "scroll search-scroll" }, sections, messagesHead, status, results, more));
  replaceChildren(main, h("div", { class: "empty-state" },
    h("div", { class: "empty-icon", "aria-hidden": "true" }, icon("search", "icon-lg")),
    h("p", { text: t("search.hint") }), h("p", { class: "muted", text: t("search.pinyinHint") })));

  function go({ replace = false } = {}) {
    const q = input.value.trim();
    const query = new URLSearchParams({ q });
    if (scope.value) query.set("in", scope.value);
    navigate(`search?${query}`, { replace });
  }
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    clearTimeout(typing);
    go();
  });
  // Results come as one types (zs, 张, 钉钉), without Enter; not while a Chinese input method is
  // still composing (its letters are not the text yet), and one history entry for the whole word.
  let typing = 0;
  const typed = () => {
    clearTimeout(typing);
    typing = setTimeout(() => input.value.trim() && go({ replace: true }), TYPE_PAUSE_MS);
  };
  input.addEventListener("input", (event) => { if (!event.isComposing) typed(); });
  input.addEventListener("compositionend", typed);
  scope.addEventListener("change", () => form.requestSubmit());
  // Within one conversation only its messages are searched; everywhere, chats, contacts and files too.
  const placeholder = () => {
    input.placeholder = scope.value ? t("search.placeholder") : t("search.placeholderAll");
    input.setAttribute("aria-label", input.placeholder);
  };

  async function run(append = false) {
    const q = input.value.trim();
    if (!q) return;
    if (busy) {
      again ||= !append; // a newer query waits for the one on its way, then goes
      return;
    }
    busy = true;
    if (!append) {
      hits = [];
      nextCursor = null;
      status.textContent = t("search.searching");
      searchNames(q);
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
      if (again) {
        again = false;
        if (input.value.trim() !== q) run();
      }
    }
  }

  /** Chats, contacts and files by name, beside the messages (not when searching one chat). */
  async function searchNames(q) {
    const everywhere = !scope.value;
    const ask = (path, limit) => (everywhere ? api.get(path, { q, limit }).then((page) => page.results, () => []) : Promise.resolve([]));
    const [conversations, contacts, files] = await Promise.all([
      ask("/search/conversations", NAME_HITS), ask("/search/contacts", NAME_HITS), ask("/search/files", FILE_HITS),
    ]);
    if (input.value.trim() !== q) return; // a newer search is on its way
    for (const contact of contacts) rememberUser(contact.user);
    named = { conversations, contacts, files };
    renderNames(q);
  }

  function section(title, items) {
    if (!items.length) return null;
    return h("section", { class: "search-section" }, h("h2", { class: "list-heading", text: title }), h("ul", { class: "search-results" }, items));
  }

  function renderNames(q) {
    const terms = q.split(/\s+/).filter(Boolean);
    const row = (href, picture, name, meta) => h("li", {}, h("a", { class: "search-hit", href }, picture,
      h("span", { class: "search-hit-body" }, h("span", { class: "search-hit-name ellipsis" }, highlight(name, terms)),
        h("span", { class: "search-hit-snippet muted ellipsis", text: meta }))));
    replaceChildren(sections,
      section(t("search.sectionConversations"), named.conversations.map((conversation) => row(`#/chats/${conversation.id}`,
        conversationAvatar(conversation, { size: "sm" }), conversationTitle(conversation),
        conversation.kind === "direct" ? `@${conversation.peer ? conversation.peer.username : ""}` : t("conv.members", { n: conversation.member_count })))),
      section(t("search.sectionContacts"), named.contacts.map((contact) => row(`#/contacts/user/${contact.user.id}`,
        userAvatar(contact.user.id, { size: "sm" }), displayName(contact.user.id, contact.user.display_name),
        [contact.is_friend ? t("search.friend") : null, ...contact.organizations.map((org) => t("search.colleague", { org: org.name }))]
          .filter(Boolean).join(" · ")))),
      section(t("search.sectionFiles"), named.files.map((hit) => row(`#/chats/${hit.conversation_id}?seq=${hit.seq}`,
        h("span", { class: "file-icon", "aria-hidden": "true" }, icon("file")), hit.file.filename,
        [formatSize(hit.file.size), conversationTitle(state.conversations.get(hit.conversation_id)), formatListTime(hit.sent_at)]
          .filter(Boolean).join(" · ")))));
    messagesHead.hidden = !hits.length || !sections.childElementCount;
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
    messagesHead.hidden = !hits.length || !sections.childElementCount;
  }

  unsubscribe.push(on("users", () => lastQuery && (render(lastQuery), renderNames(lastQuery))));

  return {
    update(route) {
      const q = route.query.q || "";
      // While typing, the route follows the box: never put back what is being typed over.
      if (document.activeElement !== input) input.value = q;
      scope.value = route.query.in || "";
      placeholder();
      const key = `${q}|${scope.value}`;
      if (q && key !== lastKey) run();
      else if (!q) {
        replaceChildren(sections);
        input.focus();
      }
      lastKey = key;
      lastQuery = q;
    },
    destroy() {
      clearTimeout(typing);
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
