"""Git tree objects, changed in place: the tree of a commit with some files put in or taken
out, made from the trees themselves rather than from an index of every file.

Building a commit's tree through an index (``git read-tree``, ``update-index``,
``write-tree``) reads and writes an entry for every file of the repository: at 100,000
deal files about half a second for each note. Here only the trees on the paths of the
files changed are read and written: each is kept as git keeps it (entries of ``mode SP
name NUL id``, sorted by name, a folder's name compared as if it ended in ``/``), so the
entries not changed are copied as they are, and a changed entry is found by bisection.

Pure functions of bytes; ``git.Repo.commit`` reads the trees and writes the new ones, and
takes the index's way whenever these refuse a tree (``Unusual``).
"""

from __future__ import annotations

import functools
import itertools
import operator
import re
from bisect import bisect_left
from collections.abc import Mapping

FOLDER = b"40000"  # the mode git writes for a tree entry


class Unusual(ValueError):
    """A tree this module does not change: not in git's order, or a path through a file."""


@functools.cache
def _entry(width: int) -> re.Pattern[bytes]:
    return re.compile(rb"([0-7]+) ([^\0]*)\0.{%d}" % width, re.S)


def entries(raw: bytes, width: int) -> tuple[list[bytes], list[int]]:
    """The sort key of each entry of the tree ``raw`` (its name, a folder's followed by
    ``/``), and where each entry starts, with the end of the last one after them; ``width``
    is the length of an object id (20 bytes for SHA-1, 32 for SHA-256)."""
    found = _entry(width).findall(raw)  # in C: a step per entry in Python cost twice as much
    starts = list(itertools.accumulate((len(mode) + len(name) + 2 + width for mode, name in found), initial=0))
    if starts[-1] != len(raw):  # the entries found do not tile the tree: a byte is not theirs
        raise Unusual("a tree entry is cut short")
    keys = [name + b"/" if mode == FOLDER else name for mode, name in found]
    if not all(map(operator.lt, keys, itertools.islice(keys, 1, None))):
        raise Unusual("a tree not in git's order")
    return keys, starts


def changed(raw: bytes, width: int, changes: Mapping[bytes, tuple[bytes, bytes] | None]) -> bytes:
    """The tree ``raw`` with each name of ``changes`` given the entry ``(mode, id)`` (the id
    as raw bytes), or taken out (None); an entry of that name, file or folder, is replaced."""
    keys, starts = entries(raw, width)
    cuts: list[tuple[int, int, bytes, bytes]] = []  # (from, to, its sort key, what goes there)
    for name, entry in changes.items():
        if not name or b"/" in name or b"\0" in name:
            raise Unusual(f"not a name in a tree: {name!r}")
        start = end = None
        for key in (name, name + b"/"):
            at = bisect_left(keys, key)
            if at < len(keys) and keys[at] == key:
                start, end = starts[at], starts[at + 1]
        new = b""
        key = name
        if entry is not None:
            mode, object_id = entry
            if len(object_id) != width:
                raise Unusual("an object id of another length")
            new = mode + b" " + name + b"\0" + object_id
            key = name + b"/" if mode == FOLDER else name
        if start is not None and end is not None:
            cuts.append((start, end, key, b""))
        if new:
            at = bisect_left(keys, key)
            cuts.append((starts[at], starts[at], key, new))
    cuts.sort(key=lambda c: c[:3])  # in tree order; new entries at one place by their keys
    out: list[bytes] = []
    pos = 0
    for start, end, _, new in cuts:
        out += (raw[pos:start], new)
        pos = end
    out.append(raw[pos:])
    return b"".join(out)
