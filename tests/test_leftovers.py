"""A killed writer's temporary files are removed by the next write, whenever they appeared.

A writer lists deals/ for leftovers only when deals/ changed since the last writer saw it
clean (pipecli.store: ``Store._seen_clean``); these tests make leftovers at the moments
that rule must not miss.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys

from pipecli.store import LOCK_FILE


def temp_names(root) -> list[str]:
    return sorted(p.name for p in (root / "deals").iterdir() if p.name.startswith("."))


def test_a_leftover_made_right_after_each_write_is_removed_by_the_next(pipe) -> None:
    d = pipe.add("Acme", "--id", "acme", "--at", "2026-03-02")
    for i in range(8):
        left = pipe.root / "deals" / f".acme.yaml.{i:016x}.tmp"
        left.write_text("half a fi", encoding="utf-8")  # at once, in the same instant as the write if it can
        pipe("note", d, f"note {i}", "--at", f"2026-03-{3 + i:02d}")
        assert temp_names(pipe.root) == [], i
    assert (pipe.root / ".pipe" / LOCK_FILE).read_text() == ""
    shown = pipe("show", d).stdout
    assert all(f"note {i}" in shown for i in range(8))


def test_a_leftover_in_an_unchanged_folder_stays_until_a_write_and_others_are_kept(pipe) -> None:
    d = pipe.add("Acme", "--id", "acme", "--at", "2026-03-02")
    pipe("note", d, "one", "--at", "2026-03-03")
    mine = pipe.root / "deals" / ".acme.yaml.notes-of-mine"  # not a name pipe makes: kept
    mine.write_text("mine", encoding="utf-8")
    left = pipe.root / "deals" / ".cobalt.yaml.fedcba9876543210.tmp"
    left.write_text("half", encoding="utf-8")
    pipe("show", d)
    assert temp_names(pipe.root) == [".acme.yaml.notes-of-mine", ".cobalt.yaml.fedcba9876543210.tmp"]
    pipe("note", d, "two", "--at", "2026-03-04")
    assert temp_names(pipe.root) == [".acme.yaml.notes-of-mine"]


KILLED_WRITER = """
import os, signal, sys
from pathlib import Path
from pipecli.fsio import create_temp
from pipecli.store import Store

store = Store.open(Path(sys.argv[1]))
with store.transaction():
    fd, path = create_temp(store.deals_dir, ".acme.yaml.")
    os.write(fd, b"half a fi")
    os.fsync(fd)
    print(path.name, flush=True)
    os.kill(os.getpid(), signal.SIGKILL)
"""


def test_a_writer_killed_holding_the_lock_leaves_a_file_the_next_write_removes(pipe, run_pipe) -> None:
    d = pipe.add("Acme", "--id", "acme", "--at", "2026-03-02")
    pipe("note", d, "before", "--at", "2026-03-03")
    for _ in range(3):
        killed = subprocess.run(
            [sys.executable, "-c", KILLED_WRITER, str(pipe.root)], capture_output=True, text=True, encoding="utf-8"
        )
        assert killed.returncode == -signal.SIGKILL
        name = killed.stdout.strip()
        assert temp_names(pipe.root) == [name]
        assert (pipe.root / ".pipe" / LOCK_FILE).read_text().startswith("pid ")  # its name, never wiped
        done = run_pipe("-C", str(pipe.root), "note", d, "after", "--at", "2026-03-04")
        assert (done.returncode, done.stdout) == (0, "noted on acme\n")
        assert temp_names(pipe.root) == []
        assert (pipe.root / ".pipe" / LOCK_FILE).read_text() == ""
    assert os.path.exists(pipe.root / "deals" / "acme.yaml")
