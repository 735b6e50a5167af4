// The overview: every pair, sorted by risk at the selected horizon, with a sparkline of
// its last twelve weeks and the change since last week.

import { allPages, api } from "../api.js";
import { $, el, svg } from "../dom.js";
import { DAY_MS, isoDay, pct, pctRange, points } from "../format.js";
import { hrefFor, loadReference, pairName, state } from "../state.js";
import { showError } from "./shell.js";

// A row's trend (one history request) is asked for once the row comes this near the
// viewport, a few at a time: with 1,000 pairs, asking for every row's at once took 1,062
// requests and 4.4 s of a worker before the page was whole, and again at every change.
const TREND_MARGIN = "600px";
const TREND_REQUESTS = 6;

export async function loadOverview() {
  const seq = ++state.loadSeq;
  const h = state.horizon;
  try {
    await loadReference();
    // Every pair: the listing comes a page at a time, each page cached by the server.
    const list = { items: await allPages("/v1/forecasts", { horizon: h, sort: "-probability" }) };
    const isReference = (f) => (state.factions[f.faction_a] || {}).collection === "reference";
    const hidden = list.items.filter(isReference).length;
    if (!state.showReference) list.items = list.items.filter((f) => !isReference(f));
    $("reference-count").textContent = hidden ? `(${hidden} pairs)` : "(none loaded)";
    if (seq !== state.loadSeq) return;
    showError(null);
    renderOverview(list.items, h);
    watchTrends(seq, h);
  } catch (e) {
    if (seq === state.loadSeq && e.status !== 401) showError(e);
  }
}

function renderOverview(items, h) {
  const rows = items.map((f) => {
    const hz = f.horizons.find((x) => x.horizon_days === h) || f.horizons[0];
    return { f, hz };
  });
  rows.sort((a, b) => b.hz.probability - a.hz.probability);
  const body = $("overview-rows");
  body.replaceChildren(...rows.map((row) => overviewRow(row, h)));
  $("overview-note").textContent =
    `${rows.length} pair(s), probability of a split within ${h} days, highest first. ` +
    `Change is against the forecast for a week ago.`;
  if (!rows.length) {
    body.append(el("tr", {}, el("td", { colspan: "5" }, "No pairs yet: record an event.")));
  }
}

/** Fill in each row's trend once it is near the viewport (the rows of an older load are
 * left alone: a newer one has replaced them). */
function watchTrends(seq, h) {
  if (state.trendWatch) state.trendWatch.disconnect();
  const start = isoDay(Date.now() - 12 * 7 * DAY_MS);
  const waiting = [];
  let asking = 0;
  const next = () => {
    while (seq === state.loadSeq && asking < TREND_REQUESTS && waiting.length) {
      const tr = waiting.shift();
      asking += 1;
      const path =
        `/v1/forecasts/${encodeURIComponent(tr.dataset.pair)}/history?horizon=${h}` +
        `&start=${start}&step_days=7`;
      api(path)
        .catch(() => null)
        .then((history) => {
          if (seq === state.loadSeq) fillTrend(tr, h, (history && history.points) || []);
        })
        .finally(() => {
          asking -= 1;
          next();
        });
    }
  };
  state.trendWatch = new IntersectionObserver(
    (entries, watch) => {
      for (const entry of entries) {
        if (!entry.isIntersecting) continue;
        watch.unobserve(entry.target);
        waiting.push(entry.target);
      }
      next();
    },
    { rootMargin: TREND_MARGIN },
  );
  for (const tr of $("overview-rows").querySelectorAll("tr[data-pair]")) {
    state.trendWatch.observe(tr);
  }
}

function fillTrend(tr, h, pts) {
  state.trends.set(`${h} ${tr.dataset.pair}`, pts);
  const current = Number(tr.dataset.probability);
  tr.querySelector(".change-cell").replaceChildren(changeCell(changeSince(pts, current)));
  tr.querySelector(".trend-cell").replaceChildren(sparkline(pts, current));
}

function changeSince(pts, current) {
  return pts && pts.length >= 2 ? current - pts[pts.length - 2].probability : null;
}

/** A pair's row; its trend is the one last shown (a reload at every change would
 * otherwise blank every sparkline until its history came again), or none yet. */
function overviewRow({ f, hz }, h) {
  const known = state.trends.get(`${h} ${f.pair_id}`) || null;
  const link = el(
    "a",
    { href: hrefFor({ name: "pair", pair: f.pair_id }), class: "pair-link" },
    pairName(f.faction_a, f.faction_b),
  );
  const status = f.status === "ruptured" ? el("span", { class: "chip chip-warn" }, "ruptured") : null;
  const prior = f.prior_only ? el("span", { class: "chip" }, "priors only") : null;
  const meter = el("span", { class: "meter", "aria-hidden": "true" });
  const fill = el("span", { class: "meter-fill" });
  fill.style.width = `${Math.max(1, Math.min(100, hz.probability * 100))}%`;
  meter.append(fill);
  return el(
    "tr",
    { "data-pair": f.pair_id, "data-probability": String(hz.probability) },
    el("th", { scope: "row", "data-label": "Pair" }, link, " ", status, prior),
    el(
      "td",
      { "data-label": "Probability", class: "num" },
      el("strong", {}, pct(hz.probability)),
      el("span", { class: "muted" }, ` (${pctRange(hz.lower, hz.upper)})`),
      meter,
    ),
    el("td", { "data-label": "Estimate" }, hz.phrase),
    el(
      "td",
      { "data-label": "Since last week", class: "change-cell" },
      changeCell(changeSince(known, hz.probability)),
    ),
    el("td", { "data-label": "Trend", class: "trend-cell" }, sparkline(known, hz.probability)),
  );
}

function changeCell(change) {
  if (change === null) return el("span", { class: "muted" }, "–");
  const dir = Math.abs(change) < 0.0005 ? "flat" : change > 0 ? "up" : "down";
  const arrow = { up: "▲", down: "▼", flat: "■" }[dir];
  return el(
    "span",
    { class: `change change-${dir}` },
    el("span", { "aria-hidden": "true" }, `${arrow} `),
    points(change),
  );
}

/** A trend's sparkline; `pts` null while the row's history has not come yet. */
function sparkline(pts, current) {
  const w = 120;
  const hgt = 28;
  const values = (pts || []).map((p) => p.probability);
  if (values.length) values[values.length - 1] = current;
  const s = svg("svg", {
    class: "spark",
    width: w,
    height: hgt,
    viewBox: `0 0 ${w} ${hgt}`,
    role: "img",
    "aria-label": values.length
      ? `Last ${values.length} weeks: from ${pct(values[0])} to ${pct(current)}`
      : pts
        ? "No history"
        : "Trend loading",
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
