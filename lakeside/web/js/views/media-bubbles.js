// What a voice message and a chat record (合并转发) look like in the chat: the voice player
// (play/pause, length, progress, the red dot until you play someone else's voice message) and
// the chat-history card (title, first lines, count), which opens the transcript (views/forward.js,
// loaded on first use). One voice message plays at a time.

import { api } from "../api.js";
import { h } from "../dom.js";
import { t, tn } from "../i18n/index.js";
import { icon } from "../icons.js";
import { state } from "../store.js";
import { timeline } from "../timeline.js";

const SHORTEST_BUBBLE = 64; // px, for a one-second message
const WIDEST_BUBBLE = 220; // px, for a minute
const PREVIEW_KINDS = { image: "msg.imageSummary", file: "msg.fileSummary", voice: "msg.voiceSummary", forward: "msg.recordSummary", recalled: "msg.quoteRecalled" };

let playing = null; // { audio, el, message }

/** Whole seconds, rounded as WeChat shows them (a 0.6 s recording says 1″). */
export function voiceSeconds(ms) {
  return Math.max(1, Math.round((ms || 0) / 1000));
}

/** The red dot: someone else's voice message that you have not played (a live event carries no
 * `played`: it is new, so not played yet). */
export function unplayed(message) {
  return message.kind === "voice" && !message.recalled && !!state.me && message.sender_id !== state.me.id && message.played !== true;
}

export function voiceBubble(message, { onPlayed } = {}) {
  const seconds = voiceSeconds(message.duration_ms);
  const width = SHORTEST_BUBBLE + Math.round((WIDEST_BUBBLE - SHORTEST_BUBBLE) * Math.min(1, (seconds - 1) / 59));
  const progress = h("span", { class: "voice-progress-bar" });
  const button = h("button", {
    class: "voice-play", type: "button", "aria-label": t("voice.play", { s: seconds }), "aria-pressed": "false",
  }, icon("play", "icon-sm"));
  const el = h("div", { class: "msg-voice", dataset: { messageId: message.id ?? "" } },
    button,
    h("span", { class: "voice-track", ref: (track) => { track.style.width = `${width}px`; } },
      h("span", { class: "voice-progress" }, progress)),
    h("span", { class: "voice-length", text: t("voice.seconds", { s: seconds }) }),
    unplayed(message) ? h("span", { class: "voice-dot", role: "img", "aria-label": t("voice.unplayed"), title: t("voice.unplayed") }) : null);
  button.addEventListener("click", () => toggle(message, el, onPlayed));
  if (playing && same(playing.message, message)) adopt(el);
  return el;
}

function same(a, b) {
  return a === b || (a.id != null && a.id === b.id);
}

function adopt(el) {
  // Re-rendered while playing (a reaction arrived): the new element shows the same state.
  playing.el = el;
  el.classList.add("playing");
  el.querySelector(".voice-play").setAttribute("aria-pressed", "true");
}

function toggle(message, el, onPlayed) {
  if (playing && same(playing.message, message)) {
    stop();
    return;
  }
  stop();
  if (!message.file || !message.file.url) return;
  const audio = new Audio(message.file.url);
  playing = { audio, el, message };
  el.classList.add("playing");
  const button = el.querySelector(".voice-play");
  button.setAttribute("aria-pressed", "true");
  button.setAttribute("aria-label", t("voice.pause"));
  audio.addEventListener("timeupdate", () => {
    if (!playing || playing.audio !== audio) return;
    const total = audio.duration && Number.isFinite(audio.duration) ? audio.duration : (message.duration_ms || 1000) / 1000;
    const bar = playing.el.querySelector(".voice-progress-bar");
    if (bar) bar.style.width = `${Math.min(100, (audio.currentTime / total) * 100)}%`;
  });
  audio.addEventListener("ended", () => stop());
  audio.play().catch(() => stop());
  if (unplayed(message)) markPlayed(message, onPlayed);
}

function stop() {
  if (!playing) return;
  const { audio, el, message } = playing;
  playing = null;
  audio.pause();
  el.classList.remove("playing");
  const button = el.querySelector(".voice-play");
  if (button) {
    button.setAttribute("aria-pressed", "false");
    button.setAttribute("aria-label", t("voice.play", { s: voiceSeconds(message.duration_ms) }));
  }
  const bar = el.querySelector(".voice-progress-bar");
  if (bar) bar.style.width = "0";
}

async function markPlayed(message, onPlayed) {
  message.played = true;
  document.querySelectorAll(`.msg-voice[data-message-id="${message.id}"] .voice-dot`).forEach((dot) => dot.remove());
  if (onPlayed) onPlayed(message);
  try {
    await api.post(`/messages/${message.id}/played`);
  } catch {
    // The dot stays cleared here; another device still shows it until it is played there.
  }
}

/** Your other device played it (message.played). */
export function applyPlayed(conversationId, messageId) {
  timeline(conversationId).applyPlayed(messageId);
}

/** "张三和李四的聊天记录" in the reader's language; a group's name stays in the group. */
export function recordTitle(source) {
  const names = (source && source.names) || [];
  if (source && source.kind === "direct" && names.length >= 2) return t("record.titleDirect", { a: names[0], b: names[1] });
  if (source && source.kind === "direct" && names.length === 1) return t("record.titleOne", { a: names[0] });
  return t("record.titleGroup");
}

export function recordLine(line) {
  const what = line.text || (PREVIEW_KINDS[line.kind] ? t(PREVIEW_KINDS[line.kind]) : "");
  return t("record.line", { name: line.name, text: what });
}

export function recordCard(record, onOpen) {
  const title = recordTitle(record.source);
  return h("button", {
    class: "msg-record", type: "button", "aria-label": t("record.open", { title }),
    on: { click: () => onOpen() },
  },
  h("span", { class: "record-title", text: title }),
  h("span", { class: "record-lines" }, (record.preview || []).map((line) => h("span", { class: "record-line ellipsis", text: recordLine(line) }))),
  h("span", { class: "record-foot" }, h("span", { text: t("record.label") }), h("span", { text: tn("record.count", record.count) })));
}
