// Dialogs: labelled, modal, focus kept inside while open, Esc or the close button closes, and
// focus goes back where it was.

import { focusables, h } from "../dom.js";
import { icon } from "../icons.js";
import { t } from "../i18n/index.js";

let counter = 0;
const open = [];

export function openModal({ title, body, actions = [], onClose = null, wide = false, className = "" }) {
  counter += 1;
  const titleId = `modal-title-${counter}`;
  const previous = document.activeElement;
  let closed = false;

  const close = () => {
    if (closed) return;
    closed = true;
    overlay.remove();
    open.splice(open.indexOf(handle), 1);
    document.removeEventListener("keydown", onKey, true);
    if (onClose) onClose();
    if (previous && previous.isConnected) previous.focus();
  };

  const dialog = h(
    "div",
    { class: ["modal", wide && "modal-wide", className], role: "dialog", "aria-modal": "true", "aria-labelledby": titleId },
    h(
      "div",
      { class: "modal-head" },
      h("h2", { id: titleId, class: "modal-title", text: title }),
      h("button", { class: "icon-btn", type: "button", "aria-label": t("action.close"), title: t("action.close"), on: { click: close } }, icon("close")),
    ),
    h("div", { class: "modal-body scroll" }, body),
    actions.length ? h("div", { class: "modal-actions" }, actions) : null,
  );
  const overlay = h("div", { class: "overlay", on: { mousedown: (event) => { if (event.target === overlay) close(); } } }, dialog);

  function onKey(event) {
    if (open[open.length - 1] !== handle) return;
    if (event.key === "Escape") {
      event.preventDefault();
      event.stopPropagation();
      close();
    } else if (event.key === "Tab") {
      const items = focusables(dialog);
      if (!items.length) return;
      const first = items[0];
      const last = items[items.length - 1];
      if (event.shiftKey && document.activeElement === first) {
        event.preventDefault();
        last.focus();
      } else if (!event.shiftKey && document.activeElement === last) {
        event.preventDefault();
        first.focus();
      }
    }
  }

  document.getElementById("overlays").append(overlay);
  document.addEventListener("keydown", onKey, true);
  const handle = { close, dialog };
  open.push(handle);
  const autofocus = dialog.querySelector("[autofocus]") || focusables(dialog.querySelector(".modal-body"))[0] || focusables(dialog)[0];
  if (autofocus) autofocus.focus();
  return handle;
}

/** Ask a yes/no question; resolves true when confirmed. */
export function confirmDialog({ title, message, confirmLabel, danger = false }) {
  return new Promise((resolve) => {
    let answered = false;
    const modal = openModal({
      title,
      body: h("p", { class: "confirm-text", text: message }),
      onClose: () => { if (!answered) resolve(false); },
      actions: [
        h("button", { class: "btn", type: "button", text: t("action.cancel"), on: { click: () => modal.close() } }),
        h("button", {
          class: ["btn", danger ? "btn-danger" : "btn-primary"], type: "button", text: confirmLabel || t("action.ok"), autofocus: true,
          on: { click: () => { answered = true; resolve(true); modal.close(); } },
        }),
      ],
    });
  });
}

/** Ask for one line of text; resolves with it, or null when cancelled. */
export function promptDialog({ title, label, value = "", placeholder = "", maxLength = 256, allowEmpty = false }) {
  return new Promise((resolve) => {
    let answered = false;
    const input = h("input", { class: "input", value, placeholder, maxlength: maxLength, "aria-label": label, autofocus: true });
    const submit = (event) => {
      event.preventDefault();
      const text = input.value.trim();
      if (!text && !allowEmpty) return;
      answered = true;
      resolve(text);
      modal.close();
    };
    const form = h("form", { on: { submit } }, h("div", { class: "field" }, h("label", { text: label }), input));
    const modal = openModal({
      title,
      body: form,
      onClose: () => { if (!answered) resolve(null); },
      actions: [
        h("button", { class: "btn", type: "button", text: t("action.cancel"), on: { click: () => modal.close() } }),
        h("button", { class: "btn btn-primary", type: "button", text: t("action.save"), on: { click: submit } }),
      ],
    });
    input.select();
  });
}

export function closeTopModal() {
  const top = open[open.length - 1];
  if (top) top.close();
  return Boolean(top);
}
