// The chats section: the conversation list beside the open conversation.

import { h, replaceChildren } from "../dom.js";
import { t } from "../i18n/index.js";
import { icon } from "../icons.js";
import { state } from "../store.js";
import { mountConversation } from "./conversation.js";
import { mountConversationList } from "./conv-list.js";

export function mountChats({ list, main }) {
  const conversations = mountConversationList(list);
  let openId; // undefined until the first route: then the empty state shows for "no conversation"
  let view = null;

  function empty() {
    replaceChildren(
      main,
      h("div", { class: "empty-state" },
        h("div", { class: "empty-icon", "aria-hidden": "true" }, icon("chat", "icon-lg")),
        h("p", { text: t("chats.pickOne") })),
    );
  }

  return {
    update(route) {
      const id = Number(route.parts[0]) || null;
      const seq = Number(route.query.seq) || null;
      if (id !== openId) {
        if (view) view.destroy();
        view = null;
        openId = id;
        state.openConversationId = id;
        conversations.setActive(id);
        if (id) view = mountConversation(main, id, { seq });
        else empty();
      } else if (view && seq) {
        view.jumpTo(seq);
      }
    },
    destroy() {
      if (view) view.destroy();
      state.openConversationId = null;
      conversations.destroy();
    },
  };
}
