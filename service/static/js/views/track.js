// The track record: how the forecasts served have scored as outcomes settled them.

import { api } from "../api.js";
import { niceMax } from "../chart.js";
import { $, el, svg } from "../dom.js";
import { pct, signed } from "../format.js";
import { state } from "../state.js";
import { showError } from "./shell.js";

export async function loadTrackRecord() {
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
