// Riftcast dashboard: vanilla JS, inline SVG, no third-party code.
//
// Why it is built this way:
// - The API key lives in sessionStorage (this tab only) and travels in the Authorization
//   header; it never appears in a URL, so it cannot leak through history, logs or Referer.
// - EventSource cannot send headers, so the live stream is read with fetch() and a
//   ReadableStream reader, and the SSE frames are parsed here, with reconnect and backoff.
// - The page's CSP forbids inline script and style attributes: every element is built with
//   the DOM API and styled by classes (SVG geometry goes in presentation attributes).
"use strict";

(() => {
  const HORIZONS = [30, 90, 180, 365];
  const KEY_STORE = "riftcast.key";
  const HORIZON_STORE = "riftcast.horizon";
  const SVG_NS = "http://www.w3.org/2000/svg";
  const DAY_MS = 86400000;
  // The history chart's window, in years back from today (null: all of the history).
  const CHART_WINDOWS = { "1y": 1, "3y": 3, all: null };
  const CHART_WINDOW_STORE = "riftcast.chartWindow";
  const MARKER_GAP = 14; // px between the centres of event markers that would overlap

  const state = {
    key: sessionStorage.getItem(KEY_STORE) || "",
    horizon: Number(sessionStorage.getItem(HORIZON_STORE)) || 90,
    // The last 12 months by default: recent events must not shrink to a pixel at the edge.
    chartWindow: Object.hasOwn(CHART_WINDOWS, sessionStorage.getItem(CHART_WINDOW_STORE))
      ? sessionStorage.getItem(CHART_WINDOW_STORE)
      : "1y",
    // The shipped reference history (real splits the model learns from) is hidden unless asked.
    showReference: sessionStorage.getItem("riftcast.showReference") === "1",
    route: { name: "overview", pair: null },
    factions: null, // id -> faction
    types: null, // key -> indicator type
    pair: null, // the pair page's data: {forecast, history, events}
    pinned: null, // the event id whose details are pinned
    loadSeq: 0,
    stream: null, // AbortController of the SSE connection
    refreshTimer: null,
  };

  const $ = (id) => document.getElementById(id);

  // -- small helpers ----------------------------------------------------------------------

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === null || v === undefined || v === false) continue;
      if (k === "class") node.className = v;
      else if (k === "text") node.textContent = v;
      else node.setAttribute(k, v === true ? "" : String(v));
    }
    for (const child of children) {
      if (child === null || child === undefined) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  function svg(tag, attrs, ...children) {
    const node = document.createElementNS(SVG_NS, tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === null || v === undefined) continue;
      if (k === "text") node.textContent = v;
      else node.setAttribute(k, String(v));
    }
    for (const child of children) if (child) node.append(child);
    return node;
  }

  function pct(p) {
    if (p === null || p === undefined || Number.isNaN(p)) return "–";
    const v = p * 100;
    if (v > 0 && v < 0.1) return "<0.1%";
    if (v < 10) return `${v.toFixed(1)}%`;
    return `${Math.round(v)}%`;
  }

  function pctRange(lo, hi) {
    const a = lo * 100;
    const b = hi * 100;
    const f = (v) => (v < 10 ? (v < 1 ? v.toFixed(1) : v.toFixed(0)) : Math.round(v).toString());
    return `${f(a)}–${f(b)}%`;
  }

  function points(delta) {
    const v = delta * 100;
    if (Math.abs(v) < 0.05) return "no change";
    const sign = v > 0 ? "+" : "−";
    return `${sign}${Math.abs(v).toFixed(Math.abs(v) < 10 ? 1 : 0)} pts`;
  }

  function parseDay(text) {
    // "YYYY-MM-DD" as a UTC date (never the browser's local midnight).
    const [y, m, d] = text.slice(0, 10).split("-").map(Number);
    return Date.UTC(y, (m || 1) - 1, d || 1);
  }

  function isoDay(ms) {
    return new Date(ms).toISOString().slice(0, 10);
  }

  const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

  function fuzzyDate(day, precision) {
    const d = new Date(parseDay(day));
    if (precision === "year") return String(d.getUTCFullYear());
    if (precision === "month") return `${MONTHS[d.getUTCMonth()]} ${d.getUTCFullYear()}`;
    return day.slice(0, 10);
  }

  function factionName(id) {
    const f = state.factions && state.factions[id];
    return f ? f.name : id;
  }

  function pairName(a, b) {
    return `${factionName(a)} – ${factionName(b)}`;
  }

  function typeLabel(key) {
    const t = state.types && state.types[key];
    return t ? t.label : key.replace(/_/g, " ");
  }

  function isCohesion(key) {
    const t = state.types && state.types[key];
    return Boolean(t && t.prior_mean < 0);
  }

  /** The sentence an analyst would write (ICD 203 wording). */
  function assessment(h, a, b) {
    const lead =
      h.phrase === "remote" || h.phrase === "roughly even chance"
        ? `there is a ${h.phrase}${h.phrase === "remote" ? " chance" : ""}`
        : `it is ${h.phrase}`;
    const within = h.horizon_days === 365 ? "the next year" : `the next ${h.horizon_days} days`;
    return (
      `We assess ${lead} (${pct(h.probability)}; 90% interval ${pctRange(h.lower, h.upper)}) ` +
      `that ${factionName(a)} and ${factionName(b)} will split within ${within}.` +
      (h.phrase_uncertain ? " The interval spans more than one estimative band." : "")
    );
  }

  function newId() {
    if (crypto.randomUUID) return crypto.randomUUID();
    const b = crypto.getRandomValues(new Uint8Array(16));
    return Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
  }

  // -- the API ----------------------------------------------------------------------------

  class ApiError extends Error {
    constructor(status, problem) {
      super((problem && problem.detail) || `HTTP ${status}`);
      this.status = status;
      this.problem = problem || {};
    }
  }

  async function api(path, opts = {}) {
    const headers = new Headers({ Accept: "application/json, application/problem+json" });
    headers.set("Authorization", `Bearer ${opts.key || state.key}`);
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
      if (res.status === 401 && !opts.key) forgetKey(err.message);
      throw err;
    }
    return data;
  }

  async function allEvents(pairId) {
    const items = [];
    let cursor = null;
    for (let page = 0; page < 20; page += 1) {
      const q = new URLSearchParams({ pair: pairId, limit: "500" });
      if (cursor) q.set("cursor", cursor);
      const data = await api(`/v1/events?${q}`);
      items.push(...data.items);
      cursor = data.next_cursor;
      if (!cursor) break;
    }
    return items;
  }

  async function loadReference() {
    if (!state.factions) {
      const data = await api("/v1/factions");
      state.factions = Object.fromEntries(data.items.map((f) => [f.id, f]));
    }
    if (!state.types) {
      const data = await api("/v1/indicator-types");
      state.types = Object.fromEntries(data.items.map((t) => [t.key, t]));
      fillTypeSelect(data.items);
    }
  }

  // -- key handling ----------------------------------------------------------------------

  function forgetKey(message) {
    state.key = "";
    sessionStorage.removeItem(KEY_STORE);
    stopStream();
    showKeyView(message);
  }

  function showKeyView(message) {
    for (const id of ["overview-view", "pair-view", "track-view", "toolbar"]) $(id).hidden = true;
    $("signout").hidden = true;
    $("key-view").hidden = false;
    setLive("off", "Not connected");
    const err = $("key-error");
    err.hidden = !message;
    err.textContent = message || "";
    $("key-input").setAttribute("aria-invalid", message ? "true" : "false");
    $("key-input").focus();
  }

  async function onKeySubmit(ev) {
    ev.preventDefault();
    const key = $("key-input").value.trim();
    const err = $("key-error");
    if (!key) {
      err.hidden = false;
      err.textContent = "Paste an API key.";
      return;
    }
    try {
      await api("/v1/pairs", { key });
    } catch (e) {
      err.hidden = false;
      err.textContent = e.message;
      $("key-input").setAttribute("aria-invalid", "true");
      return;
    }
    state.key = key;
    sessionStorage.setItem(KEY_STORE, key);
    $("key-input").value = "";
    $("key-view").hidden = true;
    $("signout").hidden = false;
    startStream();
    route();
  }

  // -- routing ---------------------------------------------------------------------------

  function parseHash() {
    const raw = location.hash.replace(/^#/, "") || "/";
    const [path, query] = raw.split("?");
    const params = new URLSearchParams(query || "");
    const h = Number(params.get("h"));
    if (HORIZONS.includes(h)) state.horizon = h;
    if (path === "/track-record") return { name: "track-record", pair: null };
    const m = path.match(/^\/pair\/([^/]+)$/);
    return m ? { name: "pair", pair: decodeURIComponent(m[1]) } : { name: "overview", pair: null };
  }

  function hrefFor(r, horizon = state.horizon) {
    if (r.name === "track-record") return "#/track-record";
    const base = r.name === "pair" ? `#/pair/${encodeURIComponent(r.pair)}` : "#/";
    return `${base}?h=${horizon}`;
  }

  function route() {
    if (!state.key) {
      showKeyView("");
      return;
    }
    const r = parseHash();
    const changedPage = r.name !== state.route.name || r.pair !== state.route.pair;
    state.route = r;
    sessionStorage.setItem(HORIZON_STORE, String(state.horizon));
    for (const input of document.querySelectorAll('input[name="horizon"]')) {
      input.checked = Number(input.value) === state.horizon;
    }
    $("toolbar").hidden = false;
    $("signout").hidden = false;
    renderCrumbs();
    if (changedPage) {
      state.pinned = null;
      state.pair = null;
    }
    $("overview-view").hidden = r.name !== "overview";
    $("pair-view").hidden = r.name !== "pair";
    $("track-view").hidden = r.name !== "track-record";
    $("horizon-picker").hidden = r.name === "track-record";
    if (r.name === "pair") loadPair(changedPage);
    else if (r.name === "track-record") loadTrackRecord();
    else loadOverview();
    if (changedPage) $("main").focus({ preventScroll: true });
  }

  function renderCrumbs() {
    const nav = $("crumbs");
    nav.replaceChildren();
    if (state.route.name !== "overview") {
      nav.append(el("a", { href: hrefFor({ name: "overview" }) }, "← All pairs"));
    } else {
      nav.append(el("span", { class: "muted" }, "All pairs"));
    }
    if (state.route.name !== "track-record") {
      nav.append(" · ", el("a", { href: "#/track-record", id: "track-link" }, "Track record"));
    }
  }

  function showError(e) {
    const banner = $("banner");
    if (!e) {
      banner.hidden = true;
      return;
    }
    banner.hidden = false;
    banner.textContent = e.status ? `${e.message} (HTTP ${e.status})` : String(e.message || e);
  }

  // -- overview --------------------------------------------------------------------------

  async function loadOverview() {
    const seq = ++state.loadSeq;
    const h = state.horizon;
    try {
      await loadReference();
      const list = await api(`/v1/forecasts?horizon=${h}&sort=-probability`);
      const isReference = (f) =>
        (state.factions[f.faction_a] || {}).collection === "reference";
      const hidden = list.items.filter(isReference).length;
      if (!state.showReference) list.items = list.items.filter((f) => !isReference(f));
      $("reference-count").textContent = hidden ? `(${hidden} pairs)` : "(none loaded)";
      const today = Date.now();
      const start = isoDay(today - 12 * 7 * DAY_MS);
      const histories = await Promise.all(
        list.items.map((f) =>
          api(
            `/v1/forecasts/${encodeURIComponent(f.pair_id)}/history?horizon=${h}` +
              `&start=${start}&step_days=7`,
          ).catch(() => null),
        ),
      );
      if (seq !== state.loadSeq) return;
      showError(null);
      renderOverview(list.items, histories, h);
    } catch (e) {
      if (seq === state.loadSeq && e.status !== 401) showError(e);
    }
  }

  function renderOverview(items, histories, h) {
    const rows = items.map((f, i) => {
      const hz = f.horizons.find((x) => x.horizon_days === h) || f.horizons[0];
      const pts = (histories[i] && histories[i].points) || [];
      const weekAgo = pts.length >= 2 ? pts[pts.length - 2].probability : null;
      const change = weekAgo === null ? null : hz.probability - weekAgo;
      return { f, hz, pts, change };
    });
    rows.sort((a, b) => b.hz.probability - a.hz.probability);
    const body = $("overview-rows");
    body.replaceChildren(
      ...rows.map(({ f, hz, pts, change }) => {
        const link = el(
          "a",
          { href: hrefFor({ name: "pair", pair: f.pair_id }), class: "pair-link" },
          pairName(f.faction_a, f.faction_b),
        );
        const status =
          f.status === "ruptured" ? el("span", { class: "chip chip-warn" }, "ruptured") : null;
        const prior = f.prior_only ? el("span", { class: "chip" }, "priors only") : null;
        const meter = el("span", { class: "meter", "aria-hidden": "true" });
        const fill = el("span", { class: "meter-fill" });
        fill.style.width = `${Math.max(1, Math.min(100, hz.probability * 100))}%`;
        meter.append(fill);
        let changeCell;
        if (change === null) changeCell = el("span", { class: "muted" }, "–");
        else {
          const dir = Math.abs(change) < 0.0005 ? "flat" : change > 0 ? "up" : "down";
          const arrow = { up: "▲", down: "▼", flat: "■" }[dir];
          changeCell = el(
            "span",
            { class: `change change-${dir}` },
            el("span", { "aria-hidden": "true" }, `${arrow} `),
            points(change),
          );
        }
        return el(
          "tr",
          { "data-pair": f.pair_id },
          el("th", { scope: "row", "data-label": "Pair" }, link, " ", status, prior),
          el(
            "td",
            { "data-label": "Probability", class: "num" },
            el("strong", {}, pct(hz.probability)),
            el("span", { class: "muted" }, ` (${pctRange(hz.lower, hz.upper)})`),
            meter,
          ),
          el("td", { "data-label": "Estimate" }, hz.phrase),
          el("td", { "data-label": "Since last week" }, changeCell),
          el("td", { "data-label": "Trend" }, sparkline(pts, hz.probability)),
        );
      }),
    );
    $("overview-note").textContent =
      `${rows.length} pair(s), probability of a split within ${h} days, highest first. ` +
      `Change is against the forecast for a week ago.`;
    if (!rows.length) {
      body.append(el("tr", {}, el("td", { colspan: "5" }, "No pairs yet: record an event.")));
    }
  }

  function sparkline(pts, current) {
    const w = 120;
    const hgt = 28;
    const values = pts.map((p) => p.probability);
    if (values.length) values[values.length - 1] = current;
    const s = svg("svg", {
      class: "spark",
      width: w,
      height: hgt,
      viewBox: `0 0 ${w} ${hgt}`,
      role: "img",
      "aria-label": values.length
        ? `Last ${values.length} weeks: from ${pct(values[0])} to ${pct(current)}`
        : "No history",
    });
    if (values.length < 2) return s;
    const max = Math.max(...values, 0.01);
    const x = (i) => 2 + (i * (w - 4)) / (values.length - 1);
    const y = (v) => hgt - 3 - (v / max) * (hgt - 6);
    const d = values.map((v, i) => `${i ? "L" : "M"}${x(i).toFixed(1)},${y(v).toFixed(1)}`);
    s.append(svg("path", { d: d.join(""), class: "spark-line" }));
    s.append(svg("circle", { cx: x(values.length - 1), cy: y(current), r: 2.5, class: "spark-dot" }));
    return s;
  }

  // -- track record ----------------------------------------------------------------------

  async function loadTrackRecord() {
    const seq = ++state.loadSeq;
    try {
      const tr = await api("/v1/track-record");
      if (seq !== state.loadSeq) return;
      showError(null);
      renderTrackRecord(tr);
    } catch (e) {
      if (seq === state.loadSeq && e.status !== 401) showError(e);
    }
  }

  function signed(v, digits) {
    if (v === null || v === undefined) return "–";
    return `${v >= 0 ? "+" : "−"}${Math.abs(v).toFixed(digits)}`;
  }

  function recordTable(title, label, groups) {
    const head = ["Settled", "Ruptured", "Brier", "Skill vs base rate", "Log score", "Inside 90%"];
    const rows = groups.map((g) => {
      const c = g.coverage;
      return el(
        "tr",
        { "data-key": g.key },
        el("th", { scope: "row", "data-label": label }, label === "Horizon" ? `${g.key} days` : g.key),
        el("td", { "data-label": "Settled", class: "num" }, String(g.n)),
        el("td", { "data-label": "Ruptured", class: "num" }, String(g.n_ruptured)),
        el("td", { "data-label": "Brier", class: "num" }, g.brier.toFixed(3)),
        el("td", { "data-label": "Skill vs base rate", class: "num" }, signed(g.brier_skill, 2)),
        el("td", { "data-label": "Log score", class: "num" }, g.log_score.toFixed(3)),
        el(
          "td",
          { "data-label": "Inside 90%", class: "num" },
          `${c.inside}/${c.n} `,
          el("span", { class: "muted" }, `(${pct(c.share_ci[0])}–${pct(c.share_ci[1])})`),
        ),
      );
    });
    return el(
      "section",
      { class: "panel" },
      el("h2", {}, title),
      el(
        "div",
        { class: "table-wrap" },
        el(
          "table",
          { class: "overview record" },
          el(
            "thead",
            {},
            el("tr", {}, el("th", { scope: "col" }, label), ...head.map((x) => el("th", { scope: "col" }, x))),
          ),
          el("tbody", {}, ...rows),
        ),
      ),
    );
  }

  function renderTrackRecord(tr) {
    document.title = "Track record · Riftcast";
    const note = $("track-note");
    const tables = $("track-tables");
    tables.replaceChildren();
    if (!tr.overall) {
      note.textContent =
        `No forecast has been settled by an outcome yet: ${tr.n_entries} forecast(s) kept, ` +
        `${tr.n_pending} window(s) open.`;
      $("track-reliability").replaceChildren(el("p", { class: "muted" }, "Nothing to plot yet."));
      return;
    }
    const o = tr.overall;
    note.textContent =
      `${o.n} settled forecast window(s), ${o.n_ruptured} with a rupture: Brier ` +
      `${o.brier.toFixed(3)}, skill ${signed(o.brier_skill, 2)} against the base rate; ` +
      `${o.coverage.inside} of ${o.coverage.n} outcomes inside their 90% interval. ` +
      `${tr.n_entries} forecast(s) kept, ${tr.n_pending} window(s) still open.`;
    tables.append(
      recordTable("All settled forecasts", "Group", [o]),
      recordTable("By horizon", "Horizon", tr.by_horizon),
      recordTable("By movement", "Movement", tr.by_movement),
      recordTable("By model run", "Run", tr.by_run),
    );
    $("track-reliability").replaceChildren(reliabilityPlot(tr.reliability));
  }

  function reliabilityPlot(bins) {
    const size = 260;
    const pad = 34;
    const inner = size - pad - 10;
    const top = Math.max(0.05, ...bins.map((b) => Math.max(b.forecast, b.observed)));
    const max = Math.min(1, niceMax(top));
    const x = (v) => pad + (v / max) * inner;
    const y = (v) => size - pad - (v / max) * inner;
    const s = svg("svg", {
      class: "reliability-plot",
      width: size,
      height: size,
      viewBox: `0 0 ${size} ${size}`,
      role: "img",
      "aria-label":
        "Reliability: " +
        bins.map((b) => `forecast ${pct(b.forecast)}, observed ${pct(b.observed)} (${b.n})`).join("; "),
    });
    s.append(
      svg("line", { x1: x(0), y1: y(0), x2: x(max), y2: y(max), class: "diagonal" }),
      svg("line", { x1: x(0), y1: y(0), x2: x(max), y2: y(0), class: "axis" }),
      svg("line", { x1: x(0), y1: y(0), x2: x(0), y2: y(max), class: "axis" }),
    );
    for (const v of [0, max / 2, max]) {
      const tx = svg("text", { x: x(v), y: size - pad + 14, "text-anchor": "middle", class: "tick" });
      tx.textContent = pct(v);
      const ty = svg("text", { x: pad - 4, y: y(v) + 4, "text-anchor": "end", class: "tick" });
      ty.textContent = pct(v);
      s.append(tx, ty);
    }
    const most = Math.max(1, ...bins.map((b) => b.n));
    for (const b of bins) {
      const dot = svg("circle", {
        cx: x(Math.min(b.forecast, max)),
        cy: y(Math.min(b.observed, max)),
        r: 3 + 5 * Math.sqrt(b.n / most),
        class: "bin",
      });
      const tip = svg("title", {});
      tip.textContent = `${b.n} forecast(s) averaging ${pct(b.forecast)}: ${pct(b.observed)} ruptured`;
      dot.append(tip);
      s.append(dot);
    }
    return s;
  }

  // -- pair page -------------------------------------------------------------------------

  async function loadPair(fresh) {
    const seq = ++state.loadSeq;
    const pairId = state.route.pair;
    const h = state.horizon;
    if (fresh) {
      $("pair-title").textContent = "Loading…";
      $("chart").replaceChildren();
      clearFormErrors();
      $("form-status").textContent = "";
    }
    try {
      await loadReference();
      const enc = encodeURIComponent(pairId);
      const [forecast, history, events] = await Promise.all([
        api(`/v1/forecasts/${enc}`),
        api(`/v1/forecasts/${enc}/history?horizon=${h}`),
        allEvents(pairId),
      ]);
      if (seq !== state.loadSeq) return;
      showError(null);
      state.pair = { forecast, history, events, horizon: h };
      renderPair();
    } catch (e) {
      if (seq !== state.loadSeq || e.status === 401) return;
      showError(e);
      if (fresh) $("pair-title").textContent = pairId;
    }
  }

  function renderPair() {
    const { forecast: f, events } = state.pair;
    const h = state.pair.horizon;
    const hz = f.horizons.find((x) => x.horizon_days === h) || f.horizons[0];
    $("pair-title").textContent = pairName(f.faction_a, f.faction_b);
    document.title = `${pairName(f.faction_a, f.faction_b)} · Riftcast`;
    const status = $("pair-status");
    status.textContent = f.status;
    status.className = f.status === "ruptured" ? "chip chip-warn" : "chip";
    renderRun(f);
    $("pair-prob").textContent = pct(hz.probability);
    $("pair-interval").textContent = `90% interval ${pctRange(hz.lower, hz.upper)}`;
    $("pair-phrase").textContent = `${hz.phrase} within ${h} days`;
    $("pair-sentence").textContent = assessment(hz, f.faction_a, f.faction_b);
    $("horizon-cards").replaceChildren(
      ...f.horizons.map((x) =>
        el(
          "li",
          { class: x.horizon_days === h ? "card card-on" : "card" },
          el(
            "a",
            {
              href: hrefFor(state.route, x.horizon_days),
              "aria-current": x.horizon_days === h ? "true" : null,
            },
            el("span", { class: "card-h" }, `${x.horizon_days} days`),
            el("strong", {}, pct(x.probability)),
            el("span", { class: "muted small" }, pctRange(x.lower, x.upper)),
            el("span", { class: "small" }, x.phrase),
          ),
        ),
      ),
    );
    $("chart-title").textContent = `Probability of a split within ${h} days, over time`;
    renderChart();
    renderDrivers(f);
    renderEventRows(events);
    fillFormDefaults();
  }

  function renderRun(f) {
    const box = $("run-info");
    box.replaceChildren();
    if (f.prior_only || !f.run) {
      box.className = "run-info run-prior";
      box.append(
        el("strong", {}, "Priors only. "),
        "No model run has been published yet: these figures come from the taxonomy's prior " +
          "effects alone, not from fitted outcomes. Treat them as a starting point.",
      );
      return;
    }
    const r = f.run;
    const diag = [
      `R-hat ${r.max_rhat === null ? "n/a" : r.max_rhat.toFixed(3)}`,
      `bulk ESS ${r.min_ess_bulk === null ? "n/a" : Math.round(r.min_ess_bulk)}`,
      `${r.divergences} divergences`,
    ].join(", ");
    box.className = "run-info";
    box.append(
      el("strong", {}, "Model run "),
      el("code", {}, r.id),
      ` · data to ${r.cutoff.slice(0, 10)} · ${r.sampler} · ${r.n_pairs} pairs, ` +
        `${r.n_ruptures} ruptures, ${r.n_events} events · ${diag}`,
    );
    if (f.pooled_alpha) {
      box.append(el("br"), "This pair was not in the run: its baseline is the pooled estimate.");
    }
  }

  // The history chart: line + 90% band, events as markers on the same time axis.
  //
  // It shows a window ending today (the last 12 months unless widened), so that this week's
  // events are not a pixel at the edge of years of history; the y-axis fits the points in
  // the window, a labelled line marks "now", and markers that would overlap (events of one
  // day) are spread apart so that each can be pointed at.
  function renderChart() {
    const box = $("chart");
    const { history, events } = state.pair;
    const pts = history.points || [];
    const width = Math.max(280, box.clientWidth || 600);
    const narrow = width < 520;
    const height = narrow ? 250 : 310;
    const m = { top: 22, right: 14, bottom: 62, left: 46 };
    const plotH = height - m.top - m.bottom;
    const plotW = width - m.left - m.right;
    const laneY = m.top + plotH + 22;

    const visible = events.filter((e) => e.kind !== "retraction");
    const times = pts.map((p) => parseDay(p.on));
    const evTimes = visible.map((e) => parseDay(e.occurred_on));
    const note = $("chart-note");
    if (!times.length && !evTimes.length) {
      box.replaceChildren(el("p", { class: "muted" }, "No history yet."));
      note.hidden = true;
      return;
    }
    const now = parseDay(isoDay(Date.now()));
    const [t0, t1] = chartRange(now, times.concat(evTimes), times);
    const x = (t) => m.left + ((t - t0) / (t1 - t0)) * plotW;

    // The points in the window, the line entering at its left edge where history goes on.
    const shown = windowPoints(pts, times, t0, t1);
    const real = shown.filter((s) => !s.edge);
    const ymax = niceMax(Math.max(0.05, ...shown.map((s) => s.p.upper)));
    const y = (v) => m.top + plotH - (Math.min(v, ymax) / ymax) * plotH;

    // Events in the window, in time order; the others are counted under the chart.
    const inWindow = visible
      .map((e, i) => ({ e, t: evTimes[i] }))
      .filter((v) => v.t >= t0 && v.t <= t1)
      .sort((a, b) => a.t - b.t);
    const earlier = visible.filter((_, i) => evTimes[i] < t0).length;
    note.hidden = earlier === 0;
    note.textContent = earlier
      ? `${earlier} earlier ${earlier === 1 ? "event is" : "events are"} not shown: ` +
        "widen the window to see them."
      : "";
    const xs = dodge(
      inWindow.map((v) => x(v.t)),
      MARKER_GAP,
      m.left + 7,
      width - m.right - 7,
    );

    const first = real[0];
    const last = real[real.length - 1];
    const s = svg("svg", {
      class: "chart-svg",
      width,
      height,
      viewBox: `0 0 ${width} ${height}`,
      role: "img",
      "aria-labelledby": "chart-desc",
      "data-start": isoDay(t0),
      "data-end": isoDay(t1),
    });
    s.append(
      svg("title", {
        id: "chart-desc",
        text: last
          ? `Probability of a split within ${history.horizon_days} days, from ` +
            `${pct(first.p.probability)} on ${first.p.on} to ${pct(last.p.probability)} on ` +
            `${last.p.on}; ${inWindow.length} events marked.`
          : `No history from ${isoDay(t0)} to ${isoDay(t1)}; ${inWindow.length} events marked.`,
      }),
    );

    // Grid and axes.
    const grid = svg("g", { class: "grid" });
    for (const v of yTicks(ymax)) {
      grid.append(svg("line", { x1: m.left, x2: width - m.right, y1: y(v), y2: y(v) }));
      grid.append(
        svg("text", { x: m.left - 6, y: y(v) + 4, class: "tick tick-y", text: pct(v) }),
      );
    }
    let labelled = 0;
    for (const t of timeTicks(t0, t1, narrow)) {
      grid.append(svg("line", { x1: x(t.ms), x2: x(t.ms), y1: m.top, y2: m.top + plotH, class: "vgrid" }));
      // A label that would not fit inside the chart is left out (its grid line stays); the
      // first label shown carries the year.
      const text = labelled ? t.label : t.full;
      const half = text.length * 3.3;
      if (x(t.ms) - half < m.left - 8 || x(t.ms) + half > width) continue;
      labelled += 1;
      grid.append(
        svg("text", {
          x: x(t.ms),
          y: m.top + plotH + 14,
          class: "tick tick-x",
          text,
          "data-date": isoDay(t.ms),
        }),
      );
    }
    s.append(grid);

    // Band and line.
    if (shown.length) {
      const upper = shown.map((v, i) => `${i ? "L" : "M"}${x(v.t).toFixed(1)},${y(v.p.upper).toFixed(1)}`);
      const lower = shown
        .map((v) => `L${x(v.t).toFixed(1)},${y(v.p.lower).toFixed(1)}`)
        .reverse();
      s.append(svg("path", { d: `${upper.join("")}${lower.join("")}Z`, class: "band" }));
      const line = shown.map((v, i) => `${i ? "L" : "M"}${x(v.t).toFixed(1)},${y(v.p.probability).toFixed(1)}`);
      s.append(svg("path", { d: line.join(""), class: "line", "data-testid": "history-line" }));
    }

    // "Now": today's date, labelled above the plot.
    const nx = x(now);
    s.append(
      svg(
        "g",
        { class: "now", "data-testid": "now", "data-date": isoDay(now) },
        svg("line", { x1: nx, x2: nx, y1: m.top - 4, y2: m.top + plotH }),
        svg("text", { x: nx, y: m.top - 8, class: "now-label", text: "now" }),
      ),
    );

    // The event lane under the plot, with a guide up through the plot.
    s.append(
      svg("text", { x: m.left - 6, y: laneY + 4, class: "tick tick-y", text: "events" }),
    );
    s.append(svg("line", { x1: m.left, x2: width - m.right, y1: laneY, y2: laneY, class: "lane" }));
    const marks = svg("g", { class: "events" });
    inWindow.forEach(({ e, t }, i) => {
      const at = x(t);
      const cx = xs[i];
      // Each marker's hit area ends halfway to its neighbours, so every one can be hovered.
      const hitL = i > 0 ? Math.max(cx - 10, (xs[i - 1] + cx) / 2) : cx - 10;
      const hitR = i < xs.length - 1 ? Math.min(cx + 10, (cx + xs[i + 1]) / 2) : cx + 10;
      const cohesion = isCohesion(e.type);
      const label =
        `${fuzzyDate(e.occurred_on, e.precision)}, ${typeLabel(e.type)}` +
        (e.actor ? `, ${e.actor}` : "") +
        `. Source: ${e.source}, graded ${e.reliability}${e.credibility}.`;
      const g = svg("g", {
        class: `marker ${cohesion ? "marker-cohesion" : "marker-risk"}` +
          (state.pinned === e.id ? " marker-pinned" : ""),
        tabindex: 0,
        role: "button",
        "aria-label": label,
        "data-event": e.id,
        "data-date": isoDay(t),
      });
      // The guide stands on the event's date and bends to its marker when that was moved.
      g.append(
        svg("path", {
          d: `M${at.toFixed(1)},${m.top}V${m.top + plotH}L${cx.toFixed(1)},${laneY}`,
          class: "guide",
          fill: "none",
        }),
      );
      const shape = cohesion
        ? svg("circle", { cx, cy: laneY, r: 6, class: "mark" })
        : svg("path", { d: `M${cx},${laneY - 7}L${cx + 7},${laneY}L${cx},${laneY + 7}L${cx - 7},${laneY}Z`, class: "mark" });
      g.append(shape);
      g.append(svg("rect", { x: hitL, y: laneY - 12, width: hitR - hitL, height: 24, class: "hit" }));
      const show = () => showTooltip(shape, e);
      g.addEventListener("pointerenter", show);
      g.addEventListener("focus", show);
      g.addEventListener("pointerleave", hideTooltip);
      g.addEventListener("blur", hideTooltip);
      g.addEventListener("click", () => pinEvent(e));
      g.addEventListener("keydown", (ev) => {
        if (ev.key === "Enter" || ev.key === " ") {
          ev.preventDefault();
          pinEvent(e);
        } else if (ev.key === "Escape") {
          hideTooltip();
        }
      });
      marks.append(g);
    });
    s.append(marks);

    // A readout that follows the pointer over the plot.
    const cross = svg("g", { class: "cross", visibility: "hidden" });
    const crossLine = svg("line", { y1: m.top, y2: m.top + plotH });
    const crossDot = svg("circle", { r: 4 });
    const crossText = svg("text", { y: m.top + 12, class: "readout" });
    cross.append(crossLine, crossDot, crossText);
    s.append(cross);
    const overlay = svg("rect", {
      x: m.left,
      y: m.top,
      width: plotW,
      height: plotH,
      class: "overlay",
    });
    overlay.addEventListener("pointermove", (ev) => {
      if (!real.length) return;
      const rect = s.getBoundingClientRect();
      const px = ((ev.clientX - rect.left) / rect.width) * width;
      const t = t0 + ((px - m.left) / plotW) * (t1 - t0);
      let best = real[0];
      for (const v of real) if (Math.abs(v.t - t) < Math.abs(best.t - t)) best = v;
      const p = best.p;
      const cx = x(best.t);
      crossLine.setAttribute("x1", cx);
      crossLine.setAttribute("x2", cx);
      crossDot.setAttribute("cx", cx);
      crossDot.setAttribute("cy", y(p.probability));
      crossText.textContent = `${p.on}: ${pct(p.probability)} (${pctRange(p.lower, p.upper)})`;
      const right = cx > m.left + plotW / 2;
      crossText.setAttribute("x", right ? cx - 6 : cx + 6);
      crossText.setAttribute("text-anchor", right ? "end" : "start");
      cross.setAttribute("visibility", "visible");
    });
    overlay.addEventListener("pointerleave", () => cross.setAttribute("visibility", "hidden"));
    // Under the markers, so that they stay reachable by the pointer.
    s.insertBefore(overlay, marks);
    box.replaceChildren(s);
    if (state.pinned) {
      const e = visible.find((v) => v.id === state.pinned);
      if (e) renderEventDetail(e);
    }
  }

  // The chart's time span [t0, t1]: the chosen window back from today, or all of `all`;
  // padded on the right so that "now" and today's markers stay clear of the edge.
  function chartRange(now, all, times) {
    const years = CHART_WINDOWS[state.chartWindow];
    const end = Math.max(now, ...times);
    let start;
    if (years) {
      const d = new Date(now);
      start = Date.UTC(d.getUTCFullYear() - years, d.getUTCMonth(), d.getUTCDate());
    } else {
      start = Math.min(end - 30 * DAY_MS, ...all);
      start -= (end - start) * 0.02;
    }
    return [start, end + Math.max(7 * DAY_MS, (end - start) * 0.035)];
  }

  // The history points inside [t0, t1] as {t, p}; where the history began before t0, the
  // line starts at t0 with values interpolated there (marked `edge`).
  function windowPoints(pts, times, t0, t1) {
    const out = [];
    for (let i = 0; i < pts.length; i += 1) {
      if (times[i] < t0 || times[i] > t1) continue;
      if (!out.length && i > 0 && times[i] > t0) {
        const a = pts[i - 1];
        const b = pts[i];
        const f = (t0 - times[i - 1]) / (times[i] - times[i - 1]);
        const at = (k) => a[k] + (b[k] - a[k]) * f;
        out.push({
          t: t0,
          p: { on: isoDay(t0), probability: at("probability"), lower: at("lower"), upper: at("upper") },
          edge: true,
        });
      }
      out.push({ t: times[i], p: pts[i] });
    }
    return out;
  }

  // Positions for markers at the sorted xs, at least `gap` apart: each run of markers that
  // would overlap is centred on its members' mean, then kept inside [lo, hi].
  function dodge(xs, gap, lo, hi) {
    const runs = [];
    for (const v of xs) {
      runs.push({ sum: v, n: 1, start: v });
      for (;;) {
        const run = runs[runs.length - 1];
        run.start = run.sum / run.n - ((run.n - 1) * gap) / 2;
        const prev = runs[runs.length - 2];
        if (!prev || prev.start + prev.n * gap <= run.start) break;
        prev.sum += run.sum;
        prev.n += run.n;
        runs.pop();
      }
    }
    const out = [];
    for (const run of runs) for (let k = 0; k < run.n; k += 1) out.push(run.start + k * gap);
    for (let i = 0; i < out.length; i += 1) out[i] = Math.max(out[i], lo + i * gap);
    for (let i = out.length - 1; i >= 0; i -= 1) {
      out[i] = Math.min(out[i], hi - (out.length - 1 - i) * gap);
    }
    return out;
  }

  function niceMax(v) {
    for (const step of [0.05, 0.1, 0.2, 0.25, 0.3, 0.4, 0.5, 0.6, 0.8, 1]) if (v <= step) return step;
    return 1;
  }

  function yTicks(max) {
    const step = max <= 0.1 ? 0.02 : max <= 0.3 ? 0.05 : max <= 0.6 ? 0.1 : 0.2;
    const out = [];
    for (let v = 0; v <= max + 1e-9; v += step) out.push(Number(v.toFixed(4)));
    return out;
  }

  // Ticks on the first of a month (every 1, 2, 3, 4 or 6 months) for spans up to four
  // years, on 1 January beyond; January's label carries the year, and `full` always does.
  function timeTicks(t0, t1, narrow) {
    const years = (t1 - t0) / (365.25 * DAY_MS);
    const most = narrow ? 4 : 8;
    const out = [];
    const start = new Date(t0);
    if (years > 4) {
      const every = Math.ceil(years / most);
      for (let yr = start.getUTCFullYear() + 1; ; yr += every) {
        const ms = Date.UTC(yr, 0, 1);
        if (ms > t1) break;
        out.push({ ms, label: String(yr), full: String(yr) });
      }
      return out;
    }
    const step = [1, 2, 3, 4, 6].find((k) => (years * 12) / k <= most) || 12;
    for (let i = start.getUTCFullYear() * 12 + start.getUTCMonth() + 1; ; i += 1) {
      const yr = Math.floor(i / 12);
      const mo = i % 12;
      const ms = Date.UTC(yr, mo, 1);
      if (ms > t1) break;
      if (mo % step !== 0) continue;
      const full = `${MONTHS[mo]} ${yr}`;
      out.push({ ms, label: mo === 0 ? full : MONTHS[mo], full });
    }
    return out;
  }

  function showTooltip(anchor, e) {
    const tip = $("tooltip");
    tip.replaceChildren(...eventSummary(e, false));
    tip.hidden = false;
    const r = anchor.getBoundingClientRect();
    const tw = tip.offsetWidth;
    const left = Math.min(window.innerWidth - tw - 8, Math.max(8, r.left + r.width / 2 - tw / 2));
    tip.style.left = `${left + window.scrollX}px`;
    tip.style.top = `${r.top + window.scrollY - tip.offsetHeight - 8}px`;
  }

  function hideTooltip() {
    $("tooltip").hidden = true;
  }

  function pinEvent(e) {
    hideTooltip();
    state.pinned = e.id;
    for (const g of document.querySelectorAll(".marker")) {
      g.classList.toggle("marker-pinned", g.getAttribute("data-event") === e.id);
    }
    renderEventDetail(e);
  }

  function renderEventDetail(e) {
    const box = $("event-detail");
    box.hidden = false;
    const close = el("button", { type: "button", class: "btn btn-quiet btn-small" }, "Close");
    close.addEventListener("click", () => {
      state.pinned = null;
      box.hidden = true;
      for (const g of document.querySelectorAll(".marker-pinned")) g.classList.remove("marker-pinned");
    });
    box.replaceChildren(...eventSummary(e, true), close);
  }

  function eventSummary(e, full) {
    const kind = isCohesion(e.type) ? "cohesion signal" : "raises the risk";
    const source = e.source_url
      ? el("a", { href: e.source_url, rel: "noopener noreferrer", target: "_blank" }, e.source)
      : e.source;
    return [
      el(
        "p",
        { class: "ev-title" },
        el("strong", {}, typeLabel(e.type)),
        ` · ${fuzzyDate(e.occurred_on, e.precision)} · `,
        el("span", { class: "muted" }, kind),
      ),
      e.actor ? el("p", {}, el("span", { class: "muted" }, "Actor: "), e.actor) : null,
      full && e.summary ? el("p", {}, e.summary) : null,
      el("p", {}, el("span", { class: "muted" }, "Source: "), full ? source : e.source),
      el(
        "p",
        {},
        el("span", { class: "muted" }, "Grading: "),
        `${e.reliability}${e.credibility} (reliability ${e.reliability}, credibility ` +
          `${e.credibility}) · intensity ${e.intensity}`,
      ),
    ].filter(Boolean);
  }

  function renderDrivers(f) {
    const box = $("drivers");
    const ds = f.type_drivers || [];
    if (!ds.length) {
      box.replaceChildren(el("p", { class: "muted" }, "No evidence in force: the baseline alone."));
    } else {
      const rowH = 30;
      const width = Math.max(260, box.clientWidth || 420);
      const labelW = Math.min(170, width * 0.42);
      const valueW = 92;
      const barW = width - labelW - valueW - 8;
      const max = Math.max(...ds.map((d) => Math.abs(d.contribution)), 1e-9);
      const anyNeg = ds.some((d) => d.contribution < 0);
      const zero = labelW + (anyNeg ? barW / 2 : 0);
      const scale = (anyNeg ? barW / 2 : barW) / max;
      const height = ds.length * rowH + 4;
      const s = svg("svg", {
        class: "bars",
        width,
        height,
        viewBox: `0 0 ${width} ${height}`,
        role: "img",
        "aria-label": ds
          .map((d) => `${d.label}: ${d.contribution >= 0 ? "raises" : "lowers"} the log-odds by ` +
            `${Math.abs(d.contribution).toFixed(2)}${d.share == null ? "" : ` (${Math.round(d.share * 100)}%)`}`)
          .join("; "),
      });
      ds.forEach((d, i) => {
        const yy = i * rowH + 4;
        const w = Math.max(1.5, Math.abs(d.contribution) * scale);
        const up = d.contribution >= 0;
        s.append(svg("text", { x: labelW - 8, y: yy + 16, class: "bar-label", text: d.label }));
        s.append(
          svg("rect", {
            x: up ? zero : zero - w,
            y: yy + 4,
            width: w,
            height: rowH - 12,
            class: up ? "bar bar-risk" : "bar bar-cohesion",
          }),
        );
        s.append(
          svg("text", {
            x: width - 2,
            y: yy + 16,
            class: "bar-value",
            text: `${up ? "+" : "−"}${Math.abs(d.contribution).toFixed(2)}${d.share == null ? "" : ` · ${Math.round(d.share * 100)}%`}`,
          }),
        );
      });
      s.append(svg("line", { x1: zero, x2: zero, y1: 0, y2: height, class: "zero" }));
      box.replaceChildren(s);
    }
    const list = $("event-drivers");
    const top = (f.event_drivers || []).slice(0, 5);
    list.replaceChildren(
      ...(top.length
        ? top.map((e) =>
            el(
              "li",
              {},
              el("strong", {}, typeLabel(e.type)),
              ` (${fuzzyDate(e.occurred_on, e.precision)}${e.actor ? `, ${e.actor}` : ""}): `,
              el(
                "span",
                {
                  class:
                    Math.abs(e.delta) < 0.0005
                      ? "delta delta-flat"
                      : e.delta > 0
                        ? "delta delta-up"
                        : "delta delta-down",
                },
                `${points(e.delta)} at ${e.horizon_days} days`,
              ),
              el(
                "span",
                { class: "muted small block" },
                `${e.source} · graded ${e.reliability}${e.credibility}`,
              ),
            ),
          )
        : [el("li", { class: "muted" }, "No event moves it yet.")]),
    );
  }

  function renderEventRows(events) {
    const rows = [...events]
      .filter((e) => e.kind !== "retraction")
      .sort((a, b) => (a.occurred_on < b.occurred_on ? 1 : a.occurred_on > b.occurred_on ? -1 : 0));
    $("event-rows").replaceChildren(
      ...rows.map((e) =>
        el(
          "tr",
          { "data-event": e.id },
          el("td", { "data-label": "Date", class: "nowrap" }, fuzzyDate(e.occurred_on, e.precision)),
          el(
            "td",
            { "data-label": "Type" },
            el("span", { class: isCohesion(e.type) ? "tag tag-cohesion" : "tag tag-risk" }, typeLabel(e.type)),
          ),
          el("td", { "data-label": "Actor" }, e.actor || "–"),
          el("td", { "data-label": "Summary" }, e.summary || "–"),
          el(
            "td",
            { "data-label": "Source" },
            e.source_url
              ? el("a", { href: e.source_url, rel: "noopener noreferrer", target: "_blank" }, e.source)
              : e.source,
          ),
          el(
            "td",
            { "data-label": "Grading", class: "nowrap" },
            el("abbr", { title: `reliability ${e.reliability}, credibility ${e.credibility}` },
              `${e.reliability}${e.credibility}`),
          ),
        ),
      ),
    );
    if (!rows.length) $("event-rows").append(el("tr", {}, el("td", { colspan: "6" }, "No events.")));
  }

  // -- the event form --------------------------------------------------------------------

  function fillTypeSelect(types) {
    const select = $("f-type");
    select.replaceChildren(
      ...types.map((t) =>
        el("option", { value: t.key }, `${t.label}${t.prior_mean < 0 ? " (cohesion)" : ""}`),
      ),
    );
  }

  function fillFormDefaults() {
    const date = $("f-occurred_on");
    if (!date.value) date.value = isoDay(Date.now());
  }

  function clearFormErrors() {
    $("form-error").hidden = true;
    for (const p of document.querySelectorAll("#event-form .field-error")) {
      p.hidden = true;
      p.textContent = "";
    }
    for (const input of document.querySelectorAll("#event-form [data-field]")) {
      input.removeAttribute("aria-invalid");
    }
  }

  function showFormErrors(err) {
    const problems = (err.problem && err.problem.errors) || [];
    const unplaced = [];
    let first = null;
    for (const p of problems) {
      const name = String(p.field || "").replace(/^body\./, "").replace(/^\[\d+\]\./, "");
      const input = document.querySelector(`#event-form [data-field="${CSS.escape(name)}"]`);
      const slot = $(`err-${name}`);
      if (input && slot) {
        slot.hidden = false;
        slot.textContent = slot.textContent ? `${slot.textContent}; ${p.message}` : p.message;
        input.setAttribute("aria-invalid", "true");
        first = first || input;
      } else {
        unplaced.push(`${p.field}: ${p.message}`);
      }
    }
    let message = "";
    if (err.status === 403) message = "This key cannot add events: it needs the analyst role.";
    else if (!problems.length || unplaced.length) message = unplaced.join("; ") || err.message;
    if (message) {
      $("form-error").hidden = false;
      $("form-error").textContent = message;
    }
    (first || $("form-error")).focus?.();
  }

  async function onEventSubmit(ev) {
    ev.preventDefault();
    if (!state.pair) return;
    clearFormErrors();
    const f = state.pair.forecast;
    const form = ev.target;
    const value = (name) => form.elements[name].value.trim();
    const intensityText = value("intensity");
    const payload = {
      faction_a: f.faction_a,
      faction_b: f.faction_b,
      type: value("type"),
      occurred_on: value("occurred_on"),
      actor: value("actor"),
      summary: value("summary"),
      source: value("source"),
      source_url: value("source_url"),
      reliability: value("reliability"),
      credibility: Number(value("credibility")),
      intensity: intensityText === "" ? 1 : Number(intensityText),
    };
    const button = $("f-submit");
    button.disabled = true;
    $("form-status").textContent = "Recording…";
    try {
      const created = await api("/v1/events", {
        method: "POST",
        json: payload,
        headers: { "Idempotency-Key": newId() },
      });
      const id = created.items && created.items[0] ? created.items[0].id : "";
      $("form-status").textContent = `Recorded event ${id}. The forecast is updating.`;
      for (const name of ["actor", "summary", "source_url"]) form.elements[name].value = "";
      loadPair(false);
    } catch (e) {
      $("form-status").textContent = "";
      if (e.status !== 401) showFormErrors(e);
    } finally {
      button.disabled = false;
    }
  }

  // -- the live stream (SSE over fetch) --------------------------------------------------

  function setLive(kind, text) {
    const live = $("live");
    live.dataset.state = kind;
    live.textContent = text;
  }

  function stopStream() {
    if (state.stream) state.stream.abort();
    state.stream = null;
  }

  function startStream() {
    stopStream();
    const ctrl = new AbortController();
    state.stream = ctrl;
    let delay = 1000;
    const loop = async () => {
      while (!ctrl.signal.aborted && state.key) {
        setLive("wait", "Connecting…");
        try {
          const res = await fetch("/v1/forecasts/stream", {
            headers: { Authorization: `Bearer ${state.key}`, Accept: "text/event-stream" },
            cache: "no-store",
            credentials: "omit",
            signal: ctrl.signal,
          });
          if (res.status === 401) {
            forgetKey("The API key is unknown or revoked.");
            return;
          }
          if (!res.ok || !res.body) throw new Error(`HTTP ${res.status}`);
          await readEvents(res.body, ctrl.signal, (name, data) => {
            if (name === "ready") {
              delay = 1000;
              setLive("on", "Live");
            } else if (name === "forecast") onForecastChanged(data);
          });
          if (ctrl.signal.aborted) return;
        } catch (e) {
          if (ctrl.signal.aborted) return;
        }
        setLive("wait", `Reconnecting in ${Math.round(delay / 1000)} s…`);
        await new Promise((r) => setTimeout(r, delay));
        delay = Math.min(delay * 2, 15000);
      }
    };
    loop();
  }

  /** Parse a text/event-stream body into (event, data) frames (WHATWG SSE rules). */
  async function readEvents(body, signal, onEvent) {
    const reader = body.pipeThrough(new TextDecoderStream()).getReader();
    signal.addEventListener("abort", () => reader.cancel().catch(() => {}), { once: true });
    let buffer = "";
    let name = "";
    let data = [];
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buffer += value;
      const lines = buffer.split(/\r\n|\r|\n/);
      buffer = lines.pop();
      for (const line of lines) {
        if (line === "") {
          if (data.length) {
            let parsed = data.join("\n");
            try {
              parsed = JSON.parse(parsed);
            } catch (_) {
              /* not JSON: pass the text */
            }
            onEvent(name || "message", parsed);
          }
          name = "";
          data = [];
          continue;
        }
        if (line.startsWith(":")) continue; // a keep-alive comment
        const i = line.indexOf(":");
        const field = i < 0 ? line : line.slice(0, i);
        let v = i < 0 ? "" : line.slice(i + 1);
        if (v.startsWith(" ")) v = v.slice(1);
        if (field === "event") name = v;
        else if (field === "data") data.push(v);
      }
    }
  }

  function onForecastChanged(message) {
    const r = state.route;
    if (r.name === "track-record") return; // scores change with outcomes, not forecasts
    if (r.name === "pair" && message && message.pair_id !== r.pair) return;
    clearTimeout(state.refreshTimer);
    state.refreshTimer = setTimeout(() => {
      if (state.route.name === "pair") loadPair(false);
      else loadOverview();
    }, 150);
  }

  // -- start -----------------------------------------------------------------------------

  function init() {
    $("key-form").addEventListener("submit", onKeySubmit);
    $("event-form").addEventListener("submit", onEventSubmit);
    $("signout").addEventListener("click", () => forgetKey(""));
    $("show-reference").checked = state.showReference;
    $("show-reference").addEventListener("change", (ev) => {
      state.showReference = ev.target.checked;
      sessionStorage.setItem("riftcast.showReference", state.showReference ? "1" : "0");
      loadOverview();
    });
    for (const input of document.querySelectorAll('input[name="horizon"]')) {
      input.addEventListener("change", () => {
        const h = Number(input.value);
        history.replaceState(null, "", hrefFor(state.route, h));
        state.horizon = h;
        route();
      });
    }
    for (const input of document.querySelectorAll('input[name="chart-window"]')) {
      input.checked = input.value === state.chartWindow;
      input.addEventListener("change", () => {
        state.chartWindow = input.value;
        sessionStorage.setItem(CHART_WINDOW_STORE, input.value);
        if (state.route.name === "pair" && state.pair) renderChart();
      });
    }
    window.addEventListener("hashchange", route);
    let resizeTimer = null;
    window.addEventListener("resize", () => {
      clearTimeout(resizeTimer);
      resizeTimer = setTimeout(() => {
        if (state.route.name === "pair" && state.pair) {
          renderChart();
          renderDrivers(state.pair.forecast);
        }
      }, 150);
    });
    document.addEventListener("keydown", (ev) => {
      if (ev.key === "Escape") hideTooltip();
    });
    if (state.key) startStream();
    route();
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
