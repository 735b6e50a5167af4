// Riftcast dashboard: vanilla JS as ES modules, inline SVG, no third-party code, no build.
//
// This module starts the page and routes it with the URL fragment. The API key lives in
// sessionStorage (this tab only) and travels in the Authorization header (api.js); the
// live stream is SSE read through fetch() (stream.js); the horizons and the ICD 203
// sentence come from GET /v1/meta (state.js); the views draw with the DOM API (dom.js),
// because the page's CSP forbids inline script and style attributes.

import { KEY_STORE, api, onUnauthorized, storedKey } from "./api.js";
import { $ } from "./dom.js";
import { CHART_WINDOW_STORE, HORIZON_STORE, REFERENCE_STORE, hrefFor, loadMeta, parseHash, setMeta, state } from "./state.js";
import { openStream } from "./stream.js";
import { hideTooltip } from "./views/events.js";
import { bindEventForm } from "./views/form.js";
import { loadOverview } from "./views/overview.js";
import { loadPair, renderChart } from "./views/pair.js";
import { renderDrivers } from "./views/drivers.js";
import {
  checkHorizon,
  renderCrumbs,
  renderEstimativeNote,
  renderHorizonPicker,
  setLive,
  showError,
  showKeyView,
} from "./views/shell.js";
import { loadTrackRecord } from "./views/track.js";

// -- the key ------------------------------------------------------------------------------

function forgetKey(message) {
  sessionStorage.removeItem(KEY_STORE);
  stopStream();
  showKeyView(message);
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
    // Trying the key asks for the meta the page needs anyway.
    showMeta(await api("/v1/meta", { key }));
  } catch (e) {
    err.hidden = false;
    err.textContent = e.message;
    $("key-input").setAttribute("aria-invalid", "true");
    return;
  }
  sessionStorage.setItem(KEY_STORE, key);
  $("key-input").value = "";
  $("key-view").hidden = true;
  $("signout").hidden = false;
  startStream();
  route();
}

// -- the meta: horizons and the estimative-language footnote --------------------------------

function showMeta(meta) {
  setMeta(meta);
  renderHorizonPicker(meta.horizons, (h) => {
    history.replaceState(null, "", hrefFor(state.route, h));
    state.horizon = h;
    route();
  });
  renderEstimativeNote(meta);
}

// -- routing ------------------------------------------------------------------------------

function route() {
  if (!storedKey()) {
    showKeyView("");
    return;
  }
  if (!state.meta) {
    loadMeta().then(
      (meta) => {
        showMeta(meta);
        route();
      },
      (e) => {
        if (e.status !== 401) showError(e);
      },
    );
    return;
  }
  const r = parseHash();
  const changedPage = r.name !== state.route.name || r.pair !== state.route.pair;
  state.route = r;
  sessionStorage.setItem(HORIZON_STORE, String(state.horizon));
  checkHorizon(state.horizon);
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
  $("estimative-note").hidden = r.name === "track-record";
  if (r.name === "pair") loadPair(changedPage);
  else if (r.name === "track-record") loadTrackRecord();
  else loadOverview();
  if (changedPage) $("main").focus({ preventScroll: true });
}

// -- the live stream ------------------------------------------------------------------------

function stopStream() {
  if (state.stream) state.stream.abort();
  state.stream = null;
}

function startStream() {
  stopStream();
  state.stream = openStream({
    status: setLive,
    unauthorized: () => forgetKey("The API key is unknown or revoked."),
    event: (name, data) => {
      if (name === "forecast") onForecastChanged(data);
    },
  });
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

// -- start --------------------------------------------------------------------------------

function init() {
  onUnauthorized(forgetKey);
  $("key-form").addEventListener("submit", onKeySubmit);
  bindEventForm(() => loadPair(false));
  $("signout").addEventListener("click", () => forgetKey(""));
  $("show-reference").checked = state.showReference;
  $("show-reference").addEventListener("change", (ev) => {
    state.showReference = ev.target.checked;
    sessionStorage.setItem(REFERENCE_STORE, state.showReference ? "1" : "0");
    loadOverview();
  });
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
  if (storedKey()) startStream();
  route();
}

// A module runs after the document is parsed (it is deferred), so the page is there.
init();
