// The history chart: line + 90% band, events as markers on the same time axis.
//
// It shows a window ending today (the last 12 months unless widened), so that this week's
// events are not a pixel at the edge of years of history; the y-axis fits the points in
// the window, a labelled line marks "now", and markers that would overlap (events of one
// day) are spread apart so that each can be pointed at. Pure drawing: what a marker says
// and does comes from the caller's hooks.

import { svg } from "./dom.js";
import { DAY_MS, MONTHS, isoDay, parseDay, pct, pctRange } from "./format.js";

const MARKER_GAP = 14; // px between the centres of event markers that would overlap

/**
 * The chart as an <svg>, or null when there is nothing to draw.
 * opts: width (px), history ({horizon_days, points}), events (not retractions), years (the
 * window back from today, null: all), pinned (an event id).
 * hooks: cohesion(e), describe(e) (a marker's label), show(anchor, e), hide(), pin(e).
 * Returns {node, earlier}: `earlier` counts the events before the window.
 */
export function historyChart(opts, hooks) {
  const pts = opts.history.points || [];
  const times = pts.map((p) => parseDay(p.on));
  const evTimes = opts.events.map((e) => parseDay(e.occurred_on));
  if (!times.length && !evTimes.length) return null;
  const now = parseDay(isoDay(Date.now()));
  const [t0, t1] = chartRange(opts.years, now, times.concat(evTimes), times);
  const box = layout(opts.width);

  // The points in the window, the line entering at its left edge where history goes on.
  const shown = windowPoints(pts, times, t0, t1);
  const real = shown.filter((s) => !s.edge);
  const ymax = niceMax(Math.max(0.05, ...shown.map((s) => s.p.upper)));
  const sc = {
    ...box,
    t0,
    t1,
    now,
    ymax,
    x: (t) => box.m.left + ((t - t0) / (t1 - t0)) * box.plotW,
    y: (v) => box.m.top + box.plotH - (Math.min(v, ymax) / ymax) * box.plotH,
  };

  // Events in the window, in time order; the others are counted under the chart.
  const inWindow = opts.events
    .map((e, i) => ({ e, t: evTimes[i] }))
    .filter((v) => v.t >= t0 && v.t <= t1)
    .sort((a, b) => a.t - b.t);
  const earlier = opts.events.filter((_, i) => evTimes[i] < t0).length;

  const s = svg("svg", {
    class: "chart-svg",
    width: sc.width,
    height: sc.height,
    viewBox: `0 0 ${sc.width} ${sc.height}`,
    role: "img",
    "aria-labelledby": "chart-desc",
    "data-start": isoDay(t0),
    "data-end": isoDay(t1),
  });
  s.append(chartTitle(opts.history, real, inWindow.length, t0, t1), drawGrid(sc));
  if (shown.length) s.append(...drawBandAndLine(shown, sc));
  s.append(drawNow(sc), ...drawLane(sc));
  const marks = drawMarkers(inWindow, sc, opts.pinned, hooks);
  s.append(marks);
  const { cross, overlay } = drawReadout(s, real, sc);
  s.append(cross);
  // Under the markers, so that they stay reachable by the pointer.
  s.insertBefore(overlay, marks);
  return { node: s, earlier };
}

/** Margins, plot area and the event lane's height for a chart `width` px wide. */
function layout(width) {
  const narrow = width < 520;
  const height = narrow ? 250 : 310;
  const m = { top: 22, right: 14, bottom: 62, left: 46 };
  const plotH = height - m.top - m.bottom;
  const plotW = width - m.left - m.right;
  return { width, height, narrow, m, plotH, plotW, laneY: m.top + plotH + 22 };
}

function chartTitle(history, real, nMarked, t0, t1) {
  const first = real[0];
  const last = real[real.length - 1];
  return svg("title", {
    id: "chart-desc",
    text: last
      ? `Probability of a split within ${history.horizon_days} days, from ` +
        `${pct(first.p.probability)} on ${first.p.on} to ${pct(last.p.probability)} on ` +
        `${last.p.on}; ${nMarked} events marked.`
      : `No history from ${isoDay(t0)} to ${isoDay(t1)}; ${nMarked} events marked.`,
  });
}

/** Horizontal lines at the y ticks, vertical ones at the time ticks, with their labels. */
function drawGrid(sc) {
  const { m, x, y, width, plotH } = sc;
  const grid = svg("g", { class: "grid" });
  for (const v of yTicks(sc.ymax)) {
    grid.append(svg("line", { x1: m.left, x2: width - m.right, y1: y(v), y2: y(v) }));
    grid.append(svg("text", { x: m.left - 6, y: y(v) + 4, class: "tick tick-y", text: pct(v) }));
  }
  let labelled = 0;
  for (const t of timeTicks(sc.t0, sc.t1, sc.narrow)) {
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
  return grid;
}

/** The 90% band and the probability line through the points shown. */
function drawBandAndLine(shown, { x, y }) {
  const at = (v, i, key) => `${i ? "L" : "M"}${x(v.t).toFixed(1)},${y(v.p[key]).toFixed(1)}`;
  const upper = shown.map((v, i) => at(v, i, "upper"));
  const lower = shown.map((v) => at(v, 1, "lower")).reverse();
  const line = shown.map((v, i) => at(v, i, "probability"));
  return [
    svg("path", { d: `${upper.join("")}${lower.join("")}Z`, class: "band" }),
    svg("path", { d: line.join(""), class: "line", "data-testid": "history-line" }),
  ];
}

/** "Now": today's date, labelled above the plot. */
function drawNow({ x, m, plotH, now }) {
  const nx = x(now);
  return svg(
    "g",
    { class: "now", "data-testid": "now", "data-date": isoDay(now) },
    svg("line", { x1: nx, x2: nx, y1: m.top - 4, y2: m.top + plotH }),
    svg("text", { x: nx, y: m.top - 8, class: "now-label", text: "now" }),
  );
}

/** The event lane under the plot: its label and its line. */
function drawLane({ m, width, laneY }) {
  return [
    svg("text", { x: m.left - 6, y: laneY + 4, class: "tick tick-y", text: "events" }),
    svg("line", { x1: m.left, x2: width - m.right, y1: laneY, y2: laneY, class: "lane" }),
  ];
}

/** A marker per event in the window, spread apart where they would overlap. */
function drawMarkers(inWindow, sc, pinned, hooks) {
  const xs = dodge(
    inWindow.map((v) => sc.x(v.t)),
    MARKER_GAP,
    sc.m.left + 7,
    sc.width - sc.m.right - 7,
  );
  const marks = svg("g", { class: "events" });
  inWindow.forEach(({ e, t }, i) => {
    // Each marker's hit area ends halfway to its neighbours, so every one can be hovered.
    const cx = xs[i];
    const hitL = i > 0 ? Math.max(cx - 10, (xs[i - 1] + cx) / 2) : cx - 10;
    const hitR = i < xs.length - 1 ? Math.min(cx + 10, (cx + xs[i + 1]) / 2) : cx + 10;
    marks.append(drawMarker(e, t, cx, [hitL, hitR], sc, pinned === e.id, hooks));
  });
  return marks;
}

function drawMarker(e, t, cx, [hitL, hitR], { x, m, plotH, laneY }, pinned, hooks) {
  const cohesion = hooks.cohesion(e);
  const g = svg("g", {
    class: `marker ${cohesion ? "marker-cohesion" : "marker-risk"}` + (pinned ? " marker-pinned" : ""),
    tabindex: 0,
    role: "button",
    "aria-label": hooks.describe(e),
    "data-event": e.id,
    "data-date": isoDay(t),
  });
  // The guide stands on the event's date and bends to its marker when that was moved.
  const at = x(t);
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
  const show = () => hooks.show(shape, e);
  g.addEventListener("pointerenter", show);
  g.addEventListener("focus", show);
  g.addEventListener("pointerleave", hooks.hide);
  g.addEventListener("blur", hooks.hide);
  g.addEventListener("click", () => hooks.pin(e));
  g.addEventListener("keydown", (ev) => {
    if (ev.key === "Enter" || ev.key === " ") {
      ev.preventDefault();
      hooks.pin(e);
    } else if (ev.key === "Escape") {
      hooks.hide();
    }
  });
  return g;
}

/** A readout that follows the pointer over the plot: {cross, overlay}. */
function drawReadout(s, real, { m, plotW, plotH, width, x, y, t0, t1 }) {
  const cross = svg("g", { class: "cross", visibility: "hidden" });
  const crossLine = svg("line", { y1: m.top, y2: m.top + plotH });
  const crossDot = svg("circle", { r: 4 });
  const crossText = svg("text", { y: m.top + 12, class: "readout" });
  cross.append(crossLine, crossDot, crossText);
  const overlay = svg("rect", { x: m.left, y: m.top, width: plotW, height: plotH, class: "overlay" });
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
  return { cross, overlay };
}

// The chart's time span [t0, t1]: `years` back from today, or all of `all` (null);
// padded on the right so that "now" and today's markers stay clear of the edge.
function chartRange(years, now, all, times) {
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

/** The axis maximum for values up to v: a round step of probability. */
export function niceMax(v) {
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
