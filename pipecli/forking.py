"""Work shared with a forked child: the child does a part and sends its result back whole
through a pipe, then ends at once; this process does the rest meanwhile.

A warm command over 100,000 deals has parts that cost a step per deal and no more than a
few hundred milliseconds each (the stat of every file, replaying the deals still moving on
a past day, laying out a table of tens of thousands of lines). A second process halves them
on two cores where threads would not (the interpreter's lock), and a child forked from the
command costs a few milliseconds and starts with everything the command has read.

Forking is only done on Linux and where no other thread runs (``may_fork``); the child
never writes a file or output, takes no lock, and ends with ``os._exit`` (no buffered
output of this process written twice, no ``atexit``). Anything amiss with the child, and
this process does its part itself. Standard library only.
"""

from __future__ import annotations

import contextlib
import os
import struct
import sys
from collections.abc import Callable
from typing import Any, Generic, TypeVar

T = TypeVar("T")


def may_fork() -> bool:
    """Whether a child may be forked to share the work: on Linux (elsewhere forking a process
    that may have loaded system frameworks is not safe), with no other thread running."""
    import threading

    return sys.platform.startswith("linux") and hasattr(os, "fork") and threading.active_count() == 1


class Child:
    """A forked child doing a part of the work: ``result`` waits for what it found (None when
    it failed), ``cancel`` ends it; either once."""

    def __init__(self, pid: int, fd: int) -> None:
        self.pid = pid
        self.fd = fd

    def cancel(self) -> None:
        import signal

        with contextlib.suppress(OSError):
            os.kill(self.pid, signal.SIGKILL)
        self._end()

    def _end(self) -> int:
        os.close(self.fd)
        while True:
            try:
                return os.waitpid(self.pid, 0)[1]
            except InterruptedError:  # pragma: no cover - retried by Python itself since 3.5
                continue
            except ChildProcessError:  # reaped by someone else (a SIGCHLD handler of the caller)
                return 0

    def result(self) -> bytes | None:
        parts = []
        try:
            while chunk := os.read(self.fd, 1 << 20):
                parts.append(chunk)
        except OSError:
            parts = []
        finally:
            status = self._end()
        data = b"".join(parts)
        if status != 0 or len(data) < 8 or struct.unpack_from("<Q", data)[0] != len(data) - 8:
            return None
        return data[8:]


def forked(work: Callable[[], bytes]) -> Child | None:
    """``work`` running in a forked child, or None when no child could be started. The child
    writes the bytes it gives whole to a pipe and ends at once, with no cleanup of what it
    inherited (buffered output, ``atexit``)."""
    import signal

    try:
        r, w = os.pipe()
    except OSError:
        return None
    try:
        pid = os.fork()
    except OSError:
        os.close(r)
        os.close(w)
        return None
    if pid == 0:  # pragma: no cover - the child (its coverage is not gathered)
        code = 1
        try:
            signal.signal(signal.SIGINT, signal.SIG_DFL)
            import gc

            gc.disable()
            os.close(r)
            done = work()
            data = memoryview(struct.pack("<Q", len(done)) + done)
            while data:
                data = data[os.write(w, data) :]
            code = 0
        finally:
            os._exit(code)
    os.close(w)
    return Child(pid, r)


def shared(work: Callable[[list[T]], list[Any]], items: list[T], at_least: int) -> list[Any]:
    """``work(items)``: from ``at_least`` items on, where the platform forks (``may_fork``),
    a child does the second half and sends its results back pickled, while this process
    does the first; anything amiss with the child, and this process does its half too.
    ``work`` must give a list, one result per item, that pickles."""
    if len(items) < at_least or not may_fork():
        return work(items)
    import pickle

    half = len(items) // 2
    child = forked(lambda: pickle.dumps(work(items[half:]), protocol=pickle.HIGHEST_PROTOCOL))
    try:
        mine = work(items if child is None else items[:half])
    except BaseException:
        if child is not None:
            child.cancel()
        raise
    if child is None:
        return mine
    data = child.result()
    theirs: Any = None
    if data is not None:
        with contextlib.suppress(Exception):  # what our own child wrote: anything wrong, do it here
            theirs = pickle.loads(data)
    if not isinstance(theirs, list) or len(theirs) != len(items) - half:
        theirs = work(items[half:])
    return mine + theirs


class Ahead(Generic[T]):
    """Work started ahead (``ahead``): calling it gives the result, once; ``cancel`` ends a
    child still working, when its result will not be asked for."""

    def __init__(self, work: Callable[[], T], child: Child | None) -> None:
        self._work = work
        self._child = child

    def __call__(self) -> T:
        child, self._child = self._child, None
        if child is not None:
            import pickle

            data = child.result()
            if data is not None:
                with contextlib.suppress(Exception):  # what our own child wrote: anything wrong, do it here
                    return pickle.loads(data)  # type: ignore[no-any-return]
        return self._work()

    def cancel(self) -> None:
        child, self._child = self._child, None
        if child is not None:
            child.cancel()


def ahead(work: Callable[[], T], worth: bool = True) -> Ahead[T]:
    """``work()`` started now in a forked child, when ``worth`` it and the platform forks
    (``may_fork``): calling what is returned gives its result, sent back pickled, waiting
    for the child if need be; anything amiss with the child (it failed, or what it sent
    does not unpickle), and ``work()`` is done here then, raising what it raises. Without
    a child, calling it does ``work()``."""
    child = None
    if worth and may_fork():
        import pickle

        child = forked(lambda: pickle.dumps(work(), protocol=pickle.HIGHEST_PROTOCOL))
    return Ahead(work, child)
