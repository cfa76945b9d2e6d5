// Users' and conversations' avatars, from what the store knows of them (components/picture.js
// draws one).

import { avatar } from "./picture.js";
import { conversationTitle, displayName, getUser, presenceOf, state } from "../store.js";

export { avatar };

export function userAvatar(userId, { size = "md", presence = false } = {}) {
  const user = getUser(userId);
  const status = presence && state.me && userId !== state.me.id ? presenceOf(userId) : null;
  return avatar({
    id: userId,
    name: user ? user.display_name : displayName(userId, "?"),
    url: user ? user.avatar_url : null,
    size,
    status,
    bot: Boolean(user && user.bot),
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
