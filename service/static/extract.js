// "Paste an article": suggested indicator events an analyst confirms, edits or rejects.
//
// Why it is its own module: it only needs the signed-in key (sessionStorage, as js/api.js
// keeps it), the factions and types, and two API calls — POST /v1/extract, which stores
// nothing, and POST /v1/events with the confirmed rows as one batch under one
// Idempotency-Key, so a retried click never records twice. The page's CSP forbids inline
// script and style attributes: everything is built with the DOM API and styled by classes.

import { api as request, newId, storedKey } from "./js/api.js";
import { $, el } from "./js/dom.js";

const HORIZON = 90;

// The signed-in key, passed explicitly: a refusal here is this panel's to show.
const api = (path, opts = {}) => request(path, { ...opts, key: storedKey() });

const state = {
  factions: null, // [{id, name}]
  types: null, // [{key, label}]
  text: "",
  result: null, // the last /v1/extract body
  batchKey: null, // Idempotency-Key of the batch for this result
};

function today() {
  const d = new Date();
  const pad = (n) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

function pct(p) {
  return `${(p * 100).toFixed(p < 0.1 ? 1 : 0)}%`;
}

function setStatus(text, isError) {
  const s = $("x-status");
  s.textContent = text;
  s.classList.toggle("x-error", Boolean(isError));
}

async function loadReference() {
  if (!state.factions) {
    const data = await api("/v1/factions");
    state.factions = data.items.map((f) => ({ id: f.id, name: f.name }));
  }
  if (!state.types) {
    const data = await api("/v1/indicator-types");
    state.types = data.items.map((t) => ({ key: t.key, label: t.label }));
  }
}

// -- asking ---------------------------------------------------------------------------

async function onExtract(ev) {
  ev.preventDefault();
  const text = $("x-text").value;
  const body = { text };
  const published = $("x-published").value.trim();
  if (published) body.published_on = published;
  const source = $("x-source").value.trim();
  const url = $("x-source-url").value.trim();
  if (source) body.source = source;
  if (url) body.source_url = url;
  clearFieldErrors();
  setStatus("Reading…");
  $("x-run").disabled = true;
  try {
    await loadReference();
    const result = await api("/v1/extract", { method: "POST", json: body });
    state.text = text;
    state.result = result;
    state.batchKey = newId();
    render();
    const n = result.suggestions.length;
    setStatus(n ? `${n} suggestion${n === 1 ? "" : "s"}: tick the ones to record.` : "No suggestions.");
  } catch (e) {
    showFieldErrors(e);
    setStatus(e.message, true);
  } finally {
    $("x-run").disabled = false;
  }
}

function clearFieldErrors() {
  for (const id of ["x-text", "x-published"]) $(id).setAttribute("aria-invalid", "false");
  for (const id of ["x-err-text", "x-err-published_on"]) {
    $(id).hidden = true;
    $(id).textContent = "";
  }
}

function showFieldErrors(e) {
  for (const err of (e.problem && e.problem.errors) || []) {
    const slot = $(`x-err-${err.field}`);
    if (!slot) continue;
    slot.hidden = false;
    slot.textContent = err.message;
    const input = err.field === "text" ? $("x-text") : $("x-published");
    input.setAttribute("aria-invalid", "true");
  }
}

// -- showing --------------------------------------------------------------------------

function render() {
  const { suggestions, unresolved, notes } = state.result;
  $("x-results").hidden = false;
  $("x-moves").replaceChildren();
  $("x-notes").replaceChildren(...notes.map((n) => el("p", { class: "x-note", text: n })));
  renderArticle(suggestions);
  renderRows(suggestions);
  const un = $("x-unresolved");
  un.replaceChildren();
  if (unresolved.length) {
    un.append(
      el("span", { class: "muted", text: "Names that match no faction (add one if it is a party): " }),
      ...unresolved.map((u) => el("span", { class: "chip", text: u.name })),
    );
  }
  $("x-record").disabled = suggestions.length === 0;
}

function renderArticle(suggestions) {
  // Highlight every suggestion's evidence spans; overlaps show the first suggestion.
  const marks = [];
  suggestions.forEach((s, i) => {
    for (const sp of s.spans) marks.push({ start: sp.start, end: sp.end, i });
  });
  marks.sort((a, b) => a.start - b.start || a.i - b.i);
  const box = $("x-article");
  box.replaceChildren();
  let pos = 0;
  for (const m of marks) {
    if (m.start < pos) continue;
    box.append(document.createTextNode(state.text.slice(pos, m.start)));
    box.append(
      el(
        "mark",
        { class: "x-mark", "data-index": m.i, id: `x-mark-${m.i}-${m.start}`, title: suggestions[m.i].type },
        el("sup", { class: "x-num", text: String(m.i + 1) }),
        state.text.slice(m.start, m.end),
      ),
    );
    pos = m.end;
  }
  box.append(document.createTextNode(state.text.slice(pos)));
}

function options(select, items, value) {
  for (const [v, label] of items) {
    const o = el("option", { value: v, text: label });
    if (v === value) o.selected = true;
    select.append(o);
  }
  return select;
}

function renderRows(suggestions) {
  const tbody = $("x-rows");
  tbody.replaceChildren();
  const factions = state.factions.map((f) => [f.id, f.name]);
  const types = state.types.map((t) => [t.key, t.label]);
  const grades = ["A", "B", "C", "D", "E", "F"].map((g) => [g, g]);
  const creds = ["1", "2", "3", "4", "5", "6"].map((c) => [c, c]);
  suggestions.forEach((s, i) => {
    const id = (f) => `x-${f}-${i}`;
    const row = el("tr", { "data-index": i, class: "x-row" });
    const check = el("input", { type: "checkbox", id: id("ok"), "aria-label": `Record suggestion ${i + 1}` });
    check.checked = s.confidence >= 0.5;
    row.append(
      el("td", {}, el("span", { class: "x-num", text: String(i + 1) }), check),
      el(
        "td",
        {},
        options(el("select", { id: id("type"), "aria-label": "Type", "data-field": "type" }), types, s.type),
        el("p", { class: "muted small", text: `cue “${s.cue}” · confidence ${Math.round(s.confidence * 100)}%` }),
      ),
      el(
        "td",
        {},
        options(el("select", { id: id("a"), "aria-label": "Faction A", "data-field": "faction_a" }), factions, s.faction_a),
        options(el("select", { id: id("b"), "aria-label": "Faction B", "data-field": "faction_b" }), factions, s.faction_b),
      ),
      el(
        "td",
        {},
        el("input", {
          id: id("date"),
          type: "text",
          value: s.occurred_on,
          inputmode: "numeric",
          "aria-label": "Date (YYYY-MM-DD, YYYY-MM or YYYY)",
          "data-field": "occurred_on",
        }),
        el("p", { class: "muted small", text: s.date_basis }),
      ),
      el(
        "td",
        {},
        options(el("select", { id: id("rel"), "aria-label": "Reliability", "data-field": "reliability" }), grades, s.reliability || "C"),
        options(el("select", { id: id("cred"), "aria-label": "Credibility", "data-field": "credibility" }), creds, String(s.credibility || 3)),
        el("p", { class: "muted small", text: s.grading_basis ? `from “${s.grading_basis}”` : "not in the text" }),
      ),
      el(
        "td",
        {},
        el("input", { id: id("actor"), type: "text", value: s.actor, "aria-label": "Actor", "data-field": "actor" }),
        el("p", { class: "x-summary", text: s.summary }),
        el("p", { class: "field-error", id: id("err"), hidden: true }),
      ),
    );
    tbody.append(row);
  });
}

// -- recording ------------------------------------------------------------------------

function confirmedRows() {
  const out = [];
  const source = $("x-source").value.trim() || "Pasted article";
  const url = $("x-source-url").value.trim();
  state.result.suggestions.forEach((s, i) => {
    if (!$(`x-ok-${i}`).checked) return;
    const item = {
      faction_a: $(`x-a-${i}`).value,
      faction_b: $(`x-b-${i}`).value,
      type: $(`x-type-${i}`).value,
      occurred_on: $(`x-date-${i}`).value.trim(),
      actor: $(`x-actor-${i}`).value.trim(),
      summary: s.summary,
      source,
      reliability: $(`x-rel-${i}`).value,
      credibility: Number($(`x-cred-${i}`).value),
    };
    if (url) item.source_url = url;
    out.push({ index: i, item });
  });
  return out;
}

async function forecastsOf(pairs) {
  // Only pairs the log knows have a forecast; a pair named for the first time has none yet.
  const known = new Set((await api("/v1/pairs")).items.map((p) => p.id));
  const out = {};
  await Promise.all(
    pairs.map(async (p) => {
      if (!known.has(p)) {
        out[p] = null;
        return;
      }
      try {
        const f = await api(`/v1/forecasts/${encodeURIComponent(p)}?horizon=${HORIZON}`);
        const h = f.horizons.find((x) => x.horizon_days === HORIZON) || f.horizons[0];
        out[p] = h.probability;
      } catch (e) {
        out[p] = null;
      }
    }),
  );
  return out;
}

async function onRecord() {
  const rows = confirmedRows();
  for (const r of state.result.suggestions.keys()) $(`x-err-${r}`).hidden = true;
  if (!rows.length) {
    setStatus("Tick at least one suggestion to record.", true);
    return;
  }
  const pairId = (a, b) => (a < b ? `${a}--${b}` : `${b}--${a}`);
  const pairs = [...new Set(rows.map((r) => pairId(r.item.faction_a, r.item.faction_b)))];
  $("x-record").disabled = true;
  setStatus("Recording…");
  try {
    const before = await forecastsOf(pairs);
    const done = await api("/v1/events", {
      method: "POST",
      json: rows.map((r) => r.item),
      headers: { "Idempotency-Key": state.batchKey },
    });
    const after = await forecastsOf(pairs);
    setStatus(`Recorded ${done.items.length} event${done.items.length === 1 ? "" : "s"} as one batch.`);
    renderMoves(pairs, before, after);
  } catch (e) {
    for (const err of (e.problem && e.problem.errors) || []) {
      const m = String(err.field).match(/^\[(\d+)\]\.?(.*)$/);
      const row = m ? rows[Number(m[1])] : rows.length === 1 ? rows[0] : null;
      if (!row) continue;
      const slot = $(`x-err-${row.index}`);
      slot.hidden = false;
      slot.textContent = `${m ? m[2] : err.field}: ${err.message}`;
    }
    setStatus(e.message, true);
    $("x-record").disabled = false;
  }
}

function renderMoves(pairs, before, after) {
  const names = Object.fromEntries(state.factions.map((f) => [f.id, f.name]));
  const list = $("x-moves");
  list.replaceChildren(
    el("h3", { text: `How the ${HORIZON}-day forecast moved` }),
    ...pairs.map((p) => {
      const [a, b] = p.split("--");
      const was = before[p];
      const now = after[p];
      let text;
      if (now === null || now === undefined) text = "no forecast yet";
      else if (was === null || was === undefined) text = `${pct(now)} (new pair)`;
      else {
        const d = (now - was) * 100;
        text = `${pct(was)} → ${pct(now)} (${d >= 0 ? "+" : "−"}${Math.abs(d).toFixed(1)} points)`;
      }
      return el(
        "p",
        { class: "x-move", "data-pair": p },
        el("a", { href: `#/pair/${encodeURIComponent(p)}?h=${HORIZON}`, text: `${names[a] || a} – ${names[b] || b}` }),
        `: ${text}`,
      );
    }),
  );
}

function init() {
  if (!$("extract-form")) return;
  $("x-published").value = today();
  $("x-published").max = today();
  $("extract-form").addEventListener("submit", onExtract);
  $("x-record").addEventListener("click", onRecord);
  $("x-all").addEventListener("click", () => {
    const boxes = document.querySelectorAll("#x-rows input[type=checkbox]");
    const all = [...boxes].every((b) => b.checked);
    for (const b of boxes) b.checked = !all;
  });
}

if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
else init();
