// Small pieces the admin pages share: the page frame, labelled fields, switches, and running a
// request with its error shown as a toast.

import { h, replaceChildren } from "../dom.js";
import { errorText } from "../errors.js";
import { t } from "../i18n/index.js";
import { icon } from "../icons.js";
import { loadOrgs } from "../org.js";
import { toast } from "../components/toast.js";

/** Draws an admin page into `main`; returns its body element. */
export function adminFrame(main, title, { actions = null, wide = false } = {}) {
  const body = h("div", { class: ["admin-body", wide && "admin-wide"] });
  replaceChildren(main, h("div", { class: "page" },
    h("header", { class: "page-head" },
      h("a", { class: "icon-btn back-btn", href: "#/admin", "aria-label": t("action.back") }, icon("back")),
      h("h2", { class: "page-title grow", text: title }), actions),
    h("div", { class: "page-body scroll" }, body)));
  return body;
}

export function field(id, label, control, hint = null) {
  control.id = id;
  return h("div", { class: "field" }, h("label", { for: id, text: label }), control, hint ? h("span", { class: "field-hint", text: hint }) : null);
}

/** A labelled on/off switch with an explanation under it. */
export function switchRow(id, label, checked, hint = null) {
  const input = h("input", { type: "checkbox", class: "switch", id, checked });
  const el = h("div", { class: "switch-field" },
    h("div", { class: "switch-text" }, h("label", { for: id, text: label }), hint ? h("span", { class: "field-hint", text: hint }) : null), input);
  return { el, input };
}

/** Awaits `promise`; on failure shows the error and resolves undefined. */
export async function guard(promise) {
  try {
    return await promise;
  } catch (error) {
    // Removed from the organization meanwhile: org.js says so and switches; no second message.
    if (error.code === "ORG_NOT_FOUND") loadOrgs().catch(() => {});
    else toast(errorText(error), "error");
    return undefined;
  }
}

export function loading(el) {
  replaceChildren(el, h("div", { class: "empty-state" }, h("span", { class: "spinner" })));
}
