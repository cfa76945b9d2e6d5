// Boot: find out whether this browser has a session; show the log-in page or the app.

import { api } from "./api.js";
import { h, replaceChildren } from "./dom.js";
import { onLangChange, t } from "./i18n/index.js";
import { watchTitle } from "./notify.js";
import { endSession, setSessionEndedHandler, startSession } from "./session.js";
import { on } from "./store.js";
import { mountLogin } from "./views/login.js";
import { mountShell } from "./views/shell.js";

const root = document.getElementById("app");
let current = null;
let loggedIn = false;

function show(view) {
  if (current && current.destroy) current.destroy();
  current = view;
}

function showLogin(reason = null) {
  loggedIn = false;
  show(mountLogin(root, { reason, onLoggedIn: enter }));
}

async function enter(me) {
  await startSession(me);
  loggedIn = true;
  show(mountShell(root));
}

function showBootError(retry) {
  show(null);
  replaceChildren(
    root,
    h("div", { class: "boot-error", role: "alert" },
      h("p", { text: t("boot.failed") }),
      h("button", { class: "btn btn-primary", type: "button", text: t("action.retry"), on: { click: retry } })),
  );
}

async function boot() {
  let me;
  try {
    me = await api.get("/me", null, { quiet401: true });
  } catch (error) {
    if (error.status === 401) showLogin();
    else showBootError(boot);
    return;
  }
  try {
    await enter(me);
  } catch {
    showBootError(boot);
  }
}

setSessionEndedHandler((reason) => showLogin(reason === "logged-out" ? null : reason));
on("auth-lost", () => endSession("revoked"));
watchTitle();
// Views are cheap to rebuild from the state, so a new language simply rebuilds the one shown.
onLangChange(() => {
  if (loggedIn) show(mountShell(root));
  else if (current) showLogin();
});
boot();
