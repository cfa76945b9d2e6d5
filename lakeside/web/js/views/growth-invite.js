// Settings › Invite friends: your personal invitation code and link (copy or share them), the
// people who signed up through you, and your wallet — the red packets for invitations — with its
// entries. Extra codes (one per channel, with a use limit) can be made and revoked.

import { api } from "../api.js";
import { h, replaceChildren } from "../dom.js";
import { errorText } from "../errors.js";
import { t } from "../i18n/index.js";
import { icon } from "../icons.js";
import { on } from "../store.js";
import { avatar } from "../components/avatar.js";
import { formatNumber } from "../components/chart.js";
import { promptDialog } from "../components/modal.js";
import { toast } from "../components/toast.js";
import { copyText, dateTime, failure, signedYuan, spinner, yuan } from "./growth-util.js";

const ENTRY_PAGE = 30;

function entryText(entry) {
  if (entry.kind === "referral_reward") {
    return entry.ref.endsWith(":inviter") ? t("growth.entryInviter") : t("growth.entryInvitee");
  }
  if (entry.kind === "campaign_reward") return t("growth.entryCampaign");
  if (entry.kind === "transfer") return t("growth.entryTransfer");
  return entry.kind;
}

/** Draws the page into `body` (an element of the settings page); returns {destroy}. */
export function mountInvite(body) {
  let destroyed = false;
  let codes = [];
  let invitees = null;
  let wallet = null;
  let olderLoading = false;
  const top = h("div", { class: "g-invite-top" }, spinner());
  const people = h("section", { class: "settings-card g-invitees" });
  const purse = h("section", { class: "settings-card g-wallet" });
  const extra = h("section", { class: "settings-card g-codes" });
  replaceChildren(body, top, purse, people, extra);

  async function load() {
    try {
      const [nextCodes, nextInvitees, nextWallet] = await Promise.all([
        api.get("/me/referral-codes"), api.get("/me/invitees"), api.get("/me/wallet", { limit: ENTRY_PAGE }),
      ]);
      if (destroyed) return;
      codes = nextCodes;
      invitees = nextInvitees;
      wallet = nextWallet;
      render();
    } catch (error) {
      if (!destroyed) replaceChildren(top, failure(error, load));
    }
  }

  function primary() {
    const live = codes.filter((code) => !code.revoked_at && !code.campaign_id && (code.max_uses === null || code.uses < code.max_uses));
    return live[0] || codes.find((code) => !code.revoked_at) || null;
  }

  function render() {
    renderTop();
    renderWallet();
    renderPeople();
    renderCodes();
  }

  function renderTop() {
    const code = primary();
    if (!code) {
      replaceChildren(top, h("p", { class: "muted", text: t("growth.noCode") }));
      return;
    }
    const link = h("input", { class: "input g-link", readonly: true, value: code.link, "aria-label": t("growth.inviteLink") });
    link.addEventListener("focus", () => link.select());
    const copy = async (text, input, done) => {
      if (await copyText(text, input)) toast(done);
      else toast(t("growth.copyManually"));
    };
    const share = navigator.share ? h("button", { class: "btn", type: "button", on: { click: () => navigator.share({ title: t("growth.shareTitle"), text: t("growth.shareText", { code: code.code }), url: code.link }).catch(() => {}) } },
      icon("send", "icon-sm"), t("growth.share")) : null;
    replaceChildren(top, h("div", { class: "g-envelope" },
      h("div", { class: "g-envelope-head" }, icon("gift", "icon-lg"),
        h("div", {}, h("h3", { class: "g-envelope-title", text: t("growth.inviteTitle") }), h("p", { class: "g-envelope-sub", text: t("growth.inviteSub") }))),
      h("div", { class: "g-code-box" },
        h("span", { class: "g-code-label", text: t("growth.myCode") }),
        h("strong", { class: "g-code", text: code.code, dataset: { code: code.code } }),
        h("button", { class: "btn btn-sm g-copy-code", type: "button", on: { click: () => copy(code.code, null, t("growth.codeCopied")) } }, icon("copy", "icon-sm"), t("growth.copyCode"))),
      h("div", { class: "g-link-row" }, link,
        h("button", { class: "btn btn-primary g-copy-link", type: "button", on: { click: () => copy(code.link, link, t("growth.linkCopied")) } }, icon("link", "icon-sm"), t("growth.copyLink")), share),
      h("div", { class: "g-envelope-stats" },
        h("div", {}, h("strong", { class: "g-invited-count", text: formatNumber(invitees.invited_count) }), h("span", { text: t("growth.invitedCount") })),
        h("div", {}, h("strong", { class: "g-balance", text: yuan(wallet.balance_fen) }), h("span", { text: t("growth.balance") })))));
  }

  function renderWallet() {
    const more = wallet.next_before ? h("button", { class: "btn btn-sm g-more", type: "button", text: t("growth.showMore"), on: { click: older } }) : null;
    replaceChildren(purse,
      h("h3", { class: "section-title" }, t("growth.wallet")),
      wallet.entries.length ? h("ul", { class: "g-entries" }, wallet.entries.map((entry) => h("li", { class: "g-entry", dataset: { entryId: entry.id } },
        h("span", { class: ["g-entry-icon", entry.amount_fen >= 0 ? "g-in" : "g-out"], "aria-hidden": "true" }, icon(entry.amount_fen >= 0 ? "gift" : "send")),
        h("span", { class: "g-row-text" },
          h("span", { class: "g-row-name", text: entryText(entry) }),
          h("span", { class: "g-row-team", text: dateTime(entry.created_at) })),
        h("span", { class: "g-entry-amount" },
          h("strong", { class: entry.amount_fen >= 0 ? "g-good" : "g-bad", text: signedYuan(entry.amount_fen) }),
          h("span", { class: "muted", text: t("growth.balanceAfter", { amount: yuan(entry.balance_after) }) }))))) : h("p", { class: "muted", text: t("growth.noWalletEntries") }),
      more);
  }

  async function older() {
    if (olderLoading || !wallet.next_before) return;
    olderLoading = true;
    try {
      const page = await api.get("/me/wallet", { before: wallet.next_before, limit: ENTRY_PAGE });
      wallet = { ...page, entries: [...wallet.entries, ...page.entries] };
      renderWallet();
    } catch (error) {
      toast(errorText(error), "error");
    } finally {
      olderLoading = false;
    }
  }

  function renderPeople() {
    replaceChildren(people,
      h("h3", { class: "section-title" }, t("growth.invitees"), h("span", { class: "muted g-count", text: ` ${formatNumber(invitees.invited_count)}` })),
      invitees.people.length ? h("ul", { class: "g-invitee-list" }, invitees.people.map((item) => h("li", { class: "g-invitee", dataset: { userId: item.user.id } },
        avatar({ id: item.user.id, name: item.user.display_name, url: item.user.avatar_url, size: "sm" }),
        h("span", { class: "g-row-text" }, h("span", { class: "g-row-name ellipsis", text: item.user.display_name }),
          h("span", { class: "g-row-team", text: `@${item.user.username}` })),
        h("time", { class: "muted", text: dateTime(item.registered_at) })))) : h("p", { class: "muted", text: t("growth.noInvitees") }));
  }

  function renderCodes() {
    replaceChildren(extra,
      h("div", { class: "g-codes-head" }, h("h3", { class: "section-title grow", text: t("growth.allCodes") }),
        h("button", { class: "btn btn-sm", type: "button", on: { click: newCode } }, icon("plus", "icon-sm"), t("growth.newCode"))),
      h("p", { class: "field-hint", text: t("growth.codesHint") }),
      h("ul", { class: "g-code-list" }, codes.map((code) => h("li", { class: ["g-code-row", code.revoked_at && "g-revoked"] },
        h("code", { class: "g-code-small", text: code.code }),
        h("span", { class: "muted grow", text: code.max_uses ? t("growth.usesOf", { n: code.uses, max: code.max_uses }) : t("growth.uses", { n: code.uses }) }),
        code.revoked_at ? h("span", { class: "muted", text: t("growth.revoked") })
          : h("button", { class: "btn btn-sm btn-ghost", type: "button", text: t("growth.revoke"), on: { click: () => revoke(code) } })))));
  }

  async function newCode() {
    const limit = await promptDialog({ title: t("growth.newCode"), label: t("growth.maxUses"), placeholder: t("growth.unlimited"), allowEmpty: true, maxLength: 7 });
    if (limit === null || limit === undefined) return;
    const max = Number(limit);
    if (limit.trim() && !(Number.isInteger(max) && max >= 1)) return toast(t("growth.maxUsesInvalid"), "error");
    try {
      await api.post("/me/referral-codes", { max_uses: limit.trim() ? max : null });
      codes = await api.get("/me/referral-codes");
      render();
    } catch (error) {
      toast(errorText(error), "error");
    }
  }

  async function revoke(code) {
    try {
      await api.del(`/me/referral-codes/${code.id}`);
      codes = await api.get("/me/referral-codes");
      render();
    } catch (error) {
      toast(errorText(error), "error");
    }
  }

  // The settings page replaces its body without telling: stop listening once it is gone.
  const whenShown = () => {
    if (body.isConnected) load();
    else destroy();
  };
  const off = [on("event:wallet", whenShown), on("event:referral", whenShown)];
  function destroy() {
    destroyed = true;
    for (const fn of off) fn();
  }
  load();
  return { destroy };
}
