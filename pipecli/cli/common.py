"""Options and helpers shared by every command, defined once."""

from __future__ import annotations

import codecs
import contextlib
import sys
from collections.abc import Callable, Iterable
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from ..errors import PipeError
from ..render import OutputFormat

if TYPE_CHECKING:
    from ..documents import Problem
    from ..index import Fresh
    from ..models import Deal
    from ..store import Store
from ..timeutil import now, parse_date, parse_datetime, today, use_zone


def store_from(ctx: typer.Context) -> Store:
    """The pipeline folder named by -C, PIPE_DIR, or found above the working directory."""
    from ..store import Store

    root_ctx = ctx.find_root()
    directory = root_ctx.obj if isinstance(root_ctx.obj, Path) else root_ctx.params.get("directory")
    store = Store.open(directory)
    # the pipeline's time zone, when it names one, is "local"; a broken pipeline.yaml is
    # reported where a command reads it (by check: as a finding)
    with contextlib.suppress(PipeError):
        use_zone(store.pipeline.zone)
    return store


def change_deal(
    store: Store, ref: str, change: Callable[[Deal], Deal], message: Callable[[Deal, Deal], str]
) -> tuple[Deal, Deal]:
    """Change one deal in a transaction whose message ``message(old, new)`` says what changed."""
    with store.transaction() as tx:
        old, new = tx.update(ref, change)
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


def _indexed_values(ctx: typer.Context, column: str) -> list[Any]:
    """The values of a column of the index as the last command that read the deals left it
    (a TAB stats no file); the index is built first when there is none."""
    store = _store_for_completion(ctx)
    if store is None:
        return []
    from ..index import INDEX_NAME, known_values

    try:
        values = known_values(store.state_path(INDEX_NAME), column)
        if values is None:
            store.index()
            values = known_values(store.state_path(INDEX_NAME), column)
    except Exception:
        return []
    return values or []


def complete_owner(ctx: typer.Context, incomplete: str) -> list[str]:
    return sorted({o for o in _indexed_values(ctx, "owner") if o.startswith(incomplete)})


def complete_tag(ctx: typer.Context, incomplete: str) -> list[str]:
    tags = {t for group in _indexed_values(ctx, "tags") for t in group}
    return sorted(t for t in tags if t.startswith(incomplete))


class Progress:
    """`reading deals [####......] 1200/8800` on standard error, only at a terminal (both
    outputs), and only once the work has taken about two seconds."""

    def __init__(self, label: str, after: float = 2.0) -> None:
        import time

        self.label = label
        self.start = time.monotonic()
        self.after = after
        self.on = all(s is not None and s.isatty() for s in (sys.stdout, sys.stderr))
        self.shown = False

    def __call__(self, n: int, total: int) -> None:
        import time

        if not self.on or time.monotonic() - self.start < self.after:
            return
        width = 30
        done = width * n // max(total, 1)
        sys.stderr.write(f"\r{self.label} [{'#' * done}{'.' * (width - done)}] {n}/{total}")
        sys.stderr.flush()
        self.shown = True

    def clear(self) -> None:
        if self.shown:
            sys.stderr.write("\r\033[K")
            sys.stderr.flush()
            self.shown = False


def indexed(store: Store) -> Fresh:
    """The store's index brought up to date, with a progress bar when that takes long."""
    progress = Progress("reading deals")
    try:
        return store.index(progress)
    finally:
        progress.clear()


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
FormatOpt = Annotated[
    OutputFormat,
    typer.Option("--format", "-f", help="Output format.", case_sensitive=False),
]
OwnerOpt = Annotated[
    str | None, typer.Option("--owner", help="Only deals of this owner.", autocompletion=complete_owner)
]
SourceOpt = Annotated[str | None, typer.Option("--source", help="Only deals from this lead source.")]
TagOpt = Annotated[str | None, typer.Option("--tag", help="Only deals with this tag.", autocompletion=complete_tag)]
