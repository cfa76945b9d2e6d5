// Avatars: the picture when there is one, else initials on a colour chosen by id, with an
// optional presence dot.

import { h } from "../dom.js";
import { colorIndex, initials } from "../format.js";
import { t } from "../i18n/index.js";
import { conversationTitle, displayName, getUser, presenceOf, state } from "../store.js";

export function avatar({ id, name, url, size = "md", status = null, group = false }) {
  const colour = `c${(colorIndex(id) + (group ? 3 : 0)) % 8}`;
  const box = h("span", { class: ["avatar", `avatar-${size}`, colour], "aria-hidden": "true" });
  if (url) {
    const img = h("img", { src: url, alt: "", loading: "lazy", decoding: "async" });
    img.addEventListener("error", () => {
      img.remove();
      box.textContent = initials(name);
    });
    box.append(img);
  } else {
    box.textContent = initials(name);
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

export function userAvatar(userId, { size = "md", presence = false } = {}) {
  const user = getUser(userId);
  const status = presence && state.me && userId !== state.me.id ? presenceOf(userId) : null;
  return avatar({
    id: userId,
    name: user ? user.display_name : displayName(userId, "?"),
    url: user ? user.avatar_url : null,
    size,
    status,
  });
}

export function conversationAvatar(conversation, { size = "md", presence = false } = {}) {
  if (conversation.kind === "direct" && conversation.peer) {
    return userAvatar(conversation.peer.id, { size, presence });
  }
  return avatar({
    id: conversation.id,
    name: conversationTitle(conversation),
    url: conversation.avatar_url,
    size,
    group: true,
  });
}
