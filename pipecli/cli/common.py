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

from ..actions import entry_time
from ..documents import Problem
from ..errors import PipeError, usage_error
from ..models import Deal
from ..render import OutputFormat
from ..store import Store
from ..timeutil import now, parse_date, parse_datetime, today, use_zone


def store_from(ctx: typer.Context) -> Store:
    """The pipeline folder named by -C, PIPE_DIR, or found above the working directory."""
    root_ctx = ctx.find_root()
    directory = root_ctx.obj if isinstance(root_ctx.obj, Path) else root_ctx.params.get("directory")
    store = Store.open(directory)
    store.command = ctx.command_path  # "pipe note": who holds the lock, for a command that waits for it
    # the pipeline's time zone, when it names one, is "local"; a broken pipeline.yaml is
    # reported where a command reads it (by check: as a finding)
    with contextlib.suppress(PipeError):
        use_zone(store.pipeline.zone)
    return store


def change_deal(
    store: Store, ref: str, change: Callable[[Deal], Deal], message: Callable[[Deal, Deal], str]
) -> tuple[Deal, Deal]:
    """Change one deal in a transaction whose message ``message(old, new)`` says what changed
    (``Store.change``: worked out outside the lock, written under it)."""
    return store.change(ref, change, message)


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


def at_clock(text: str | None) -> Callable[..., datetime]:
    """The time of a change to an existing deal: ``when(deal)``.

    --at (checked at once), or else the clock read when the change is made, under the
    lock, and never before the deal's last entry (``actions.entry_time``): a writer that
    waited for another, or whose clock is behind another machine's, must not stamp its
    entry with a time before the other's, nor be refused for it. ``when()`` alone reads
    the clock.
    """
    if text:
        fixed = parse_datetime(text, option="--at")
        return lambda deal=None: fixed
    return lambda deal=None: now() if deal is None else entry_time(deal, now())


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


def read_stdin(what: str) -> str:
    """Standard input as text; bytes that are not UTF-8 are a usage error (exit 2) that
    says on which line, before anything is written."""
    stream = sys.stdin
    if stream is None:
        return ""
    raw = stream.buffer.read() if hasattr(stream, "buffer") else stream.read()
    if isinstance(raw, str):
        raw = raw.encode("utf-8", "surrogateescape")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise usage_error(
            f"standard input ({what}) is not valid UTF-8 text (line {line}); "
            "convert it first (e.g. iconv -f latin1 -t utf-8)"
        ) from None


def write(text: str) -> None:
    """Write command output exactly (no extra newline).

    On an output that cannot take a character (PYTHONIOENCODING=ascii), it is
    written as a \\uXXXX escape: in JSON that is the character itself.
    """
    if text:
        if sys.stdout is None:  # started with standard output closed (`pipe list >&-`)
            raise PipeError("cannot write the output: standard output is closed")
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
TagOpt = Annotated[str | None, typer.Option("--tag", help="Only deals with this tag.")]
