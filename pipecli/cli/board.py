"""`pipe board`: the open deals as cards in a column per stage."""

from __future__ import annotations

from typing import Annotated

import typer

from ..errors import EXIT_ERROR, usage_error
from .app import app
from .common import (
    OwnerOpt,
    SourceOpt,
    TagOpt,
    as_of_cut,
    indexed,
    output_for,
    owner_of,
    report_problems,
    store_from,
)
from .helptext import examples

SORT_CHOICES = ("value", "age")  # pipecli.board.SORTS; listed here so help needs no import of the library
MIN_WIDTH = 20


def _sort(value: str) -> str:
    choice = value.strip().lower()
    if choice not in SORT_CHOICES:
        raise usage_error(f"--sort {value!r}: use value (largest first) or age (longest in the stage first)")
    return choice


def _width(value: int | None) -> int | None:
    if value is not None and not MIN_WIDTH <= value <= 10_000:
        raise usage_error(f"--width {value}: give a width of at least {MIN_WIDTH} columns")
    return value


@app.command(
    epilog=examples(
        "pipe board",
        "pipe board --owner sarah --sort age",
        "pipe board --as-of 2026-11-20 --width 160 > board.txt",
    )
)
def board(
    ctx: typer.Context,
    as_of: Annotated[
        str | None,
        typer.Option(
            "--as-of", help="Show the board as it stood at the end of this day (default: now).", metavar="DATE"
        ),
    ] = None,
    owner: OwnerOpt = None,
    source: SourceOpt = None,
    tag: TagOpt = None,
    sort: Annotated[
        str,
        typer.Option(
            "--sort",
            help="Order of the cards: value (largest first, by currency) or age (longest in the stage first).",
            metavar="ORDER",
            callback=_sort,
            autocompletion=lambda: list(SORT_CHOICES),
        ),
    ] = "value",
    width: Annotated[
        int | None,
        typer.Option(
            "--width",
            help="Fit the board in N columns (default: the terminal's width; into a file, every stage in one row).",
            metavar="N",
            callback=_width,
        ),
    ] = None,
) -> None:
    """Show open deals as cards in a column per stage.

    Each card shows the title, company, value, owner and days in the stage; a
    stale deal is marked "! stale", an overdue next step "! overdue" (in colour
    on a terminal). Columns that do not fit side by side wrap into rows.
    """
    from ..board import board_from_rows
    from ..query import Filters
    from ..render.board import render_board
    from ..stale import AsOf

    store = store_from(ctx)  # first: the pipeline may name the time zone that dates are in
    pipeline = store.pipeline
    if as_of:
        day, moment = as_of_cut(as_of, pipeline.zone)
        when = AsOf(moment, day)
    else:
        when = AsOf.now()
    fresh = indexed(store)
    owner = owner_of(store, owner, lambda: (v.owner for v in fresh.views))
    filters = Filters(status=None, owner=owner, source=source, tag=tag)
    result = board_from_rows(fresh.rows_at(when.moment), pipeline, when, filters=filters, sort=sort)
    out = output_for(ctx)
    out.write(render_board(result, out.screen, width=width))
    if report_problems(fresh.problems):
        raise typer.Exit(EXIT_ERROR)
