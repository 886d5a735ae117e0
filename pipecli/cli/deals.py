"""Commands that create, change and show deals."""

from __future__ import annotations

import os
import shlex
import subprocess
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from .. import render
from ..errors import EXIT_ERROR, InvalidValue, PipeError, usage_error
from ..render import Column, OutputFormat
from ..timeutil import parse_date, today
from .app import app, describe
from .common import (
    AtOpt,
    DealArg,
    NoCommitOpt,
    OutputOpt,
    OwnerOpt,
    SourceOpt,
    StageArg,
    TagOpt,
    WideOpt,
    at_clock,
    at_time,
    change_deal,
    complete_stage,
    format_option,
    indexed,
    interactive,
    notify,
    output_for,
    owner_of,
    read_stdin,
    report_problems,
    screen_for,
    store_from,
    who,
    write,
)
from .helptext import examples

if TYPE_CHECKING:
    from ..models import Deal, Pipeline


# -- init -----------------------------------------------------------------------------
@app.command(
    epilog=examples(
        "pipe init ~/sales --git",
        "pipe init ~/sprzedaz --stages intro,demo,trial,offer --currency PLN",
        "cd ~/sales && pipe add 'First deal' --value 5000",
    )
)
def init(
    ctx: typer.Context,
    directory: Annotated[
        Path, typer.Argument(help="Folder for the new pipeline (created if missing).", metavar="DIR")
    ] = Path("."),
    stages: Annotated[
        str | None,
        typer.Option(
            help="Comma-separated stage ids, in order (default: lead,qualified,meeting,proposal,negotiation).",
            metavar="IDS",
        ),
    ] = None,
    currency: Annotated[str, typer.Option(help="Default currency (ISO 4217).", metavar="CODE")] = "EUR",
    name: Annotated[str, typer.Option(help="Name of the pipeline.", metavar="NAME")] = "Sales",
    use_git: Annotated[
        bool,
        typer.Option(
            "--git",
            help="Also make the folder a git repository (unless it is in one), with pipe check --staged "
            "as its pre-commit hook.",
        ),
    ] = False,
    no_commit: NoCommitOpt = False,
) -> None:
    """Create a pipeline: pipeline.yaml, deals/ and git settings.

    Also a .gitignore and a .gitattributes. In a git work tree (--git makes one) it
    registers pipe's merge driver for deal files and commits the new files.
    """
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
    typer.echo(f"created pipeline in {display_path(root)}")
    _init_git(root, name, use_git=use_git, commit=not no_commit)


def _init_git(root: Path, name: str, *, use_git: bool, commit: bool) -> None:
    """A new pipeline in git: the repository (--git), the merge driver, the pre-commit
    hook (--git) and a first commit of the new files."""
    from .. import git
    from ..store import PIPELINE_FILE

    repo = git.init(root) if use_git else git.Repo.find(root)
    if repo is None:
        return
    try:
        repo.ensure_driver()
        if use_git and git.install_hook(repo, root) is None:
            notify("the repository has a pre-commit hook already: add `pipe check --staged` to it (see docs/team.md)")
        if commit:
            files = [root / PIPELINE_FILE, root / ".gitignore", root / ".gitattributes"]
            message = f"Create the pipeline {name.strip()}"
            repo.commit(files, message, reflog=f"pipe init: {message}")
    except git.GitError as err:
        notify(f"the pipeline is created but not committed: {err.message}")


# -- add ------------------------------------------------------------------------------
@app.command(
    epilog=examples(
        'pipe add "Acme CRM rollout" --company Acme --value 12000 --owner sarah',
        'pipe add "Zażółć Sp. z o.o. pilot" --value 8000 --currency PLN --tag pilot --close-date 2026-12-31',
        'pipe add "Walk-in from the fair" --stage meeting --at 2026-11-21T10:15',
    )
)
def add(
    ctx: typer.Context,
    title: Annotated[
        str, typer.Argument(help="What the deal is, e.g. 'Acme CRM rollout'.", show_default=False, metavar="TITLE")
    ],
    deal_id: Annotated[
        str | None, typer.Option("--id", help="Use this id instead of one made from the title.", metavar="ID")
    ] = None,
    company: Annotated[str | None, typer.Option(help="Company (the account).", metavar="NAME")] = None,
    contact: Annotated[str | None, typer.Option(help="Contact person's name.", metavar="NAME")] = None,
    email: Annotated[str | None, typer.Option(help="Contact's e-mail.", metavar="ADDRESS")] = None,
    phone: Annotated[str | None, typer.Option(help="Contact's phone.", metavar="NUMBER")] = None,
    value: Annotated[str | None, typer.Option(help="Deal value, e.g. 12000 or 12000.50.", metavar="AMOUNT")] = None,
    currency: Annotated[
        str | None, typer.Option(help="ISO 4217 code (default: the pipeline's).", metavar="CODE")
    ] = None,
    stage: Annotated[
        str | None,
        typer.Option(help="Starting stage (default: the first).", autocompletion=complete_stage, metavar="STAGE"),
    ] = None,
    owner: Annotated[str | None, typer.Option(help="Who works the deal.", metavar="NAME")] = None,
    source: Annotated[
        str | None, typer.Option(help="Lead source: referral, website, event, ...", metavar="SOURCE")
    ] = None,
    tag: Annotated[list[str] | None, typer.Option("--tag", help="A tag; repeat for more.", metavar="TAG")] = None,
    close_date: Annotated[str | None, typer.Option(help="Expected close date (ISO date).", metavar="DATE")] = None,
    probability: Annotated[
        str | None,
        typer.Option(help="This deal's own win probability (0..1 or 40%); default: the stage's.", metavar="P"),
    ] = None,
    at: AtOpt = None,
    no_commit: NoCommitOpt = False,
) -> None:
    """Add a deal and print its id."""
    from .. import actions, ids

    store = store_from(ctx)
    pipeline = store.pipeline
    when = at_time(at)
    money = actions.parse_money(value)
    code = actions.parse_currency(currency)
    closes = parse_date(close_date, option="--close-date", relative_to=when) if close_date else None
    prob = actions.parse_probability(probability)
    tags = [t.strip() for item in tag or [] for t in item.split(",") if t.strip()]
    by = who(store)
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
        deal = actions.with_by(None, deal, by)
        tx.create(deal)
        tx.message = f"Add {deal.id}"
    typer.echo(deal.id)


# -- moving through the ladder -----------------------------------------------------------
@app.command(
    epilog=examples(
        "pipe move acme qualified",
        'pipe move cobalt meeting --note "Demo booked for Tuesday"',
        "pipe move northwind meeting --at 2026-11-21T09:00",
    )
)
def move(
    ctx: typer.Context,
    deal: DealArg,
    stage: StageArg,
    note: Annotated[str | None, typer.Option(help="Add a note with the move.", metavar="TEXT")] = None,
    at: AtOpt = None,
    no_commit: NoCommitOpt = False,
) -> None:
    """Move an open deal to a stage, forward or back."""
    from .. import actions

    store = store_from(ctx)
    pipeline = store.pipeline
    when = at_clock(at)
    old, new = change_deal(
        store,
        deal,
        lambda d: actions.move(d, pipeline, stage, when(d), note),
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


@app.command(
    epilog=examples(
        "pipe won acme",
        "pipe won cobalt --value 31000 --at 2026-11-24",
    )
)
def won(
    ctx: typer.Context,
    deal: DealArg,
    value: Annotated[str | None, typer.Option(help="The final value, if it changed.", metavar="AMOUNT")] = None,
    at: AtOpt = None,
    no_commit: NoCommitOpt = False,
) -> None:
    """Mark a deal won; it keeps the stage it was won from."""
    from .. import actions

    store = store_from(ctx)
    when = at_clock(at)
    money = actions.parse_money(value)
    old, new = change_deal(store, deal, lambda d: actions.won(d, when(d), money), lambda _, new: f"Won {new.id}")
    shown = f" ({render.money(new.value, new.currency)})" if new.value is not None else ""
    typer.echo(f"won {new.id}{shown}{_step_closed(old)}")


def _step_closed(old: Deal) -> str:
    """What `won` and `lost` add to their line when they cleared an open next step."""
    if old.next_step is None:
        return ""
    return f"; its next step {old.next_step.text!r} is cleared and kept in the notes"


@app.command(
    epilog=examples(
        "pipe lost acme --reason price",
        'pipe lost cobalt --reason "went with a competitor" --at 2026-11-24',
    )
)
def lost(
    ctx: typer.Context,
    deal: DealArg,
    reason: Annotated[
        str, typer.Option(help="Why it was lost: price, timing, competitor, ...", show_default=False, metavar="TEXT")
    ],
    at: AtOpt = None,
    no_commit: NoCommitOpt = False,
) -> None:
    """Mark a deal lost, with the reason.

    It keeps the stage where it was lost, so the report counts where deals are lost.
    """
    from .. import actions

    if not reason.strip():
        raise usage_error("--reason: say why the deal was lost (price, timing, competitor, ...)")
    store = store_from(ctx)
    when = at_clock(at)
    old, new = change_deal(
        store, deal, lambda d: actions.lost(d, when(d), reason), lambda _, new: f"Lost {new.id}: {new.lost_reason}"
    )
    typer.echo(f"lost {new.id} at {new.stage}: {new.lost_reason}{_step_closed(old)}")


@app.command(
    epilog=examples(
        "pipe reopen gdanska",
        "pipe reopen poznan --stage proposal",
    )
)
def reopen(
    ctx: typer.Context,
    deal: DealArg,
    stage: Annotated[
        str | None,
        typer.Option(
            help="Reopen in this stage (default: where it closed).", autocompletion=complete_stage, metavar="STAGE"
        ),
    ] = None,
    at: AtOpt = None,
    no_commit: NoCommitOpt = False,
) -> None:
    """Reopen a won or lost deal."""
    from .. import actions

    store = store_from(ctx)
    pipeline = store.pipeline
    when = at_clock(at)
    _, new = change_deal(
        store,
        deal,
        lambda d: actions.reopen(d, pipeline, when(d), stage),
        lambda _, new: f"Reopen {new.id} in {new.stage}",
    )
    typer.echo(f"reopened {new.id} in {new.stage}")


# -- notes, next steps, fields ------------------------------------------------------------
@app.command(
    epilog=examples(
        'pipe note acme "Met at the fair" --at 2026-11-21T16:00',
        'pipe note acme "Call went well; they want a pilot."',
        'echo "Minutes: budget approved" | pipe note acme -',
    )
)
def note(
    ctx: typer.Context,
    deal: DealArg,
    text: Annotated[
        str, typer.Argument(help="The note ('-' reads it from standard input).", show_default=False, metavar="TEXT")
    ],
    at: AtOpt = None,
    no_commit: NoCommitOpt = False,
) -> None:
    """Add a timestamped note to a deal."""
    from .. import actions

    if text == "-":
        text = read_stdin("the note")
    store = store_from(ctx)
    when = at_clock(at)
    _, new = change_deal(store, deal, lambda d: actions.add_note(d, when(d), text), lambda _, new: f"Note on {new.id}")
    typer.echo(f"noted on {new.id}")


@app.command(
    name="next",
    epilog=examples(
        'pipe next acme "Send the revised offer" --due +3d',
        "pipe next acme --due friday",
        "pipe next acme --clear",
    ),
)
def next_step(
    ctx: typer.Context,
    deal: DealArg,
    text: Annotated[
        str | None,
        typer.Argument(
            help="The next step, e.g. 'Send the proposal'; without it, --due moves the current one.", metavar="TEXT"
        ),
    ] = None,
    due: Annotated[
        str | None,
        typer.Option(
            help="Due date: ISO date, today, tomorrow, +3d, -2w, +1m, friday, eow, eom, eoq (counted from --at).",
            metavar="DATE",
        ),
    ] = None,
    clear: Annotated[bool, typer.Option("--clear", help="Remove the next step.")] = False,
    at: AtOpt = None,
    no_commit: NoCommitOpt = False,
) -> None:
    """Set, reschedule (--due alone) or --clear a deal's next step.

    `pipe next DEAL --due DATE` moves the current step to another day without
    retyping it; `pipe done DEAL` marks it done.
    """
    from .. import actions

    if clear and (text or due):
        raise usage_error("give a next step (or --due DATE) or --clear, not both")
    if not clear and not text and due is None:
        raise usage_error("say what the next step is, move it with --due DATE, or use --clear")
    if not clear and due is None:
        raise usage_error("--due DATE: when is the next step due? (e.g. --due +3d)")
    store = store_from(ctx)
    when = at_clock(at)
    due_date = parse_date(due, option="--due", relative_to=when()) if due else None

    def change(d: Deal) -> Deal:
        if clear:
            return actions.set_next_step(d, when(d), None, None)
        assert due_date is not None
        if text:
            return actions.set_next_step(d, when(d), text, due_date)
        return actions.reschedule(d, when(d), due_date)

    old, new = change_deal(
        store,
        deal,
        change,
        lambda _, new: f"Next step for {new.id}" if new.next_step else f"Clear the next step of {new.id}",
    )
    if new.next_step and not text and old.next_step is not None:
        moved = f"due {old.next_step.due} -> {new.next_step.due}"
        typer.echo(f"moved the next step of {new.id}: {new.next_step.text} ({moved})")
    elif new.next_step:
        typer.echo(f"next step for {new.id}: {new.next_step.text} (due {new.next_step.due})")
    else:
        typer.echo(f"cleared the next step of {new.id}")


@app.command(
    epilog=examples(
        "pipe done acme",
        'pipe done cobalt --note "Sent; they will answer by Friday"',
        "pipe done thistle-and-rose-hotels-hnw3 --at 2026-11-21T16:00",
    )
)
def done(
    ctx: typer.Context,
    deal: DealArg,
    note: Annotated[
        str | None, typer.Option("--note", help="Add this to the note that records the step.", metavar="TEXT")
    ] = None,
    at: AtOpt = None,
    no_commit: NoCommitOpt = False,
) -> None:
    """Mark a deal's next step done: noted, then cleared.

    The note says what the step was and when it was due (and --note's text); the
    step is cleared, so set the following one with `pipe next`.
    """
    from .. import actions

    store = store_from(ctx)
    when = at_clock(at)
    old, new = change_deal(
        store,
        deal,
        lambda d: actions.complete_step(d, when(d), note),
        lambda old, new: f"Done on {new.id}: {old.next_step.text if old.next_step else ''}",
    )
    assert old.next_step is not None
    typer.echo(f"done on {new.id}: {old.next_step.text}; it has no next step now (set one with `pipe next`)")


@app.command(
    name="set",
    epilog=examples(
        "pipe set acme value=15000 close_date=2026-12-15",
        "pipe set acme owner=giulia tags=priority,pilot",
        "pipe set acme contact.phone= --custom region=Lombardia",
    ),
)
def set_(
    ctx: typer.Context,
    deal: DealArg,
    assignments: Annotated[
        list[str] | None,
        typer.Argument(
            help="FIELD=VALUE pairs: title, company, contact.name, contact.email, contact.phone, value, "
            "currency, owner, source, tags (comma list), close_date, probability, or a key of your own "
            "the deal's file has. An empty VALUE clears the field.",
            show_default=False,
            metavar="FIELD=VALUE",
        ),
    ] = None,
    custom: Annotated[
        list[str] | None,
        typer.Option(
            "--custom",
            help="Set a field of your own (a key pipe does not know), new or not, as text; repeat for more.",
            metavar="KEY=VALUE",
        ),
    ] = None,
    at: AtOpt = None,
    no_commit: NoCommitOpt = False,
) -> None:
    """Set plain fields of a deal, each change in its history.

    A name that is no field of pipe's and no key of the deal's file is refused, with the
    closest field (a typo such as valeu=5 never makes a field); --custom sets one of your own.
    """
    from .. import actions

    if not assignments and not custom:
        raise usage_error("give FIELD=VALUE pairs, or --custom KEY=VALUE for a field of your own")
    pairs = [actions.parse_assignment(a) for a in assignments or []]
    own = [actions.parse_custom(c) for c in custom or []]
    store = store_from(ctx)
    when = at_clock(at)
    named = [name for name, _ in [*pairs, *own]]
    old, new = change_deal(
        store,
        deal,
        lambda d: actions.set_fields(d, when(d), pairs, own),
        lambda old, new: _set_message(old, new, named),
        resolves=named,
    )
    changed = len(new.history) - len(old.history)
    typer.echo(f"updated {new.id}: {changed} field{'s' if changed != 1 else ''} changed")
    settled = [n for n in _conflicts(old) if n not in _conflicts(new)]
    if settled:
        typer.echo(f"resolved the merge conflict on {', '.join(settled)}")


def _conflicts(deal: Deal) -> list[str]:
    from ..merge import conflicts_of

    return [str(name) for name in conflicts_of(deal)]


def _set_message(old: Deal, new: Deal, named: list[str]) -> str:
    names = [h.field for h in new.history[len(old.history) :] if h.event == "changed" and h.field]
    if not names:  # the value stood already: the command only settled a merge conflict
        return f"Resolve the merge conflict on {', '.join(dict.fromkeys(named))} of {new.id}"
    return f"Set {', '.join(dict.fromkeys(names))} of {new.id}"


@app.command(
    epilog=examples(
        "pipe edit acme",
        "pipe edit acme --at 2026-11-21T09:00",
    )
)
def edit(ctx: typer.Context, deal: DealArg, at: AtOpt = None, no_commit: NoCommitOpt = False) -> None:
    """Edit a deal file in $VISUAL or $EDITOR; saved only if valid.

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
    original = store.read_text(path)
    store.writable_file(path)  # before the editor starts: a symlink is refused now, not after the edit
    editor = os.environ.get("VISUAL") or os.environ.get("EDITOR")
    if not editor:
        if not interactive():
            raise PipeError("no editor: set $EDITOR (or $VISUAL), e.g. EDITOR=nano")
        editor = "vi"
    fd, tmp = create_temp(store.state_path(f"{deal_id}.yaml").parent, f"{deal_id}.", ".yaml", mode=0o600)
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
    by = who(store)
    with store.transaction(f"Edit {deal_id}") as tx:
        if store.read_text(path) != original:
            raise PipeError(f"{deal_id} changed while you edited it; not saved. {kept}")
        before, after = parse_deal(path, original), parse_deal(path, edited)
        try:
            recorded = actions.with_by(before, actions.record_edit(before, after, when(after)), by)
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
def _status_style(row: Mapping[str, Any]) -> str | None:
    return row.get("status") if row.get("status") in ("won", "lost") else None


def _due_style(row: Mapping[str, Any]) -> str | None:
    due = row.get("next_due")
    return "overdue" if row.get("status") == "open" and due is not None and due < today() else None


def _value_style(row: Mapping[str, Any]) -> str | None:
    value = row.get("value")
    return "negative" if value is not None and value < 0 else None


def _money_text(value: Any) -> str:
    return render.money(value) if value is not None else ""


def _mark(row: Mapping[str, Any]) -> str:
    """The list's mark of a deal: its next step overdue, else why it is stale."""
    if row.get("overdue_days") is not None:
        return f"overdue {row['overdue_days']}d"
    return f"stale: {row['stale']}" if row.get("stale") else ""


def _mark_style(row: Mapping[str, Any]) -> str | None:
    return "overdue" if row.get("overdue_days") is not None else ("stale" if row.get("stale") else None)


# columns for people; priority 0 stays on every screen, higher numbers give way first
LIST_COLUMNS = [
    Column("id", "id"),
    Column("title", "title", max_width=32, min_width=16),
    Column("company", "company", max_width=20, min_width=12, priority=4),
    Column("stage", "stage", priority=1, style=lambda row: "stage"),
    Column("status", "status", priority=5, style=_status_style),
    Column("value", "value", show=_money_text, align="right", priority=1, style=_value_style),
    Column("currency", "cur", priority=1),
    Column("owner", "owner", max_width=12, min_width=8, priority=3),
    Column("next_due", "due", priority=2, style=_due_style),
    Column("days_in_stage", "days", align="right", priority=6),
    Column("mark", "!", priority=6, style=_mark_style),
]
LIST_FORMATS = render.LISTING_FORMATS


@app.command(
    name="list",
    epilog=examples(
        "pipe list --stage proposal --owner sarah",
        "pipe list --status all --sort -value --format csv > deals.csv",
        "pipe list --tag pilot --format json | jq '.[].id'",
    ),
)
def list_(
    ctx: typer.Context,
    stage: Annotated[
        list[str] | None,
        typer.Option(
            "--stage", help="Only deals in this stage; repeat for more.", autocompletion=complete_stage, metavar="STAGE"
        ),
    ] = None,
    status: Annotated[str, typer.Option(help="open, won, lost or all.", metavar="STATUS")] = "open",
    owner: OwnerOpt = None,
    source: SourceOpt = None,
    tag: TagOpt = None,
    sort: Annotated[
        str,
        typer.Option(
            help="Sort by id, title, company, stage, status, value, owner, created, close_date, "
            "activity or due; -KEY reverses.",
            metavar="KEY",
        ),
    ] = "stage",
    fmt: Annotated[str, format_option(LIST_FORMATS)] = "table",
    wide: WideOpt = False,
    output: OutputOpt = None,
) -> None:
    """List deals, open ones unless --status says otherwise."""
    from .. import actions
    from ..query import ROW_KEYS, Filters, deal_row, sort_deals
    from ..stale import AsOf, list_marks

    form = OutputFormat(fmt)
    store = store_from(ctx)
    pipeline = store.pipeline
    if status not in ("open", "won", "lost", "all"):
        raise usage_error(f"--status {status!r}: use open, won, lost or all")
    for s in stage or []:
        word = s.strip().lower()
        if word in ("open", "won", "lost", "all") and pipeline.stage(s) is None:
            raise usage_error(f"--stage {s}: {word} is a status, not a stage; use --status {word}")
    stages = tuple(actions.check_stage(pipeline, s) for s in stage or [])
    fresh = indexed(store, want=("rows", "views"))
    owner = owner_of(store, owner, lambda: (d.owner for d in fresh.views))
    filters = Filters(stages=stages, status=None if status == "all" else status, owner=owner, source=source, tag=tag)
    deals = sort_deals([d for d in fresh.views if filters.matches(d)], sort, pipeline)
    try:
        cut: AsOf | None = AsOf.now()
    except PipeError:  # a clock no time stamp can say (TZ=UTC+24): the deals, without their marks
        cut = None
    # each deal after its last entry, as its listing is: the index's rows, no file read on a warm run
    state = {r.id: r for r in fresh.rows} if cut is not None else {}
    rows = []
    for d in deals:
        row = deal_row(d, pipeline) | list_marks(state.get(d.id), pipeline, cut)
        row["mark"] = _mark(row)
        rows.append(row)
    out = output_for(ctx, wide=wide, path=output)
    out.write(render.render_rows(rows, LIST_COLUMNS, form, machine_keys=ROW_KEYS, screen=out.screen), form)
    if report_problems(fresh.problems):
        raise typer.Exit(EXIT_ERROR)


SHOW_FORMATS = (OutputFormat.text, OutputFormat.json, OutputFormat.yaml)


@app.command(
    epilog=examples(
        "pipe show acme",
        "pipe show acme --format json | jq .history",
        "pipe show acme --format yaml",
    )
)
def show(
    ctx: typer.Context,
    deal: DealArg,
    fmt: Annotated[str, format_option(SHOW_FORMATS)] = "text",
) -> None:
    """Show everything about one deal, history and notes included."""
    form = OutputFormat(fmt)
    store = store_from(ctx)
    d: Deal = store.load(deal)
    screen = screen_for(ctx)
    if form is OutputFormat.text:
        write(render.deal_text(d, store.pipeline), fmt=form, screen=screen)
    elif form is OutputFormat.json:
        write(render.to_json(d.canonical()), fmt=form, screen=screen)
    else:
        write(render.to_yaml(d.canonical()), fmt=form, screen=screen)


@app.command(
    epilog=examples(
        "pipe check",
        'pipe check || echo "fix the lines above, then commit"',
    )
)
def check(
    ctx: typer.Context,
    staged: Annotated[
        bool,
        typer.Option("--staged", help="Check the versions staged in git (what the next commit holds), not the files."),
    ] = False,
) -> None:
    """Validate every file, printing path:line: problem lines.

    Exit 1 if there is a problem, so it serves as a git pre-commit hook.

    A `path:line: warning: ...` line (a tracked field changed by hand without a history
    entry) does not change the exit code. A conflict a merge recorded (`conflict:`) is a
    problem until it is resolved.
    """
    from ..check import check_folder

    store = store_from(ctx)
    findings = check_folder(store, staged=staged)
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
