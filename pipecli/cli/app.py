"""The Typer application, its global options and the one top-level error handler.

The handler reads the settings (``pipecli.settings``) once as a command starts,
words the library's typed errors for the shell (with the ``--at`` or ``pipe
reopen`` that fixes them) and maps each kind of error to its exit code.
"""

from __future__ import annotations

import os
import sys
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
    NoPipeline,
    NotFound,
    OutOfOrder,
    PipeError,
    UnknownStage,
    WrongStatus,
)


class PipeGroup(TyperGroup):
    """Maps every PipeError (and stray OS errors) to one line on stderr and an exit code."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        if not args and self.no_args_is_help:
            return super().parse_args(ctx, args)  # "pipe" alone: the help, as click shows it
        try:
            return super().parse_args(ctx, args)
        except typer.TyperException as err:
            if _is_usage_error(err):
                _usage_exit(err)
            raise

    def invoke(self, ctx: Any) -> Any:
        try:
            settings.load()
            return super().invoke(ctx)
        except PipeError as err:
            typer.echo(f"pipe: {located(err)}", err=True)
            raise typer.Exit(exit_code(err)) from None
        except BrokenPipeError:
            # `pipe list | head`: the reader left; that is not an error worth a word
            _silence_stdout()
            raise typer.Exit(EXIT_ERROR) from None
        except OSError as err:
            where = f" {err.filename}" if getattr(err, "filename", None) else ""
            typer.echo(f"pipe: cannot access{where}: {err.strerror or err}", err=True)
            raise typer.Exit(EXIT_ERROR) from None
        except (typer.Exit, typer.Abort, KeyboardInterrupt):
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
    if isinstance(err, UnknownStage):
        if err.status:
            hint = f"; {err.status} is a status: use `pipe {err.status} DEAL`"
        else:
            hint = f"; did you mean {err.suggestion}?" if err.suggestion else ""
        return f"unknown stage {err.value!r}: the stages are {', '.join(err.stages)}{hint}"
    if isinstance(err, NotFound):
        return err.message if err.candidates else f"{err.message}; `pipe list` shows the ids"
    if isinstance(err, Ambiguous):
        return f"{err.message}; type more of the id"
    if isinstance(err, AlreadyExists):
        return f"{err.message}; choose another --id"
    if isinstance(err, LockTimeout):
        from ..documents import display_path

        return (
            f"another pipe command has held the lock {display_path(err.lock)} for {err.timeout:g}s; "
            "wait for it to finish and try again"
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


def _silence_stdout() -> None:
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


app = typer.Typer(
    name="pipe",
    cls=PipeGroup,
    no_args_is_help=True,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


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
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit."),
    ] = False,
) -> None:
    """A sales pipeline in plain YAML files, driven from the shell.

    Exit codes: 0 ok; 1 an error, or findings (check, bad files, stale deals
    with --fail-if-any); 2 a wrong command line.
    """
    ctx.obj = directory
