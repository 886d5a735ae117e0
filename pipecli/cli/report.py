"""`pipe report`: funnel, conversion, drop-off, time in stage, win rate and forecast, as of any day."""

from __future__ import annotations

from enum import Enum
from typing import Annotated

import typer

from ..errors import EXIT_ERROR, usage_error
from ..render import REPORT_FORMATS, OutputFormat
from ..timeutil import parse_date, today
from .app import app
from .common import (
    AsOfOpt,
    OutputOpt,
    OwnerOpt,
    SourceOpt,
    TagOpt,
    WideOpt,
    as_of_cut,
    currency_option,
    format_option,
    indexed,
    output_for,
    owner_of,
    report_problems,
    store_from,
)
from .helptext import examples


class PeriodUnit(str, Enum):
    week = "week"
    month = "month"
    quarter = "quarter"
    year = "year"


class GroupBy(str, Enum):
    owner = "owner"
    source = "source"
    tag = "tag"


@app.command(
    epilog=examples(
        "pipe report --period month --since 2026-01-01",
        "pipe report --by owner --currency EUR --calibration",
        "pipe report --format html -o report.html",
    )
)
def report(
    ctx: typer.Context,
    as_of: AsOfOpt = None,
    since: Annotated[
        str | None,
        typer.Option(
            "--since", help="Only deals created on or after this day (--period: the first period).", metavar="DATE"
        ),
    ] = None,
    until: Annotated[
        str | None,
        typer.Option(
            "--until", help="Only deals created on or before this day (--period: the last period).", metavar="DATE"
        ),
    ] = None,
    period: Annotated[
        PeriodUnit | None,
        typer.Option(
            "--period",
            help="A column per week, month, quarter or year, with a trend and the forecast graded.",
            case_sensitive=False,
            metavar="UNIT",
        ),
    ] = None,
    owner: OwnerOpt = None,
    source: SourceOpt = None,
    tag: TagOpt = None,
    by: Annotated[
        GroupBy | None,
        typer.Option(
            "--by", help="Repeat the funnel and totals per owner, source or tag.", case_sensitive=False, metavar="FIELD"
        ),
    ] = None,
    strict: Annotated[
        bool,
        typer.Option(
            "--strict", help="Count a deal only through the stages it entered in order, up to its first skip."
        ),
    ] = False,
    currency: Annotated[
        str | None,
        typer.Option(
            "--currency",
            help="Every amount in this currency, at the rates of rates.yaml (won and lost: of their day).",
            metavar="CODE",
        ),
    ] = None,
    calibration: Annotated[
        bool,
        typer.Option(
            "--calibration",
            help="Also each stage's probability against the share of closed deals won from it.",
        ),
    ] = False,
    fmt: Annotated[str, format_option(REPORT_FORMATS)] = "table",
    wide: WideOpt = False,
    output: OutputOpt = None,
) -> None:
    """Report funnel, win rate, velocity and forecast as of a day.

    The funnel, conversion and drop-off by stage, time in stage, lost deals and
    their value, win rate, sales velocity and the forecast by expected close.
    Definitions of every number: docs/metrics.md; --format json is a versioned
    contract for scripts; --format html is one self-contained page for a mail.
    """
    from ..periods import MAX_PERIODS, PeriodSpec, TooManyPeriods, spans
    from ..query import Filters
    from ..render.report import render_report
    from ..report import ReportSpec, report_from_rows

    form = OutputFormat(fmt)
    store = store_from(ctx)  # first: the pipeline may name the time zone that dates are in
    day, cut = as_of_cut(as_of, store.pipeline.zone) if as_of else (today(), None)
    first = parse_date(since, option="--since", relative_to=day) if since else None
    last = parse_date(until, option="--until", relative_to=day) if until else None
    if first and last and first > last:
        raise usage_error(f"--since {first.isoformat()} is after --until {last.isoformat()}; swap them")
    periods = None
    if period is not None:  # --since and --until choose the periods, not a cohort
        periods = PeriodSpec(period.value, first, last)
        first = last = None
        if periods.since is not None and periods.since > day:
            raise usage_error(f"--since {periods.since.isoformat()} is after the as-of day {day.isoformat()}")
        try:
            spans(periods, day)
        except TooManyPeriods as err:
            raise usage_error(
                f"--since {periods.since} gives {err.count:,} {err.unit}s, at most {MAX_PERIODS}:"
                " choose a later --since or a longer --period"
            ) from None
    target = currency_option(currency) if currency is not None else None
    pipeline = store.pipeline
    rates = None
    if target is not None:
        from ..rates import load_rates

        rates = load_rates(store.root)
    fresh = indexed(store)
    owner = owner_of(store, owner, lambda: (d.owner for d in fresh.views))
    spec = ReportSpec(
        as_of=day,
        cutoff=cut,
        zone=pipeline.zone,
        filters=Filters(status=None, owner=owner, source=source, tag=tag),
        since=first,
        until=last,
        by=by.value if by else None,
        strict=strict,
        periods=periods,
        currency=target,
        rates=rates,
        calibration=calibration,
    )
    result = report_from_rows(fresh.rows_at(spec.cutoff_for(pipeline)), pipeline, spec, rows_at=fresh.rows_at_many)
    out = output_for(ctx, wide=wide, path=output)
    out.write(render_report(result, form, screen=out.screen), form)
    if report_problems(fresh.problems):
        raise typer.Exit(EXIT_ERROR)
