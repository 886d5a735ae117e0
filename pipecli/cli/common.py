"""Options and helpers shared by every command, defined once."""

from __future__ import annotations

import codecs
import contextlib
import sys
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from .. import settings
from ..errors import PipeError, usage_error
from ..render import ESCAPING_FORMATS, OutputFormat
from ..render.terminal import Screen, decide, page
from ..settings import login_name

if TYPE_CHECKING:
    from ..documents import Problem
    from ..index import Fresh
    from ..models import Deal
    from ..store import Store, Transaction
from ..timeutil import end_of_day, local_day, now, parse_datetime, parse_when, this_instant, today, use_zone
from .app import COLOR_KEY, PAGING_KEY


def store_from(ctx: typer.Context) -> Store:
    """The pipeline folder named by -C, PIPE_DIR, or found above the working directory."""
    from ..store import Store

    root_ctx = ctx.find_root()
    directory = root_ctx.obj if isinstance(root_ctx.obj, Path) else root_ctx.params.get("directory")
    store = Store.open(directory)
    store.command = ctx.command_path  # "pipe note": who holds the lock, for a command that waits for it
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


def me_identity(store: Store) -> tuple[str | None, str | None]:
    """Who ``--owner me`` is, and where that came from: ``PIPE_USER``, else git's
    ``user.email`` when the pipeline is in a git work tree; (None, None) when neither says."""
    if store.settings.user:
        return store.settings.user, "PIPE_USER"
    from ..git import GitError, repo_of

    repo = repo_of(store)
    if repo is not None:
        try:
            email = (repo.get("user.email") or "").strip()
        except GitError:
            email = ""
        if email and len(email) <= 200 and not any(ord(ch) < 32 for ch in email):
            return email, "git's user.email"
    return None, None


def owner_of(store: Store, owner: str | None, owners: Callable[[], Iterable[str | None]]) -> str | None:
    """The ``--owner`` of every command: as given, or for ``me`` the owner you are
    (``pipecli.owners``: PIPE_USER, else git's user.email, matched against ``owners()``,
    the owners the deals name). The one resolution list, stale, agenda and report use."""
    from ..owners import is_me, resolve

    if not is_me(owner):
        return owner
    identity, source = me_identity(store)
    return resolve(owner, identity, source, owners())


def change_deal(
    store: Store,
    ref: str,
    change: Callable[[Deal], Deal],
    message: Callable[[Deal, Deal], str],
    resolves: Iterable[str] = (),
) -> tuple[Deal, Deal]:
    """Change one deal in a transaction whose message ``message(old, new)`` says what
    changed (``Store.change``: worked out outside the lock, written under it); what the
    change adds to the history and notes records ``who`` made it.

    A merge conflict recorded on a field the change sets (``resolves``, and every field
    it records a change of) is resolved: the command's value is the one kept.
    """
    from .. import actions

    by = who(store)
    names = tuple(resolves)

    def apply(old: Deal) -> Deal:
        new = actions.with_by(old, change(old), by)
        if "conflict" in (new.model_extra or {}):
            from ..merge import resolved

            added = [h.field for h in new.history[len(old.history) :] if h.event == "changed" and h.field]
            new = resolved(new, [*names, *added])
        return new

    return store.change(ref, apply, message)


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
        if values is None:  # no index, or one that does not read: built, decoded (so rebuilt if need be), read
            store.index().views  # noqa: B018
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
    """`reading deals [####......] 1200/8800` on standard error. By default only at a terminal
    (both outputs) and once the work has taken ``after`` seconds; ``on`` decides instead where
    given. ``total`` may be given once here or with each step."""

    def __init__(self, label: str, after: float = 2.0, *, total: int = 0, on: bool | None = None) -> None:
        import time

        self.label = label
        self.start = time.monotonic()
        self.after = after
        self.total = total
        self.on = all(s is not None and s.isatty() for s in (sys.stdout, sys.stderr)) if on is None else on
        self.shown = False

    def __call__(self, n: int, total: int | None = None) -> None:
        import time

        if not self.on or time.monotonic() - self.start < self.after:
            return
        total = self.total if total is None else total
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


def indexed(store: Store, want: Sequence[str] = ("rows",)) -> Fresh:
    """The store's index brought up to date, with a progress bar when that takes long;
    ``want``: what the command asks of it (``Store.index``)."""
    from ..launch import leave_to_exit

    progress = Progress("reading deals")
    try:
        fresh = store.index(progress, want=want)
    finally:
        progress.clear()
    leave_to_exit(fresh)  # the rows and columns of every deal: not freed one by one at the end
    return fresh


# how far ahead of this machine's clock --at may be: another machine's clock may run a little ahead
AT_TOLERANCE = timedelta(minutes=5)


def past_time(text: str) -> datetime:
    """``--at TEXT`` (``timeutil.parse_datetime``), refused (exit 2) when it is in the future: an
    entry records what has happened, and one dated ahead would date every later change as late.
    A time up to ``AT_TOLERANCE`` ahead is taken (clocks differ a little)."""
    fixed = parse_datetime(text, option="--at")
    current = now()
    if fixed > current + AT_TOLERANCE:
        raise usage_error(
            f"--at {text}: {fixed.isoformat()} is in the future (it is now {current.isoformat()}); "
            "--at records what has already happened: give a past time, or leave --at out"
        )
    return fixed


def at_time(text: str | None) -> datetime:
    """The time a change happened: --at (never in the future), or now."""
    return past_time(text) if text else now()


def at_clock(text: str | None) -> Callable[..., datetime]:
    """The time of a change to an existing deal: ``when(deal)``.

    --at (checked at once), or else the clock read when the change is made, under the
    lock, and never before the deal's last entry (``actions.entry_time``): a writer that
    waited for another, or whose clock is behind another machine's, must not stamp its
    entry with a time before the other's, nor be refused for it. ``when()`` alone reads
    the clock.
    """
    if text:
        fixed = past_time(text)
        return lambda deal=None: fixed

    def when(deal: Deal | None = None) -> datetime:
        if deal is None:
            return now()
        from ..actions import entry_time

        return entry_time(deal, now())

    return when


def as_of_date(text: str | None) -> date:
    """The day a view is computed for: --as-of (a date-time: the day it falls on), or today."""
    if not text:
        return today()
    when = parse_when(text, option="--as-of")
    return local_day(when) if isinstance(when, datetime) else when


def as_of_cut(text: str, zone: tzinfo | None) -> tuple[date, datetime]:
    """``--as-of TEXT``: the day it names and the cut-off (entries before it count). A day
    (``2026-11-20``, ``yesterday``, ``-1w``, ``eom``) is computed at its end in ``zone`` (the
    pipeline's; None: the local one); a date-time (``2026-11-20T12:00``, ``now``) at that moment."""
    if text.strip().lower() == "now":  # as with no --as-of: an entry written this second counts
        moment = this_instant()
        return local_day(moment), moment
    when = parse_when(text, option="--as-of")
    if isinstance(when, datetime):
        return local_day(when), when
    return when, end_of_day(when, zone)


def currency_option(text: str) -> str:
    """``--currency``'s code (report, export), checked: a usage error (exit 2) when it is not ISO 4217."""
    from ..currencies import normalize

    try:
        return normalize(text)
    except ValueError as exc:
        raise usage_error(f"--currency: {exc}") from None


def report_problems(problems: Iterable[Problem]) -> int:
    """Name each bad file on stderr; return how many there were."""
    n = 0
    for p in problems:
        typer.echo(f"pipe: {p}", err=True)
        n += 1
    return n


def read_stdin(what: str) -> str:
    """Standard input as text (CR LF and CR end lines like LF); bytes that are not UTF-8
    are a usage error (exit 2) that says on which line, before anything is written."""
    stream = sys.stdin
    if stream is None:
        return ""
    raw = stream.buffer.read() if hasattr(stream, "buffer") else stream.read()
    if isinstance(raw, str):
        raw = raw.encode("utf-8", "surrogateescape")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise usage_error(
            f"standard input ({what}) is not valid UTF-8 text (line {line}); "
            "convert it first (e.g. iconv -f latin1 -t utf-8)"
        ) from None
    # read as text: CR LF and a lone CR end a line like LF, wherever they stand
    from ..documents import unix_lines

    return unix_lines(text)


def screen_for(ctx: typer.Context | None, *, wide: bool = False) -> Screen:
    """What standard output can show for this command: its width, colour and pager
    (``--color``, ``--no-pager``, ``--wide``, and the environment; see render/terminal.py)."""
    env = settings.current()
    meta: dict[str, Any] = ctx.meta if ctx is not None else {}
    return decide(
        sys.stdout,
        color=meta.get(COLOR_KEY, "auto"),
        paging=meta.get(PAGING_KEY, True),
        wide=wide,
        columns=env.columns,
        lines=env.lines,
        no_color=env.no_color,
        term=env.term,
        pager=env.pager,
    )


@dataclass(frozen=True)
class Output:
    """Where a command's output goes: standard output (fitted to the screen, maybe paged),
    or the file of ``-o FILE`` (every column, no colour, UTF-8, written atomically)."""

    screen: Screen
    path: Path | None = None

    def write(self, text: str, fmt: OutputFormat | None = None) -> None:
        if self.path is None:
            write(text, fmt=fmt, screen=self.screen, redirect_hint=True)
            return
        from ..documents import display_path
        from ..fsio import write_output

        if self.path.is_dir():
            raise PipeError(f"cannot write {display_path(self.path)}: it is a folder; give a file name")
        try:
            write_output(self.path, text)
        except OSError as err:
            raise PipeError(f"cannot write {display_path(self.path)}: {err.strerror or err}") from None


def output_for(ctx: typer.Context, *, wide: bool = False, path: Path | None = None) -> Output:
    """The :class:`Output` of a command with ``--wide`` and ``-o FILE`` (``-`` or none: standard output)."""
    if path is not None and str(path) != "-":
        return Output(Screen(wide=wide), path.expanduser())
    return Output(screen_for(ctx, wide=wide))


def write(
    text: str, *, fmt: OutputFormat | None = None, screen: Screen | None = None, redirect_hint: bool = False
) -> None:
    """Write command output exactly (no extra newline), through the pager when ``screen``
    has one and the text is longer than the screen.

    Text the output's encoding cannot carry (``PYTHONIOENCODING=ascii``, a C locale) is
    never mangled: JSON is written with ``\\uXXXX`` escapes, which is the same JSON; any
    other format is refused with one line saying what to do.
    """
    if not text:
        return
    stream = sys.stdout
    if stream is None:  # started with standard output closed (`pipe list >&-`)
        raise PipeError("cannot write the output: standard output is closed")
    try:
        text.encode(stream.encoding or "utf-8")
    except UnicodeEncodeError as err:
        if fmt in ESCAPING_FORMATS:
            enc = stream.encoding or "ascii"
            text = text.encode(enc, "pipe-u-escape").decode(enc)
        else:
            ch = err.object[err.start]
            bad = f"U+{ord(ch):04X} ({unicodedata.name(ch, 'a character')})"  # said in ASCII: stderr may be too
            fix = (
                "write it to a file with -o FILE, or set PYTHONIOENCODING=utf-8"
                if redirect_hint
                else ("set PYTHONIOENCODING=utf-8 (or a UTF-8 locale)")
            )
            raise PipeError(
                f"standard output is {stream.encoding}, which cannot carry {bad} in this output; {fix}"
            ) from None
    except LookupError:
        pass
    if screen is not None and page(text, screen, stream, less=settings.current().less):
        return
    stream.write(text)
    stream.flush()


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
    typer.Argument(
        help="Deal id, or a unique prefix of it.", autocompletion=complete_deal, show_default=False, metavar="DEAL"
    ),
]
StageArg = Annotated[
    str,
    typer.Argument(
        help="Stage id (see pipeline.yaml).", autocompletion=complete_stage, show_default=False, metavar="STAGE"
    ),
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


def _either(names: Sequence[str]) -> str:
    return ", ".join(names[:-1]) + f" or {names[-1]}" if len(names) > 1 else names[0]


# the command that offers a format few others do
ELSEWHERE = {"email": "stale", "text": "show", "sqlite": "export", "html": "report", "ics": "agenda"}


def format_option(formats: Sequence[OutputFormat]) -> Any:
    """``-f/--format FORMAT`` offering exactly ``formats`` (help, completion and the check
    agree); the command receives an :class:`OutputFormat`."""
    names = [f.value for f in formats]

    def check(value: str) -> OutputFormat:
        choice = str(value).strip().lower()
        if choice not in names:
            where = f" ({choice} is for `pipe {ELSEWHERE[choice]}`)" if choice in ELSEWHERE else ""
            raise usage_error(f"--format {value!r}: use {_either(names)}{where}")
        return OutputFormat(choice)

    def offer(incomplete: str) -> list[str]:
        return [n for n in names if n.startswith(incomplete.lower())]

    return typer.Option(
        "--format",
        "-f",
        help=f"Output format: {_either(names)}.",
        metavar="FORMAT",
        callback=check,
        autocompletion=offer,
    )


WideOpt = Annotated[
    bool,
    typer.Option("--wide", help="Show every column in full, however wide the table gets (default: fit the terminal)."),
]
OutputOpt = Annotated[
    Path | None,
    typer.Option(
        "--output", "-o", help="Write to FILE instead of standard output (every column, UTF-8).", metavar="FILE"
    ),
]
NoCommitOpt = Annotated[
    bool,
    typer.Option(
        "--no-commit",
        help="Do not commit the change to git (in a git work tree each writing command commits what it changed).",
    ),
]
OwnerOpt = Annotated[
    str | None,
    typer.Option(
        "--owner",
        help="Only deals of this owner; me: yours (PIPE_USER, else git's user.email).",
        autocompletion=complete_owner,
        metavar="NAME",
    ),
]
SourceOpt = Annotated[str | None, typer.Option("--source", help="Only deals from this lead source.", metavar="SOURCE")]
TagOpt = Annotated[
    str | None,
    typer.Option("--tag", help="Only deals with this tag.", autocompletion=complete_tag, metavar="TAG"),
]
