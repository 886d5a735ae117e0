"""The Typer application, its global options and the one top-level error handler.

The handler reads the settings (``pipecli.settings``) once as a command starts,
words the library's typed errors for the shell (with the ``--at`` or ``pipe
reopen`` that fixes them) and maps each kind of error to its exit code.
"""

from __future__ import annotations

import os
import shlex
import sys
import typing
from pathlib import Path
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from .. import __version__, settings
from ..errors import (
    EXIT_ERROR,
    EXIT_USAGE,
    AlreadyExists,
    Ambiguous,
    BadSetting,
    InvalidValue,
    LockTimeout,
    NoNextStep,
    NoPipeline,
    NotFound,
    OutOfOrder,
    PipeError,
    UnknownField,
    UnknownMe,
    UnknownStage,
    Unwritable,
    WrongStatus,
)
from . import coercion, completion
from .helptext import PipeTyper


class PipeGroup(TyperGroup):
    """Maps every PipeError (and stray OS errors) to one line on stderr and an exit code."""

    def get_params(self, ctx: Any) -> list[Any]:
        params: list[Any] = super().get_params(ctx)
        coercion.install(params)  # the global options (-C, --color, ...) and the help option
        return params

    def format_commands(self, ctx: Any, formatter: Any) -> None:
        """The list of commands of the help, from the generated table when the app was built
        for its top-level help alone (``PipeTyper.help_only``): what each command's
        ``get_short_help_str`` gives, without importing or building any command
        (tests/test_completion.py holds the table to the app, tests/test_lazy_commands.py
        this help to the whole app's)."""
        if self.commands or not app.listing_only:
            return super().format_commands(ctx, formatter)
        from gettext import gettext as _

        from ..completiontable import TABLE

        rows = [(name, command["help"]) for name, command in TABLE["commands"].items() if not command["hidden"]]
        if rows:
            with formatter.section(_("Commands")):
                formatter.write_dl(rows)

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        if not args and self.no_args_is_help:
            return super().parse_args(ctx, args)  # "pipe" alone: the help, as click shows it
        _refuse_undecodable(self, ctx, args)
        try:
            return super().parse_args(ctx, completion.with_optional_shell(args))
        except typer.TyperException as err:
            if _is_usage_error(err):
                _usage_exit(err)
            raise

    def invoke(self, ctx: Any) -> Any:
        try:
            settings.load()
            return super().invoke(ctx)
        except PipeError as err:
            if isinstance(err, Unwritable) and err.internal and _debug():
                raise
            typer.echo(f"pipe: {located(err)}", err=True)
            raise typer.Exit(exit_code(err)) from None
        except BrokenPipeError:
            # `pipe list | head -1`: the reader has what it wanted; not an error, not a word
            _silence_stdout()
            raise typer.Exit(0) from None
        except OSError as err:
            if not getattr(err, "filename", None) and _output_failed(err):
                # a full disk or a closed pipe behind standard output (`pipe list > /dev/full`)
                _silence_stdout()
                typer.echo(f"pipe: cannot write the output: {err.strerror or err}", err=True)
                raise typer.Exit(EXIT_ERROR) from None
            where = f" {err.filename}" if getattr(err, "filename", None) else ""
            typer.echo(f"pipe: cannot access{where}: {err.strerror or err}", err=True)
            raise typer.Exit(EXIT_ERROR) from None
        except KeyboardInterrupt:
            _silence_stdout()
            raise typer.Exit(EXIT_INTERRUPTED) from None
        except (typer.Exit, typer.Abort):
            raise
        except typer.TyperException as err:  # click's own errors: a wrong command line, or for click to show
            if _is_usage_error(err):
                _usage_exit(err)
            raise
        except Exception as err:  # a bug: still one line, the traceback on request
            if _debug():
                raise
            typer.echo(
                f"pipe: internal error: {type(err).__name__}: {err} "
                "(set PIPE_DEBUG=1 to see where, and please report it)",
                err=True,
            )
            raise typer.Exit(EXIT_ERROR) from None


EXIT_INTERRUPTED = 130  # Ctrl-C, as shells report a command ended by SIGINT


def _output_failed(err: OSError) -> bool:
    """True when ``err`` came from writing the command's output (``echo`` or ``write``)."""
    tb = err.__traceback__
    names = set()
    while tb is not None:
        names.add(tb.tb_frame.f_code.co_name)
        tb = tb.tb_next
    return bool(names & {"echo", "write"})


def _debug() -> bool:
    try:
        return settings.current().debug
    except PipeError:
        return False


def exit_code(err: PipeError) -> int:
    """The exit code of an error: 2 for a value that cannot be used (a wrong command
    line or environment), else the error's own (1 unless it says otherwise)."""
    if isinstance(err, (InvalidValue, BadSetting)):
        return EXIT_USAGE
    return err.exit_code


_WRONG_STATUS = {
    "move": "deal {id} is {status}; run `pipe reopen {id}` before moving it",
    "close": "deal {id} is already {status}; `pipe reopen` it first",
    "reopen": "deal {id} is open already; nothing to reopen",
    "snooze": "deal {id} is {status}; only open deals go stale, so there is nothing to snooze",
}


def describe(err: PipeError) -> str:
    """An error's message as the command line says it: with the option, command or
    variable that fixes it."""
    if isinstance(err, OutOfOrder):
        return (
            f"--at {err.at.isoformat()} is before this deal's last entry ({err.last.isoformat()}); "
            "history stays in time order: give a later --at"
        )
    if isinstance(err, WrongStatus) and err.action in _WRONG_STATUS:
        return _WRONG_STATUS[err.action].format(id=err.deal_id, status=err.status)
    if isinstance(err, NoNextStep):
        return f"{err.message}; set one with `pipe next {err.deal_id} TEXT --due DATE`"
    if isinstance(err, UnknownField):
        own = shlex.quote(f"{err.field}={err.value}" if err.value else f"{err.field}=VALUE")
        return f"{err.message} (a field of your own: --custom {own})"
    if isinstance(err, UnknownStage):
        if err.status:
            hint = f"; {err.status} is a status: use `pipe {err.status} DEAL`"
        else:
            hint = f"; did you mean {err.suggestion}?" if err.suggestion else ""
        return f"unknown stage {err.value!r}: the stages are {', '.join(err.stages)}{hint}"
    if isinstance(err, UnknownMe):
        if err.identity is None:
            return "--owner me: who you are is unknown; set PIPE_USER to your owner name (or git's user.email)"
        fix = "set PIPE_USER to one of them" if err.matches else "set PIPE_USER to your owner name"
        return f"--owner me: {err.message}; {fix}, or give --owner NAME"
    if isinstance(err, NotFound):
        return err.message if err.candidates else f"{err.message}; `pipe list` shows the ids"
    if isinstance(err, Ambiguous):
        return f"{err.message}; type more of the id"
    if isinstance(err, AlreadyExists):
        return f"{err.message}; choose another --id"
    if isinstance(err, LockTimeout):
        from ..documents import display_path

        lock = display_path(err.lock)
        if err.several:
            return (
                f"other pipe commands held the lock {lock} one after another for all of the {err.timeout:g}s "
                f"this one waited (the last: {err.holder}); try again, or wait longer with PIPE_LOCK_TIMEOUT=SECONDS"
            )
        who = f" ({err.holder})" if err.holder else ""
        return (
            f"another pipe command has held the lock {lock}{who} for {err.timeout:g}s; "
            "wait for it to finish and try again"
        )
    if isinstance(err, Unwritable):
        from ..documents import display_path

        where = display_path(err.path_written)
        if err.internal:
            return (
                f"internal error: the new text of deal {err.deal_id} ({where}) would not read back as written "
                f"({err.reason}); nothing was written (set PIPE_DEBUG=1 to see where, and please report it)"
            )
        return (
            f"{where} would be {err.reason} with this change; nothing was written "
            "(keep long texts in a file of their own and note where it is)"
        )
    if isinstance(err, NoPipeline):
        if err.missing:
            return f"{err.message}; check -C or PIPE_DIR"
        return f"{err.message}; run `pipe init` to create a pipeline, or pass -C DIR"
    return err.message


def located(err: PipeError) -> str:
    """The error as `path:line: message`, the path as `list` and `check` show it."""
    if err.path is None:
        return describe(err)
    from ..documents import display_path

    where = display_path(err.path) + (f":{err.line}" if err.line else "")
    return f"{where}: {describe(err)}"


def _is_usage_error(err: typer.TyperException) -> bool:
    """A wrong command line, as click reports it: its usage errors exit with 2."""
    return err.exit_code == EXIT_USAGE


def _usage_exit(err: typer.TyperException) -> None:
    """A wrong command line as one line on stderr, like every other error, then exit 2."""
    ctx = getattr(err, "ctx", None)
    path = ctx.command_path if ctx is not None else "pipe"
    message = " ".join(err.format_message().split())
    typer.echo(f"pipe: {message} (see `{path} --help`)", err=True)
    raise typer.Exit(EXIT_USAGE) from None


def _undecodable(text: str) -> bool:
    """True for text that no UTF-8 file can hold: bytes that were not UTF-8 (Python keeps them
    as lone surrogates, U+DC80 to U+DCFF), or any other lone surrogate a caller passed."""
    return not text.isascii() and any("\ud800" <= ch <= "\udfff" for ch in text)


def _is_path(param: Any) -> bool:
    annotation = getattr(getattr(param, "type_descriptor", None), "annotation", None)
    return annotation is Path or Path in typing.get_args(annotation)


def _argument_names(command: Any, ctx: Any, args: list[str]) -> list[str | None]:
    """For each argument, the option or argument of the command it gives a value to, as
    help names it (``--owner``, ``TEXT``); None for a name, a flag, or a folder or file
    path (a path is the file system's business, not text pipe writes)."""
    names: list[str | None] = [None] * len(args)
    params: list[Any] = list(command.params)
    positional: list[Any] = []
    only_positional = False
    i = 0
    while i < len(args):
        arg = args[i]
        if not only_positional and arg == "--":
            only_positional = True
        elif not only_positional and arg.startswith("-") and arg != "-":
            name = arg.split("=", 1)[0]
            param = next((p for p in params if p.param_type_name == "option" and name in p.opts), None)
            label = None if param is None or _is_path(param) else name
            if "=" in arg:
                names[i] = label
            elif param is not None and not param.is_flag and not param.count and i + 1 < len(args):
                i += 1
                names[i] = label
        elif positional:
            param = positional[0]
            names[i] = None if _is_path(param) else (param.metavar or param.name.upper())
            if param.nargs == 1:
                positional.pop(0)
        else:  # the name of a command: what follows are its options and arguments
            sub = command.get_command(ctx, arg) if hasattr(command, "get_command") else None
            if sub is None:
                break
            command = sub
            params = list(sub.params)
            positional = [p for p in params if p.param_type_name == "argument"]
        i += 1
    return names


def _refuse_undecodable(group: TyperGroup, ctx: Any, args: list[str]) -> None:
    """One clear line and exit 2 for a value that is not UTF-8: written to a deal file it
    would make a file no YAML reader accepts."""
    if not any(_undecodable(a) for a in args):
        return
    from ..documents import printable

    for arg, name in zip(args, _argument_names(group, ctx, args), strict=True):
        if name is None or not _undecodable(arg):
            continue
        value = arg.split("=", 1)[1] if name.startswith("-") and arg.startswith(name + "=") else arg
        typer.echo(
            f"pipe: {name}: '{printable(value)}' is not valid UTF-8 text; "
            "retype it, or convert it first (e.g. iconv -f latin1 -t utf-8)",
            err=True,
        )
        raise typer.Exit(EXIT_USAGE)


def _silence_stdout() -> None:
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


# Every command, in the order pipe --help lists them, and the module that registers it:
# a module is imported when one of its commands is first needed (pipecli.cli.main runs
# one command with its module alone). tests/test_lazy_commands.py holds this table to
# what the modules register.
COMMAND_MODULES = {
    **dict.fromkeys(
        [
            "init",
            "add",
            "move",
            "won",
            "lost",
            "reopen",
            "note",
            "next",
            "done",
            "set",
            "edit",
            "list",
            "show",
            "check",
        ],
        "pipecli.cli.deals",
    ),
    "search": "pipecli.cli.search",
    "report": "pipecli.cli.report",
    "stale": "pipecli.cli.stale",
    "snooze": "pipecli.cli.stale",
    "agenda": "pipecli.cli.agenda",
    "board": "pipecli.cli.board",
    **dict.fromkeys(["sync", "log", "undo", "merge-driver"], "pipecli.cli.team"),
    **dict.fromkeys(["import", "export"], "pipecli.cli.transfer"),
}


app = PipeTyper(
    name="pipe",
    modules=COMMAND_MODULES,
    cls=PipeGroup,
    add_completion=False,  # pipecli.cli.completion: --install-completion takes the shell's name
    no_args_is_help=True,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


# the global output choices, read by the commands (pipecli.cli.common.screen_for)
COLOR_KEY = "pipe.color"
PAGING_KEY = "pipe.paging"
COLOR_CHOICES = ("auto", "always", "never")


def _color(value: str) -> str:
    choice = value.strip().lower()
    if choice not in COLOR_CHOICES:
        raise typer.BadParameter(f"{value!r}: use auto, always or never")
    return choice


def _version(value: bool) -> None:
    if value:
        typer.echo(f"pipe {__version__}")
        raise typer.Exit()


@app.callback()
def main_options(
    ctx: typer.Context,
    directory: Annotated[
        Path | None,
        typer.Option(
            "-C",
            "--directory",
            help="Run as if started in DIR (the pipeline folder or one below it). "
            "Default: $PIPE_DIR, else the working directory and its parents.",
            metavar="DIR",
        ),
    ] = None,
    color: Annotated[
        str,
        typer.Option(
            "--color",
            help="Colour the output: auto (on a terminal, unless NO_COLOR is set or TERM=dumb), always or never.",
            metavar="WHEN",
            callback=_color,
            autocompletion=lambda: list(COLOR_CHOICES),
        ),
    ] = "auto",
    no_pager: Annotated[
        bool,
        typer.Option(
            "--no-pager",
            help="Do not send long output to a pager (default: $PIPE_PAGER, else $PAGER, else less -FRX).",
        ),
    ] = False,
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit."),
    ] = False,
    install_completion: Annotated[
        str | None,
        typer.Option(
            "--install-completion",
            help="Install completion for SHELL (bash, zsh, fish, powershell or pwsh; default: the shell you use).",
            metavar="[SHELL]",
            callback=completion.install,
            is_eager=True,
            expose_value=False,
        ),
    ] = None,
    show_completion: Annotated[
        str | None,
        typer.Option(
            "--show-completion",
            help="Print the completion script for SHELL, to install it by hand.",
            metavar="[SHELL]",
            callback=completion.show,
            is_eager=True,
            expose_value=False,
        ),
    ] = None,
) -> None:
    """A sales pipeline in plain YAML files, driven from the shell.

    Exit codes: 0 ok; 1 an error, or findings (check, bad files, stale deals
    with --fail-if-any); 2 a wrong command line.
    """
    ctx.obj = directory
    ctx.meta[COLOR_KEY] = color
    ctx.meta[PAGING_KEY] = not no_pager
