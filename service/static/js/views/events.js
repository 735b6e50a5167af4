// A pair's events: the table, and one event's details in the tooltip or pinned under the
// chart.

import { $, el } from "../dom.js";
import { fuzzyDate } from "../format.js";
import { isCohesion, state, typeLabel } from "../state.js";

export function renderEventRows(events) {
  const rows = [...events]
    .filter((e) => e.kind !== "retraction")
    .sort((a, b) => (a.occurred_on < b.occurred_on ? 1 : a.occurred_on > b.occurred_on ? -1 : 0));
  $("event-rows").replaceChildren(...rows.map(eventRow));
  if (!rows.length) $("event-rows").append(el("tr", {}, el("td", { colspan: "6" }, "No events.")));
}

function eventRow(e) {
  return el(
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
    el("td", { "data-label": "Source" }, sourceLink(e)),
    el(
      "td",
      { "data-label": "Grading", class: "nowrap" },
      el("abbr", { title: `reliability ${e.reliability}, credibility ${e.credibility}` },
        `${e.reliability}${e.credibility}`),
    ),
  );
}

function sourceLink(e) {
  return e.source_url
    ? el("a", { href: e.source_url, rel: "noopener noreferrer", target: "_blank" }, e.source)
    : e.source;
}

/** A marker's accessible label: date, type, actor, source and grading. */
export function describeEvent(e) {
  return (
    `${fuzzyDate(e.occurred_on, e.precision)}, ${typeLabel(e.type)}` +
    (e.actor ? `, ${e.actor}` : "") +
    `. Source: ${e.source}, graded ${e.reliability}${e.credibility}.`
  );
}

export function showTooltip(anchor, e) {
  const tip = $("tooltip");
  tip.replaceChildren(...eventSummary(e, false));
  tip.hidden = false;
  const r = anchor.getBoundingClientRect();
  const tw = tip.offsetWidth;
  const left = Math.min(window.innerWidth - tw - 8, Math.max(8, r.left + r.width / 2 - tw / 2));
  tip.style.left = `${left + window.scrollX}px`;
  tip.style.top = `${r.top + window.scrollY - tip.offsetHeight - 8}px`;
}

export function hideTooltip() {
  $("tooltip").hidden = true;
}

export function pinEvent(e) {
  hideTooltip();
  state.pinned = e.id;
  for (const g of document.querySelectorAll(".marker")) {
    g.classList.toggle("marker-pinned", g.getAttribute("data-event") === e.id);
  }
  renderEventDetail(e);
}

export function renderEventDetail(e) {
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
    el("p", {}, el("span", { class: "muted" }, "Source: "), full ? sourceLink(e) : e.source),
    el(
      "p",
      {},
      el("span", { class: "muted" }, "Grading: "),
      `${e.reliability}${e.credibility} (reliability ${e.reliability}, credibility ` +
        `${e.credibility}) · intensity ${e.intensity}`,
    ),
  ].filter(Boolean);
}
