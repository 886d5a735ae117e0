"""The searched texts of every deal file, folded, in ``.pipe/search``: what ``pipe search``
reads, kept apart from the index (``pipecli.index``) so that reports never load the
notes' text.

For each file of ``deals/`` it keeps the file's stat key and the time it was read (as the
index does), the deal's folded haystack (``search.haystack``: every searched text, folded,
one after another) and its texts as written (``search.Item``: field, note time, text), as
JSON, decoded only for the deals a search finds. The haystacks of all deals lie one after
another in one section, so a search is one ``find`` over a memory map per term, jumping to
the next deal at each match: a warm search reads no deal file and decodes no text it does
not show.

Kept fresh by the index's rules, never trusted over the files:

* an entry is used only when the file's key (size, mtime, ctime, inode) is the one the
  index has just seen and the entry is not racily clean (``index.trusted``);
* a file the index has just read (new, changed, racy, or not a regular file) brings its
  texts from that same reading (``Store.index(texts=True)``); any other file whose entry
  cannot be trusted is read again by ``index.read_entries``, by the same rules;
* the file is derived and disposable: missing, truncated, of another version, made with
  other folding rules, another Unicode version or another list of searched fields,
  foreign or a symlink, it is ignored and rebuilt (written whole, atomically, renamed
  into place).
"""

from __future__ import annotations

import bisect
import contextlib
import itertools
import json
import struct
import sys
import unicodedata
from array import array
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .index import Entry, Key, map_state_file, read_entries, trusted
from .indexfile import Unreadable
from .indexfile import header as read_header
from .search import FOLD_VERSION, SEPARATOR, Item, Term

if TYPE_CHECKING:
    from .index import Fresh
    from .store import Store

NAME = "search"
MAGIC = b"pipe search texts\n"
VERSION = 1
EMPTY: tuple[bytes, bytes] = (b"", b"[]")
_SEP = SEPARATOR.encode("ascii")


def texts_of(deal: Any) -> tuple[bytes, bytes]:
    """What the file keeps of a deal: its folded haystack and its texts (JSON), as UTF-8."""
    from .models import SEARCHABLE_FIELDS
    from .search import deal_items, haystack

    items = deal_items(deal, SEARCHABLE_FIELDS)
    plain = json.dumps([[i.field, i.at, i.text] for i in items], ensure_ascii=False, separators=(",", ":"))
    return haystack(items).encode("utf-8", "surrogatepass"), plain.encode("utf-8", "surrogatepass")


def _header_facts() -> dict[str, Any]:
    from .models import SEARCHABLE_FIELDS

    return {
        "version": VERSION,
        "byteorder": sys.byteorder,
        "fold": FOLD_VERSION,
        "unicode": unicodedata.unidata_version,
        "fields": list(SEARCHABLE_FIELDS),
    }


def encode(
    names: Sequence[str], keys: Sequence[Key], reads: Sequence[int], texts: Sequence[tuple[bytes, bytes]]
) -> bytes:
    """The file of these entries (in file-name order)."""
    sections: dict[str, list[int]] = {}
    parts: list[bytes] = []
    size = 0

    def add(name: str, data: bytes) -> None:
        nonlocal size
        sections[name] = [size, len(data)]
        parts.append(data)
        size += len(data)

    add("names", json.dumps(list(names), ensure_ascii=False).encode("utf-8", "surrogatepass"))
    add("keys", array("q", [k for key in keys for k in key]).tobytes())
    add("reads", array("q", reads).tobytes())
    for which in (0, 1):
        offsets = [0]
        for t in texts:
            offsets.append(offsets[-1] + len(t[which]) + 1)
        add(f"offsets{which}", array("q", offsets).tobytes())
        add(f"texts{which}", _SEP.join(t[which] for t in texts) + _SEP)
    header = {**_header_facts(), "files": len(names), "sections": sections}
    head = json.dumps(header, ensure_ascii=True).encode("ascii")
    return MAGIC + struct.pack("<I", len(head)) + head + b"".join(parts)


class Texts:
    """The searched texts of the deal files, by file name (decoded from the file, or from
    what was just written)."""

    def __init__(self, data: Any) -> None:
        try:
            header, base = read_header(data, MAGIC)
            if any(header.get(k) != v for k, v in _header_facts().items()):
                raise Unreadable("another version")
            n = header["files"]
            sections = header["sections"]
            if not isinstance(n, int) or n < 0 or not isinstance(sections, dict):
                raise Unreadable("bad header")
            self._data = data

            def section(name: str) -> tuple[int, int]:
                offset, length = sections[name]
                if not isinstance(offset, int) or not isinstance(length, int) or offset < 0 or length < 0:
                    raise Unreadable(f"bad section {name}")
                if base + offset + length > len(data):
                    raise Unreadable("truncated")
                return base + offset, base + offset + length

            def numbers(name: str, count: int) -> array[int]:
                start, end = section(name)
                out = array("q")
                if end - start != count * out.itemsize:
                    raise Unreadable(f"{name} has the wrong length")
                out.frombytes(bytes(data[start:end]))
                return out

            start, end = section("names")
            names = json.loads(bytes(data[start:end]).decode("utf-8", "surrogatepass"))
            if not isinstance(names, list) or len(names) != n or not all(isinstance(x, str) for x in names):
                raise Unreadable("bad names")
            self.names: list[str] = names
            self._keys = numbers("keys", 4 * n)  # kept flat: 100,000 tuples would cost 20 MB
            self.reads: array[int] = numbers("reads", n)
            self._spans: list[tuple[int, array[int]]] = []
            for which in (0, 1):
                start, end = section(f"texts{which}")
                offsets = numbers(f"offsets{which}", n + 1)
                if offsets[0] != 0 or offsets[-1] != end - start or any(b < a for a, b in itertools.pairwise(offsets)):
                    raise Unreadable("bad offsets")
                self._spans.append((start, offsets))
        except Unreadable:
            raise
        except (ValueError, TypeError, KeyError, IndexError, AttributeError, OverflowError, struct.error) as exc:
            raise Unreadable(str(exc)) from None

    def key(self, i: int) -> Key:
        """The stat key of file ``i`` when its texts were read."""
        k = self._keys
        return (k[4 * i], k[4 * i + 1], k[4 * i + 2], k[4 * i + 3])

    @property
    def keys(self) -> list[Key]:
        return [self.key(i) for i in range(len(self.names))]

    def _range(self, which: int, i: int) -> tuple[int, int]:
        start, offsets = self._spans[which]
        return start + offsets[i], start + offsets[i + 1] - 1

    def entry(self, i: int) -> tuple[bytes, bytes]:
        out = []
        for which in (0, 1):
            start, end = self._range(which, i)
            out.append(bytes(self._data[start:end]))
        return out[0], out[1]

    def items(self, i: int) -> list[Item]:
        """The texts of the deal of file ``i``, as written."""
        start, end = self._range(1, i)
        try:
            plain = json.loads(bytes(self._data[start:end]).decode("utf-8", "surrogatepass"))
            return [Item(str(field), str(text), None if at is None else str(at)) for field, at, text in plain]
        except (ValueError, TypeError):
            return []

    def _scan(self, needle: bytes) -> set[int]:
        """The files whose haystack holds ``needle``: one pass, jumping to the next deal at a match."""
        data = self._data
        start, offsets = self._spans[0]
        end = start + offsets[-1]
        found: set[int] = set()
        at = data.find(needle, start, end)
        while at >= 0:
            i = bisect.bisect_right(offsets, at - start) - 1
            found.add(i)
            at = data.find(needle, start + offsets[i + 1], end)
        return found

    def _holds(self, i: int, needle: bytes) -> bool:
        start, end = self._range(0, i)
        return self._data.find(needle, start, end) >= 0

    def find(self, terms: Sequence[Term]) -> list[int]:
        """The files in whose haystack every term is found (``search.term_in``), in order."""
        if not terms:
            return []

        def needles(t: Term) -> list[bytes]:
            out = [t.folded.encode("utf-8", "surrogatepass")]
            if t.digits and t.digits != t.folded:
                out.append(t.digits.encode("ascii"))
            return out

        ordered = sorted(terms, key=lambda t: -len(t.folded))  # the longest is likely the rarest
        found: set[int] = set()
        for needle in needles(ordered[0]):
            found |= self._scan(needle)
        for t in ordered[1:]:
            ns = needles(t)
            found = {i for i in found if any(self._holds(i, n) for n in ns)}
        return sorted(found)


def read(path: Path) -> Texts | None:
    """The file at ``path`` (mapped into memory), or None when there is none to trust."""
    data = map_state_file(path)
    if data is None:
        return None
    try:
        return Texts(data)
    except Unreadable:
        return None


@dataclass
class Searched:
    """The texts as they stand after a refresh, and how many files were read again for them
    alone (besides those the index read)."""

    texts: Texts
    read: int


def refresh(
    store: Store, fresh: Fresh, progress: Callable[[int, int], None] | None = None, *, save: bool = True
) -> Searched:
    """The texts of every file ``fresh`` (``store.index(texts=True)``) knows, brought up to
    date: each file's stored entry when it can be trusted, else what the index read now,
    else the file read again; written anew when anything changed. A file's position in
    the texts is its position in ``fresh.files`` (``Fresh.views_at`` takes it)."""
    path = store._state_file(NAME) if save else None
    stored = read(path) if path is not None else None
    known = {n: i for i, n in enumerate(stored.names)} if stored is not None else {}
    now = {p.name: p for p in fresh.plan if isinstance(p, Entry)}
    names: list[str] = []
    keys: list[Key] = []
    reads: list[int] = []
    texts: list[tuple[bytes, bytes] | int] = []
    todo: list[tuple[str, Key]] = []
    where: list[int] = []
    for name, key in fresh.files:
        names.append(name)
        e = now.get(name)
        i = known.get(name, -1)
        if e is not None and e.key == key and (e.texts is not None or not e.ok):
            keys.append(key)
            reads.append(e.read_ns)
            texts.append(e.texts or EMPTY)
        elif stored is not None and i >= 0 and stored.key(i) == key and trusted(key, stored.reads[i]):
            keys.append(key)
            reads.append(stored.reads[i])
            texts.append(i)
        else:
            where.append(len(texts))
            todo.append((name, key))
            keys.append(key)
            reads.append(0)
            texts.append(EMPTY)
    read_now = (
        read_entries(str(fresh.deals_dir), todo, fresh.stage_ids, progress, fresh.root, texts=True) if todo else []
    )
    for pos, entry in zip(where, read_now, strict=True):
        reads[pos] = entry.read_ns
        texts[pos] = entry.texts or EMPTY
    if stored is not None and not todo and stored.names == names and all(isinstance(t, int) for t in texts):
        return Searched(stored, 0)
    whole: list[tuple[bytes, bytes]] = []
    for t in texts:
        if isinstance(t, int):
            assert stored is not None
            whole.append(stored.entry(t))
        else:
            whole.append(t)
    data = encode(names, keys, reads, whole)
    if path is not None:
        from .fsio import atomic_write

        with contextlib.suppress(OSError, ValueError):  # disposable: only costs the next search time
            atomic_write(path, data, sync=False)  # no fsync: a crash may lose it, never leave half of it
    return Searched(Texts(data), len(todo))
