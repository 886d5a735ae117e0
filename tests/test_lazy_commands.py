"""`pipe CMD` imports and builds CMD alone; the help is what the whole app gives."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

import pytest
import typer
from conftest import PIPE_SCRIPT

from pipecli.cli import app, command_named
from pipecli.cli.app import COMMAND_MODULES
from pipecli.cli.helptext import command_name

GROUP: Any = typer.main.get_command(app)


def test_the_table_names_every_command_its_module_and_the_order_they_are_defined_in() -> None:
    registered = [(command_name(info), info.callback.__module__) for info in app.registered_commands]
    assert registered == list(COMMAND_MODULES.items())
    assert list(GROUP.commands) == list(COMMAND_MODULES)
    modules = list(dict.fromkeys(COMMAND_MODULES.values()))
    assert modules == [
        f"pipecli.cli.{m}" for m in ["deals", "search", "report", "stale", "agenda", "board", "team", "transfer"]
    ]
    # within a module, in the order the module defines them (the order it registers them in)
    places = [
        (modules.index(info.callback.__module__), info.callback.__code__.co_firstlineno)
        for info in app.registered_commands
    ]
    assert places == sorted(places)


@pytest.mark.parametrize(
    ("args", "name"),
    [
        (["note", "acme", "hi"], "note"),
        (["-C", "/tmp/x", "add", "Acme"], "add"),
        (["-C/tmp/x", "show", "acme"], "show"),
        (["--directory", "d", "--color", "never", "--no-pager", "list"], "list"),
        (["--directory=d", "--color=always", "merge-driver"], "merge-driver"),
        (["--help"], None),
        (["-h"], None),
        (["--version"], None),
        (["--install-completion", "bash"], None),
        (["nonesuch"], None),
        (["-C"], None),
        ([], None),
    ],
)
def test_the_command_a_command_line_runs(args: list[str], name: str | None) -> None:
    assert command_named(args) == name


def real_pipe(*args: str, cwd: Any = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "80"}
    return subprocess.run([str(PIPE_SCRIPT), *args], capture_output=True, text=True, encoding="utf-8", env=env, cwd=cwd)


WHOLE_APP = """
import sys
from pipecli.cli import app
app(prog_name="pipe", args=sys.argv[1:])
"""


def whole_app(*args: str) -> subprocess.CompletedProcess[str]:
    """The app with every command, in a process of its own."""
    env = {**os.environ, "COLUMNS": "80"}
    return subprocess.run(
        [sys.executable, "-c", WHOLE_APP, *args], capture_output=True, text=True, encoding="utf-8", env=env
    )


def whole_app_help(*args: str) -> str:
    done = whole_app(*args, "--help")
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_pipe_help_lists_every_command_as_the_whole_app_does() -> None:
    shown = real_pipe("--help")
    assert shown.returncode == 0
    assert shown.stdout == whole_app_help()
    section = shown.stdout.split("Commands:", 1)[1].splitlines()
    listed = [line.split()[0] for line in section if line.startswith("  ") and not line.startswith("   ")]
    assert listed == list(COMMAND_MODULES)


@pytest.mark.parametrize("columns", ["40", "80", "200"])
@pytest.mark.parametrize("args", [["--help"], ["-h"], []])
def test_the_top_level_help_built_without_commands_is_the_whole_apps(args: list[str], columns: str) -> None:
    """`pipe --help`, `pipe -h` and `pipe` alone list the commands from the generated table,
    building none: every byte, at every width, is what the whole app prints."""
    env = {**os.environ, "COLUMNS": columns}
    shown = subprocess.run([str(PIPE_SCRIPT), *args], capture_output=True, text=True, encoding="utf-8", env=env)
    whole = subprocess.run(
        [sys.executable, "-c", WHOLE_APP, *args], capture_output=True, text=True, encoding="utf-8", env=env
    )
    assert (shown.returncode, shown.stdout, shown.stderr) == (whole.returncode, whole.stdout, whole.stderr)
    text = shown.stdout + shown.stderr
    section = text.split("Commands:", 1)[1].splitlines()
    listed = [line.split()[0] for line in section if line.startswith("  ") and not line.startswith("   ")]
    assert listed == list(COMMAND_MODULES)


def test_the_top_level_help_imports_no_command_module() -> None:
    done = subprocess.run(
        [sys.executable, "-c", PROBE, "--help"], capture_output=True, text=True, encoding="utf-8", env=os.environ
    )
    assert done.returncode == 0, done.stderr
    *said, modules, _ = done.stdout.splitlines()
    assert "  report " in "\n".join(said)
    assert not set(json.loads(modules)) & set(COMMAND_MODULES.values())


@pytest.mark.parametrize("name", list(COMMAND_MODULES))
def test_each_commands_help_alone_is_its_help_in_the_whole_app(name: str) -> None:
    shown = real_pipe(name, "--help")
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout == whole_app_help(name)


def test_a_wrong_command_line_says_what_the_whole_app_says(tmp_path) -> None:
    for args in (["note"], ["note", "--nonesuch"], ["nonesuch"], ["-C", str(tmp_path), "show"]):
        shown = real_pipe(*args)
        whole = whole_app(*args)
        assert shown.returncode == whole.returncode == 2, args
        assert shown.stderr == whole.stderr, args
        assert shown.stderr.startswith("pipe: ") and shown.stderr.count("\n") == 1


PROBE = """
import json, sys
sys.argv = ["pipe", *sys.argv[1:]]
from pipecli.cli import main
try:
    main()
except SystemExit:
    pass
loader = sys.modules.get("pydantic.plugin._loader")
shown = ("pipecli.cli.", "typer._adapters", "importlib.metadata")
print(json.dumps(sorted(m for m in sys.modules if m.startswith(shown))))
print(getattr(loader, "pipe_stand_in", False), list(loader.get_plugins()) if loader else None)
"""


def probe(root: Any, *args: str, env: dict[str, str] | None = None) -> tuple[str, list[str], str]:
    done = subprocess.run(
        [sys.executable, "-c", PROBE, "-C", str(root), *args],
        capture_output=True,
        text=True,
        encoding="utf-8",
        env={**os.environ, **(env or {})},
    )
    assert done.returncode == 0, done.stderr
    said, modules, plugins = done.stdout.splitlines()
    return said, json.loads(modules), plugins


def test_a_one_deal_command_imports_its_own_module_and_not_typers_pydantic_coercion(pipe) -> None:
    deal = pipe.add("Acme", "--id", "acme", "--at", "2026-03-02")
    said, loaded, plugins = probe(pipe.root, "note", deal, "Ciao, สวัสดี", "--at", "2026-03-03")
    assert said == "noted on acme"
    assert "pipecli.cli.deals" in loaded
    assert not {"pipecli.cli.report", "pipecli.cli.transfer", "pipecli.cli.team", "typer._adapters"} & set(loaded)
    # plugins are off: pydantic is told so without importing importlib.metadata to look for them
    assert plugins == "True []"
    assert not [m for m in loaded if m.startswith("importlib.metadata")]
    assert "Ciao, สวัสดี" in pipe("show", deal).stdout


def test_plugins_named_in_the_environment_are_looked_up_by_pydantics_own_loader(pipe) -> None:
    deal = pipe.add("Acme", "--id", "acme", "--at", "2026-03-02")
    said, loaded, plugins = probe(
        pipe.root, "note", deal, "hello", "--at", "2026-03-03", env={"PYDANTIC_DISABLE_PLUGINS": "some-plugin"}
    )
    assert said == "noted on acme"
    assert plugins == "False []"  # pydantic's loader, which found no plugin installed
    assert "importlib.metadata" in loaded
    assert "hello" in pipe("show", deal).stdout
