"""``-o FILE`` names where output goes, as a shell's ``>`` does: a file is replaced atomically, a
link's file is written (the link stays a link), and a device or a FIFO (``/dev/null``,
``/dev/stdout``, a named pipe) is written into and never replaced by a file."""

from __future__ import annotations

import os
import sqlite3
import stat
import threading
from pathlib import Path
from typing import Any

import pytest

needs_fifo = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes are a POSIX feature")


def _read_all(path: Path, into: list[bytes]) -> threading.Thread:
    """Read a FIFO to its end in a thread (opening it blocks until a writer opens it)."""

    def run() -> None:
        with open(path, "rb") as f:
            into.append(f.read())

    reader = threading.Thread(target=run, daemon=True)
    reader.start()
    return reader


@pytest.fixture
def two_deals(pipe: Any) -> Any:
    pipe.add("Zażółć gęślą jaźń", "--value", "1200", "--at", "2026-03-02T10:00")
    pipe.add("ร้านกาแฟ สยาม", "--value", "800", "--at", "2026-03-03T10:00")
    return pipe


@needs_fifo
@pytest.mark.parametrize("command", [["report", "--as-of", "2026-03-10"], ["list"], ["export", "--format", "csv"]])
def test_a_fifo_is_written_into_and_stays_a_fifo(
    two_deals: Any, run_pipe: Any, tmp_path: Path, command: list[str]
) -> None:
    root = str(two_deals.root)
    expected = run_pipe("-C", root, *command)
    assert expected.returncode == 0, expected.stderr
    fifo = tmp_path / "out.fifo"
    os.mkfifo(fifo)
    got: list[bytes] = []
    reader = _read_all(fifo, got)
    flag = "--output" if command[0] == "export" else "-o"
    r = run_pipe("-C", root, *command, flag, str(fifo))
    reader.join(timeout=60)
    said = f"exported 2 deals to {fifo}\n" if command[0] == "export" else ""
    assert (r.returncode, r.stderr) == (0, said), r.stderr
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)  # not replaced by a regular file
    if command[0] == "export":
        assert got == [expected.stdout.encode("utf-8")]
    else:  # the file gets every column, as for a file that is not a terminal
        assert got and got[0].decode("utf-8") == expected.stdout


def test_a_device_is_written_into_and_stays_a_device(two_deals: Any, run_pipe: Any, tmp_path: Path) -> None:
    null = tmp_path / "null"
    try:  # a private /dev/null: the real one must never be at stake in a test
        os.mknod(null, 0o666 | stat.S_IFCHR, os.makedev(1, 3))
    except (PermissionError, AttributeError, OSError) as err:
        pytest.skip(f"cannot make a device node here: {err}")
    r = run_pipe("-C", str(two_deals.root), "report", "-o", str(null))
    assert (r.returncode, r.stdout, r.stderr) == (0, "", "")
    assert stat.S_ISCHR(os.lstat(null).st_mode)
    r = run_pipe("-C", str(two_deals.root), "export", "--format", "sqlite", "--output", str(null))
    assert r.returncode == 0, r.stderr
    assert stat.S_ISCHR(os.lstat(null).st_mode)


def test_standard_output_by_its_name_gets_the_output(two_deals: Any, run_pipe: Any, tmp_path: Path) -> None:
    """``-o /dev/stdout``, through a link of its own (the real one must never be at stake)."""
    if not Path("/proc/self/fd/1").exists():
        pytest.skip("no /proc/self/fd on this system")
    stdout = tmp_path / "stdout"
    stdout.symlink_to("/proc/self/fd/1")  # what /dev/stdout is on Linux
    root = str(two_deals.root)
    to_file = run_pipe("-C", root, "report", "--as-of", "2026-03-10", "--format", "json")
    r = run_pipe("-C", root, "report", "--as-of", "2026-03-10", "--format", "json", "-o", str(stdout))
    assert (r.returncode, r.stderr) == (0, "")
    assert r.stdout == to_file.stdout
    assert stdout.is_symlink()


def test_a_link_is_followed_to_its_file_and_stays_a_link(two_deals: Any, run_pipe: Any, tmp_path: Path) -> None:
    root = str(two_deals.root)
    real = tmp_path / "reports" / "today.md"
    real.parent.mkdir()
    real.write_text("yesterday's\n", encoding="utf-8")
    link = tmp_path / "latest.md"
    link.symlink_to(real)
    r = run_pipe("-C", root, "report", "--as-of", "2026-03-10", "--format", "markdown", "-o", str(link))
    assert (r.returncode, r.stderr) == (0, "")
    assert link.is_symlink() and link.resolve() == real.resolve()
    expected = run_pipe("-C", root, "report", "--as-of", "2026-03-10", "--format", "markdown").stdout
    assert real.read_text(encoding="utf-8") == expected
    # a database through a link, too
    db_link = tmp_path / "deals.db"
    db_real = tmp_path / "reports" / "deals.db"
    db_link.symlink_to(db_real)  # dangling until the export writes it
    r = run_pipe("-C", root, "export", "--format", "sqlite", "--output", str(db_link))
    assert r.returncode == 0, r.stderr
    assert db_link.is_symlink()
    with sqlite3.connect(db_real) as con:
        titles = sorted(t for (t,) in con.execute("select title from deals"))
    assert titles == sorted(["Zażółć gęślą jaźń", "ร้านกาแฟ สยาม"])
