// The to-dos badge: how many to-dos assigned to me are open for me in the current organization
// (GET /orgs/{id}/todos/summary), kept current from `todo` events and organization switches. The
// shell's rail item and the workbench tile read it; views subscribe to "todos-badge".

import { api } from "./api.js";
import { currentOrgId, onOrgsChange } from "./org.js";
import { emit, on } from "./store.js";

const badge = { orgId: null, open: 0, overdue: 0 };

export function todoBadge() {
  return badge.orgId === currentOrgId() ? badge.open : 0;
}

let timer = null;
let asked = 0;
export function refreshTodoBadge() {
  clearTimeout(timer);
  timer = setTimeout(async () => {
    const orgId = currentOrgId();
    const ticket = ++asked;
    if (!orgId) return;
    try {
      const summary = await api.get(`/orgs/${orgId}/todos/summary`);
      if (ticket !== asked) return;
      Object.assign(badge, { orgId, open: summary.open, overdue: summary.overdue });
      emit("todos-badge", badge);
    } catch {
      // The next event or switch asks again.
    }
  }, 150);
}

onOrgsChange(refreshTodoBadge);
on("event:todo", refreshTodoBadge);
