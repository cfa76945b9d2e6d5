// An image shown full size over the page; Esc, the close button or a click outside closes it.

import { h } from "../dom.js";
import { icon } from "../icons.js";
import { t } from "../i18n/index.js";

export function openLightbox(url, name) {
  const previous = document.activeElement;
  const close = () => {
    overlay.remove();
    document.removeEventListener("keydown", onKey, true);
    if (previous && previous.isConnected) previous.focus();
  };
  const onKey = (event) => {
    if (event.key === "Escape") {
      event.preventDefault();
      event.stopPropagation();
      close();
    }
  };
  const closeButton = h("button", { class: "icon-btn lightbox-close", type: "button", "aria-label": t("action.close"), on: { click: close } }, icon("close"));
  const overlay = h(
    "div",
    { class: "lightbox", role: "dialog", "aria-modal": "true", "aria-label": name || t("msg.image"), on: { click: (event) => { if (event.target === overlay) close(); } } },
    h("img", { src: url, alt: name || "" }),
    h("div", { class: "lightbox-bar" },
      h("a", { class: "btn btn-sm", href: url, target: "_blank", rel: "noopener", download: name || "" }, icon("download", "icon-sm"), t("action.download")),
      closeButton),
  );
  document.getElementById("overlays").append(overlay);
  document.addEventListener("keydown", onKey, true);
  closeButton.focus();
}
