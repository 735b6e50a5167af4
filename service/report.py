"""The printable one-page brief of a pair's forecast, as PDF or PNG from one figure.

An analyst hands the brief to readers who will not open the dashboard, so it says in
words what the numbers say (ICD 203 phrases in the sentence an analyst would write),
shows the history with the events on the same time axis, names the drivers with their
sources and states which model run the figures come from — or that the priors alone do.

It is drawn with matplotlib's object API (a `Figure` on the Agg canvas, never pyplot), so
concurrent requests in the service's threadpool do not share global state, and the PDF
and the PNG are the same figure saved twice.
"""

from __future__ import annotations

import textwrap
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime
from os import PathLike
from typing import IO, Any, Literal

import matplotlib
from matplotlib import dates as mdates
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator

from models.results import EventDriver, HistoryPoint, HorizonResult, PairForecast

Format = Literal["pdf", "png"]
FORMATS: tuple[Format, ...] = ("pdf", "png")

# Okabe–Ito: blue for the forecast and cohesion, vermillion for risk (colour-blind safe;
# markers also differ in shape and every item is labelled in words).
BLUE = "#0072B2"
BLUE_SOFT = "#0072B2"
VERMILLION = "#D55E00"
SKY = "#56B4E9"
GREY = "#5B6470"
INK = "#1B1F24"

A4_PORTRAIT = (8.27, 11.69)
LEFT = 0.07
CHART_LEFT = 0.1
RIGHT = 0.95
WRAP = 108  # characters of 9 pt text across the page
TOP_EVENTS = 5
TOP_TYPES = 6
RC: dict[Any, Any] = {
    # TrueType in the PDF (not Type 3) so the text is selectable and extractable.
    "pdf.fonttype": 42,
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


def pct(p: float) -> str:
    v = p * 100
    if 0 < v < 0.1:
        return "<0.1%"
    return f"{v:.1f}%" if v < 10 else f"{v:.0f}%"


def pct_range(lo: float, hi: float) -> str:
    def f(v: float) -> str:
        v *= 100
        return f"{v:.1f}" if v < 1 else f"{v:.0f}"

    return f"{f(lo)}–{f(hi)}%"


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
    """A cursor down an A4 page: text blocks and axes placed one under the other."""

    def __init__(self, fig: Figure) -> None:
        self.fig = fig
        self.y = 0.965
        self.height_in = fig.get_figheight()

    def _line(self, size: float, spacing: float = 1.35) -> float:
        return size * spacing / 72 / self.height_in

    def text(
        self,
        text: str,
        size: float = 9,
        weight: str = "normal",
        color: str = INK,
        wrap: int = WRAP,
        indent: float = 0.0,
        gap: float = 0.004,
    ) -> None:
        lines: list[str] = []
        for paragraph in text.split("\n"):
            lines += textwrap.wrap(paragraph, wrap) or [""]
        for line in lines:
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

    def heading(self, text: str) -> None:
        self.y -= 0.006
        self.text(text, size=11, weight="bold", gap=0.003)

    def axes(self, height: float, left: float = LEFT, gap: float = 0.0) -> Axes:
        ax = self.fig.add_axes((left, self.y - height, RIGHT - left, height))
        self.y -= height + gap
        return ax


def _history_chart(
    page: _Page, history: Sequence[HistoryPoint], events: Sequence[EventDriver]
) -> None:
    ax = page.axes(0.18, left=CHART_LEFT)
    lane = page.axes(0.028, left=CHART_LEFT, gap=0.03)
    lane.sharex(ax)
    days = [_num(p.on) for p in history]
    if history:
        ax.fill_between(
            days,
            [p.lower for p in history],
            [p.upper for p in history],
            color=BLUE_SOFT,
            alpha=0.2,
            linewidth=0,
            label="90% credible band",
        )
        ax.plot(days, [p.probability for p in history], color=BLUE, lw=1.8, label="probability")
    top = max([p.upper for p in history] + [0.05])
    ax.set_ylim(0, min(1.0, top * 1.3))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:.0%}"))
    ax.yaxis.set_major_locator(MaxNLocator(5))
    ax.grid(axis="y", color="#D8DDE3", lw=0.6)
    ax.tick_params(axis="x", labelbottom=False)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.set_ylabel("P(split)")

    lane.set_ylim(-1, 1)
    lane.set_yticks([])
    for side in ("top", "right", "left"):
        lane.spines[side].set_visible(False)
    lane.set_ylabel("events", rotation=0, ha="right", va="center", fontsize=8, color=GREY)
    for e in events:
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
    for i, e in enumerate(events[:TOP_EVENTS], start=1):
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
    lane.xaxis.set_major_locator(mdates.AutoDateLocator(minticks=4, maxticks=9))
    lane.xaxis.set_major_formatter(mdates.ConciseDateFormatter(lane.xaxis.get_major_locator()))
    handles, labels = ax.get_legend_handles_labels()
    handles += [
        lane.plot([], [], marker="D", ls="", color=VERMILLION, mec="white")[0],
        lane.plot([], [], marker="o", ls="", color=SKY, mec=BLUE)[0],
    ]
    labels += ["event raising risk", "cohesion signal"]
    ax.legend(handles, labels, loc="upper left", fontsize=7.5, frameon=False, ncol=4)


def _drivers_chart(page: _Page, forecast: PairForecast) -> None:
    drivers = list(forecast.type_drivers[:TOP_TYPES])
    if not drivers:
        page.text("No evidence in force: the pair's baseline alone forecasts.", color=GREY)
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


def build_figure(
    forecast: PairForecast,
    history: Sequence[HistoryPoint],
    names: Mapping[str, str] | None = None,
    record: Mapping[str, Any] | None = None,
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

        horizon = history[0].horizon_days if history else 90
        page.heading(f"Probability of a split within {horizon} days, over time")
        _history_chart(page, history, forecast.event_drivers)

        page.heading("Drivers of the current forecast")
        _drivers_chart(page, forecast)
        events = forecast.event_drivers[:TOP_EVENTS]
        if events:
            page.text(
                f"Events that move the {events[0].horizon_days}-day forecast most "
                "(numbered on the chart):",
                weight="bold",
                gap=0.002,
            )
            sources = _sources(events)
            for i, e in enumerate(events, start=1):
                actor = f", {e.actor}" if e.actor else ""
                page.text(
                    f"{i}. {fuzzy(e.occurred_on, e.precision)} · {e.type.replace('_', ' ')}"
                    f"{actor}: {e.delta * 100:+.1f} pts ({pct(e.p_without)} without it, "
                    f"{pct(e.p_with)} with it); source [{sources[_source_key(e)]}], graded "
                    f"{e.reliability}{e.credibility}.",
                    size=8.5,
                    indent=0.01,
                    gap=0.001,
                )
            page.y -= 0.004
            for (name, url), n in sources.items():
                page.text(
                    f"[{n}] {name}{f' <{url}>' if url else ''}",
                    size=8,
                    color=GREY,
                    indent=0.01,
                    wrap=WRAP + 8,
                    gap=0.001,
                )

        page.heading("Model")
        page.text(_diagnostics(forecast), size=8.5)
        page.text(track_record(record), size=8.5)
        page.y = min(page.y, 0.035)
        page.text(
            "Estimative language per ICD 203: remote 1–5%, very unlikely 5–20%, unlikely "
            "20–45%, roughly even chance 45–55%, likely 55–80%, very likely 80–95%, "
            "almost certain 95–99%. Intervals are 90% credible intervals.",
            size=7,
            color=GREY,
            wrap=WRAP + 30,
        )
    return fig


def render_brief(
    forecast: PairForecast,
    history: Sequence[HistoryPoint],
    path_or_buffer: str | PathLike[str] | IO[bytes],
    fmt: Format,
    names: Mapping[str, str] | None = None,
    record: Mapping[str, Any] | None = None,
) -> None:
    """Write the one-page brief as `fmt` ("pdf" or "png") to a path or a binary buffer.

    `names` maps faction ids to display names (ids are shown otherwise); `record` is the
    model's recorded backtest (`signals.evaluations`), stated under "Model".
    """
    if fmt not in FORMATS:
        raise ValueError(f"fmt must be one of {FORMATS}, not {fmt!r}")
    fig = build_figure(forecast, history, names, record)
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
