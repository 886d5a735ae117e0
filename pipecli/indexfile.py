"""The index file's frame, read with the standard library only: its magic, its header, one
section, and one column's table of distinct values without the rest.

``pipecli.index`` writes and decodes the whole file; shell completion
(``pipecli.quickcomplete``) reads a column's table or the header's stage ids here before
anything heavier is imported.
"""

from __future__ import annotations

import json
import os
import stat
import struct
from pathlib import Path
from typing import Any

MAGIC = b"pipe deal index\n"
DELTA_MAGIC = b"pipe deal index delta\n"  # ``.pipe/index.delta``: the changes since its base
DELTA_SUFFIX = ".delta"  # the delta of ``.pipe/index`` is ``.pipe/index.delta``
MAX_INDEX_BYTES = 1 << 31
RACY_NS = 2_000_000_000  # 2 s: FAT and HFS+ stamp whole (or even) seconds
TABLE = "table"  # the kind of a section that is a JSON list


class Unreadable(Exception):
    """The index file is not one this version wrote whole: it is ignored and rebuilt."""


def section(data: Any, base: int, sections: dict[str, Any], name: str, kind: str) -> memoryview:
    """The bytes of section ``name`` of kind ``kind``; ``Unreadable`` when it is missing or bad."""
    try:
        k, offset, length = sections[name]
    except (KeyError, TypeError, ValueError):
        raise Unreadable(f"no section {name}") from None
    if k != kind or not isinstance(offset, int) or not isinstance(length, int) or offset < 0 or length < 0:
        raise Unreadable(f"bad section {name}")
    start = base + offset
    if start + length > len(data):
        raise Unreadable("truncated")
    return memoryview(data)[start : start + length]


def mapped(path: Path | str) -> tuple[Any, os.stat_result] | None:
    """The file at ``path`` mapped into memory (read only) and its stat, or None: missing,
    a symlink (never followed), not a regular file, empty or larger than ``MAX_INDEX_BYTES``."""
    import mmap

    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0))
    except OSError:
        return None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode) or not 0 < st.st_size <= MAX_INDEX_BYTES:
            return None
        return mmap.mmap(fd, 0, access=mmap.ACCESS_READ), st
    except (OSError, ValueError):
        return None
    finally:
        os.close(fd)  # the map keeps the file's pages; a rename over it changes nothing


def header(data: Any, magic: bytes = MAGIC) -> tuple[dict[str, Any], int]:
    """The header of the index (``DELTA_MAGIC``: of a delta) in ``data`` and where its
    sections begin; ``Unreadable`` when ``data`` is not one."""
    if len(data) < len(magic) + 4 or data[: len(magic)] != magic:
        raise Unreadable("not an index")
    (head_len,) = struct.unpack_from("<I", data, len(magic))
    base = len(magic) + 4 + head_len
    if base > len(data):
        raise Unreadable("truncated")
    try:
        head = json.loads(bytes(data[len(magic) + 4 : base]))
    except ValueError:
        raise Unreadable("bad header") from None
    if not isinstance(head, dict):
        raise Unreadable("bad header")
    return head, base


def _table(data: Any, magic: bytes, column: str) -> tuple[dict[str, Any], list[Any]]:
    head, base = header(data, magic)
    raw = section(data, base, head["sections"], column + ".table", TABLE)
    values = json.loads(bytes(raw).decode("utf-8", "surrogatepass"))
    if not isinstance(values, list):
        raise Unreadable("a table is not a list")
    return head, values


def column_table(path: Path | str, column: str) -> list[Any] | None:
    """The table of distinct values of one column of the index at ``path`` as it stands
    (plain JSON values, not checked), with those of its delta when there is one for it,
    without reading the rest; None when there is no usable index. A value only the base's
    superseded entries held may still be among them (what completion offers, not a figure).
    A delta that names this base (or whose header does not read) but whose table does not
    read also gives None: the files it held changed, and what they hold now is not known here."""
    found = mapped(path)
    if found is None:
        return None
    data = found[0]
    try:
        head, values = _table(data, MAGIC, column)
    except Exception:  # whatever is there, the caller offers nothing rather than fail
        return None
    more = mapped(f"{os.fspath(path)}{DELTA_SUFFIX}")
    if more is not None:
        try:
            delta_head, _ = header(more[0], DELTA_MAGIC)
            if delta_head.get("base") != head.get("id") or delta_head.get("base_bytes") != len(data):
                return values  # a delta of another base is left out, as the index leaves it out
            added = _table(more[0], DELTA_MAGIC, column)[1]
        except Exception:  # a delta that may be this base's and does not read: its changes are not known
            return None
        values = list(dict.fromkeys([*values, *added]))  # tied to this base: its changes count
    return values
