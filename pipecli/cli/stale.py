"""`pipe stale` (the morning list of deals in limbo) and `pipe snooze`."""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from ..errors import EXIT_ERROR, PipeError, WrongStatus, usage_error
from ..render import STALE_FORMATS, OutputFormat
from ..timeutil import parse_date, parse_duration
from .app import app, describe
from .common import (
    AtOpt,
    DealArg,
    NoCommitOpt,
    OutputOpt,
    OwnerOpt,
    WideOpt,
    as_of_cut,
    at_clock,
    complete_stage,
    format_option,
    indexed,
    output_for,
    owner_of,
    report_problems,
    store_from,
    who,
)
from .helptext import examples

if TYPE_CHECKING:
    from ..models import Deal
    from ..stale import AsOf, StaleDeal

MANIFEST = ".pipe-stale-files"

StaleAsOfOpt = Annotated[
    str | None,
    typer.Option(
        "--as-of",
        help="Compute as the pipeline stood at the end of this day (default: now).",
        metavar="DATE",
    ),
]


@app.command(
    epilog=examples(
        "pipe stale",
        "pipe stale --owner sarah --min-idle 2w",
        "pipe stale --format email --by-owner-dir stale-lists",
    )
)
def stale(
    ctx: typer.Context,
    as_of: StaleAsOfOpt = None,
    owner: OwnerOpt = None,
    stage: Annotated[
        list[str] | None,
        typer.Option(
            "--stage", help="Only deals in this stage; repeat for more.", metavar="STAGE", autocompletion=complete_stage
        ),
    ] = None,
    min_idle: Annotated[
        str | None,
        typer.Option("--min-idle", help="Only deals idle at least this long: 36h, 14d, 2w.", metavar="DURATION"),
    ] = None,
    fmt: Annotated[str, format_option(STALE_FORMATS)] = "table",
    wide: WideOpt = False,
    output: OutputOpt = None,
    fail_if_any: Annotated[
        bool, typer.Option("--fail-if-any", help="Exit with status 1 when some deal is stale.")
    ] = False,
    by_owner_dir: Annotated[
        Path | None,
        typer.Option(
            "--by-owner-dir",
            help="Write one file per owner into DIR instead of printing (files of owners with "
            "nothing stale any more are removed).",
            metavar="DIR",
        ),
    ] = None,
) -> None:
    """List deals in limbo: untouched, idle, overdue or without a step.

    A deal is stale when it is a new lead nobody has touched within the pipeline's
    first_touch_within, it has been idle past its stage's stale_after, its next
    step is overdue, or it has no next step (docs/stale.md). The table and the
    e-mail print nothing when no deal is stale, so cron mails only news; JSON
    prints [] and CSV its header.
    """
    from .. import actions
    from ..query import Filters
    from ..render import stale as render_stale
    from ..stale import AsOf, stale_rows

    form = OutputFormat(fmt)
    if by_owner_dir is not None and output is not None:
        raise usage_error("give --by-owner-dir DIR (a file per owner) or --output FILE, not both")
    if min_idle is not None:
        try:
            least = parse_duration(min_idle)
        except PipeError as err:
            raise usage_error(f"--min-idle: {describe(err)}") from None
    else:
        least = None
    store = store_from(ctx)  # first: the pipeline may name the time zone that dates are in
    pipeline = store.pipeline
    if as_of:
        day, moment = as_of_cut(as_of, pipeline.zone)
        cut = AsOf(moment, day)
    else:
        cut = AsOf.now()
    try:
        stages = tuple(actions.check_stage(pipeline, s) for s in stage or [])
    except PipeError as err:  # a typo in a crontab is a command-line mistake (2), not "something is stale" (1)
        raise usage_error(f"--stage: {describe(err)}") from None
    fresh = indexed(store)
    owner = owner_of(store, owner, lambda: (d.owner for d in fresh.views))
    filters = Filters(stages=stages, status="open", owner=owner)
    items = stale_rows(fresh.rows_at(cut.moment), pipeline, cut, filters=filters, min_idle=least)
    chosen = [f"owner {owner}"] if owner else []
    chosen += [f"stage {', '.join(stages)}"] if stages else []
    chosen += [f"idle at least {min_idle.strip()}"] if min_idle else []
    if by_owner_dir is not None:
        write_owner_files(by_owner_dir, items, form, when=cut, filters=chosen)
    else:
        out = output_for(ctx, wide=wide, path=output)
        out.write(render_stale.listing(items, form, out.screen, when=cut, filters=chosen), form)
    bad = report_problems(fresh.problems)
    if bad or (fail_if_any and items):
        raise typer.Exit(EXIT_ERROR)


def write_owner_files(
    directory: Path, items: list[StaleDeal], fmt: OutputFormat, *, when: AsOf, filters: Sequence[str] = ()
) -> list[Path]:
    """One file per owner with stale deals; files an earlier run wrote and this one did not
    are removed, so the folder always holds exactly today's lists."""
    from ..documents import display_path
    from ..fsio import atomic_write
    from ..render import stale as render_stale
    from ..stale import group_by_owner, owner_file_stems

    directory = directory.expanduser()
    if directory.exists() and not directory.is_dir():
        raise PipeError(f"--by-owner-dir: {display_path(directory)} is a file, not a folder")
    directory.mkdir(parents=True, exist_ok=True)
    ext = render_stale.EXTENSIONS[fmt]
    groups = group_by_owner(items)
    stems = owner_file_stems(owner for owner, _ in groups)
    written: list[Path] = []
    for owner, group in groups:
        path = directory / f"{stems[owner]}.{ext}"
        atomic_write(path, render_stale.listing(group, fmt, when=when, filters=filters))
        written.append(path)
    manifest = directory / MANIFEST
    names = {p.name for p in written}
    with contextlib.suppress(FileNotFoundError):
        for old in manifest.read_text(encoding="utf-8").splitlines():
            old = old.strip()
            if old and old not in names and "/" not in old and "\\" not in old and not old.startswith("."):
                with contextlib.suppress(FileNotFoundError):
                    (directory / old).unlink()
    atomic_write(manifest, "".join(f"{n}\n" for n in sorted(names)))
    return written


@app.command(
    epilog=examples(
        "pipe snooze acme --until +2w --reason 'champion on holiday'",
        "pipe snooze acme --until 2026-12-01 --reason 'budget in December'",
        "pipe snooze acme --clear",
    )
)
def snooze(
    ctx: typer.Context,
    deal: DealArg,
    until: Annotated[
        str | None,
        typer.Option("--until", help="Keep it off `pipe stale` until this day: ISO date, +3d, +2w.", metavar="DATE"),
    ] = None,
    reason: Annotated[
        str | None, typer.Option("--reason", help="Why, e.g. 'champion on holiday'.", metavar="TEXT")
    ] = None,
    clear: Annotated[bool, typer.Option("--clear", help="End the snooze now.")] = False,
    at: AtOpt = None,
    no_commit: NoCommitOpt = False,
) -> None:
    """Keep an open deal off the stale list until a date.

    The snooze is recorded in the deal file, with its reason.
    """
    from .. import actions

    if clear and (until or reason):
        raise usage_error("give --until and --reason, or --clear, not both")
    if not clear and not until:
        raise usage_error("--until DATE: until when? (e.g. --until 2026-04-07 or --until +2w)")
    if not clear and not (reason and reason.strip()):
        raise usage_error("--reason TEXT: say why, e.g. --reason 'champion on holiday'")
    store = store_from(ctx)
    clock = at_clock(at)
    day = clock().date()
    until_day = parse_date(until, option="--until", relative_to=day) if until else None
    if until_day is not None and until_day <= day:
        raise usage_error(
            f"--until {until_day.isoformat()} is not after {day.isoformat()}; a snooze ends on a later day"
        )

    def change(d: Deal) -> Deal:
        if not clear and d.status != "open":
            raise WrongStatus(d.id, d.status, "snooze")
        return actions.set_snooze(d, clock(d), until_day, reason.strip() if reason else None)

    by = who(store)
    old, new = store.change(
        deal,
        lambda d: actions.with_by(d, change(d), by),
        lambda _, new: (
            f"End the snooze of {new.id}"
            if new.snooze is None
            else f"Snooze {new.id} until {new.snooze.until.isoformat()}"
        ),
    )
    if clear:
        if old.snooze is None:
            typer.echo(f"{new.id} was not snoozed; nothing changed")
        else:
            typer.echo(f"ended the snooze of {new.id}")
    elif new.snooze is not None:
        typer.echo(f"snoozed {new.id} until {new.snooze.until.isoformat()}: {new.snooze.reason}")
