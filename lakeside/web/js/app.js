// Boot: find out whether this browser has a session; show the log-in page or the app.
//
// Only the log-in page is loaded with the page. The app itself (the session, the shell and the
// sections, their strings and stylesheets) is loaded on first use: when the browser turns out to
// have a session, or when someone logs in.

import { api } from "./api.js";
import { h, replaceChildren } from "./dom.js";
import { loadFeatureStrings, onLangChange, t } from "./i18n/index.js";
import { loadAppStyles } from "./styles.js";
import { mountLogin } from "./views/login.js";

const root = document.getElementById("app");
let current = null;
let loggedIn = false;
let app = null; // the loaded app: {startSession, mountShell}

function show(view) {
  if (current && current.destroy) current.destroy();
  current = view;
}

function showLogin(reason = null) {
  loggedIn = false;
  show(mountLogin(root, { reason, onLoggedIn: enter }));
}

/** The modules of the logged-in app, loaded once (again after a failure). */
function loadApp() {
  app ??= (async () => {
    const [session, shell, notify, store] = await Promise.all([
      import("./session.js"), import("./views/shell.js"), import("./notify.js"), import("./store.js"),
      loadFeatureStrings(), loadAppStyles(),
    ]);
    session.setSessionEndedHandler((reason) => showLogin(reason === "logged-out" ? null : reason));
    store.on("auth-lost", () => session.endSession("revoked"));
    notify.watchTitle();
    return { startSession: session.startSession, mountShell: shell.mountShell };
  })();
  app.catch(() => { app = null; });
  return app;
}

async function enter(me) {
  const { startSession, mountShell } = await loadApp();
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

// Views are cheap to rebuild from the state, so a new language simply rebuilds the one shown.
onLangChange(() => {
  if (loggedIn) app.then(({ mountShell }) => show(mountShell(root)));
  else if (current) showLogin();
});
boot();
