// Runs of "joined" system messages in a timeline, folded into one line: when 58 people join an
// organization's all-staff group one after another, the timeline shows "张三、李四等 58 人加入了群聊"
// (expandable to every line) instead of 58 lines.

import { h } from "../dom.js";
import { nameOrYou, systemData } from "../summary.js";
import { t } from "../i18n/index.js";

/** Shortest run that is folded: one or two lines read well as they are. */
export const FOLD_MIN = 3;
const NAMES_SHOWN = 2;

export function isJoinLine(message) {
  return message.kind === "system" && !message.recalled && systemData(message).action === "members_added";
}

/** The people who joined in a run of join lines, each once, in order. */
function joiners(run) {
  const ids = [];
  for (const message of run) {
    for (const id of systemData(message).user_ids || []) if (!ids.includes(id)) ids.push(id);
  }
  return ids;
}

/** "张三、李四等 58 人加入了群聊" / "Zhang San, Li Si and 56 others joined the group". */
export function foldText(run) {
  const ids = joiners(run);
  const names = ids.slice(0, NAMES_SHOWN).map(nameOrYou).join(t("list.separator"));
  if (ids.length <= NAMES_SHOWN) return t("system.member_joined", { names });
  return t("system.joinedMany", { names, n: ids.length, more: ids.length - NAMES_SHOWN });
}

/** The folded line, with a button that shows (or hides again) the lines it stands for. */
export function buildFold(run, expanded, onToggle) {
  const count = run.length;
  return h("div", { class: ["msg-system", "msg-fold", expanded && "expanded"], dataset: { seq: run[0].seq } },
    h("span", { text: foldText(run) }),
    h("button", {
      class: "link-btn msg-fold-toggle", type: "button", "aria-expanded": String(expanded),
      text: expanded ? t("system.foldLess") : t("system.foldMore", { n: count }),
      on: { click: onToggle },
    }));
}
