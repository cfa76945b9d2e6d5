// Favourites (收藏): what you saved from conversations, newest first, searchable (Chinese too),
// with each message as it was saved — text, markdown, images and files — where it came from, and
// a way back to it while you are still in that conversation. Follows favorite.* live.

import { api } from "../api.js";
import { debounce, h, replaceChildren } from "../dom.js";
import { errorText } from "../errors.js";
import { formatDateTime, formatSize } from "../format.js";
import { t } from "../i18n/index.js";
import { icon } from "../icons.js";
import { on, state } from "../store.js";
import { openLightbox } from "../components/lightbox.js";
import { renderMarkdown } from "../components/markdown.js";
import { toast } from "../components/toast.js";
import { richText } from "./message-item.js";

const PAGE = 30;

/** Mounts the favourites page into `root`; returns {destroy}. */
export function mountFavorites(root) {
  let items = [];
  let cursor = null;
  let query = "";
  let busy = false;
  const search = h("input", {
    class: "input search-input fav-search", type: "search", placeholder: t("fav.search"), "aria-label": t("fav.search"),
    on: { input: debounce(() => { query = search.value.trim(); load(false); }, 250) },
  });
  const list = h("ul", { class: "fav-list" });
  const status = h("p", { class: "muted fav-status", role: "status" });
  const more = h("button", { class: "btn btn-sm fav-more", type: "button", hidden: true, text: t("fav.more"), on: { click: () => load(true) } });
  replaceChildren(root, h("div", { class: "pane-search" }, search), status, list, more);

  async function load(append) {
    if (busy && append) return;
    busy = true;
    const asked = query;
    try {
      const page = await api.get("/favorites", { q: asked || null, limit: PAGE, cursor: append ? cursor : null });
      if (asked !== query) return; // a newer search is on its way
      items = append ? items.concat(page.favorites) : page.favorites;
      cursor = page.next_cursor;
      render();
    } catch (error) {
      status.textContent = errorText(error);
    } finally {
      busy = false;
    }
  }

  function render() {
    status.textContent = items.length ? "" : query ? t("fav.noneFound", { q: query }) : t("fav.none");
    more.hidden = !cursor;
    replaceChildren(list, items.map(card));
  }

  function card(favorite) {
    const stillThere = state.conversations.has(favorite.conversation_id);
    return h("li", { class: "fav-card", dataset: { id: favorite.id } },
      h("div", { class: "fav-meta" },
        h("span", { class: "fav-sender", text: favorite.sender.name }),
        h("span", { class: "muted ellipsis", text: t("fav.from", { title: favorite.source.title }) }),
        h("time", { class: "muted", datetime: new Date(favorite.sent_at).toISOString(), text: formatDateTime(favorite.sent_at) })),
      content(favorite),
      h("div", { class: "fav-actions" },
        stillThere ? h("a", { class: "link-btn", href: `#/chats/${favorite.conversation_id}`, text: t("fav.open") }) : null,
        h("button", {
          class: "icon-btn", type: "button", "aria-label": t("fav.remove"), title: t("fav.remove"),
          on: { click: () => remove(favorite) },
        }, icon("trash", "icon-sm"))));
  }

  function content(favorite) {
    const parts = [];
    const file = favorite.file;
    if (favorite.kind === "image" && file) {
      parts.push(h("button", {
        class: "fav-image", type: "button", "aria-label": t("msg.openImage", { name: file.filename }),
        on: { click: () => openLightbox(file.url, file.filename) },
      }, h("img", { src: file.thumbnail_url || file.url, alt: file.filename, loading: "lazy" })));
    } else if (favorite.kind === "file" && file) {
      parts.push(h("a", { class: "msg-file", href: file.url, target: "_blank", rel: "noopener", download: file.filename },
        h("span", { class: "file-icon", "aria-hidden": "true" }, icon("file")),
        h("span", { class: "file-info" }, h("span", { class: "file-name ellipsis", text: file.filename }),
          h("span", { class: "file-size", text: formatSize(file.size) }))));
    }
    if (favorite.kind === "markdown" && favorite.html) parts.push(h("div", { class: "msg-text md" }, renderMarkdown(favorite.html)));
    else if (favorite.body) parts.push(h("div", { class: "msg-text" }, richText(favorite.body)));
    return h("div", { class: "fav-content" }, parts);
  }

  async function remove(favorite) {
    try {
      await api.del(`/favorites/${favorite.id}`);
      toast(t("fav.removed"));
    } catch (error) {
      toast(errorText(error), "error");
    }
  }

  // Saved or removed on any device (this one included): read the first page again.
  const off = on("event:favorite", () => load(false));
  load(false);
  return { destroy: off };
}
