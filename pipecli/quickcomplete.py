"""A TAB of shell completion answered before typer is imported.

Every TAB starts ``pipe`` anew (``_PIPE_COMPLETE=complete_bash COMP_WORDS=... pipe``);
importing typer, its click and the command modules costs several times Python's own
start. ``pipecli.launch`` hands such a request here first: this module imports only the
standard library and ``pipecli``'s light modules (``settings``, ``errors``, ``locate``,
``indexfile``, the generated ``completiontable``) and answers as the typer path would, in
the same format (bash as ``pipecli.cli.completion.PipeBashComplete`` quotes it; zsh, fish
and PowerShell as typer formats them).

What the command line is (commands, their options, which take values, what each
completes) is not written here: it is ``completiontable``, generated from the typer app
by ``python -m pipecli.cli.maketable`` (a test regenerates it and fails when it differs).
This module walks the words as click's completion walks them (``_resolve_context``,
``_resolve_incomplete``), for the plain command lines it understands; for anything else
(an unknown word or option, ``--``, ``--help`` or ``--version`` before the TAB, a shell
or an encoding it does not know, a help text a shell would show, no index yet) it
answers None and the typer path answers instead, so no answer is ever worse.

It never writes: owners and tags come from the index in ``.pipe/index`` as the last
command that read the deals left it (the typer path builds the index when there is none;
here that is left to it), stages from the index's header while pipeline.yaml has not
changed since the index was written, deal ids from the names in ``deals/``.
"""

from __future__ import annotations

import os
import stat
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

# characters bash reads as something other than themselves in a word
_BASH_SPECIAL = frozenset(" \t'\"\\$`&|;<>()[]{}*?!#~^")
FULL_PATH = "PIPE_COMPLETE_FULL"  # set (not empty, not 0): every TAB takes the typer path
_SHELLS = ("bash", "zsh", "fish", "powershell", "pwsh")

Item = tuple[str, "str | None"]  # a completion: value, help


class Unsure(Exception):
    """The request is one this module does not answer with certainty: the typer path answers."""


def bash_quoted(value: str) -> str:
    """``value`` as one bash word: each special character behind a backslash."""
    return "".join("\\" + ch if ch in _BASH_SPECIAL else ch for ch in value)


def quote_opened(environ: Mapping[str, str]) -> bool:
    """True when the word bash completes opened a quote (``"Ann``): the value is then given
    as it is, and the shell closes the quote."""
    words = environ.get("COMP_WORDS", "")
    parts = words.split("\n") if "\n" in words else words.split(" ")
    try:
        current = parts[int(environ.get("COMP_CWORD", "0"))]
    except (IndexError, ValueError):
        return False
    return current[:1] in ("'", '"')


def split_arg_string(string: str) -> list[str]:
    """Words as the shell gave them, split as click's completion splits them (``shlex``,
    an unclosed quote or escape kept as the partial word)."""
    import shlex

    lex = shlex.shlex(string, posix=True)
    lex.whitespace_split = True
    lex.commenters = ""
    out = []
    try:
        for token in lex:
            out.append(token)
    except ValueError:
        out.append(lex.token)
    return out


# -- the words of the request -------------------------------------------------------------------
def _request(shell: str, environ: Mapping[str, str]) -> tuple[list[str], str]:
    """The complete words after ``pipe`` and the word being completed, as typer's completion
    classes read them from the environment."""
    if shell == "bash":
        try:
            cwords = split_arg_string(environ["COMP_WORDS"])
            cword = int(environ["COMP_CWORD"])
        except (KeyError, ValueError):
            raise Unsure("no COMP_WORDS or COMP_CWORD") from None
        args = cwords[1:cword]
        try:
            incomplete = cwords[cword]
        except IndexError:
            incomplete = ""
        return args, incomplete
    completion_args = environ.get("_TYPER_COMPLETE_ARGS", "")
    cwords = split_arg_string(completion_args)
    if shell in ("powershell", "pwsh"):
        incomplete = environ.get("_TYPER_COMPLETE_WORD_TO_COMPLETE", "")
        return (cwords[1:-1] if incomplete else cwords[1:]), incomplete
    args = cwords[1:]
    if args and not completion_args.endswith(" "):
        return args[:-1], args[-1]
    return args, ""


# -- the words, walked as click walks them -----------------------------------------------------
class Walked:
    """A command and what its words gave: the parameters given on the command line, the
    number of positional words, the value of each option given."""

    def __init__(self, command: dict[str, Any]) -> None:
        self.command = command
        self.given: set[str] = set()
        self.values: dict[str, str] = {}
        self.positional = 0
        self.stopped = False  # at an option without its value: click then assigns no argument

    @property
    def is_group(self) -> bool:
        return "commands" in self.command


def _opts(command: dict[str, Any], param: dict[str, Any]) -> list[str]:
    """A parameter's names: for the help option, click's ``get_help_option_names`` (a set of
    the context's help names less the names other parameters take, listed in its order)."""
    if not param["help_option"]:
        return list(param["opts"])
    names = set(param["opts"])
    for other in command["params"]:
        if other is not param:
            names.difference_update(other["opts"])
            names.difference_update(other["secondary_opts"])
    return list(names)


def _option(command: dict[str, Any], name: str) -> dict[str, Any]:
    for param in command["params"]:
        if param["kind"] == "option" and (name in _opts(command, param) or name in param["secondary_opts"]):
            if param["eager"] or param["name"] == "help":
                raise Unsure(f"{name}: acts even while completing")
            return param
    raise Unsure(f"unknown option {name}")


def _walk(walked: Walked, words: list[str]) -> list[str]:
    """Parse ``words`` for ``walked``'s command; for a group, the words from its command's
    name on are returned unparsed (click's groups do not take options after a command)."""
    i = 0
    while i < len(words):
        word = words[i]
        if word == "--":
            raise Unsure("--")
        if word[:1] == "-" and len(word) > 1:
            if word.startswith("--"):
                name, eq, value = word.partition("=")
                attached: str | None = value if eq else None
            else:
                name, rest = word[:2], word[2:]
                attached = rest if rest else None
            param = _option(walked.command, name)
            if param["flag"] or param["count"]:
                if attached is not None:
                    raise Unsure(f"{word}: a flag with a value")
                walked.given.add(param["name"])
            else:
                if attached is None:
                    if i + 1 == len(words):
                        walked.stopped = True  # click stops at an option without its value
                        return []
                    i += 1
                    attached = words[i]
                    if attached[:1] == "-" and len(attached) > 1 and param["flag_needs_value"]:
                        raise Unsure(f"{name}: an optional value")
                if param["nargs"] != 1:
                    raise Unsure(f"{name} takes several values")
                walked.given.add(param["name"])
                walked.values[param["name"]] = attached
        elif walked.is_group:
            return words[i:]
        else:
            walked.positional += 1
        i += 1
    return []


def _arguments_given(walked: Walked) -> None:
    """Mark the arguments the positional words gave values to (in order; one that takes any
    number of values takes the rest)."""
    left = 0 if walked.stopped else walked.positional
    for param in walked.command["params"]:
        if param["kind"] != "argument" or not left:
            continue
        if param["nargs"] == -1:
            walked.given.add(param["name"])
            left = 0
        elif param["nargs"] == 1:
            walked.given.add(param["name"])
            left -= 1
        else:
            raise Unsure("an argument of several values")
    if left:
        raise Unsure("more words than arguments")


def _context(table: dict[str, Any], args: list[str]) -> tuple[Walked, Walked]:
    """The root's walk and the walk of the command being completed (the root itself when
    no command is named yet)."""
    root = Walked(table)
    rest = _walk(root, args)
    if not rest:
        return root, root
    command = table["commands"].get(rest[0])
    if command is None:
        raise Unsure(f"unknown command {rest[0]!r}")
    walked = Walked(command)
    if _walk(walked, rest[1:]):
        raise Unsure("a group below a group")
    _arguments_given(walked)
    return root, walked


def _option_names(walked: Walked, incomplete: str) -> list[Item]:
    """What click's ``Command.shell_complete`` offers: for a group its visible commands
    starting with ``incomplete``, and when ``incomplete`` starts with no letter or digit
    every option not given yet (or repeatable) whose name starts with it."""
    items: list[Item] = []
    if walked.is_group:
        for name, command in walked.command["commands"].items():
            if name.startswith(incomplete) and not command["hidden"]:
                items.append((name, command["help"]))
    if incomplete and not incomplete[0].isalnum():
        for param in walked.command["params"]:
            if param["kind"] != "option" or param["hidden"]:
                continue
            if not param["multiple"] and param["name"] in walked.given:
                continue
            names = [*_opts(walked.command, param), *param["secondary_opts"]]
            items.extend((n, param["help"]) for n in names if n.startswith(incomplete))
    return items


def _resolve(table: dict[str, Any], args: list[str], incomplete: str) -> tuple[Walked, Walked, Any]:
    """The walks and what completes ``incomplete``: a parameter's table entry, or None for
    the names of commands and options (click's ``_resolve_incomplete``)."""
    root, walked = _context(table, args)
    args = list(args)
    if incomplete == "=":
        incomplete = ""
    elif "=" in incomplete and incomplete[:1] == "-":
        name, _, incomplete = incomplete.partition("=")
        args.append(name)
        if name == "--":
            raise Unsure("--")
    if incomplete[:1] == "-":
        return root, walked, (None, incomplete)
    last = args[-1] if args else ""
    if last[:1] == "-":
        for param in walked.command["params"]:
            if (
                param["kind"] == "option"
                and not (param["flag"] or param["count"])
                and last in _opts(walked.command, param)
            ):
                if param["nargs"] != 1:
                    raise Unsure("an option of several values")
                return root, walked, (param, incomplete)
    for param in walked.command["params"]:
        if param["kind"] == "argument" and (param["nargs"] == -1 or param["name"] not in walked.given):
            return root, walked, (param, incomplete)
    return root, walked, (None, incomplete)


# -- the values -------------------------------------------------------------------------------
def _pipeline_root(root: Walked, environ: Mapping[str, str]) -> Path | None:
    """The pipeline folder as the commands find it (-C, else PIPE_DIR, else the working
    directory and its parents); None when there is none."""
    from .errors import NoPipeline, PipeError
    from .locate import find_root
    from .settings import Settings

    directory = root.values.get("directory")
    try:
        return find_root(None if directory is None else Path(directory), Settings.from_environ(environ))
    except NoPipeline:
        return None
    except (PipeError, OSError, ValueError):
        raise Unsure("the folder cannot be told") from None


def _real(path: Path, folder: bool) -> os.stat_result | None:
    """The stat of ``path`` when it is a real folder (or file), None when it is missing;
    ``Unsure`` for a symlink or anything else."""
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return None
    except OSError:
        raise Unsure(f"{path} cannot be read") from None
    if stat.S_ISLNK(st.st_mode) or not (stat.S_ISDIR(st.st_mode) if folder else stat.S_ISREG(st.st_mode)):
        raise Unsure(f"{path} is a symlink or of another kind")
    return st


def _deal_ids(folder: Path, incomplete: str) -> list[str]:
    """The ids of deals/ that start with ``incomplete``, in the order of their file names
    (``Store.deal_ids``)."""
    from .locate import DEALS_DIR, is_deal_name

    deals = folder / DEALS_DIR
    try:
        st = os.lstat(deals)
    except FileNotFoundError:
        return []
    except OSError:
        raise Unsure("deals/ cannot be read") from None
    if stat.S_ISLNK(st.st_mode):
        raise Unsure("deals/ is a symlink")
    if not stat.S_ISDIR(st.st_mode):
        return []
    try:
        names = os.listdir(deals)
    except OSError:
        raise Unsure("deals/ cannot be listed") from None
    if incomplete:  # a file's name starts with its id: the cheap test first
        names = [n for n in names if n.startswith(incomplete)]
    return [n[:-5] for n in sorted(n for n in names if is_deal_name(n) and n[:-5].startswith(incomplete))]


def _index_path(folder: Path) -> Path:
    from .locate import STATE_DIR

    if _real(folder / STATE_DIR, folder=True) is None:
        raise Unsure("no .pipe/ yet")
    return folder / STATE_DIR / "index"


def _stage_ids(folder: Path) -> list[str]:
    """The stage ids in the index's header, while pipeline.yaml has not changed since the
    index was written (the index is made for the stages pipeline.yaml had then)."""
    from .indexfile import RACY_NS, Unreadable, header, mapped
    from .locate import PIPELINE_FILE

    found = mapped(_index_path(folder))
    pipeline = _real(folder / PIPELINE_FILE, folder=False)
    if found is None or pipeline is None:
        raise Unsure("no index, or no pipeline.yaml")
    data, st = found
    if max(pipeline.st_mtime_ns, pipeline.st_ctime_ns) + RACY_NS > st.st_mtime_ns:
        raise Unsure("pipeline.yaml is newer than the index")
    try:
        stages = header(data)[0].get("stages")
    except Unreadable:
        raise Unsure("the index cannot be read") from None
    if not isinstance(stages, list) or not all(isinstance(s, str) for s in stages):
        raise Unsure("the index names no stages")
    return stages


def _indexed(folder: Path, column: str) -> list[Any]:
    from .indexfile import column_table

    values = column_table(_index_path(folder), column)
    if values is None:
        raise Unsure("no index yet")
    return values


def _texts(values: list[Any]) -> list[str]:
    if not all(v is None or isinstance(v, str) for v in values):
        raise Unsure("the index holds something else")
    return [v for v in values if v is not None]


def _dynamic(kind: str, root: Walked, environ: Mapping[str, str], incomplete: str) -> list[str]:
    """What ``pipecli.cli.common``'s completer ``kind`` gives (deal ids, stages, owners, tags)."""
    folder = _pipeline_root(root, environ)
    if folder is None:
        return []
    if kind == "deal":
        return _deal_ids(folder, incomplete)
    if kind == "stage":
        return [s for s in _stage_ids(folder) if s.startswith(incomplete)]
    if kind == "owner":
        return sorted({o for o in _texts(_indexed(folder, "owner")) if o.startswith(incomplete)})
    if kind == "tag":
        groups = [g for g in _indexed(folder, "tags") if g is not None]
        if not all(isinstance(g, list) for g in groups):
            raise Unsure("the index holds something else")
        tags = set(_texts([t for g in groups for t in g]))
        return sorted(t for t in tags if t.startswith(incomplete))
    raise Unsure(f"a completer of kind {kind}")


def _values(param: dict[str, Any], root: Walked, environ: Mapping[str, str], incomplete: str) -> list[Item]:
    """What a parameter offers for ``incomplete`` (typer's ``_TyperParameter.shell_complete``)."""
    completes = param["completes"]
    if completes is None:
        return []
    kind = completes["kind"]
    if kind == "dynamic":
        values = _dynamic(completes["name"], root, environ, incomplete)
        return [(v, None) for v in values if v.startswith(incomplete)]
    if kind == "static":
        return [(v, h) for v, h in completes["items"] if v.startswith(incomplete)]
    if kind == "choice":
        if completes["case_sensitive"]:
            return [(c, None) for c in completes["choices"] if c.startswith(incomplete)]
        return [(c, None) for c in completes["choices"] if c.lower().startswith(incomplete.lower())]
    if kind == "file":
        return [(incomplete, None)]
    raise Unsure(f"completion of kind {kind}")


# -- the answer, in the shell's format ------------------------------------------------------------
def _zsh_escaped(s: str) -> str:
    return s.replace('"', '""').replace("'", "''").replace("$", "\\$").replace("`", "\\`").replace(":", r"\\:")


def _formatted(shell: str, items: list[Item], environ: Mapping[str, str]) -> tuple[str | None, int]:
    """The text typer's completion class of ``shell`` prints for ``items`` (None: nothing at
    all) and the exit status."""
    if shell != "bash" and any(h for _, h in items):
        # zsh, fish and PowerShell show help texts, which typer lays out with rich for the
        # width of the terminal: the typer path does that
        raise Unsure("help texts to show")
    if shell == "bash":
        opened = quote_opened(environ)
        return "\n".join(v if opened else bash_quoted(v) for v, _ in items if "\n" not in v), 0
    if shell == "zsh":
        if not items:
            return "_files", 0
        lines = "\n".join(f'"{_zsh_escaped(v)}"' for v, _ in items)
        return f"_arguments '*: :(({lines}))'", 0
    if shell == "fish":
        action = environ.get("_TYPER_COMPLETE_FISH_ACTION", "")
        if action == "is-args":
            return None, 0 if items else 1
        if action == "get-args" and items:
            return "\n".join(v for v, _ in items), 0
        return "", 0
    return "\n".join(f"{v}::: " for v, _ in items), 0


def answer(environ: Mapping[str, str]) -> tuple[str | None, int] | None:
    """The completion ``pipe`` prints for the request in ``environ`` (None for no output)
    and its exit status; None when the typer path is to answer."""
    instruction = environ.get("_PIPE_COMPLETE", "")
    if environ.get(FULL_PATH, "") not in ("", "0"):
        return None
    action, _, shell = instruction.partition("_")
    if action != "complete" or shell not in _SHELLS:
        return None
    if not all(_decodable(v) for v in environ.values()):
        return None
    try:
        args, incomplete = _request(shell, environ)
        if not all(_decodable(a) for a in [*args, incomplete]):
            return None
        from .completiontable import TABLE

        root, walked, (param, word) = _resolve(TABLE, args, incomplete)
        items = _option_names(walked, word) if param is None else _values(param, root, environ, word)
        return _formatted(shell, items, environ)
    except Unsure:
        return None


def _decodable(text: str) -> bool:
    """False for text made of bytes that are not UTF-8 (Python keeps them as lone surrogates)."""
    return text.isascii() or not any("\udc80" <= ch <= "\udcff" for ch in text)


def main(environ: Mapping[str, str] | None = None) -> bool:
    """Answer the completion request in ``environ`` (the process's environment by default)
    on standard output; False, having printed nothing, when the typer path is to answer."""
    result = answer(os.environ if environ is None else environ)
    if result is None:
        return False
    text, status = result
    if text is not None:
        encoding = (getattr(sys.stdout, "encoding", None) or "").lower().replace("-", "").replace("_", "")
        if encoding != "utf8":
            return False  # click picks an encoding of its own for other streams
        sys.stdout.write(text + "\n")
        sys.stdout.flush()
    sys.exit(status)
