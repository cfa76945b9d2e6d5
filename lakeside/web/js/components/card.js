// A card message (kind "card": what robots and webhooks post, lakeside/domain/cards.py). Built
// from the card's blocks with text nodes only; the one markup inserted is the server's sanitized
// `html` of a markdown text, through renderMarkdown (which rebuilds it from an allow-list). Links
// open in a new tab without a referrer, and only http(s) ones are made links at all. Pictures from
// other sites are not loaded (the page's policy allows only its own): they are shown as links.
// The server's own cards (work notices) may also link in-app routes ("/#/approvals/5", opened in
// place) and carry action buttons: a POST to this server's API, then the `done` text or the error.

import { request } from "../api.js";
import { h, replaceChildren } from "../dom.js";
import { errorText } from "../errors.js";
import { t } from "../i18n/index.js";
import { icon } from "../icons.js";
import { renderMarkdown } from "./markdown.js";

const SAFE_URL = /^https?:\/\//i;
const APP_ROUTE = /^\/#\//;
const API_PATH = /^\/api\/v1\//;
const COLOR = /^#[0-9a-f]{6}$/i;

function link(url, children, className = "card-link") {
  if (typeof url === "string" && APP_ROUTE.test(url)) return h("a", { class: className, href: url.slice(1) }, children);
  if (typeof url !== "string" || !SAFE_URL.test(url)) return h("span", { class: className }, children);
  return h("a", { class: className, href: url, target: "_blank", rel: "noopener noreferrer nofollow" }, children);
}

function markdown(html, text) {
  return h("div", { class: "card-md md" }, typeof html === "string" ? renderMarkdown(html) : text || "");
}

function picture(url, alt) {
  return link(url, [icon("image", "icon-sm"), h("span", { text: alt || t("card.picture") })], "card-picture");
}

function section(block) {
  const parts = [];
  if (block.pretext) parts.push(h("p", { class: "card-pretext", text: block.pretext }));
  if (block.title) parts.push(h("div", { class: "card-title" }, block.title_url ? link(block.title_url, block.title) : block.title));
  if (block.text) parts.push(markdown(block.html, block.text));
  if (Array.isArray(block.fields) && block.fields.length) {
    parts.push(h("dl", { class: "card-fields" }, block.fields.map((field) => h("div", { class: ["card-field", field.short && "short"] },
      field.title ? h("dt", { text: field.title }) : null,
      h("dd", { text: field.value || "" })))));
  }
  if (block.image_url) parts.push(picture(block.image_url, ""));
  if (block.footer) parts.push(h("p", { class: "card-footer muted", text: block.footer }));
  const color = typeof block.color === "string" && COLOR.test(block.color) ? block.color : null;
  const el = h("div", { class: ["card-section", color && "card-colored"] }, parts);
  if (color) el.style.borderInlineStartColor = color;
  return el;
}

function block(part) {
  switch (part.type) {
    case "markdown":
      return markdown(part.html, part.text);
    case "section":
      return section(part);
    case "buttons":
      return h("div", { class: ["card-buttons", part.layout === "horizontal" && "horizontal"] },
        (part.buttons || []).map((button) => (button.action ? actionButton(button) : link(button.url, button.title, "btn btn-sm card-button"))));
    case "links":
      return h("ul", { class: "card-links" }, (part.items || []).map((item) => h("li", {},
        link(item.url, item.title), item.image_url ? picture(item.image_url, "") : null)));
    case "image":
      return picture(part.url, part.alt);
    default:
      return null;
  }
}

const STYLES = { primary: "btn-primary", danger: "btn-danger" };

/** A button that POSTs to this server's API; on success the card's buttons give way to `done`. */
function actionButton(button) {
  const action = button.action;
  const el = h("button", { class: ["btn btn-sm card-button", STYLES[button.style]], type: "button", text: button.title, on: { click: run } });
  async function run() {
    const row = el.closest(".card-buttons");
    const note = row.parentElement.querySelector(".card-action-note") || h("p", { class: "card-action-note", role: "status" });
    if (typeof action.path !== "string" || !API_PATH.test(action.path)) return;
    for (const other of row.querySelectorAll("button")) other.disabled = true;
    try {
      await request("POST", action.path.slice("/api/v1".length), { json: action.body ?? {} });
      note.classList.remove("card-action-error");
      replaceChildren(row, h("span", { class: "card-done", text: action.done || t("card.done") }));
    } catch (error) {
      for (const other of row.querySelectorAll("button")) other.disabled = false;
      note.classList.add("card-action-error");
      note.textContent = errorText(error);
      row.after(note);
    }
  }
  return el;
}

/** The card's blocks as elements (an unknown block type is left out). */
export function renderCard(card) {
  const blocks = card && Array.isArray(card.blocks) ? card.blocks : [];
  return h("div", { class: "msg-card" }, blocks.map(block));
}

/** The robot badge shown beside a robot's or bot's name. */
export function botBadge() {
  return h("span", { class: "bot-badge", text: t("bot.badge"), title: t("bot.badgeHint") });
}
