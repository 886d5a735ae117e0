"""Shell completion: installed for the shell named, and values with spaces completed quoted."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from conftest import PIPE_SCRIPT

BASH = shutil.which("bash")
needs_bash = pytest.mark.skipif(BASH is None, reason="bash is not installed")


@pytest.fixture
def owners(pipe: Any) -> Any:
    pipe.add("Acme", "--id", "acme", "--owner", "Anna Snelling", "--at", "2026-03-01")
    pipe.add("Beta", "--id", "beta", "--owner", "anna", "--at", "2026-03-01")
    pipe.add("Gamma", "--id", "gamma", "--owner", "Bartek O'Neil", "--at", "2026-03-01")
    return pipe


def install(run_pipe: Any, home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    home.mkdir(exist_ok=True)
    return run_pipe(*args, env={"HOME": str(home), "SHELL": "/bin/bash"})


def test_install_completion_honours_the_shell_named(run_pipe: Any, tmp_path: Path) -> None:
    home = tmp_path / "home"
    for shell, path in [
        ("zsh", home / ".zfunc" / "_pipe"),
        ("fish", home / ".config" / "fish" / "completions" / "pipe.fish"),
        ("bash", home / ".bash_completions" / "pipe.sh"),
    ]:
        r = install(run_pipe, home, "--install-completion", shell)  # SHELL says bash: the name wins
        assert r.returncode == 0, r.stderr
        assert r.stdout.splitlines()[0] == f"{shell} completion installed in {path}"
        assert "_PIPE_COMPLETE=complete_" + shell in path.read_text(encoding="utf-8")
    assert "fpath+=~/.zfunc" in (home / ".zshrc").read_text(encoding="utf-8")
    assert f"source '{home / '.bash_completions' / 'pipe.sh'}'" in (home / ".bashrc").read_text(encoding="utf-8")
    # the form with = works too, and an option after it is not taken for the shell
    r = install(run_pipe, tmp_path / "home2", "--install-completion=fish")
    assert r.returncode == 0 and "fish completion installed" in r.stdout


def test_show_completion_prints_the_script_of_the_shell_named(run_pipe: Any) -> None:
    r = run_pipe("--show-completion", "fish")
    assert r.returncode == 0
    assert r.stdout.startswith("complete --command pipe ")
    r = run_pipe("--show-completion", "zsh")
    assert r.stdout.startswith("#compdef pipe")


def test_an_unknown_shell_is_a_usage_error(run_pipe: Any, tmp_path: Path) -> None:
    r = install(run_pipe, tmp_path / "home", "--install-completion", "tcsh")
    assert r.returncode == 2
    assert r.stderr == (
        "pipe: Invalid value for '--install-completion': 'tcsh' is not a shell pipe completes in; "
        "use bash, zsh, fish, powershell, pwsh (see `pipe --help`)\n"
    )
    assert not (tmp_path / "home" / ".bashrc").exists()


@needs_bash
def test_without_a_name_the_shell_that_runs_pipe(tmp_path: Path) -> None:
    assert BASH is not None
    run = subprocess.run(
        [BASH, "-c", f"{PIPE_SCRIPT} --show-completion; true"], capture_output=True, text=True, timeout=60
    )
    assert "complete -o default -F _pipe_completion pipe" in run.stdout


def complete(*words: str, cwd: Path, joined: str = " ") -> list[str]:
    """What `pipe` answers bash for the last word (COMP_WORDS as the installed script passes them)."""
    proc = subprocess.run(
        [str(PIPE_SCRIPT)],
        cwd=cwd,
        capture_output=True,
        text=True,
        env={**os.environ, "_PIPE_COMPLETE": "complete_bash", "COMP_WORDS": joined.join(["pipe", *words]),
             "COMP_CWORD": str(len(words))},
        timeout=60,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.splitlines()


def test_bash_gets_values_with_spaces_quoted(owners: Any) -> None:
    root = owners.root
    assert complete("list", "--owner", "Ann", cwd=root) == ["Anna\\ Snelling"]
    assert complete("list", "--owner", "", cwd=root) == ["Anna\\ Snelling", "Bartek\\ O\\'Neil", "anna"]
    # after an opening quote the value is given as it is: the shell closes the quote
    assert complete("list", "--owner", '"Ann', cwd=root, joined="\n") == ["Anna Snelling"]
    assert complete("list", "--owner", "'Bar", cwd=root, joined="\n") == ["Bartek O'Neil"]
    # ids and stages have no spaces: unchanged
    assert complete("move", "ac", cwd=root) == ["acme"]


@needs_bash
def test_the_installed_script_completes_one_word(owners: Any, run_pipe: Any, tmp_path: Path) -> None:
    assert BASH is not None
    home = tmp_path / "home"
    assert install(run_pipe, home, "--install-completion", "bash").returncode == 0
    script = home / ".bash_completions" / "pipe.sh"
    program = (
        f"export PATH={PIPE_SCRIPT.parent}:$PATH; source {script}; "
        "COMP_WORDS=(pipe list --owner Ann); COMP_CWORD=3; _pipe_completion pipe Ann --owner; "
        'eval "set -- ${COMPREPLY[0]}"; echo "$#: $1"'
    )
    out = subprocess.run([BASH, "-c", program], cwd=owners.root, capture_output=True, text=True, timeout=60)
    assert out.stdout == "1: Anna Snelling\n", out.stderr


@needs_bash
def test_tab_in_an_interactive_bash_types_the_owner_quoted(owners: Any, run_pipe: Any, tmp_path: Path) -> None:
    """A person at a bash prompt types `pipe list --owner Ann` and Tab."""
    assert BASH is not None
    home = tmp_path / "home"
    assert install(run_pipe, home, "--install-completion", "bash").returncode == 0
    rc = tmp_path / "rc"
    rc.write_text(
        f"PS1='$ '\nexport PATH={PIPE_SCRIPT.parent}:$PATH\nsource {home / '.bash_completions' / 'pipe.sh'}\n"
        f"cd {owners.root}\n",
        encoding="utf-8",
    )
    # readline's settings: an empty file of the test's own. Not /dev/null: where something has
    # replaced /dev/null with a regular file, readline reads its bytes as key bindings, and
    # typed letters go missing ("pipe \a ist --owner Ann")
    inputrc = tmp_path / "inputrc"
    inputrc.write_text("", encoding="utf-8")
    env = {**os.environ, "HOME": str(home), "TERM": "dumb", "INPUTRC": str(inputrc)}
    # type, Tab; then Enter runs the line as completed; then leave
    _, out = _bash_session(rc, env, [b"pipe list --owner Ann\t", b"\n", b"exit\n"])
    assert "pipe list --owner Anna\\ Snelling" in out, out
    assert "acme" in out  # the command ran with the owner as one argument


def _bash_session(rc: Path, env: dict[str, str], lines: list[bytes]) -> tuple[int, str]:
    """An interactive bash in a pseudo-terminal: each of ``lines`` typed at a prompt."""
    import pty
    import select

    assert BASH is not None
    controller, terminal = pty.openpty()
    proc = subprocess.Popen(
        [BASH, "--noprofile", "--rcfile", str(rc), "-i"],
        stdin=terminal,
        stdout=terminal,
        stderr=terminal,
        env=env,
        start_new_session=True,
    )
    os.close(terminal)
    output = b""
    todo = list(lines)
    deadline = time.monotonic() + 60
    quiet_since = time.monotonic()
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([controller], [], [], 0.2)
            if ready:
                try:
                    chunk = os.read(controller, 65536)
                except OSError:  # bash has exited
                    break
                if not chunk:
                    break
                output += chunk
                quiet_since = time.monotonic()
            elif todo and output.endswith(b"$ ") and time.monotonic() - quiet_since > 0.5:
                for key in todo.pop(0):  # typed key by key, as a person types
                    os.write(controller, bytes([key]))
                    time.sleep(0.02)
            elif todo and todo[0] == b"\n" and time.monotonic() - quiet_since > 2:
                os.write(controller, todo.pop(0))  # Enter, once the completion has been typed
    finally:
        if proc.poll() is None:
            proc.kill()
        os.close(controller)
    return proc.wait(timeout=10), output.decode("utf-8", "replace").replace("\r\n", "\n")


# -- the fast path (pipecli.quickcomplete) answers as the typer path does ----------------------------
TABLE_SHELLS = ("bash", "zsh", "fish-get", "fish-is", "powershell")


def request_env(shell: str, words: list[str]) -> dict[str, str]:
    """The environment each installed script gives `pipe` for the last of ``words`` (the others complete)."""
    line = " ".join(["pipe", *words])
    if shell == "bash":
        return {"_PIPE_COMPLETE": "complete_bash", "COMP_WORDS": line, "COMP_CWORD": str(len(words))}
    if shell == "powershell":
        return {
            "_PIPE_COMPLETE": "complete_powershell",
            "_TYPER_COMPLETE_ARGS": line,
            "_TYPER_COMPLETE_WORD_TO_COMPLETE": words[-1],
        }
    env = {"_PIPE_COMPLETE": f"complete_{shell.split('-')[0]}", "_TYPER_COMPLETE_ARGS": line}
    if shell.startswith("fish"):
        env["_TYPER_COMPLETE_FISH_ACTION"] = "get-args" if shell == "fish-get" else "is-args"
    return env


_TYPER_COMMAND: list[Any] = []


def typer_answer(runner: Any, env: dict[str, str]) -> tuple[str, int]:
    """What the typer path prints and its exit status (in-process, as `pipe` runs it; the
    click command is made once)."""
    if not _TYPER_COMMAND:
        import typer.main

        from pipecli.cli import app

        _TYPER_COMMAND.append(typer.main.get_command(app))
    code: Any = 0
    with runner.isolation(env=env) as (stdout, _stderr, _output):
        try:
            _TYPER_COMMAND[0].main(args=[], prog_name="pipe")
        except SystemExit as exit:
            code = exit.code
        text = stdout.getvalue().decode("utf-8")
    return text, code or 0


def fast_answer(env: dict[str, str]) -> tuple[str, int] | None:
    from pipecli.quickcomplete import answer

    got = answer({**os.environ, **env})
    if got is None:
        return None
    text, status = got
    return ("" if text is None else text + "\n"), status


@pytest.fixture
def tagged(owners: Any) -> Any:
    """Owners and tags with spaces, quotes, Polish and Thai letters; the index made by a listing."""
    owners.add("Łódź Żurek", "--id", "lodz", "--owner", "Łukasz Żółć", "--tag", "małe firmy", "--at", "2026-03-02")
    owners.add("ระบบบัญชี", "--id", "thai", "--owner", "สมชาย ใจดี", "--tag", "ลูกค้า ใหม่", "--at", "2026-03-02")
    owners.add("Tagged", "--id", "tagged", "--tag", "vip", "--tag", "q'2", "--at", "2026-03-02")
    owners("list", "--status", "all")  # writes .pipe/index, as any listing does
    idx = owners.root / ".pipe" / "index"
    stamp = time.time_ns() + 5_000_000_000  # pipeline.yaml still for long enough before it
    os.utime(idx, ns=(stamp, stamp))
    return owners


def partial_lines(table: dict[str, Any], root: Path) -> list[list[str]]:
    """For every command: what follows its name, its options (alone, after other options and
    arguments, with ``=``), the values of every option and argument that completes; and the
    root's commands and options."""
    lines: list[list[str]] = [[""], ["l"], ["-"], ["--c"], ["--color", ""], ["--color", "a"], ["--color=n"]]
    lines += [["-C", str(root), "li"], ["--no-pager", "-C", str(root), "move", "ac"], ["-C"], ["-C", ""]]
    lines += [["--directory=" + str(root), "list", "--owner", ""], ["-h"], ["--version", ""], ["lsit", ""]]
    for name, command in table["commands"].items():
        lines += [[name, ""], [name, "--"], [name, "--at", "2026-01-01", "--"], [name, "--bogus", ""]]
        lines += [[name, "acme", "--"], [name, "acme", "x", ""], [name, "--", ""]]
        plain = True  # one option that completes nothing, per command
        for param in command["params"]:
            if param["kind"] == "option" and not param["flag"] and param["name"] != "help":
                if param["completes"] is None and not plain:
                    continue
                plain = plain and param["completes"] is not None
                opt = param["opts"][-1]
                lines += [[name, opt, ""], [name, f"{opt}=a"], [name, "acme", opt, "M"], [name, opt, "x", ""]]
    lines += [["list", "--owner", "Ł"], ["list", "--owner", "สม"], ["list", "--tag", "ลูก"], ["list", "--tag", "q"]]
    lines += [["list", "--owner", '"Ann'], ["list", "--owner", "'Bar"], ["list", "--format", "J"], ["list", "-fj"]]
    lines += [["list", "-f", "js"], ["report", "--by", "OW"], ["report", "--period", "m"], ["move", "acme", "pro"]]
    lines += [["reopen", "acme", "--stage", "l"], ["set", "acme", "a=1", ""], ["search", "foo", "--"], ["lis"]]
    return lines


def test_the_fast_path_answers_as_the_typer_path(tagged: Any, runner: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every command, partial command lines in every shell format: the same text and status,
    or no answer (the typer path answers)."""
    from pipecli.completiontable import TABLE

    monkeypatch.chdir(tagged.root)
    answered = {shell: 0 for shell in TABLE_SHELLS}
    compared = 0
    for words in partial_lines(TABLE, tagged.root):
        for shell in TABLE_SHELLS:
            quoted = shell == "bash" and any(w[:1] in "'\"" for w in words)
            joins = [" ", "\n"] if quoted else [" "]
            for joined in joins:
                env = request_env(shell, words)
                if joined != " ":
                    env["COMP_WORDS"] = joined.join(["pipe", *words])
                fast = fast_answer(env)
                if fast is None:
                    continue
                assert fast == typer_answer(runner, env), (shell, words)
                answered[shell] += 1
                compared += 1
    # the fast path answers most requests: values in every shell, names in bash
    assert compared > 800, compared
    assert all(n > 100 for n in answered.values()), answered


def test_what_the_fast_path_leaves_to_the_typer_path(tagged: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Words it does not know, actions before the TAB, and help texts shells other than
    bash would show: no answer, so the typer path answers."""
    monkeypatch.chdir(tagged.root)
    for shell, words in [
        ("bash", ["lsit", ""]),
        ("bash", ["list", "--bogus", ""]),
        ("bash", ["list", "--", ""]),
        ("bash", ["--version", ""]),
        ("bash", ["list", "--help", "--"]),
        ("zsh", ["list", "--"]),
        ("fish-get", ["l"]),
        ("powershell", ["list", "--ow"]),
    ]:
        assert fast_answer(request_env(shell, words)) is None, (shell, words)
    assert fast_answer({**request_env("bash", ["list", "--owner", ""]), "PIPE_COMPLETE_FULL": "1"}) is None
    # and what it answers with certainty
    assert fast_answer(request_env("bash", ["list", "--owner", "Ł"])) == ("Łukasz\\ Żółć\n", 0)
    assert fast_answer(request_env("zsh", ["list", "--owner", "สม"])) == ("_arguments '*: :((\"สมชาย ใจดี\"))'\n", 0)
    assert fast_answer(request_env("fish-get", ["list", "--tag", "ลูก"])) == ("ลูกค้า ใหม่\n", 0)
    assert fast_answer(request_env("powershell", ["list", "--tag", "q"])) == ("q'2::: \n", 0)
    assert fast_answer(request_env("bash", ["list", "--tag", "q"])) == ("q\\'2\n", 0)
    assert fast_answer(request_env("fish-is", ["move", "acme", "zz"])) == ("", 1)


def test_the_generated_table_is_the_apps() -> None:
    """pipecli/completiontable.py is what the typer app gives now: after a change to the
    command line, run `python -m pipecli.cli.maketable`."""
    from pipecli.cli.completion import TABLE_PATH, table_text

    assert TABLE_PATH.read_text(encoding="utf-8") == table_text(), "run: python -m pipecli.cli.maketable"


def test_a_tab_imports_neither_typer_nor_pydantic(tagged: Any) -> None:
    """The installed `pipe`, one TAB for owners: answered without typer, click, pydantic,
    ruamel, tabulate or PyYAML."""
    program = (
        "import os, sys\n"
        "from pipecli.launch import main\n"
        "try:\n    main()\nexcept SystemExit as e:\n    code = e.code\n"
        "heavy = sorted({m.split('.')[0] for m in sys.modules} & {'typer', 'click', 'pydantic', 'ruamel', 'tabulate', "
        "'yaml', 'rich'})\n"
        "print('imported:', heavy, code)\n"
    )
    env = {**os.environ, **request_env("bash", ["list", "--owner", ""])}
    out = subprocess.run(
        [sys.executable, "-c", program], cwd=tagged.root, env=env, capture_output=True, text=True, timeout=60
    )
    assert out.stdout.splitlines() == [
        "Anna\\ Snelling",
        "Bartek\\ O\\'Neil",
        "anna",
        "Łukasz\\ Żółć",
        "สมชาย\\ ใจดี",
        "imported: [] 0",
    ], out.stderr


def test_a_real_tab_without_an_index_completes_from_the_files(owners: Any) -> None:
    """No .pipe/index yet: the TAB still offers the owners (the typer path builds the index)."""
    root = owners.root
    shutil.rmtree(root / ".pipe", ignore_errors=True)
    assert fast_answer({**request_env("bash", ["list", "--owner", ""]), "PIPE_DIR": str(root)}) is None
    assert complete("list", "--owner", "", cwd=root) == ["Anna\\ Snelling", "Bartek\\ O\\'Neil", "anna"]
    assert (root / ".pipe" / "index").is_file()
    assert complete("move", "acme", "", cwd=root) == ["lead", "qualified", "meeting", "proposal", "negotiation"]
    # the fast path writes nothing: with the index there, a TAB leaves .pipe/ as it is
    before = {p.name: p.stat().st_mtime_ns for p in (root / ".pipe").iterdir()}
    assert complete("list", "--owner", "B", cwd=root) == ["Bartek\\ O\\'Neil"]
    assert {p.name: p.stat().st_mtime_ns for p in (root / ".pipe").iterdir()} == before


def test_the_installed_pipe_answers_alike_either_way(tagged: Any) -> None:
    """Real processes of the installed `pipe`: a TAB answered by the fast path prints what the
    typer path prints (``PIPE_COMPLETE_FULL=1``), in every shell format."""
    for shell, words in [
        ("bash", ["list", "--owner", ""]),
        ("bash", ["-C", str(tagged.root), "s"]),
        ("bash", ["list", "--status", "open", "--"]),
        ("bash", ["move", "acme", ""]),
        ("zsh", ["list", "--tag", ""]),
        ("fish-get", ["move", "a"]),
        ("fish-is", ["list", "--owner", "zz"]),
        ("powershell", ["report", "--by", ""]),
    ]:
        env = request_env(shell, words)
        assert fast_answer(env) is not None, (shell, words)  # the fast path answers these
        runs = [
            subprocess.run(
                [str(PIPE_SCRIPT)], cwd=tagged.root, env={**os.environ, **env, **extra}, capture_output=True, timeout=60
            )
            for extra in ({}, {"PIPE_COMPLETE_FULL": "1"})
        ]
        assert runs[0].stdout == runs[1].stdout and runs[0].returncode == runs[1].returncode, (shell, words)
        assert runs[0].stderr == b""


def test_stages_from_the_index_only_while_pipeline_yaml_is_older(tagged: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """The index keeps the stage ids pipeline.yaml had when it was written: a pipeline.yaml
    changed since (or a symlink where .pipe/ is) leaves the TAB to the typer path, which
    reads the file."""
    monkeypatch.chdir(tagged.root)
    stages = "lead\nqualified\nmeeting\nproposal\nnegotiation\n"
    assert fast_answer(request_env("bash", ["move", "acme", ""])) == (stages, 0)
    pipeline = tagged.root / "pipeline.yaml"
    pipeline.write_text(pipeline.read_text(encoding="utf-8").replace("negotiation", "closing"), encoding="utf-8")
    written = (tagged.root / ".pipe" / "index").stat().st_mtime_ns + 1_000_000_000  # a second after the index
    os.utime(pipeline, ns=(written, written))
    assert fast_answer(request_env("bash", ["move", "acme", ""])) is None
    assert complete("move", "acme", "", cwd=tagged.root) == stages.replace("negotiation", "closing").split()
    state = tagged.root / ".pipe"
    state.rename(tagged.root / "elsewhere")
    state.symlink_to(tagged.root / "elsewhere")
    assert fast_answer(request_env("bash", ["list", "--owner", ""])) is None
