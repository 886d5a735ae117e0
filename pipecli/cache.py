"""A disposable cache of parsed deal files for ``Store.load_all`` (export), which needs
the deals themselves; reports, stale lists and listings read the index (``pipecli.index``).

Parsing YAML costs about twenty times as much as reading the file (see
benchmarks/load_bench.py). The cache keeps each file's parsed data keyed by its
size, modification time and inode, in ``.pipe/cache/deals.json``. Deleting it is
always safe: the next command rebuilds it.

Correctness rules:

* Only the parsed YAML is cached; models are validated from it on every load,
  so a change of the models or of pipeline.yaml is never masked.
* A file is served from the cache only when size, mtime and inode all match;
  pipe's own writes rename a new file into place, so each gets a new inode.
* Like git's index, a file whose mtime is too close to the moment the cache was
  written is not cached ("racily clean"): it could still change within the
  file system's time-stamp granularity without its mtime moving.
* The cache is JSON (never pickle): a cache file planted in a repository can
  at worst make pipe show wrong data for files whose stamps it guessed, never
  run code; it is ignored whenever it does not have the expected shape.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

from .fsio import atomic_write

VERSION = 1
RACY_SECONDS = 2.0

Key = tuple[int, int, int]  # size, mtime_ns, inode


def file_key(st: os.stat_result) -> Key:
    return (st.st_size, st.st_mtime_ns, st.st_ino)


def _plain_json(value: Any) -> bool:
    """True when ``value`` survives a JSON round trip unchanged (str keys, no sets...)."""
    if isinstance(value, dict):
        return all(isinstance(k, str) and _plain_json(v) for k, v in value.items())
    if isinstance(value, list):
        return all(_plain_json(v) for v in value)
    if isinstance(value, float):
        return value == value and value not in (float("inf"), float("-inf"))
    return value is None or isinstance(value, (str, int, bool))


class ParseCache:
    """Parsed data of deal files by name, valid while the file's key is unchanged."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._entries: dict[str, list[Any]] = {}
        self._dirty = False
        self._load()

    def _load(self) -> None:
        try:
            with open(self.path, encoding="utf-8") as f:
                raw = json.load(f)
        except (OSError, ValueError):
            return
        if isinstance(raw, dict) and raw.get("version") == VERSION and isinstance(raw.get("files"), dict):
            self._entries = raw["files"]

    def get(self, name: str, key: Key) -> Any | None:
        entry = self._entries.get(name)
        if isinstance(entry, list) and len(entry) == 2 and entry[0] == list(key):
            return entry[1]
        return None

    def put(self, name: str, key: Key, data: Any) -> None:
        if time.time() - key[1] / 1e9 < RACY_SECONDS:
            return  # too fresh to trust its mtime: parse it again next time
        if not _plain_json(data):
            return
        self._entries[name] = [list(key), data]
        self._dirty = True

    def retain(self, names: set[str]) -> None:
        """Forget files that no longer exist."""
        gone = [n for n in self._entries if n not in names]
        for n in gone:
            del self._entries[n]
        self._dirty = self._dirty or bool(gone)

    def save(self) -> None:
        """Write the cache if it changed; any failure (read-only folder, full disk) is ignored."""
        if not self._dirty:
            return
        payload = {"version": VERSION, "files": self._entries}
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            # disposable: no fsync; a crash may lose the new cache, never leave half of one
            atomic_write(self.path, json.dumps(payload, ensure_ascii=False, separators=(",", ":")), sync=False)
        except (OSError, UnicodeError):  # UnicodeError: a lone surrogate a YAML escape let in
            return
        self._dirty = False
