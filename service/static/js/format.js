// Numbers, dates and sentences as the page shows them.

export const DAY_MS = 86400000;
export const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

export function pct(p) {
  if (p === null || p === undefined || Number.isNaN(p)) return "–";
  const v = p * 100;
  if (v > 0 && v < 0.1) return "<0.1%";
  if (v < 10) return `${v.toFixed(1)}%`;
  return `${Math.round(v)}%`;
}

export function pctRange(lo, hi) {
  const a = lo * 100;
  const b = hi * 100;
  const f = (v) => (v < 10 ? (v < 1 ? v.toFixed(1) : v.toFixed(0)) : Math.round(v).toString());
  return `${f(a)}–${f(b)}%`;
}

/** A change of probability in percentage points. */
export function points(delta) {
  const v = delta * 100;
  if (Math.abs(v) < 0.05) return "no change";
  const sign = v > 0 ? "+" : "−";
  return `${sign}${Math.abs(v).toFixed(Math.abs(v) < 10 ? 1 : 0)} pts`;
}

export function signed(v, digits) {
  if (v === null || v === undefined) return "–";
  return `${v >= 0 ? "+" : "−"}${Math.abs(v).toFixed(digits)}`;
}

/** "YYYY-MM-DD" as a UTC date (never the browser's local midnight). */
export function parseDay(text) {
  const [y, m, d] = text.slice(0, 10).split("-").map(Number);
  return Date.UTC(y, (m || 1) - 1, d || 1);
}

export function isoDay(ms) {
  return new Date(ms).toISOString().slice(0, 10);
}

/** An event's date as precise as it is known: "2024", "Dec 2024" or "2024-12-03". */
export function fuzzyDate(day, precision) {
  const d = new Date(parseDay(day));
  if (precision === "year") return String(d.getUTCFullYear());
  if (precision === "month") return `${MONTHS[d.getUTCMonth()]} ${d.getUTCFullYear()}`;
  return day.slice(0, 10);
}

/** The sentence an analyst would write (ICD 203 wording) about horizon `h` of a pair. */
export function assessment(h, nameA, nameB) {
  const lead =
    h.phrase === "remote" || h.phrase === "roughly even chance"
      ? `there is a ${h.phrase}${h.phrase === "remote" ? " chance" : ""}`
      : `it is ${h.phrase}`;
  const within = h.horizon_days === 365 ? "the next year" : `the next ${h.horizon_days} days`;
  return (
    `We assess ${lead} (${pct(h.probability)}; 90% interval ${pctRange(h.lower, h.upper)}) ` +
    `that ${nameA} and ${nameB} will split within ${within}.` +
    (h.phrase_uncertain ? " The interval spans more than one estimative band." : "")
  );
}
