// The reaction picker: a small grid of the emoji people use most at work.

import { h } from "../dom.js";
import { t } from "../i18n/index.js";
import { closePopover, openPopover } from "./popover.js";

export const EMOJI = ["👍", "❤️", "😂", "🎉", "👏", "🙏", "👌", "💪", "😄", "😮", "😢", "🤔", "👀", "🔥", "✅", "🌹"];

export function openEmojiPicker(anchor, onPick) {
  const buttons = EMOJI.map((emoji) =>
    h("button", {
      class: "emoji-btn", type: "button", text: emoji, "aria-label": emoji,
      on: { click: () => { closePopover(); onPick(emoji); } },
    }),
  );
  const grid = h("div", { class: "emoji-grid" }, buttons);
  grid.addEventListener("keydown", (event) => {
    const index = buttons.indexOf(document.activeElement);
    if (index < 0) return;
    const step = { ArrowRight: 1, ArrowLeft: -1, ArrowDown: 8, ArrowUp: -8 }[event.key];
    if (step) {
      event.preventDefault();
      buttons[(index + step + buttons.length) % buttons.length].focus();
    }
  });
  openPopover(anchor, grid, { label: t("msg.react"), className: "emoji-popover" });
  buttons[0].focus();
}
