"""The lock: waiters are served as it frees (no polling), the message says what happened,
and it is held only for a read, a compare and the write, whatever the file's size."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import PIPE_SCRIPT

from pipecli import fsio
from pipecli import store as store_module
from pipecli.errors import LockTimeout
from pipecli.store import LOCK_FILE, Store

HOLD = """
import sys, time
from pathlib import Path
from pipecli.store import Store
store = Store.open(Path(sys.argv[1]))
store.command = sys.argv[2]
with store.lock():
    print("held", flush=True)
    time.sleep(float(sys.argv[3]))
"""


def hold(root: Path, command: str, seconds: float) -> subprocess.Popen[str]:
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(root), command, str(seconds)], stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None and proc.stdout.readline() == "held\n"
    return proc


def test_the_timeout_message_names_the_holder(pipe, monkeypatch) -> None:
    monkeypatch.chdir(pipe.root)
    d = pipe.add("Acme", "--id", "acme", "--at", "2026-03-02")
    holder = hold(pipe.root, "pipe import", 30)
    try:
        r = subprocess.run(
            [str(PIPE_SCRIPT), "note", d, "waiting"],
            cwd=pipe.root,
            capture_output=True,
            text=True,
            env={**os.environ, "PIPE_LOCK_TIMEOUT": "0.3"},
            timeout=60,
        )
    finally:
        holder.kill()
        holder.wait()
    assert r.returncode == 1
    assert r.stderr == (
        f"pipe: another pipe command has held the lock .pipe/lock (pid {holder.pid}, pipe import) for 0.3s; "
        "wait for it to finish and try again\n"
    )


HANDOFF = """
import os, sys, time
from pathlib import Path
from pipecli.store import Store
store = Store.open(Path(sys.argv[1]))
store.command = "pipe note"
with store.lock():
    print("held", flush=True)
    # wait until a waiter blocks on this lock (Linux lists blocked waiters with "->")
    inode = ":%d " % os.stat(store.state_path("lock")).st_ino
    while not any("->" in line and inode in line for line in open("/proc/locks")):
        time.sleep(0.01)
    # as if this holder had finished and the next in line ("pipe move", pid 4242) taken over
    path = store.state_path("lock")
    fd = os.open(path, os.O_WRONLY)
    os.ftruncate(fd, 0)
    os.write(fd, b"pid 4242, pipe move\\n")
    os.close(fd)
    time.sleep(30)
"""


@pytest.mark.skipif(not os.path.exists("/proc/locks"), reason="needs Linux's /proc/locks to see a waiter")
def test_the_timeout_message_says_when_several_held_it_in_turn(pipe, monkeypatch) -> None:
    monkeypatch.chdir(pipe.root)
    d = pipe.add("Acme", "--id", "acme", "--at", "2026-03-02")
    proc = subprocess.Popen([sys.executable, "-c", HANDOFF, str(pipe.root)], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None and proc.stdout.readline() == "held\n"
        r = subprocess.run(
            [str(PIPE_SCRIPT), "note", d, "waiting"],
            cwd=pipe.root,
            capture_output=True,
            text=True,
            env={**os.environ, "PIPE_LOCK_TIMEOUT": "3"},
            timeout=60,
        )
    finally:
        proc.kill()
        proc.wait()
    assert r.returncode == 1
    assert r.stderr == (
        "pipe: other pipe commands held the lock .pipe/lock one after another for all of the 3s this one waited "
        "(the last: pid 4242, pipe move); try again, or wait longer with PIPE_LOCK_TIMEOUT=SECONDS\n"
    )


def test_a_waiter_gets_the_lock_as_it_frees(tmp_path: Path) -> None:
    """A blocked waiter is woken by the release; one polling every 10 ms used to lose to others."""
    lock = tmp_path / "lock"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time\nfrom pathlib import Path\nfrom pipecli.fsio import file_lock\n"
            f"with file_lock(Path({str(lock)!r}), 5):\n    print('held', flush=True)\n    sys.stdin.readline()\n",
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout is not None and holder.stdout.readline() == "held\n"
    assert holder.stdin is not None
    try:
        with pytest.raises(LockTimeout), fsio.file_lock(lock, timeout=0.2):
            pass
        holder.stdin.write("release\n")
        holder.stdin.flush()
        with fsio.file_lock(lock, timeout=10):
            assert fsio._holder(os.open(lock, os.O_RDONLY)) == f"pid {os.getpid()}"
    finally:
        holder.kill()
        holder.wait()
    assert lock.read_text() == ""  # the holder's name is wiped when it lets go


def test_the_rewrite_happens_outside_the_lock(pipe, monkeypatch) -> None:
    """Under the lock only the file is read again, compared and written: the costly rewrite
    of a long file (ruamel.yaml) and its check are done before the lock is taken."""
    d = pipe.add("Acme", "--id", "acme", "--at", "2026-03-02")
    store = Store.open(pipe.root)
    lock = store.state_path(LOCK_FILE)
    seen: list[bool] = []
    real = store_module.rewritten_text

    def spy(*args, **kwargs):
        try:
            with fsio.file_lock(lock, 0):
                seen.append(False)  # free: this rewrite runs outside the lock
        except LockTimeout:
            seen.append(True)
        return real(*args, **kwargs)

    monkeypatch.setattr(store_module, "rewritten_text", spy)
    for args in (["note", d, "hello"], ["move", d, "meeting"], ["set", d, "owner=anna"]):
        pipe(*args, "--at", "2026-03-03")
    assert seen == [False, False, False]
    assert [n.text for n in store.read(d).notes] == ["hello"]


def test_a_change_that_lost_the_race_is_made_again_not_lost(pipe) -> None:
    from datetime import datetime, timezone

    from pipecli import actions

    d = pipe.add("Acme", "--id", "acme", "--at", "2026-03-02")
    store = Store.open(pipe.root)
    at = datetime(2026, 3, 3, tzinfo=timezone.utc)
    prepared = store.prepare(d, lambda deal: actions.add_note(deal, at, "mine"))
    assert prepared is not None
    store.change(d, lambda deal: actions.add_note(deal, at, "theirs"))  # another writer, meanwhile
    with store.transaction() as tx:
        assert tx.apply(prepared) is None  # the file changed since: nothing written
    store.change(d, lambda deal: actions.add_note(deal, at, "mine"))
    assert [n.text for n in store.read(d).notes] == ["theirs", "mine"]
