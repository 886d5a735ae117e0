"""The Typer application, its global options and the one top-level error handler."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from .. import __version__
from ..errors import EXIT_ERROR, PipeError


class PipeGroup(TyperGroup):
    """Maps every PipeError (and stray OS errors) to one line on stderr and an exit code."""

    def parse_args(self, ctx: typer.Context, args: list[str]) -> list[str]:
        try:
            return super().parse_args(ctx, args)
        except Exception as err:
            if _is_usage_error(err):
                _usage_exit(err)
            raise

    def invoke(self, ctx: typer.Context) -> Any:
        try:
            return super().invoke(ctx)
        except PipeError as err:
            typer.echo(f"pipe: {_describe(err)}", err=True)
            raise typer.Exit(err.exit_code) from None
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
        except Exception as err:  # a bug: still one line, the traceback on request
            if os.environ.get("PIPE_DEBUG"):
                raise
            if _is_usage_error(err):
                _usage_exit(err)
            if _is_click_exception(err):
                raise
            typer.echo(
                f"pipe: internal error: {type(err).__name__}: {err} "
                "(set PIPE_DEBUG=1 to see where, and please report it)",
                err=True,
            )
            raise typer.Exit(EXIT_ERROR) from None


def _is_click_exception(err: Exception) -> bool:
    return any(c.__name__ in ("ClickException", "UsageError", "Exit", "Abort") for c in type(err).__mro__)


def _describe(err: PipeError) -> str:
    """The error as `path:line: message`, the path as `list` and `check` show it."""
    if err.path is None:
        return err.message
    from ..store import display_path

    where = display_path(err.path) + (f":{err.line}" if err.line else "")
    return f"{where}: {err.message}"


def _is_usage_error(err: Exception) -> bool:
    # "pipe" alone shows the help (click signals that with a UsageError subclass)
    names = {c.__name__ for c in type(err).__mro__}
    return "UsageError" in names and "NoArgsIsHelpError" not in names


def _usage_exit(err: Exception) -> None:
    """A wrong command line as one line on stderr, like every other error, then exit 2."""
    ctx = getattr(err, "ctx", None)
    path = ctx.command_path if ctx is not None else "pipe"
    message = " ".join(err.format_message().split())  # type: ignore[attr-defined]
    typer.echo(f"pipe: {message} (see `{path} --help`)", err=True)
    raise typer.Exit(getattr(err, "exit_code", 2)) from None


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
