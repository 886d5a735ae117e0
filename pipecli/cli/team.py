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
