// "Add an event": the form posts one event under a fresh Idempotency-Key and shows the
// API's validation errors at their fields.

import { api, newId } from "../api.js";
import { $, el } from "../dom.js";
import { isoDay } from "../format.js";
import { state } from "../state.js";

/** `onRecorded()` after an event is recorded (the pair page reloads). */
export function bindEventForm(onRecorded) {
  $("event-form").addEventListener("submit", (ev) => onEventSubmit(ev, onRecorded));
}

/** The type list (once the taxonomy is known) and today's date in an empty date field. */
export function fillFormDefaults() {
  const select = $("f-type");
  if (!select.options.length && state.types) {
    select.replaceChildren(
      ...Object.values(state.types).map((t) =>
        el("option", { value: t.key }, `${t.label}${t.prior_mean < 0 ? " (cohesion)" : ""}`),
      ),
    );
  }
  const date = $("f-occurred_on");
  if (!date.value) date.value = isoDay(Date.now());
}

export function clearFormErrors() {
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

async function onEventSubmit(ev, onRecorded) {
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
    onRecorded();
  } catch (e) {
    $("form-status").textContent = "";
    if (e.status !== 401) showFormErrors(e);
  } finally {
    button.disabled = false;
  }
}
