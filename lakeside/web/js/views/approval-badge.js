// The 审批 rail badge: how many requests wait for me in the current organization. Loaded with the
// shell (it is small); refetched when the organization changes and when a request changes
// (approval events), and announced on the "approvals-count" topic.

import { api } from "../api.js";
import { currentOrg, currentOrgId, onOrgsChange } from "../org.js";
import { emit, on } from "../store.js";

let count = 0;
let countedFor = null;
let timer = null;
let asked = 0;

export function pendingApprovals() {
  const org = currentOrg();
  if (org && typeof org.pending_approvals === "number") return org.pending_approvals;
  return countedFor === currentOrgId() ? count : 0;
}

export async function refreshApprovalCount() {
  const orgId = currentOrgId();
  const ticket = ++asked;
  if (!orgId) return;
  try {
    const page = await api.get(`/orgs/${orgId}/approvals`, { box: "pending", limit: 100 });
    if (ticket !== asked) return;
    count = page.approvals.length;
    countedFor = orgId;
    emit("approvals-count", count);
  } catch {
    // The next event or switch tries again.
  }
}

function soon() {
  clearTimeout(timer);
  timer = setTimeout(refreshApprovalCount, 200);
}

onOrgsChange((change) => { if (change && change.switched) soon(); else if (countedFor !== currentOrgId()) soon(); });
on("event:approval", soon);
