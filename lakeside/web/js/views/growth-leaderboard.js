// A campaign's leaderboard: the deadline countdown, your own rank and score on top, the ranking
// with prize badges, the team standings as bars, and after the deadline the frozen result. It
// refreshes when the server says the board moved (event `campaign`/`leaderboard`) and every 15 s
// while the page is visible. Also here: your friends as the campaign counts them, and why not.

import { api } from "../api.js";
import { debounce, h, replaceChildren } from "../dom.js";
import { t } from "../i18n/index.js";
import { icon } from "../icons.js";
import { getUser, on, state } from "../store.js";
import { avatar } from "../components/avatar.js";
import { chart, formatNumber } from "../components/chart.js";
import { countdown, dateOnly, dateTime, dayText, emptyState, failure, findTier, prizeBadge, spinner, tierName, whileVisible, yuan } from "./growth-util.js";

const PAGE = 100;
const POLL_MS = 15_000;

export function mountLeaderboard({ campaign, slot, reload }) {
  const spec = campaign.spec;
  let board = null;
  let teams = null;
  let snapshot = null;
  let limit = PAGE;
  let error = null;
  let destroyed = false;
  let teamChart = null;

  const hero = h("section", { class: "g-hero" });
  const mine = h("section", { class: "g-mine", "aria-live": "polite" });
  const results = h("section", { class: "g-results", hidden: true });
  const ranking = h("ol", { class: "g-ranking", "aria-label": t("growth.ranking") });
  const more = h("button", { class: "btn btn-sm g-more", type: "button", text: t("growth.showMore"), hidden: true, on: { click: () => { limit += PAGE; refresh(); } } });
  const teamsBox = h("section", { class: "g-card g-teams", hidden: true });
  const notice = h("p", { class: "g-notice", role: "status", hidden: true });
  replaceChildren(slot, hero, notice, mine, results,
    h("div", { class: "g-columns" },
      h("section", { class: "g-card g-board" },
        h("h3", { class: "g-card-title", text: t("growth.ranking") }), ranking, more),
      teamsBox));
  slot.append(h("div", { class: "g-loading" }, spinner()));

  async function refresh() {
    try {
      const [nextBoard, nextTeams] = await Promise.all([
        api.get(`/campaigns/${campaign.id}/leaderboard`, { limit }),
        spec.teams ? api.get(`/campaigns/${campaign.id}/teams`) : Promise.resolve(null),
      ]);
      if (destroyed) return;
      board = nextBoard;
      teams = nextTeams;
      error = null;
      if (board.frozen && !snapshot) {
        snapshot = await api.get(`/campaigns/${campaign.id}/snapshots/final`).catch(() => null);
      }
      if (board.status !== campaign.status) reload();
    } catch (failed) {
      if (destroyed) return;
      error = failed;
    }
    render();
  }

  function render() {
    const loading = slot.querySelector(".g-loading");
    if (loading) loading.remove();
    renderHero();
    if (error && !board) {
      replaceChildren(mine, failure(error, refresh));
      return;
    }
    if (!board) return;
    notice.hidden = board.ready;
    notice.textContent = board.ready ? "" : t("growth.building");
    renderMine();
    renderResults();
    renderRanking();
    renderTeams();
  }

  function renderHero() {
    const now = Date.now();
    let line;
    if (campaign.status === "scheduled") line = [t("growth.startsIn"), h("strong", { class: "g-clock", text: countdown(campaign.starts_at, now) || "" })];
    else if (campaign.status === "running") line = [t("growth.timeLeft"), h("strong", { class: "g-clock", text: countdown(campaign.ends_at, now) || "00:00:00" })];
    else if (campaign.status === "closing" || (board && !board.frozen)) line = [h("strong", { text: t("growth.closing") })];
    else line = [h("strong", { text: t("growth.ended") })];
    const days = spec.metric.active_days;
    hero.classList.toggle("g-hero-ended", campaign.status === "ended");
    replaceChildren(hero,
      h("div", { class: "g-hero-clock" }, icon("clock"), ...line),
      h("p", { class: "g-hero-rule", text: t("growth.rule", { days }) }),
      spec.description ? h("p", { class: "g-hero-desc", text: spec.description }) : null,
      h("p", { class: "g-hero-dates muted", text: t("growth.period", { start: dateOnly(campaign.starts_at, spec.timezone), end: dateTime(campaign.ends_at, spec.timezone) }) }),
      spec.prizes.length ? h("ul", { class: "g-tiers" }, spec.prizes.map((tier, i) => h("li", { class: ["g-tier", `g-tier-${Math.min(i, 3)}`] },
        h("span", { class: "g-tier-name", text: tierName(tier) }),
        h("span", { class: "g-tier-amount", text: yuan(tier.amount_fen) }),
        h("span", { class: "g-tier-count", text: t("growth.winners", { n: tier.count }) })))) : null);
  }

  function renderMine() {
    const me = board.me;
    if (!me) {
      replaceChildren(mine, h("div", { class: "g-mine-card g-mine-none" }, icon("info"), h("span", { text: t("growth.notParticipant") })));
      return;
    }
    const tier = findTier(spec.prizes, me.prize);
    const gap = gapToPrize(me);
    replaceChildren(mine, h("div", { class: "g-mine-card" },
      h("div", { class: "g-mine-rank" }, h("span", { class: "g-mine-label", text: t("growth.myRank") }),
        h("strong", { class: "g-mine-number", text: formatNumber(me.rank) }), h("span", { class: "muted", text: t("growth.ofTotal", { n: formatNumber(board.total) }) })),
      h("div", { class: "g-mine-rank" }, h("span", { class: "g-mine-label", text: t("growth.myScore") }),
        h("strong", { class: "g-mine-number", text: formatNumber(me.score) }), h("span", { class: "muted", text: t("growth.scoreUnit") })),
      h("div", { class: "g-mine-prize" },
        tier ? prizeBadge(spec.prizes, me.prize) : null,
        tier ? h("span", { class: "g-mine-amount", text: yuan(tier.amount_fen) }) : null,
        gap ? h("span", { class: "g-mine-gap", text: t("growth.gap", { n: gap.need, prize: tierName(gap.tier) }) }) : null,
        me.team ? h("span", { class: "muted", text: me.team }) : null),
      campaign.status === "running" ? h("a", { class: "btn btn-primary btn-sm g-mine-invite", href: "#/settings/invite" }, icon("userPlus", "icon-sm"), t("growth.inviteMore")) : null));
  }

  /** How many more friends would put me in the last prize place, when that place is on this page. */
  function gapToPrize(me) {
    if (me.prize || !spec.prizes.length || board.frozen) return null;
    const places = spec.prizes.reduce((sum, tier) => sum + tier.count, 0);
    const last = board.entries.find((entry) => entry.rank === places);
    const need = last ? Math.max(last.score + 1, spec.min_score_for_prize) - me.score : spec.min_score_for_prize - me.score;
    return need > 0 ? { need, tier: spec.prizes[spec.prizes.length - 1] } : null;
  }

  function renderResults() {
    results.hidden = !board.frozen;
    if (!board.frozen) return;
    const podium = board.entries.filter((entry) => entry.prize).slice(0, 3);
    replaceChildren(results,
      h("h3", { class: "g-card-title" }, icon("trophy", "icon-sm"), t("growth.finalResults")),
      snapshot ? h("p", { class: "muted g-snapshot", text: t("growth.frozenAt", { time: dateTime(snapshot.evaluated_at, spec.timezone), hash: snapshot.result_hash.slice(0, 12) }) }) : null,
      podium.length ? null : h("p", { class: "g-no-winners", text: t("growth.noWinners", { n: spec.min_score_for_prize }) }),
      h("ol", { class: "g-podium", hidden: !podium.length }, podium.map((entry) => h("li", { class: `g-podium-${entry.rank}` },
        person(entry, "lg"), h("span", { class: "g-podium-name", text: entry.name }),
        h("span", { class: "g-podium-score", text: t("growth.points", { n: formatNumber(entry.score) }) }),
        prizeBadge(spec.prizes, entry.prize), h("span", { class: "g-podium-amount", text: yuan(findTier(spec.prizes, entry.prize).amount_fen) })))));
  }

  function person(entry, size = "sm") {
    const user = getUser(entry.user_id);
    return avatar({ id: entry.user_id, name: entry.name, url: user ? user.avatar_url : null, size });
  }

  function renderRanking() {
    const myId = state.me.id;
    if (!board.entries.length) {
      replaceChildren(ranking, h("li", { class: "list-empty", text: t("growth.noEntries") }));
      more.hidden = true;
      return;
    }
    replaceChildren(ranking, board.entries.map((entry) => h("li", {
      class: ["g-row", entry.user_id === myId && "g-row-me", entry.prize && "g-row-prize"], dataset: { userId: entry.user_id, rank: entry.rank },
    },
    h("span", { class: ["g-rank", entry.rank <= 3 && `g-rank-${entry.rank}`], text: String(entry.rank) }),
    person(entry),
    h("span", { class: "g-row-text" },
      h("span", { class: "g-row-name ellipsis" }, entry.name, entry.user_id === myId ? h("span", { class: "g-you", text: t("growth.you") }) : null),
      h("span", { class: "g-row-team ellipsis", text: entry.team || t("growth.noDepartment") })),
    prizeBadge(spec.prizes, entry.prize),
    h("span", { class: "g-score", title: t("growth.scoreTitle") }, h("strong", { text: formatNumber(entry.score) }),
      entry.outside_friends !== null && entry.outside_friends !== undefined && entry.outside_friends !== entry.score
        ? h("span", { class: "muted g-score-of", text: t("growth.ofFriends", { n: formatNumber(entry.outside_friends) }) }) : null))));
    more.hidden = board.entries.length >= board.total;
  }

  function renderTeams() {
    teamsBox.hidden = !teams || !teams.teams.length;
    if (teamsBox.hidden) return;
    const rows = teams.teams;
    const average = teams.aggregate === "average";
    const myTeam = board.me ? board.me.team_id : null;
    const data = {
      labels: rows.map((team) => team.name),
      series: [{ name: average ? t("growth.teamAverage") : t("growth.teamTotal"), values: rows.map((team) => team.score) }],
      highlight: rows.findIndex((team) => team.team_id === myTeam),
      title: t("growth.teams"),
      desc: rows.map((team) => `${team.rank}. ${team.name}: ${formatNumber(team.score)}`).join("; "),
      value: (v) => formatNumber(v, { maximumFractionDigits: 1 }),
    };
    if (!teamChart) {
      teamChart = chart({ kind: "hbar", ...data });
      replaceChildren(teamsBox, h("h3", { class: "g-card-title", text: t("growth.teams") }),
        h("p", { class: "muted g-card-hint", text: average ? t("growth.teamsHintAverage") : t("growth.teamsHintSum") }), teamChart.el,
        h("ul", { class: "g-team-prizes" }));
    } else teamChart.update(data);
    const winners = rows.filter((team) => team.prize);
    replaceChildren(teamsBox.querySelector(".g-team-prizes"), winners.map((team) => h("li", {},
      prizeBadge(spec.teams.prizes, team.prize), h("span", { class: "ellipsis", text: team.name }),
      h("span", { class: "muted", text: yuan(findTier(spec.teams.prizes, team.prize).amount_fen) }))));
  }

  const soon = debounce(refresh, 400);
  const off = on("event:campaign", (event) => {
    if (event.data && event.data.campaign_id === campaign.id) soon();
  });
  const stopPolling = whileVisible(refresh, POLL_MS);
  const clock = setInterval(() => {
    const el = hero.querySelector(".g-clock");
    if (!el || document.visibilityState !== "visible") return;
    const target = campaign.status === "scheduled" ? campaign.starts_at : campaign.ends_at;
    const left = countdown(target);
    if (left) el.textContent = left;
    else reload();
  }, 1000);
  refresh();

  return {
    destroy() {
      destroyed = true;
      off();
      soon.cancel();
      stopPolling();
      clearInterval(clock);
      if (teamChart) teamChart.destroy();
    },
  };
}

const REASONS = () => ({
  colleague: t("growth.reasonColleague"),
  blocked: t("growth.reasonBlocked"),
  deactivated: t("growth.reasonDeactivated"),
  flagged: t("growth.reasonFlagged"),
  after_deadline: t("growth.reasonLate"),
});

/** Your friends as the campaign sees them: who counts, and why each other one does not. */
export function mountFriends({ campaign, slot }) {
  const spec = campaign.spec;
  let destroyed = false;
  replaceChildren(slot, spinner());

  function why(friend) {
    if (friend.counts) return t("growth.counts");
    if (friend.reason === "registration") {
      return spec.metric.friends === "invited_by_participant" ? t("growth.reasonNotInvited") : t("growth.reasonRegistration");
    }
    if (friend.reason === "inactive" || !friend.reason) {
      return friend.last_active_day === null ? t("growth.reasonNeverActive") : t("growth.reasonInactiveSince", { days: spec.metric.active_days, date: dayText(friend.last_active_day) });
    }
    return REASONS()[friend.reason] || friend.reason;
  }

  async function load() {
    let body;
    try {
      body = await api.get(`/campaigns/${campaign.id}/me/friends`);
    } catch (error) {
      if (!destroyed) replaceChildren(slot, failure(error, load));
      return;
    }
    if (destroyed) return;
    const friends = [...body.friends].sort((a, b) => Number(b.counts) - Number(a.counts) || a.display_name.localeCompare(b.display_name, "zh-CN"));
    const counted = friends.filter((friend) => friend.counts).length;
    if (!friends.length) {
      replaceChildren(slot, emptyState("users", t("growth.noFriends"), h("a", { class: "btn btn-primary btn-sm", href: "#/settings/invite", text: t("growth.inviteMore") })));
      return;
    }
    replaceChildren(slot,
      h("div", { class: "g-friends-summary" },
        h("strong", { class: "g-mine-number", text: formatNumber(counted) }),
        h("span", { text: t("growth.friendsCount", { n: formatNumber(friends.length), days: body.window_days }) })),
      h("ul", { class: "g-card g-friends" }, friends.map((friend) => h("li", { class: ["g-friend", friend.counts ? "g-friend-yes" : "g-friend-no"], dataset: { userId: friend.user_id } },
        avatar({ id: friend.user_id, name: friend.display_name, url: getUser(friend.user_id)?.avatar_url, size: "sm" }),
        h("span", { class: "g-row-text" },
          h("span", { class: "g-row-name ellipsis", text: friend.display_name }),
          h("span", { class: "g-row-team ellipsis", text: t("growth.friendSince", { date: dateOnly(friend.since), active: friend.last_active_day === null ? t("growth.never") : dayText(friend.last_active_day) }) })),
        h("span", { class: ["g-why", friend.counts ? "g-why-yes" : "g-why-no"] }, icon(friend.counts ? "check" : "block", "icon-sm"), h("span", { text: why(friend) }))))));
  }

  load();
  return {
    destroy() {
      destroyed = true;
    },
  };
}
