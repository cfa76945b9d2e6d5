// Error codes from the server, told in the user's language (the server's English message when
// there is no translation).

import { t } from "./i18n/index.js";

export function errorText(error) {
  const code = error && error.code;
  if (code) {
    const key = `error.${code}`;
    const text = t(key);
    if (text !== key) return text;
  }
  if (error && error.message && error.status) return error.message;
  return t("error.generic");
}
