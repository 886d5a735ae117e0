"""Options and helpers shared by every command, defined once."""

from __future__ import annotations

import codecs
import contextlib
import sys
from collections.abc import Callable, Iterable
from datetime import date, datetime
from pathlib import Path
from typing import Annotated

import typer

from .. import actions
from ..documents import Problem
from ..errors import PipeError
from ..models import Deal
from ..render import OutputFormat
from ..settings import login_name
from ..store import Store, Transaction
from ..timeutil import now, parse_date, parse_datetime, today, use_zone


def store_from(ctx: typer.Context) -> Store:
    """The pipeline folder named by -C, PIPE_DIR, or found above the working directory."""
    root_ctx = ctx.find_root()
    directory = root_ctx.obj if isinstance(root_ctx.obj, Path) else root_ctx.params.get("directory")
    store = Store.open(directory)
    if store.on_commit is None and not ctx.params.get("no_commit"):
        store.on_commit = _commit
    # the pipeline's time zone, when it names one, is "local"; a broken pipeline.yaml is
    # reported where a command reads it (by check: as a finding)
    with contextlib.suppress(PipeError):
        use_zone(store.pipeline.zone)
    return store


def _commit(tx: Transaction) -> None:
    """Every writing command's ``Store.on_commit`` (unless --no-commit): in a git work
    tree, commit what it changed (``pipecli.git.auto_commit``)."""
    from ..git import auto_commit

    auto_commit(tx, notify)


def notify(message: str) -> None:
    """A line on stderr that does not change the exit code."""
    typer.echo(f"pipe: {message}", err=True)


def who(store: Store) -> str | None:
    """Who makes this command's changes (the ``by:`` it records): ``PIPE_USER``, else
    git's ``user.email`` or ``user.name`` when the pipeline is in a git work tree, else
    the login name. Git's configuration is read once per command, and never outside a
    work tree."""
    if store.settings.user:
        return store.settings.user
    from ..git import GitError, repo_of

    repo = repo_of(store)
    if repo is not None:
        try:
            user = repo.user()
        except GitError:
            user = None
        if user:
            return user
    return login_name(store.settings)


def change_deal(
    store: Store,
    ref: str,
    change: Callable[[Deal], Deal],
    message: Callable[[Deal, Deal], str],
    resolves: Iterable[str] = (),
) -> tuple[Deal, Deal]:
    """Change one deal in a transaction whose message ``message(old, new)`` says what
    changed; what the change adds to the history and notes records ``who`` made it.

    A merge conflict recorded on a field the change sets (``resolves``, and every field
    it records a change of) is resolved: the command's value is the one kept.
    """
    by = who(store)
    names = tuple(resolves)

    def apply(old: Deal) -> Deal:
        new = actions.with_by(old, change(old), by)
        if "conflict" in (new.model_extra or {}):
            from ..merge import resolved

            added = [h.field for h in new.history[len(old.history) :] if h.event == "changed" and h.field]
            new = resolved(new, [*names, *added])
        return new

    with store.transaction() as tx:
        old, new = tx.update(ref, apply)
        tx.message = message(old, new)
    return old, new


def _store_for_completion(ctx: typer.Context) -> Store | None:
    try:
        return store_from(ctx)
    except Exception:
        return None


def complete_deal(ctx: typer.Context, incomplete: str) -> list[str]:
    store = _store_for_completion(ctx)
    return [i for i in store.deal_ids() if i.startswith(incomplete)] if store else []


def complete_stage(ctx: typer.Context, incomplete: str) -> list[str]:
    store = _store_for_completion(ctx)
    try:
        ids = store.pipeline.stage_ids if store else []
    except Exception:
        return []
    return [s for s in ids if s.startswith(incomplete)]


def complete_owner(ctx: typer.Context, incomplete: str) -> list[str]:
    store = _store_for_completion(ctx)
    if store is None:
        return []
    owners = {d.owner for d in store.load_all().deals if d.owner}
    return sorted(o for o in owners if o.startswith(incomplete))


def at_time(text: str | None) -> datetime:
    """The time a change happened: --at, or now."""
    return parse_datetime(text, option="--at") if text else now()


def at_clock(text: str | None) -> Callable[[], datetime]:
    """The time of a change to an existing deal: --at (checked at once), or else the
    clock read when the change is made, under the lock; a writer that waited for
    another must not stamp its entry with a time before the other's."""
    if text:
        fixed = parse_datetime(text, option="--at")
        return lambda: fixed
    return now


def as_of_date(text: str | None) -> date:
    """The day a report is computed for: --as-of, or today."""
    return parse_date(text, option="--as-of") if text else today()


def report_problems(problems: Iterable[Problem]) -> int:
    """Name each bad file on stderr; return how many there were."""
    n = 0
    for p in problems:
        typer.echo(f"pipe: {p}", err=True)
        n += 1
    return n


def write(text: str) -> None:
    """Write command output exactly (no extra newline).

    On an output that cannot take a character (PYTHONIOENCODING=ascii), it is
    written as a \\uXXXX escape: in JSON that is the character itself.
    """
    if text:
        try:
            sys.stdout.write(text)
        except UnicodeEncodeError:
            enc = sys.stdout.encoding or "ascii"
            sys.stdout.write(text.encode(enc, "pipe-u-escape").decode(enc))
        sys.stdout.flush()


def _u_escape(err: UnicodeError) -> tuple[str, int]:
    """Characters an encoding cannot take, as JSON's \\uXXXX escapes (UTF-16 pairs above U+FFFF)."""
    if not isinstance(err, UnicodeEncodeError):
        raise err
    out: list[str] = []
    for ch in err.object[err.start : err.end]:
        units = ch.encode("utf-16-be")
        out.extend(f"\\u{int.from_bytes(units[i : i + 2], 'big'):04x}" for i in range(0, len(units), 2))
    return "".join(out), err.end


codecs.register_error("pipe-u-escape", _u_escape)


def interactive() -> bool:
    """Prompts only ever happen when a person is at a terminal."""
    return sys.stdin is not None and sys.stdin.isatty()


DealArg = Annotated[
    str,
    typer.Argument(help="Deal id, or a unique prefix of it.", autocompletion=complete_deal, show_default=False),
]
StageArg = Annotated[
    str, typer.Argument(help="Stage id (see pipeline.yaml).", autocompletion=complete_stage, show_default=False)
]
AtOpt = Annotated[
    str | None,
    typer.Option(
        "--at",
        help="When it happened: ISO date or date-time, local time zone unless an offset is given (default: now).",
        metavar="TIME",
    ),
]
AsOfOpt = Annotated[
    str | None,
    typer.Option(
        "--as-of",
        help="Compute as the pipeline stood at the end of this day (default: today).",
        metavar="DATE",
    ),
]
NoCommitOpt = Annotated[
    bool,
    typer.Option(
        "--no-commit",
        help="Do not commit the change to git (in a git work tree each writing command commits what it changed).",
    ),
]
FormatOpt = Annotated[
    OutputFormat,
    typer.Option("--format", "-f", help="Output format.", case_sensitive=False),
]
OwnerOpt = Annotated[
    str | None, typer.Option("--owner", help="Only deals of this owner.", autocompletion=complete_owner)
]
SourceOpt = Annotated[str | None, typer.Option("--source", help="Only deals from this lead source.")]
TagOpt = Annotated[str | None, typer.Option("--tag", help="Only deals with this tag.")]
