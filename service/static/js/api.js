// The API over fetch(). The key lives in this tab's sessionStorage and travels in the
// Authorization header only: never in a URL, so it cannot leak through history, logs or
// Referer.

export const KEY_STORE = "riftcast.key";

export class ApiError extends Error {
  constructor(status, problem) {
    super((problem && problem.detail) || `HTTP ${status}`);
    this.status = status;
    this.problem = problem || {};
  }
}

let unauthorized = () => {};

/** What to do when the stored key is refused (401): the dashboard forgets it. */
export function onUnauthorized(handler) {
  unauthorized = handler;
}

export function storedKey() {
  return sessionStorage.getItem(KEY_STORE) || "";
}

/** A JSON request; a problem response throws an ApiError. With `opts.key` (a key being
 * tried, or one the caller handles itself) a 401 is the caller's to deal with. */
export async function api(path, opts = {}) {
  const headers = new Headers({ Accept: "application/json, application/problem+json" });
  headers.set("Authorization", `Bearer ${opts.key || storedKey()}`);
  let body;
  if (opts.json !== undefined) {
    headers.set("Content-Type", "application/json");
    body = JSON.stringify(opts.json);
  }
  for (const [k, v] of Object.entries(opts.headers || {})) headers.set(k, v);
  const res = await fetch(path, {
    method: opts.method || "GET",
    headers,
    body,
    cache: "no-store",
    credentials: "omit",
    referrerPolicy: "no-referrer",
  });
  const type = res.headers.get("content-type") || "";
  const data = type.includes("json") ? await res.json().catch(() => null) : null;
  if (!res.ok) {
    const err = new ApiError(res.status, data);
    if (res.status === 401 && !opts.key) unauthorized(err.message);
    throw err;
  }
  return data;
}

/** Every item of a paged listing, following `next_cursor` (at most `maxPages` pages). */
export async function allPages(path, params, maxPages = Infinity) {
  const items = [];
  let cursor = null;
  for (let page = 0; page < maxPages; page += 1) {
    const q = new URLSearchParams(params);
    if (cursor) q.set("cursor", cursor);
    const data = await api(`${path}?${q}`);
    items.push(...data.items);
    cursor = data.next_cursor;
    if (!cursor) break;
  }
  return items;
}

/** Every event of a pair, page after page (at most 20 pages of 500). */
export function allEvents(pairId) {
  return allPages("/v1/events", { pair: pairId, limit: "500" }, 20);
}

/** A fresh Idempotency-Key. */
export function newId() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
}
