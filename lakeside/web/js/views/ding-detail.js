// One DING. Its recipient reads it and confirms; its sender watches it live: who has confirmed
// and who has not (with the next escalation step), every delivery attempt and its outcome,
// Re-DING the unconfirmed (at most once every five minutes), and cancelling a scheduled one.

import { api } from "../api.js";
import { h, replaceChildren } from "../dom.js";
import { errorText } from "../errors.js";
import { formatDateTime, formatTime } from "../format.js";
import { t } from "../i18n/index.js";
import { icon } from "../icons.js";
import { displayName, on, state } from "../store.js";
import { userAvatar } from "../components/avatar.js";
import { confirmDialog } from "../components/modal.js";
import { toast } from "../components/toast.js";
import { confirmDing, dingPath, personAvatar } from "./ding-state.js";

const CHANNELS = { app: () => t("ding.channelApp"), email: () => t("ding.channelEmail"), sms: () => t("ding.channelSms"), voice: () => t("ding.channelVoice") };
const TRIGGERS = { send: () => t("ding.triggerSend"), manual: () => t("ding.triggerManual"), escalation: () => t("ding.triggerEscalation") };
const OUTCOMES = { pending: () => t("ding.statusPending"), sent: () => t("ding.statusSent"), failed: () => t("ding.statusFailed"), skipped: () => t("ding.statusSkipped") };
const label = (table, key) => (table[key] ? table[key]() : key);

// When each DING may be repeated again (ms), remembered while the page lives.
const redingAllowedAt = new Map();

function waitText(ms) {
  const seconds = Math.max(1, Math.ceil(ms / 1000));
  const minutes = Math.floor(seconds / 60);
  return minutes ? t("ding.waitMinutes", { m: minutes, s: String(seconds % 60).padStart(2, "0") }) : t("ding.waitSeconds", { s: seconds });
}

export function mountDingDetail(main, { orgId, dingId, back, onChange = () => {} }) {
  const unsubscribe = [];
  let ding = null;
  let alive = true;
  let ticker = null;
  let redingNote = "";

  replaceChildren(main, h("div", { class: "empty-state" }, h("span", { class: "spinner" })));

  async function load() {
    try {
      const found = await api.get(dingPath(orgId, `/${dingId}`));
      if (!alive) return;
      ding = found;
      if (ding.sender_id === state.me.id) onChange(ding);
      render();
    } catch (error) {
      if (!alive) return;
      replaceChildren(main, h("div", { class: "empty-state" }, h("p", { text: errorText(error) }),
        h("a", { class: "btn", href: back, text: t("action.back") })));
    }
  }

  function page(...body) {
    replaceChildren(main, h("div", { class: "page ding-page" },
      h("header", { class: "page-head" },
        h("a", { class: "icon-btn back-btn", href: back, "aria-label": t("action.back") }, icon("back")),
        h("h2", { class: "page-title grow", text: t("ding.details") })),
      h("div", { class: "page-body scroll" }, h("div", { class: "ding-detail" }, ...body))));
  }

  function card() {
    const when = ding.status === "scheduled"
      ? t("ding.scheduledAt", { time: formatDateTime(ding.send_at) })
      : formatDateTime(ding.sent_at || ding.created_at);
    return h("article", { class: "ding-card" },
      h("div", { class: "ding-card-head" },
        userAvatar(ding.sender_id, { size: "md" }),
        h("div", { class: "grow" },
          h("div", { class: "ding-card-name", text: ding.sender_id === state.me.id ? t("ding.fromYou") : displayName(ding.sender_id) }),
          h("div", { class: "muted ding-card-time", text: when })),
        h("span", { class: "ding-badge", "aria-hidden": "true" }, icon("ding", "icon-sm"), "DING")),
      h("p", { class: ["ding-card-text", ding.recalled && "muted"], text: ding.recalled ? t("ding.recalledText") : ding.body }),
      ding.conversation_id ? h("a", { class: "ding-card-link", href: `#/chats/${ding.conversation_id}` }, icon("chat", "icon-sm"), t("ding.openChat")) : null,
      ding.announcement_id ? h("a", { class: "ding-card-link", href: `#/announcements/${ding.announcement_id}` }, icon("megaphone", "icon-sm"), t("ding.openAnnouncement")) : null,
      ding.status === "sent" ? h("button", {
        class: "btn btn-sm ding-todo", type: "button",
        on: { click: () => import("./todo-editor.js").then((m) => m.todoFromDing(orgId, ding)) },
      }, icon("check", "icon-sm"), t("todo.fromDingAction")) : null);
  }

  function render() {
    if (!ding) return;
    if (ding.sender_id !== state.me.id) return renderReceived();
    renderSent();
  }

  function renderReceived() {
    const confirmButton = h("button", {
      class: "btn btn-primary ding-confirm-big", type: "button", on: {
        click: async () => {
          confirmButton.disabled = true;
          try {
            const stored = await confirmDing(ding);
            ding = { ...ding, ...stored };
            render();
          } catch (error) {
            confirmButton.disabled = false;
            toast(errorText(error), "error");
          }
        },
      },
    }, icon("check", "icon-sm"), t("ding.confirm"));
    page(card(), h("div", { class: "ding-received-foot" }, ding.confirmed_at
      ? h("p", { class: "ding-confirmed-at" }, icon("check", "icon-sm"), t("ding.youConfirmed", { time: formatDateTime(ding.confirmed_at) }))
      : confirmButton));
  }

  function person(recipient, meta, kind) {
    return h("li", { class: ["ding-person", kind] }, personAvatar(recipient.user_id, recipient.name),
      h("span", { class: "grow ellipsis", text: recipient.name || displayName(recipient.user_id) }),
      meta ? h("span", { class: "muted ding-person-meta", text: meta }) : null);
  }

  function renderSent() {
    const recipients = ding.recipients || [];
    const waiting = recipients.filter((r) => !r.confirmed_at);
    const done = recipients.filter((r) => r.confirmed_at).sort((a, b) => a.confirmed_at - b.confirmed_at);
    const total = ding.recipient_count || recipients.length;
    const percent = total ? Math.round((done.length / total) * 100) : 0;
    const parts = [card()];
    if (ding.status === "scheduled") {
      parts.push(h("div", { class: "ding-actions" },
        h("button", { class: "btn btn-danger", type: "button", text: t("ding.cancelScheduled"), on: { click: cancel } })));
    } else if (ding.status === "cancelled") {
      parts.push(h("p", { class: "ding-note", text: t("ding.wasCancelled") }));
    }
    if (ding.status !== "cancelled") {
      parts.push(h("section", { class: "ding-progress", "aria-label": t("ding.progressLabel") },
        h("div", { class: "ding-progress-text" },
          h("strong", { class: "ding-progress-count", text: t("ding.progress", { n: done.length, total }) }),
          waiting.length && ding.status === "sent" ? redingControls() : null),
        h("div", { class: "ding-bar", role: "progressbar", "aria-valuemin": "0", "aria-valuemax": String(total), "aria-valuenow": String(done.length) },
          h("span", { class: "ding-bar-fill", ref: (el) => { el.style.width = `${percent}%`; } }))));
      parts.push(h("div", { class: "ding-columns" },
        h("section", { class: "ding-column ding-unconfirmed" },
          h("h3", { class: "section-title", text: t("ding.unconfirmedN", { n: waiting.length }) }),
          h("ul", { class: "ding-people" }, waiting.length ? waiting.map((r) => person(r, r.next_step ? t("ding.nextStep", { step: label(CHANNELS, r.next_step) }) : "", "waiting"))
            : h("li", { class: "list-empty", text: t("ding.everyoneConfirmed") }))),
        h("section", { class: "ding-column ding-confirmed-list" },
          h("h3", { class: "section-title", text: t("ding.confirmedN", { n: done.length }) }),
          h("ul", { class: "ding-people" }, done.length ? done.map((r) => person(r, formatTime(r.confirmed_at), "done"))
            : h("li", { class: "list-empty", text: t("ding.noneConfirmed") })))));
      parts.push(attemptsTable());
    }
    page(...parts);
  }

  function redingControls() {
    const left = (redingAllowedAt.get(dingId) || 0) - Date.now();
    const button = h("button", { class: "btn btn-sm ding-reding", type: "button", disabled: left > 0, on: { click: reding } },
      icon("ding", "icon-sm"), t("ding.reding"));
    const note = h("span", { class: "ding-reding-note muted", role: "status", text: left > 0 ? t("ding.redingWait", { time: waitText(left) }) : redingNote });
    clearInterval(ticker);
    if (left > 0) {
      ticker = setInterval(() => {
        const now = (redingAllowedAt.get(dingId) || 0) - Date.now();
        if (now <= 0 || !note.isConnected) {
          clearInterval(ticker);
          redingNote = "";
          if (note.isConnected) render();
          return;
        }
        note.textContent = t("ding.redingWait", { time: waitText(now) });
      }, 1000);
    }
    return h("div", { class: "ding-reding-box" }, note, button);
  }

  async function reding(event) {
    event.currentTarget.disabled = true;
    try {
      const result = await api.post(dingPath(orgId, `/${dingId}/reding`));
      redingAllowedAt.set(dingId, result.next_allowed_at);
      toast(t("ding.redingDone", { n: result.renotified.length }));
    } catch (error) {
      if (error.code === "REDING_TOO_SOON") {
        const seconds = Number(error.data.retry_after) || 300;
        redingAllowedAt.set(dingId, Date.now() + seconds * 1000);
      } else {
        toast(errorText(error), "error");
      }
    }
    render();
  }

  async function cancel() {
    const ok = await confirmDialog({ title: t("ding.cancelScheduled"), message: t("ding.cancelConfirm"), confirmLabel: t("ding.cancelScheduled"), danger: true });
    if (!ok) return;
    try {
      await api.del(dingPath(orgId, `/${dingId}`));
      ding = { ...ding, status: "cancelled" };
      onChange(ding);
      render();
    } catch (error) {
      toast(errorText(error), "error");
    }
  }

  function attemptsTable() {
    const attempts = [...(ding.attempts || [])].sort((a, b) => b.created_at - a.created_at || b.id - a.id);
    const rows = attempts.map((attempt) => h("tr", { class: `attempt-${attempt.status}` },
      h("td", { class: "ding-attempt-time", text: formatDateTime(attempt.created_at) }),
      h("td", { text: displayName(attempt.user_id, nameOf(attempt.user_id)) }),
      h("td", { text: label(CHANNELS, attempt.channel) }),
      h("td", { text: label(TRIGGERS, attempt.trigger) }),
      h("td", {}, h("span", { class: ["attempt-status", `attempt-status-${attempt.status}`], text: label(OUTCOMES, attempt.status) })),
      h("td", { class: "ding-attempt-detail", text: attempt.detail || "" })));
    return h("section", { class: "ding-attempts" },
      h("h3", { class: "section-title", text: t("ding.attempts") }),
      rows.length
        ? h("div", { class: "ding-table-wrap" }, h("table", { class: "ding-table" },
          h("thead", {}, h("tr", {}, ...[t("ding.colTime"), t("ding.colPerson"), t("ding.colChannel"), t("ding.colTrigger"),
            t("ding.colStatus"), t("ding.colDetail")].map((title) => h("th", { text: title })))),
          h("tbody", {}, rows)))
        : h("p", { class: "muted", text: t("ding.noAttempts") }));
  }

  function nameOf(userId) {
    const recipient = (ding.recipients || []).find((r) => r.user_id === userId);
    return recipient ? recipient.name : "";
  }

  // Live: confirmations, attempts, a scheduled DING going out, a cancellation elsewhere.
  unsubscribe.push(on("event:ding", (event) => {
    if (!ding) return;
    const data = event.data || {};
    if (event.op === "confirmed" && data.ding_id === dingId) {
      ding.confirmed_count = Math.max(ding.confirmed_count, data.confirmed_count);
      if (data.user_id === state.me.id) ding.confirmed_at = data.confirmed_at;
      for (const r of ding.recipients || []) if (r.user_id === data.user_id) Object.assign(r, { confirmed_at: data.confirmed_at, next_step: null });
      render();
    } else if (event.op === "attempt" && data.ding_id === dingId) {
      const attempts = (ding.attempts || []).filter((a) => a.id !== data.id);
      ding.attempts = [...attempts, data];
      render();
    } else if (event.op === "created" && data.id === dingId && ding.status === "scheduled") {
      load();
    } else if (event.op === "cancelled" && data.ding_id === dingId) {
      ding.status = "cancelled";
      render();
    }
  }));
  unsubscribe.push(on("users", render));
  load();

  return {
    destroy() {
      alive = false;
      clearInterval(ticker);
      for (const fn of unsubscribe) fn();
    },
  };
}
