"""The report per week, month, quarter or year: periods side by side, and a forecast that grades itself.

Pure functions of rows (``digest.Row``), the pipeline and a ``ReportSpec`` whose
``periods`` is a :class:`PeriodSpec`; no printing, no files. ``report.report_from_rows``
calls :func:`by_period` with the rows it counts (the scope at the as-of cut-off) and a
way to get the rows at another cut-off. The definitions, with a worked example, are in
docs/metrics.md ("Periods").

What is counted where:

* **Events** (new deals, stages reached, wins, losses, close dates moved later) come
  from the rows at the report's cut-off, filters matched there, each placed in the
  period its time stamp falls in. So a figure for a period is what is known as of the
  report's day, and the periods add up to the whole range.
* **Snapshots** (open and weighted pipeline at a period's end) are the report itself
  as of the period's last day: the same functions (``report.in_scope``,
  ``report.totals``) on the rows at that cut-off.
* **The forecast** of a period is the weighted value of the deals open at its start
  (the report as of the day before) whose close date falls in it.

Periods are calendar periods in the pipeline's time zone: ISO weeks (Monday to
Sunday), months, quarters, years. None ends after the as-of day: the period holding
it ends there and is ``partial``.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

from .digest import Row, micros
from .timeutil import end_of_day, start_of_day

if TYPE_CHECKING:
    from .models import Pipeline
    from .rates import Rate
    from .report import MoneyMap, ReportSpec

UNITS = ("week", "month", "quarter", "year")
DEFAULT_COUNT = 4  # periods shown when --since is not given: the as-of day's and the three before
MAX_PERIODS = 520  # ten years of weeks


class TooManyPeriods(ValueError):
    """The range holds more periods than :data:`MAX_PERIODS`."""

    def __init__(self, count: int, unit: str) -> None:
        super().__init__(f"{count} {unit}s; at most {MAX_PERIODS}")
        self.count, self.unit = count, unit


@dataclass(frozen=True)
class PeriodSpec:
    """Which periods: their ``unit`` and the days the first and last contain.

    ``since`` None: the ``DEFAULT_COUNT`` periods up to ``until``; ``until`` None: the
    as-of day. A period after the as-of day is never shown."""

    unit: str
    since: date | None = None
    until: date | None = None

    def __post_init__(self) -> None:
        if self.unit not in UNITS:
            raise ValueError(f"unit must be one of {UNITS}")


# -- the calendar ------------------------------------------------------------------------------
def period_start(day: date, unit: str) -> date:
    """The first day of the period that holds ``day``."""
    if unit == "week":
        return day - timedelta(days=day.weekday())
    if unit == "month":
        return day.replace(day=1)
    if unit == "quarter":
        return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
    return date(day.year, 1, 1)


def next_start(start: date, unit: str) -> date:
    """The first day of the period after the one starting on ``start``."""
    if unit == "week":
        return start + timedelta(days=7)
    months = {"month": 1, "quarter": 3, "year": 12}[unit]
    index = start.year * 12 + start.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def previous_start(start: date, unit: str) -> date:
    if unit == "week":
        return start - timedelta(days=7)
    months = {"month": 1, "quarter": 3, "year": 12}[unit]
    index = start.year * 12 + start.month - 1 - months
    return date(index // 12, index % 12 + 1, 1)


def label(start: date, unit: str) -> str:
    """``2026-W10``, ``2026-03``, ``2026-Q1``, ``2026``."""
    if unit == "week":
        year, week, _ = start.isocalendar()
        return f"{year:04d}-W{week:02d}"
    if unit == "month":
        return f"{start.year:04d}-{start.month:02d}"
    if unit == "quarter":
        return f"{start.year:04d}-Q{(start.month - 1) // 3 + 1}"
    return f"{start.year:04d}"


def spans(spec: PeriodSpec, as_of: date) -> list[tuple[date, date, date]]:
    """Each period as (first day, last day counted, last day of the calendar period), in order.

    The first period holds ``spec.since`` (default: ``DEFAULT_COUNT - 1`` periods before
    the last), the last holds ``spec.until`` (default: the as-of day); a period is cut at
    the as-of day, and none begins after it."""
    unit = spec.unit
    last_day = min(spec.until or as_of, as_of)
    if spec.since is not None:
        first = period_start(spec.since, unit)
    else:
        first = period_start(last_day, unit)
        for _ in range(DEFAULT_COUNT - 1):
            first = previous_start(first, unit)
    if first > last_day:
        return []
    count = _count(first, period_start(last_day, unit), unit)
    if count > MAX_PERIODS:
        raise TooManyPeriods(count, unit)
    out = []
    start = first
    while start <= last_day:
        after = next_start(start, unit)
        end = after - timedelta(days=1)
        out.append((start, min(end, last_day), end))
        start = after
    return out


def _count(first: date, last: date, unit: str) -> int:
    if unit == "week":
        return (last - first).days // 7 + 1
    months = {"month": 1, "quarter": 3, "year": 12}[unit]
    return ((last.year - first.year) * 12 + last.month - first.month) // months + 1


# -- results -------------------------------------------------------------------------------
@dataclass
class Reached:
    stage: str
    label: str
    deals: int = 0


@dataclass
class Period:
    """The figures of one period; money per currency, rates fractions or None."""

    start: date
    end: date  # the last day counted: the period's last, or the as-of day
    partial: bool  # cut at the as-of day
    label: str
    new: int = 0
    new_value: MoneyMap = field(default_factory=dict)
    reached: list[Reached] = field(default_factory=list)
    won: int = 0
    won_value: MoneyMap = field(default_factory=dict)
    lost: int = 0
    lost_value: MoneyMap = field(default_factory=dict)
    top_lost_reason: str | None = None
    top_lost_reason_deals: int = 0
    win_rate: float | None = None  # won / (won + lost), of the deals closed in the period
    median_cycle_days: float | None = None  # of the deals won in the period
    open: int = 0  # at the period's end: `pipe report --as-of END`'s totals
    open_value: MoneyMap = field(default_factory=dict)
    weighted_value: MoneyMap = field(default_factory=dict)
    forecast_deals: int = 0  # open at the start, expected to close in the period
    forecast_wins: float = 0.0  # their probabilities added up: the wins the forecast expects
    forecast_value: MoneyMap = field(default_factory=dict)  # their weighted value
    forecast_error: dict[str, float | None] | None = None  # (forecast - won) / won; None: partial
    slipped: int = 0  # deals whose close date was moved later in the period
    slip_days: int = 0  # by how many days, all such moves added up


@dataclass
class PeriodReport:
    unit: str
    periods: list[Period]
    forecast_mape: dict[str, float | None] = field(default_factory=dict)  # per currency, complete periods
    forecast_graded: dict[str, int] = field(default_factory=dict)  # periods the mean covers, per currency


# -- the figures ---------------------------------------------------------------------------
def reached_at(row: Row, stage: int, *, strict: bool = False) -> int | None:
    """When the deal reached ladder stage ``stage`` as the funnel counts it; None if it has not.

    The funnel counts a deal as having reached a stage when it entered that stage or
    one further on, or was won; ``strict``: when its run of stages in order from the
    first came to cover it (the latest of its first entries into those stages)."""
    entered = row.entered_first
    if strict:
        if stage >= len(entered) or any(t is None for t in entered[: stage + 1]):
            return None
        return max(t for t in entered[: stage + 1] if t is not None)
    times = [t for t in entered[stage:] if t is not None]
    if row.status == "won" and row.closed is not None:
        times.append(row.closed)
    return min(times, default=None)


def forecast_for(rows: Sequence[Row], pipeline: Pipeline, first: date, last: date) -> tuple[int, float, MoneyMap]:
    """Open deals expected to close on ``first`` .. ``last``: how many, their probabilities
    added up, and their weighted value per currency (``report.weight``, to cents)."""
    from .report import _cents, weight

    deals, wins = 0, 0.0
    weighted: MoneyMap = {}
    probabilities: dict[str, float] = {}
    for r in rows:
        if r.status != "open" or r.close_date is None or not first <= r.close_date <= last:
            continue
        p = weight(r, pipeline, probabilities)
        deals += 1
        wins += p
        if r.value is not None:
            currency = r.currency or pipeline.currency
            weighted[currency] = weighted.get(currency, Decimal(0)) + r.value * Decimal(str(p))
    return deals, round(wins, 2), {c: _cents(v) for c, v in weighted.items()}


def forecast_error(forecast: MoneyMap, won: MoneyMap) -> dict[str, float | None]:
    """Per currency of either: (forecast - won) / won; None when nothing was won in it."""
    out: dict[str, float | None] = {}
    for c in sorted(set(forecast) | set(won)):
        actual = won.get(c, Decimal(0))
        out[c] = None if actual == 0 else float((forecast.get(c, Decimal(0)) - actual) / actual)
    return out


def mape(periods: Sequence[Period]) -> tuple[dict[str, float | None], dict[str, int]]:
    """Per currency: the mean of |error| over the complete periods where it is defined (a period
    with nothing won in that currency has no error and is left out), and how many those are."""
    errors: dict[str, list[float]] = {}
    for p in periods:
        if p.forecast_error is None:
            continue
        for c, e in p.forecast_error.items():
            bucket = errors.setdefault(c, [])
            if e is not None:
                bucket.append(abs(e))
    return (
        {c: (sum(v) / len(v) if v else None) for c, v in sorted(errors.items())},
        {c: len(v) for c, v in sorted(errors.items())},
    )


RowsAt = Callable[[Sequence[datetime]], Sequence[Sequence[Row]]]
"""Every deal's rows at each of some cut-offs (``index.Fresh.rows_at_many``, ``digest.rows_at_many``)."""


def by_period(
    rows: Sequence[Row],
    rows_at: RowsAt,
    pipeline: Pipeline,
    spec: ReportSpec,
    used: list[Rate] | None = None,
) -> PeriodReport:
    """The figures of each period of ``spec.periods``. ``rows`` are the rows the report counts
    (at its cut-off, in scope, in ``spec.currency`` when it is given); ``rows_at`` gives every
    deal's rows at the other cut-offs, all asked for at once; the lines of rates.yaml that
    convert those are added to ``used``."""
    from .report import convert_scope, in_scope, lost_reasons, totals

    assert spec.periods is not None
    unit = spec.periods.unit
    zone = spec.zone_for(pipeline)
    report_cutoff = spec.cutoff_for(pipeline)
    ladder = pipeline.stages
    strict = spec.strict
    found = spans(spec.periods, spec.as_of)
    if not found:
        return PeriodReport(unit, [])
    # each period is [its first day's start, the next one's): one list of boundaries places every event
    bounds = [micros(start_of_day(first, zone)) for first, _, _ in found]
    top = micros(min(end_of_day(found[-1][1], zone), report_cutoff))

    def slot(t: int | None) -> int | None:
        if t is None or t < bounds[0] or t >= top:
            return None
        return bisect_right(bounds, t) - 1

    n = len(found)
    created: list[list[Row]] = [[] for _ in range(n)]
    closed: list[list[Row]] = [[] for _ in range(n)]
    reached = [[0] * len(ladder) for _ in range(n)]
    slipped: list[set[str]] = [set() for _ in range(n)]
    slip_days = [0] * n
    for r in rows:
        i = slot(r.created)
        if i is not None:
            created[i].append(r)
        if r.status != "open":
            i = slot(r.closed)
            if i is not None:
                closed[i].append(r)
        for k in range(len(ladder)):
            i = slot(reached_at(r, k, strict=strict))
            if i is not None:
                reached[i][k] += 1
        for at, moved in r.slips:
            i = slot(at)
            if i is not None:
                slipped[i].add(r.id)
                slip_days[i] += moved

    lines: list[Rate] = [] if used is None else used
    # the pipeline as the report saw it as of a day (the end of one period is the start of the next)
    seen: dict[datetime, list[Row]] = {report_cutoff: list(rows)}
    # the days asked for below: each period's eve (its forecast) and its last day (its pipeline)
    wanted = [day for first, last, _ in found for day in (first - timedelta(days=1), last)]
    days = {day: replace(spec, as_of=day, cutoff=None, periods=None, by=None) for day in wanted}
    cuts = sorted({at_day.cutoff_for(pipeline) for at_day in days.values()} - seen.keys())
    fetched = dict(zip(cuts, rows_at(cuts), strict=True))  # every deal's history replayed once for all

    def as_of(day: date) -> list[Row]:
        at_day = days[day]
        cut = at_day.cutoff_for(pipeline)
        if cut not in seen:
            seen[cut] = convert_scope(in_scope(fetched.pop(cut), pipeline, at_day), pipeline, at_day, lines)
        return seen[cut]

    out: list[Period] = []
    for i, (first, last, calendar_last) in enumerate(found):
        p = Period(first, last, last < calendar_last, label(first, unit))
        p.new, p.new_value = len(created[i]), _value(created[i], pipeline)
        p.reached = [Reached(s.id, s.title, reached[i][k]) for k, s in enumerate(ladder)]
        t = totals(closed[i], pipeline)
        p.won, p.won_value, p.lost, p.lost_value = t.won, t.won_value, t.lost, t.lost_value
        p.win_rate, p.median_cycle_days = t.win_rate, t.median_cycle_days
        reasons = lost_reasons(closed[i], pipeline)
        if reasons:
            p.top_lost_reason, p.top_lost_reason_deals = reasons[0].reason, reasons[0].deals
        p.slipped, p.slip_days = len(slipped[i]), slip_days[i]
        # what the forecast said at its start: the report as of the day before
        then = as_of(first - timedelta(days=1))
        p.forecast_deals, p.forecast_wins, p.forecast_value = forecast_for(then, pipeline, first, calendar_last)
        p.forecast_error = None if p.partial else forecast_error(p.forecast_value, p.won_value)
        # the pipeline at the period's end: the report as of its last day
        now = totals(as_of(last), pipeline)
        p.open, p.open_value, p.weighted_value = now.open, now.open_value, now.weighted_value
        out.append(p)
    result = PeriodReport(unit, out)
    result.forecast_mape, result.forecast_graded = mape(out)
    return result


def _value(rows: Sequence[Row], pipeline: Pipeline) -> MoneyMap:
    m: MoneyMap = {}
    for r in rows:
        if r.value is not None:
            c = r.currency or pipeline.currency
            m[c] = m.get(c, Decimal(0)) + r.value
    return m


__all__ = [
    "DEFAULT_COUNT",
    "MAX_PERIODS",
    "UNITS",
    "Period",
    "PeriodReport",
    "PeriodSpec",
    "RowsAt",
    "TooManyPeriods",
    "by_period",
    "forecast_error",
    "label",
    "mape",
    "period_start",
    "reached_at",
    "spans",
]
