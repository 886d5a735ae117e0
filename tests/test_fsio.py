"""pipecli.fsio: the one temporary-file routine, atomic and batch writes, and the lock."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pipecli import fsio
from pipecli.errors import LockTimeout, PipeError


def names(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


@pytest.fixture
def work(tmp_path: Path) -> Path:
    """An empty folder of its own (tmp_path also holds the test's HOME)."""
    folder = tmp_path / "work"
    folder.mkdir()
    return folder


def test_temp_file_never_follows_a_planted_symlink(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("precious\n", encoding="utf-8")
    folder = tmp_path / "deals"
    folder.mkdir()
    # someone who guessed the first name plants a symlink under it
    (folder / ".acme.yaml.guessed.tmp").symlink_to(victim)
    tokens = iter(["guessed", "fresh"])
    monkeypatch.setattr(fsio, "unguessable", lambda: next(tokens))
    fd, path = fsio.create_temp(folder, ".acme.yaml.")
    os.write(fd, b"new data")
    os.close(fd)
    assert path == folder / ".acme.yaml.fresh.tmp"
    assert stat.S_ISREG(os.lstat(path).st_mode)
    assert victim.read_text(encoding="utf-8") == "precious\n"


def test_temp_names_are_unpredictable(tmp_path: Path) -> None:
    made = set()
    for _ in range(20):
        fd, path = fsio.create_temp(tmp_path, ".x.")
        os.close(fd)
        made.add(path.name)
    assert len(made) == 20
    assert all(len(n) == len(".x.") + 16 + len(".tmp") for n in made)


def test_atomic_write_creates_and_replaces_keeping_the_mode(work: Path) -> None:
    target = work / "deal.yaml"
    fsio.atomic_write(target, "title: Zażółć\n")
    assert target.read_bytes() == "title: Zażółć\n".encode()
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(target.stat().st_mode) == 0o666 & ~umask
    target.chmod(0o640)
    inode = target.stat().st_ino
    fsio.atomic_write(target, b"title: B\n")
    assert target.read_text(encoding="utf-8") == "title: B\n"
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
    assert target.stat().st_ino != inode  # a new file renamed into place, never rewritten in place
    assert names(work) == ["deal.yaml"]


def test_atomic_write_replaces_a_symlink_instead_of_writing_through_it(tmp_path: Path) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("precious\n", encoding="utf-8")
    link = tmp_path / "out.csv"
    link.symlink_to(victim)
    fsio.atomic_write(link, "a,b\n")
    assert not link.is_symlink()
    assert link.read_text(encoding="utf-8") == "a,b\n"
    assert victim.read_text(encoding="utf-8") == "precious\n"


def test_a_failed_write_leaves_the_target_and_no_temporary_file(work: Path) -> None:
    target = work / "taken"
    target.mkdir()  # a folder where the file should go: the rename fails
    with pytest.raises(OSError):
        fsio.atomic_write(target, "text")
    assert names(work) == ["taken"]
    assert names(target) == []


def test_replacing_gives_a_file_name_and_removes_it_on_failure(work: Path) -> None:
    target = work / "out.db"
    target.write_bytes(b"old")
    with pytest.raises(RuntimeError), fsio.replacing(target) as tmp:
        tmp.write_bytes(b"half")
        raise RuntimeError("the writer failed")
    assert target.read_bytes() == b"old"
    assert names(work) == ["out.db"]
    with fsio.replacing(target) as tmp:
        assert tmp.parent == work and tmp.name.startswith(".out.db.")
        tmp.write_bytes(b"new")
    assert target.read_bytes() == b"new"
    assert names(work) == ["out.db"]


def test_write_many_writes_every_file(work: Path) -> None:
    seen: list[int] = []
    items = [(work / f"d{i}.yaml", f"id: d{i}\ntitle: ระบบ {i}\n") for i in range(450)]
    written = fsio.write_many(items, progress=seen.append)
    assert written == [p for p, _ in items]
    assert seen == [200, 400]
    assert all(p.read_text(encoding="utf-8") == text for p, text in items)
    assert names(work) == sorted(p.name for p, _ in items)


def test_write_many_writes_nothing_when_one_file_cannot_be_written(tmp_path: Path) -> None:
    good = tmp_path / "good"
    good.mkdir()
    items: list[tuple[Path, str | bytes]] = [(good / f"d{i}.yaml", "x: 1\n") for i in range(5)]
    items.append((tmp_path / "missing-folder" / "d.yaml", "x: 1\n"))
    with pytest.raises(FileNotFoundError):
        fsio.write_many(items)
    assert names(good) == []  # no target, no temporary file


def test_lock_times_out_with_the_facts(tmp_path: Path) -> None:
    lock = tmp_path / ".pipe" / "lock"
    with fsio.file_lock(lock, timeout=1):
        started = time.monotonic()
        with pytest.raises(LockTimeout) as caught, fsio.file_lock(lock, timeout=0.2):
            pass
        assert time.monotonic() - started >= 0.2
    err = caught.value
    assert isinstance(err, PipeError)
    assert (err.lock, err.timeout) == (lock, 0.2)
    with fsio.file_lock(lock, timeout=0):  # released: free again at once
        pass


def test_lock_is_released_when_the_holder_is_killed(tmp_path: Path) -> None:
    lock = tmp_path / "lock"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time\nfrom pathlib import Path\nfrom pipecli.fsio import file_lock\n"
            f"with file_lock(Path({str(lock)!r}), 5):\n    print('held', flush=True)\n    time.sleep(60)\n",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "held\n"
        with pytest.raises(LockTimeout), fsio.file_lock(lock, timeout=0.1):
            pass
    finally:
        holder.kill()
        holder.wait()
    with fsio.file_lock(lock, timeout=5):
        pass
