"""The end of a `pipe` process that read the index: its output is whole, its exit status the
command's, the ``atexit`` functions run, and the deals it read are not freed one by one
(``launch.leave_to_exit``)."""

from __future__ import annotations

import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from terminal_helpers import demo_copies
from typer.testing import CliRunner

from pipecli.cli import app


@pytest.fixture(scope="module")
def copies(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo pipeline with every deal copied 8 times: output far over a pipe's buffer."""
    return demo_copies(tmp_path_factory.mktemp("copies") / "pipeline", 8)


@pytest.mark.parametrize(
    "args",
    [
        ["report", "--format", "json", "--as-of", "2026-11-20"],
        ["list", "--status", "all", "--format", "json"],
        ["stale", "--as-of", "2026-11-20"],
        ["report", "--as-of", "2026-11-20"],
    ],
    ids=" ".join,
)
def test_the_whole_output_and_the_status_of_a_real_process(copies: Path, run_pipe: object, args: list[str]) -> None:
    expected = CliRunner().invoke(app, ["-C", str(copies), *args])
    assert expected.exit_code in (0, 1) and expected.stdout.count("\n") > 10
    run = run_pipe("-C", str(copies), *args)  # type: ignore[operator]
    assert (run.returncode, run.stderr) == (expected.exit_code, "")
    assert run.stdout == expected.stdout


def test_a_bad_file_still_ends_with_status_1_its_line_and_the_whole_report(
    copies: Path, run_pipe: object, tmp_path: Path
) -> None:
    root = tmp_path / "pipeline"
    shutil.copytree(copies, root)
    (root / "deals" / "broken.yaml").write_text("id: broken\ntitle: [unclosed\n", encoding="utf-8")
    expected = CliRunner().invoke(app, ["-C", str(root), "report", "--format", "json", "--as-of", "2026-11-20"])
    run = run_pipe("-C", str(root), "report", "--format", "json", "--as-of", "2026-11-20")  # type: ignore[operator]
    assert run.returncode == expected.exit_code == 1
    assert run.stderr.startswith("pipe: ") and "broken.yaml" in run.stderr
    assert run.stdout == expected.stdout


def _launch(root: Path, script: str, *args: str) -> subprocess.CompletedProcess[str]:
    """``launch.main`` in a process of its own, after ``script``: with hooks that say on stderr
    when the ``atexit`` functions run and when what the command left is freed."""
    code = textwrap.dedent(
        """
        import atexit, sys
        import pipecli.cli.common as common
        from pipecli import launch

        class Witness:
            def __del__(self):
                sys.stderr.write("freed\\n")

        indexed = common.indexed

        def watched(store, **how):
            fresh = indexed(store, **how)
            launch.leave_to_exit(Witness())
            return fresh

        common.indexed = watched
        atexit.register(lambda: sys.stderr.write("atexit ran\\n"))
        """
    )
    code += textwrap.dedent(script)
    code += f"\nsys.argv = ['pipe', '-C', {str(root)!r}, *{list(args)!r}]\nlaunch.main()\n"
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)


def test_what_a_command_left_is_not_freed_and_atexit_still_runs(copies: Path) -> None:
    run = _launch(copies, "", "list", "--status", "all", "--format", "json")
    expected = CliRunner().invoke(app, ["-C", str(copies), "list", "--status", "all", "--format", "json"])
    assert (run.returncode, run.stderr) == (0, "atexit ran\n")
    assert len(expected.stdout) > 65536  # more than a pipe holds: the last of it leaves at the end
    assert run.stdout == expected.stdout


def test_with_another_thread_running_the_process_exits_as_usual(copies: Path) -> None:
    """A thread still running is waited for, as Python waits for it at a normal exit."""
    started = """
        import threading, time

        def late():
            time.sleep(0.5)
            sys.stderr.write("thread done\\n")

        threading.Thread(target=late).start()
    """
    run = _launch(copies, started, "report", "--format", "json", "--as-of", "2026-11-20")
    expected = CliRunner().invoke(app, ["-C", str(copies), "report", "--format", "json", "--as-of", "2026-11-20"])
    assert run.returncode == 0
    assert run.stderr.startswith("thread done\natexit ran\n")
    assert run.stdout == expected.stdout


def test_a_command_that_reads_no_index_ends_as_usual(copies: Path) -> None:
    deal = sorted((copies / "deals").glob("*.yaml"))[0].stem
    run = _launch(copies, "", "show", deal)
    assert run.returncode == 0
    assert run.stderr == "atexit ran\n"
    assert deal in run.stdout
