"""Shell completion: installing it for the shell named, and completing values with spaces quoted.

``pipe --install-completion bash`` installs bash's completion whatever shell runs
``pipe``; without a name it is the shell ``pipe`` runs in. ``--show-completion
[SHELL]`` prints the script instead. Bash inserts a completion as it is, so an
owner ``Anna Snelling`` is completed as ``Anna\\ Snelling`` (or, after an opening
quote, as the text the quote then closes); zsh and fish quote what they insert
themselves.

A TAB is answered by ``pipecli.quickcomplete`` before typer is imported, from a
table of the command line generated here from the typer app (:func:`table_text`;
``python -m pipecli.cli.maketable`` writes ``pipecli/completiontable.py``); what it
cannot answer with certainty comes here, to typer's completion.

This module imports nothing but typer and the light ``pipecli.quickcomplete``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import typer
from typer._completion_classes import BashComplete, completion_init
from typer._completion_shared import get_completion_script
from typer._completion_shared import install as install_script

from ..quickcomplete import bash_quoted, quote_opened

SHELLS = ("bash", "zsh", "fish", "powershell", "pwsh")  # typer's Shells
COMPLETE_VAR = "_PIPE_COMPLETE"
OPTIONS = ("--install-completion", "--show-completion")
TABLE_PATH = Path(__file__).resolve().parent.parent / "completiontable.py"


class PipeBashComplete(BashComplete):
    """Bash completion that quotes what it offers, unless the word being completed opened a quote."""

    def format_completion(self, item: Any) -> str:
        value = str(item.value)
        return value if _quote_opened() else bash_quoted(value)

    def complete(self) -> str:
        args, incomplete = self.get_completion_args()
        return "\n".join(
            self.format_completion(item) for item in self.get_completions(args, incomplete) if "\n" not in item.value
        )


def _quote_opened() -> bool:
    return quote_opened(os.environ)


def register() -> None:
    """Make ``_PIPE_COMPLETE=complete_SHELL pipe`` answer in the format of the installed scripts."""
    from typer._click.shell_completion import add_completion_class

    completion_init()
    add_completion_class(PipeBashComplete, "bash")


register()


def with_optional_shell(args: list[str]) -> list[str]:
    """``--install-completion`` and ``--show-completion`` take a shell's name, or nothing:
    a bare one (last, or followed by another option) is given the empty name, "the shell
    pipe runs in"."""
    out = list(args)
    for i, arg in enumerate(out):
        if arg == "--":
            break
        if arg in OPTIONS and (i + 1 == len(out) or out[i + 1].startswith("-")):
            out[i] = f"{arg}="
    return out


def _shell(value: str) -> str:
    name = value.strip().lower()
    if not name:
        from typer._completion_shared import _get_shell_name

        detected = _get_shell_name()
        if detected not in SHELLS:
            raise typer.BadParameter(f"cannot tell which shell runs pipe; name it: {', '.join(SHELLS)}")
        return str(detected)
    if name not in SHELLS:
        raise typer.BadParameter(f"{value!r} is not a shell pipe completes in; use {', '.join(SHELLS)}")
    return name


def install(ctx: typer.Context, value: str | None) -> None:
    """``--install-completion [SHELL]``: write the script where SHELL reads it, then exit."""
    if value is None or ctx.resilient_parsing:
        return
    shell = _shell(value)
    prog = ctx.find_root().info_name or "pipe"
    shell, path = install_script(shell=shell, prog_name=prog, complete_var=COMPLETE_VAR)
    typer.echo(f"{shell} completion installed in {path}")
    typer.echo("Completion will take effect once you restart the terminal")
    raise typer.Exit(0)


def show(ctx: typer.Context, value: str | None) -> None:
    """``--show-completion [SHELL]``: print SHELL's completion script, then exit."""
    if value is None or ctx.resilient_parsing:
        return
    shell = _shell(value)
    prog = ctx.find_root().info_name or "pipe"
    typer.echo(get_completion_script(prog_name=prog, complete_var=COMPLETE_VAR, shell=shell))
    raise typer.Exit(0)


# -- the table of the command line that pipecli.quickcomplete walks ---------------------------------
def _own_function(completer: Any) -> Any:
    """The function of pipe's that an ``autocompletion=`` names, found inside typer's wrappers."""
    seen: set[int] = set()
    todo = [completer]
    found = []
    while todo:
        fn = todo.pop()
        if id(fn) in seen or not callable(fn):
            continue
        seen.add(id(fn))
        if hasattr(fn, "__wrapped__"):  # a wrapper of typer's (functools.wraps)
            todo.append(fn.__wrapped__)
        elif getattr(fn, "__module__", "").startswith("pipecli."):
            found.append(fn)
            continue
        for cell in getattr(fn, "__closure__", None) or ():  # typer's wrappers keep it in a closure
            try:
                todo.append(cell.cell_contents)
            except ValueError:  # an empty cell
                continue
    if len(found) != 1:
        raise RuntimeError(f"cannot tell which function completes with {completer!r}")
    return found[0]


def _completes(ctx: Any, param: Any) -> dict[str, Any] | None:
    """What a parameter completes, as typer's ``_TyperParameter.shell_complete`` decides: its
    ``autocompletion=`` (one of pipe's completers that read the pipeline, else a function of
    no context whose offer is fixed), else its choices, else a file."""
    import inspect

    from . import common

    dynamic = {
        common.complete_deal: "deal",
        common.complete_stage: "stage",
        common.complete_owner: "owner",
        common.complete_tag: "tag",
    }
    if param._custom_shell_complete is not None:
        fn = _own_function(param._custom_shell_complete)
        if fn in dynamic:
            return {"kind": "dynamic", "name": dynamic[fn]}
        if any(p.annotation in (typer.Context, "typer.Context") for p in inspect.signature(fn).parameters.values()):
            raise RuntimeError(f"{fn.__qualname__} reads the context: pipecli.quickcomplete needs to know it")
        items = param.shell_complete(ctx, "")
        return {"kind": "static", "items": [[str(i.value), i.help] for i in items]}
    desc = param.type_descriptor
    if desc.is_choice and desc.choices is not None:
        choices = [str(i.value) for i in param.shell_complete(ctx, "")]
        return {"kind": "choice", "choices": choices, "case_sensitive": bool(desc.case_sensitive)}
    if desc.is_file:
        return {"kind": "file"}
    return None


def _params(ctx: Any) -> list[dict[str, Any]]:
    out = []
    help_option = ctx.command.get_help_option(ctx)
    for p in ctx.command.get_params(ctx):
        option = p.param_type_name == "option"
        out.append(
            {
                "kind": p.param_type_name,
                "name": p.name,
                # the help option's names are a set's, in the order the set lists them in each
                # process (click's get_help_option_names): the fast path makes the set as click does
                "opts": list(ctx.help_option_names) if p is help_option else list(p.opts),
                "help_option": p is help_option,
                "secondary_opts": list(p.secondary_opts),
                "flag": bool(option and p.is_flag),
                "count": bool(option and p.count),
                "flag_needs_value": bool(option and getattr(p, "_flag_needs_value", False)),
                "multiple": bool(p.multiple),
                "nargs": p.nargs,
                "hidden": bool(getattr(p, "hidden", False)),
                "eager": bool(p.is_eager),
                "help": getattr(p, "help", None) or None,
                "completes": _completes(ctx, p),
            }
        )
    return out


def command_table() -> dict[str, Any]:
    """pipe's command line as ``pipecli.quickcomplete`` walks it: the root's parameters and
    its commands (name, summary, hidden, parameters), in the order click lists them."""
    import typer.main

    from . import app

    group: Any = typer.main.get_command(app)
    root = group.make_context("pipe", [], resilient_parsing=True)
    commands: dict[str, Any] = {}
    for name in group.list_commands(root):
        command = group.get_command(root, name)
        if hasattr(command, "list_commands"):
            raise RuntimeError(f"pipe {name} is a group: pipecli.quickcomplete completes one level of commands")
        sub = command.make_context(name, [], parent=root, resilient_parsing=True)
        commands[name] = {"help": command.get_short_help_str(), "hidden": bool(command.hidden), "params": _params(sub)}
    return {"params": _params(root), "commands": commands}


def table_text() -> str:
    """The text of ``pipecli/completiontable.py``: :func:`command_table` as JSON, a parameter a line."""
    import json

    def dumps(value: Any) -> str:
        return json.dumps(value, ensure_ascii=True, separators=(", ", ": "))

    def params(ps: list[dict[str, Any]], indent: str) -> str:
        return "[\n" + ",\n".join(indent + dumps(p) for p in ps) + "\n" + indent[:-1] + "]"

    table = command_table()
    commands = ",\n".join(
        f' {dumps(name)}: {{"help": {dumps(c["help"])}, "hidden": {dumps(c["hidden"])}, '
        f'"params": {params(c["params"], "   ")}}}'
        for name, c in table["commands"].items()
    )
    data = f'{{"params": {params(table["params"], "  ")},\n"commands": {{\n{commands}\n}}}}'
    if json.loads(data) != table or '"""' in data:
        raise RuntimeError("the table does not read back as written")
    return (
        '"""pipe\'s command line for ``pipecli.quickcomplete``, generated from the typer app by\n'
        "``python -m pipecli.cli.maketable``, which writes this file anew: do not edit it by hand\n"
        '(tests/test_completion.py fails when it differs from what the app generates)."""\n'
        "\n"
        "# ruff: noqa: E501\n"
        "import json\n"
        "from typing import Any\n"
        "\n"
        f'TABLE: dict[str, Any] = json.loads(\n    r"""{data}"""\n)\n'
    )


def write_table() -> Path:
    """Write ``pipecli/completiontable.py`` anew from the app (``python -m pipecli.cli.maketable``)."""
    TABLE_PATH.write_text(table_text(), encoding="utf-8")
    return TABLE_PATH
