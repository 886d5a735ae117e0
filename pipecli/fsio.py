"""File-system primitives: the one safe temporary file, atomic writes, and the lock.

Every file pipe writes (deal files, pipeline.yaml, the parse cache, exports, the
stale lists) goes through ``atomic_write``, ``write_many`` or ``replacing``:

* the new content goes to a temporary file in the target's folder, created by
  ``create_temp`` with an unpredictable name and ``O_CREAT | O_EXCL | O_NOFOLLOW``,
  so it is never an existing file and never a symlink planted under that name;
* it is flushed to disk (fsync) and then renamed over the target, so a reader (or a
  crash) sees the old file or the new one, never half of one;
* the folder is fsynced, so the rename itself survives a crash;
* on any failure the temporary file is removed and the target is left as it was.

``write_many`` is the same for thousands of files at once (``pipe import``): it
writes every temporary file first, then fsyncs them (from a few threads at once,
so that the file system can commit them together), then renames them all, then
fsyncs each folder once. The data of every file is on disk before its rename, as
with ``atomic_write``, at a fraction of the cost of an fsync and a folder fsync
between files (see benchmarks/write_bench.py).
"""

from __future__ import annotations

import contextlib
import os
import signal
import stat
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from .errors import LockTimeout

_CREATE_FLAGS = (
    os.O_WRONLY
    | os.O_CREAT
    | os.O_EXCL
    | getattr(os, "O_NOFOLLOW", 0)
    | getattr(os, "O_CLOEXEC", 0)
    | getattr(os, "O_BINARY", 0)
)
PROGRESS_EVERY = 200
SYNC_THREADS = 16  # fsyncs in flight at once: the file system commits them together


def unguessable() -> str:
    """16 random hex digits for a temporary name (``os.urandom``, as ``secrets.token_hex(8)``)."""
    return os.urandom(8).hex()


def create_temp(folder: Path, prefix: str, suffix: str = ".tmp", mode: int = 0o666) -> tuple[int, Path]:
    """A new, empty file in ``folder`` with an unpredictable name, open for writing.

    Returns its descriptor (the caller closes it) and its path. ``O_EXCL`` and
    ``O_NOFOLLOW``: it is never a file that existed, nor a symlink someone planted
    under that name. ``mode`` is narrowed by the umask, as for any new file.
    """
    for _ in range(100):
        path = folder / f"{prefix}{unguessable()}{suffix}"
        try:
            fd = os.open(path, _CREATE_FLAGS, mode)
        except FileExistsError:
            continue
        return fd, path
    raise FileExistsError(f"no free temporary name in {folder}")  # pragma: no cover - 2**64 names


def _existing_mode(path: Path) -> int | None:
    """The permission bits of the regular file at ``path``; None when there is none."""
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return None
    return stat.S_IMODE(st.st_mode) if stat.S_ISREG(st.st_mode) else None


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def _encoded(data: str | bytes) -> bytes:
    return data.encode("utf-8") if isinstance(data, str) else data


def _unlink(path: Path) -> None:
    with contextlib.suppress(OSError):
        os.unlink(path)


def _stage(target: Path, data: bytes, *, sync: bool) -> Path:
    """The new content of ``target`` in a temporary file beside it (with ``target``'s
    permissions when it exists); removed again if anything fails."""
    fd, tmp = create_temp(target.parent, f".{target.name}.")
    try:
        mode = _existing_mode(target)
        if mode is not None:
            if hasattr(os, "fchmod"):
                os.fchmod(fd, mode)
            else:  # pragma: no cover - Windows
                os.chmod(tmp, mode)
        _write_all(fd, data)
        if sync:
            os.fsync(fd)
    except BaseException:
        os.close(fd)
        _unlink(tmp)
        raise
    os.close(fd)
    return tmp


def sync_folder(folder: Path) -> None:
    """Make the renames in ``folder`` durable (a no-op where folders cannot be opened)."""
    if not hasattr(os, "O_DIRECTORY"):  # pragma: no cover - Windows
        return
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def sync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def atomic_write(path: Path, data: str | bytes, *, sync: bool = True) -> None:
    """Replace ``path`` with ``data`` (text is written as UTF-8) so that readers see the
    old file or the new one, never half.

    ``sync=False`` skips the fsyncs: for files that are disposable (the parse cache),
    where a crash may lose the new content but never leaves a half-written file in place
    of the old one.
    """
    tmp = _stage(path, _encoded(data), sync=sync)
    try:
        os.replace(tmp, path)
    except BaseException:
        _unlink(tmp)
        raise
    if sync:
        sync_folder(path.parent)


def output_target(path: Path) -> Path | None:
    """Where a file the user named for output (``-o FILE``) is written atomically: the file
    itself, or what a symbolic link there points to (the link stays a link); None when it is
    not a file at all (``/dev/null``, ``/dev/stdout``, a FIFO), which is written into as it
    is and never replaced."""
    try:
        st = os.stat(path)  # through links: what a shell's ``>`` would write into
    except FileNotFoundError:
        st = None
    if st is not None and not stat.S_ISREG(st.st_mode) and not stat.S_ISDIR(st.st_mode):
        return None
    return Path(os.path.realpath(path)) if path.is_symlink() else path


def write_into(path: Path, data: str | bytes) -> None:
    """Write ``data`` into something that is not a file (a device, a FIFO), as a shell's ``>`` does."""
    fd = os.open(path, os.O_WRONLY | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_CLOEXEC", 0))
    try:
        _write_all(fd, _encoded(data))
    finally:
        os.close(fd)


def write_output(path: Path, data: str | bytes) -> None:
    """Write a file the user named for output: a file (or a link's file) is replaced
    atomically (``atomic_write``); a device or a FIFO is written into, never replaced
    (``-o /dev/null`` must leave /dev/null a device)."""
    target = output_target(path)
    if target is None:
        write_into(path, data)
    else:
        atomic_write(target, data)


@contextlib.contextmanager
def replacing(path: Path) -> Iterator[Path]:
    """For writers that need a file name (SQLite): an empty temporary file beside
    ``path`` to fill in the block; at its end it is fsynced and renamed over ``path``.

    If the block raises, the temporary file is removed and ``path`` is untouched.
    """
    fd, tmp = create_temp(path.parent, f".{path.name}.")
    os.close(fd)
    try:
        yield tmp
        sync_file(tmp)
        os.replace(tmp, path)
    except BaseException:
        _unlink(tmp)
        raise
    sync_folder(path.parent)


def write_many(
    items: Sequence[tuple[Path, str | bytes]],
    *,
    progress: Callable[[int], None] | None = None,
) -> list[Path]:
    """Write many files, each one atomically, and every file's data on disk before its rename.

    All temporary files are written first, then fsynced (``SYNC_THREADS`` at a time),
    then renamed over their targets in order, then each folder is fsynced once. If writing or syncing fails,
    no target has changed and every temporary file is removed; if a rename fails,
    the targets renamed before it are written (in the returned order up to it) and
    the rest are not. ``progress(n)`` is called every 200 files written.
    """
    staged: list[tuple[Path, Path]] = []
    done: list[Path] = []
    try:
        for n, (target, data) in enumerate(items, 1):
            staged.append((_stage(target, _encoded(data), sync=False), target))
            if progress is not None and n % PROGRESS_EVERY == 0:
                progress(n)
        if len(staged) > 1:
            from concurrent.futures import ThreadPoolExecutor  # here: a one-file write does without it

            with ThreadPoolExecutor(min(SYNC_THREADS, len(staged))) as pool:
                list(pool.map(sync_file, [tmp for tmp, _ in staged]))  # raises the first failure
        elif staged:
            sync_file(staged[0][0])
        for tmp, target in staged:
            os.replace(tmp, target)
            done.append(target)
    except BaseException:
        for tmp, _ in staged[len(done) :]:
            _unlink(tmp)
        raise
    finally:
        for folder in dict.fromkeys(p.parent for p in done):
            sync_folder(folder)
    return done


# -- the lock ---------------------------------------------------------------------------
LOCK_POLL = 0.005  # seconds between tries where a blocking wait is not possible (threads, Windows)


@dataclass
class Held:
    """A lock as its holder has it. ``taken``: the lock file's mtime (ns) when it was taken,
    before its holder wrote its name (what the holder before left: by ``leave``, or the time
    it wrote or let go). ``leave``: the mtime to give the lock file as it is let go (None:
    the time of letting go), so the next holder can tell what this one saw."""

    taken: int | None
    leave: int | None = None


@contextlib.contextmanager
def file_lock(path: Path, timeout: float, holder: str = "") -> Iterator[Held]:
    """An exclusive advisory lock on ``path``, released even if the process is killed.

    Waiters block in the kernel (no polling), so the lock passes on the moment it is
    free and a waiter is not starved by others that happen to poll at the right time.
    After ``timeout`` seconds it raises ``LockTimeout``, saying who held the lock: the
    holder writes ``pid N, HOLDER`` into the lock file while it holds it.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0), 0o666)
    try:
        if not _try_lock(fd):
            first = _holder(fd)
            if not _wait_lock(fd, timeout):
                last = _holder(fd)
                raise LockTimeout(path, timeout, holder=last or first, several=bool(first and last and first != last))
        try:
            held = Held(os.fstat(fd).st_mtime_ns)
        except OSError:  # pragma: no cover - fstat of an open file
            held = Held(None)
        _announce(fd, f"pid {os.getpid()}" + (f", {holder}" if holder else ""))
        try:
            yield held
        finally:
            _announce(fd, "")
            if held.leave is not None:
                with contextlib.suppress(OSError, NotImplementedError):
                    os.utime(fd, ns=(held.leave, held.leave))
            _unlock(fd)
    finally:
        os.close(fd)


def _holder(fd: int) -> str:
    """Who holds the lock, as the holder wrote it ('' when it did not say)."""
    try:
        return os.pread(fd, 300, 0).decode("utf-8", "replace").strip()
    except (OSError, AttributeError):  # pragma: no cover - no pread (Windows)
        return ""


def _announce(fd: int, text: str) -> None:
    with contextlib.suppress(OSError, AttributeError):
        os.ftruncate(fd, 0)
        if text:
            os.pwrite(fd, (text + "\n").encode("utf-8", "replace"), 0)


def _try_lock(fd: int) -> bool:
    try:
        _lock(fd, block=False)
    except OSError:
        return False
    return True


class _Expired(Exception):
    """The wait for the lock ran out (raised by the alarm's handler)."""


def _wait_lock(fd: int, timeout: float) -> bool:
    """Wait up to ``timeout`` seconds for the lock; True once it is held."""
    if timeout <= 0:
        return False
    if not _CAN_BLOCK or threading.current_thread() is not threading.main_thread():
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            time.sleep(LOCK_POLL)
            if _try_lock(fd):
                return True
        return False
    state = {"held": False}

    def expire(signum: int, frame: object) -> None:
        if not state["held"]:
            raise _Expired

    started = time.monotonic()
    previous = signal.signal(signal.SIGALRM, expire)
    outer = signal.setitimer(signal.ITIMER_REAL, timeout)
    try:
        _lock(fd, block=True)  # a blocking wait in the kernel, ended by the alarm
        state["held"] = True
    except _Expired:
        pass  # if the alarm came just after the lock was taken, closing the file releases it
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        if outer[0] > 0:  # someone else's alarm was set: set it again for what was left of it
            signal.setitimer(signal.ITIMER_REAL, max(outer[0] - (time.monotonic() - started), 0.001), outer[1])
    return state["held"]


if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
    import msvcrt

    _CAN_BLOCK = False

    def _lock(fd: int, block: bool) -> None:
        msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)

    def _unlock(fd: int) -> None:
        os.lseek(fd, 0, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)

else:
    import fcntl

    _CAN_BLOCK = hasattr(signal, "setitimer")

    def _lock(fd: int, block: bool) -> None:
        fcntl.flock(fd, fcntl.LOCK_EX if block else fcntl.LOCK_EX | fcntl.LOCK_NB)

    def _unlock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_UN)
