// What drives a pair's forecast: each indicator type's share of the log-odds now (bars),
// and the events that move it most.

import { $, el, svg } from "../dom.js";
import { fuzzyDate, points } from "../format.js";
import { typeLabel } from "../state.js";

export function renderDrivers(f) {
  const box = $("drivers");
  const ds = f.type_drivers || [];
  box.replaceChildren(
    ds.length
      ? typeBars(ds, Math.max(260, box.clientWidth || 420))
      : el("p", { class: "muted" }, "No evidence in force: the baseline alone."),
  );
  const top = (f.event_drivers || []).slice(0, 5);
  $("event-drivers").replaceChildren(
    ...(top.length ? top.map(eventDriver) : [el("li", { class: "muted" }, "No event moves it yet.")]),
  );
}

function typeBars(ds, width) {
  const rowH = 30;
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
  return s;
}

function eventDriver(e) {
  const dir =
    Math.abs(e.delta) < 0.0005 ? "delta delta-flat" : e.delta > 0 ? "delta delta-up" : "delta delta-down";
  return el(
    "li",
    {},
    el("strong", {}, typeLabel(e.type)),
    ` (${fuzzyDate(e.occurred_on, e.precision)}${e.actor ? `, ${e.actor}` : ""}): `,
    el("span", { class: dir }, `${points(e.delta)} at ${e.horizon_days} days`),
    el("span", { class: "muted small block" }, `${e.source} · graded ${e.reliability}${e.credibility}`),
  );
}
