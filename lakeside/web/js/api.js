// HTTP calls to /api/v1. The session lives in an HttpOnly cookie the page cannot read; requests
// that change anything echo the readable CSRF cookie in X-CSRF-Token (double submit).

const BASE = "/api/v1";
const CSRF_COOKIE = "lakeside_csrf";
const UNSAFE = new Set(["POST", "PUT", "PATCH", "DELETE"]);

export class ApiError extends Error {
  constructor(status, code, message, data = {}) {
    super(message || code);
    this.status = status;
    this.code = code;
    this.data = data;
  }

  /** True when the request may succeed if sent again (network trouble, server restarting). */
  get retryable() {
    return this.status === 0 || this.status >= 500 || this.status === 429;
  }
}

let onUnauthorized = () => {};

// How far this device's clock is from the server's, from the Date header of its answers (whole
// seconds, so differences within a second and a half count as none). Deadlines the server keeps
// (a message's recall window) are compared with serverNow(), not the device's clock.
let clockOffset = 0;

function noteServerDate(response) {
  const date = Date.parse(response.headers.get("date") || "");
  if (Number.isNaN(date)) return;
  const offset = date - Date.now();
  clockOffset = Math.abs(offset) > 1500 ? offset : 0;
}

/** The server's time now, as well as this device can tell (milliseconds since the epoch). */
export function serverNow() {
  return Date.now() + clockOffset;
}

/** Called once by the app: what to do when the server says the session is gone. */
export function setUnauthorizedHandler(handler) {
  onUnauthorized = handler;
}

function csrfToken() {
  for (const part of document.cookie.split(";")) {
    const [name, ...rest] = part.trim().split("=");
    if (name === CSRF_COOKIE) return decodeURIComponent(rest.join("="));
  }
  return "";
}

function buildUrl(path, query) {
  const url = new URL(BASE + path, window.location.origin);
  for (const [key, value] of Object.entries(query || {})) {
    if (value !== undefined && value !== null && value !== "") url.searchParams.set(key, String(value));
  }
  return url.pathname + url.search;
}

export async function request(method, path, { json, form, query, signal, quiet401 = false } = {}) {
  const headers = { Accept: "application/json" };
  let body;
  if (json !== undefined) {
    headers["Content-Type"] = "application/json";
    body = JSON.stringify(json);
  } else if (form !== undefined) {
    body = form;
  }
  if (UNSAFE.has(method)) headers["X-CSRF-Token"] = csrfToken();
  let response;
  try {
    response = await fetch(buildUrl(path, query), {
      method, headers, body, signal, credentials: "same-origin",
    });
  } catch (error) {
    if (error.name === "AbortError") throw error;
    throw new ApiError(0, "NETWORK", "network error");
  }
  noteServerDate(response);
  const type = response.headers.get("content-type") || "";
  const payload = type.includes("application/json") ? await response.json().catch(() => null) : null;
  if (!response.ok) {
    const detail = (payload && payload.error) || {};
    const error = new ApiError(response.status, detail.code || `HTTP_${response.status}`, detail.message, detail);
    if (response.status === 401 && !quiet401) onUnauthorized(error);
    throw error;
  }
  return payload;
}

export const api = {
  get: (path, query, options = {}) => request("GET", path, { ...options, query }),
  post: (path, json, options = {}) => request("POST", path, { ...options, json: json ?? {} }),
  put: (path, json, options = {}) => request("PUT", path, { ...options, json }),
  patch: (path, json, options = {}) => request("PATCH", path, { ...options, json }),
  del: (path, options = {}) => request("DELETE", path, options),
  upload: (path, file, method = "POST") => {
    const form = new FormData();
    form.append("file", file, file.name || "upload");
    return request(method, path, { form });
  },
};

/** A random client message id: a retry sends the same one, so the server stores the message once. */
export function newClientId() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
}
