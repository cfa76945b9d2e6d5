// The organizations the user belongs to (GET /orgs, with badges) and the one chosen in the
// organization switcher. Workspace views (directory, DING, announcements, admin) read the current
// organization from here and rebuild when it changes. The choice is remembered on this device.
// Also kept here: what waits for the user outside any organization they belong to — invitations
// addressed to their phone or e-mail, and their own requests to join.

import { api } from "./api.js";
import { t } from "./i18n/index.js";
import { emit, on } from "./store.js";
import { toast } from "./components/toast.js";

const STORAGE_KEY = "lakeside.org";

export const orgState = {
  orgs: [], // MyOrgOut, as GET /orgs returns them
  currentId: null,
  invitations: [], // pending invitations to my phone or e-mail (GET /me/org-invitations)
  requests: [], // my pending join requests (GET /me/org-join-requests)
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

export function isOrgOwner(org = currentOrg()) {
  return !!org && org.my_role === "owner";
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
  const [orgs, invitations, requests] = await Promise.all([
    api.get("/orgs"),
    api.get("/me/org-invitations").catch(() => orgState.invitations),
    api.get("/me/org-join-requests").catch(() => orgState.requests),
  ]);
  orgState.orgs = orgs;
  orgState.invitations = invitations.filter((invitation) => invitation.status === "pending");
  orgState.requests = requests.filter((request) => request.status === "pending");
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
  orgState.invitations = [];
  orgState.requests = [];
}

/** Create an organization (you own it) and switch to it. */
export async function createOrg(name) {
  const org = await api.post("/orgs", { name });
  await loadOrgs();
  setCurrentOrg(org.id);
  return org;
}

/** After joining (a link, a code, an accepted invitation): switch to the organization when in it. */
export async function afterJoin(result) {
  await loadOrgs();
  if (result.status === "joined" && result.organization) setCurrentOrg(result.organization.id);
  return result;
}

// Membership and badge changes arrive as events (docs/protocol.md); refetching the short list is
// simpler and always right. Bursts (a DING to 50 people) collapse into one request.
let reloadTimer = null;
function reloadSoon() {
  clearTimeout(reloadTimer);
  reloadTimer = setTimeout(() => loadOrgs().catch(() => {}), 150);
}

for (const type of ["organization", "ding", "announcement", "join_request", "org_member", "org_invitation"]) {
  on(`event:${type}`, reloadSoon);
}

// Removed, deactivated or left: say so when it happened elsewhere (not the user's own "leave").
let leaving = null;
export async function leaveOrg(id) {
  leaving = id;
  try {
    await api.post(`/orgs/${id}/leave`);
    await loadOrgs();
  } finally {
    leaving = null;
  }
}

on("event:organization", (event) => {
  if (event.op !== "removed") return;
  const id = event.data && event.data.organization_id;
  const org = orgState.orgs.find((item) => item.id === id);
  if (!org || id === leaving) return;
  // Drop it at once (every endpoint of it now answers 404) and switch; the reload confirms.
  const wasCurrent = orgState.currentId === id;
  orgState.orgs = orgState.orgs.filter((item) => item.id !== id);
  if (wasCurrent) orgState.currentId = orgState.orgs[0]?.id ?? null;
  emit("orgs", { switched: wasCurrent });
  toast(t("org.removedFrom", { name: org.name }));
});

on("event:join_request", (event) => {
  const request = event.data;
  if (event.op !== "decided" || !request || !request.organization_name) return;
  if (request.status === "approved") toast(t("org.requestApproved", { name: request.organization_name }));
  else if (request.status === "rejected") toast(t("org.requestRejected", { name: request.organization_name }), "error");
});
