"""`pipe stale` as cron runs it: the installed script under /bin/sh, only PATH in the
environment (no HOME, TZ, LANG or PIPE_DIR), stdin closed, stdout a pipe."""

from __future__ import annotations

import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

BIN = Path(sys.executable).parent
PIPE = BIN / "pipe"

pytestmark = pytest.mark.skipif(not PIPE.exists(), reason="the pipe script is not installed next to python")


def cron(command: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["/bin/sh", "-c", command],
        env={"PATH": f"{BIN}:/usr/bin:/bin"},
        stdin=subprocess.DEVNULL,
        capture_output=True,  # stdout and stderr are pipes, as under cron
        cwd=cwd,
        timeout=120,
        check=False,
        encoding="utf-8",
    )


@pytest.fixture
def elsewhere(tmp_path: Path) -> Path:
    """A working directory with no pipeline above it: only -C can find one."""
    d = tmp_path / "cron-cwd"
    d.mkdir()
    return d


def test_clean_pipeline_is_silent_and_exits_0(pipe: Any, elsewhere: Path) -> None:
    fresh = pipe.add("Fresh lead", "--at", "2026-03-19T12:00")
    pipe("note", fresh, "Called: a demo next week", "--at", "2026-03-19T15:00")
    closed = pipe.add("Old but won", "--at", "2026-01-05T12:00")
    pipe("won", closed, "--at", "2026-01-06T12:00")
    root = shlex.quote(str(pipe.root))
    for fmt in ("table", "email"):
        done = cron(f"pipe -C {root} stale --as-of 2026-03-20 --format {fmt} --fail-if-any", elsewhere)
        assert (done.returncode, done.stdout, done.stderr) == (0, "", "")


def test_stale_pipeline_prints_the_list_and_fails_with_fail_if_any(pipe: Any, elsewhere: Path) -> None:
    old = pipe.add("ระบบ CRM สำหรับโรงแรม", "--owner", "สมชาย", "--value", "41300", "--at", "2026-03-01T12:00")
    fresh = pipe.add("Fresh lead", "--at", "2026-03-19T12:00")
    pipe("note", fresh, "Called: a demo next week", "--at", "2026-03-19T15:00")
    root = shlex.quote(str(pipe.root))
    done = cron(f"pipe -C {root} stale --as-of 2026-03-20 --format email --fail-if-any", elsewhere)
    assert done.returncode == 1
    assert done.stderr == ""
    lines = done.stdout.splitlines()
    assert lines[0] == "1 stale deal, 41,300 EUR at risk; 0 overdue next steps"
    assert f"- ระบบ CRM สำหรับโรงแรม [{old}]" in lines
    assert "สมชาย: 1 stale deal, 41,300 EUR" in lines
    assert fresh not in done.stdout
    assert "\x1b" not in done.stdout
    # the same list without --fail-if-any exits 0: cron mails it either way
    table = cron(f"pipe -C {root} stale --as-of 2026-03-20", elsewhere)
    assert table.returncode == 0
    assert [line.split()[0] for line in table.stdout.splitlines()[2:]] == [old]


def test_per_owner_files_under_cron(pipe: Any, elsewhere: Path, tmp_path: Path) -> None:
    pipe.add("Caffè Roma", "--owner", "Zoë", "--at", "2026-03-01T12:00")
    out = tmp_path / "lists"
    command = f"pipe -C {shlex.quote(str(pipe.root))} stale --as-of 2026-03-20 -f email --by-owner-dir {out}"
    done = cron(command, elsewhere)
    assert (done.returncode, done.stdout, done.stderr) == (0, "", "")
    text = (out / "Zoë.txt").read_text(encoding="utf-8")
    assert text.splitlines()[0] == "1 stale deal, no value at risk; 0 overdue next steps"
    assert "- Caffè Roma [" in text
