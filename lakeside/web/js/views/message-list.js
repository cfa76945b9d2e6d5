// The scrolling list of one conversation's messages. Rebuilt from the timeline on every change,
// but an element is only re-created when what it shows changed, and elements that stay are never
// moved, so focus, hover and loaded images survive live updates. Keeps the reader's place:
// at the bottom when they were there, anchored to what they were reading otherwise; loads older
// history as they scroll up.

import { h, isNearBottom } from "../dom.js";
import { dismissNote, notesOf } from "../ephemeral.js";
import { formatDay, sameDay } from "../format.js";
import { t } from "../i18n/index.js";
import { icon } from "../icons.js";
import { displayName, on, state } from "../store.js";
import { buildMessage, messageKey, messageVersion } from "./message-item.js";
import { FOLD_MIN, buildFold, foldText, isJoinLine } from "./system-lines.js";

const GROUP_WINDOW_MS = 5 * 60_000;

/** The join lines from `index` on, within one day (empty when that message is not one). */
function joinRun(messages, index) {
  const run = [];
  for (let i = index; i < messages.length && isJoinLine(messages[i]); i += 1) {
    if (run.length && !sameDay(run[0].created_at, messages[i].created_at)) break;
    run.push(messages[i]);
  }
  return run;
}

/** A bot's answer that only the reader sees (ephemeral.js), with a way to dismiss it. */
function buildNote(conversationId, note) {
  return h("div", { class: "msg-ephemeral", role: "note", "data-note": String(note.id) },
    h("div", { class: "msg-ephemeral-head" },
      icon("lock", "icon-sm"),
      h("span", { class: "msg-ephemeral-who", text: t("bots.noteFrom", { bot: displayName(note.botId), command: note.command }) }),
      h("span", { class: "msg-ephemeral-only", text: t("bots.onlyYou") }),
      h("button", { class: "link-btn msg-ephemeral-close", type: "button", text: t("bots.noteDismiss"),
        on: { click: () => dismissNote(conversationId, note.id) } })),
    h("div", { class: "msg-ephemeral-text", text: note.text }));
}

export class MessageList {
  constructor(line, conversation, actions, { onBottom }) {
    this.line = line;
    this.conversationId = conversation.id;
    this.actions = actions;
    this.onBottom = onBottom;
    this.cache = new Map();
    this.expanded = new Set(); // folded runs of join lines opened by the reader (by "f:" key)
    this.unseen = 0;
    this.top = h("div", { class: "msg-top" });
    this.inner = h("div", { class: "msg-inner" });
    this.el = h("div", {
      class: "msg-scroll scroll", role: "log", tabindex: "0", "aria-label": t("conv.messages"),
      "data-conversation": String(conversation.id),
    }, this.inner);
    this.pill = h("button", { class: "new-pill", type: "button", hidden: true, on: { click: () => this.scrollToBottom() } });
    this.root = h("div", { class: "msg-pane" }, this.el, this.pill);
    this.el.addEventListener("scroll", () => this.onScroll(), { passive: true });
    this.el.addEventListener("keydown", (event) => this.onKey(event));
    this.unsubscribe = [
      on(`timeline:${conversation.id}`, (change) => this.render(change)),
      on("users", () => this.schedule()),
      on("friends", () => this.schedule()),
      on(`ephemeral:${conversation.id}`, (note) => this.render(note ? { kind: "append", note } : { kind: "update" })),
    ];
  }

  destroy() {
    for (const fn of this.unsubscribe) fn();
    cancelAnimationFrame(this.frame);
  }

  schedule() {
    cancelAnimationFrame(this.frame);
    this.frame = requestAnimationFrame(() => this.render({ kind: "update" }));
  }

  context(grouped) {
    const conversation = state.conversations.get(this.conversationId) || { kind: "group" };
    return {
      conversation,
      grouped,
      peerRead: (message) =>
        conversation.kind === "direct" && !message.pending && (conversation.peer_read_seq ?? 0) >= message.seq,
    };
  }

  render(change = { kind: "update" }) {
    const wasAtBottom = isNearBottom(this.el);
    const anchor = change.kind === "reset" || wasAtBottom ? null : this.anchor();
    const children = [this.top];
    let previous = null;
    const seen = new Set();
    const messages = this.line.list();
    // The reader's own notes (a bot's private answers) go among the messages by time.
    const notes = [...notesOf(this.conversationId)];
    const placeNotes = (before) => {
      while (notes.length && (before === null || notes[0].at <= before)) {
        const note = notes.shift();
        const key = `n:${note.id}`;
        seen.add(key);
        children.push(this.cached(key, "1", () => buildNote(this.conversationId, note)));
        noteBetween = true; // the next message starts a new run under its sender's name
      }
    };
    let noteBetween = false;
    for (let index = 0; index < messages.length; index += 1) {
      const message = messages[index];
      placeNotes(message.created_at);
      if (!previous || !sameDay(previous.created_at, message.created_at)) {
        children.push(this.cached(`d:${new Date(message.created_at).toDateString()}`, formatDay(message.created_at), () =>
          h("div", { class: "day-sep", role: "separator" }, h("span", { text: formatDay(message.created_at) }))));
      }
      const run = joinRun(messages, index);
      if (run.length >= FOLD_MIN) {
        // A run of "joined" lines shows as one, which opens to show them all.
        const key = `f:${messageKey(run[0])}`;
        const open = this.expanded.has(key);
        seen.add(key);
        children.push(this.cached(key, `${open}|${run.length}|${foldText(run)}`, () => buildFold(run, open, () => this.toggleFold(key))));
        for (const line of open ? run : []) {
          const ctx = this.context(false);
          seen.add(messageKey(line));
          children.push(this.cached(messageKey(line), messageVersion(line, ctx), () => buildMessage(line, ctx, this.actions)));
        }
        previous = run[run.length - 1];
        index += run.length - 1;
        continue;
      }
      const grouped = Boolean(
        previous && !noteBetween && sameDay(previous.created_at, message.created_at) && previous.sender_id === message.sender_id &&
        previous.kind !== "system" && message.kind !== "system" && !previous.recalled && !message.recalled &&
        message.created_at - previous.created_at < GROUP_WINDOW_MS,
      );
      const ctx = this.context(grouped);
      const key = messageKey(message);
      seen.add(key);
      children.push(this.cached(key, messageVersion(message, ctx), () => buildMessage(message, ctx, this.actions)));
      previous = message;
      noteBetween = false;
    }
    placeNotes(null);
    this.renderTop();
    this.reconcile(children);
    for (const key of this.cache.keys()) if (!key.startsWith("d:") && !seen.has(key)) this.cache.delete(key);

    const mine = Boolean(change.note) || (change.message && state.me && change.message.sender_id === state.me.id);
    if (change.kind === "reset" || wasAtBottom || (change.kind === "append" && mine)) {
      this.scrollToBottom();
    } else if (anchor) {
      this.el.scrollTop = anchor.el.offsetTop - anchor.offset;
      if (change.kind === "append" && !mine) this.showPill(1);
    }
    if (change.kind === "reset") this.fillScreen();
  }

  toggleFold(key) {
    if (!this.expanded.delete(key)) this.expanded.add(key);
    this.render({ kind: "update" });
    const fold = this.cache.get(key);
    if (fold) fold.el.querySelector("button").focus({ preventScroll: true });
  }

  cached(key, version, build) {
    const hit = this.cache.get(key);
    if (hit && hit.version === version) return hit.el;
    const el = build();
    this.cache.set(key, { version, el });
    return el;
  }

  /** Make the container's children equal `wanted`, inserting and removing only what differs. */
  reconcile(wanted) {
    const keep = new Set(wanted);
    for (const child of [...this.inner.children]) if (!keep.has(child)) child.remove();
    wanted.forEach((el, index) => {
      const at = this.inner.children[index];
      if (at !== el) this.inner.insertBefore(el, at || null);
    });
  }

  renderTop() {
    this.top.replaceChildren();
    if (this.line.olderLoading) {
      this.top.append(h("span", { class: "spinner", "aria-hidden": "true" }), h("span", { text: t("conv.loadingOlder") }));
    } else if (this.line.loaded && !this.line.hasMoreBefore) {
      this.top.append(h("span", { text: t("conv.beginning") }));
    }
  }

  anchor() {
    const top = this.el.scrollTop;
    for (const el of this.inner.children) {
      if (el.offsetTop + el.offsetHeight > top && el !== this.top) return { el, offset: el.offsetTop - top };
    }
    return null;
  }

  scrollToBottom() {
    this.el.scrollTop = this.el.scrollHeight;
    this.unseen = 0;
    this.pill.hidden = true;
    this.onBottom();
  }

  showPill(count) {
    this.unseen += count;
    this.pill.hidden = false;
    this.pill.replaceChildren(icon("back", "icon-sm pill-arrow"), h("span", { text: t("conv.newMessages", { n: this.unseen }) }));
  }

  onScroll() {
    if (this.el.scrollTop < 300 && this.line.hasMoreBefore && this.line.loaded) this.loadOlder();
    if (isNearBottom(this.el)) {
      this.unseen = 0;
      this.pill.hidden = true;
      this.onBottom();
    }
  }

  loadOlder() {
    if (this.line.olderLoading) return;
    const promise = this.line.loadOlder();
    this.renderTop();
    promise.catch(() => this.renderTop());
  }

  /** A short conversation never scrolls, so it never asks for more: ask while the page is not full. */
  async fillScreen() {
    for (let i = 0; i < 5 && this.line.hasMoreBefore && this.el.scrollHeight <= this.el.clientHeight; i += 1) {
      if (!(await this.line.loadOlder())) break;
    }
  }

  highlight(seq) {
    const el = this.inner.querySelector(`[data-seq="${seq}"]`);
    if (!el) return false;
    el.scrollIntoView({ block: "center" });
    el.classList.remove("flash");
    void el.offsetWidth;
    el.classList.add("flash");
    if (el.tabIndex === -1) el.focus({ preventScroll: true });
    return true;
  }

  /** Arrow keys move between messages; a focused message shows its actions (Tab reaches them). */
  onKey(event) {
    if (event.key !== "ArrowUp" && event.key !== "ArrowDown") return;
    const items = [...this.inner.querySelectorAll(".msg")];
    if (!items.length) return;
    const current = document.activeElement.closest ? document.activeElement.closest(".msg") : null;
    let index = items.indexOf(current);
    if (index < 0) index = event.key === "ArrowUp" ? items.length : -1;
    const next = items[index + (event.key === "ArrowUp" ? -1 : 1)];
    if (next) {
      event.preventDefault();
      next.focus();
    }
  }
}
