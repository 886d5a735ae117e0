"""`pipe report`: funnel, conversion, drop-off, time in stage, win rate and forecast, as of any day."""

from __future__ import annotations

from enum import Enum
from typing import Annotated

import typer

from ..errors import EXIT_ERROR, usage_error
from ..render import REPORT_FORMATS, OutputFormat
from ..timeutil import parse_date
from .app import app
from .common import (
    AsOfOpt,
    OutputOpt,
    OwnerOpt,
    SourceOpt,
    TagOpt,
    WideOpt,
    as_of_date,
    currency_option,
    format_option,
    indexed,
    output_for,
    report_problems,
    store_from,
)
from .helptext import examples


class GroupBy(str, Enum):
    owner = "owner"
    source = "source"
    tag = "tag"


@app.command(
    epilog=examples(
        "pipe report --as-of 2026-06-30 --by owner",
        "pipe report --format html -o report.html",
        "pipe report --currency EUR --calibration",
    )
)
def report(
    ctx: typer.Context,
    as_of: AsOfOpt = None,
    since: Annotated[
        str | None, typer.Option("--since", help="Only deals created on or after this day.", metavar="DATE")
    ] = None,
    until: Annotated[
        str | None, typer.Option("--until", help="Only deals created on or before this day.", metavar="DATE")
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
    from ..query import Filters
    from ..render.report import render_report
    from ..report import ReportSpec, report_from_rows

    form = OutputFormat(fmt)
    store = store_from(ctx)  # first: the pipeline may name the time zone that dates are in
    day = as_of_date(as_of)
    first = parse_date(since, option="--since") if since else None
    last = parse_date(until, option="--until") if until else None
    if first and last and first > last:
        raise usage_error(f"--since {first.isoformat()} is after --until {last.isoformat()}; swap them")
    target = currency_option(currency) if currency is not None else None
    pipeline = store.pipeline
    rates = None
    if target is not None:
        from ..rates import load_rates

        rates = load_rates(store.root)
    fresh = indexed(store)
    spec = ReportSpec(
        as_of=day,
        zone=pipeline.zone,
        filters=Filters(status=None, owner=owner, source=source, tag=tag),
        since=first,
        until=last,
        by=by.value if by else None,
        strict=strict,
        currency=target,
        rates=rates,
        calibration=calibration,
    )
    result = report_from_rows(fresh.rows_at(spec.cutoff_for(pipeline)), pipeline, spec)
    out = output_for(ctx, wide=wide, path=output)
    out.write(render_report(result, form, screen=out.screen), form)
    if report_problems(fresh.problems):
        raise typer.Exit(EXIT_ERROR)
