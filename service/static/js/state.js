// The page's state, and what the API says once per session: factions, indicator types and
// the meta (the configured horizons and the ICD 203 sentence, GET /v1/meta, so that the
// page keeps no copy of either).

import { api } from "./api.js";

export const HORIZON_STORE = "riftcast.horizon";
export const CHART_WINDOW_STORE = "riftcast.chartWindow";
export const REFERENCE_STORE = "riftcast.showReference";
// The history chart's windows, in years back from today (null: all of the history).
export const CHART_WINDOWS = { "1y": 1, "3y": 3, all: null };
const DEFAULT_HORIZON = 90;

export const state = {
  horizon: Number(sessionStorage.getItem(HORIZON_STORE)) || DEFAULT_HORIZON,
  // The last 12 months by default: recent events must not shrink to a pixel at the edge.
  chartWindow: Object.hasOwn(CHART_WINDOWS, sessionStorage.getItem(CHART_WINDOW_STORE))
    ? sessionStorage.getItem(CHART_WINDOW_STORE)
    : "1y",
  // The shipped reference history (real splits the model learns from) is hidden unless asked.
  showReference: sessionStorage.getItem(REFERENCE_STORE) === "1",
  route: { name: "overview", pair: null },
  meta: null, // GET /v1/meta: {horizons, estimative_note, estimative_scale}
  factions: null, // id -> faction
  types: null, // key -> indicator type
  pair: null, // the pair page's data: {forecast, history, events, horizon}
  pinned: null, // the event id whose details are pinned
  loadSeq: 0,
  trendWatch: null, // IntersectionObserver of the overview's rows: their trends load in view
  trends: new Map(), // "horizon pair" -> the overview's last trend points, shown until renewed
  stream: null, // AbortController of the SSE connection
  refreshTimer: null,
};

let metaLoading = null;

/** Keep the meta; a horizon not configured is replaced by the default one, or the first. */
export function setMeta(meta) {
  state.meta = meta;
  if (!meta.horizons.includes(state.horizon)) {
    state.horizon = meta.horizons.includes(DEFAULT_HORIZON) ? DEFAULT_HORIZON : meta.horizons[0];
  }
}

/** The meta, asked for once a session (signing in asks with the key it tries). */
export async function loadMeta() {
  if (!state.meta) {
    metaLoading = metaLoading || api("/v1/meta");
    try {
      setMeta(await metaLoading);
    } finally {
      metaLoading = null;
    }
  }
  return state.meta;
}

export async function loadReference() {
  if (!state.factions) {
    const data = await api("/v1/factions");
    state.factions = Object.fromEntries(data.items.map((f) => [f.id, f]));
  }
  if (!state.types) {
    const data = await api("/v1/indicator-types");
    state.types = Object.fromEntries(data.items.map((t) => [t.key, t]));
  }
}

export function factionName(id) {
  const f = state.factions && state.factions[id];
  return f ? f.name : id;
}

export function pairName(a, b) {
  return `${factionName(a)} – ${factionName(b)}`;
}

export function typeLabel(key) {
  const t = state.types && state.types[key];
  return t ? t.label : key.replace(/_/g, " ");
}

export function isCohesion(key) {
  const t = state.types && state.types[key];
  return Boolean(t && t.prior_mean < 0);
}

// -- the URL fragment: #/, #/pair/{id}, #/track-record, with ?h={horizon} -----------------

export function parseHash() {
  const raw = location.hash.replace(/^#/, "") || "/";
  const [path, query] = raw.split("?");
  const params = new URLSearchParams(query || "");
  const h = Number(params.get("h"));
  if (state.meta.horizons.includes(h)) state.horizon = h;
  if (path === "/track-record") return { name: "track-record", pair: null };
  const m = path.match(/^\/pair\/([^/]+)$/);
  return m ? { name: "pair", pair: decodeURIComponent(m[1]) } : { name: "overview", pair: null };
}

export function hrefFor(r, horizon = state.horizon) {
  if (r.name === "track-record") return "#/track-record";
  const base = r.name === "pair" ? `#/pair/${encodeURIComponent(r.pair)}` : "#/";
  return `${base}?h=${horizon}`;
}
