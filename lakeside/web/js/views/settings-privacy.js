// Settings → Privacy: export my data (request, watch its status live through `export.updated`,
// download when ready) and delete my account (a danger zone: what happens, the password, then the
// session ends and the login page says the account is deleted).

import { api } from "../api.js";
import { h, replaceChildren } from "../dom.js";
import { errorText } from "../errors.js";
import { formatDateTime, formatSize } from "../format.js";
import { t } from "../i18n/index.js";
import { endSession, expectSessionEnd } from "../session.js";
import { on } from "../store.js";
import { confirmDialog } from "../components/modal.js";
import { toast } from "../components/toast.js";

/** A list of export jobs with a request button; ``base`` is "/me" or "/orgs/{id}". */
export function mountExports(root, base) {
  const list = h("ul", { class: "person-list export-list" });
  const request = h("button", { class: "btn btn-primary", type: "button", text: t("privacy.exportRequest") });
  let jobs = [];

  function row(job) {
    const meta = job.status === "ready"
      ? t("privacy.exportReadyMeta", { size: formatSize(job.size), until: formatDateTime(job.expires_at) })
      : formatDateTime(job.created_at);
    return h("li", { class: "session-row export-row", "data-status": job.status },
      h("div", { class: "person-text" },
        h("span", { class: "person-name", text: t(`privacy.status.${job.status}`) }),
        h("span", { class: "person-meta", text: meta })),
      job.download_url
        ? h("a", { class: "btn btn-sm", href: `${job.download_url}`, download: "", text: t("privacy.download") })
        : null);
  }

  function render() {
    const busy = jobs.some((job) => job.status === "queued" || job.status === "running");
    request.disabled = busy;
    replaceChildren(list, jobs.length ? jobs.map(row) : h("li", { class: "page-hint", text: t("privacy.exportNone") }));
  }

  async function load() {
    try {
      jobs = (await api.get(`${base}/exports`)).exports;
      render();
    } catch (error) {
      replaceChildren(list, h("li", { class: "form-error", text: errorText(error) }));
    }
  }

  request.addEventListener("click", async () => {
    request.disabled = true;
    try {
      const job = await api.post(`${base}/exports`);
      // Its own export.updated (running) may have come first.
      if (!jobs.some((known) => known.id === job.id)) jobs.unshift(job);
      toast(t("privacy.exportQueued"));
    } catch (error) {
      toast(errorText(error), "error");
    }
    render();
  });

  const off = on("event:export", (event) => {
    const job = event.data;
    const index = jobs.findIndex((known) => known.id === job.id);
    if (index >= 0) jobs[index] = job;
    else if (`${base}` === "/me" ? job.organization_id === null : base.endsWith(`/${job.organization_id}`)) jobs.unshift(job);
    render();
  });
  replaceChildren(root, h("p", { class: "page-hint", text: base === "/me" ? t("privacy.exportHint") : t("privacy.orgExportHint") }), request, list);
  load();
  return { destroy: off };
}

export function mountPrivacy(root) {
  const exportsBox = h("div", { class: "settings-card" });
  const exportsView = mountExports(exportsBox, "/me");
  const password = h("input", { class: "input", type: "password", id: "delete-password", autocomplete: "current-password", maxlength: 256 });
  const error = h("p", { class: "form-error", role: "alert", hidden: true });
  const say = (text) => { error.textContent = text; error.hidden = !text; };
  const remove = h("button", { class: "btn btn-danger", type: "button", text: t("privacy.deleteButton") });
  remove.addEventListener("click", async () => {
    say("");
    if (!password.value) {
      say(t("privacy.deletePasswordNeeded"));
      return;
    }
    const ok = await confirmDialog({ title: t("privacy.deleteTitle"), message: t("privacy.deleteConfirm"), confirmLabel: t("privacy.deleteButton"), danger: true });
    if (!ok) return;
    remove.disabled = true;
    expectSessionEnd("account-deleted");
    try {
      await api.post("/me/deletion", { password: password.value });
      endSession("account-deleted");
    } catch (failure) {
      expectSessionEnd(null);
      // Only the password was asked for: "wrong username or password" would puzzle.
      say(failure.code === "BAD_CREDENTIALS" ? t("privacy.deleteWrongPassword") : errorText(failure));
      remove.disabled = false;
      password.focus();
    }
  });
  replaceChildren(root,
    h("h3", { class: "settings-section", text: t("privacy.exportTitle") }),
    exportsBox,
    h("h3", { class: "settings-section danger-title", text: t("privacy.deleteTitle") }),
    h("div", { class: "settings-card danger-zone" },
      h("p", { class: "page-hint", text: t("privacy.deleteExplain") }),
      h("ul", { class: "danger-list" }, [t("privacy.deleteWhat1"), t("privacy.deleteWhat2"), t("privacy.deleteWhat3"), t("privacy.deleteWhat4")].map((text) => h("li", { text }))),
      h("div", { class: "field" }, h("label", { for: "delete-password", text: t("privacy.deletePassword") }), password),
      error,
      remove));
  return { destroy: () => exportsView.destroy() };
}
