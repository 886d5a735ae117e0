"""`pipe search`: find deals by their text, whatever the case and the accents."""

from __future__ import annotations

from typing import Annotated

import typer

from .. import render
from ..errors import EXIT_ERROR, usage_error
from ..render import OutputFormat
from .app import app
from .common import (
    OutputOpt,
    OwnerOpt,
    Progress,
    SourceOpt,
    TagOpt,
    WideOpt,
    complete_stage,
    format_option,
    output_for,
    report_problems,
    store_from,
)
from .helptext import examples

SEARCH_FORMATS = render.LISTING_FORMATS
STATUSES = ("open", "won", "lost", "all")


@app.command(
    epilog=examples(
        "pipe search zazolc",
        "pipe search caffè --status won --owner giulia",
        "pipe search '\"whole team\"' --status open --format json",
    )
)
def search(
    ctx: typer.Context,
    text: Annotated[
        list[str],
        typer.Argument(
            help='What to find: every word somewhere in the deal; "a phrase" in double quotes as one.',
            metavar="TEXT",
            show_default=False,
        ),
    ],
    stage: Annotated[
        list[str] | None,
        typer.Option(
            "--stage", help="Only deals in this stage; repeat for more.", autocompletion=complete_stage, metavar="STAGE"
        ),
    ] = None,
    status: Annotated[str, typer.Option(help="open, won, lost or all.", metavar="STATUS")] = "all",
    owner: OwnerOpt = None,
    source: SourceOpt = None,
    tag: TagOpt = None,
    fmt: Annotated[str, format_option(SEARCH_FORMATS)] = "table",
    wide: WideOpt = False,
    output: OutputOpt = None,
) -> None:
    """Find deals by their text, whatever the case and accents.

    Looks in the title, company, contact, e-mail, phone, tags, lost reason, next step
    and notes; shows each deal found with every text that matched, in context. Exit 0
    when something is found, 1 when nothing is (as grep), 2 for a wrong command line.
    """
    from .. import actions
    from ..query import Filters, sort_deals
    from ..render.search import render as render_search
    from ..search import matches, parse_query
    from ..textindex import refresh

    form = OutputFormat(fmt)
    terms = parse_query(" ".join(text))
    if not terms:
        raise usage_error("nothing to search for: give a word, or a phrase in double quotes")
    if status not in STATUSES:
        raise usage_error(f"--status {status!r}: use open, won, lost or all")
    store = store_from(ctx)
    pipeline = store.pipeline
    stages = tuple(actions.check_stage(pipeline, s) for s in stage or [])
    filters = Filters(stages=stages, status=None if status == "all" else status, owner=owner, source=source, tag=tag)
    progress = Progress("reading deals")
    try:
        fresh = store.index(progress, texts=True)
        found = refresh(store, fresh, progress).texts
    finally:
        progress.clear()
    hits = {}
    for pos, view in fresh.views_at(found.find(terms)).items():  # the views of the deals found alone
        if not filters.matches(view):
            continue
        matched = matches(found.items(pos), terms)
        if matched:
            hits[view.id] = (view, matched)
    ordered = sort_deals([v for v, _ in hits.values()], "stage", pipeline)
    results = [hits[v.id] for v in ordered]
    out = output_for(ctx, wide=wide, path=output)
    out.write(render_search(results, form, out.screen), form)
    if report_problems(fresh.problems) or not results:
        raise typer.Exit(EXIT_ERROR)
