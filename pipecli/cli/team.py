"""Commands for a team on one pipeline over git: sync, log, undo, and git's merge driver.

The git machinery (``pipecli.git``, ``sync``, ``undo``, ``merge``) is imported by the
command that runs, never when this module is.
"""

from __future__ import annotations

from datetime import tzinfo
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from ..errors import EXIT_ERROR, PipeError
from ..render import LISTING_FORMATS, OutputFormat
from .app import app
from .common import (
    NoCommitOpt,
    OutputOpt,
    OwnerOpt,
    WideOpt,
    as_of_cut,
    complete_deal,
    format_option,
    indexed,
    output_for,
    owner_of,
    report_problems,
    store_from,
)
from .helptext import examples

if TYPE_CHECKING:
    from ..documents import Problem
    from ..models import Deal
    from ..store import Store


@app.command(epilog=examples("pipe sync", "pipe sync && pipe log --since -7d"))
def sync(ctx: typer.Context) -> None:
    """Share your changes and get the team's over git.

    Fetch, merge and push. Commits nothing of yours it did not make: files of the
    pipeline with changes that are not committed stop it. Deal files merge with pipe's
    merge driver (every note and move kept); offline, nothing is lost: run it again
    later. See docs/team.md.
    """
    from ..sync import Conflicted, NoRemote, Offline, Unsaved
    from ..sync import sync as run_sync

    store = store_from(ctx)
    try:
        done = run_sync(store)
    except NoRemote as err:
        raise PipeError(
            f"no remote to sync with: add the team's repository with `git remote add origin URL`, then "
            f"`pipe sync` (branch {err.branch})"
        ) from None
    except Offline as err:
        kept = "merged and committed here" if err.merged else "committed here"
        raise PipeError(
            f"cannot reach {err.remote} ({err.reason}); nothing is lost: your changes are {kept}. "
            "Run `pipe sync` again when you are online"
        ) from None
    except Unsaved as err:
        shown = ", ".join(err.paths[:5]) + (f" and {len(err.paths) - 5} more" if len(err.paths) > 5 else "")
        raise PipeError(
            f"{shown}: changes not committed, and sync commits only what pipe did; commit them "
            "(`git add` them, then `git commit`) or undo them, then run `pipe sync` again"
        ) from None
    except Conflicted as err:
        for line in err.lines:
            typer.echo(f"pipe: {line}", err=True)
        typer.echo(
            "pipe: the merge stopped on these conflicts; resolve them (`pipe check` lists them), "
            "then run `pipe sync` again to finish it",
            err=True,
        )
        raise typer.Exit(EXIT_ERROR) from None
    where = f"{done.remote}/{done.branch}"
    if done.finished:
        typer.echo("finished the merge")
    if not done.received and not done.sent:
        typer.echo(f"up to date with {where}")
    else:
        typer.echo(f"synced with {where}: {_commits(done.received)} in, {_commits(done.sent)} out")


def _commits(n: int) -> str:
    return f"{n} commit{'s' if n != 1 else ''}"


@app.command(
    epilog=examples(
        "pipe log --since -7d",
        "pipe log zazolc-sp-z-o-o-rollout --format json",
        "pipe log --by marek@example.com -n 20",
    )
)
def log(
    ctx: typer.Context,
    deal: Annotated[
        str | None,
        typer.Argument(
            help="Only this deal (its id or a unique prefix).", autocompletion=complete_deal, metavar="DEAL"
        ),
    ] = None,
    since: Annotated[
        str | None,
        typer.Option(help="Only entries from the start of this day: ISO date, yesterday, -7d, -2w.", metavar="DATE"),
    ] = None,
    as_of: Annotated[
        str | None,
        typer.Option("--as-of", help="Only entries up to the end of this day (default: all).", metavar="DATE"),
    ] = None,
    owner: OwnerOpt = None,
    by: Annotated[
        str | None, typer.Option("--by", help="Only entries made by this person (see `by:`).", metavar="NAME")
    ] = None,
    limit: Annotated[
        int | None, typer.Option("--limit", "-n", min=1, help="Only the newest N entries.", metavar="N")
    ] = None,
    fmt: Annotated[str, format_option(LISTING_FORMATS)] = "table",
    wide: WideOpt = False,
    output: OutputOpt = None,
) -> None:
    """Show what changed across deals, newest first.

    Moves, wins and losses, field changes and notes, read from the deal files' own
    histories (no git needed): `pipe log --since -7d` is the Monday "what changed this
    week".
    """
    from .. import render
    from ..render import Column
    from ..timeline import KEYS, NOTE, LogSpec, newest, timeline
    from ..timeutil import parse_date, start_of_day

    form = OutputFormat(fmt)
    store = store_from(ctx)
    zone = _zone(store)
    day, cut = as_of_cut(as_of, zone) if as_of else (None, None)
    start = start_of_day(parse_date(since, option="--since", relative_to=day), zone) if since else None
    problems: list[Problem] = []
    if deal is not None:
        # one deal: its own file alone, by the rules of every read (a broken file, a history
        # out of time order, is its problem), without bringing the index up to date: the
        # other files' problems are `pipe check`'s
        deal_id = store.resolve(deal)
        loaded = store.load_all(only={store.deal_path(deal_id).name})
        problems = loaded.problems
        owner = owner_of(store, owner, lambda: (r.owner for r in indexed(store).rows))
        spec = LogSpec(deal=deal_id, since=start, until=cut, owner=owner, by=by)
        entries = timeline(loaded.deals, spec)[:limit]
    else:
        fresh = indexed(store)
        settled, names = fresh.rows, fresh.names  # each deal after its last entry, and its file
        problems = fresh.problems
        owner = owner_of(store, owner, lambda: (r.owner for r in settled))
        spec = LogSpec(deal=None, since=start, until=cut, owner=owner, by=by)

        def read(positions: list[int]) -> list[Deal]:
            # the deals of these rows, from their files (the index keeps no note's text)
            loaded = store.load_all(only={names[p] for p in positions})
            problems.extend(loaded.problems)
            return loaded.deals

        entries = newest(settled, spec, limit, read)
    out = output_for(ctx, wide=wide, path=output)
    if form in (OutputFormat.table, OutputFormat.markdown):
        arrow = "→" if render.unicode_ok() else "->"

        def what(e: Any) -> str:
            if e.event == NOTE:
                first, *rest = (e.text or "").strip().splitlines() or [""]
                return f"note: {first}" + (" …" if rest else "")
            return render.history_text(e, arrow)

        rows = [
            {"when": e.at.astimezone(zone).strftime("%Y-%m-%d %H:%M"), "deal": e.deal, "what": what(e), "by": e.by}
            for e in entries
        ]
        columns = [
            Column("when", "when", priority=0),
            Column("deal", "deal", priority=0, min_width=None),  # an id is never shortened
            Column("what", "what", priority=0, min_width=20),
            Column("by", "by", priority=1, min_width=8, max_width=24),
        ]
        out.write(render.render_rows(rows, columns, form, screen=out.screen), form)
    else:
        rows = [e.row() for e in entries]
        out.write(render.render_rows(rows, [Column(k, k) for k in KEYS], form, screen=out.screen), form)
    if report_problems(problems):
        raise typer.Exit(EXIT_ERROR)


def _zone(store: Store) -> tzinfo | None:
    """The pipeline's time zone (None: the machine's), where days begin for --since and --as-of."""
    try:
        return store.pipeline.zone
    except PipeError:
        return None


@app.command(epilog=examples("pipe undo --dry-run", "pipe undo"))
def undo(
    ctx: typer.Context,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Only show what would be undone.")] = False,
    no_commit: NoCommitOpt = False,
) -> None:
    """Undo the last change pipe committed in this clone.

    Shows the commit, then puts its files back as they were before it and commits
    that, as `git revert` does. Refuses when one of its files has changed since. Run it
    again to undo the change before.
    """
    from ..documents import display_path
    from ..undo import ChangedSince, NothingToUndo, last_commit
    from ..undo import undo as run_undo

    store = store_from(ctx)
    try:
        commit = last_commit(store)
    except NothingToUndo:
        raise PipeError("nothing to undo: pipe has made no commit in this clone that is not undone already") from None
    from ..git import repo_of

    repo = repo_of(store)
    assert repo is not None
    when = commit.when.strftime("%Y-%m-%d %H:%M")
    typer.echo(
        f"{'would undo' if dry_run else 'undoing'} {commit.commit[:7]} {commit.subject} ({commit.author}, {when})"
    )
    for rel in commit.paths:
        typer.echo(f"  {display_path(repo.top / rel)}")
    if dry_run:
        return
    before = repo.head()
    try:
        run_undo(store, commit)
    except ChangedSince as err:
        shown = ", ".join(display_path(repo.top / p) for p in err.paths)
        raise PipeError(
            f"cannot undo {commit.commit[:7]} {commit.subject!r}: {shown} changed since; nothing undone "
            "(change it back with a command, or `git revert` it and resolve by hand)"
        ) from None
    after = repo.head()
    if after is not None and after != before:
        typer.echo(f'undone: {after[:7]} Revert "{commit.subject}"')
    else:
        typer.echo("undone in the files; not committed")


@app.command(
    name="merge-driver",
    epilog=examples(
        "git config merge.pipe.driver 'pipe merge-driver %O %A %B %P'",
        "pipe merge-driver base.yaml ours.yaml theirs.yaml deals/acme-robotics-field-4zf4.yaml",
    ),
)
def merge_driver(
    base: Annotated[
        Path, typer.Argument(help="The common ancestor's version (git's %O).", show_default=False, metavar="BASE")
    ],
    ours: Annotated[
        Path,
        typer.Argument(
            help="This side's version (git's %A); the result replaces it.", show_default=False, metavar="OURS"
        ),
    ],
    theirs: Annotated[
        Path, typer.Argument(help="The other side's version (git's %B).", show_default=False, metavar="THEIRS")
    ],
    path: Annotated[
        str, typer.Argument(help="The file's path in the repository (git's %P).", metavar="PATH")
    ] = "deal file",
) -> None:
    """Merge two versions of a deal file, for git.

    Named by `merge=pipe` in .gitattributes. Notes and history are kept from both
    sides, in time order; stage and status follow the history; a field changed
    differently on both sides is recorded under `conflict:` (exit 1, so git stops for
    it) and `pipe check` reports it until it is resolved. git runs it as
    `pipe merge-driver %O %A %B %P`; see docs/team.md.
    """
    from ..fsio import atomic_write
    from ..merge import describe, merge_texts

    texts = []
    for p in (base, ours, theirs):
        try:
            texts.append(p.read_bytes().decode("utf-8", "surrogateescape"))
        except OSError as err:
            raise PipeError(f"cannot read {p}: {err.strerror}") from None
    result = merge_texts(texts[0], texts[1], texts[2], path)
    atomic_write(ours, result.text.encode("utf-8", "surrogateescape"))
    deal_id = Path(path).name.removesuffix(".yaml")
    for c in result.conflicts:
        sides = {"was": c.was, "ours": c.ours, "theirs": c.theirs}
        typer.echo(f"pipe: {path}: {describe(deal_id, c.field, sides)}", err=True)
    if result.markers:
        typer.echo(
            f"pipe: {path}: a version is not a valid deal file, so git's line merge was used; "
            "edit the lines between the conflict markers",
            err=True,
        )
    if not result.clean:
        raise typer.Exit(EXIT_ERROR)
