// The organizations the user belongs to (GET /orgs, with badges) and the one chosen in the
// organization switcher. Workspace views (directory, DING, announcements, admin) read the current
// organization from here and rebuild when it changes. The choice is remembered on this device.

import { api } from "./api.js";
import { emit, on } from "./store.js";

const STORAGE_KEY = "lakeside.org";

export const orgState = {
  orgs: [], // MyOrgOut, as GET /orgs returns them
  currentId: null,
};

/** The chosen organization (MyOrgOut), or null when the user belongs to none. */
export function currentOrg() {
  return orgState.orgs.find((org) => org.id === orgState.currentId) || null;
}

export function currentOrgId() {
  return orgState.currentId;
}

/** True when the user is an owner or admin of the chosen organization. */
export function isOrgAdmin(org = currentOrg()) {
  return !!org && (org.my_role === "owner" || org.my_role === "admin");
}

/** Subscribe to changes of the list or of the chosen organization ("orgs" topic). */
export function onOrgsChange(fn) {
  return on("orgs", fn);
}

export function setCurrentOrg(id) {
  if (!orgState.orgs.some((org) => org.id === id) || id === orgState.currentId) return;
  orgState.currentId = id;
  localStorage.setItem(STORAGE_KEY, String(id));
  emit("orgs", { switched: true });
}

/** Fetch the list (and badges) again; keeps the choice when it is still a member. */
export async function loadOrgs() {
  const orgs = await api.get("/orgs");
  orgState.orgs = orgs;
  const saved = Number(localStorage.getItem(STORAGE_KEY));
  const previous = orgState.currentId;
  if (!orgs.some((org) => org.id === orgState.currentId)) {
    orgState.currentId = orgs.some((org) => org.id === saved) ? saved : orgs[0]?.id ?? null;
  }
  emit("orgs", { switched: previous !== orgState.currentId });
  return orgs;
}

export function resetOrgs() {
  orgState.orgs = [];
  orgState.currentId = null;
}

// Membership and badge changes arrive as events (docs/protocol.md); refetching the short list is
// simpler and always right. Bursts (a DING to 50 people) collapse into one request.
let reloadTimer = null;
function reloadSoon() {
  clearTimeout(reloadTimer);
  reloadTimer = setTimeout(() => loadOrgs().catch(() => {}), 150);
}

for (const type of ["organization", "ding", "announcement", "join_request", "org_member"]) {
  on(`event:${type}`, reloadSoon);
}
