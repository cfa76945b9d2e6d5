// The pinned DING banner: while the user has DINGs to confirm, the newest (or the one just
// re-notified) stays at the top of the app in every section, with Confirm and "N more".

import { h, replaceChildren } from "../dom.js";
import { errorText } from "../errors.js";
import { formatListTime } from "../format.js";
import { t } from "../i18n/index.js";
import { icon } from "../icons.js";
import { displayName, on } from "../store.js";
import { userAvatar } from "../components/avatar.js";
import { toast } from "../components/toast.js";
import { confirmDing, dingState, pendingDings } from "./ding-state.js";

export function mountDingBanner(shell) {
  const el = h("div", { class: "ding-banner", role: "region", "aria-label": t("ding.bannerLabel"), "aria-live": "polite", hidden: true });
  shell.prepend(el);
  let shownId = null;

  function render() {
    const all = pendingDings();
    const flash = dingState.flash !== null ? all.find((ding) => ding.id === dingState.flash) : null;
    const ding = flash || all[0];
    el.hidden = !ding;
    shell.classList.toggle("with-ding-banner", Boolean(ding));
    if (!ding) {
      shownId = null;
      replaceChildren(el);
      return;
    }
    const href = `#/ding/${ding.id}?org=${ding.organization_id}`;
    const confirm = h("button", {
      class: "btn btn-sm ding-confirm", type: "button", text: t("ding.confirm"),
      on: {
        click: async () => {
          confirm.disabled = true;
          try {
            await confirmDing(ding);
          } catch (error) {
            confirm.disabled = false;
            toast(errorText(error), "error");
          }
        },
      },
    });
    const more = all.length - 1;
    replaceChildren(el,
      h("span", { class: "ding-banner-mark", "aria-hidden": "true" }, icon("ding", "icon-sm"), h("span", { text: "DING" })),
      h("a", { class: "ding-banner-main", href, title: ding.recalled ? t("ding.recalledText") : ding.body },
        userAvatar(ding.sender_id, { size: "xs" }),
        h("span", { class: "ding-banner-name", text: displayName(ding.sender_id) }),
        h("span", { class: "ding-banner-text ellipsis", text: ding.recalled ? t("ding.recalledText") : ding.body }),
        h("time", { class: "ding-banner-time", text: formatListTime(ding.sent_at || ding.created_at) })),
      more > 0 ? h("a", { class: "ding-banner-more", href: "#/ding", text: t("ding.nMore", { n: more }) }) : null,
      confirm);
    if (flash || shownId !== ding.id) {
      el.classList.remove("flash");
      void el.offsetWidth; // restart the animation
      el.classList.add("flash");
    }
    if (flash) dingState.flash = null;
    shownId = ding.id;
  }

  el.addEventListener("animationend", () => el.classList.remove("flash"));
  const unsubscribe = [on("dings", render), on("users", render)];
  // ding-state.js loads the pending DINGs whenever the organizations load (at start, too).
  render();

  return {
    el,
    destroy() {
      for (const fn of unsubscribe) fn();
      shell.classList.remove("with-ding-banner");
      el.remove();
    },
  };
}
