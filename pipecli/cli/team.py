"""Commands for a team on one pipeline over git: sync, log, undo, and git's merge driver.

The git machinery (``pipecli.git``, ``sync``, ``undo``, ``merge``) is imported by the
command that runs, never when this module is.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ..errors import EXIT_ERROR, PipeError
from .app import app
from .common import store_from


@app.command(name="merge-driver")
def merge_driver(
    base: Annotated[Path, typer.Argument(help="The common ancestor's version (git's %O).", show_default=False)],
    ours: Annotated[
        Path, typer.Argument(help="This side's version (git's %A); the result replaces it.", show_default=False)
    ],
    theirs: Annotated[Path, typer.Argument(help="The other side's version (git's %B).", show_default=False)],
    path: Annotated[str, typer.Argument(help="The file's path in the repository (git's %P).")] = "deal file",
) -> None:
    """Merge two versions of a deal file for git (`merge=pipe` in .gitattributes).

    Notes and history are kept from both sides, in time order; stage and status follow
    the history; a field changed differently on both sides is recorded under `conflict:`
    (exit 1, so git stops for it) and `pipe check` reports it until it is resolved.
    git runs it as `pipe merge-driver %O %A %B %P`; see docs/team.md.
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


@app.command()
def sync(ctx: typer.Context) -> None:
    """Share this clone's changes and get the team's: fetch, merge, push (over git).

    Commits nothing of yours it did not make: files of the pipeline with changes that
    are not committed stop it. Deal files merge with pipe's merge driver (every note and
    move kept); offline, nothing is lost: run it again later. See docs/team.md.
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
