// A pair's page: the forecast at every horizon, the history chart with its events, what
// drives the forecast, the events, and the form.

import { allEvents, api } from "../api.js";
import { historyChart } from "../chart.js";
import { $, el } from "../dom.js";
import { assessment, pct, pctRange } from "../format.js";
import { CHART_WINDOWS, factionName, hrefFor, isCohesion, loadReference, pairName, state } from "../state.js";
import { renderDrivers } from "./drivers.js";
import {
  describeEvent,
  hideTooltip,
  pinEvent,
  renderEventDetail,
  renderEventRows,
  showTooltip,
} from "./events.js";
import { clearFormErrors, fillFormDefaults } from "./form.js";
import { showError } from "./shell.js";

export async function loadPair(fresh) {
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
  $("pair-sentence").textContent = assessment(hz, factionName(f.faction_a), factionName(f.faction_b));
  $("horizon-cards").replaceChildren(...f.horizons.map((x) => horizonCard(x, h)));
  $("chart-title").textContent = `Probability of a split within ${h} days, over time`;
  renderChart();
  renderDrivers(f);
  renderEventRows(events);
  fillFormDefaults();
}

function horizonCard(x, h) {
  return el(
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
  );
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

const MARKER_HOOKS = {
  cohesion: (e) => isCohesion(e.type),
  describe: describeEvent,
  show: showTooltip,
  hide: hideTooltip,
  pin: pinEvent,
};

/** The history chart in the window chosen, with the count of the events before it. */
export function renderChart() {
  const box = $("chart");
  const note = $("chart-note");
  const visible = state.pair.events.filter((e) => e.kind !== "retraction");
  const chart = historyChart(
    {
      width: Math.max(280, box.clientWidth || 600),
      history: state.pair.history,
      events: visible,
      years: CHART_WINDOWS[state.chartWindow],
      pinned: state.pinned,
    },
    MARKER_HOOKS,
  );
  if (!chart) {
    box.replaceChildren(el("p", { class: "muted" }, "No history yet."));
    note.hidden = true;
    return;
  }
  const earlier = chart.earlier;
  note.hidden = earlier === 0;
  note.textContent = earlier
    ? `${earlier} earlier ${earlier === 1 ? "event is" : "events are"} not shown: ` +
      "widen the window to see them."
    : "";
  box.replaceChildren(chart.node);
  if (state.pinned) {
    const e = visible.find((v) => v.id === state.pinned);
    if (e) renderEventDetail(e);
  }
}
