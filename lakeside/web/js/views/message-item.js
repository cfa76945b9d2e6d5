// One message in the conversation: avatar, name and time, the bubble (quote, text / sanitized
// markdown / image / file), reactions, hover actions, and the status line under your own
// messages (pending with a clock while in the outbox; failed with the reason, retry and delete;
// "N unread" in groups, read / unread in direct chats).

import { h } from "../dom.js";
import { errorText } from "../errors.js";
import { formatDateTime, formatSize, formatTime } from "../format.js";
import { messageSummary, systemText } from "../summary.js";
import { t } from "../i18n/index.js";
import { icon } from "../icons.js";
import { displayName, getUser, state } from "../store.js";
import { userAvatar } from "../components/avatar.js";
import { renderMarkdown } from "../components/markdown.js";
import { botBadge, renderCard } from "../components/card.js";
import { recordCard, voiceBubble } from "./media-bubbles.js";

const URL = String.raw`(https?:\/\/[^\s<>"'）)]+[^\s<>"'）).,;:!?。，；：！？])`;
// As the server reads a mention (lakeside/domain/mentions.py): no Latin letter, digit or e-mail
// character before the @ (Chinese text needs no space), the full-width ＠ too, @all and @所有人.
// (\u6240\u6709\u4eba is 所有人, written so because code holds no words of one language.)
// What may not stand before the @ is looked behind, not matched: a match that began one character
// early (the space before "@Bob Li") would win over the picked name "Bob Li" starting at the @.
// The empty group keeps the groups' numbering (the lead the code adds back is always empty).
const USERNAME = String.raw`(?<![A-Za-z0-9_.+%\-@＠])()[@＠](\u6240\u6709\u4eba|[a-z][a-z0-9_.-]{2,31}(?![a-z0-9_-]))`;
const URL_OR_MENTION = new RegExp(`${URL}|${USERNAME}`, "gi");
const EVERYONE = new Set(["all", "\u6240\u6709\u4eba"]); // all, 所有人
const THUMB_MAX = 240;
// What a message in the outbox is doing (outbox.js): waiting for its turn or the network, on its
// way (no ack yet), or its file uploading.
const PENDING_TEXT = { queued: "msg.waiting", sending: "msg.sending", uploading: "msg.uploading" };

export function messageKey(message) {
  if (message.client_msg_id && state.me && message.sender_id === state.me.id) return `c:${message.client_msg_id}`;
  return `m:${message.id}`;
}

/** Everything the element shows depends on this string: same string, same element. */
export function messageVersion(message, ctx) {
  // A system line names people: it changes when their names arrive (they may not be cached yet).
  if (message.kind === "system") return `${message.id}|${message.seq}|${systemText(message)}`;
  return [
    message.id, message.status, message.edited_at, message.recalled, message.body, message.html,
    JSON.stringify(message.reactions || []), message.unread_count, ctx.grouped, ctx.peerRead(message),
    displayName(message.sender_id), message.file ? message.file.thumbnail_url : "", message.error ? message.error.code : "",
    message.file ? message.file.url : "", message.played, message.duration_ms,
    // A merged record's card changes when a message in it is recalled (message.edited).
    message.record ? JSON.stringify(message.record) : "",
    // The names a mention picked by name is shown with (fetched when unknown, then re-rendered).
    (message.mentions || []).map((id) => `${id}:${(getUser(id) || {}).display_name || ""}`).join(","),
    // A robot's badge appears once its profile (with `bot`) is known; a card is drawn from `card`.
    isBot(message.sender_id), message.card ? JSON.stringify(message.card) : "",
  ].join("|");
}

/** Whether the sender is a robot or bot (its profile's `bot`): shown with a badge. */
export function isBot(id) {
  const user = getUser(id);
  return Boolean(user && user.bot);
}

export function buildMessage(message, ctx, actions) {
  if (message.kind === "system") {
    return h("div", { class: "msg-system", dataset: { seq: message.seq } }, h("span", { text: systemText(message) }));
  }
  if (message.recalled) {
    return h("div", { class: "msg-system msg-recalled", dataset: { seq: message.seq } },
      h("span", { text: messageSummary(message) }));
  }
  const mine = state.me && message.sender_id === state.me.id;
  const robot = isBot(message.sender_id);
  // A robot's post may carry its own name (Slack's `username`): shown with the badge all the same.
  const override = robot && message.card && typeof message.card.sender_name === "string" ? message.card.sender_name : "";
  const name = override || displayName(message.sender_id);
  const showName = !ctx.grouped && !mine;
  const el = h(
    "div",
    {
      class: ["msg", mine && "mine", ctx.grouped && "grouped", message.pending && "pending", message.status === "failed" && "failed"],
      tabindex: "-1",
      dataset: { seq: message.seq ?? "", key: messageKey(message), ...(message.id ? { id: message.id } : {}) },
      "aria-label": `${name} ${formatTime(message.created_at)}`,
      // A long press on a phone (or the context-menu key) opens the message's actions.
      on: message.pending ? {} : {
        contextmenu: (event) => {
          if (event.target.closest("a")) return;
          event.preventDefault();
          actions.onMore(message, event.currentTarget.querySelector(".bubble") || event.currentTarget);
        },
      },
    },
    h("div", { class: "msg-avatar" }, ctx.grouped ? null : userAvatar(message.sender_id, { size: "sm" })),
    h(
      "div",
      { class: "msg-main" },
      showName || !ctx.grouped
        ? h("div", { class: "msg-meta" },
          showName ? h("span", { class: "msg-name", text: name, title: override ? displayName(message.sender_id) : null }) : null,
          showName && robot ? botBadge() : null,
          h("time", { class: "msg-time", datetime: new Date(message.created_at).toISOString(), title: formatDateTime(message.created_at), text: formatTime(message.created_at) }))
        : null,
      h("div", { class: "msg-row" }, bubble(message, ctx, actions), message.pending ? null : toolbar(message, ctx, actions)),
      reactions(message, actions),
      mine ? status(message, ctx, actions) : null,
    ),
  );
  return el;
}

function bubble(message, ctx, actions) {
  const parts = [];
  if (message.reply_to) parts.push(quote(message.reply_to, actions));
  if (message.kind === "image" && message.file) {
    parts.push(image(message, actions));
  } else if (message.kind === "file" && message.file) {
    parts.push(fileCard(message));
  } else if (message.kind === "voice") {
    parts.push(voiceBubble(message));
  } else if (message.kind === "forward" && message.record) {
    parts.push(recordCard(message.record, () => actions.onOpenRecord(message)));
  }
  if (message.kind === "card") {
    parts.push(message.card ? renderCard(message.card) : h("div", { class: "msg-text", text: message.body }));
  } else if (message.kind === "markdown" && message.html) {
    parts.push(h("div", { class: "msg-text md" }, renderMarkdown(message.html)));
  } else if (message.body && !["voice", "forward"].includes(message.kind) && (message.kind !== "image" && message.kind !== "file" ? true : message.body.trim())) {
    parts.push(h("div", { class: "msg-text" }, richText(message.body, message)));
  }
  const unwritten = unwrittenMentions(message);
  if (unwritten.length) parts.push(h("div", { class: "msg-at-line" }, unwritten));
  if (message.edited_at) parts.push(h("span", { class: "msg-edited", text: t("msg.edited") }));
  const media = ["image", "file", "voice", "forward"].includes(message.kind) && !(message.body && ["image", "file"].includes(message.kind));
  return h("div", { class: ["bubble", media && "bubble-media"] }, parts);
}

/** Who a message notifies without naming them in its words: a robot's @所有人 (DingTalk's isAtAll)
 * or people it @s by phone number or id (atMobiles, mentioned_list) whose names its text does not
 * carry. Shown as @-tags under the text, as DingTalk does, so nobody is notified invisibly. */
function unwrittenMentions(message) {
  // Only a robot can notify without writing the name (a person's mention is always in their words).
  const sender = getUser(message.sender_id);
  if (!sender || !sender.bot || !["text", "markdown", "card"].includes(message.kind)) return [];
  const words = message.kind === "card" ? JSON.stringify(message.card || {}) : message.body || "";
  const tags = [];
  if (message.mention_all && !/[@＠](all|\u6240\u6709\u4eba)(?![A-Za-z0-9_])/i.test(words)) {
    tags.push(h("span", { class: "mention mention-me", text: `@${t("mention.all")}` }));
  }
  for (const id of message.mentions || []) {
    const me = state.me && id === state.me.id;
    const user = me ? state.me : getUser(id);
    const names = user ? [user.display_name, user.username].filter(Boolean) : [];
    if (names.some((name) => words.includes(`@${name}`) || words.includes(`\uFF20${name}`))) continue;
    tags.push(h("span", { class: ["mention", me && "mention-me"], text: `@${user ? user.display_name : displayName(id)}`, dataset: { userId: String(id) } }));
  }
  return tags;
}

/** Plain text with links and @mentions made visible; every piece is a text node. A person
 * picked by name (the message's `mentions`) shows where `@their display name` is written. */
export function richText(text, message = null) {
  const named = new Map(); // "@name" as written -> user id
  for (const id of (message && message.mentions) || []) {
    const name = id === (state.me && state.me.id) ? state.me.display_name : (getUser(id) || {}).display_name;
    if (name) named.set(name, id);
  }
  const names = [...named.keys()].sort((a, b) => b.length - a.length).map(escapeRegExp);
  const pattern = names.length
    ? new RegExp(`${URL}|[@＠](${names.join("|")})|${USERNAME}`, "gi")
    : URL_OR_MENTION;
  const nodes = [];
  let last = 0;
  const myName = state.me ? state.me.username.toLowerCase() : "";
  for (const match of text.matchAll(pattern)) {
    const whole = match[0];
    const [url, name, lead, username] = names.length ? match.slice(1) : [match[1], undefined, match[2], match[3]];
    if (url) {
      nodes.push(text.slice(last, match.index));
      nodes.push(h("a", { href: url, target: "_blank", rel: "noopener noreferrer nofollow", text: url }));
    } else if (name) {
      nodes.push(text.slice(last, match.index));
      const id = named.get(name) ?? [...named].find(([key]) => key.toLowerCase() === name.toLowerCase())?.[1];
      const me = state.me && id === state.me.id;
      nodes.push(h("span", { class: ["mention", me && "mention-me"], text: whole, dataset: { userId: String(id) } }));
    } else if (EVERYONE.has(username.toLowerCase()) && message && !message.mention_all) {
      // @all from a plain member notifies nobody (only the owner and admins may): plain text.
      nodes.push(text.slice(last, match.index + whole.length));
    } else {
      nodes.push(text.slice(last, match.index) + lead);
      const lower = username.toLowerCase();
      const me = lower === myName || EVERYONE.has(lower);
      nodes.push(h("span", { class: ["mention", me && "mention-me"], text: whole.slice(lead.length) }));
    }
    last = match.index + whole.length;
  }
  nodes.push(text.slice(last));
  return nodes;
}

function escapeRegExp(text) {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

function quote(reply, actions) {
  const who = reply.sender_id ? displayName(reply.sender_id) : "";
  const summary = reply.recalled ? t("msg.quoteRecalled") : messageSummary({ ...reply, recalled: false });
  return h("button", {
    class: "msg-quote", type: "button", title: t("msg.jumpToQuote"),
    on: { click: () => reply.seq && actions.onJump(reply.seq) },
  }, h("span", { class: "msg-quote-name", text: who }), h("span", { class: "msg-quote-text", text: summary }));
}

function image(message, actions) {
  const file = message.file;
  const src = file.thumbnail_url || message.localUrl || file.url;
  let width = file.width || THUMB_MAX;
  let height = file.height || THUMB_MAX * 0.75;
  const scale = Math.min(1, THUMB_MAX / Math.max(width, height));
  width = Math.round(width * scale);
  height = Math.round(height * scale);
  const img = h("img", { src, alt: file.filename || t("msg.image"), width, height, loading: "lazy", decoding: "async" });
  if (!file.url) return h("span", { class: "msg-image uploading" }, img);
  return h("button", {
    class: "msg-image", type: "button", "aria-label": t("msg.openImage", { name: file.filename || "" }),
    on: { click: () => actions.onOpenImage(message) },
  }, img);
}

function fileCard(message) {
  const file = message.file;
  const body = [
    h("span", { class: "file-icon", "aria-hidden": "true" }, icon("file")),
    h("span", { class: "file-info" },
      h("span", { class: "file-name ellipsis", text: file.filename || t("msg.file") }),
      h("span", { class: "file-size", text: file.size ? formatSize(file.size) : "" })),
  ];
  if (!file.url) return h("span", { class: "msg-file" }, body);
  return h("a", { class: "msg-file", href: file.url, target: "_blank", rel: "noopener", download: file.filename || "" },
    body, h("span", { class: "file-download", "aria-hidden": "true" }, icon("download", "icon-sm")));
}

function reactions(message, actions) {
  if (!message.reactions || !message.reactions.length) return null;
  const me = state.me ? state.me.id : null;
  return h("div", { class: "reactions" }, message.reactions.map((reaction) => {
    const mine = reaction.user_ids.includes(me);
    const who = reaction.user_ids.slice(0, 10).map((id) => displayName(id)).join(t("list.separator"));
    return h("button", {
      class: ["reaction", mine && "mine"], type: "button", "aria-pressed": String(mine), title: who,
      "aria-label": t("msg.reactionLabel", { emoji: reaction.emoji, n: reaction.count }),
      on: { click: () => actions.onReact(message, reaction.emoji) },
    }, h("span", { class: "reaction-emoji", text: reaction.emoji }), h("span", { class: "reaction-count", text: String(reaction.count) }));
  }));
}

function toolbar(message, ctx, actions) {
  const button = (name, label, handler) => {
    const el = h("button", {
      class: "icon-btn", type: "button", "aria-label": label, title: label,
      on: { click: () => handler(el) },
    }, icon(name, "icon-sm"));
    return el;
  };
  return h("div", { class: "msg-actions", role: "toolbar", "aria-label": t("msg.actions") },
    button("smile", t("msg.react"), (el) => actions.onPickReaction(message, el)),
    button("reply", t("msg.reply"), () => actions.onReply(message)),
    button("more", t("msg.more"), (el) => actions.onMore(message, el)));
}

/** Why the server refused a message, in the user's language where we have it. */
function refusal(error) {
  if (!error) return "";
  const key = `error.${error.code}`;
  const known = t(key);
  return known !== key ? known : error.message || "";
}

function status(message, ctx, actions) {
  if (message.pending && PENDING_TEXT[message.status]) {
    return h("div", { class: ["msg-status", "msg-pending", message.status] }, icon("clock", "icon-sm"),
      h("span", { text: t(PENDING_TEXT[message.status]) }));
  }
  if (message.status === "failed") {
    const reason = refusal(message.error);
    return h("div", { class: "msg-status failed", role: "alert" },
      icon("alert", "icon-sm"),
      h("span", { text: reason ? t("msg.failedBecause", { reason }) : t("msg.failed") }),
      h("button", { class: "link-btn", type: "button", text: t("action.retry"), on: { click: () => actions.onRetry(message) } }),
      h("button", { class: "link-btn muted", type: "button", text: t("action.delete"), on: { click: () => actions.onDiscard(message) } }));
  }
  if (ctx.conversation.kind === "direct") {
    const read = ctx.peerRead(message);
    return h("div", { class: ["msg-status", "receipt", read ? "read" : "unread"] },
      h("span", { text: read ? t("receipt.read") : t("receipt.unread") }));
  }
  if (typeof message.unread_count !== "number") return null;
  const allRead = message.unread_count === 0;
  return h("div", { class: "msg-status" }, h("button", {
    class: ["receipt", "receipt-btn", allRead ? "read" : "unread"], type: "button", "aria-haspopup": "dialog",
    text: allRead ? t("receipt.allRead") : t("receipt.nUnread", { n: message.unread_count }),
    on: { click: (event) => actions.onReceipts(message, event.currentTarget) },
  }));
}
