// A card message (kind "card": what robots and webhooks post, lakeside/domain/cards.py). Built
// from the card's blocks with text nodes only; the one markup inserted is the server's sanitized
// `html` of a markdown text, through renderMarkdown (which rebuilds it from an allow-list). Links
// open in a new tab without a referrer, and only http(s) ones are made links at all. Pictures from
// other sites are not loaded (the page's policy allows only its own): they are shown as links.

import { h } from "../dom.js";
import { t } from "../i18n/index.js";
import { icon } from "../icons.js";
import { renderMarkdown } from "./markdown.js";

const SAFE_URL = /^https?:\/\//i;
const COLOR = /^#[0-9a-f]{6}$/i;

function link(url, children, className = "card-link") {
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
        (part.buttons || []).map((button) => link(button.url, button.title, "btn btn-sm card-button")));
    case "links":
      return h("ul", { class: "card-links" }, (part.items || []).map((item) => h("li", {},
        link(item.url, item.title), item.image_url ? picture(item.image_url, "") : null)));
    case "image":
      return picture(part.url, part.alt);
    default:
      return null;
  }
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
