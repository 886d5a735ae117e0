"""Pipeline metrics: funnel, time in stage, win rate, velocity, forecast, at any date.

Everything here is a pure function of the deals, the pipeline and a cut-off time:
no printing, no files. ``build_report`` is the entry point; rendering lives in
``pipecli.render.report``. The definitions are spelled out, with a worked
example, in docs/metrics.md; the code and that page say the same thing.

The as-of rule: a report "as of DATE" is the pipeline at the end of that day
(``timeutil.end_of_day``). Only history entries before the cut-off count; a
deal created later does not exist yet; a deal won later is still open; field
changes recorded after the cut-off (value, owner, close date, ...) are undone.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, tzinfo
from decimal import ROUND_HALF_UP, Decimal
from itertools import compress
from operator import attrgetter
from typing import TYPE_CHECKING, Any

from .calibration import Calibration, calibrate
from .digest import Row, days, digest, ladder_of, micros, row_at, rows_at_many
from .forking import ahead
from .models import Deal, Pipeline
from .query import Filters
from .rates import Rate, RateTable, convert_rows
from .snapshot import snapshot  # noqa: F401  (one deal at a cut-off, with its Deal objects)
from .stale import AsOf, StaleDeal, StaleSummary, in_list_order, judge, summarize
from .stats import km_median_of_sorted, mean, median, median_of_sorted
from .timeutil import SYSTEM_ZONE, end_of_day, start_of_day
from .touch import figures as first_touch_figures

if TYPE_CHECKING:
    from .periods import PeriodReport, PeriodSpec, RowsAt

GROUP_KEYS = ("owner", "source", "tag")
CENT = Decimal("0.01")
ZERO = Decimal(0)

MoneyMap = dict[str, Decimal]
"""Amounts keyed by currency code. Different currencies are never added together."""

ExtraTotals = Callable[[Sequence[Deal], datetime], Mapping[str, Any]]
"""A hook for more figures computed elsewhere: given the deals in scope and the
cut-off, return extra totals (counts, or money maps) to show after the others."""


# -- what to report --------------------------------------------------------------------------
@dataclass(frozen=True)
class ReportSpec:
    """What a report covers: the day, the time zone its days are in, which deals, and how to group them.

    ``zone`` None means the pipeline's ``timezone``, else the system's (``TZ``); it is
    never read from elsewhere. ``cutoff`` (default: the end of ``as_of`` in that zone)
    is the instant before which history counts. ``filters`` (owner, source, tag) match
    the deals' values at the cut-off; ``since``/``until`` choose a cohort by creation
    day; ``by`` repeats funnel and totals per owner, source or tag; ``strict`` counts
    deals only through the stages they entered in order; ``extras`` adds totals;
    ``periods`` adds the figures per week, month, quarter or year (``pipecli.periods``).
    ``currency`` converts every amount with ``rates`` (pipecli.rates; the extras' deals
    are as recorded); ``calibration`` adds the stages' calibration (pipecli.calibration).
    """

    as_of: date
    zone: tzinfo | None = None
    cutoff: datetime | None = None
    filters: Filters | None = None
    since: date | None = None
    until: date | None = None
    by: str | None = None
    strict: bool = False
    extras: ExtraTotals | None = None
    periods: PeriodSpec | None = None
    currency: str | None = None  # every figure in this currency (rates.convert_rows); None: as recorded
    rates: RateTable | None = None  # the rates for ``currency`` (None: none, only that currency converts)
    calibration: bool = False  # also the stages' probabilities against the outcomes (calibration.py)

    def __post_init__(self) -> None:
        if self.by is not None and self.by not in GROUP_KEYS:
            raise ValueError(f"by must be one of {GROUP_KEYS}")

    def zone_for(self, pipeline: Pipeline) -> tzinfo:
        """The time zone the report's days are in."""
        return self.zone or pipeline.zone or SYSTEM_ZONE

    def cutoff_for(self, pipeline: Pipeline) -> datetime:
        return self.cutoff or end_of_day(self.as_of, self.zone_for(pipeline))


# -- results -------------------------------------------------------------------------------
@dataclass
class StageRow:
    """One stage of the funnel. Rates are fractions, None when nothing reached the stage."""

    stage: str
    label: str
    reached: int = 0
    advanced: int = 0
    lost: int = 0  # lost deals whose furthest stage this is (the ladder: reached = advanced + lost + open)
    open: int = 0
    skipped: int = 0  # strict funnel only: went on past a skipped stage from here
    won: int = 0  # won deals among those that reached the stage
    lost_here: int = 0  # lost deals lost while in this stage (their stage at the cut-off)
    reached_value: MoneyMap = field(default_factory=dict)
    advanced_value: MoneyMap = field(default_factory=dict)
    lost_value: MoneyMap = field(default_factory=dict)
    open_value: MoneyMap = field(default_factory=dict)
    skipped_value: MoneyMap = field(default_factory=dict)
    lost_here_value: MoneyMap = field(default_factory=dict)
    conversion: float | None = None
    cumulative_conversion: float | None = None
    win_from_stage: float | None = None  # won / reached (open deals count in reached)
    drop_off: float | None = None
    # time in stage: days per deal, all its stays in the stage added up
    all_days_median: float | None = None  # Kaplan-Meier, deals still in the stage censored
    all_days_above: float | None = None  # when that median is not reached: the longest time observed
    all_days_deals: int = 0  # deals it covers: finished ones and those still in the stage
    days_median: float | None = None  # finished: deals that have left the stage
    days_mean: float | None = None
    days_deals: int = 0  # how many deals those two figures cover
    open_now: int = 0  # open deals sitting in the stage at the cut-off (the censored ones)
    open_age_median: float | None = None  # days since they entered it


@dataclass
class Totals:
    deals: int = 0
    open: int = 0
    won: int = 0
    lost: int = 0
    win_rate: float | None = None
    won_value: MoneyMap = field(default_factory=dict)
    open_value: MoneyMap = field(default_factory=dict)
    lost_value: MoneyMap = field(default_factory=dict)
    weighted_value: MoneyMap = field(default_factory=dict)
    median_cycle_days: float | None = None
    back_moves: int = 0
    stale: int = 0  # the deals `pipe stale --as-of` lists (docs/stale.md)
    stale_value: MoneyMap = field(default_factory=dict)
    overdue_next_steps: int = 0
    # first touch (pipecli.touch): hours from creation to the first note, move or status change
    touched: int = 0  # deals touched before the cut-off: what the median and mean cover
    first_touch_median_hours: float | None = None
    first_touch_mean_hours: float | None = None
    first_touch_within_rate: float | None = None  # touched within first_touch_within, of those decided
    untouched: int = 0  # open deals not touched yet
    extra: dict[str, Any] = field(default_factory=dict)  # supplied by ReportSpec.extras


@dataclass
class Velocity:
    """Sales velocity in one currency: money per day the open pipeline is expected to yield."""

    currency: str
    open: int
    win_rate: float | None  # won / (won + lost)
    average_won_value: Decimal | None
    median_days_to_win: float | None
    per_day: Decimal | None  # open x win rate x average won value / median days to win
    mean_days_to_win: float | None = None
    per_day_mean_cycle: Decimal | None = None  # the textbook form: ... / mean days to win


@dataclass
class ForecastBucket:
    """Open deals by expected close month; ``kind`` is month, past (before the as-of day) or none."""

    kind: str
    month: str | None
    deals: int = 0
    value: MoneyMap = field(default_factory=dict)
    weighted: MoneyMap = field(default_factory=dict)


@dataclass
class LostReason:
    reason: str | None
    deals: int = 0
    value: MoneyMap = field(default_factory=dict)


@dataclass
class Group:
    key: str | None
    totals: Totals
    funnel: list[StageRow]
    calibration: list[Calibration] | None = None  # with ReportSpec.calibration


@dataclass
class Report:
    as_of: date
    cutoff: datetime
    filters: dict[str, Any]
    strict: bool
    pipeline: str  # the pipeline's name
    currency: str  # the pipeline's own currency
    totals: Totals
    funnel: list[StageRow]
    velocity: list[Velocity]
    forecast: list[ForecastBucket]
    lost_reasons: list[LostReason]
    by: str | None = None
    groups: list[Group] = field(default_factory=list)
    stale: list[StaleDeal] = field(default_factory=list)  # what totals.stale counts, as `pipe stale` lists it
    first_touch_within: str = "24h"  # the pipeline's limit, as pipeline.yaml writes it
    periods: PeriodReport | None = None  # with ReportSpec.periods
    converted_to: str | None = None  # ReportSpec.currency: every amount is in it
    rates_used: list[Rate] = field(default_factory=list)  # the lines of rates.yaml the conversion used
    calibration: list[Calibration] | None = None  # with ReportSpec.calibration (pipecli.calibration)


# -- small helpers -------------------------------------------------------------------------
def _add(m: MoneyMap, value: Decimal | None, currency: str) -> None:
    if value is not None:
        m[currency] = m.get(currency, Decimal(0)) + value


def _rate(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def _cents(d: Decimal) -> Decimal:
    return d.quantize(CENT, rounding=ROUND_HALF_UP)


def weight(row: Row, pipeline: Pipeline, stages: dict[str, float] | None = None) -> float:
    """The deal's own probability when set, else its stage's (``stages``: those known so far)."""
    if row.probability is not None:
        return row.probability
    if stages is None:
        return pipeline.probability(row.stage)
    p = stages.get(row.stage)
    if p is None:
        p = stages[row.stage] = pipeline.probability(row.stage)
    return p


class Weights:
    """``Decimal(str(weight(...)))``, what an open deal's value is multiplied by in a weighted
    value, made once per stage and per distinct probability of a deal's own rather than once
    per deal (``str`` of a float and the Decimal of it are the slow part of the weighted sums)."""

    def __init__(self, pipeline: Pipeline) -> None:
        self.pipeline = pipeline
        self.of_stage: dict[str, Decimal] = {}
        # keyed by the float: 0.0 and -0.0 share an entry, and weighting with either adds the same
        self.of_own: dict[float, Decimal] = {}

    def of(self, probability: float | None, stage: str) -> Decimal:
        """The factor of a deal with that ``probability`` of its own (None: none) in that ``stage``."""
        if probability is None:
            found = self.of_stage.get(stage)
            if found is None:
                found = self.of_stage[stage] = Decimal(str(self.pipeline.probability(stage)))
        else:
            found = self.of_own.get(probability)
            if found is None:
                found = self.of_own[probability] = Decimal(str(probability))
        return found


def cycle_days(row: Row) -> float | None:
    """Days from creation to the (last) win; None for a deal not won."""
    return row.cycle


# -- the metrics ---------------------------------------------------------------------------
# What the per-deal loops read of each row, in one call: at 100,000 deals an attribute
# lookup per field and deal is a measurable share of the report.
_FUNNEL_FIELDS = attrgetter("status", "furthest", "ordered", "value", "currency", "stage")
_SITTING = attrgetter("sitting")
_STAGE_DAYS = attrgetter("stage_days")
_BACK_MOVES = attrgetter("back_moves")
_TOTALS_FIELDS = attrgetter("status", "value", "currency", "cycle", "probability", "stage")
_VELOCITY_FIELDS = attrgetter("status", "value", "currency", "cycle")
_FORECAST_FIELDS = attrgetter("close_date", "value", "currency", "probability", "stage")
_LOST_FIELDS = attrgetter("lost_reason", "value", "currency")
_STATUS = attrgetter("status")


def _with_status(rows: Sequence[Row], status: str) -> Iterator[Row]:
    """The rows of the deals with that status, in their order: picked out by ``compress`` over
    tests made by ``str.__eq__``, all in C, where a Python loop would take a step per deal."""
    return compress(rows, map(status.__eq__, map(_STATUS, rows)))


def funnel(rows: Sequence[Row], pipeline: Pipeline, cutoff: datetime, *, strict: bool = False) -> list[StageRow]:
    """One row per ladder stage: reached, advanced, lost, open (and skipped when strict).

    A deal's position is its furthest stage (``strict``: the end of its unbroken run
    of stages from the first). A won deal counts as having passed every stage; in the
    strict funnel only if it entered every stage, else it is ``skipped`` where its run ends.
    Deals that stand alike (status, position) are counted together, then spread over the stages.
    """
    stages = pipeline.stages
    last = len(stages) - 1
    out = [StageRow(stage=s.id, label=s.title) for s in stages]
    default = pipeline.currency
    positions = {s.id: i for i, s in enumerate(stages)}
    # (status, position, through, went on) -> [deals, value by currency]
    groups: dict[tuple[str, int, bool, bool], list[Any]] = {}
    # (status, furthest, ordered) -> its group: where a deal stands is worked out once per
    # combination (a handful), not once per deal
    standing: dict[tuple[str, int, int], list[Any]] = {}
    for status, furthest, ordered, value, currency, stage in map(_FUNNEL_FIELDS, rows):
        g = standing.get((status, furthest, ordered))
        if g is None:
            if strict:
                pos = ordered
                through = status == "won" and pos == last
                went_on = not through and (status == "won" or furthest > pos)
            else:
                pos = furthest
                through = status == "won"
                went_on = False
            g = standing[status, furthest, ordered] = groups.setdefault((status, pos, through, went_on), [0, {}])
        g[0] += 1
        if value is not None:
            money = g[1]
            cur = currency or default
            money[cur] = money.get(cur, ZERO) + value
        if status == "lost" and stage in positions:
            row = out[positions[stage]]
            row.lost_here += 1
            if value is not None:
                lost_here = row.lost_here_value
                cur = currency or default
                lost_here[cur] = lost_here.get(cur, ZERO) + value
    for (status, pos, through, went_on), (n, money) in groups.items():
        top = last if through else pos
        for i in range(top + 1):
            row = out[i]
            row.reached += n
            _merge(row.reached_value, money)
            if status == "won":
                row.won += n
            if through or i < pos:
                row.advanced += n
                _merge(row.advanced_value, money)
            elif went_on:
                row.skipped += n
                _merge(row.skipped_value, money)
            elif status == "lost":
                row.lost += n
                _merge(row.lost_value, money)
            else:
                row.open += n
                _merge(row.open_value, money)

    finished, running, ages = time_in_stage(rows, pipeline, cutoff)
    top_reached = out[0].reached if out else 0
    for row in out:
        row.conversion = _rate(row.advanced, row.reached)
        row.cumulative_conversion = _rate(row.advanced, top_reached)
        row.win_from_stage = _rate(row.won, row.reached)
        row.drop_off = _rate(row.lost, row.reached)
        # each list sorted once, in place: the medians below read it in order
        done, going, age = finished[row.stage], running[row.stage], ages[row.stage]
        done.sort()
        going.sort()
        age.sort()
        row.days_deals = len(done)
        row.days_median = median_of_sorted(done)
        row.days_mean = mean(done)
        km = km_median_of_sorted(done, going)
        row.all_days_median, row.all_days_above, row.all_days_deals = km.median, km.above, km.observed
        row.open_now = len(age)
        row.open_age_median = median_of_sorted(age)
    return out


def _merge(target: MoneyMap, money: MoneyMap) -> None:
    for c, v in money.items():
        target[c] = target.get(c, Decimal(0)) + v


def time_in_stage(
    rows: Sequence[Row], pipeline: Pipeline, cutoff: datetime
) -> tuple[dict[str, list[float]], dict[str, list[float]], dict[str, list[float]]]:
    """Per ladder stage: each deal's days in it, all its stays added up, split into the deals
    that have left it (finished) and those in it at the cut-off (running: their days so far);
    and, of the latter, the days since they last entered it (their age in the stage)."""
    ids = [s.id for s in pipeline.stages]
    done: list[list[float]] = [[] for _ in ids]
    going: list[list[float]] = [[] for _ in ids]
    age: list[list[float]] = [[] for _ in ids]
    now = micros(cutoff)
    if rows:
        # one column per stage (zip does the transposing in C): 100,000 deals x 7 stages
        # would otherwise be 700,000 steps of a Python loop
        for i, column in enumerate(zip(*map(_STAGE_DAYS, rows), strict=True)):
            done[i] = [total for total in column if total is not None]
    for i, earlier, entered in filter(None, map(_SITTING, rows)):  # the open deals sitting in a ladder stage
        so_far = days(entered, now)
        going[i].append(earlier + so_far)
        age[i].append(so_far)
    return dict(zip(ids, done, strict=True)), dict(zip(ids, going, strict=True)), dict(zip(ids, age, strict=True))


def totals(rows: Sequence[Row], pipeline: Pipeline) -> Totals:
    t = Totals(deals=len(rows))
    won_value, lost_value, open_value = t.won_value, t.lost_value, t.open_value
    weighted: MoneyMap = {}
    cycles: list[float] = []
    default = pipeline.currency
    weights = Weights(pipeline)
    t.back_moves = sum(map(_BACK_MOVES, rows))
    for status, value, currency, cycle, probability, stage in map(_TOTALS_FIELDS, rows):
        if status == "won":
            t.won += 1
            if value is not None:
                cur = currency or default
                won_value[cur] = won_value.get(cur, ZERO) + value
            if cycle is not None:
                cycles.append(cycle)
        elif status == "lost":
            t.lost += 1
            if value is not None:
                cur = currency or default
                lost_value[cur] = lost_value.get(cur, ZERO) + value
        else:
            t.open += 1
            if value is not None:
                cur = currency or default
                open_value[cur] = open_value.get(cur, ZERO) + value
                weighted[cur] = weighted.get(cur, ZERO) + value * weights.of(probability, stage)
    t.weighted_value = {c: _cents(v) for c, v in weighted.items()}
    t.win_rate = _rate(t.won, t.won + t.lost)
    t.median_cycle_days = median(cycles)
    return t


def velocity(rows: Sequence[Row], pipeline: Pipeline) -> list[Velocity]:
    """Per currency: open deals x win rate x average won value / median days to win; and the
    textbook form, which divides by the mean days to win instead."""
    # currency -> [open, won, lost, won values, days to win], in one pass over the deals
    by_currency: dict[str, list[Any]] = {}
    default = pipeline.currency
    for status, value, currency, cycle in map(_VELOCITY_FIELDS, rows):
        tally = by_currency.get(currency or default)
        if tally is None:
            tally = by_currency[currency or default] = [0, 0, 0, [], []]
        if status == "open":
            tally[0] += 1
        elif status == "won":
            tally[1] += 1
            if value is not None:
                tally[3].append(value)
            if cycle is not None:
                tally[4].append(cycle)
        elif status == "lost":
            tally[2] += 1
    out = []
    for cur in sorted(by_currency):
        n_open, n_won, n_lost, won_values, cycles = by_currency[cur]
        rate = _rate(n_won, n_won + n_lost)
        avg = _cents(sum(won_values, Decimal(0)) / len(won_values)) if won_values else None
        cycles.sort()
        days_, mean_days = median_of_sorted(cycles), mean(cycles)
        per_day, per_day_mean = _per_day(n_open, rate, avg, days_), _per_day(n_open, rate, avg, mean_days)
        out.append(Velocity(cur, n_open, rate, avg, days_, per_day, mean_days, per_day_mean))
    return out


def _per_day(n_open: int, rate: float | None, avg: Decimal | None, days: float | None) -> Decimal | None:
    """open x win rate x average won value / days, to cents; None when a term is missing or days is 0."""
    if rate is None or avg is None or not days:
        return None
    return _cents(n_open * Decimal(str(rate)) * avg / Decimal(str(days)))


def forecast(rows: Sequence[Row], pipeline: Pipeline, as_of: date) -> list[ForecastBucket]:
    """Open deals' value and weighted value by expected close month.

    A close date before the as-of day goes to the ``past`` bucket, none to ``none``;
    neither is dropped. Order: past, the months in order, none.
    """
    buckets: dict[tuple[int, str], ForecastBucket] = {}
    of_close: dict[date | None, ForecastBucket] = {}  # a close date's bucket, found once per date
    default = pipeline.currency
    weights = Weights(pipeline)
    for close, value, currency, probability, stage in map(_FORECAST_FIELDS, _with_status(rows, "open")):
        b = of_close.get(close)
        if b is None:
            if close is None:
                key, kind, month = (2, ""), "none", None
            elif close < as_of:
                key, kind, month = (0, ""), "past", None
            else:
                month = f"{close.year:04d}-{close.month:02d}"
                key, kind = (1, month), "month"
            b = buckets.get(key)
            if b is None:
                b = buckets[key] = ForecastBucket(kind, month)
            of_close[close] = b
        b.deals += 1
        if value is not None:
            cur = currency or default
            b.value[cur] = b.value.get(cur, ZERO) + value
            b.weighted[cur] = b.weighted.get(cur, ZERO) + value * weights.of(probability, stage)
    out = [buckets[k] for k in sorted(buckets)]
    for b in out:
        b.weighted = {c: _cents(v) for c, v in b.weighted.items()}
    return out


def lost_reasons(rows: Sequence[Row], pipeline: Pipeline) -> list[LostReason]:
    """Lost deals by reason (as recorded when lost), most frequent first."""
    by_reason: dict[str | None, LostReason] = {}
    default = pipeline.currency
    for recorded, value, currency in map(_LOST_FIELDS, _with_status(rows, "lost")):
        reason = recorded.strip() if recorded else None
        x = by_reason.get(reason)
        if x is None:
            x = by_reason[reason] = LostReason(reason)
        x.deals += 1
        _add(x.value, value, currency or default)
    return sorted(by_reason.values(), key=lambda r: (-r.deals, r.reason is None, (r.reason or "").casefold()))


# -- scope and grouping --------------------------------------------------------------------
def in_cohort(row: Row, since: date | None, until: date | None, zone: tzinfo) -> bool:
    """Whether the deal was created in [since, until] (days in ``zone``, both ends included)."""
    if since is not None and row.created < micros(start_of_day(since, zone)):
        return False
    return not (until is not None and row.created >= micros(end_of_day(until, zone)))


def group_keys(row: Row, by: str) -> list[str | None]:
    if by == "owner":
        return [row.owner or None]
    if by == "source":
        return [row.source or None]
    seen: dict[str, str] = {}
    for t in row.tags:
        seen.setdefault(t.casefold(), t)
    return list(seen.values()) or [None]


def in_scope(rows: Sequence[Row], pipeline: Pipeline, spec: ReportSpec) -> list[Row]:
    """The rows a report counts: its cohort (``since``/``until``) and filters, matched at the cut-off."""
    match = spec.filters or Filters(status=None)
    if match == Filters(status=None) and spec.since is None and spec.until is None:
        return list(rows)
    zone = spec.zone_for(pipeline)
    return [r for r in rows if in_cohort(r, spec.since, spec.until, zone) and match.matches(r)]


def convert_scope(rows: Sequence[Row], pipeline: Pipeline, spec: ReportSpec, used: list[Rate]) -> list[Row]:
    """The rows with every amount in ``spec.currency`` at the rates of ``spec.rates`` (open deals
    at the as-of day's, closed ones at their closing day's: ``rates.convert_rows``), adding
    the lines of rates.yaml used to ``used``; the rows as they are without ``spec.currency``."""
    if spec.currency is None:
        return list(rows)
    table = spec.rates or RateTable()
    converted, lines = convert_rows(rows, table, spec.currency, pipeline.currency, spec.as_of, spec.zone_for(pipeline))
    used.extend(lines)
    return converted


def stale_figures(part: Iterable[Row], stale: Mapping[int, StaleDeal]) -> StaleSummary:
    """The stale deals among ``part`` counted: ``stale`` maps a row's ``id()`` to what
    ``stale.judge`` found (the deals `pipe stale` lists at the same day; docs/stale.md)."""
    found = stale.get
    return summarize([s for s in map(found, map(id, part)) if s is not None])


def build_report(deals: Iterable[Deal], pipeline: Pipeline, spec: ReportSpec | date) -> Report:
    """The whole report for the deals that match, as they stood at the cut-off.

    ``spec`` says which day, which deals and how to group them; a date alone is that
    day's report of every deal (``ReportSpec(as_of=day)``).
    """
    if not isinstance(spec, ReportSpec):
        spec = ReportSpec(as_of=spec)
    cutoff = spec.cutoff_for(pipeline)
    ladder = ladder_of(pipeline.stage_ids)
    rows: list[Row] = []
    sources: dict[int, Deal] = {}
    digests = []
    for deal in deals:
        dg = digest(deal)
        digests.append(dg)
        row = row_at(dg, ladder, cutoff)
        if row is not None:
            rows.append(row)
            sources[id(row)] = deal

    def rows_at(moments: Sequence[datetime]) -> list[list[Row]]:
        return rows_at_many(digests, ladder, moments)

    return report_from_rows(rows, pipeline, spec, lambda part: [sources[id(r)] for r in part], rows_at)


def _stale_and_totals(
    scope: Sequence[Row],
    members: Mapping[str | None, Sequence[Row]],
    folds: Sequence[str | None],
    pipeline: Pipeline,
    spec: ReportSpec,
    cutoff: datetime,
    deals_of: Callable[[Sequence[Row]], Sequence[Deal]] | None,
) -> tuple[dict[int, StaleDeal], Totals, list[Totals]]:
    """The stale deals of ``scope`` (by the id of their rows), and the totals of the whole
    and of each group of ``members`` (in ``folds`` order): the part of ``report_from_rows``
    this process works out while a child works out the rest."""
    when = AsOf(cutoff, spec.as_of)  # due dates and snoozes are compared with the as-of day
    stale: dict[int, StaleDeal] = {}
    for r in _with_status(scope, "open"):
        item = judge(r, pipeline, when)
        if item is not None:
            stale[id(r)] = item

    def of(part: Sequence[Row]) -> Totals:
        t = totals(part, pipeline)
        found = stale_figures(part, stale)
        t.stale, t.stale_value, t.overdue_next_steps = found.count, found.value, found.overdue
        touch = first_touch_figures(part, pipeline.first_touch_limit, micros(cutoff))
        t.touched, t.untouched = touch.touched, touch.untouched
        t.first_touch_median_hours, t.first_touch_mean_hours = touch.median_hours, touch.mean_hours
        t.first_touch_within_rate = touch.within
        if spec.extras is not None:
            if deals_of is None:
                raise ValueError("extra totals need the deals themselves")
            t.extra = dict(spec.extras(deals_of(part), cutoff))
        return t

    return stale, of(scope), [of(members[f]) for f in folds]


# deals in a report before a forked child works out its funnels, velocity, forecast and lost
# reasons while this process judges staleness and totals (``forking.ahead``): the two halves
# took about 0.35 s each at 100,000 deals
FIGURES_PARALLEL_FROM = 20_000


def report_from_rows(
    rows: Sequence[Row],
    pipeline: Pipeline,
    spec: ReportSpec,
    deals_of: Callable[[Sequence[Row]], Sequence[Deal]] | None = None,
    rows_at: RowsAt | None = None,
) -> Report:
    """The report from the rows of the deals at the spec's cut-off (``digest.row_at``): what
    ``build_report`` computes from deal files, and the index from what it keeps.
    ``deals_of`` gives the deals of some rows, for ``spec.extras``; ``rows_at`` the rows at
    other cut-offs, all at once, for ``spec.periods`` (the pipeline at each period's start and end)."""
    cutoff = spec.cutoff_for(pipeline)
    match = spec.filters or Filters(status=None)
    scope = in_scope(rows, pipeline, spec)
    used: list[Rate] = []
    if spec.currency is not None:
        converted = convert_scope(scope, pipeline, spec, used)
        if deals_of is not None:
            recorded = {id(new): old for new, old in zip(converted, scope, strict=True)}
            of_recorded = deals_of
            deals_of = lambda part: of_recorded([recorded[id(r)] for r in part])  # noqa: E731
        scope = converted
    by, strict = spec.by, spec.strict
    members: dict[str | None, list[Row]] = {}
    names: dict[str | None, str | None] = {}
    if by is not None:
        # a row's groups depend only on its owner, source or tags: found once per distinct value
        field_of = attrgetter("tags" if by == "tag" else by)
        parts_of: dict[Any, list[list[Row]]] = {}
        for r in scope:
            parts = parts_of.get(field_of(r))
            if parts is None:
                parts = parts_of[field_of(r)] = []
                for key in group_keys(r, by):
                    folded = key.casefold() if key is not None else None
                    names.setdefault(folded, key)  # "Anna" and "anna" are one owner, as in --owner
                    parts.append(members.setdefault(folded, []))
            for part in parts:
                part.append(r)
    folds = sorted(members, key=lambda k: (k is None, k or ""))

    def flows() -> tuple[list[StageRow], list[Velocity], list[ForecastBucket], list[LostReason], list[list[StageRow]]]:
        # the figures of the stages and the money, of the whole and of each group: a forked
        # child works them out while this process judges staleness and totals (``ahead``)
        return (
            funnel(scope, pipeline, cutoff, strict=strict),
            velocity(scope, pipeline),
            forecast(scope, pipeline, spec.as_of),
            lost_reasons(scope, pipeline),
            [funnel(members[f], pipeline, cutoff, strict=strict) for f in folds],
        )

    flowed = ahead(flows, len(scope) >= FIGURES_PARALLEL_FROM)
    try:
        stale, totals_of, group_totals = _stale_and_totals(scope, members, folds, pipeline, spec, cutoff, deals_of)
    except BaseException:
        flowed.cancel()
        raise
    the_funnel, the_velocity, the_forecast, the_reasons, group_funnels = flowed()
    stale_list = in_list_order(stale.values())
    report = Report(
        as_of=spec.as_of,
        cutoff=cutoff,
        filters={
            "owner": match.owner,
            "source": match.source,
            "tag": match.tag,
            "since": spec.since,
            "until": spec.until,
            "by": by,
            "strict": strict,
        },
        strict=strict,
        pipeline=pipeline.name,
        currency=pipeline.currency,
        totals=totals_of,
        funnel=the_funnel,
        velocity=the_velocity,
        forecast=the_forecast,
        lost_reasons=the_reasons,
        by=by,
        stale=stale_list,
        first_touch_within=pipeline.first_touch_within,
        converted_to=spec.currency,
        calibration=calibrate(scope, pipeline, strict=strict) if spec.calibration else None,
    )
    for folded, group_total, group_funnel in zip(folds, group_totals, group_funnels, strict=True):
        group = Group(names[folded], group_total, group_funnel)
        if spec.calibration:
            group.calibration = calibrate(members[folded], pipeline, strict=strict)
        report.groups.append(group)
    if spec.periods is not None:
        if rows_at is None:
            raise ValueError("figures per period need the rows at other cut-offs")
        from .periods import by_period

        report.periods = by_period(scope, rows_at, pipeline, spec, used)
    report.rates_used = sorted({r.line: r for r in used}.values(), key=lambda x: (x.day, x.base, x.quote, x.line))
    return report
