"""Commands that create, change and show deals."""

from __future__ import annotations

import os
import shlex
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from .. import git, render
from ..errors import EXIT_ERROR, InvalidValue, PipeError, usage_error
from ..render import Column, OutputFormat
from ..timeutil import parse_date
from .app import app, describe

if TYPE_CHECKING:
    from ..models import Deal, Pipeline
from .common import (
    AtOpt,
    DealArg,
    FormatOpt,
    OwnerOpt,
    SourceOpt,
    StageArg,
    TagOpt,
    at_clock,
    at_time,
    change_deal,
    complete_stage,
    indexed,
    interactive,
    report_problems,
    store_from,
    write,
)


# -- init -----------------------------------------------------------------------------
@app.command()
def init(
    ctx: typer.Context,
    directory: Annotated[Path, typer.Argument(help="Folder for the new pipeline (created if missing).")] = Path("."),
    stages: Annotated[
        str | None,
        typer.Option(
            help="Comma-separated stage ids, in order (default: lead,qualified,meeting,proposal,negotiation)."
        ),
    ] = None,
    currency: Annotated[str, typer.Option(help="Default currency (ISO 4217).")] = "EUR",
    name: Annotated[str, typer.Option(help="Name of the pipeline.")] = "Sales",
    use_git: Annotated[bool, typer.Option("--git", help="Also make the folder a git repository.")] = False,
) -> None:
    """Create a pipeline: pipeline.yaml, a deals/ folder and a .gitignore."""
    from .. import actions
    from ..documents import display_path
    from ..scaffold import init_pipeline

    code = actions.parse_currency(currency)
    stage_ids = [s.strip() for s in stages.split(",") if s.strip()] if stages is not None else None
    start = ctx.find_root().params.get("directory")
    if start is not None:  # -C DIR: as if started in DIR, like git -C
        directory = Path(start).expanduser() / directory
    try:
        root = init_pipeline(directory, stage_ids=stage_ids, currency=code or "EUR", name=name)
    except InvalidValue as err:
        raise usage_error(f"--{err.field}: {err.hint}") from None
    if use_git:
        git.init(root)
    typer.echo(f"created pipeline in {display_path(root)}")


# -- add ------------------------------------------------------------------------------
@app.command()
def add(
    ctx: typer.Context,
    title: Annotated[str, typer.Argument(help="What the deal is, e.g. 'Acme CRM rollout'.", show_default=False)],
    deal_id: Annotated[str | None, typer.Option("--id", help="Use this id instead of one made from the title.")] = None,
    company: Annotated[str | None, typer.Option(help="Company (the account).")] = None,
    contact: Annotated[str | None, typer.Option(help="Contact person's name.")] = None,
    email: Annotated[str | None, typer.Option(help="Contact's e-mail.")] = None,
    phone: Annotated[str | None, typer.Option(help="Contact's phone.")] = None,
    value: Annotated[str | None, typer.Option(help="Deal value, e.g. 12000 or 12000.50.")] = None,
    currency: Annotated[str | None, typer.Option(help="ISO 4217 code (default: the pipeline's).")] = None,
    stage: Annotated[
        str | None, typer.Option(help="Starting stage (default: the first).", autocompletion=complete_stage)
    ] = None,
    owner: Annotated[str | None, typer.Option(help="Who works the deal.")] = None,
    source: Annotated[str | None, typer.Option(help="Lead source: referral, website, event, ...")] = None,
    tag: Annotated[list[str] | None, typer.Option("--tag", help="A tag; repeat for more.")] = None,
    close_date: Annotated[str | None, typer.Option(help="Expected close date (ISO date).")] = None,
    probability: Annotated[
        str | None, typer.Option(help="This deal's own win probability (0..1 or 40%); default: the stage's.")
    ] = None,
    at: AtOpt = None,
) -> None:
    """Add a deal and print its id."""
    from .. import actions, ids

    store = store_from(ctx)
    pipeline = store.pipeline
    when = at_time(at)
    money = actions.parse_money(value)
    code = actions.parse_currency(currency)
    closes = parse_date(close_date, option="--close-date") if close_date else None
    prob = actions.parse_probability(probability)
    tags = [t.strip() for item in tag or [] for t in item.split(",") if t.strip()]
    with store.transaction() as tx:
        if deal_id is not None:
            new_id = ids.check_id(deal_id)
            if store.exists(new_id):
                raise usage_error(f"--id {new_id!r} is taken; choose another")
        else:
            new_id = ids.new_id(title, set(store.deal_ids()))
        deal = actions.new_deal(
            pipeline,
            deal_id=new_id,
            title=title,
            at=when,
            stage=stage,
            company=company,
            contact={"name": contact or "", "email": email or "", "phone": phone or ""},
            value=money,
            currency=code,
            owner=owner,
            source=source,
            tags=tags,
            close_date=closes,
            probability=prob,
        )
        tx.create(deal)
        tx.message = f"Add {deal.id}"
    typer.echo(deal.id)


# -- moving through the ladder -----------------------------------------------------------
@app.command()
def move(
    ctx: typer.Context,
    deal: DealArg,
    stage: StageArg,
    note: Annotated[str | None, typer.Option(help="Add a note with the move.")] = None,
    at: AtOpt = None,
) -> None:
    """Move an open deal to a stage, forward or back."""
    from .. import actions

    store = store_from(ctx)
    pipeline = store.pipeline
    when = at_clock(at)
    old, new = change_deal(
        store,
        deal,
        lambda d: actions.move(d, pipeline, stage, when(), note),
        lambda old, new: (
            f"Move {new.id}: {old.stage} -> {new.stage}" if new.stage != old.stage else f"Note on {new.id}"
        ),
    )
    if new.stage == old.stage:
        kept = "the note is added" if len(new.notes) > len(old.notes) else "nothing changed"
        typer.echo(f"{new.id} is already in {new.stage}; {kept}")
    else:
        direction = "back " if pipeline.index(new.stage) < pipeline.index(old.stage) else ""
        typer.echo(f"moved {new.id} {direction}from {old.stage} to {new.stage}")


@app.command()
def won(
    ctx: typer.Context,
    deal: DealArg,
    value: Annotated[str | None, typer.Option(help="The final value, if it changed.")] = None,
    at: AtOpt = None,
) -> None:
    """Mark a deal won (it keeps the stage it was won from)."""
    from .. import actions

    store = store_from(ctx)
    when = at_clock(at)
    money = actions.parse_money(value)
    _, new = change_deal(store, deal, lambda d: actions.won(d, when(), money), lambda _, new: f"Won {new.id}")
    shown = f" ({render.money(new.value, new.currency)})" if new.value is not None else ""
    typer.echo(f"won {new.id}{shown}")


@app.command()
def lost(
    ctx: typer.Context,
    deal: DealArg,
    reason: Annotated[str, typer.Option(help="Why it was lost: price, timing, competitor, ...", show_default=False)],
    at: AtOpt = None,
) -> None:
    """Mark a deal lost, with the reason (it keeps the stage where it was lost)."""
    from .. import actions

    if not reason.strip():
        raise usage_error("--reason: say why the deal was lost (price, timing, competitor, ...)")
    store = store_from(ctx)
    when = at_clock(at)
    _, new = change_deal(
        store, deal, lambda d: actions.lost(d, when(), reason), lambda _, new: f"Lost {new.id}: {new.lost_reason}"
    )
    typer.echo(f"lost {new.id} at {new.stage}: {new.lost_reason}")


@app.command()
def reopen(
    ctx: typer.Context,
    deal: DealArg,
    stage: Annotated[
        str | None, typer.Option(help="Reopen in this stage (default: where it closed).", autocompletion=complete_stage)
    ] = None,
    at: AtOpt = None,
) -> None:
    """Reopen a won or lost deal."""
    from .. import actions

    store = store_from(ctx)
    pipeline = store.pipeline
    when = at_clock(at)
    _, new = change_deal(
        store,
        deal,
        lambda d: actions.reopen(d, pipeline, when(), stage),
        lambda _, new: f"Reopen {new.id} in {new.stage}",
    )
    typer.echo(f"reopened {new.id} in {new.stage}")


# -- notes, next steps, fields ------------------------------------------------------------
@app.command()
def note(
    ctx: typer.Context,
    deal: DealArg,
    text: Annotated[str, typer.Argument(help="The note ('-' reads it from standard input).", show_default=False)],
    at: AtOpt = None,
) -> None:
    """Add a timestamped note to a deal."""
    import sys

    from .. import actions

    if text == "-":
        text = sys.stdin.read()
    store = store_from(ctx)
    when = at_clock(at)
    _, new = change_deal(store, deal, lambda d: actions.add_note(d, when(), text), lambda _, new: f"Note on {new.id}")
    typer.echo(f"noted on {new.id}")


@app.command(name="next")
def next_step(
    ctx: typer.Context,
    deal: DealArg,
    text: Annotated[str | None, typer.Argument(help="The next step, e.g. 'Send the proposal'.")] = None,
    due: Annotated[str | None, typer.Option(help="Due date: ISO date, today, tomorrow, +3d, +2w.")] = None,
    clear: Annotated[bool, typer.Option("--clear", help="Remove the next step.")] = False,
    at: AtOpt = None,
) -> None:
    """Set (or --clear) a deal's next step and its due date."""
    from .. import actions

    if clear and text:
        raise usage_error("give a next step or --clear, not both")
    if not clear and not text:
        raise usage_error("say what the next step is, or use --clear")
    if not clear and due is None:
        raise usage_error("--due DATE: when is the next step due? (e.g. --due +3d)")
    store = store_from(ctx)
    due_date = parse_date(due) if due else None
    when = at_clock(at)
    _, new = change_deal(
        store,
        deal,
        lambda d: actions.set_next_step(d, when(), None if clear else text, due_date),
        lambda _, new: f"Next step for {new.id}" if new.next_step else f"Clear the next step of {new.id}",
    )
    if new.next_step:
        typer.echo(f"next step for {new.id}: {new.next_step.text} (due {new.next_step.due})")
    else:
        typer.echo(f"cleared the next step of {new.id}")


@app.command(name="set")
def set_(
    ctx: typer.Context,
    deal: DealArg,
    assignments: Annotated[
        list[str],
        typer.Argument(
            help="FIELD=VALUE pairs: title, company, contact.name, contact.email, contact.phone, value, "
            "currency, owner, source, tags (comma list), close_date, probability, or a custom field. "
            "An empty VALUE clears the field.",
            show_default=False,
        ),
    ],
    at: AtOpt = None,
) -> None:
    """Set plain fields of a deal; each change is recorded in its history."""
    from .. import actions

    pairs = [actions.parse_assignment(a) for a in assignments]
    store = store_from(ctx)
    when = at_clock(at)
    old, new = change_deal(store, deal, lambda d: actions.set_fields(d, when(), pairs), _set_message)
    changed = len(new.history) - len(old.history)
    typer.echo(f"updated {new.id}: {changed} field{'s' if changed != 1 else ''} changed")


def _set_message(old: Deal, new: Deal) -> str:
    names = [h.field for h in new.history[len(old.history) :] if h.event == "changed" and h.field]
    return f"Set {', '.join(dict.fromkeys(names))} of {new.id}"


@app.command()
def edit(ctx: typer.Context, deal: DealArg, at: AtOpt = None) -> None:
    """Open a deal file in $VISUAL / $EDITOR; it is saved only if it is valid.

    A tracked field the edit changes (value, owner, close_date, ...) gets a `changed`
    entry in the history, dated at the save (or --at), as `pipe set` records it.
    """
    from .. import actions
    from ..documents import display_path, read_text
    from ..fsio import create_temp
    from ..store import parse_deal, rewritten_text

    store = store_from(ctx)
    pipeline = store.pipeline
    when = at_clock(at)
    deal_id = store.resolve(deal)
    path = store.deal_path(deal_id)
    original = read_text(path)
    editor = os.environ.get("VISUAL") or os.environ.get("EDITOR")
    if not editor:
        if not interactive():
            raise PipeError("no editor: set $EDITOR (or $VISUAL), e.g. EDITOR=nano")
        editor = "vi"
    store.state_dir.mkdir(exist_ok=True)
    fd, tmp = create_temp(store.state_dir, f"{deal_id}.", ".yaml", mode=0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(original)
    while True:
        try:
            result = subprocess.run([*shlex.split(editor), str(tmp)], check=False)
        except OSError as exc:
            tmp.unlink(missing_ok=True)
            raise PipeError(f"cannot start the editor {editor!r}: {exc.strerror}; set $EDITOR") from None
        if result.returncode != 0:
            tmp.unlink(missing_ok=True)
            raise PipeError(f"the editor exited with status {result.returncode}; nothing saved")
        edited = read_text(tmp)
        if edited == original:
            tmp.unlink(missing_ok=True)
            typer.echo(f"no change to {deal_id}")
            return
        problem = _edit_problem(path, edited, deal_id, pipeline)
        if problem is None:
            break
        typer.echo(f"pipe: {problem}", err=True)
        if interactive() and typer.confirm("Edit again?", default=True):
            continue
        raise PipeError(f"not saved; your edit is kept in {display_path(tmp)}")
    kept = f"Your version is in {display_path(tmp)}"
    with store.transaction(f"Edit {deal_id}") as tx:
        if read_text(path) != original:
            raise PipeError(f"{deal_id} changed while you edited it; not saved. {kept}")
        before, after = parse_deal(path, original), parse_deal(path, edited)
        try:
            recorded = actions.record_edit(before, after, when())
        except PipeError as err:
            raise PipeError(f"{describe(err)}; not saved. {kept}") from None
        tx.write_text(path, edited if recorded == after else rewritten_text(path, edited, after, recorded))
    tmp.unlink(missing_ok=True)
    typer.echo(f"saved {deal_id}")


def _edit_problem(path: Path, text: str, deal_id: str, pipeline: Pipeline) -> str | None:
    from ..check import check_deal
    from ..documents import display_path
    from ..store import parse_deal

    try:
        deal = parse_deal(path, text)
    except PipeError as err:
        return str(err)
    if deal.id != deal_id:
        return f"{display_path(path)}: the id cannot change in an edit (it is the file name)"
    problems = check_deal(path, text, deal, pipeline)
    return str(problems[0]) if problems else None


# -- reading -------------------------------------------------------------------------
LIST_COLUMNS = [
    Column("id", "id"),
    Column("title", "title", max_width=32),
    Column("company", "company", max_width=20),
    Column("stage", "stage"),
    Column("status", "status"),
    Column("value", "value", align="right"),
    Column("currency", "cur"),
    Column("owner", "owner", max_width=12),
    Column("next_due", "due"),
]


@app.command(name="list")
def list_(
    ctx: typer.Context,
    stage: Annotated[
        list[str] | None,
        typer.Option("--stage", help="Only deals in this stage; repeat for more.", autocompletion=complete_stage),
    ] = None,
    status: Annotated[str, typer.Option(help="open, won, lost or all.")] = "open",
    owner: OwnerOpt = None,
    source: SourceOpt = None,
    tag: TagOpt = None,
    sort: Annotated[
        str,
        typer.Option(
            help="Sort by id, title, company, stage, status, value, owner, created, close_date, "
            "activity or due; -KEY reverses."
        ),
    ] = "stage",
    fmt: FormatOpt = OutputFormat.table,
) -> None:
    """List deals (open ones unless --status says otherwise)."""
    from .. import actions
    from ..query import Filters, deal_row, sort_deals

    store = store_from(ctx)
    pipeline = store.pipeline
    if status not in ("open", "won", "lost", "all"):
        raise usage_error(f"--status {status!r}: use open, won, lost or all")
    for s in stage or []:
        word = s.strip().lower()
        if word in ("open", "won", "lost", "all") and pipeline.stage(s) is None:
            raise usage_error(f"--stage {s}: {word} is a status, not a stage; use --status {word}")
    stages = tuple(actions.check_stage(pipeline, s) for s in stage or [])
    filters = Filters(stages=stages, status=None if status == "all" else status, owner=owner, source=source, tag=tag)
    fresh = indexed(store)
    deals = sort_deals([d for d in fresh.views if filters.matches(d)], sort, pipeline)
    rows = [deal_row(d, pipeline) for d in deals]
    if fmt is OutputFormat.table or fmt is OutputFormat.markdown:
        shown = [{**r, "value": render.money(r["value"]) if r["value"] is not None else ""} for r in rows]
        write(render.render_rows(shown, LIST_COLUMNS, fmt))
    else:
        from ..query import ROW_KEYS

        write(render.render_rows(rows, LIST_COLUMNS, fmt, machine_keys=ROW_KEYS))
    if report_problems(fresh.problems):
        raise typer.Exit(EXIT_ERROR)


@app.command()
def show(
    ctx: typer.Context,
    deal: DealArg,
    fmt: Annotated[str, typer.Option("--format", "-f", help="text, json or yaml.", case_sensitive=False)] = "text",
) -> None:
    """Show everything about one deal, history and notes included."""

    store = store_from(ctx)
    d: Deal = store.load(deal)
    fmt = fmt.lower()
    if fmt == "text":
        write(render.deal_text(d, store.pipeline))
    elif fmt == "json":
        write(render.to_json(d.canonical()))
    elif fmt == "yaml":
        write(render.to_yaml(d.canonical()))
    else:
        raise usage_error(f"--format {fmt!r}: use text, json or yaml")


@app.command()
def check(ctx: typer.Context) -> None:
    """Validate every file; print `path:line: problem` lines. Exit 1 if any (a pre-commit hook).

    A `path:line: warning: ...` line (a tracked field changed by hand without a history
    entry) does not change the exit code.
    """
    from ..check import check_folder

    store = store_from(ctx)
    findings = check_folder(store)
    for p in findings:
        typer.echo(str(p))
    errors = sum(1 for p in findings if not p.warning)
    warnings = len(findings) - errors
    counts = [f"{errors} problem{'s' if errors != 1 else ''}"] if errors else []
    counts += [f"{warnings} warning{'s' if warnings != 1 else ''}"] if warnings else []
    if counts:
        typer.echo(", ".join(counts), err=True)
    if errors:
        raise typer.Exit(EXIT_ERROR)
