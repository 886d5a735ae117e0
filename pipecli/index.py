"""A derived index of the deal files in ``.pipe/index``, kept fresh by each file's stat, as
git's index is: what `pipe report`, `pipe stale`, `pipe list` and completion read.

For each file of ``deals/`` the index keeps its stat key (size, mtime, ctime, inode),
the time it was read, and what reading it gave: a problem (path, line, message) or the
deal's settled row (``digest.row_at`` after its last entry), its listing view
(``digest.listed``) and its digest as JSON. A warm run reads no deal file: it stats
them (one ``scandir``) and takes every entry whose key is unchanged. A file that is new,
changed, or whose entry is too fresh to trust is read again with the same functions as
``Store.load_all`` (``documents.read_text``, ``parse_document``, ``deal_from_data``),
on every core when there are many; then the index is written anew.

Never trusted over the files:

* An entry is used only when size, mtime, ctime and inode are all unchanged. A rename
  over the file (every pipe write, a ``git checkout``) gives a new inode; an in-place
  rewrite moves the ctime even when it puts the mtime back.
* Racily clean (as git's rule): an entry whose mtime or ctime is less than
  ``RACY_NS`` before the moment the file was read is not trusted: the file could have
  changed again within the file system's time-stamp granularity without its stamps
  moving. It is read again next time, until it has been still for that long.
* The index is derived and disposable: a missing, truncated, corrupt, older-format,
  foreign or symlinked index is ignored and rebuilt; an index that cannot be written
  (read-only folder, full disk) only costs the next run time. It is written whole to a
  temporary file and renamed into place, so readers see the old or the new, never half.
  Its decoder trusts nothing it reads: lengths are checked, there is no pickle and no
  recursion, and tables are flat JSON lists.

The rows of a deal depend on the pipeline's ladder (stage positions): an index made for
another list of stage ids is rebuilt.
"""

from __future__ import annotations

import itertools
import json
import os
import stat
import struct
import sys
import time
from array import array
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
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
    to_plain,
)
from .documents import Problem

MAGIC = b"pipe deal index\n"
VERSION = 1
RACY_NS = 2_000_000_000  # 2 s: FAT and HFS+ stamp whole (or even) seconds
PARALLEL_FROM = 400  # files to read before it pays to start worker processes
MAX_INDEX_BYTES = 1 << 31
INDEX_NAME = "index"

Key = tuple[int, int, int, int]  # size, mtime_ns, ctime_ns, inode


def file_key(st: os.stat_result) -> Key:
    return (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino & 0x7FFF_FFFF_FFFF_FFFF)


def trusted(key: Key, read_ns: int) -> bool:
    """Not racily clean: the file had been still for ``RACY_NS`` when it was read."""
    return read_ns - max(key[1], key[2]) >= RACY_NS


class Unreadable(Exception):
    """The index file is not one this version wrote whole: it is ignored and rebuilt."""


# -- one file's entry ------------------------------------------------------------------------
@dataclass
class Entry:
    """What reading one deal file gave: a problem, or the deal's row, listing and digest."""

    name: str
    key: Key
    read_ns: int
    row: Row | None = None
    view: Listed | None = None
    digest_json: bytes | memoryview = b""
    problem: tuple[int | None, str] | None = None  # line, message

    @property
    def ok(self) -> bool:
        return self.problem is None


def read_entry(deals_dir: str, name: str, key: Key, ladder: dict[str, int]) -> Entry:
    """Read and digest one deal file, as ``Store.load_all`` reads it."""
    from .documents import parse_document, read_text
    from .errors import PipeError
    from .store import deal_from_data

    path = os.path.join(deals_dir, name)
    read_ns = time.time_ns()  # before reading: the racy rule compares the stamps with it
    try:
        text = read_text(path)
        deal = deal_from_data(path, parse_document(path, text), text)
    except PipeError as err:
        return Entry(name, key, read_ns, problem=(err.line, err.message))
    except OSError as err:
        return Entry(name, key, read_ns, problem=(None, f"cannot read file: {err.strerror}"))
    from .digest import digest

    dg = digest(deal)
    row = row_at(dg, ladder, None)
    assert row is not None  # no cut-off: every deal exists
    plain = json.dumps(to_plain(dg), ensure_ascii=True, separators=(",", ":"), allow_nan=False)
    return Entry(name, key, read_ns, row=row, view=listed(dg), digest_json=plain.encode("ascii"))


def _read_chunk(args: tuple[str, list[tuple[str, Key]], list[str]]) -> list[Entry]:
    deals_dir, items, stage_ids = args
    ladder = ladder_of(stage_ids)
    return [read_entry(deals_dir, name, key, ladder) for name, key in items]


def read_entries(
    deals_dir: str,
    items: Sequence[tuple[str, Key]],
    stage_ids: Sequence[str],
    progress: Callable[[int, int], None] | None = None,
) -> list[Entry]:
    """Read many files, on every core when there are many (``PARALLEL_FROM``), in order."""
    ladder = ladder_of(stage_ids)
    total = len(items)
    workers = min(os.cpu_count() or 1, 8)
    if total < PARALLEL_FROM or workers < 2:
        out = []
        for n, (name, key) in enumerate(items, 1):
            out.append(read_entry(deals_dir, name, key, ladder))
            if progress is not None and n % 200 == 0:
                progress(n, total)
        return out
    import multiprocessing

    chunk = 100
    jobs = [(deals_dir, list(items[i : i + chunk]), list(stage_ids)) for i in range(0, total, chunk)]
    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else None
    ctx = multiprocessing.get_context(method)
    out = []
    with ctx.Pool(workers) as pool:
        for part in pool.imap(_read_chunk, jobs):
            out.extend(part)
            if progress is not None:
                progress(len(out), total)
    return out


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
    ("last_activity", _TIME),
    ("next_step", _STEP),
    ("snooze", _PAUSE),
    ("settled", _INT),
)
# the listing's columns beyond the row's (the file's own stage, status and lost reason ...)
LIST_COLUMNS: tuple[tuple[str, str], ...] = (
    ("contact", _CONTACT),
    ("file_stage", _TEXT),
    ("file_status", _TEXT),
    ("file_lost_reason", _TEXT),
    ("file_created", _TIME),
    ("activity", _TIME),
)


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


def _value(kind: str, v: Any) -> Any:
    if v is None:
        return None
    if kind == _TEXT:
        return _text(v)
    if kind == _DECIMAL:
        return Decimal(_text(v))
    if kind == _DATE:
        return date.fromisoformat(_text(v))
    if kind == _TIME:
        t = datetime.fromisoformat(_text(v))
        if t.tzinfo is None:
            raise Unreadable("a time without its offset")
        return t
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


def _row_value(e: Entry, name: str) -> Any:
    if name.startswith("file_"):
        assert e.view is not None
        return getattr(e.view, name[5:])
    if name in ("contact", "activity"):
        assert e.view is not None
        return getattr(e.view, name)
    assert e.row is not None
    return getattr(e.row, name)


class _Writer:
    def __init__(self) -> None:
        self.sections: dict[str, tuple[str, int, int]] = {}
        self.parts: list[bytes] = []
        self.size = 0

    def add(self, name: str, kind: str, data: bytes) -> None:
        self.sections[name] = (kind, self.size, len(data))
        self.parts.append(data)
        self.size += len(data)

    def numbers(self, name: str, typecode: str, values: Sequence[Any]) -> None:
        self.add(name, typecode, array(typecode, values).tobytes())

    def table(self, name: str, kind: str, values: Sequence[Any]) -> None:
        codes: dict[str, int] = {}
        table: list[Any] = []
        out = array("i")
        for v in values:
            plain = _plain(kind, v)
            k = json.dumps(plain, ensure_ascii=True, allow_nan=False)
            code = codes.get(k)
            if code is None:
                code = codes[k] = len(table)
                table.append(plain)
            out.append(code)
        self.add(name + ".table", _TABLE, json.dumps(table, ensure_ascii=True, allow_nan=False).encode("ascii"))
        self.add(name, "i", out.tobytes())


def encode(entries: Sequence[Entry], stage_ids: Sequence[str]) -> bytes:
    """The index file of ``entries`` (in file-name order)."""
    w = _Writer()
    w.table("name", _TEXT, [e.name for e in entries])
    w.numbers("key", "q", [k for e in entries for k in e.key])
    w.numbers("read", "q", [e.read_ns for e in entries])
    w.table("problem", _TEXT, [None if e.ok else json.dumps(e.problem) for e in entries])
    good = [e for e in entries if e.ok]
    n_stages = len(stage_ids)
    for name, kind in ROW_COLUMNS + LIST_COLUMNS:
        values = [_row_value(e, name) for e in good]
        if kind == _INT:
            w.numbers(name, "q", values)
        elif kind == _FLOAT:
            w.numbers(name, "d", [float("nan") if v is None else v for v in values])
        elif kind == "stage_days":
            w.numbers(name, "d", [float("nan") if d is None else d for v in values for d in v])
        elif kind == "sitting":
            w.numbers(name + ".stage", "q", [-1 if v is None else v[0] for v in values])
            w.numbers(name + ".earlier", "d", [0.0 if v is None else v[1] for v in values])
            w.numbers(name + ".entered", "q", [0 if v is None else v[2] for v in values])
        else:
            w.table(name, kind, values)
    offsets = array("q", [0])
    for e in good:
        offsets.append(offsets[-1] + len(e.digest_json))
    w.add("digest.offsets", "q", offsets.tobytes())
    w.add("digest", _BLOB, b"".join(e.digest_json for e in good))
    header = {
        "version": VERSION,
        "byteorder": sys.byteorder,
        "stages": list(stage_ids),
        "files": len(entries),
        "deals": len(good),
        "ladder": n_stages,
        "sections": w.sections,
    }
    head = json.dumps(header, ensure_ascii=True).encode("ascii")
    return MAGIC + struct.pack("<I", len(head)) + head + b"".join(w.parts)


@dataclass
class Stored:
    """A decoded index: per file its name, key, read time and problem; per good file its
    settled row, listing view and digest (decoded when asked for)."""

    stage_ids: list[str]
    names: list[str]
    keys: list[Key]
    read_ns: list[int]
    problems: list[tuple[int | None, str] | None]
    rows: list[Row]
    views: list[Listed]
    digest_blob: memoryview
    digest_offsets: Sequence[int]
    slots: list[int]  # file -> position among the good ones, -1 for a problem

    def entry(self, i: int) -> Entry:
        slot = self.slots[i]
        if slot < 0:
            return Entry(self.names[i], self.keys[i], self.read_ns[i], problem=self.problems[i])
        a, b = self.digest_offsets[slot], self.digest_offsets[slot + 1]
        return Entry(
            self.names[i], self.keys[i], self.read_ns[i], self.rows[slot], self.views[slot], self.digest_blob[a:b]
        )


def _section(data: bytes, base: int, sections: dict[str, Any], name: str, kind: str) -> memoryview:
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


def decode(data: bytes, stage_ids: Sequence[str]) -> Stored:
    """The index in ``data``, made for ``stage_ids``; ``Unreadable`` for anything else."""
    try:
        return _decode(data, list(stage_ids))
    except Unreadable:
        raise
    except (ValueError, TypeError, KeyError, IndexError, AttributeError, OverflowError, RecursionError) as exc:
        raise Unreadable(str(exc)) from None


def _decode(data: bytes, stage_ids: list[str]) -> Stored:
    if not data.startswith(MAGIC) or len(data) < len(MAGIC) + 4:
        raise Unreadable("not an index")
    (head_len,) = struct.unpack_from("<I", data, len(MAGIC))
    base = len(MAGIC) + 4 + head_len
    if base > len(data):
        raise Unreadable("truncated")
    header = json.loads(bytes(data[len(MAGIC) + 4 : base]))
    if not isinstance(header, dict) or header.get("version") != VERSION or header.get("byteorder") != sys.byteorder:
        raise Unreadable("another version")
    if header.get("stages") != stage_ids:
        raise Unreadable("made for other stages")
    sections = header.get("sections")
    n_files, n_deals = header.get("files"), header.get("deals")
    if not isinstance(sections, dict) or not isinstance(n_files, int) or not isinstance(n_deals, int):
        raise Unreadable("bad header")
    if n_files < 0 or not 0 <= n_deals <= n_files:
        raise Unreadable("bad counts")

    def numbers(name: str, typecode: str, count: int) -> array[Any]:
        raw = _section(data, base, sections, name, typecode)
        out = array(typecode)
        if len(raw) != count * out.itemsize:
            raise Unreadable(f"section {name} has the wrong length")
        out.frombytes(raw)
        return out

    def table(name: str, kind: str, count: int) -> list[Any]:
        values = json.loads(bytes(_section(data, base, sections, name + ".table", _TABLE)))
        if not isinstance(values, list):
            raise Unreadable("a table is not a list")
        decoded = [_value(kind, v) for v in values]
        codes = numbers(name, "i", count)
        if codes and (min(codes) < 0 or max(codes) >= len(decoded)):
            raise Unreadable(f"section {name} has a code out of its table")
        return [decoded[c] for c in codes]

    names = table("name", _TEXT, n_files)
    if any(not isinstance(n, str) for n in names) or names != sorted(names) or len(set(names)) != len(names):
        raise Unreadable("bad names")
    flat = numbers("key", "q", 4 * n_files)
    keys = [(flat[i], flat[i + 1], flat[i + 2], flat[i + 3]) for i in range(0, 4 * n_files, 4)]
    read = list(numbers("read", "q", n_files))
    problems: list[tuple[int | None, str] | None] = []
    for p in table("problem", _TEXT, n_files):
        if p is None:
            problems.append(None)
            continue
        line, message = json.loads(p)
        if not (line is None or isinstance(line, int)) or not isinstance(message, str):
            raise Unreadable("bad problem")
        problems.append((line, message))
    slots, good = [], 0
    for p in problems:
        slots.append(good if p is None else -1)
        good += p is None
    if good != n_deals:
        raise Unreadable("counts disagree")
    n_stages = len(stage_ids)
    columns: dict[str, list[Any]] = {}
    for name, kind in ROW_COLUMNS + LIST_COLUMNS:
        if kind == _INT:
            columns[name] = list(numbers(name, "q", n_deals))
        elif kind == _FLOAT:
            columns[name] = [None if x != x else x for x in numbers(name, "d", n_deals)]
        elif kind == "stage_days":
            flat_days = [None if x != x else x for x in numbers(name, "d", n_deals * n_stages)]
            columns[name] = [tuple(flat_days[i : i + n_stages]) for i in range(0, n_deals * n_stages, n_stages)]
        elif kind == "sitting":
            where = numbers(name + ".stage", "q", n_deals)
            earlier = numbers(name + ".earlier", "d", n_deals)
            entered = numbers(name + ".entered", "q", n_deals)
            if where and (min(where) < -1 or max(where) >= n_stages):
                raise Unreadable("a sitting stage off the ladder")
            columns[name] = [None if w < 0 else (w, e, t) for w, e, t in zip(where, earlier, entered, strict=True)]
        else:
            columns[name] = table(name, kind, n_deals)
    rows = list(map(Row._make, zip(*(columns[name] for name, _ in ROW_COLUMNS), strict=True))) if n_deals else []
    views = [
        Listed(
            r.id,
            r.title,
            r.company,
            contact,
            stage,
            status,
            r.value,
            r.currency,
            r.probability,
            r.owner,
            r.source,
            r.tags,
            created,
            r.close_date,
            lost,
            r.next_step,
            activity,
        )
        for r, contact, stage, status, lost, created, activity in zip(
            rows,
            columns["contact"],
            columns["file_stage"],
            columns["file_status"],
            columns["file_lost_reason"],
            columns["file_created"],
            columns["activity"],
            strict=True,
        )
    ]
    offsets = numbers("digest.offsets", "q", n_deals + 1)
    blob = _section(data, base, sections, "digest", _BLOB)
    if offsets[0] != 0 or offsets[-1] != len(blob) or any(b < a for a, b in itertools.pairwise(offsets)):
        raise Unreadable("bad digest offsets")
    return Stored(stage_ids, names, keys, read, problems, rows, views, blob, offsets, slots)


def read_index(path: Path, stage_ids: Sequence[str]) -> Stored | None:
    """The index at ``path``, or None when there is none this version can trust (a symlink,
    another format, another ladder, anything truncated or malformed)."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0))
    except OSError:
        return None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode) or st.st_size > MAX_INDEX_BYTES:
            return None
        with os.fdopen(fd, "rb", closefd=False) as f:
            data = f.read()
    except OSError:
        return None
    finally:
        os.close(fd)
    try:
        return decode(data, stage_ids)
    except Unreadable:
        return None


def write_index(path: Path, entries: Sequence[Entry], stage_ids: Sequence[str]) -> bool:
    """Write the index (atomically); False when it cannot be written, which only costs time."""
    from .fsio import atomic_write

    try:
        data = encode(entries, stage_ids)
        path.parent.mkdir(parents=True, exist_ok=True)
        # disposable: no fsync; a crash may lose the new index, never leave half of one
        atomic_write(path, data, sync=False)
    except (OSError, ValueError, UnicodeError):
        return False
    return True


# -- keeping it fresh ----------------------------------------------------------------------
def scan(deals_dir: Path) -> list[tuple[str, Key]]:
    """Every deal file (``*.yaml``, not hidden, a regular file) and its key, by name."""
    try:
        it = os.scandir(deals_dir)
    except FileNotFoundError:
        return []
    out = []
    with it:
        for e in it:
            name = e.name
            if not name.endswith(".yaml") or name.startswith("."):
                continue
            try:
                st = e.stat()
            except OSError:
                continue
            if stat.S_ISREG(st.st_mode):
                out.append((name, file_key(st)))
    out.sort()
    return out


@dataclass
class Fresh:
    """The deals of a folder as the index knows them after a refresh: one entry per file."""

    deals_dir: Path
    stage_ids: list[str]
    entries: list[Entry]
    parsed: int = 0  # files read this time
    rebuilt: bool = False  # the index was missing or unusable

    @property
    def rows(self) -> list[Row]:
        """The settled rows (after each deal's last entry), by file name."""
        return [e.row for e in self.entries if e.row is not None]

    @property
    def views(self) -> list[Listed]:
        return [e.view for e in self.entries if e.view is not None]

    @property
    def problems(self) -> list[Problem]:
        return [
            Problem(self.deals_dir / e.name, e.problem[0], e.problem[1]) for e in self.entries if e.problem is not None
        ]

    def digests(self, wanted: Sequence[int]) -> Iterator[tuple[int, Digest | None]]:
        """The digests of the good entries at positions ``wanted`` (None: stored wrong)."""
        good = [e for e in self.entries if e.ok]
        for i in wanted:
            try:
                yield i, from_plain(json.loads(bytes(good[i].digest_json)))
            except Exception:  # a hand-made index: the caller reads the file instead
                yield i, None

    def rows_at(self, cutoff: datetime) -> list[Row]:
        """Every deal's row at ``cutoff`` (``digest.row_at``), by file name: the settled row of a
        deal with nothing at or after the cut-off, its replay from the digest otherwise."""
        now = micros(cutoff)
        ladder = ladder_of(self.stage_ids)
        out: list[Row] = []
        good = [e for e in self.entries if e.ok]
        for e in good:
            row = e.row
            assert row is not None
            if row.settled < now:
                out.append(row)
            elif row.created >= now:
                continue
            else:
                try:
                    dg = from_plain(json.loads(bytes(e.digest_json)))
                except Exception:
                    fresh = read_entry(str(self.deals_dir), e.name, e.key, ladder)
                    if fresh.problem is not None:
                        continue
                    dg = from_plain(json.loads(bytes(fresh.digest_json)))
                past = row_at(dg, ladder, cutoff)
                if past is not None:
                    out.append(past)
        return out


def refresh(
    deals_dir: Path,
    index_path: Path,
    stage_ids: Sequence[str],
    progress: Callable[[int, int], None] | None = None,
    *,
    save: bool = True,
) -> Fresh:
    """The index brought up to date with the files: stat every file, read those whose entry
    cannot be trusted, and write the index anew when anything changed."""
    stage_ids = list(stage_ids)
    files = scan(deals_dir)
    stored = read_index(index_path, stage_ids)
    known: dict[str, int] = {n: i for i, n in enumerate(stored.names)} if stored is not None else {}
    entries: list[Entry | None] = []
    todo: list[tuple[str, Key]] = []
    where: list[int] = []
    for name, key in files:
        i = known.get(name, -1)
        if stored is not None and i >= 0 and stored.keys[i] == key and trusted(key, stored.read_ns[i]):
            entries.append(stored.entry(i))
        else:
            where.append(len(entries))
            entries.append(None)
            todo.append((name, key))
    if todo:
        for pos, entry in zip(where, read_entries(str(deals_dir), todo, stage_ids, progress), strict=True):
            entries[pos] = entry
    done = [e for e in entries if e is not None]
    changed = bool(todo) or stored is None or len(stored.names) != len(files)
    if changed and save:
        write_index(index_path, done, stage_ids)
    return Fresh(deals_dir, stage_ids, done, parsed=len(todo), rebuilt=stored is None)
