// An avatar: the picture when there is one, else initials on a colour chosen by id, with an
// optional presence dot. Knows nothing of the session's store, so the log-in and join pages can
// draw one without loading the app (components/avatar.js draws users' and conversations').

import { h } from "../dom.js";
import { colorIndex, initials } from "../format.js";
import { t } from "../i18n/index.js";

export function avatar({ id, name, url, size = "md", status = null, group = false, bot = false }) {
  const letters = () => initials(name, { leading: group || bot });
  const colour = `c${(colorIndex(id) + (group ? 3 : 0)) % 8}`;
  const box = h("span", { class: ["avatar", `avatar-${size}`, colour], "aria-hidden": "true" });
  if (url) {
    const img = h("img", { src: url, alt: "", loading: "lazy", decoding: "async" });
    img.addEventListener("error", () => {
      img.remove();
      box.textContent = letters();
    });
    box.append(img);
  } else {
    box.textContent = letters();
  }
  if (!status) return box;
  return h(
    "span",
    { class: "avatar-wrap" },
    box,
    h("span", { class: `presence presence-${status}`, title: t(`presence.${status}`) },
      h("span", { class: "sr-only", text: t(`presence.${status}`) })),
  );
}
