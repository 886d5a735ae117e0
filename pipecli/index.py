"""A derived index of the deal files in ``.pipe/index``, kept fresh by each file's stat, as
git's index is: what `pipe report`, `pipe stale`, `pipe list` and completion read.

For each file of ``deals/`` the index keeps its stat key (size, mtime, ctime, inode),
the time it was read, and what reading it gave: a problem (line, message) or the deal's
settled row (``digest.row_at`` after its last entry) and listing view (``digest.listed``),
as columns. The digests themselves (for replays to an earlier cut-off) are kept apart in
``.pipe/digests`` (SQLite, changed a few rows at a time). A warm run reads no deal file: it stats
them (one ``scandir``) and takes every entry whose key is unchanged. A file that is new,
changed, or whose entry is too fresh to trust is read again with the same functions and
rules as ``Store.load_all`` (``documents.read_text`` with the pipeline folder as its root,
so a symlink is followed only inside the folder and the size limit holds before reading;
``parse_document``, ``deal_from_data``), on every core when there are many; then what
changed is written (see Split, below). What ``Store.load_all`` refuses, the index refuses in the same
words: a history out of time order (found as the file is read), and a second file with
the id of a deal read before (found anew on every run, as it depends on other files).

Never trusted over the files:

* An entry is used only when size, mtime, ctime and inode are all unchanged, and only for
  a regular file: a symlink (or a FIFO, a folder) named like a deal file is judged anew
  on every run, as ``Store.load_all`` judges it. A rename over the file (every pipe
  write, a ``git checkout``) gives a new inode; an in-place rewrite moves the ctime even
  when it puts the mtime back.
* Racily clean (as git's rule): an entry whose mtime or ctime is less than
  ``RACY_NS`` before the moment the file was read is not trusted: the file could have
  changed again within the file system's time-stamp granularity without its stamps
  moving. It is read again next time, until it has been still for that long.
* The index is derived and disposable: a missing, truncated, corrupt, older-format,
  foreign or symlinked index is ignored and rebuilt (a symlink at its name is removed,
  never followed); an index that cannot be written (read-only folder, full disk, .pipe/
  itself a symlink) only costs the next run time. Each of its files is written whole
  to a temporary file and renamed into place, so readers see the old or the new, never half.
  Its decoder trusts nothing it reads: lengths are checked, there is no pickle and no
  recursion, and tables are flat JSON lists.

Split, as git's split index: when few entries changed since the index was written whole
(its *base*, ``.pipe/index``), only those are written, to a small *delta* beside it
(``.pipe/index.delta``): the entries of the files new or changed since the base, and the
names of the files gone. Readers apply the delta over the base; the two give exactly
the entries a whole index would. The delta names the base it extends (a random id the
base is written with, and its size): a delta written for another base, or one that is
truncated, corrupt, of another version or foreign, is ignored, and the next change writes
a new one. Each delta holds everything since its base, so the last one renamed into place
is the whole story, and a reader that maps a base and then reads a delta meant for a newer
one ignores it and sees the base alone: an earlier state, whose entries are judged by the
files' keys as any other. When the delta would hold more than ``DELTA_MIN`` entries and
``DELTA_SHARE`` of the base, the index is written whole again (the new base first, then the
old delta removed) and the delta starts over.

The rows of a deal depend on the pipeline's ladder (stage positions): an index made for
another list of stage ids is rebuilt.
"""

from __future__ import annotations

import contextlib
import functools
import itertools
import json
import operator
import os
import stat
import struct
import sys
import time
from array import array
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, fields
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from .digest import (
    Contact,
    Digest,
    Listed,
    Pause,
    Row,
    Step,
    from_plain,
    ladder_of,
    listed,
    micros,
    row_at,
    row_at_many,
    to_plain,
)
from .documents import Problem
from .forking import Child, forked, may_fork, shared
from .indexfile import DELTA_MAGIC, DELTA_SUFFIX, MAGIC, RACY_NS, Unreadable, mapped
from .indexfile import header as read_header
from .indexfile import section as _section

VERSION = 5
PARALLEL_FROM = 400  # files to read before it pays to start worker processes
INDEX_NAME = "index"
# a delta is written while it holds at most the larger of these (entries and names removed):
DELTA_MIN = 200  # entries, so that small pipelines keep a delta too
DELTA_SHARE = 0.05  # of the base's entries

Key = tuple[int, int, int, int]  # size, mtime_ns, ctime_ns, inode


def file_key(st: os.stat_result) -> Key:
    return (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino & 0x7FFF_FFFF_FFFF_FFFF)


def trusted(key: Key, read_ns: int) -> bool:
    """Not racily clean: the file had been still for ``RACY_NS`` when it was read."""
    return read_ns - max(key[1], key[2]) >= RACY_NS


# -- one file's entry ------------------------------------------------------------------------
@dataclass
class Entry:
    """What reading one deal file gave: a problem, or the deal's row, listing and digest.

    ``deal_id`` is the id of a deal that validated, kept with a problem found after that
    (a history out of time order): a later file with the same id is still its duplicate."""

    name: str
    key: Key
    read_ns: int
    row: Row | None = None
    view: Listed | None = None
    digest_json: bytes | memoryview = b""
    problem: tuple[int | None, str] | None = None  # line, message
    deal_id: str | None = None
    texts: tuple[bytes, bytes] | None = None  # what ``pipe search`` keeps (``textindex.texts_of``), when asked for

    @property
    def ok(self) -> bool:
        return self.problem is None


_DIGEST_JSON = json.JSONEncoder(ensure_ascii=True, separators=(",", ":"), allow_nan=False)  # made once, not per file


def read_entry(
    deals_dir: str, name: str, key: Key, ladder: dict[str, int], root: str | None, texts: bool = False
) -> Entry:
    """Read and digest one deal file, as ``Store.load_all`` reads it: by the rules of
    ``documents.read_text`` inside the pipeline folder ``root``, and refused as it refuses
    a deal whose history is out of time order. With ``texts``, also the deal's searched
    texts (``textindex.texts_of``)."""
    from . import yamlio
    from .documents import order_finding, parse_document, read_text
    from .errors import PipeError
    from .store import deal_from_data

    path = os.path.join(deals_dir, name)
    read_ns = time.time_ns()  # before reading: the racy rule compares the stamps with it
    try:
        text = read_text(path, root)
        deal = deal_from_data(path, parse_document(path, text), text)
    except PipeError as err:
        return Entry(name, key, read_ns, problem=(err.line, err.message))
    except OSError as err:
        return Entry(name, key, read_ns, problem=(None, f"cannot read file: {err.strerror}"))
    found = order_finding("history", deal.history)
    if found is not None:
        loc, message = found
        return Entry(name, key, read_ns, problem=(yamlio.locate(text, loc), message), deal_id=deal.id)
    from .digest import digest

    dg = digest(deal)
    row = row_at(dg, ladder, None)
    assert row is not None  # no cut-off: every deal exists
    plain = _DIGEST_JSON.encode(to_plain(dg))
    entry = Entry(name, key, read_ns, row=row, view=listed(dg), digest_json=plain.encode("ascii"), deal_id=deal.id)
    if texts:
        from .textindex import texts_of

        entry.texts = texts_of(deal)
    return entry


_ENTRY_FIELDS = operator.attrgetter(*(f.name for f in fields(Entry)))  # an Entry as a tuple, in its fields' order


def _read_chunk(args: tuple[str, list[tuple[str, Key]], list[str], str | None, bool]) -> list[tuple[Any, ...]]:
    """What a worker process sends back: each entry as the tuple of its fields (a tuple
    pickles in about two thirds of the time of the dataclass; ``Entry(*fields)`` again)."""
    deals_dir, items, stage_ids, root, texts = args
    ladder = ladder_of(stage_ids)
    return [_ENTRY_FIELDS(read_entry(deals_dir, name, key, ladder, root, texts)) for name, key in items]


ARRIVED_EVERY = 2000  # entries handed to ``read_entries``'s ``arrived`` at a time


def read_entries(
    deals_dir: str,
    items: Sequence[tuple[str, Key]],
    stage_ids: Sequence[str],
    progress: Callable[[int, int], None] | None = None,
    root: str | None = None,
    texts: bool = False,
    arrived: Callable[[list[Entry]], None] | None = None,
) -> list[Entry]:
    """Read many files, on every core when there are many (``PARALLEL_FROM``), in order;
    symlinks are followed only inside ``root`` (``documents.read_text``); with ``texts``,
    each deal's searched texts too. ``arrived`` is given the entries read so far, a batch
    of ``ARRIVED_EVERY`` at a time and the rest at the end, each entry once: what it does
    with them overlaps the reading of the next ones."""
    ladder = ladder_of(stage_ids)
    total = len(items)
    workers = min(os.cpu_count() or 1, 8)
    out: list[Entry] = []
    given = 0
    if total < PARALLEL_FROM or workers < 2:
        for n, (name, key) in enumerate(items, 1):
            out.append(read_entry(deals_dir, name, key, ladder, root, texts))
            if progress is not None and n % 200 == 0:
                progress(n, total)
    else:
        import multiprocessing

        chunk = 100
        jobs = [(deals_dir, list(items[i : i + chunk]), list(stage_ids), root, texts) for i in range(0, total, chunk)]
        method = "fork" if "fork" in multiprocessing.get_all_start_methods() else None
        ctx = multiprocessing.get_context(method)
        with _gc_off(freeze=True), ctx.Pool(workers, initializer=_worker_gc) as pool:
            for part in pool.imap(_read_chunk, jobs):
                out += [Entry(*e) for e in part]
                if progress is not None:
                    progress(len(out), total)
                if arrived is not None and len(out) - given >= ARRIVED_EVERY:
                    arrived(out[given:])
                    given = len(out)
    if arrived is not None and given < len(out):
        arrived(out[given:])
    return out


def _worker_gc() -> None:
    """A worker collects its own garbage (it was forked with collection off), not what it inherited."""
    import gc

    gc.enable()


@contextlib.contextmanager
def _gc_off(freeze: bool = False) -> Iterator[None]:
    """No cyclic garbage collection in this process meanwhile; with ``freeze``, none either
    in the workers it forks over what they inherit. Entries and rows hold no cycles, but each
    collection of the oldest generation walks every object alive: with 100,000 entries
    arriving that was about three quarters of unpickling them and half of encoding the
    index, and a forked worker walked its parent's whole heap again and again."""
    import gc

    was = gc.isenabled()
    gc.disable()
    if freeze:
        gc.freeze()  # what a worker forked now inherits is never walked by its collections
    try:
        yield
    finally:
        if freeze:
            gc.unfreeze()
        if was:
            gc.enable()


# -- the file format -----------------------------------------------------------------------
# MAGIC, then a header (u32 length + JSON object: version, byte order, stage ids, count,
# sections), then the sections: each an array of numbers (array module, native order) or
# a flat JSON list of texts. Objects (titles, owners, times, ...) are kept as a table of
# distinct values and one code per deal.
_INT, _FLOAT, _TABLE, _BLOB = "q", "d", "table", "blob"

_DECIMAL = "decimal"
_DATE = "date"
_TIME = "time"
_TEXT = "text"
_OPT_INT = "opt_int"  # an integer or None (kept as _NONE_INT)
_NONE_INT = -(2**63)
_ID = operator.attrgetter("id")
_KEY = operator.itemgetter(1)
_SETTLED = operator.attrgetter("settled")
_CREATED = operator.attrgetter("created")
_NEW_ROW = functools.partial(tuple.__new__, Row)  # Row._make without a Python call per row
_TAGS = "tags"
_STEP = "step"
_PAUSE = "pause"
_CONTACT = "contact"

# the Row's columns: (field, how it is kept)
ROW_COLUMNS: tuple[tuple[str, str], ...] = (
    ("id", _TEXT),
    ("title", _TEXT),
    ("company", _TEXT),
    ("status", _TEXT),
    ("stage", _TEXT),
    ("furthest", _INT),
    ("ordered", _INT),
    ("back_moves", _INT),
    ("value", _DECIMAL),
    ("currency", _TEXT),
    ("probability", _FLOAT),
    ("owner", _TEXT),
    ("source", _TEXT),
    ("tags", _TAGS),
    ("close_date", _DATE),
    ("lost_reason", _TEXT),
    ("created", _INT),
    ("cycle", _FLOAT),
    ("stage_days", "stage_days"),
    ("sitting", "sitting"),
    ("entered", _INT),
    ("last_activity", _INT),
    ("last_offset", _INT),
    ("next_step", _STEP),
    ("snooze", _PAUSE),
    ("settled", _INT),
    ("touched", "opt_int"),
    ("closed", _OPT_INT),
    ("entered_first", "stage_times"),
    ("slips", "slips"),
)
if tuple(name for name, _ in ROW_COLUMNS) != Row._fields:  # rows are made from the columns in this order
    raise ImportError("ROW_COLUMNS must name Row's fields in order")
# the listing's columns beyond the row's (the file's own stage, status and lost reason ...)
LIST_COLUMNS: tuple[tuple[str, str], ...] = (
    ("contact", _CONTACT),
    ("file_stage", _TEXT),
    ("file_status", _TEXT),
    ("file_lost_reason", _TEXT),
    ("file_created", _TIME),
    ("activity", _TIME),
)

# each of Listed's fields, in order: from the row's field of that name (None), or from a listing column
_VIEW_FROM: tuple[tuple[str, str | None], ...] = (
    ("id", None),
    ("title", None),
    ("company", None),
    ("contact", "contact"),
    ("stage", "file_stage"),
    ("status", "file_status"),
    ("value", None),
    ("currency", None),
    ("probability", None),
    ("owner", None),
    ("source", None),
    ("tags", None),
    ("created", "file_created"),
    ("close_date", None),
    ("lost_reason", "file_lost_reason"),
    ("next_step", None),
    ("activity", "activity"),
)
if (
    tuple(f for f, _ in _VIEW_FROM) != Listed._fields
    or not {f for f, own in _VIEW_FROM if own is None} <= set(Row._fields)
    or {own for _, own in _VIEW_FROM if own} != {name for name, _ in LIST_COLUMNS}
):
    raise ImportError("_VIEW_FROM must name Listed's fields in order, each from the row or LIST_COLUMNS")
_NEW_LISTED = functools.partial(tuple.__new__, Listed)
# the column of each field of a listing view, in its order
VIEW_COLUMNS: tuple[str, ...] = tuple(own or field for field, own in _VIEW_FROM)


def _plain(kind: str, v: Any) -> Any:
    if v is None:
        return None
    if kind == _DECIMAL:
        return str(v)
    if kind in (_DATE, _TIME):
        return v.isoformat()
    if kind == _TAGS:
        return list(v)
    if kind == _STEP:
        return [v.text, None if v.due is None else v.due.isoformat()]
    if kind == _PAUSE:
        return [v.until.isoformat(), v.reason]
    if kind == _CONTACT:
        return list(v)
    return v


def _text(v: Any) -> str:
    if not isinstance(v, str):
        raise Unreadable("expected text")
    return v


def _opt_text(v: Any) -> str | None:
    return None if v is None else _text(v)


_FROM_TEXT: dict[str, Callable[[str], Any]] = {
    _DECIMAL: Decimal,
    _DATE: date.fromisoformat,
    _TIME: datetime.fromisoformat,
}


def _values(kind: str, values: list[Any]) -> list[Any]:
    """A table's values decoded (``_value`` of each): amounts, dates and times in one pass."""
    make = _FROM_TEXT.get(kind)
    if make is None:
        return [_value(kind, v) for v in values]
    if not set(map(type, values)) <= {str, type(None)}:
        raise Unreadable("expected text")
    out = [None if v is None else make(v) for v in values]
    if kind == _TIME and any(t is not None and t.tzinfo is None for t in out):
        raise Unreadable("a time without its offset")
    return out


def _value(kind: str, v: Any) -> Any:
    if v is None:
        return None
    if kind == _TEXT:
        return _text(v)
    if kind in _FROM_TEXT:
        return _values(kind, [v])[0]
    if kind == _TAGS:
        return tuple(_text(t) for t in v)
    if kind == _STEP:
        text, due = v
        return Step(_text(text), None if due is None else date.fromisoformat(_text(due)))
    if kind == _PAUSE:
        until, reason = v
        return Pause(date.fromisoformat(_text(until)), _opt_text(reason))
    if kind == _CONTACT:
        name, email, phone = v
        return Contact(_opt_text(name), _opt_text(email), _opt_text(phone))
    raise Unreadable(f"unknown kind {kind}")


def _columns(good: Sequence[Entry]) -> dict[str, Sequence[Any]]:
    """Each column of ``ROW_COLUMNS`` and ``LIST_COLUMNS`` of the entries ``good`` (rows and
    views), by name: ``file_x`` is the view's ``x``, ``contact`` and ``activity`` the view's,
    the others the row's. Cut by ``zip``, not read value by value."""
    rows = [e.row for e in good]
    views = [e.view for e in good]
    by_row = dict(zip(Row._fields, zip(*rows, strict=True) if rows else ((),) * len(Row._fields), strict=True))
    by_view = dict(zip(Listed._fields, zip(*views, strict=True) if views else ((),) * len(Listed._fields), strict=True))
    out: dict[str, Sequence[Any]] = {}
    for name, _ in ROW_COLUMNS + LIST_COLUMNS:
        if name.startswith("file_"):
            out[name] = by_view[name[5:]]
        elif name in ("contact", "activity"):
            out[name] = by_view[name]
        else:
            out[name] = by_row[name]
    return out


_TEXTS = {str, type(None)}


class _Table:
    """One column kept as a table of distinct values and a code per deal, fed a batch at a time."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.first: dict[Any, Any] = {}  # key -> a value with it, in the order the keys first came
        self.code: dict[Any, int] = {}
        self.plain: list[Any] = []  # the table, as written
        self.codes = array("i")

    def add(self, values: Sequence[Any]) -> None:
        # text by itself; anything else by its type and repr, so that values that are equal
        # but written apart (1.0 and 1.00, one instant at two offsets) keep their own entry
        if set(map(type, values)) <= _TEXTS:
            keys: Sequence[Any] = values
        else:
            keys = [v if v is None or type(v) is str else (type(v), repr(v)) for v in values]
        # C loops, not one Python step per deal: values alike by their key are written alike
        known = len(self.first)
        self.first.update(zip(keys, values, strict=True))
        for k, v in itertools.islice(self.first.items(), known, None):  # the keys new in this batch
            self.code[k] = len(self.plain)
            self.plain.append(_plain(self.kind, v))
        self.codes.extend(map(self.code.__getitem__, keys))

    def data(self) -> bytes:
        # surrogatepass: a lone surrogate a YAML escape let into a text survives the trip
        return json.dumps(self.plain, ensure_ascii=False, allow_nan=False).encode("utf-8", "surrogatepass")


def _problem_plain(e: Entry) -> list[Any]:
    """A problem as kept: [line, message], and the deal's id when it validated."""
    assert e.problem is not None
    line, message = e.problem
    return [line, message] if e.deal_id is None else [line, message, e.deal_id]


class Encoder:
    """The sections of an index file, made from entries given in file-name order a batch at
    a time (``add``), so that a cold build encodes the entries that arrived while the workers
    read the next ones; ``finish`` gives the file. ``encode`` is one batch and ``finish``."""

    def __init__(self) -> None:
        self.files = 0
        self.deals = 0
        self._sections: dict[str, tuple[str, array[Any] | _Table]] = {}  # in the order they are written

    def _numbers(self, name: str, typecode: str, values: Any) -> None:
        found = self._sections.get(name)
        if found is None:
            found = self._sections[name] = (typecode, array(typecode))
        numbers = found[1]
        assert isinstance(numbers, array)
        numbers.extend(values)

    def _table(self, name: str, kind: str, values: Sequence[Any]) -> None:
        found = self._sections.get(name)
        if found is None:
            found = self._sections[name] = (_TABLE, _Table(kind))
        table = found[1]
        assert isinstance(table, _Table)
        table.add(values)

    def add(self, entries: Sequence[Entry]) -> None:
        """The next entries, in file-name order after those given before."""
        self._table("name", _TEXT, [e.name for e in entries])
        self._numbers("key", "q", [k for e in entries for k in e.key])
        self._numbers("read", "q", [e.read_ns for e in entries])
        self._table("problem", _TEXT, [None if e.ok else json.dumps(_problem_plain(e)) for e in entries])
        good = [e for e in entries if e.ok]
        columns = _columns(good)
        for name, kind in ROW_COLUMNS + LIST_COLUMNS:
            values = columns[name]
            if kind == _INT:
                self._numbers(name, "q", values)
            elif kind == _OPT_INT:
                self._numbers(name, "q", [_NONE_INT if v is None else v for v in values])
            elif kind == _FLOAT:
                self._numbers(name, "d", [float("nan") if v is None else v for v in values])
            elif kind == "stage_days":
                self._numbers(name, "d", [float("nan") if d is None else d for v in values for d in v])
            elif kind == "stage_times":
                self._numbers(name, "q", [_NONE_INT if t is None else t for v in values for t in v])
            elif kind == "slips":
                self._numbers(name + ".count", "q", [len(v) for v in values])
                self._numbers(name, "q", [x for v in values for slip in v for x in slip])
            elif kind == "sitting":
                self._numbers(name + ".stage", "q", [-1 if v is None else v[0] for v in values])
                self._numbers(name + ".earlier", "d", [0.0 if v is None else v[1] for v in values])
                self._numbers(name + ".entered", "q", [0 if v is None else v[2] for v in values])
            else:
                self._table(name, kind, values)
        self.files += len(entries)
        self.deals += len(good)

    def finish(self, stage_ids: Sequence[str], *, base: Stored | None = None, removed: Sequence[str] = ()) -> bytes:
        """The index file of every entry added: a base, with a new random id; or, with
        ``base``, a delta over that base, which also names the files ``removed`` since."""
        sections: dict[str, tuple[str, int, int]] = {}
        parts: list[bytes] = []
        size = 0
        for name, (kind, held) in self._sections.items():
            if isinstance(held, _Table):
                pieces = [(name + ".table", _TABLE, held.data()), (name, "i", held.codes.tobytes())]
            else:
                pieces = [(name, kind, held.tobytes())]
            for section, how, data in pieces:
                sections[section] = (how, size, len(data))
                parts.append(data)
                size += len(data)
        header: dict[str, Any] = {
            "version": VERSION,
            "byteorder": sys.byteorder,
            "stages": list(stage_ids),
            "files": self.files,
            "deals": self.deals,
            "ladder": len(stage_ids),
            "sections": sections,
        }
        if base is None:
            header["id"] = os.urandom(16).hex()
            magic = MAGIC
        else:
            header.update({"base": base.id, "base_bytes": base.size, "removed": list(removed)})
            magic = DELTA_MAGIC
        head = json.dumps(header, ensure_ascii=True).encode("ascii")
        return magic + struct.pack("<I", len(head)) + head + b"".join(parts)


def encode(
    entries: Sequence[Entry],
    stage_ids: Sequence[str],
    *,
    base: Stored | None = None,
    removed: Sequence[str] = (),
) -> bytes:
    """The index file of ``entries`` (in file-name order): a base, with a new random id; or,
    with ``base``, a delta over that base, which also names the files ``removed`` since."""
    encoder = Encoder()
    encoder.add(entries)
    return encoder.finish(stage_ids, base=base, removed=removed)


class Keys:
    """Every file's key (``file_key``), kept as the index holds them: four numbers a file in
    one array (100,000 tuples of four numbers would take 20 MB), made a tuple when asked for."""

    __slots__ = ("flat",)

    def __init__(self, flat: array[int]) -> None:
        self.flat = flat

    def __len__(self) -> int:
        return len(self.flat) // 4

    def __getitem__(self, i: int) -> Key:
        if not 0 <= i < len(self):
            raise IndexError(i)
        f, k = self.flat, 4 * i
        return (f[k], f[k + 1], f[k + 2], f[k + 3])

    def span(self, start: int, end: int) -> array[int]:
        """The keys of files ``start`` to ``end`` (not included), flat."""
        return self.flat[4 * start : 4 * end]


class Stored:
    """A decoded index: per file its name, key, read time and problem; the settled rows
    and listing views of the good files are decoded when first asked for."""

    def __init__(self, data: Any, base: int, header: dict[str, Any], stage_ids: list[str]) -> None:
        self._data, self._base, self._sections = data, base, header["sections"]
        self.stage_ids = stage_ids
        self.id: str = header.get("id", "")  # a base's id, that its deltas name
        self.size = len(data)
        n_files, n_deals = header["files"], header["deals"]
        self.n_deals = n_deals
        names = self._table("name", _TEXT, n_files)
        if None in names or not all(map(operator.lt, names, itertools.islice(names, 1, None))):
            raise Unreadable("bad names")  # each name is text, after the one before it: sorted, none twice
        self.names: list[str] = names
        self.keys = Keys(self._numbers("key", "q", 4 * n_files))
        self.read_ns: Sequence[int] = self._numbers("read", "q", n_files)
        self.problems: list[tuple[int | None, str] | None] = []
        self.problem_ids: dict[int, str] = {}  # file -> the id of its deal, for a problem after validation
        self.slots: list[int] = []
        problems = self._table("problem", _TEXT, n_files)
        if n_deals == n_files and problems.count(None) == n_files:  # the usual index: no problem
            self.problems = problems
            self.slots = list(range(n_files))
        else:
            self._problems(problems, n_deals)
        self._rows: list[Row] | None = None
        self._views: list[Listed] | None = None

    def _problems(self, problems: list[str | None], n_deals: int) -> None:
        """Each file's problem, decoded, and the slot of each good file's row."""
        for i, p in enumerate(problems):
            if p is None:
                self.problems.append(None)
                continue
            plain = json.loads(p)
            if not isinstance(plain, list) or len(plain) not in (2, 3):
                raise Unreadable("bad problem")
            line, message = plain[:2]
            if not (line is None or isinstance(line, int)) or not isinstance(message, str):
                raise Unreadable("bad problem")
            if len(plain) == 3:
                self.problem_ids[i] = _text(plain[2])
            self.problems.append((line, message))
        good = 0
        for problem in self.problems:
            self.slots.append(good if problem is None else -1)
            good += problem is None
        if good != n_deals:
            raise Unreadable("counts disagree")

    def _numbers(self, name: str, typecode: str, count: int) -> array[Any]:
        raw = _section(self._data, self._base, self._sections, name, typecode)
        out = array(typecode)
        if len(raw) != count * out.itemsize:
            raise Unreadable(f"section {name} has the wrong length")
        out.frombytes(raw)
        return out

    def _table(self, name: str, kind: str, count: int) -> list[Any]:
        raw = _section(self._data, self._base, self._sections, name + ".table", _TABLE)
        values = json.loads(bytes(raw).decode("utf-8", "surrogatepass"))
        if not isinstance(values, list):
            raise Unreadable("a table is not a list")
        if kind == _TEXT:
            if not set(map(type, values)) <= {str, type(None)}:
                raise Unreadable("a text table holds something else")
            decoded = values
        else:
            decoded = _values(kind, values)
        codes = self._numbers(name, "i", count)
        if len(decoded) == count and codes == array("i", range(count)):
            return decoded  # a value per file, in order (names, ids, titles): the table itself
        if codes and (min(codes) < 0 or max(codes) >= len(decoded)):
            raise Unreadable(f"section {name} has a code out of its table")
        return list(map(decoded.__getitem__, codes))

    def _column(self, name: str, kind: str) -> list[Any]:
        n = self.n_deals
        if kind == _INT:
            return list(self._numbers(name, "q", n))
        if kind == _OPT_INT:
            return [None if x == _NONE_INT else x for x in self._numbers(name, "q", n)]
        if kind == _FLOAT:
            return [None if x != x else x for x in self._numbers(name, "d", n)]
        if kind == "stage_days":
            width = len(self.stage_ids)
            flat = [None if x != x else x for x in self._numbers(name, "d", n * width)]
            if width == 0:
                return [()] * n
            return list(zip(*(flat[i::width] for i in range(width)), strict=True))
        if kind == "stage_times":
            width = len(self.stage_ids)
            flat = [None if x == _NONE_INT else x for x in self._numbers(name, "q", n * width)]
            if width == 0:
                return [()] * n
            return list(zip(*(flat[i::width] for i in range(width)), strict=True))
        if kind == "slips":
            counts = self._numbers(name + ".count", "q", n)
            if counts and min(counts) < 0:
                raise Unreadable("a negative count")
            pairs = self._numbers(name, "q", 2 * sum(counts))
            out: list[Any] = []
            at = 0
            for c in counts:
                if c:
                    out.append(tuple((pairs[at + 2 * j], pairs[at + 2 * j + 1]) for j in range(c)))
                    at += 2 * c
                else:  # most deals: no slip
                    out.append(())
            return out
        if kind == "sitting":
            where = self._numbers(name + ".stage", "q", n)
            earlier = self._numbers(name + ".earlier", "d", n)
            entered = self._numbers(name + ".entered", "q", n)
            if where and (min(where) < -1 or max(where) >= len(self.stage_ids)):
                raise Unreadable("a sitting stage off the ladder")
            return [None if w < 0 else (w, e, t) for w, e, t in zip(where, earlier, entered, strict=True)]
        return self._table(name, kind, n)

    @property
    def rows(self) -> list[Row]:
        if self._rows is None:
            columns = [self._decoded(functools.partial(self._column, name, kind)) for name, kind in ROW_COLUMNS]
            self._rows = self._decoded(lambda: list(map(_NEW_ROW, zip(*columns, strict=True))) if self.n_deals else [])
        return self._rows

    @property
    def views(self) -> list[Listed]:
        if self._views is None:
            extra = {name: self._decoded(functools.partial(self._column, name, kind)) for name, kind in LIST_COLUMNS}
            rows = self.rows
            columns = [extra[own] if own else list(map(operator.attrgetter(f), rows)) for f, own in _VIEW_FROM]
            self._views = list(map(_NEW_LISTED, zip(*columns, strict=True))) if rows else []
        return self._views

    @property
    def ids(self) -> list[str]:
        """The deal id of each row, by slot: the rows' when they are decoded, else the id column alone."""
        if self._rows is not None:
            return [r.id for r in self._rows]
        return self._decoded(lambda: self._column("id", _TEXT))

    def _decoded(self, make: Callable[[], Any]) -> Any:
        """What ``make`` decodes; ``Unreadable`` for whatever a damaged section makes it raise."""
        try:
            return make()
        except Unreadable:
            raise
        except (ValueError, TypeError, KeyError, IndexError, ArithmeticError, RecursionError) as exc:
            raise Unreadable(str(exc)) from None

    def views_at(self, slots: Sequence[int]) -> list[Listed]:
        """The listing views at ``slots``, as ``views`` holds them, decoding only the columns a
        view needs, one at a time, and keeping of each only the values at ``slots``."""
        if not slots:
            return []
        if self._views is not None:
            return [self._views[s] for s in slots]
        kinds = dict(ROW_COLUMNS + LIST_COLUMNS)
        picked = []
        for name in VIEW_COLUMNS:
            column = self._decoded(functools.partial(self._column, name, kinds[name]))
            picked.append([column[s] for s in slots])
            del column  # one whole column at a time
        return list(map(_NEW_LISTED, zip(*picked, strict=True)))


def _header(data: Any, magic: bytes) -> tuple[dict[str, Any], int]:
    """The header of the file in ``data`` (``indexfile.header``), if this version wrote it,
    and where its sections start."""
    header, base = read_header(data, magic)
    if header.get("version") != VERSION or header.get("byteorder") != sys.byteorder:
        raise Unreadable("another version")
    return header, base


def decode(data: Any, stage_ids: Sequence[str], magic: bytes = MAGIC) -> Stored:
    """The index in ``data`` (bytes, or a memory map), made for ``stage_ids``; ``Unreadable``
    for anything else. Rows and views are checked as they are decoded. With ``DELTA_MAGIC``,
    a delta (``decode_delta``)."""
    try:
        header, base = _header(data, magic)
        if magic == MAGIC and not (isinstance(header.get("id"), str) and header["id"]):
            raise Unreadable("a base without its id")
        if header.get("stages") != list(stage_ids):
            raise Unreadable("made for other stages")
        n_files, n_deals = header.get("files"), header.get("deals")
        if not isinstance(header.get("sections"), dict) or not isinstance(n_files, int) or not isinstance(n_deals, int):
            raise Unreadable("bad header")
        if n_files < 0 or not 0 <= n_deals <= n_files:
            raise Unreadable("bad counts")
        return Stored(data, base, header, list(stage_ids))
    except Unreadable:
        raise
    except (ValueError, TypeError, KeyError, IndexError, AttributeError, ArithmeticError, RecursionError) as exc:
        raise Unreadable(str(exc)) from None


def decode_delta(data: Any, base: Stored) -> tuple[Stored, list[str]]:
    """The delta in ``data`` over ``base``, and the names it removes; ``Unreadable`` when it is
    not one (foreign, truncated, another version or ladder) or was written for another base.
    Small by construction: its rows and views are decoded, so checked, here."""
    try:
        delta = decode(data, base.stage_ids, DELTA_MAGIC)
        header, _ = _header(data, DELTA_MAGIC)
        if header.get("base") != base.id or header.get("base_bytes") != base.size:
            raise Unreadable("a delta of another base")
        removed = header.get("removed")
        if not isinstance(removed, list) or not all(isinstance(n, str) for n in removed):
            raise Unreadable("bad removed names")
        if removed != sorted(set(removed)) or not set(removed).isdisjoint(delta.names):
            raise Unreadable("bad removed names")
        if len(delta.views) != delta.n_deals:  # decodes (so checks) the rows and the views
            raise Unreadable("counts disagree")
        return delta, removed
    except Unreadable:
        raise
    except (ValueError, TypeError, KeyError, IndexError, AttributeError, ArithmeticError, RecursionError) as exc:
        raise Unreadable(str(exc)) from None


class Layered:
    """A base index with its delta applied: what a whole index of the same entries would
    give (``Stored``'s names, keys, read times, problems, slots, rows and views).

    The files are the base's, less those the delta removes or holds anew, and the delta's,
    in name order; the rows are the base's followed by the delta's (a file's slot says
    which). Built from slices of the base's lists, so it costs little more than the base."""

    def __init__(self, base: Stored, delta: Stored, removed: Sequence[str]) -> None:
        import bisect

        self.base, self.delta = base, delta
        self.stage_ids = base.stage_ids
        self.id, self.size = base.id, base.size
        bn, dn = base.names, delta.names
        drop = set()
        for name in (*dn, *removed):
            at = bisect.bisect_left(bn, name)
            if at < len(bn) and bn[at] == name:
                drop.add(at)
        # the base's positions dropped (kind 1) and the delta's entries put in before a base position (kind 0)
        points = sorted([(p, 1, 0) for p in drop] + [(bisect.bisect_left(bn, n), 0, d) for d, n in enumerate(dn)])
        segments: list[tuple[bool, int, int]] = []  # (from the delta, start, end)
        at = 0
        for p, kind, d in points:
            if p > at:
                segments.append((False, at, p))
                at = p
            if kind == 0:
                segments.append((True, d, d + 1))
            else:
                at = p + 1
        if at < len(bn):
            segments.append((False, at, len(bn)))
        self.segments = segments
        shift = base.n_deals
        delta_slots = [s + shift if s >= 0 else -1 for s in delta.slots]
        self.names: list[str] = self._splice(bn, dn)
        self.keys = Keys(array("q"))
        for from_delta, start, end in segments:
            self.keys.flat += (delta.keys if from_delta else base.keys).span(start, end)
        self.read_ns: Sequence[int] = self._splice(base.read_ns, delta.read_ns)
        self.problems: list[tuple[int | None, str] | None] = self._splice(base.problems, delta.problems)
        self.slots: list[int] = self._splice(base.slots, delta_slots)
        self.from_delta: dict[int, int] = {}  # a file's position -> its position in the delta
        self.problem_ids: dict[int, str] = {}
        merged = 0
        for from_delta, start, end in segments:
            if from_delta:
                self.from_delta[merged] = start
                if start in delta.problem_ids:
                    self.problem_ids[merged] = delta.problem_ids[start]
            merged += end - start
        for b, deal_id in base.problem_ids.items():
            if b not in drop:
                self.problem_ids[bisect.bisect_left(self.names, bn[b])] = deal_id
        self.n_deals = base.n_deals + delta.n_deals
        if len(set(self.names)) != len(self.names):
            raise Unreadable("a delta that names a file twice")

    def _splice(self, base: Sequence[Any], delta: Sequence[Any]) -> list[Any]:
        out: list[Any] = []
        for from_delta, start, end in self.segments:
            out += (delta if from_delta else base)[start:end]
        return out

    @property
    def rows(self) -> list[Row]:
        return self.base.rows + self.delta.rows

    @property
    def views(self) -> list[Listed]:
        return self.base.views + self.delta.views

    @property
    def ids(self) -> list[str]:
        return self.base.ids + self.delta.ids

    def views_at(self, slots: Sequence[int]) -> list[Listed]:
        """``Stored.views_at``: the base's slots from the base, the delta's (after them) from the delta."""
        n = self.base.n_deals
        base = iter(self.base.views_at([s for s in slots if s < n]))
        delta = iter(self.delta.views_at([s - n for s in slots if s >= n]))
        return [next(delta) if s >= n else next(base) for s in slots]

    def kept_base_slots(self) -> list[int]:
        """The slots of the base's rows still in use (not replaced nor removed by the delta)."""
        out: list[int] = []
        for from_delta, start, end in self.segments:
            if not from_delta:
                out += (s for s in self.base.slots[start:end] if s >= 0)
        return out


def delta_path(path: Path) -> Path:
    """Where the delta of the index at ``path`` is kept."""
    return path.with_name(path.name + DELTA_SUFFIX)


def map_state_file(path: Path) -> Any:
    """A state file of ``.pipe/`` mapped into memory (read only), or None: missing, a symlink
    (never followed), not a regular file, empty or larger than ``MAX_INDEX_BYTES``."""
    found = mapped(path)
    return None if found is None else found[0]


def read_index(path: Path, stage_ids: Sequence[str]) -> Stored | Layered | None:
    """The index at ``path`` with its delta applied when there is one for it, or None when
    there is no index this version can trust (a symlink, another format, another ladder,
    anything truncated or malformed); a delta it cannot trust is left out. The base is
    mapped into memory, not read: only the sections a command decodes are touched."""
    data = map_state_file(path)
    if data is None:
        return None
    try:
        base = decode(data, stage_ids)
    except Unreadable:
        return None
    more = map_state_file(delta_path(path))
    if more is None:
        return base
    try:
        return Layered(base, *decode_delta(more, base))
    except Unreadable:
        return base


def _write(path: Path, data: bytes) -> bool:
    from .fsio import atomic_write

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        # disposable: no fsync; a crash may lose the new file, never leave half of one
        atomic_write(path, data, sync=False)
    except OSError:
        return False
    return True


def write_index(path: Path, entries: Sequence[Entry], stage_ids: Sequence[str], ahead: Encoder | None = None) -> bool:
    """Write the index whole (atomically), as a new base, and remove the delta of the one it
    replaces; False when it cannot be written, which only costs time. ``ahead``: ``entries``
    given to an ``Encoder`` already, as they were read."""
    try:
        if ahead is not None and ahead.files == len(entries):
            data = ahead.finish(stage_ids)
        else:
            data = encode(entries, stage_ids)
    except (ValueError, UnicodeError):
        return False
    if not _write(path, data):
        return False
    # after the new base: a reader that maps the old base meanwhile still finds its delta
    with contextlib.suppress(OSError):
        os.unlink(delta_path(path))
    return True


def write_delta(
    path: Path, base: Stored, entries: Sequence[Entry], removed: Sequence[str], stage_ids: Sequence[str]
) -> bool:
    """Write the delta over ``base`` (the index at ``path``, as read): ``entries`` (new or
    changed since the base, in file-name order) and the names ``removed`` since it."""
    try:
        data = encode(entries, stage_ids, base=base, removed=removed)
    except (ValueError, UnicodeError):
        return False
    return _write(delta_path(path), data)


def known_values(path: Path, column: str) -> list[Any] | None:
    """The distinct values of one column of the index at ``path`` as it stands (with its
    delta), without checking any file (for completion); None when there is no usable index."""
    kind = dict(ROW_COLUMNS + LIST_COLUMNS).get(column)
    data = map_state_file(path)
    if data is None or kind is None:
        return None
    try:
        header, base = _header(data, MAGIC)
        more = map_state_file(delta_path(path))
        if more is not None:
            stored = read_index(path, header["stages"])
            if isinstance(stored, Layered):
                values = stored.base._column(column, kind)
                mine = [values[s] for s in stored.kept_base_slots()] + stored.delta._column(column, kind)
                return [v for v in dict.fromkeys(mine) if v is not None]
            with contextlib.suppress(Unreadable):
                tie = read_header(more, DELTA_MAGIC)[0]
                if (tie.get("base"), tie.get("base_bytes")) != (header.get("id"), len(data)):
                    more = None  # a delta of another base: left out, as the index leaves it out
            if more is not None:
                return None  # this base's delta, not read: what the files it held say now is not known here
        raw = _section(data, base, header["sections"], column + ".table", _TABLE)
        values = json.loads(bytes(raw).decode("utf-8", "surrogatepass"))
        return [v for v in (_value(kind, x) for x in values) if v is not None]
    except Exception:  # whatever is there, completion offers nothing rather than fail
        return None


# -- the digests: kept apart, changed a few at a time --------------------------------------------
DIGESTS_NAME = "digests"
_DAMAGED = (11, 26)  # SQLITE_CORRUPT, SQLITE_NOTADB: a digests file to start again
_DIGESTS_ID = 0x70697065  # "pipe", in SQLite's user_version: a database of another program is not ours


def _version(key: Key, read_ns: int) -> str:
    from .digest import FORMAT

    return f"{FORMAT}:{key[0]}:{key[1]}:{key[2]}:{key[3]}:{read_ns}"


class Digests:
    """Each deal's digest (``digest.to_plain`` as JSON) in ``.pipe/digests``, an SQLite
    database, with the key and read time of the file it came from: read only to replay a
    deal to a cut-off before its last entry. A digest whose version is not the index
    entry's is not used (the file is read instead); a database that is not ours, or not a
    database, is replaced, and a damaged one at its next write. It is written without fsync
    (disposable: a killed writer leaves its last commit whole; only a system crash could damage
    it). A cold build stores the digests a batch at a time while its workers still read.
    With no path (``.pipe/`` cannot hold it) nothing is kept."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self._db: Any = None

    def _open(self) -> Any:
        import sqlite3

        if self._db is not None or self.path is None:
            return self._db
        for attempt in range(2):
            try:
                if os.path.islink(self.path) or attempt:
                    self._remove()
                self.path.parent.mkdir(parents=True, exist_ok=True)
                db = sqlite3.connect(self.path, timeout=10, isolation_level=None)
                user = db.execute("PRAGMA user_version").fetchone()[0]
                if user not in (0, _DIGESTS_ID):
                    db.close()
                    continue
                db.execute("CREATE TABLE IF NOT EXISTS digests (name TEXT PRIMARY KEY, version TEXT, data BLOB)")
                cols = [r[1] for r in db.execute("PRAGMA table_info(digests)")]
                if cols != ["name", "version", "data"]:
                    db.close()
                    continue
                if user == 0:
                    db.execute(f"PRAGMA user_version = {_DIGESTS_ID}")
                # disposable: no fsync. A killed process still leaves the last commit whole
                # (the journal is kept as ever); a crash of the system may damage the file,
                # and a damaged file is replaced at the next write (``put``)
                db.execute("PRAGMA synchronous = OFF")
                self._db = db
                return db
            except (sqlite3.Error, OSError):
                continue
        return None

    def _remove(self) -> None:
        for suffix in ("", "-journal", "-wal", "-shm"):
            with contextlib.suppress(OSError):
                os.unlink(f"{self.path}{suffix}")

    def put(self, entries: Sequence[Entry]) -> bool:
        """Store the digests of newly read entries; False when they cannot be stored."""
        import sqlite3

        rows = [(e.name, _version(e.key, e.read_ns), bytes(e.digest_json)) for e in entries if e.ok]
        if not rows:
            return True
        for attempt in range(2):
            db = self._open()
            if db is None:
                return False
            try:
                db.execute("BEGIN IMMEDIATE")
                db.executemany("INSERT OR REPLACE INTO digests VALUES (?, ?, ?)", rows)
                db.execute("COMMIT")
                return True
            except sqlite3.Error as err:
                with contextlib.suppress(sqlite3.Error):
                    db.execute("ROLLBACK")
                if attempt or getattr(err, "sqlite_errorcode", 0) & 0xFF not in _DAMAGED:
                    return False
                # damaged (a crash while it was written): start it again, or no index would
                # ever be written after this (the index waits for its digests)
                self.close()
                self._remove()
        return False

    def get(self, wanted: dict[str, str]) -> dict[str, bytes]:
        """The stored digests of ``wanted`` (name -> version) whose version matches."""
        import sqlite3

        db = self._open()
        if db is None or not wanted:
            return {}
        out: dict[str, bytes] = {}
        names = list(wanted)
        try:
            for i in range(0, len(names), 500):
                part = names[i : i + 500]
                marks = ",".join("?" * len(part))
                for name, version, data in db.execute(
                    f"SELECT name, version, data FROM digests WHERE name IN ({marks})", part
                ):
                    if wanted.get(name) == version and isinstance(data, bytes):
                        out[name] = data
        except sqlite3.Error:
            return out
        return out

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None


# -- keeping it fresh ----------------------------------------------------------------------
def scan(deals_dir: Path, meanwhile: Callable[[], object] | None = None) -> tuple[Files, set[str]]:
    """Every entry of deals/ that names a deal (``*.yaml``, not hidden) and its key, by name,
    as ``Store.load_all`` lists them; and the names of those that are not regular files (a
    symlink is keyed as itself, never as what it points to): those are read anew every time.
    ``meanwhile`` is called once, while a child process stats (``stat_all``)."""
    # Listed through an open descriptor where the platform can, so that each stat looks the
    # name up in the folder alone (fstatat), not the whole path again: a sixth of the time at
    # 100,000 files.
    fd = None
    try:
        if os.scandir in os.supports_fd and os.stat in os.supports_dir_fd:
            fd = os.open(deals_dir, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
        it = os.scandir(deals_dir if fd is None else fd)
    except (FileNotFoundError, NotADirectoryError):
        if fd is not None:
            os.close(fd)
        if meanwhile is not None:
            meanwhile()
        return Files([], array("q")), set()
    try:
        with it:
            names = [e.name for e in it if e.name.endswith(".yaml") and not e.name.startswith(".")]
        names.sort()  # unique: sorted as text, which is twice as fast as by tuples
        flat, kinds = stat_all(deals_dir if fd is None else fd, names, meanwhile)
    finally:
        if fd is not None:
            os.close(fd)
    if kinds.count(_REGULAR) == len(kinds):
        return Files(names, flat), set()
    anew = set(itertools.compress(names, map(operator.eq, kinds, itertools.repeat(_OTHER))))
    there = list(itertools.compress(Files(names, flat), map(operator.ne, kinds, itertools.repeat(_GONE))))
    return Files([name for name, _ in there], array("q", itertools.chain.from_iterable(map(_KEY, there)))), anew


class Files(Sequence[tuple[str, Key]]):
    """The files ``scan`` found, in name order: each as ``(name, key)``, kept as the list of
    names and one flat array of the keys' numbers (100,000 small tuples cost more to make
    than the stat of half the files)."""

    __slots__ = ("flat", "names")

    def __init__(self, names: list[str], flat: array[int]) -> None:
        self.names = names
        self.flat = flat

    def __len__(self) -> int:
        return len(self.names)

    def __getitem__(self, i: Any) -> Any:
        if isinstance(i, slice):
            return list(self)[i]
        i = range(len(self.names))[i]
        return self.names[i], tuple(self.flat[4 * i : 4 * i + 4])

    def __iter__(self) -> Iterator[tuple[str, Key]]:
        keys: Iterator[Key] = zip(*[iter(self.flat)] * 4, strict=True)  # type: ignore[assignment]
        return zip(self.names, keys, strict=True)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Files):
            return self.names == other.names and self.flat == other.flat
        if isinstance(other, Sequence):
            return list(self) == list(other)
        return NotImplemented

    def __repr__(self) -> str:
        return f"Files({list(self)!r})"

    def key_of(self, name: str) -> Key:
        """The key of the file ``name`` (``KeyError`` when it is not one of them)."""
        at = bisect_left(self.names, name)
        if at == len(self.names) or self.names[at] != name:
            raise KeyError(name)
        return self[at][1]  # type: ignore[no-any-return]


# what ``stat_all`` found of each name: a regular file, something else (a symlink, a folder,
# ...: its key is its own), or nothing any more (removed since it was listed)
_REGULAR, _OTHER, _GONE = 0, 1, 2
STAT_PARALLEL_FROM = 20_000  # names to stat before a second process shares them
STAT_CHUNK = 2048  # names a process stats at a time when two share them
_KEY_BYTES = 4 * 8  # a key's four numbers, as the child sends them


def stat_all(
    folder: Path | int, names: list[str], meanwhile: Callable[[], object] | None = None
) -> tuple[array[int], bytes]:
    """The key of each name in ``folder`` (a path, or an open descriptor of it), not following
    symlinks, as one flat array (``file_key``'s four numbers per name, zeros where it is gone),
    and what each is (``_REGULAR``, ``_OTHER``, ``_GONE``). ``meanwhile`` is called once first.

    From ``STAT_PARALLEL_FROM`` names on, where the platform forks, a child process stats
    them from the first on, while this one does ``meanwhile`` and then stats from the last
    back, until the two meet: each takes chunks of ``STAT_CHUNK`` names and marks on a shared
    page how far it has come. (Threads are slower than one process: each stat is short and
    they wait on each other for the interpreter.) A chunk both took when they met is this
    process's; anything amiss with the child, and this process stats what it left."""
    count = len(names)
    child = _forked_stat(folder, names) if count >= STAT_PARALLEL_FROM and may_fork() else None
    if child is None:
        if meanwhile is not None:
            meanwhile()
        return _stat_part(folder, names)
    process, board = child
    chunks = -(-count // STAT_CHUNK)
    mine: list[tuple[array[int], bytes]] = []
    try:
        if meanwhile is not None:
            meanwhile()
        k = chunks - 1
        while k >= 0 and k >= _mark(board, _CHILD_NEXT):
            _set_mark(board, _PARENT_LOW, k)
            mine.append(_stat_part(folder, names[k * STAT_CHUNK : (k + 1) * STAT_CHUNK]))
            k -= 1
    except BaseException:
        process.cancel()
        raise
    got = _stat_result(process.result())
    start = min((k + 1) * STAT_CHUNK, count)  # where this process's part begins
    flat: array[int] = array("q")
    kinds = bytearray()
    if got is not None:
        theirs = min(len(got[1]), start)
        flat += got[0][: 4 * theirs]
        kinds += got[1][:theirs]
    if len(kinds) < start:  # the child did not finish its part
        more = _stat_part(folder, names[len(kinds) : start])
        flat += more[0]
        kinds += more[1]
    for part_flat, part_kinds in reversed(mine):
        flat += part_flat
        kinds += part_kinds
    return flat, bytes(kinds)


def _stat_result(data: bytes | None) -> tuple[array[int], bytes] | None:
    """The keys and kinds a stat child sent: a kind byte per name, then four numbers per name."""
    if data is None or len(data) % (1 + _KEY_BYTES):
        return None
    count = len(data) // (1 + _KEY_BYTES)
    flat: array[int] = array("q")
    flat.frombytes(data[count:])
    return flat, data[:count]


_CHILD_NEXT, _PARENT_LOW = 0, 8  # the shared page: the child's next chunk, this process's lowest taken


def _mark(board: Any, at: int) -> int:
    return int(struct.unpack_from("<q", board, at)[0])


def _set_mark(board: Any, at: int, value: int) -> None:
    struct.pack_into("<q", board, at, value)


def _forked_stat(folder: Path | int, names: list[str]) -> tuple[Child, Any] | None:
    """A child stating ``names`` by chunks from the first, while this process has not taken
    the chunk (``stat_all``); with the shared page, or None when no child could be started."""
    import mmap

    try:
        board = mmap.mmap(-1, 16)  # anonymous and shared with the child
    except (OSError, ValueError):
        return None
    _set_mark(board, _CHILD_NEXT, 0)
    _set_mark(board, _PARENT_LOW, -(-len(names) // STAT_CHUNK))

    def work() -> bytes:
        parts = []
        k = 0
        while k < _mark(board, _PARENT_LOW):
            _set_mark(board, _CHILD_NEXT, k + 1)
            parts.append(_stat_part(folder, names[k * STAT_CHUNK : (k + 1) * STAT_CHUNK]))
            k += 1
        flat: array[int] = array("q")
        kinds = bytearray()
        for part_flat, part_kinds in parts:
            flat += part_flat
            kinds += part_kinds
        return bytes(kinds) + flat.tobytes()  # what ``_stat_result`` takes apart

    process = forked(work)
    if process is None:
        board.close()
        return None
    return process, board


def _stat_part(folder: Path | int, names: list[str]) -> tuple[array[int], bytes]:
    flat: array[int] = array("q")
    put = flat.extend
    kinds = bytearray()
    kind = kinds.append
    if isinstance(folder, int):
        fd: int | None = folder
        paths: Iterator[str] = iter(names)
    else:
        fd = None
        paths = map(os.path.join, itertools.repeat(os.fspath(folder)), names)
    lstat = os.stat
    is_reg = stat.S_ISREG
    for path in paths:
        try:
            st = lstat(path, dir_fd=fd, follow_symlinks=False)
        except OSError:
            put((0, 0, 0, 0))
            kind(_GONE)
            continue
        put((st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino & 0x7FFF_FFFF_FFFF_FFFF))
        kind(_REGULAR if is_reg(st.st_mode) else _OTHER)
    return flat, bytes(kinds)


class Fresh:
    """The deal files of a folder as the index knows them after a refresh, by file name.

    ``rows``, ``views`` and ``rows_at`` hold the deals ``Store.load_all`` would give, and
    ``problems`` its problems, in the same order and words."""

    index_path: Path | None = None  # where ``refresh`` keeps the index: written whole here after a damaged one

    def __init__(
        self,
        deals_dir: Path,
        stage_ids: list[str],
        files: Files,
        plan: list[int | Entry],
        stored: Stored | Layered | None,
        digests: Digests,
        root: Path | str | None = None,
    ) -> None:
        self.deals_dir = deals_dir
        self.stage_ids = stage_ids
        self.files = files
        self.plan = plan  # per file: the stored entry's position, or what reading it gave now
        self.stored = stored
        self.digests = digests
        self.root = None if root is None else os.fspath(root)  # symlinks are followed only inside it
        self.parsed = len(plan) - list(map(type, plan)).count(int)  # entries read now (no step per file)
        self.rebuilt = stored is None
        self.extra: list[Problem] = []  # problems of deals/ itself (``Store.index``)
        self._duplicates: dict[int, tuple[str, str]] | None = None
        self._replayed: dict[str, Digest | None] = {}  # digests decoded by rows_at, by file name
        self._settled: tuple[list[Row], list[str], Files] | None = None  # rows_at's, made once
        self._slot_list: list[int] | None = None  # ``_slots``

    @classmethod
    def unreadable(cls, deals_dir: Path, stage_ids: list[str], problem: Problem) -> Fresh:
        """No deals, and the problem that deals/ itself cannot be read (``Store.readable_folder``)."""
        fresh = cls(deals_dir, stage_ids, Files([], array("q")), [], None, Digests(None))
        fresh.extra.append(problem)
        return fresh

    def _stored(self, what: str) -> list[Any]:
        stored = self.stored
        if stored is None or self.parsed == len(self.plan):
            return []
        try:
            return getattr(stored, what)  # decoded now, the first time it is asked for
        except Unreadable:  # a column damaged in an index whose header and frame looked whole
            self._read_again()
            return []

    def _read_again(self) -> None:
        """Read again every file whose entry was to come from the index read, which does not
        decode: the deals are the files' all the same, and the index is written whole anew
        (at ``index_path``), so that the next command trusts it again."""
        todo = [pos for pos, p in enumerate(self.plan) if not isinstance(p, Entry)]
        new = read_entries(str(self.deals_dir), [self.files[pos] for pos in todo], self.stage_ids, None, self.root)
        for pos, entry in zip(todo, new, strict=True):
            self.plan[pos] = entry
        self.stored, self.parsed, self.rebuilt, self._duplicates = None, len(self.plan), True, None
        if self.index_path is not None and self.digests.put(new):
            write_index(self.index_path, self.entries(), self.stage_ids)

    @property
    def duplicates(self) -> dict[int, tuple[str, str]]:
        """The files (by position) whose deal has the id of a deal in an earlier file, with
        that id and the earlier file's name: ``Store.load_all`` counts such a deal once."""
        if self._duplicates is None:
            ids = self._stored("ids")  # the id column alone: a search decodes no other row
            stored = self.stored  # after: a damaged index is put aside (``_read_again``)
            # every id differs (the usual case): no duplicate, found without a step per file
            # nothing read now: the plan is the stored positions alone
            kept: list[Any] = self.plan if not self.parsed else [p for p in self.plan if type(p) is int]
            read = [p for p in self.plan if isinstance(p, Entry)] if self.parsed else []
            every = [e.deal_id for e in read if e.deal_id is not None]
            if stored is not None:
                slots, named = stored.slots, stored.problem_ids
                every += [ids[s] for s in map(slots.__getitem__, kept) if s >= 0]
                every += [named[p] for p in kept if p in named] if named else []
            if len(set(every)) == len(every):
                self._duplicates = {}
                return self._duplicates
            seen: dict[str, str] = {}
            found: dict[int, tuple[str, str]] = {}
            for pos, p in enumerate(self.plan):
                if isinstance(p, Entry):
                    name, deal_id = p.name, p.deal_id
                else:
                    assert stored is not None
                    name, slot = stored.names[p], stored.slots[p]
                    deal_id = ids[slot] if slot >= 0 else stored.problem_ids.get(p)
                if deal_id is None:
                    continue
                first = seen.setdefault(deal_id, name)
                if first != name:
                    found[pos] = (deal_id, first)
            self._duplicates = found
        return self._duplicates

    def _as_stored(self) -> bool:
        """Whether the files are exactly the index's, in its order (nothing read now): then a
        file's position is its position in the index."""
        stored = self.stored
        return stored is not None and self.parsed == 0 and len(self.plan) == len(stored.names)

    def _slots(self) -> list[int]:
        """With ``_as_stored``: the slot of each good file's row, in file order."""
        if self._slot_list is None:
            assert self.stored is not None
            self._slot_list = [slot for slot in self.stored.slots if slot >= 0]
        return self._slot_list

    def _good(self) -> list[int]:
        """The positions of the files that give a deal."""
        dups = self.duplicates
        if not dups and self._as_stored():
            assert self.stored is not None
            return [pos for pos, slot in enumerate(self.stored.slots) if slot >= 0]
        return [pos for pos, p in enumerate(self.plan) if pos not in dups and self._problem(p)[1] is None]

    def _each(self, what: str) -> list[Any]:
        values = self._stored(what)
        dups = self.duplicates
        stored = self.stored  # after both: a damaged index is put aside (``_read_again``)
        if not dups and self._as_stored():
            slots = self._slots()
            if slots == list(range(len(values))):
                return list(values)
            return list(map(values.__getitem__, slots))
        out = []
        for pos, p in enumerate(self.plan):
            if pos in dups:
                continue
            if isinstance(p, Entry):
                if p.ok:
                    out.append(p.row if what == "rows" else p.view)
            else:
                assert stored is not None
                slot = stored.slots[p]
                if slot >= 0:
                    out.append(values[slot])
        return out

    @property
    def names(self) -> list[str]:
        """The file name of each deal of ``rows`` and ``views``, in their order."""
        return list(map(self.files.names.__getitem__, self._good()))

    @property
    def rows(self) -> list[Row]:
        """The settled rows (each deal after its last entry), by file name."""
        return self._each("rows")

    @property
    def views(self) -> list[Listed]:
        """Each deal as `pipe list` reads it, by file name."""
        return self._each("views")

    def views_at(self, positions: Sequence[int]) -> dict[int, Listed]:
        """The view of each file at ``positions`` (in ``files``) that gives a deal, by position:
        what ``views`` holds for it, with only these views decoded (``pipe search``)."""
        dups = self.duplicates
        out: dict[int, Listed] = {}
        slots: dict[int, int] = {}  # position -> slot in the stored rows
        for pos in positions:
            p = self.plan[pos]
            if pos in dups:
                continue
            if isinstance(p, Entry):
                if p.ok and p.view is not None:
                    out[pos] = p.view
            else:
                assert self.stored is not None
                slot = self.stored.slots[p]
                if slot >= 0:
                    slots[pos] = slot
        if slots:
            assert self.stored is not None
            try:
                out.update(zip(slots, self.stored.views_at(list(slots.values())), strict=True))
            except Unreadable:  # a damaged column: every file read again (``_read_again``), then as above
                self._read_again()
                return self.views_at(positions)
        return {pos: out[pos] for pos in positions if pos in out}

    def _problem(self, p: int | Entry) -> tuple[str, tuple[int | None, str] | None]:
        if isinstance(p, Entry):
            return p.name, p.problem
        assert self.stored is not None
        return self.stored.names[p], self.stored.problems[p]

    @property
    def problems(self) -> list[Problem]:
        """What ``Store.load_all`` says of the files it cannot use, by file name."""
        out = list(self.extra)
        dups = self.duplicates
        stored = self.stored
        if not dups and (stored is None or stored.problems.count(None) == len(stored.problems)):
            # the usual run: no stored file has a problem, so only those read now can have one
            for p in self.plan if self.parsed else ():
                if isinstance(p, Entry) and p.problem is not None:
                    out.append(Problem(self.deals_dir / p.name, p.problem[0], p.problem[1]))
            return out
        for pos, p in enumerate(self.plan):
            name, problem = self._problem(p)
            if pos in dups:
                out.append(self._duplicate(name, *dups[pos]))
            elif problem is not None:
                out.append(Problem(self.deals_dir / name, problem[0], problem[1]))
        return out

    def _duplicate(self, name: str, deal_id: str, first: str) -> Problem:
        """A second file with the id of the deal in ``first``, named at the line of its id."""
        from . import yamlio
        from .documents import duplicate_message, read_text
        from .errors import PipeError

        path = self.deals_dir / name
        try:
            line = yamlio.locate(read_text(path, self.root), ("id",))
        except PipeError as err:
            return Problem.from_error(err)
        return Problem(path, line, duplicate_message(deal_id, first))

    def _entry(self, p: int, rows: list[Row], views: list[Listed], shift: int = 0) -> Entry:
        """The stored entry at position ``p`` of the index read, with its row and view (at its
        slot less ``shift`` in ``rows`` and ``views``)."""
        stored = self.stored
        assert stored is not None
        slot = stored.slots[p]
        e = Entry(
            stored.names[p],
            stored.keys[p],
            stored.read_ns[p],
            problem=stored.problems[p],
            deal_id=stored.problem_ids.get(p),
        )
        if slot >= 0:
            e.row, e.view = rows[slot - shift], views[slot - shift]
            e.deal_id = e.row.id
        return e

    def entries(self) -> list[Entry]:
        """Every file's entry, for writing the index whole."""
        rows = self._stored("rows")
        views = self._stored("views")
        return [p if isinstance(p, Entry) else self._entry(p, rows, views) for p in self.plan]

    def changes(self, base: Stored) -> tuple[list[Entry], list[str]]:
        """What a delta over ``base`` holds for the files as they are now: the entry of each
        file whose entry is not the base's (read now, or kept from the delta read), in name
        order, and the names of the base's files that are gone. Decodes no row of the base."""
        stored = self.stored
        layered = stored if isinstance(stored, Layered) else None
        out: list[Entry] = []
        for p in self.plan:
            if isinstance(p, Entry):
                out.append(p)
            elif layered is not None and p in layered.from_delta:
                # the delta's rows follow the base's: its slots are shifted by the base's count
                delta = layered.delta
                out.append(self._entry(p, delta.rows, delta.views, layered.base.n_deals))
        return out, sorted(set(base.names).difference(self.files.names))

    def _digests_of(self, needed: set[str]) -> dict[str, bytes]:
        """The digest (as JSON) of each deal file named in ``needed``: a file read now gives its
        own; the others come from ``.pipe/digests``, asked for by their stored entry's version.
        A digest that is not there is left out."""
        stored = self.stored
        found: dict[str, bytes] = {}
        wanted: dict[str, str] = {}
        if stored is not None and self._as_stored():  # a file's position is its place in the index
            for name in needed:
                at = bisect_left(stored.names, name)
                wanted[name] = _version(stored.keys[at], stored.read_ns[at])
        else:
            for p in self.plan:
                if isinstance(p, Entry):
                    if p.ok and p.name in needed:
                        found[p.name] = bytes(p.digest_json)
                else:
                    assert stored is not None
                    name = stored.names[p]
                    if name in needed:
                        wanted[name] = _version(stored.keys[p], stored.read_ns[p])
        found.update(self.digests.get({n: v for n, v in wanted.items() if n not in found}))
        return found

    def rows_at(self, cutoff: datetime) -> list[Row]:
        """Every deal's row at ``cutoff`` (``digest.row_at``), by file name: ``rows_at_many``
        of the one cut-off."""
        return self.rows_at_many([cutoff])[0]

    def rows_at_many(self, cutoffs: Sequence[datetime]) -> list[list[Row]]:
        """Every deal's row at each of ``cutoffs`` (``digest.row_at``), by file name: the settled
        row of a deal with nothing at or after the cut-off; else its row replayed from its digest
        (kept in ``.pipe/digests``, or read from the file again when it is not there), decoded
        once and replayed once for all the cut-offs it is still moving at (``digest.row_at_many``).
        A digest once decoded is kept for the next call."""
        if self._settled is None:  # the same for every cut-off: made once
            rows = self.rows
            if cutoffs and (not rows or max(map(_SETTLED, rows)) < micros(min(cutoffs))):
                # every deal's last entry is before every cut-off (the usual report, of today)
                return [rows, *(list(rows) for _ in cutoffs[1:])]
            self._settled = (rows, self.names, self.files)
        ladder = ladder_of(self.stage_ids)
        rows, names, keys = self._settled
        order = sorted(range(len(cutoffs)), key=lambda j: cutoffs[j])
        nows = [micros(cutoffs[j]) for j in order]
        # per deal, of the cut-offs in time order: [lo, hi) replayed (created before, settled at
        # or after), from hi on the settled row, before lo none (it did not exist yet); each
        # list made in one pass in C, so that only the deals not settled at a cut-off cost a step
        los = list(map(bisect_right, itertools.repeat(nows), map(_CREATED, rows)))
        his = list(map(bisect_right, itertools.repeat(nows), map(_SETTLED, rows)))
        moving = list(itertools.compress(range(len(rows)), map(operator.lt, los, his)))
        decoded = self._replayed
        needed = {names[i] for i in moving if names[i] not in decoded}
        found = self._digests_of(needed) if needed else {}
        replayed: dict[tuple[int, int], Row | None] = {}  # (deal, cut-off in time order) -> its row then

        def replay(part: list[int]) -> list[list[Row | None] | None]:
            # each deal's rows at the cut-offs it is moving at (None: no digest to replay)
            out: list[list[Row | None] | None] = []
            for i in part:
                name = names[i]
                dg: Digest | None = None
                if name in decoded:
                    dg = decoded[name]
                else:
                    try:
                        dg = from_plain(json.loads(found[name]))
                    except Exception:  # not stored, or stored wrong: read the file itself
                        fresh = read_entry(str(self.deals_dir), name, keys.key_of(name), ladder, self.root)
                        if fresh.ok:
                            dg = from_plain(json.loads(bytes(fresh.digest_json)))
                    decoded[name] = dg
                out.append(
                    None if dg is None else row_at_many(dg, ladder, [cutoffs[j] for j in order[los[i] : his[i]]])
                )
            return out

        for i, past in zip(moving, shared(replay, moving, REPLAY_PARALLEL_FROM), strict=True):
            if past is not None:
                replayed.update(zip(((i, k) for k in range(los[i], his[i])), past, strict=True))
        by_time: list[list[Row]] = []
        for k in range(len(order)):
            # the settled row of each deal settled by this cut-off; the others replayed, or none
            # (not created yet, or its digest unreadable), in file order
            late = list(itertools.compress(range(len(rows)), map(operator.gt, his, itertools.repeat(k))))
            if not late:
                by_time.append(list(rows))
                continue
            at_k: list[Row | None] = list(rows)
            for i in late:
                at_k[i] = replayed.get((i, k))
            by_time.append(list(filter(None, at_k)))
        out: list[list[Row]] = [[] for _ in cutoffs]
        for k, j in enumerate(order):
            out[j] = by_time[k]
        return out


REPLAY_PARALLEL_FROM = 1000  # deals to replay before a second process takes half of them


def refresh(
    deals_dir: Path,
    index_path: Path | None,
    digests_path: Path | None,
    stage_ids: Sequence[str],
    progress: Callable[[int, int], None] | None = None,
    *,
    save: bool = True,
    root: Path | None = None,
    texts: bool = False,
    want: Sequence[str] = (),
) -> Fresh:
    """The index brought up to date with the files: stat every file, read those whose entry
    cannot be trusted, and write the index anew when anything changed.

    ``root`` is the pipeline folder (default: the parent of ``deals_dir``): files are read
    by ``documents.read_text``'s rules inside it. With no ``index_path`` (``.pipe/`` cannot
    hold one: a symlink, a read-only folder), every file is read and nothing is saved.
    With ``texts``, the files read now carry their searched texts (``Entry.texts``), for
    ``textindex``. ``want`` names what the caller will ask of the result (``"rows"``,
    ``"views"``): the index's columns for them are decoded while the files are statted."""
    stage_ids = list(stage_ids)
    root = deals_dir.parent if root is None else root
    read: list[Stored | Layered | None] = []

    def read_stored() -> None:
        # before the stat is done: the index is only ever trusted entry by entry, against the
        # keys the stat gives, so an index read before the files are looked at is as good
        found = read_index(index_path, stage_ids) if index_path is not None else None
        read.append(found)
        for what in want if found is not None else ():
            with contextlib.suppress(Unreadable):  # asked for again, and handled, by ``Fresh``
                getattr(found, what)

    files, anew = scan(deals_dir, read_stored)
    stored = read[0]
    plan: list[int | Entry] = []
    todo: list[tuple[str, Key]] = []
    where: list[int] = []
    files_left: Sequence[tuple[str, Key]] = files
    if stored is not None and not anew and _all_trusted(files, stored):
        plan.extend(range(len(files)))
        files_left = []
    elif stored is not None and files.names == stored.names:
        # the index's files, some of them changed (an edit, a pull): which ones, told in C
        plan.extend(range(len(files)))
        for pos in _untrusted(files, stored, anew):
            where.append(pos)
            plan[pos] = -1
            todo.append(files[pos])
        files_left = []
    known: dict[str, int] = {n: i for i, n in enumerate(stored.names)} if stored is not None and files_left else {}
    keys: Keys | list[Key] = stored.keys if stored is not None else []
    reads: Sequence[int] = stored.read_ns if stored is not None else []
    for name, key in files_left:
        i = known.get(name, -1)
        if (
            i >= 0
            and keys[i] == key
            and reads[i] - (key[1] if key[1] > key[2] else key[2]) >= RACY_NS
            and name not in anew
        ):
            plan.append(i)  # trusted (see ``trusted``): unchanged, not racily clean, a regular file
        else:
            where.append(len(plan))
            plan.append(-1)
            todo.append((name, key))
    digests = Digests(digests_path)
    keep = save and index_path is not None
    kept = [True]  # every digest read now is stored: the index may be written
    # no index read: every entry is read now, and the index to write is theirs, in their order
    ahead: Encoder | None = Encoder() if keep and stored is None else None

    def store_digests(part: list[Entry]) -> None:
        # while the workers read on: the digests of what they read first, and their columns
        nonlocal ahead
        kept[0] = digests.put(part) and kept[0]
        if ahead is not None:
            try:
                ahead.add(part)
            except (ValueError, UnicodeError, OverflowError, TypeError):
                ahead = None  # encoded whole at the end, which gives up on the same error

    new: list[Entry] = []
    if todo:
        new = read_entries(
            str(deals_dir), todo, stage_ids, progress, str(root), texts, arrived=store_digests if keep else None
        )
    for pos, entry in zip(where, new, strict=True):
        plan[pos] = entry
    fresh = Fresh(deals_dir, stage_ids, files, plan, stored, digests, root)
    fresh.index_path = index_path if save else None
    changed = bool(todo) or stored is None or len(stored.names) != len(files)
    if changed and keep and kept[0]:
        assert index_path is not None
        try:
            with _gc_off():  # many entries to encode, none of them garbage
                _save(index_path, fresh, stage_ids, ahead)
        except Unreadable:  # an index that looked whole but was not: read every file again
            return refresh(
                deals_dir, _nowhere(index_path), digests_path, stage_ids, progress, save=save, root=root, texts=texts
            )
    return fresh


def _all_trusted(files: Files, stored: Stored | Layered) -> bool:
    """Whether ``files`` are the index's files, by name, each with its key and trusted (the
    usual warm run): the test of ``refresh``'s loop for every file at once."""
    if files.names != stored.names:
        return False
    flat = stored.keys.flat
    if files.flat != flat:
        return False
    if not files:
        return True
    # ``trusted`` of each (read - max(modified, changed) >= RACY_NS), as one pass in C
    stamps = map(max, flat[1::4], flat[2::4])
    return min(map(operator.sub, stored.read_ns, stamps)) >= RACY_NS


def _untrusted(files: Files, stored: Stored | Layered, anew: set[str]) -> list[int]:
    """The positions of ``files`` (the index's files, by name) whose entry the index holds
    cannot be trusted: the key differs, the file was racily clean when read, or it is not a
    regular file (``anew``), as ``refresh``'s loop tells them one by one."""
    now, then = files.flat, stored.keys.flat
    same = map(operator.eq, zip(*[iter(now)] * 4, strict=True), zip(*[iter(then)] * 4, strict=True))
    stamps = map(max, then[1::4], then[2::4])  # the later of each file's mtime and ctime, when read
    settled = map(operator.le, itertools.repeat(RACY_NS), map(operator.sub, stored.read_ns, stamps))
    out = list(itertools.compress(range(len(files)), map(operator.not_, map(operator.and_, same, settled))))
    if anew:
        names = files.names
        out = sorted(set(out).union(bisect_left(names, name) for name in anew))
    return out


def fold_at(base_files: int) -> int:
    """The most entries (and names removed) a delta over a base of ``base_files`` holds."""
    return max(DELTA_MIN, int(base_files * DELTA_SHARE))


def _save(index_path: Path, fresh: Fresh, stage_ids: list[str], ahead: Encoder | None = None) -> None:
    """Keep what ``fresh`` read (its digests stored already, as they were read): a delta over
    the base read when it stays small (``fold_at``), else the index whole (``ahead``: its
    entries encoded already, when every one was read now); ``Unreadable`` when the index read
    turns out not to decode."""
    stored = fresh.stored
    base = stored.base if isinstance(stored, Layered) else stored
    if base is not None:
        changes, removed = fresh.changes(base)
        if len(changes) + len(removed) <= fold_at(len(base.names)):
            write_delta(index_path, base, changes, removed, stage_ids)
            return
    write_index(index_path, fresh.entries(), stage_ids, ahead)


def _nowhere(path: Path) -> Path:
    return path.with_name(path.name + ".none")
