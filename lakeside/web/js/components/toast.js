// Short messages at the top of the window ("Copied", "Could not send").

import { h } from "../dom.js";

export function toast(text, kind = "info", ms = 3200) {
  const host = document.getElementById("toasts");
  const item = h("div", { class: ["toast", `toast-${kind}`], text });
  host.append(item);
  setTimeout(() => {
    item.classList.add("leaving");
    setTimeout(() => item.remove(), 250);
  }, ms);
}
