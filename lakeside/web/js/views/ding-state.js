// The DINGs waiting for the user's confirmation, in every organization they belong to (the pinned
// banner shows them wherever the user is), kept current from `ding` events; and the ones confirmed
// on this device since it opened, so the inbox still lists them. Views subscribe to "dings".

import { api } from "../api.js";
import { t } from "../i18n/index.js";
import { enabled as notificationsOn } from "../notify.js";
import { orgState } from "../org.js";
import { displayName, emit, getUser, on, state } from "../store.js";
import { avatar, userAvatar } from "../components/avatar.js";

const FRESH_MS = 60_000; // replayed events after a long absence do not each ring

export const dingState = {
  pending: new Map(), // ding id -> DingOut, waiting for my confirmation
  confirmed: new Map(), // ding id -> DingOut, confirmed on this device since it opened
  flash: null, // id of the DING re-notified last, highlighted by the banner
};

let generation = 0;

export function dingPath(orgId, rest = "") {
  return `/orgs/${orgId}/dings${rest}`;
}

/** Newest first. `orgId` limits the list to one organization. */
export function pendingDings(orgId = null) {
  return [...dingState.pending.values()]
    .filter((ding) => orgId === null || ding.organization_id === orgId)
    .sort((a, b) => (b.sent_at || b.created_at) - (a.sent_at || a.created_at) || b.id - a.id);
}

export function confirmedDings(orgId = null) {
  return [...dingState.confirmed.values()]
    .filter((ding) => orgId === null || ding.organization_id === orgId)
    .sort((a, b) => (b.confirmed_at || 0) - (a.confirmed_at || 0));
}

/** A colleague's avatar when only their name in the organization is known so far. */
export function personAvatar(userId, name, size = "sm") {
  return getUser(userId) ? userAvatar(userId, { size }) : avatar({ id: userId, name, size });
}

function changed() {
  emit("dings");
}

/** Ask every organization with something pending (and the current one) for its list. */
export async function loadPending() {
  const ticket = ++generation;
  const orgs = orgState.orgs.filter((org) => org.pending_dings > 0 || org.id === orgState.currentId);
  const lists = await Promise.all(orgs.map((org) => api.get(dingPath(org.id, "/pending")).catch(() => null)));
  if (ticket !== generation) return;
  const keep = new Set(orgState.orgs.map((org) => org.id));
  const fresh = new Map();
  orgs.forEach((org, index) => {
    const list = lists[index];
    if (list === null) {
      // Could not ask: keep what we knew of that organization.
      for (const ding of dingState.pending.values()) if (ding.organization_id === org.id) fresh.set(ding.id, ding);
      return;
    }
    for (const ding of list) fresh.set(ding.id, ding);
  });
  dingState.pending = new Map([...fresh].filter(([, ding]) => keep.has(ding.organization_id)));
  changed();
}

export function resetDings() {
  generation += 1;
  dingState.pending.clear();
  dingState.confirmed.clear();
  dingState.flash = null;
}

export async function confirmDing(ding) {
  const stored = await api.post(dingPath(ding.organization_id, `/${ding.id}/confirm`));
  markConfirmed({ ...ding, ...stored });
  return stored;
}

function markConfirmed(ding) {
  generation += 1; // a list fetched before this confirmation must not bring it back
  dingState.pending.delete(ding.id);
  dingState.confirmed.set(ding.id, ding);
  if (dingState.flash === ding.id) dingState.flash = null;
  changed();
}

/** A desktop notification while the tab is hidden (a DING is meant to interrupt). */
function ring(ding, again) {
  if (!document.hidden || !notificationsOn()) return;
  const name = displayName(ding.sender_id);
  const title = again ? t("ding.notifyAgain", { name }) : t("ding.notifyTitle", { name });
  try {
    const note = new Notification(title, {
      body: ding.recalled ? t("ding.recalledText") : ding.body, tag: `ding-${ding.id}`, renotify: true, requireInteraction: true,
    });
    note.addEventListener("click", () => {
      window.focus();
      window.location.hash = `#/ding/${ding.id}?org=${ding.organization_id}`;
      note.close();
    });
  } catch {
    // Some browsers only allow notifications from a service worker; the banner still shows it.
  }
}

on("event:ding", (event) => {
  if (!state.me) return;
  const data = event.data || {};
  const fresh = Date.now() - (event.created_at || Date.now()) < FRESH_MS;
  if ((event.op === "created" || event.op === "renotified") && data.sender_id !== state.me.id && data.status === "sent") {
    const again = event.op === "renotified";
    if (data.confirmed_at) return;
    generation += 1;
    dingState.pending.set(data.id, { ...dingState.pending.get(data.id), ...data });
    dingState.confirmed.delete(data.id);
    if (again) dingState.flash = data.id;
    changed();
    if (fresh) ring(data, again);
  } else if (event.op === "confirmed" && data.user_id === state.me.id) {
    const known = dingState.pending.get(data.ding_id);
    if (known) markConfirmed({ ...known, confirmed_at: data.confirmed_at });
  }
});

// The organizations' badges change with every DING event (org.js reloads them); follow them.
on("orgs", () => loadPending().catch(() => {}));
on("session-ended", resetDings);
