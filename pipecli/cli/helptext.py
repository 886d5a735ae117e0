"""How `pipe COMMAND --help` reads: usage lines and placeholders in capitals, whole summaries, examples last.

Typer's own help shows Python types as placeholders (``TITLE <str>``) and a
required argument in braces (``{title}``), and cuts the summary of a command in
the list of commands mid-sentence. :class:`PipeCommand` shows arguments as
``TITLE``, ``[TEXT]`` or ``FIELD=VALUE...``, and a command's summary (the first
paragraph of its docstring) whole. Every command of ``app`` uses it:
:class:`PipeTyper` makes it the default.

A command's examples go in its ``epilog``, made by :func:`examples`, so they are
the last thing its help shows.

This module imports nothing but typer (and ``coercion``, which imports only typer).
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Mapping
from typing import Any

import typer
from typer.core import TyperArgument, TyperCommand

from . import coercion


def argument_placeholder(param: Any) -> str:
    """An argument as usage lines and help show it: its metavar (else its name in capitals),
    ``...`` when it takes several values."""
    name = param.metavar or (param.name or "").upper()
    return name + ("..." if param.nargs != 1 else "")


def summary(help_text: str | None) -> str:
    """A command's one-line summary: the first paragraph of its help, whole."""
    text = inspect.cleandoc(help_text or "")
    return " ".join(text.split("\n\n", 1)[0].split())


def examples(*lines: str) -> str:
    """The epilog that ends a command's help: its examples, shown as written."""
    return "Examples:\n\n\b\n" + "\n".join(f"  {line}" for line in lines)


def example_lines(epilog: str | None) -> list[str]:
    """The examples of a command's epilog (as :func:`examples` wrote them)."""
    if not epilog or "\b\n" not in epilog:
        return []
    return [line.strip() for line in epilog.split("\b\n", 1)[1].splitlines() if line.strip()]


class PipeCommand(TyperCommand):
    """A command whose help shows no Python types and no braces, and whose text values
    skip typer's Pydantic coercion where it would give them back unchanged
    (``pipecli.cli.coercion``)."""

    def get_params(self, ctx: Any) -> list[Any]:
        params: list[Any] = super().get_params(ctx)
        coercion.install(params)  # its own and the help option, made on first use
        return params

    def collect_usage_pieces(self, ctx: Any) -> list[str]:
        pieces = [self.options_metavar] if self.options_metavar else []
        for param in self.get_params(ctx):
            if isinstance(param, TyperArgument):
                shown = argument_placeholder(param)
                pieces.append(shown if param.required else f"[{shown}]")
            else:
                pieces.extend(param.get_usage_pieces(ctx))
        return pieces

    def format_options(self, ctx: Any, formatter: Any) -> None:
        arguments = []
        options = []
        for param in self.get_params(ctx):
            record = param.get_help_record(ctx)
            if record is None:
                continue
            if isinstance(param, TyperArgument):
                arguments.append((argument_placeholder(param), record[1]))
            else:
                options.append(record)
        if arguments:
            with formatter.section("Arguments"):
                formatter.write_dl(arguments)
        if options:
            with formatter.section("Options"):
                formatter.write_dl(options)

    def get_short_help_str(self, limit: int = 45) -> str:
        return summary(self.short_help or self.help)


class PipeTyper(typer.Typer):
    """A Typer app whose commands are :class:`PipeCommand` unless they say otherwise,
    registered by the modules ``modules`` names, imported when the commands are first needed.

    ``modules`` maps each command's name to the module that registers it, in the order of
    the help's list of commands (the order the commands are listed in, whatever order the
    modules are imported in). :meth:`run_only` narrows the app to one command: only its
    module is imported and only it is built (`pipe note ...` runs without importing or
    building the other commands). :meth:`help_only` narrows it to none: the top-level help
    (`pipe --help`, `pipe`) reads its list of commands from the generated table instead
    (``app.PipeGroup.format_commands``).
    """

    def __init__(self, *args: Any, modules: Mapping[str, str] | None = None, **kwargs: Any) -> None:
        self.modules: dict[str, str] = dict(modules or {})
        self._order = {name: i for i, name in enumerate(self.modules)}
        self._only: str | None = None
        self.listing_only = False  # no command built: the top-level help alone (help_only)
        self._loading = False
        self._registered: list[Any] = []
        super().__init__(*args, **kwargs)

    def command(self, *args: Any, **kwargs: Any) -> Any:
        kwargs.setdefault("cls", PipeCommand)
        decorate = super().command(*args, **kwargs)

        def register(function: Any) -> Any:
            loading, self._loading = self._loading, True  # typer appends to the list itself
            try:
                return decorate(function)
            finally:
                self._loading = loading

        return register

    def run_only(self, name: str | None) -> None:
        """Narrow the app to the command ``name`` (a name of ``modules``), or widen it to every
        command again (None)."""
        self._only = name if name in self.modules else None
        self.listing_only = False

    def help_only(self) -> None:
        """Build the app without any command, for its top-level help alone: no command
        module is imported (:meth:`run_only` widens it again)."""
        self._only, self.listing_only = None, True

    @property
    def registered_commands(self) -> list[Any]:  # type: ignore[override]
        """The commands typer builds: every command, the one of :meth:`run_only`, or none."""
        if self.listing_only:
            return []
        if not self._loading:
            self._loading = True  # the modules' @app.command() read this list to add to it
            try:
                wanted = [self.modules[self._only]] if self._only else self.modules.values()
                for module in dict.fromkeys(wanted):
                    importlib.import_module(module)
            finally:
                self._loading = False
        else:
            return self._registered
        if self._only is not None:
            return [info for info in self._registered if command_name(info) == self._only]
        last = len(self._order)
        self._registered.sort(key=lambda info: self._order.get(command_name(info), last))
        return self._registered

    @registered_commands.setter
    def registered_commands(self, commands: list[Any]) -> None:
        self._registered = commands


def command_name(info: Any) -> str:
    """The name a registered command is run by (typer's rule: the function's name, with -)."""
    return str(info.name or info.callback.__name__.lower().replace("_", "-"))
