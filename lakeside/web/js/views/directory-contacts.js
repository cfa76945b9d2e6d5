// The organization's external contacts (customers, partners, suppliers): search (name, pinyin,
// company, phone, e-mail, tags), filter by a tag, a contact's card; admins add, edit and delete.

import { api } from "../api.js";
import { debounce, h, replaceChildren } from "../dom.js";
import { errorText } from "../errors.js";
import { t } from "../i18n/index.js";
import { icon } from "../icons.js";
import { avatar } from "../components/avatar.js";
import { confirmDialog, openModal } from "../components/modal.js";
import { toast } from "../components/toast.js";

/** Draws the contacts page into `main`; returns {refresh, destroy}. */
export function mountExternalContacts(main, { org, admin }) {
  let query = "";
  let tag = "";
  let after = 0;
  let token = 0;
  const search = h("input", { class: "input search-input", type: "search", placeholder: t("ext.searchPlaceholder"), "aria-label": t("ext.search") });
  const tags = h("div", { class: "tag-filter", role: "group", "aria-label": t("ext.tags") });
  const list = h("ul", { class: "person-list", "aria-live": "polite" });
  const more = h("button", { class: "btn search-more", type: "button", text: t("dir.loadMore"), hidden: true, on: { click: () => load(false) } });
  const knownTags = new Set();

  replaceChildren(main, h("div", { class: "page" },
    h("header", { class: "page-head" },
      h("a", { class: "icon-btn back-btn", href: "#/directory", "aria-label": t("action.back") }, icon("back")),
      h("h2", { class: "page-title grow", text: t("ext.title") }),
      admin ? h("button", { class: "btn btn-primary btn-sm", type: "button", on: { click: () => editContact(null) } }, icon("plus", "icon-sm"), t("ext.add")) : null),
    h("div", { class: "page-body scroll" }, h("div", { class: "ext-tools" }, search, tags), list, more)));

  function renderTags() {
    const chip = (value, label) => h("button", {
      class: ["tag-chip", tag === value && "active"], type: "button", "aria-pressed": tag === value ? "true" : "false", text: label,
      on: { click: () => { tag = value; renderTags(); load(true); } },
    });
    replaceChildren(tags, knownTags.size ? [chip("", t("ext.allTags")), ...[...knownTags].sort().map((value) => chip(value, value))] : []);
  }

  function row(contact) {
    for (const value of contact.tags) knownTags.add(value);
    const meta = [contact.company, contact.title].filter(Boolean).join(" · ");
    return h("li", {}, h("button", { class: "person-row person-link ext-row", type: "button", on: { click: () => showContact(contact) } },
      avatar({ id: contact.id + 7, name: contact.name, size: "md" }),
      h("div", { class: "person-text" },
        h("span", { class: "person-name ellipsis", text: contact.name }),
        meta ? h("span", { class: "person-meta ellipsis", text: meta }) : null),
      h("span", { class: "ext-tags" }, contact.tags.map((value) => h("span", { class: "tag", text: value })))));
  }

  async function load(reset) {
    const mine = ++token;
    if (reset) after = 0;
    more.disabled = true;
    try {
      const page = await api.get(`/orgs/${org.id}/contacts`, { q: query, tag, after, limit: 50 });
      if (mine !== token) return;
      const rows = page.contacts.map(row);
      if (reset) replaceChildren(list, rows.length ? rows : h("li", { class: "list-empty", text: query || tag ? t("ext.noMatch") : t("ext.none") }));
      else list.append(...rows);
      after = page.next_after;
      more.hidden = after === null;
      renderTags();
    } catch (error) {
      if (error.code !== "ORG_NOT_FOUND") toast(errorText(error), "error");
    }
    more.disabled = false;
  }

  const onInput = debounce(() => { query = search.value.trim(); load(true); }, 250);
  search.addEventListener("input", onInput);

  function showContact(contact) {
    const line = (iconName, label, value) => (value ? h("div", { class: "info-row" }, h("dt", {}, icon(iconName, "icon-sm"), h("span", { text: label })), h("dd", {}, value)) : null);
    const modal = openModal({
      title: contact.name,
      body: h("div", { class: "ext-card" },
        h("dl", { class: "info-list" },
          line("building", t("ext.company"), contact.company),
          line("briefcase", t("dir.title"), contact.title),
          line("phone", t("ext.phone"), contact.phone ? h("a", { href: `tel:${contact.phone}`, text: contact.phone }) : null),
          line("mail", t("dir.email"), contact.email ? h("a", { href: `mailto:${contact.email}`, text: contact.email }) : null),
          line("tag", t("ext.tags"), contact.tags.length ? h("span", { class: "ext-tags" }, contact.tags.map((value) => h("span", { class: "tag", text: value }))) : null),
          line("info", t("ext.note"), contact.note ? h("span", { class: "ext-note", text: contact.note }) : null))),
      actions: admin ? [
        h("button", { class: "btn btn-danger", type: "button", on: { click: async () => { modal.close(); await remove(contact); } } }, icon("trash", "icon-sm"), t("action.delete")),
        h("button", { class: "btn btn-primary", type: "button", on: { click: () => { modal.close(); editContact(contact); } } }, icon("edit", "icon-sm"), t("dir.edit")),
      ] : [],
    });
  }

  async function remove(contact) {
    if (!await confirmDialog({ title: t("ext.delete"), message: t("ext.deleteConfirm", { name: contact.name }), confirmLabel: t("action.delete"), danger: true })) return;
    try {
      await api.del(`/orgs/${org.id}/contacts/${contact.id}`);
      toast(t("ext.deleted"));
      load(true);
    } catch (error) {
      toast(errorText(error), "error");
    }
  }

  function editContact(contact) {
    const input = (id, value, extra = {}) => h("input", { class: "input", id, value: value || "", ...extra });
    const fields = {
      name: input("ext-name", contact?.name, { maxlength: 256, required: true }),
      company: input("ext-company", contact?.company, { maxlength: 256 }),
      title: input("ext-title", contact?.title, { maxlength: 256 }),
      phone: input("ext-phone", contact?.phone, { maxlength: 32, type: "tel" }),
      email: input("ext-email", contact?.email, { maxlength: 320, type: "email" }),
      tags: input("ext-tags", contact ? contact.tags.join(", ") : "", { placeholder: t("ext.tagsPlaceholder") }),
      note: h("textarea", { class: "textarea", id: "ext-note", maxlength: 1024, value: contact?.note || "" }),
    };
    const labels = { name: t("ext.name"), company: t("ext.company"), title: t("dir.title"), phone: t("ext.phone"), email: t("dir.email"), tags: t("ext.tags"), note: t("ext.note") };
    const form = h("form", { class: "ext-form" }, Object.entries(fields).map(([key, control]) => h("div", { class: "field" },
      h("label", { for: control.id, text: labels[key] }), control, key === "tags" ? h("span", { class: "field-hint", text: t("ext.tagsHint") }) : null)));
    const save = async (event) => {
      event.preventDefault();
      const body = {
        name: fields.name.value.trim(),
        company: fields.company.value.trim() || null,
        title: fields.title.value.trim() || null,
        phone: fields.phone.value.trim() || null,
        email: fields.email.value.trim() || null,
        tags: [...new Set(fields.tags.value.split(/[,，、;；]/).map((value) => value.trim()).filter(Boolean))],
        note: fields.note.value.trim() || null,
      };
      if (!body.name) {
        fields.name.focus();
        return;
      }
      try {
        if (contact) await api.patch(`/orgs/${org.id}/contacts/${contact.id}`, body);
        else await api.post(`/orgs/${org.id}/contacts`, body);
        toast(t("dir.saved"));
        modal.close();
        load(true);
      } catch (error) {
        toast(errorText(error), "error");
      }
    };
    form.addEventListener("submit", save);
    const modal = openModal({
      title: contact ? t("ext.edit") : t("ext.add"),
      body: form,
      wide: true,
      actions: [
        h("button", { class: "btn", type: "button", text: t("action.cancel"), on: { click: () => modal.close() } }),
        h("button", { class: "btn btn-primary", type: "button", text: t("action.save"), on: { click: save } }),
      ],
    });
  }

  load(true);
  return { refresh: () => load(true), destroy: () => onInput.cancel() };
}
