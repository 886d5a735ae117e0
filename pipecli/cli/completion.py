"""Shell completion: installing it for the shell named, and completing values with spaces quoted.

``pipe --install-completion bash`` installs bash's completion whatever shell runs
``pipe``; without a name it is the shell ``pipe`` runs in. ``--show-completion
[SHELL]`` prints the script instead. Bash inserts a completion as it is, so an
owner ``Anna Snelling`` is completed as ``Anna\\ Snelling`` (or, after an opening
quote, as the text the quote then closes); zsh and fish quote what they insert
themselves.

This module imports nothing but typer (completion runs on every Tab).
"""

from __future__ import annotations

import os
from typing import Any

import typer
from typer._completion_classes import BashComplete, completion_init
from typer._completion_shared import get_completion_script
from typer._completion_shared import install as install_script

SHELLS = ("bash", "zsh", "fish", "powershell", "pwsh")  # typer's Shells
COMPLETE_VAR = "_PIPE_COMPLETE"
OPTIONS = ("--install-completion", "--show-completion")
# characters bash reads as something other than themselves in a word
_BASH_SPECIAL = frozenset(" \t'\"\\$`&|;<>()[]{}*?!#~^")


def bash_quoted(value: str) -> str:
    """``value`` as one bash word: each special character behind a backslash."""
    return "".join("\\" + ch if ch in _BASH_SPECIAL else ch for ch in value)


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
    words = os.environ.get("COMP_WORDS", "")
    parts = words.split("\n") if "\n" in words else words.split(" ")
    try:
        current = parts[int(os.environ.get("COMP_CWORD", "0"))]
    except (IndexError, ValueError):
        return False
    return current[:1] in ("'", '"')


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
