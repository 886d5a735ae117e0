"""The `pipe` command line: thin commands that parse, call the library, and render.

``app`` is the Typer application with every command. The commands are registered by
the modules of this package that ``app.COMMAND_MODULES`` names, imported when ``app``
first needs its commands: `pipe CMD` (``main``) imports and builds CMD alone, `pipe
--help` none (its list of commands is the generated table's), anything else every
command. Command modules import the library inside each command, so that every command
(and every TAB of completion) pays only for what it uses (docs/architecture.md, "Imports").
"""

from __future__ import annotations

import importlib
import os
import sys
import types
from collections.abc import Sequence
from typing import Any

from .app import app
from .completion import COMPLETE_VAR

__all__ = ["app", "command_named", "main"]

# the global options that take a value (pipecli.cli.app.main_options)
_WITH_VALUE = ("-C", "--directory", "--color")
_FLAGS = ("--no-pager",)


def command_named(args: Sequence[str]) -> str | None:
    """The command a command line runs, when the global options before it are plain
    (``-C DIR``, ``--color WHEN``, ``--no-pager``); None for anything else (help, version,
    completion, a name that is not a command), which is then left to the whole app."""
    i = 0
    while i < len(args):
        arg = args[i]
        if arg in _WITH_VALUE:
            i += 2
            continue
        if arg in _FLAGS or arg.startswith(("--directory=", "--color=")) or (arg.startswith("-C") and arg != "-C"):
            i += 1
            continue
        if arg.startswith("-"):
            return None
        return arg if arg in app.modules else None
    return None


_LOADER = "pydantic.plugin._loader"
_NO_PLUGINS = ("__all__", "1", "true")  # the values that turn every plugin off (pydantic's docs)


def _real_loader() -> types.ModuleType:
    """pydantic's own plugin loader, in place of the stand-in."""
    if getattr(sys.modules.get(_LOADER), "pipe_stand_in", False):
        del sys.modules[_LOADER]
    return importlib.import_module(_LOADER)


def _stand_in_loader() -> types.ModuleType:
    """A stand-in for pydantic's plugin loader while plugins are off: pydantic asks it for
    the plugins each time it builds a validator, and the loader's module imports
    importlib.metadata (email, zipfile, csv, ...) before it reads the variable that turns
    plugins off. The stand-in answers "none" while PYDANTIC_DISABLE_PLUGINS says so, and
    hands anything else to pydantic's own loader."""
    stand_in = types.ModuleType(_LOADER)

    def get_plugins() -> Any:
        if os.environ.get("PYDANTIC_DISABLE_PLUGINS") in _NO_PLUGINS:
            return ()
        return _real_loader().get_plugins()

    def __getattr__(name: str) -> Any:
        if name.startswith("__"):  # what the import system asks of any module (__path__, ...)
            raise AttributeError(name)
        return getattr(_real_loader(), name)

    stand_in.get_plugins = get_plugins  # type: ignore[attr-defined]
    stand_in.__getattr__ = __getattr__  # type: ignore[method-assign]
    stand_in.pipe_stand_in = True  # type: ignore[attr-defined]
    return stand_in


def main() -> None:
    # pipe uses no pydantic plugins: looking them up reads the entry points of every
    # installed distribution, a tenth of a one-deal command (typer skips it the same way)
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
    if os.environ["PYDANTIC_DISABLE_PLUGINS"] in _NO_PLUGINS and _LOADER not in sys.modules:
        sys.modules[_LOADER] = _stand_in_loader()
    args = sys.argv[1:]
    if args in ([], ["--help"], ["-h"]) and not os.environ.get(COMPLETE_VAR):  # a TAB's words are not in argv
        app.help_only()  # `pipe --help`, `pipe`: the list of commands, no command built
    else:
        app.run_only(command_named(args))
    try:
        app(prog_name="pipe")
    finally:
        app.run_only(None)
