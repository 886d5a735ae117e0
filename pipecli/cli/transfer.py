"""`pipe import` and `pipe export`: CSV files in, CSV, JSON, JSON Lines or SQLite out."""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path
from typing import Annotated

import typer

from .. import importing
from ..errors import EXIT_ERROR, PipeError, usage_error
from ..render import ExportFormat, OutputFormat
from ..timeutil import parse_date
from .app import app
from .common import (
    AtOpt,
    NoCommitOpt,
    OwnerOpt,
    Progress,
    SourceOpt,
    TagOpt,
    as_of_date,
    at_time,
    complete_stage,
    currency_option,
    format_option,
    indexed,
    owner_of,
    report_problems,
    screen_for,
    store_from,
    who,
    write,
)
from .helptext import examples


def _import_progress(label: str, total: int) -> Progress:
    """`importing [###...] 1200/8800` on standard error from the start, when it is a terminal
    and the file has 500 rows or more."""
    on = total >= 500 and sys.stderr is not None and sys.stderr.isatty()
    return Progress(label, after=0.0, total=total, on=on)


EXPORT_FORMATS = tuple(OutputFormat(f.value) for f in ExportFormat)
STDIN_NAME = "<stdin>"  # how messages name the file of `pipe import -`


@app.command(
    name="import",
    epilog=examples(
        "pipe import leads.csv --map title=Name --map value=Amount --default-date 2026-11-01 --dry-run",
        "pipe import leads.csv --map title=Name --map value=Amount --default-date 2026-11-01",
        "pipe export --status won | pipe import - --dry-run",
    ),
)
def import_(
    ctx: typer.Context,
    file: Annotated[
        Path,
        typer.Argument(
            help="The CSV file (UTF-8, UTF-16 with a byte order mark, or --encoding; comma, semicolon or tab "
            "separated, or --delimiter); - reads standard input.",
            metavar="FILE",
            show_default=False,
        ),
    ],
    preset: Annotated[
        str | None,
        typer.Option(
            help=f"A known file shape: {', '.join(importing.built_in_preset_names())}, or presets/NAME.yaml "
            "of the pipeline folder (default: pipe, the columns of `pipe export`). See docs/import.md.",
            metavar="NAME",
        ),
    ] = None,
    maps: Annotated[
        list[str] | None,
        typer.Option(
            "--map",
            help="Fill a deal field from a column (or a template like '{First} {Last}'); "
            "repeat; adds to the preset's mappings, FIELD= drops one. See docs/import.md.",
            metavar="FIELD=COLUMN",
        ),
    ] = None,
    date_format: Annotated[
        str | None,
        typer.Option(
            help="strptime format of the file's dates, e.g. %m/%d/%Y (ISO 8601 is always understood).", metavar="FMT"
        ),
    ] = None,
    stage_map: Annotated[
        list[str] | None,
        typer.Option(
            "--stage-map",
            help="A stage column value and the stage it means; VALUE= means 'not a stage, use the dates'.",
            metavar="VALUE=STAGE",
        ),
    ] = None,
    status_map: Annotated[
        list[str] | None,
        typer.Option(
            "--status-map",
            help="A status column value and the status it means (open, won, lost); *=STATUS for any other value.",
            metavar="VALUE=STATUS",
        ),
    ] = None,
    default_date: Annotated[
        str | None,
        typer.Option(
            help="Creation date for rows that have no date at all (without it such rows fail).", metavar="DATE"
        ),
    ] = None,
    lost_reason: Annotated[
        str, typer.Option(help="Lost reason for lost rows that have none.", metavar="TEXT")
    ] = importing.DEFAULT_LOST_REASON,
    delimiter: Annotated[
        str | None,
        typer.Option(help="The column delimiter: one character, or tab (default: told from the file).", metavar="CHAR"),
    ] = None,
    encoding: Annotated[
        str | None,
        typer.Option(
            help="The file's encoding, e.g. cp1252 or cp1250 for Excel's plain CSV (default: UTF-8, or UTF-16 "
            "with a byte order mark).",
            metavar="NAME",
        ),
    ] = None,
    decimal_comma: Annotated[
        bool,
        typer.Option(
            "--decimal-comma", help="Amounts have a decimal comma and points or spaces between thousands: 12.000,50."
        ),
    ] = False,
    update: Annotated[
        bool, typer.Option("--update", help="Update deals imported before (same source id) instead of skipping them.")
    ] = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Check and count; write nothing.")] = False,
    strict: Annotated[bool, typer.Option("--strict", help="Write nothing if any row fails.")] = False,
    at: AtOpt = None,
    no_commit: NoCommitOpt = False,
) -> None:
    """Import deals from a CSV file; safe to run again.

    Each deal's history is rebuilt from the file's dates; a second run skips (or
    with --update, updates) the deals it imported before.
    Prints every row that cannot be imported as FILE:LINE: reason on standard error,
    imports the rest (unless --strict), and ends with a summary line. Exit code 1 if
    any row failed.
    """
    from .. import actions
    from ..documents import display_path

    store = store_from(ctx)
    pipeline = store.pipeline
    when = at_time(at)
    options = importing.Options(
        preset=preset,
        maps=tuple(importing.parse_pairs(maps or [], "--map")),
        date_format=date_format,
        stage_map=tuple(importing.parse_pairs(stage_map or [], "--stage-map")),
        status_map=tuple(importing.parse_pairs(status_map or [], "--status-map")),
        default_date=parse_date(default_date, option="--default-date", relative_to=when) if default_date else None,
        lost_reason=lost_reason.strip() or importing.DEFAULT_LOST_REASON,
        decimal_comma=decimal_comma,
    )
    sep = importing.delimiter_of(delimiter) if delimiter is not None else None
    from_stdin = str(file) == "-"
    if from_stdin:
        file = Path(STDIN_NAME)
        header, rows = importing.read_csv(file, sys.stdin.buffer.read(), delimiter=sep, encoding=encoding)
    else:
        header, rows = importing.read_csv(file, delimiter=sep, encoding=encoding)
    cmap = importing.resolve(header, options, pipeline, store.root)
    progress = _import_progress("importing", len(rows))
    with store.transaction() as tx:
        deal_ids = store.deal_ids()
        keys = importing.existing_keys(store, deal_ids) if cmap.key_field == "external_id" else {}
        result = importing.plan(
            rows,
            cmap,
            pipeline,
            existing_ids=set(deal_ids),
            existing_keys=keys,
            load=store.read,
            update=update,
            at=when,
            progress=progress,
            columns=len(header),
        )
        progress.clear()
        where = display_path(file)
        for failure in result.failures:
            typer.echo(f"pipe: {where}:{failure.line}: {failure.message}", err=True)
        blocked = strict and bool(result.failures)
        if not dry_run and not blocked:
            tx.message = import_message(
                len(result.creates), len(result.updates), "standard input" if from_stdin else file.name
            )
            by = who(store)
            result.creates = [actions.with_by(None, d, by) for d in result.creates]
            result.updates = [(old, actions.with_by(old, new, by)) for old, new in result.updates]
            writing = _import_progress("writing", len(result.creates))
            try:
                importing.apply(store, result, progress=writing)
            finally:
                writing.clear()
    summary = result.summary(dry_run=dry_run or blocked)
    if blocked:
        typer.echo(f"{where}: nothing written (--strict and {len(result.failures)} failed): {summary}")
    elif dry_run:
        typer.echo(f"{where}: dry run, nothing written: {summary}")
    else:
        typer.echo(f"{where}: {summary}")
    if result.failures:
        raise typer.Exit(EXIT_ERROR)


def import_message(created: int, updated: int, name: str) -> str:
    """What an import changed, as a person would say it: "Import 8,800 deals from sales.csv"."""

    def deals(n: int) -> str:
        return f"{n:,} deal{'s' if n != 1 else ''}"

    if created and updated:
        return f"Import {deals(created)} and update {updated:,} from {name}"
    if updated:
        return f"Update {deals(updated)} from {name}"
    return f"Import {deals(created)} from {name}"


@app.command(
    name="export",
    epilog=examples(
        "pipe export > deals.csv",
        "pipe export --status won --format jsonl | jq -r .title",
        "pipe export --format sqlite --output pipeline.db",
    ),
)
def export_(
    ctx: typer.Context,
    fmt_name: Annotated[str, format_option(EXPORT_FORMATS)] = "csv",
    output: Annotated[
        Path | None,
        typer.Option(
            "--output", "-o", help="Write to this file (default: standard output; sqlite needs a file).", metavar="PATH"
        ),
    ] = None,
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
    currency: Annotated[
        str | None,
        typer.Option(
            "--currency",
            help="CSV and TSV: add each value in this currency (rates.yaml; closed deals at their day's rate).",
            metavar="CODE",
        ),
    ] = None,
) -> None:
    """Export deals as CSV, TSV, JSON, JSON Lines or SQLite.

    All deals unless filtered. The CSV (and TSV) imports again with `pipe import`;
    docs/export.md lists its columns and the SQLite tables.
    """
    from .. import actions, export
    from ..documents import display_path
    from ..fsio import write_output
    from ..query import Filters, select

    fmt = ExportFormat(OutputFormat(fmt_name).value)
    store = store_from(ctx)
    pipeline = store.pipeline
    if status not in ("open", "won", "lost", "all"):
        raise usage_error(f"--status {status!r}: use open, won, lost or all")
    if fmt is ExportFormat.sqlite and (output is None or str(output) == "-"):
        raise usage_error("--format sqlite writes a database file: give --output FILE.db")
    target = None
    if currency is not None:
        target = currency_option(currency)
        if fmt not in (ExportFormat.csv, ExportFormat.tsv):
            raise usage_error("--currency adds columns to csv and tsv; json, jsonl and sqlite keep the files' amounts")
    stages = tuple(actions.check_stage(pipeline, s) for s in stage or [])
    some = Filters(stages=stages, status=None if status == "all" else status, owner=owner, source=source, tag=tag)
    if some.as_dict():
        # only the files of the deals the filters keep, which the index's listing views tell
        # (as `pipe list` filters them), not every deal file
        fresh = indexed(store, want=("views",))
        views = fresh.views
        owner = owner_of(store, owner, lambda: (v.owner for v in views))
        filters = replace(some, owner=owner)
        loaded = store.load_all(only={name for name, v in zip(fresh.names, views, strict=True) if filters.matches(v)})
        loaded.problems[:0] = fresh.problems
    else:
        loaded = store.load_all()
        filters = some
    deals = sorted(select(loaded.deals, filters), key=lambda d: d.id)
    if output is not None and str(output) != "-" and output.is_dir():
        raise PipeError(f"cannot write {display_path(output)}: it is a folder; give a file name")
    try:
        if fmt is ExportFormat.sqlite:
            assert output is not None
            export.write_sqlite(deals, pipeline, output)
        else:
            if fmt in (ExportFormat.csv, ExportFormat.tsv):
                extra = None
                if target is not None:
                    from ..rates import load_rates

                    table = load_rates(store.root)
                    extra = export.converted_columns(deals, pipeline, table, target, as_of_date(None), pipeline.zone)
                text = export.to_csv(deals, pipeline, tabs=fmt is ExportFormat.tsv, extra=extra)
            elif fmt is ExportFormat.json:
                text = export.to_json(deals)
            else:
                text = export.to_jsonl(deals)
            if output is None or str(output) == "-":
                write(text, fmt=OutputFormat(fmt.value), screen=screen_for(ctx))
            else:
                write_output(output, text)
    except OSError as err:
        if output is None or str(output) == "-" or isinstance(err, BrokenPipeError):
            raise
        # the temporary file next to it is an implementation detail: name the file asked for
        raise PipeError(f"cannot write {display_path(output)}: {err.strerror or err}") from None
    if output is not None and str(output) != "-":
        typer.echo(f"exported {len(deals)} deal{'s' if len(deals) != 1 else ''} to {display_path(output)}", err=True)
    if report_problems(loaded.problems):
        raise typer.Exit(EXIT_ERROR)
