"""The printable one-page brief of a pair's forecast, as PDF or PNG from one figure.

An analyst hands the brief to readers who will not open the dashboard, so it says in
words what the numbers say (ICD 203 phrases in the sentence an analyst would write),
shows the history with the events on the same time axis, names the drivers with their
sources and states which model run the figures come from — or that the priors alone do.

It is drawn with matplotlib's object API (a `Figure` on the Agg canvas, never pyplot), so
concurrent requests in the service's threadpool do not share global state, and the PDF
and the PNG are the same figure saved twice.

Like the dashboard, the history chart shows the last 12 months up to the forecast's date
(years of history would make this week's events a hair at its edge) with its y-axis fitted
to the points shown. The page is laid out before it is drawn: text is wrapped by its
measured width, the ICD 203 footnote sits at a fixed bottom margin, and the list of events
is cut short (to keep its first two, the history chart gets lower) so that nothing runs
off the page.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from os import PathLike
from typing import IO, Any, Literal

import matplotlib
from matplotlib import dates as mdates
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.textpath import TextToPath
from matplotlib.ticker import FuncFormatter, MaxNLocator

from models.phrases import FOOTNOTE
from models.results import EventDriver, HistoryPoint, HorizonResult, PairForecast
from signals.ledger import Summary

Format = Literal["pdf", "png"]
FORMATS: tuple[Format, ...] = ("pdf", "png")

# Okabe–Ito: blue for the forecast and cohesion, vermillion for risk (colour-blind safe;
# markers also differ in shape and every item is labelled in words).
BLUE = "#0072B2"
VERMILLION = "#D55E00"
SKY = "#56B4E9"
GREY = "#5B6470"
INK = "#1B1F24"

A4_PORTRAIT = (8.27, 11.69)
LEFT = 0.07
CHART_LEFT = 0.1
RIGHT = 0.95
TOP = 0.965
BOTTOM = 0.02  # the bottom margin (of the page's height): nothing is drawn below it
TOP_EVENTS = 5
MIN_LISTED = 2  # events listed even if the history chart must be lower to make room
TOP_TYPES = 6
WINDOW_YEARS = 1  # the history chart: the last 12 months up to the forecast's date
HISTORY_H = 0.18  # the history chart's height (of the page's), shrunk only if need be
HISTORY_MIN_H = 0.09
LANE_H = 0.028
LANE_GAP = 0.03
NO_EVIDENCE = "No evidence in force: the pair's baseline alone forecasts."
ICD203 = FOOTNOTE  # the scale in words, from models.phrases (one copy)
RC: dict[Any, Any] = {
    # TrueType in the PDF (not Type 3) so the text is selectable and extractable.
    "pdf.fonttype": 42,
    # Unhinted glyphs: the PNG's text is as wide as the PDF's, which the layout measures.
    "text.hinting": "no_hinting",
    "font.family": "DejaVu Sans",
    "font.size": 9,
    "axes.edgecolor": GREY,
    "axes.labelcolor": INK,
    "xtick.color": GREY,
    "ytick.color": GREY,
}


def format_of(path: str | PathLike[str]) -> Format:
    """The format a file name asks for; ValueError for anything but .pdf and .png."""
    suffix = str(path).rsplit(".", 1)[-1].lower() if "." in str(path) else ""
    if suffix not in FORMATS:
        raise ValueError(f"the brief is written as .pdf or .png, not {str(path)!r}")
    return suffix  # type: ignore[return-value]


def _number(p: float) -> str:
    """A probability in percent, as precise as it is honest: one decimal below 10%, none
    above, and "<0.1" rather than a 0.0 that reads as impossible."""
    v = p * 100
    if 0 < v < 0.1:
        return "<0.1"
    return f"{v:.1f}" if v < 10 else f"{v:.0f}"


def pct(p: float) -> str:
    return f"{_number(p)}%"


def pct_range(lo: float, hi: float) -> str:
    """Both ends written by the rule the point estimate is (issue 12: "0.0–4%" mixed two)."""
    return f"{_number(lo)}–{_number(hi)}%"


def within(days: int) -> str:
    return "the next year" if days == 365 else f"the next {days} days"


def assessment(h: HorizonResult, a: str, b: str) -> str:
    """The estimate as an analyst writes it: "We assess it is unlikely (24%; 90% interval
    12–41%) that A and B will split within the next 90 days." """
    if h.phrase == "remote":
        lead = "there is a remote chance"
    elif h.phrase == "roughly even chance":
        lead = "there is a roughly even chance"
    else:
        lead = f"it is {h.phrase}"
    sentence = (
        f"We assess {lead} ({pct(h.probability)}; 90% interval {pct_range(h.lower, h.upper)}) "
        f"that {a} and {b} will split within {within(h.horizon_days)}."
    )
    if h.phrase_uncertain:
        sentence += " The interval spans more than one estimative band."
    return sentence


def fuzzy(day: date, precision: str) -> str:
    if precision == "year":
        return f"{day:%Y}"
    if precision == "month":
        return f"{day:%b %Y}"
    return day.isoformat()


def _safe(text: str) -> str:
    """Text as matplotlib must draw it literally (a `$` would start mathtext)."""
    return text.replace("$", r"\$")


def _num(day: date) -> float:
    """A date as matplotlib's date number (typed floats keep the plotting calls simple)."""
    return float(mdates.date2num(datetime(day.year, day.month, day.day)))


class _Page:
    """A cursor down an A4 page: text blocks and axes placed one under the other.

    Text is wrapped by its measured width (not by a count of characters), and `height`
    gives the room a block takes without drawing it, so that the page can be planned.
    """

    def __init__(self, fig: Figure) -> None:
        self.fig = fig
        self.y = TOP
        self.height_in = fig.get_figheight()
        self.width_in = fig.get_figwidth()
        # Unhinted outlines in points: the PDF's widths, whatever the PNG's resolution.
        self._measure = TextToPath()

    def _line(self, size: float, spacing: float = 1.35) -> float:
        return size * spacing / 72 / self.height_in

    def lines(
        self, text: str, size: float, weight: str = "normal", indent: float = 0.0
    ) -> list[str]:
        """`text` broken into lines that fit between the margins (a "\n" breaks a line)."""
        prop = FontProperties(size=size, weight=weight)
        room = (RIGHT - LEFT - indent) * self.width_in * 72 * 0.99

        def fits(line: str) -> bool:
            width, _, _ = self._measure.get_text_width_height_descent(line, prop, ismath=False)
            return bool(width <= room)

        out: list[str] = []
        for paragraph in text.split("\n"):
            line = ""
            for word in paragraph.split():
                if fits(f"{line} {word}" if line else word):
                    line = f"{line} {word}" if line else word
                    continue
                if line:
                    out.append(line)
                while len(word) > 1 and not fits(word):  # a word wider than the page: cut
                    cut = max(k for k in range(1, len(word)) if k == 1 or fits(word[:k]))
                    out.append(word[:cut])
                    word = word[cut:]
                line = word
            out.append(line)
        return out

    def height(
        self,
        text: str,
        size: float = 9,
        weight: str = "normal",
        indent: float = 0.0,
        gap: float = 0.004,
    ) -> float:
        """The room `text(...)` with these arguments takes, as a share of the page."""
        return len(self.lines(text, size, weight, indent)) * self._line(size) + gap

    def text(
        self,
        text: str,
        size: float = 9,
        weight: str = "normal",
        color: str = INK,
        indent: float = 0.0,
        gap: float = 0.004,
    ) -> None:
        for line in self.lines(text, size, weight, indent):
            self.fig.text(
                LEFT + indent,
                self.y,
                _safe(line),
                fontsize=size,
                weight=weight,
                color=color,
                va="top",
                ha="left",
            )
            self.y -= self._line(size)
        self.y -= gap

    def heading_height(self, text: str) -> float:
        return 0.006 + self.height(text, size=11, weight="bold", gap=0.003)

    def heading(self, text: str) -> None:
        self.y -= 0.006
        self.text(text, size=11, weight="bold", gap=0.003)

    def axes(self, height: float, left: float = LEFT, gap: float = 0.0) -> Axes:
        ax = self.fig.add_axes((left, self.y - height, RIGHT - left, height))
        self.y -= height + gap
        return ax


def _window(on: date) -> tuple[date, date]:
    """The history chart's dates: the last 12 months up to `on` (the forecast's date)."""
    try:
        return on.replace(year=on.year - WINDOW_YEARS), on
    except ValueError:  # 29 February
        return date(on.year - WINDOW_YEARS, 3, 1), on


def _window_points(
    history: Sequence[HistoryPoint], start: date, end: date
) -> list[tuple[float, float, float, float]]:
    """(date number, probability, lower, upper) of the points from `start` to `end`; where
    the history began earlier, the line enters at `start` with values interpolated there."""
    out: list[tuple[float, float, float, float]] = []
    x0 = _num(start)
    for i, p in enumerate(history):
        if not start <= p.on <= end:
            continue
        if not out and i > 0 and p.on > start:
            a, b = history[i - 1], p
            xa, xb = _num(a.on), _num(b.on)
            f = (x0 - xa) / (xb - xa)
            out.append(
                (
                    x0,
                    a.probability + (b.probability - a.probability) * f,
                    a.lower + (b.lower - a.lower) * f,
                    a.upper + (b.upper - a.upper) * f,
                )
            )
        out.append((_num(p.on), p.probability, p.lower, p.upper))
    return out


def _history_chart(
    page: _Page,
    history: Sequence[HistoryPoint],
    events: Sequence[EventDriver],
    on: date,
    numbered: int,
    height: float = HISTORY_H,
) -> None:
    """The last 12 months of the history with the events of those months under it; the
    first `numbered` events carry their number in the list below the chart, and those of
    them that are older than the window are named at its left edge."""
    ax = page.axes(height, left=CHART_LEFT)
    lane = page.axes(LANE_H, left=CHART_LEFT, gap=LANE_GAP)
    lane.sharex(ax)
    start, end = _window(on)
    if history:
        end = max(end, history[-1].on)
    x0, x1 = _num(start), _num(end)
    ax.set_xlim(x0, x1 + max(7.0, (x1 - x0) * 0.035))
    shown = _window_points(history, start, end)
    if shown:
        days = [v[0] for v in shown]
        ax.fill_between(
            days,
            [v[2] for v in shown],
            [v[3] for v in shown],
            color=BLUE,
            alpha=0.2,
            linewidth=0,
            label="90% credible band",
        )
        ax.plot(days, [v[1] for v in shown], color=BLUE, lw=1.8, label="probability")
    # The y-axis fits the points shown, not the whole history.
    top = max([v[3] for v in shown] + [0.05])
    ax.set_ylim(0, min(1.0, top * 1.3))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:.0%}"))
    ax.yaxis.set_major_locator(MaxNLocator(5))
    ax.grid(axis="y", color="#D8DDE3", lw=0.6)
    ax.tick_params(axis="x", labelbottom=False)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.set_ylabel("P(split)")
    # The forecast's date: where "now" is on the chart.
    ax.axvline(_num(on), color=INK, lw=0.8, ls="--", zorder=4)
    ax.annotate(
        f"as of {on.day} {on:%b %Y}",
        (_num(on), 1.0),
        xycoords=("data", "axes fraction"),
        xytext=(2, 2),
        textcoords="offset points",
        ha="right",
        va="bottom",
        fontsize=7,
        color=INK,
        weight="bold",
    )

    lane.set_ylim(-1, 1)
    lane.set_yticks([])
    for side in ("top", "right", "left"):
        lane.spines[side].set_visible(False)
    lane.set_ylabel("events", rotation=0, ha="right", va="center", fontsize=8, color=GREY)
    for e in events:
        if not start <= e.occurred_on <= end:
            continue
        when = _num(e.occurred_on)
        risk = e.delta >= 0
        lane.plot(
            [when],
            [0],
            marker="D" if risk else "o",
            ms=6,
            color=VERMILLION if risk else SKY,
            mec="white" if risk else BLUE,
            mew=0.8,
            zorder=3,
        )
        ax.axvline(when, color=GREY, lw=0.6, ls=":", alpha=0.6)
    # Number the top events; events of one date share a label ("1, 4"), and labels of
    # neighbouring dates are staggered so that they do not print over each other.
    by_day: dict[date, list[int]] = {}
    earlier: list[int] = []
    for i, e in enumerate(events[:numbered], start=1):
        if e.occurred_on < start:
            earlier.append(i)
        elif e.occurred_on <= end:
            by_day.setdefault(e.occurred_on, []).append(i)
    for k, (day, numbers) in enumerate(sorted(by_day.items())):
        lane.annotate(
            ", ".join(map(str, numbers)),
            (_num(day), 0),
            xytext=(0, 7 + 8 * (k % 2)),
            textcoords="offset points",
            ha="center",
            fontsize=7,
            color=INK,
            weight="bold",
        )
    if earlier:
        lane.annotate(
            f"← {', '.join(map(str, earlier))}: earlier",
            (0, 0),
            xycoords=("axes fraction", "data"),
            xytext=(2, 0),
            textcoords="offset points",
            ha="left",
            va="center",
            fontsize=7,
            color=INK,
            weight="bold",
        )
    lane.xaxis.set_major_locator(mdates.AutoDateLocator(minticks=4, maxticks=9))
    lane.xaxis.set_major_formatter(mdates.ConciseDateFormatter(lane.xaxis.get_major_locator()))
    handles, labels = ax.get_legend_handles_labels()
    handles += [
        lane.plot([], [], marker="D", ls="", color=VERMILLION, mec="white")[0],
        lane.plot([], [], marker="o", ls="", color=SKY, mec=BLUE)[0],
    ]
    labels += ["event raising risk", "cohesion signal"]
    ax.legend(handles, labels, loc="upper left", fontsize=7.5, frameon=False, ncol=4)


def _drivers_height(page: _Page, forecast: PairForecast) -> float:
    """The room `_drivers_chart` takes (its axes with the label under them, or a line)."""
    n = len(forecast.type_drivers[:TOP_TYPES])
    return 0.02 * n + 0.01 + 0.045 if n else page.height(NO_EVIDENCE)


def _drivers_chart(page: _Page, forecast: PairForecast) -> None:
    drivers = list(forecast.type_drivers[:TOP_TYPES])
    if not drivers:
        page.text(NO_EVIDENCE, color=GREY)
        return
    ax = page.axes(0.02 * len(drivers) + 0.01, left=0.3, gap=0.045)
    labels = [d.label for d in drivers][::-1]
    values = [d.contribution for d in drivers][::-1]
    shares = [d.share for d in drivers][::-1]
    colours = [VERMILLION if v >= 0 else BLUE for v in values]
    ax.barh(range(len(values)), values, color=colours, height=0.6)
    ax.set_yticks(range(len(values)), [_safe(x) for x in labels])
    ax.axvline(0, color=GREY, lw=0.8)
    span = max(abs(v) for v in values) or 1.0
    ax.set_xlim(min(0.0, min(values)) - 0.05 * span, max(0.0, max(values)) + 0.6 * span)
    for i, (v, s) in enumerate(zip(values, shares, strict=True)):
        word = "raises" if v >= 0 else "lowers"
        ax.text(
            max(v, 0.0) + 0.03 * span,
            i,
            f"{v:+.2f} ({word} risk)" if s is None else f"{v:+.2f} ({s:.0%}, {word} risk)",
            va="center",
            fontsize=7.5,
            color=INK,
        )
    ax.set_xlabel("contribution to the log-odds of a split now", fontsize=8)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.tick_params(axis="y", length=0)


def _source_key(e: EventDriver) -> tuple[str, str]:
    return (e.source, e.source_url)


def _sources(events: Sequence[EventDriver]) -> dict[tuple[str, str], int]:
    """Each distinct source once, numbered in order of first citation."""
    out: dict[tuple[str, str], int] = {}
    for e in events:
        out.setdefault(_source_key(e), len(out) + 1)
    return out


def _diagnostics(forecast: PairForecast) -> str:
    run = forecast.run
    if forecast.prior_only or run is None:
        return (
            "Priors only: no model run has been published, so these figures come from the "
            "taxonomy's prior effects alone, not from fitted outcomes. "
            f"Taxonomy {forecast.taxonomy_version}."
        )
    rhat = "n/a" if run.max_rhat is None else f"{run.max_rhat:.3f}"
    ess = "n/a" if run.min_ess_bulk is None else f"{run.min_ess_bulk:.0f}"
    text = (
        f"Model run {run.id} ({'published' if run.published else 'not published'}), "
        f"fitted {run.created_at:%Y-%m-%d} on data to {run.cutoff:%Y-%m-%d} with {run.sampler}: "
        f"{run.n_pairs} pairs, {run.n_obs} pair-steps, {run.n_events} events, "
        f"{run.n_ruptures} ruptures. Diagnostics: max R-hat {rhat}, min bulk ESS {ess}, "
        f"{run.divergences} divergences; {run.seconds:.0f} s. Taxonomy {run.taxonomy_version}."
    )
    if forecast.pooled_alpha:
        text += " This pair was not in the run: its baseline is the pooled estimate."
    return text


def track_record(record: Mapping[str, Any] | None) -> str:
    """The recorded backtest behind the numbers, in one paragraph."""
    if record is None:
        return (
            "Track record: no backtest of this model is recorded yet (`riftcast backtest` "
            "records one)."
        )
    m = record["metrics"]
    head = (
        f"Track record: backtest from {record['first_origin']} to {record['last_origin']}, "
        f"{m['n_origins']} origins, {m['horizon_days']}-day windows, {m['n_forecasts']} "
        f"forecasts of {m['n_pairs']} pairs"
    )
    if "models" not in m:
        return f"{head}; no rupture in any window, so its scores are undefined."
    model, cov = m["models"]["model"], m["coverage"]
    auc = "n/a" if model["auc"] is None else f"{model['auc']:.2f}"
    share = "n/a" if cov["share"] is None else f"{cov['share']:.0%}"
    return (
        f"{head}: AUC {auc}; Brier skill {model['bss_base_rate']:+.2f} against the base rate "
        f"and {model['bss_vs_priors_only']:+.3f} against its priors alone; the number of "
        f"ruptures fell inside the 90% interval at {share} of origins. {m['verdict']}"
    )


def live_record(summary: Summary | None) -> str:
    """The forecast ledger's record behind the numbers: how the forecasts served so far
    have scored as outcomes settled them (every pair, every horizon), in one sentence."""
    if summary is None:
        return "Live record: no forecast ledger is available."
    n = sum(t.n for t in summary.horizons)
    if n == 0:
        return (
            f"Live record: no forecast in the ledger has been settled by an outcome yet "
            f"({summary.n_entries} forecasts kept, {summary.n_pending} windows open)."
        )
    ruptured = sum(t.ruptured for t in summary.horizons)
    brier = sum(t.brier_sum for t in summary.horizons) / n
    # The reference: each horizon's base rate (the share of its windows that ruptured),
    # whose Brier over that horizon's windows is n * rate * (1 - rate).
    reference = sum(t.ruptured * (1 - t.ruptured / t.n) for t in summary.horizons) / n
    skill = (
        f", skill {1 - brier / reference:+.2f} against each horizon's base rate"
        if reference > 0
        else ""
    )
    inside = sum(t.inside for t in summary.horizons)
    return (
        f"Live record (the forecast ledger, all pairs): {n} settled forecast windows, "
        f"{ruptured} with a rupture; Brier {brier:.3f}{skill}; the outcome fell inside the "
        f"90% interval in {inside} of {n}. {summary.n_pending} windows are still open."
    )


@dataclass(frozen=True)
class _Block:
    """A paragraph for `_Page.text`, with the room to leave above it."""

    text: str
    size: float = 9
    weight: str = "normal"
    color: str = INK
    indent: float = 0.0
    gap: float = 0.004
    above: float = 0.0


def _height(page: _Page, blocks: Sequence[_Block]) -> float:
    return sum(b.above + page.height(b.text, b.size, b.weight, b.indent, b.gap) for b in blocks)


def _draw(page: _Page, blocks: Sequence[_Block]) -> None:
    for b in blocks:
        page.y -= b.above
        page.text(b.text, b.size, b.weight, b.color, b.indent, b.gap)


def _event_list(events: Sequence[EventDriver], shown: int, window_start: date) -> list[_Block]:
    """The first `shown` of the top events, numbered as on the chart, with their sources;
    a line says how many more there are when the page has no room for them."""
    if not events:
        return []
    listed = events[:shown]
    more = len(events) - shown
    if not listed:
        return [
            _Block(
                f"{more} events move the forecast most; this page has no room to list them, "
                "the dashboard does.",
                size=8.5,
                color=GREY,
            )
        ]
    edge = (
        "; those before its window at its left edge"
        if any(e.occurred_on < window_start for e in listed)
        else ""
    )
    blocks = [
        _Block(
            f"Events that move the {listed[0].horizon_days}-day forecast most "
            f"(numbered on the chart{edge}):",
            weight="bold",
            gap=0.002,
        )
    ]
    sources = _sources(listed)
    for i, e in enumerate(listed, start=1):
        actor = f", {e.actor}" if e.actor else ""
        blocks.append(
            _Block(
                f"{i}. {fuzzy(e.occurred_on, e.precision)} · {e.type.replace('_', ' ')}"
                f"{actor}: {e.delta * 100:+.1f} pts ({pct(e.p_without)} without it, "
                f"{pct(e.p_with)} with it); source [{sources[_source_key(e)]}], graded "
                f"{e.reliability}{e.credibility}.",
                size=8.5,
                indent=0.01,
                gap=0.001,
            )
        )
    if more:
        blocks.append(
            _Block(
                f"… and {more} more; this page has no room for them, the dashboard lists them.",
                size=8.5,
                color=GREY,
                indent=0.01,
                gap=0.001,
            )
        )
    for k, ((name, url), n) in enumerate(sources.items()):
        blocks.append(
            _Block(
                f"[{n}] {name}{f' <{url}>' if url else ''}",
                size=8,
                color=GREY,
                indent=0.01,
                gap=0.001,
                above=0.004 if k == 0 else 0.0,
            )
        )
    return blocks


def build_figure(
    forecast: PairForecast,
    history: Sequence[HistoryPoint],
    names: Mapping[str, str] | None = None,
    record: Mapping[str, Any] | None = None,
    live: Summary | None = None,
) -> Figure:
    """The brief as a matplotlib Figure (on an Agg canvas)."""
    names = names or {}
    a = names.get(forecast.faction_a, forecast.faction_a)
    b = names.get(forecast.faction_b, forecast.faction_b)
    with matplotlib.rc_context(RC):
        fig = Figure(figsize=A4_PORTRAIT)
        FigureCanvasAgg(fig)
        page = _Page(fig)
        page.text(f"{a} – {b}", size=16, weight="bold", gap=0.002)
        status = forecast.status
        page.text(
            f"Riftcast brief · pair {forecast.pair_id} · {status} · as of "
            f"{forecast.as_of.astimezone(UTC):%Y-%m-%d %H:%M} UTC · "
            f"{forecast.n_events} events in force",
            size=8.5,
            color=GREY,
            gap=0.01,
        )

        page.heading("Assessment")
        for h in forecast.horizons:
            page.text(assessment(h, a, b), gap=0.003)
        for note in forecast.notes:
            page.text(f"Note: {note}", size=8.5, color=GREY, gap=0.002)

        # The rest is planned before it is drawn: the footnote keeps a fixed bottom margin,
        # the "Model" paragraphs follow the events, and the events list gives way (past
        # its first MIN_LISTED, the history chart gets lower first) so that all of it fits.
        horizon = history[0].horizon_days if history else 90
        chart_title = f"Probability of a split within {horizon} days, over the last 12 months"
        drivers_title = "Drivers of the current forecast"
        model = [
            _Block("Model", size=11, weight="bold", gap=0.003, above=0.006),
            _Block(_diagnostics(forecast), size=8.5),
            _Block(track_record(record), size=8.5),
            _Block(live_record(live), size=8.5),
        ]
        footnote = [_Block(ICD203, size=7, color=GREY, gap=0.0)]
        footnote_top = BOTTOM + _height(page, footnote)
        room = (
            page.y
            - footnote_top
            - page.heading_height(chart_title)
            - HISTORY_H
            - LANE_H
            - LANE_GAP
            - page.heading_height(drivers_title)
            - _drivers_height(page, forecast)
            - _height(page, model)
        )
        events = forecast.event_drivers[:TOP_EVENTS]
        window_start, _ = _window(forecast.on)
        shown = len(events)
        at_least = min(shown, MIN_LISTED)
        while shown > at_least and _height(page, _event_list(events, shown, window_start)) > room:
            shown -= 1
        # The first events are worth a lower chart; as little lower as they need.
        spare = HISTORY_H - HISTORY_MIN_H
        while shown and _height(page, _event_list(events, shown, window_start)) - room > spare:
            shown -= 1
        listing = _event_list(events, shown, window_start)
        chart_h = HISTORY_H - min(max(_height(page, listing) - room, 0.0), spare)

        page.heading(chart_title)
        _history_chart(page, history, forecast.event_drivers, forecast.on, shown, chart_h)
        page.heading(drivers_title)
        _drivers_chart(page, forecast)
        _draw(page, listing)
        _draw(page, model)
        page.y = footnote_top
        _draw(page, footnote)
    return fig


def render_brief(
    forecast: PairForecast,
    history: Sequence[HistoryPoint],
    path_or_buffer: str | PathLike[str] | IO[bytes],
    fmt: Format,
    names: Mapping[str, str] | None = None,
    record: Mapping[str, Any] | None = None,
    live: Summary | None = None,
) -> None:
    """Write the one-page brief as `fmt` ("pdf" or "png") to a path or a binary buffer.

    `names` maps faction ids to display names (ids are shown otherwise); `record` is the
    model's recorded backtest (`signals.evaluations`), stated under "Model", and `live` the
    forecast ledger's record (`signals.ledger.summary`), stated after it.
    """
    if fmt not in FORMATS:
        raise ValueError(f"fmt must be one of {FORMATS}, not {fmt!r}")
    fig = build_figure(forecast, history, names, record, live)
    a = (names or {}).get(forecast.faction_a, forecast.faction_a)
    b = (names or {}).get(forecast.faction_b, forecast.faction_b)
    title = f"Riftcast brief: {a} – {b}, {forecast.as_of:%Y-%m-%d}"
    with matplotlib.rc_context(RC):
        if fmt == "pdf":
            fig.savefig(
                path_or_buffer,
                format="pdf",
                metadata={"Title": title, "Author": "Riftcast", "Subject": forecast.pair_id},
            )
        else:
            fig.savefig(path_or_buffer, format="png", dpi=150, metadata={"Title": title})
