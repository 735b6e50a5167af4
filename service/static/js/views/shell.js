// What stays around the views: the banner, the live indicator, the key prompt, the
// breadcrumbs, the horizon picker and the estimative-language footnote (both from
// GET /v1/meta).

import { $, el } from "../dom.js";
import { hrefFor, state } from "../state.js";

export function showError(e) {
  const banner = $("banner");
  if (!e) {
    banner.hidden = true;
    return;
  }
  banner.hidden = false;
  banner.textContent = e.status ? `${e.message} (HTTP ${e.status})` : String(e.message || e);
}

export function setLive(kind, text) {
  const live = $("live");
  live.dataset.state = kind;
  live.textContent = text;
}

export function showKeyView(message) {
  for (const id of ["overview-view", "pair-view", "track-view", "toolbar", "estimative-note"]) {
    $(id).hidden = true;
  }
  $("signout").hidden = true;
  $("key-view").hidden = false;
  setLive("off", "Not connected");
  const err = $("key-error");
  err.hidden = !message;
  err.textContent = message || "";
  $("key-input").setAttribute("aria-invalid", message ? "true" : "false");
  $("key-input").focus();
}

export function renderCrumbs() {
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

/** A radio button per configured horizon; `onPick(h)` when one is chosen. */
export function renderHorizonPicker(horizons, onPick) {
  const picker = $("horizon-picker");
  picker.replaceChildren(
    el("legend", {}, "Horizon"),
    ...horizons.map((h) => {
      const input = el("input", { type: "radio", name: "horizon", value: h });
      input.addEventListener("change", () => onPick(h));
      return el("label", {}, input, el("span", {}, `${h} days`));
    }),
  );
}

export function checkHorizon(h) {
  for (const input of document.querySelectorAll('input[name="horizon"]')) {
    input.checked = Number(input.value) === h;
  }
}

export function renderEstimativeNote(meta) {
  $("estimative-note").textContent = meta.estimative_note;
}
