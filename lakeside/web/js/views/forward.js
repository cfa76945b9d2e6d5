// Forwarding (转发), loaded on first use: choosing several messages (多选) in the open chat, the
// conversation picker (searchable, up to nine chats, an optional message), and the read-only
// transcript of a chat record (合并转发), records inside records included.

import { noteOwnMessage } from "../actions.js";
import { api, newClientId } from "../api.js";
import { h, replaceChildren } from "../dom.js";
import { errorText } from "../errors.js";
import { formatDateTime, formatSize } from "../format.js";
import { t } from "../i18n/index.js";
import { icon } from "../icons.js";
import { conversationTitle, state } from "../store.js";
import { conversationAvatar } from "../components/avatar.js";
import { openLightbox } from "../components/lightbox.js";
import { renderMarkdown } from "../components/markdown.js";
import { openModal } from "../components/modal.js";
import { toast } from "../components/toast.js";
import { recordCard, recordTitle, voiceBubble } from "./media-bubbles.js";

const MAX_TARGETS = 9;
const MAX_MESSAGES = 100;
const PREVIEW_LINES = 4;

/** Whether a message can be picked for forwarding. */
export function forwardable(message) {
  return !message.pending && !message.recalled && ["text", "markdown", "image", "file", "voice", "forward"].includes(message.kind);
}

/** 多选: tap messages to pick them; the composer gives way to the forwarding bar until done. */
export function startSelecting({ listEl, composerEl, line, first, onEnd = null }) {
  const picked = new Map();
  const count = h("span", { class: "select-count", "aria-live": "polite" });
  const bar = h("div", { class: "select-bar", role: "toolbar", "aria-label": t("fwd.select") },
    count,
    h("button", { class: "btn", type: "button", text: t("fwd.oneByOne"), on: { click: () => go("separate") } }),
    h("button", { class: "btn btn-primary", type: "button", text: t("fwd.merged"), on: { click: () => go("merged") } }),
    h("button", { class: "btn btn-ghost", type: "button", text: t("action.cancel"), on: { click: () => end() } }));
  composerEl.hidden = true;
  composerEl.after(bar);
  listEl.classList.add("selecting");

  function paint() {
    for (const el of listEl.querySelectorAll(".msg[data-id]")) {
      const on = picked.has(Number(el.dataset.id));
      el.classList.toggle("selected", on);
      el.setAttribute("aria-selected", String(on));
    }
    count.textContent = t("fwd.selected", { n: picked.size });
  }
  function toggle(message) {
    if (picked.has(message.id)) picked.delete(message.id);
    else if (picked.size >= MAX_MESSAGES) toast(t("fwd.tooMany", { n: MAX_MESSAGES }), "error");
    else picked.set(message.id, message);
    paint();
  }
  function onClick(event) {
    const el = event.target.closest(".msg[data-id]");
    if (!el) return;
    event.preventDefault();
    event.stopPropagation();
    const message = line.list().find((m) => m.id === Number(el.dataset.id));
    if (message && forwardable(message)) toggle(message);
  }
  function onKey(event) {
    if (event.key === "Escape" && !document.querySelector(".overlay")) end();
  }
  // New or re-rendered messages keep their mark.
  const observer = new MutationObserver(() => paint());
  observer.observe(listEl, { childList: true, subtree: true });
  listEl.addEventListener("click", onClick, true);
  document.addEventListener("keydown", onKey);

  function go(mode) {
    if (!picked.size) {
      toast(t("fwd.nothing"), "error");
      return;
    }
    const ids = [...picked.values()].sort((a, b) => a.seq - b.seq).map((m) => m.id);
    openForwardPicker({ messageIds: ids, mode, onDone: end });
  }
  function end() {
    observer.disconnect();
    listEl.removeEventListener("click", onClick, true);
    document.removeEventListener("keydown", onKey);
    listEl.classList.remove("selecting");
    for (const el of listEl.querySelectorAll(".msg.selected")) el.classList.remove("selected");
    bar.remove();
    composerEl.hidden = false;
    if (onEnd) onEnd();
  }
  if (first && forwardable(first)) picked.set(first.id, first);
  paint();
  return { end };
}

/** The picker: which chats to forward to, and an optional message of your own. */
export function openForwardPicker({ messageIds, mode, onDone = null }) {
  const chosen = new Set();
  const search = h("input", { class: "input", type: "search", placeholder: t("fwd.search"), "aria-label": t("fwd.search") });
  const list = h("ul", { class: "fwd-list", role: "listbox", "aria-multiselectable": "true", "aria-label": t("fwd.pickTitle") });
  const comment = h("textarea", { class: "input fwd-comment", rows: "2", maxlength: 2000, placeholder: t("fwd.comment"), "aria-label": t("fwd.comment") });
  const send = h("button", { class: "btn btn-primary", type: "button", disabled: true, on: { click: () => submit() } });
  const modal = openModal({
    title: mode === "merged" ? t("fwd.merged") : mode === "separate" ? t("fwd.oneByOne") : t("fwd.forward"),
    className: "fwd-modal",
    body: h("div", { class: "fwd-picker" }, search, list, comment),
    actions: [h("button", { class: "btn", type: "button", text: t("action.cancel"), on: { click: () => modal.close() } }), send],
  });

  function render() {
    const query = search.value.trim().toLowerCase();
    const rows = [...state.conversations.values()]
      .sort((a, b) => (b.last_activity_at || 0) - (a.last_activity_at || 0))
      .filter((c) => !query || conversationTitle(c).toLowerCase().includes(query));
    replaceChildren(list, rows.length ? rows.map((c) => {
      const on = chosen.has(c.id);
      return h("li", {
        class: ["fwd-row", on && "chosen"], role: "option", tabindex: "0", "aria-selected": String(on),
        dataset: { conversationId: c.id },
        on: {
          click: () => pick(c.id),
          keydown: (event) => { if (event.key === " " || event.key === "Enter") { event.preventDefault(); pick(c.id); } },
        },
      }, h("span", { class: "fwd-check", "aria-hidden": "true" }, on ? icon("check", "icon-sm") : null),
      conversationAvatar(c, { size: "sm" }), h("span", { class: "fwd-title ellipsis", text: conversationTitle(c) }));
    }) : [h("li", { class: "empty-hint", text: t("fwd.none") })]);
    send.textContent = t("fwd.send", { n: chosen.size });
    send.disabled = !chosen.size;
  }
  function pick(id) {
    if (chosen.has(id)) chosen.delete(id);
    else if (chosen.size >= MAX_TARGETS) toast(t("fwd.limit", { n: MAX_TARGETS }), "error");
    else chosen.add(id);
    render();
    list.querySelector(`[data-conversation-id="${id}"]`)?.focus();
  }
  async function submit() {
    send.disabled = true;
    const body = {
      client_msg_id: newClientId().replace(/-/g, "").slice(0, 32),
      message_ids: messageIds,
      conversation_ids: [...chosen],
      mode: mode === "merged" ? "merged" : "separate",
    };
    if (comment.value.trim()) body.comment = comment.value;
    try {
      const answer = await api.post("/messages/forward", body);
      for (const message of answer.messages) noteOwnMessage(message);
      toast(t("fwd.done"));
      modal.close();
      if (onDone) onDone();
    } catch (error) {
      toast(errorText(error), "error");
      send.disabled = false;
    }
  }
  search.addEventListener("input", render);
  render();
  search.focus();
}

/** A chat record, read-only: fetched for a message, or given (a record inside a record). */
export async function openTranscript(message, given = null) {
  let record = given;
  if (!record) {
    try {
      record = await api.get(`/messages/${message.id}/record`);
    } catch (error) {
      toast(errorText(error), "error");
      return;
    }
  }
  openModal({
    title: recordTitle(record.source),
    className: "transcript-modal",
    wide: true,
    body: h("ol", { class: "transcript", "aria-label": t("record.label") }, record.items.map(item)),
  });
}

function item(entry) {
  return h("li", { class: "transcript-item" },
    h("div", { class: "transcript-meta" },
      h("span", { class: "transcript-name", text: entry.sender_name }),
      h("time", { class: "transcript-time", datetime: new Date(entry.sent_at).toISOString(), text: formatDateTime(entry.sent_at) })),
    h("div", { class: "transcript-body" }, content(entry)));
}

function content(entry) {
  const parts = [];
  if (entry.kind === "image" && entry.file) {
    parts.push(h("button", {
      class: "msg-image", type: "button", "aria-label": t("msg.openImage", { name: entry.file.filename || "" }),
      on: { click: () => openLightbox(entry.file.url, entry.file.filename) },
    }, h("img", { src: entry.file.thumbnail_url || entry.file.url, alt: entry.file.filename || t("msg.image"), loading: "lazy" })));
  } else if (entry.kind === "file" && entry.file) {
    parts.push(h("a", { class: "msg-file", href: entry.file.url, target: "_blank", rel: "noopener", download: entry.file.filename || "" },
      h("span", { class: "file-icon", "aria-hidden": "true" }, icon("file")),
      h("span", { class: "file-info" }, h("span", { class: "file-name ellipsis", text: entry.file.filename }),
        h("span", { class: "file-size", text: formatSize(entry.file.size) }))));
  } else if (entry.kind === "voice" && entry.file) {
    parts.push(voiceBubble({ id: null, kind: "voice", file: entry.file, duration_ms: entry.duration_ms, played: true }));
  } else if (entry.kind === "recalled") {
    parts.push(h("div", { class: "msg-text msg-recalled-line", text: t("msg.quoteRecalled") }));
  } else if (entry.kind === "forward" && entry.record) {
    const nested = entry.record;
    const preview = nested.items.slice(0, PREVIEW_LINES).map((i) => ({
      name: i.sender_name, kind: i.kind, text: ["text", "markdown"].includes(i.kind) ? i.body.slice(0, 60) : "",
    }));
    parts.push(recordCard({ source: nested.source, count: nested.items.length, preview }, () => openTranscript(null, nested)));
  }
  if (entry.kind === "markdown" && entry.html) parts.push(h("div", { class: "msg-text md" }, renderMarkdown(entry.html)));
  else if (entry.body && entry.kind !== "forward" && entry.kind !== "voice") parts.push(h("div", { class: "msg-text", text: entry.body }));
  return parts;
}
