"""`pipe agenda`: a seller's day, the next steps due and the new leads not yet touched."""

from __future__ import annotations

from typing import Annotated

import typer

from ..errors import EXIT_ERROR, usage_error
from ..render import AGENDA_FORMATS, OutputFormat
from ..timeutil import parse_date
from .app import app
from .common import (
    OutputOpt,
    OwnerOpt,
    WideOpt,
    format_option,
    indexed,
    output_for,
    owner_of,
    report_problems,
    store_from,
)
from .helptext import examples

MAX_DAYS = 3660  # pipecli.agenda.MAX_DAYS, without importing it at start-up


@app.command(
    epilog=examples(
        "env PIPE_USER=sarah@example.com pipe agenda --owner me",
        "pipe agenda --days 14 --format markdown",
        "pipe agenda --owner sarah --format ics --output next-steps.ics",
    )
)
def agenda(
    ctx: typer.Context,
    owner: OwnerOpt = None,
    days: Annotated[
        int,
        typer.Option(
            "--days",
            help="How many days after today the upcoming steps cover.",
            metavar="N",
            min=0,
            max=MAX_DAYS,
        ),
    ] = 7,
    as_of: Annotated[
        str | None,
        typer.Option("--as-of", help="The agenda of this day, as it stood at its end (default: now).", metavar="DATE"),
    ] = None,
    fmt: Annotated[str, format_option(AGENDA_FORMATS)] = "table",
    wide: WideOpt = False,
    output: OutputOpt = None,
) -> None:
    """Show the next steps due and the new leads not yet touched.

    Next steps grouped overdue, today and the next N days (each with the deal, its
    company, stage, value and owner), then the open deals nobody has touched past
    the pipeline's first_touch_within (docs/stale.md, "The agenda"). --format ics
    writes the steps as an iCalendar file a calendar app can subscribe to.
    """
    from ..agenda import build_agenda
    from ..render.agenda import render_agenda
    from ..stale import AsOf

    form = OutputFormat(fmt)
    store = store_from(ctx)  # first: the pipeline may name the time zone that dates are in
    pipeline = store.pipeline
    cut = AsOf.end_of(parse_date(as_of, option="--as-of"), pipeline.zone) if as_of else AsOf.now()
    if not 0 <= days <= MAX_DAYS:  # typer checks it too; a caller of the function may not
        raise usage_error(f"--days {days}: give a number of days from 0 to {MAX_DAYS}")
    fresh = indexed(store)
    owner = owner_of(store, owner, lambda: (d.owner for d in fresh.views))
    result = build_agenda(fresh.rows_at(cut.moment), pipeline, cut, days=days, owner=owner)
    out = output_for(ctx, wide=wide, path=output)
    out.write(render_agenda(result, form, screen=out.screen, name=pipeline.name, stamp=cut.moment), form)
    if report_problems(fresh.problems):
        raise typer.Exit(EXIT_ERROR)
