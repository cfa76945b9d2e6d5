// Things anchored to a control: menus (role=menu, arrow keys) and free-form popovers (emoji
// picker, read receipts). One at a time; Esc or a click elsewhere closes it and focus returns.
// A popover stays inside the viewport, also when its content grows after it opened (the read
// receipts arrive after a spinner).

import { focusables, h } from "../dom.js";
import { icon } from "../icons.js";

let current = null;

export function closePopover() {
  if (!current) return false;
  const { el, cleanup, anchor, restoreFocus } = current;
  current = null;
  el.remove();
  cleanup();
  if (restoreFocus && anchor && anchor.isConnected) anchor.focus();
  return true;
}

export function openPopover(anchor, content, { label = "", className = "", role = "dialog", placement = "auto" } = {}) {
  closePopover();
  const el = h("div", { class: ["popover", className], role, "aria-label": label || null }, content);
  document.getElementById("overlays").append(el);
  position(el, anchor, placement);
  const resized = new ResizeObserver(() => position(el, anchor, placement));
  resized.observe(el);
  const onDown = (event) => {
    if (!el.contains(event.target) && !anchor.contains(event.target)) closePopover();
  };
  const onKey = (event) => {
    if (event.key === "Escape") {
      event.preventDefault();
      event.stopPropagation();
      current.restoreFocus = true;
      closePopover();
    }
  };
  const onResize = () => closePopover();
  setTimeout(() => document.addEventListener("mousedown", onDown, true));
  document.addEventListener("keydown", onKey, true);
  window.addEventListener("resize", onResize);
  current = {
    el, anchor, restoreFocus: false,
    cleanup: () => {
      resized.disconnect();
      document.removeEventListener("mousedown", onDown, true);
      document.removeEventListener("keydown", onKey, true);
      window.removeEventListener("resize", onResize);
    },
  };
  return el;
}

const MARGIN = 8;
const GAP = 4;

/** Below the anchor if it fits (or above, where there is more room), aligned with its left edge
 *  (or its right one), and in any case inside the viewport. */
function position(el, anchor, placement) {
  const rect = anchor.getBoundingClientRect();
  const width = el.offsetWidth;
  const height = el.offsetHeight;
  const viewWidth = document.documentElement.clientWidth;
  const viewHeight = window.innerHeight;
  const roomBelow = viewHeight - MARGIN - (rect.bottom + GAP);
  const roomAbove = rect.top - GAP - MARGIN;
  const above = placement === "above" || (placement === "auto" && height > roomBelow && roomAbove > roomBelow);
  let top = above ? rect.top - GAP - height : rect.bottom + GAP;
  top = clamp(top, MARGIN, viewHeight - MARGIN - height);
  let left = rect.left;
  if (left + width > viewWidth - MARGIN) left = rect.right - width;
  left = clamp(left, MARGIN, viewWidth - MARGIN - width);
  el.style.top = `${Math.round(top)}px`;
  el.style.left = `${Math.round(left)}px`;
}

function clamp(value, low, high) {
  return Math.max(low, Math.min(value, high));
}

/** items: [{label, icon, onSelect, danger, hidden}] */
export function openMenu(anchor, items, { label = "" } = {}) {
  const buttons = items
    .filter((item) => item && !item.hidden)
    .map((item) =>
      h(
        "button",
        {
          class: ["menu-item", item.danger && "danger"],
          type: "button",
          role: "menuitem",
          tabindex: "-1",
          on: { click: () => { current && (current.restoreFocus = true); closePopover(); item.onSelect(); } },
        },
        item.icon ? icon(item.icon, "icon-sm") : null,
        h("span", { text: item.label }),
      ),
    );
  const el = openPopover(anchor, buttons, { label, className: "menu", role: "menu" });
  el.addEventListener("keydown", (event) => {
    const list = focusables(el);
    const index = list.indexOf(document.activeElement);
    if (event.key === "ArrowDown") {
      event.preventDefault();
      list[(index + 1) % list.length].focus();
    } else if (event.key === "ArrowUp") {
      event.preventDefault();
      list[(index - 1 + list.length) % list.length].focus();
    } else if (event.key === "Tab") {
      event.preventDefault();
      closePopover();
      anchor.focus();
    }
  });
  if (buttons[0]) buttons[0].focus();
  return el;
}
