"""The pipeline folder on disk: finding it, resolving ids, reading deals, and the one
write path.

Layout::

    pipeline.yaml        the stages
    deals/<id>.yaml      one file per deal; the file name is the deal's id
    .pipe/               local state, never committed: the lock, the index, a cache

One-deal commands touch one file: resolving an id or a prefix of one needs only
the directory listing, never a parse of every deal.

Every change to a file of the pipeline goes through a ``Transaction``
(``Store.transaction``): it holds the folder's lock, writes each file atomically
(``pipecli.fsio``) and, when it ends, hands what it wrote to ``Store.on_commit``,
the one place where a change becomes, say, a git commit.
"""

from __future__ import annotations

import codecs
import contextlib
import difflib
import os
import re
import stat
import sys
import time
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from . import yamlio
from .cache import ParseCache, file_key
from .documents import (
    MAX_FILE_BYTES,
    Problem,
    display_path,
    duplicate_message,
    file_name_id,
    follow_link,
    order_finding,
    parse_document,
    read_bytes,
    read_text,
    validation_message,
)
from .errors import (
    AlreadyExists,
    Ambiguous,
    InvalidValue,
    NotFound,
    PipeError,
    UnsafePath,
    Unwritable,
)
from .fsio import Held, atomic_write, file_lock, sync_folder, write_many
from .locate import DEALS_DIR, PIPELINE_FILE, STATE_DIR, deal_entries, find_root, is_deal_name
from .models import Deal, Pipeline
from .settings import Settings, current

if TYPE_CHECKING:
    from .index import Fresh

LOCK_FILE = "lock"
# deal files ``load_all(only=...)`` reads before the parse cache serves them: loading the
# cache of 100,000 files costs as much as parsing a few thousand
CACHE_FROM = 5000


@dataclass
class LoadResult:
    deals: list[Deal] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


# -- reading deal files ---------------------------------------------------------------------
def parse_deal(path: Path, text: str) -> Deal:
    """Parse and validate one deal file. The id defaults to the file name."""
    return deal_from_data(path, parse_document(path, text), text)


def deal_from_data(path: Path | str, data: dict[str, Any], text: str | None = None) -> Deal:
    """Validate parsed data of a deal file; on error, find the line (reading the file if need be)."""
    if "id" not in data:
        data = {**data, "id": file_name_id(path)}
    try:
        return Deal.model_validate(data)
    except ValidationError as exc:
        if text is None:
            try:
                text = read_text(path)
            except PipeError:
                text = ""
        msg, line = validation_message(exc, text)
        raise PipeError(msg, path=path, line=line) from None


def parse_pipeline(path: Path | str, text: str) -> Pipeline:
    """Parse and validate the text of a pipeline.yaml (``path`` names it in errors)."""
    data = parse_document(path, text)
    try:
        return Pipeline.model_validate(data)
    except ValidationError as exc:
        msg, line = validation_message(exc, text)
        raise PipeError(msg, path=path, line=line) from None


# -- writing deal files ---------------------------------------------------------------------
def new_deal_data(deal: Deal) -> dict[str, Any]:
    """The data of a new deal file: the model's key order, ``external_id`` (an imported
    deal's id in its source) right after the id."""
    data = deal.canonical()
    if "external_id" in data:
        ext = data.pop("external_id")
        data = {"id": data.pop("id"), "external_id": ext, **data}
    return data


def new_deal_text(deal: Deal) -> str:
    """The text of a new deal file (``new_deal_data`` written as YAML)."""
    from . import yamlfast

    return yamlfast.dump(new_deal_data(deal))


def rewritten_text(path: Path, text: str, old: Deal, new: Deal) -> str:
    """``text`` (the file at ``path``, which reads as ``old``) changed to say ``new``:
    only the lines that differ change; comments, key order, quoting, unknown keys,
    CR LF line ends and a byte order mark stay as they were.

    A file that is exactly what pipe writes for ``old`` (``canonical_rewrite``) is
    written as pipe writes ``new``: the same text the round trip gives, without it."""
    fast = canonical_rewrite(path, text, old, new)
    return fast if fast is not None else roundtrip_text(path, text, old, new)


def _own_keys(deal: Deal) -> bool:
    """Whether the deal, or a part of it, has keys the models do not know."""
    parts = [deal, deal.contact, deal.next_step, deal.snooze, *deal.history, *deal.notes]
    return any(part is not None and part.model_extra for part in parts)


def _round_trip_keeps_style(before: dict[str, Any], after: dict[str, Any]) -> bool:
    """Whether the round trip writes some change from ``before`` to ``after`` in the style
    the file gave the value it replaces, where a new file's style differs: items added to
    an empty list (``tags: []``) go one per line, and a text that replaces one written in
    quotes (``'0612'``) or as a block (``|``) is written so too (ruamel.yaml keeps the
    style of a text it replaces). A text not known to be written plain counts as quoted."""
    from . import yamlfast

    for key, value in after.items():
        old = before.get(key)
        if key not in before or old == value:
            continue
        if isinstance(value, list) and value and old == [] and not isinstance(value[0], dict):
            return True
        if isinstance(value, dict) and isinstance(old, dict):
            if _round_trip_keeps_style(old, value):
                return True
        elif isinstance(value, str) and isinstance(old, str) and not yamlfast.written_plain(old, key):
            return True
    return False


def canonical_rewrite(path: Path, text: str, old: Deal, new: Deal) -> str | None:
    """``new_deal_text(new)`` when the file at ``path`` is, byte for byte, ``text`` and
    ``text`` is ``new_deal_text(old)`` (no comment, no other order, layout or quoting, no
    unknown key, no CR LF or byte order mark); None for any other file.

    For such a file the round trip (``roundtrip_text``) changes the lines that differ
    and writes them as ``new_deal_text`` writes them, so both give the same text
    (tests/test_canonical_rewrite.py compares them on generated deals and changes); this way
    costs neither ruamel.yaml's import nor its round trip."""
    from . import yamlfast

    if _own_keys(old) or _own_keys(new):
        return None
    before = new_deal_data(old)
    if text != yamlfast.dump(before):
        return None
    after = new_deal_data(new)
    if _round_trip_keeps_style(before, after):
        return None
    try:
        if read_bytes(path) != text.encode("utf-8"):  # CR LF, a byte order mark, a change since
            return None
    except (PipeError, UnicodeEncodeError):
        return None
    return yamlfast.dump(after)


def roundtrip_text(path: Path, text: str, old: Deal, new: Deal) -> str:
    """``rewritten_text`` by ruamel.yaml's round trip: the file read with its comments,
    order and quoting, the fields that changed merged in (``yamlio.merge``), written again
    in the file's own layout."""
    try:
        doc = yamlio.load_roundtrip(text)
    except Exception as exc:  # what the fast reader let through, ruamel.yaml may still refuse
        raise PipeError(yamlio.error_reason(exc), path=path, line=yamlio.error_line(exc)) from None
    if not isinstance(doc, dict):
        raise PipeError("expected a YAML mapping of fields", path=path, line=1)
    yamlio.merge(doc, old.canonical(), new.canonical())
    out = yamlio.dump_roundtrip(doc, text)
    # a file saved on Windows keeps its CR LF line ends and byte order mark, so
    # that only the changed lines differ
    try:
        head = read_bytes(path)  # never through a symlink: such a file is not written anyway
    except PipeError:
        head = b""
    if b"\r\n" in head:
        out = out.replace("\n", "\r\n")
    if head.startswith(codecs.BOM_UTF8) and not out.startswith("\ufeff"):
        out = "\ufeff" + out
    return out


def _difference(a: Deal, b: Deal) -> str | None:
    """The first field (or own key) in which two deals differ as data (a tuple and a list
    of the same items, as YAML's !!pairs gives, are the same); None when they do not."""
    if a == b:
        return None
    one, two = a.model_dump(mode="json", by_alias=True), b.model_dump(mode="json", by_alias=True)
    return next((k for k in dict.fromkeys([*one, *two]) if one.get(k) != two.get(k)), None)


def checked_text(path: Path, text: str, deal: Deal) -> bytes:
    """The bytes to write for ``deal`` at ``path``, once the reader every command uses has
    read ``text`` back as exactly ``deal``; ``Unwritable`` otherwise, before anything is written.

    This is the guarantee that no command writes a file pipe cannot read back.
    """
    try:
        data = text.encode("utf-8")
    except UnicodeEncodeError:
        raise Unwritable(deal.id, path, "a character is not UTF-8 text") from None
    if len(data) > MAX_FILE_BYTES:
        raise Unwritable(deal.id, path, "larger than 1 MiB", internal=False)
    try:
        back = parse_deal(path, text)
    except PipeError as err:
        raise Unwritable(deal.id, path, err.message) from None
    differs = _difference(back, deal)
    if differs is not None:
        raise Unwritable(deal.id, path, f"{differs} differs")
    return data


def _file_name_ok(deal_id: str) -> bool:
    """A deal id that names a file inside deals/ and nothing else."""
    return (
        bool(deal_id)
        and not deal_id.startswith(".")
        and not any(ch in deal_id for ch in "/\\\0")
        and len(deal_id.encode("utf-8")) <= 200
    )


@dataclass(frozen=True)
class Prepared:
    """A change to one deal worked out outside the lock (``Store.prepare``): the file as it
    was read, the deal before and after, and the checked bytes to write (None: no change)."""

    path: Path
    text: str
    old: Deal
    new: Deal
    data: bytes | None


# the clock Linux stamps files with (time.CLOCK_REALTIME_COARSE from Python 3.13 on; 5 in Linux's ABI)
_LINUX_REALTIME_COARSE = 5 if sys.platform.startswith("linux") else None
_TEMP_NAME = re.compile(r"^\..+\.yaml\.[0-9a-f]{16}\.tmp$")  # fsio.create_temp's names for deal files


class Transaction:
    """The changes of one command, made under the folder's lock (see ``Store.transaction``).

    ``message`` says what the change is, as a person would write it ("Won
    acme-rollout-7f3k"); ``paths`` are the files written so far, in order.
    """

    def __init__(self, store: Store, message: str = "") -> None:
        self.store = store
        self.message = message
        self.paths: list[Path] = []
        self._written: set[Path] = set()

    def _wrote(self, path: Path) -> None:
        if path not in self._written:  # a set: import writes thousands
            self._written.add(path)
            self.paths.append(path)

    def _new_path(self, deal: Deal) -> Path:
        if not _file_name_ok(deal.id):
            raise InvalidValue("id", deal.id, f"{deal.id!r} cannot name a deal file")
        path = self.store.deal_path(deal.id)
        if os.path.lexists(path):
            raise AlreadyExists(deal.id)
        return path

    def create(self, deal: Deal) -> Path:
        """Write a new deal file; never overwrites one (``AlreadyExists``)."""
        path = self._new_path(deal)
        data = checked_text(path, new_deal_text(deal), deal)
        self.store.writable_folder(self.store.deals_dir)
        atomic_write(path, data)
        self._wrote(path)
        return path

    def create_many(self, deals: Iterable[Deal], progress: Callable[[int], None] | None = None) -> list[Path]:
        """Write many new deal files at once (``pipe import``); nothing is written if any
        of them exists already (``AlreadyExists``) or appears twice."""
        items: list[tuple[Path, str | bytes]] = []
        seen: set[str] = set()
        for deal in deals:
            path = self._new_path(deal)
            if deal.id in seen:
                raise AlreadyExists(deal.id)
            seen.add(deal.id)
            items.append((path, checked_text(path, new_deal_text(deal), deal)))
        if not items:
            return []
        self.store.writable_folder(self.store.deals_dir)
        written: list[Path] = []
        try:
            written = write_many(items, progress=progress)
        finally:
            for path in written:
                self._wrote(path)
        return written

    def apply(self, prepared: Prepared) -> tuple[Deal, Deal] | None:
        """Write a change worked out outside the lock if the file is still as it was read
        then (so nothing another process wrote is lost); None when it is not, and then
        nothing is written. Only a read, a compare and the atomic write happen under the
        lock: the time it is held depends on neither the file's size nor other deals."""
        try:
            if self.store.read_text(prepared.path) != prepared.text:
                return None
        except PipeError:
            return None
        if prepared.data is not None:
            self.store.writable_file(prepared.path)
            atomic_write(prepared.path, prepared.data)
            self._wrote(prepared.path)
        return prepared.old, prepared.new

    def update(self, ref: str, change: Callable[[Deal], Deal]) -> tuple[Deal, Deal]:
        """Read one deal (by id or prefix) under the lock, apply ``change`` and save the
        result if it differs: no lost update between processes.

        Returns (old, new); when ``change`` returns an equal deal nothing is written.
        """
        store = self.store
        deal_id = store.resolve(ref)
        path = store.deal_path(deal_id)
        text = store.read_text(path)
        old = parse_deal(path, text)
        new = change(old)
        if new != old:
            self.save(old, new, text, path)  # the file it was read from, whatever id it says
        return old, new

    def save(self, old: Deal, new: Deal, text: str | None = None, path: Path | None = None) -> Path:
        """Rewrite a deal file with the change from ``old`` to ``new``, keeping the rest.

        ``old`` was read (from ``path``, by default the file named by its id) under
        this transaction's lock.
        """
        if path is None:
            if not _file_name_ok(old.id):
                raise InvalidValue("id", old.id, f"{old.id!r} cannot name a deal file")
            path = self.store.deal_path(old.id)
        if text is None:
            text = self.store.read_text(path)
        data = checked_text(path, rewritten_text(path, text, old, new), new)
        self.store.writable_file(path)
        atomic_write(path, data)
        self._wrote(path)
        return path

    def write_text(self, path: Path, text: str) -> None:
        """Replace a file of the pipeline with ``text``, which the caller has validated
        (``pipe edit``). Only files inside the pipeline folder, outside .pipe/."""
        where = self._own(path, "written")
        atomic_write(where, text)
        self._wrote(where)

    def remove(self, path: Path) -> None:
        """Delete a file of the pipeline (``pipe undo`` of the command that made it); the
        deletion is durable (the folder is fsynced) and committed like any change."""
        where = self._own(path, "removed")
        try:
            os.unlink(where)
        except FileNotFoundError:
            return
        sync_folder(where.parent)
        self._wrote(where)

    def _own(self, path: Path, done: str) -> Path:
        """``path`` when it is a file of the pipeline: inside its folder, outside .pipe/."""
        where = Path(os.path.abspath(path))
        root = Path(os.path.abspath(self.store.root))
        try:
            rel = where.relative_to(root)
        except ValueError:
            raise PipeError(f"{display_path(path)} is outside the pipeline folder; not {done}") from None
        if not rel.parts or rel.parts[0] == STATE_DIR:
            raise PipeError(f"{display_path(path)} is not a file of the pipeline; not {done}")
        self.store.writable_file(where)  # never through a symlink, never outside the folder
        return where


class Store:
    """A pipeline folder: its configuration and its deal files.

    ``on_commit``, when set, is called with each transaction that wrote something,
    as it ends (still under the lock, after every file is written).
    """

    on_commit: Callable[[Transaction], None] | None = None
    command: str = ""
    """The command this store works for (``pipe note``), written into the lock while it is held."""

    def __init__(self, root: Path, settings: Settings | None = None) -> None:
        self.root = root
        self.deals_dir = root / DEALS_DIR
        self.state_dir = root / STATE_DIR
        self.settings = settings or current()
        self._pipeline: Pipeline | None = None
        self._tx: Transaction | None = None

    @classmethod
    def open(cls, start: Path | None = None, settings: Settings | None = None) -> Store:
        settings = settings or current()
        return cls(find_root(start, settings), settings)

    # -- the folder's edge ----------------------------------------------------------------
    def read_text(self, path: Path | str) -> str:
        """A file of the pipeline as text, by every rule of ``documents.read_bytes``: a
        symlink is followed only inside the folder, deals/ included."""
        if os.path.dirname(os.path.abspath(path)) == os.path.abspath(self.deals_dir):
            self.readable_folder(self.deals_dir)
        return read_text(path, self.root)

    def readable_folder(self, folder: Path) -> bool:
        """True when ``folder`` exists and may be read: a real folder, or a symlink that
        stays inside the pipeline folder; ``UnsafePath`` when it leads outside (or nowhere)."""
        try:
            st = os.lstat(folder)
        except FileNotFoundError:
            return False
        if stat.S_ISLNK(st.st_mode):
            follow_link(folder, self.root, folder=True)
            return os.path.isdir(folder)
        return stat.S_ISDIR(st.st_mode)

    def writable_folder(self, folder: Path) -> None:
        """Create ``folder`` (below the pipeline folder) if missing; ``UnsafePath`` if it,
        or a folder on the way to it, is a symlink: pipe never writes through one."""
        rel = Path(os.path.relpath(folder, self.root)).parts
        here = self.root
        for part in rel:
            here = here / part
            with contextlib.suppress(FileExistsError):
                os.mkdir(here)
            st = os.lstat(here)
            if stat.S_ISLNK(st.st_mode):
                raise UnsafePath(here, "symlink", folder=True, state=STATE_DIR in rel)
            if not stat.S_ISDIR(st.st_mode):
                raise PipeError("not a folder; move it away", path=here)

    def writable_file(self, path: Path) -> None:
        """``UnsafePath`` when ``path``, or the folder it is in, is a symlink: a rename would
        replace the link, and pipe never writes through one."""
        self.writable_folder(path.parent)
        with contextlib.suppress(FileNotFoundError):
            if stat.S_ISLNK(os.lstat(path).st_mode):
                raise UnsafePath(path, "symlink", state=STATE_DIR in Path(os.path.relpath(path, self.root)).parts)

    def state_path(self, name: str) -> Path:
        """A path for local state inside .pipe/ (the lock; an index): ``name`` is relative,
        with ``/`` between folders. .pipe/ and the folders on the way are created when
        missing; ``UnsafePath`` when .pipe/, a folder on the way or the file itself is a
        symlink, so nothing is ever read or written through one. ``ValueError`` for a
        name that is not below .pipe/."""
        parts = name.split("/")
        if not name or name.startswith("/") or any(p in ("", ".", "..") or "\\" in p for p in parts):
            raise ValueError(f"not a name inside {STATE_DIR}/: {name!r}")
        path = self.state_dir.joinpath(*parts)
        self.writable_file(path)
        return path

    def index(
        self, progress: Callable[[int, int], None] | None = None, *, texts: bool = False, want: Sequence[str] = ()
    ) -> Fresh:
        """Every deal file as the derived index in ``.pipe/`` knows it, brought up to date
        first (``pipecli.index``): what reports, stale lists and listings read. Its deals and
        problems are those of ``load_all``: files are read by the same rules, and deals/
        that leads out of the folder is the one problem, as there. With ``texts``, a file
        read now also gives its searched texts (for ``pipecli.textindex``). ``want``: what
        will be asked of it (``"rows"``, ``"views"``), decoded while the files are statted."""
        from .index import DIGESTS_NAME, INDEX_NAME, Fresh, refresh

        stage_ids = self.pipeline.stage_ids
        try:
            self.readable_folder(self.deals_dir)
        except PipeError as err:
            return Fresh.unreadable(self.deals_dir, stage_ids, Problem.from_error(err))
        return refresh(
            self.deals_dir,
            self._state_file(INDEX_NAME),
            self._state_file(DIGESTS_NAME),
            stage_ids,
            progress,
            root=self.root,
            texts=texts,
            want=want,
        )

    def _state_file(self, name: str) -> Path | None:
        """``state_path(name)`` for derived state that is rebuilt at will (the index): a
        symlink planted at its name is removed, never followed; None when .pipe/ cannot
        hold it (itself a symlink, a read-only folder), and the work goes on without it."""
        for _ in range(2):
            try:
                return self.state_path(name)
            except UnsafePath as err:
                if err.path != self.state_dir.joinpath(*name.split("/")):
                    return None
                with contextlib.suppress(OSError):
                    os.unlink(err.path)
            except (PipeError, OSError):
                return None
        return None

    # -- configuration -----------------------------------------------------------------
    @property
    def pipeline_path(self) -> Path:
        return self.root / PIPELINE_FILE

    @property
    def pipeline(self) -> Pipeline:
        if self._pipeline is None:
            path = self.pipeline_path
            self._pipeline = parse_pipeline(path, self.read_text(path))
        return self._pipeline

    # -- finding deals -----------------------------------------------------------------
    def deal_path(self, deal_id: str) -> Path:
        return self.deals_dir / f"{deal_id}.yaml"

    def _entries(self) -> list[os.DirEntry[str]]:
        """The entries of deals/ that name deals (``*.yaml``, hidden files excluded), sorted;
        ``UnsafePath`` when deals/ is a symlink leading out of the folder."""
        if not self.readable_folder(self.deals_dir):
            return []
        try:
            scan = os.scandir(self.deals_dir)
        except FileNotFoundError:
            return []
        with scan:
            return deal_entries(scan)

    def deal_ids(self) -> list[str]:
        """Every deal id, sorted: names of ``deals/*.yaml`` (hidden files excluded), symlinks
        included, so that reading one names what is wrong with it."""
        return [e.name[:-5] for e in self._entries()]

    def exists(self, deal_id: str) -> bool:
        return self.deal_path(deal_id).is_file()

    def resolve(self, ref: str) -> str:
        """A deal id from an id or a unique prefix of one: ``NotFound`` or ``Ambiguous`` otherwise."""
        ref = ref.strip()
        if ref and "/" not in ref and self.exists(ref):
            return ref
        ids = self.deal_ids()
        matches = [i for i in ids if i.startswith(ref)] if ref else []
        if len(matches) == 1:
            return matches[0]
        if len(matches) > 1:
            raise Ambiguous(ref, matches)
        close = [i for i in ids if ref and ref.lower() in i][:5]
        close += [c for c in difflib.get_close_matches(ref, ids, n=5, cutoff=0.5) if c not in close]
        raise NotFound(ref, close[:5])

    # -- reading -----------------------------------------------------------------------
    def read(self, deal_id: str) -> Deal:
        path = self.deal_path(deal_id)
        return parse_deal(path, self.read_text(path))

    def load(self, ref: str) -> Deal:
        """One deal by id or prefix."""
        return self.read(self.resolve(ref))

    def load_all(self, *, use_cache: bool = True, only: Collection[str] | None = None) -> LoadResult:
        """Every deal that reads and validates, and a Problem for each one that does not.

        Parsed files come from the disposable cache in .pipe/cache when their size,
        mtime and inode are unchanged (see pipecli.cache); models are validated anew.
        ``only``: just the deal files of these names, as a command that knows from the index
        which deals it needs reads them (``pipe log``): fewer than ``CACHE_FROM`` are read
        by name, without listing deals/ or loading the cache; more come as above, and the
        cache keeps every other file's entry.
        """
        result = LoadResult()
        few = only is not None and len(only) < CACHE_FROM
        try:
            if few:  # by name: no listing of a folder of 100,000 files for a few of them
                assert only is not None
                found = self.readable_folder(self.deals_dir)
                folder = str(self.deals_dir)
                named = sorted(n for n in set(only) if is_deal_name(n)) if found else []
                files: list[tuple[str, str, os.DirEntry[str] | None]] = [
                    (n, path, None) for n in named if os.path.lexists(path := os.path.join(folder, n))
                ]
            else:
                entries = self._entries()
                if only is not None:
                    wanted = only if isinstance(only, (set, frozenset)) else set(only)
                    entries = [e for e in entries if e.name in wanted]
                files = [(e.name, e.path, e) for e in entries]  # a path as a str: a Path per file cost a tenth
        except PipeError as err:
            result.problems.append(Problem.from_error(err))
            return result
        cache = self._cache() if use_cache and not few else None
        names: set[str] = set()
        seen: dict[str, str] = {}
        for name, path, entry in files:
            try:
                data: dict[str, Any] | None = None
                text: str | None = None
                key = None
                if cache and entry is not None and entry.is_file(follow_symlinks=False):  # a symlink is judged anew
                    names.add(name)
                    key = file_key(entry.stat(follow_symlinks=False))
                    data = cache.get(name, key)
                if data is None:
                    text = read_text(path, self.root)
                    data = parse_document(path, text)
                    if cache and key is not None:
                        cache.put(name, key, data)
                deal = deal_from_data(path, data, text)
                self._screen(path, text, deal, seen)
                result.deals.append(deal)
            except PipeError as err:
                result.problems.append(Problem.from_error(err))
            except OSError as err:
                result.problems.append(Problem(Path(path), None, f"cannot read file: {err.strerror}"))
        if cache:
            if only is None:
                cache.retain(names)
            cache.save()
        return result

    def _screen(self, path: str, text: str | None, deal: Deal, seen: dict[str, str]) -> None:
        """A PipeError for a valid deal that reports cannot use: a second file with the id
        of one read before (counted once), or a history out of time order. `pipe check`
        says the same words (pipecli.documents)."""
        first = seen.setdefault(deal.id, path)
        found: tuple[tuple[object, ...], str] | None = None
        if first != path:
            found = ("id",), duplicate_message(deal.id, first)
        else:
            found = order_finding("history", deal.history)
        if found is not None:
            loc, message = found
            raise PipeError(message, path=path, line=yamlio.locate(text or self.read_text(path), loc))

    def _cache(self) -> ParseCache | None:
        """The parse cache, unless .pipe/ cannot hold it (a symlink, a read-only folder)."""
        try:
            return ParseCache(self.state_path("cache/deals.json"))
        except (PipeError, OSError):
            return None

    # -- writing -----------------------------------------------------------------------
    def prepare(self, ref: str, change: Callable[[Deal], Deal]) -> Prepared | None:
        """Work out a change to one deal without the lock: read it, apply ``change``, write
        the new text and read it back (``checked_text``). None when any of it fails: the
        change is then made, and its error raised, under the lock."""
        try:
            path = self.deal_path(self.resolve(ref))
            text = self.read_text(path)
            old = parse_deal(path, text)
            new = change(old)
            data = checked_text(path, rewritten_text(path, text, old, new), new) if new != old else None
        except PipeError:
            return None
        return Prepared(path, text, old, new, data)

    def change(
        self,
        ref: str,
        change: Callable[[Deal], Deal],
        message: Callable[[Deal, Deal], str] | None = None,
        tries: int = 3,
    ) -> tuple[Deal, Deal]:
        """Change one deal in a transaction (``store.transaction``, joined when one is open),
        holding the lock as briefly as possible.

        The change is worked out outside the lock and written under it if the file has not
        changed meanwhile (``Transaction.apply``); after ``tries`` such attempts lost to
        other writers of the same deal, it is made under the lock (``Transaction.update``).
        ``message(old, new)`` says what changed, for ``on_commit``.
        """
        if self._tx is None:
            for _ in range(tries):
                prepared = self.prepare(ref, change)
                if prepared is None:
                    break
                with self.transaction() as tx:
                    done = tx.apply(prepared)
                    if done is not None:
                        if message is not None:
                            tx.message = message(*done)
                        return done
        joined = self._tx is not None
        with self.transaction() as tx:
            old, new = tx.update(ref, change)
            if message is not None and not (joined and tx.message):  # an open transaction keeps its own
                tx.message = message(old, new)
            return old, new

    def _leftovers(self) -> list[str]:
        """Temporary files a killed writer left in deals/ (fsio's names: ``.ID.yaml.HEX.tmp``)."""
        try:
            with os.scandir(self.deals_dir) as scan:
                return [e.path for e in scan if e.name.startswith(".") and _TEMP_NAME.match(e.name)]
        except OSError:
            return []

    def _seen_clean(self, held: Held) -> bool:
        """True when deals/ has not changed since a writer let the lock go having seen it
        without leftovers: that writer gave the lock file deals/'s mtime plus 1 ns
        (``_clean_mark``), and any entry made in deals/ since (a killed writer's temporary
        file, or one put there by hand) would have moved deals/'s mtime. A writer killed
        while holding the lock leaves the lock file with the time it wrote its name, which
        is never deals/'s mtime plus 1 ns afterwards."""
        if held.taken is None:
            return False
        try:
            return held.taken == os.stat(self.deals_dir).st_mtime_ns + 1
        except OSError:
            return False

    def _clean_mark(self) -> int | None:
        """The lock file's mtime that tells the next writer deals/ is as this one left it,
        free of leftovers (``_seen_clean``); None when that cannot be told. Only once the
        clock the file system stamps with has moved past deals/'s mtime: an entry made
        later then moves the mtime for certain. File systems that stamp whole milliseconds
        or coarser (FAT, HFS+) are not told."""
        coarse = getattr(time, "CLOCK_REALTIME_COARSE", _LINUX_REALTIME_COARSE)
        try:
            mtime = os.stat(self.deals_dir).st_mtime_ns
        except OSError:
            return None
        if coarse is None or mtime % 1_000_000 == 0:
            return None
        deadline = time.monotonic() + 0.05  # the clock moves every few milliseconds
        while time.clock_gettime_ns(coarse) <= mtime:
            if time.monotonic() > deadline:
                return None
            time.sleep(0.0002)
        return mtime + 1

    @contextlib.contextmanager
    def lock(self) -> Iterator[Held]:
        """Serialize writers: one pipe command changes the folder at a time."""
        with file_lock(self.state_path(LOCK_FILE), self.settings.lock_timeout, self.command) as held:
            yield held

    @contextlib.contextmanager
    def transaction(self, message: str = "") -> Iterator[Transaction]:
        """The one way to change files of the pipeline::

            with store.transaction("Won acme-rollout-7f3k") as tx:
                old, new = tx.update("acme", lambda d: actions.won(d, at))

        Takes the lock (``LockTimeout`` after ``PIPE_LOCK_TIMEOUT`` seconds); every
        write is atomic. When the block ends without an error and something was
        written, ``on_commit(tx)`` is called, still under the lock. A transaction
        opened inside another one of the same store joins it.
        """
        if self._tx is not None:
            if message and not self._tx.message:
                self._tx.message = message
            yield self._tx
            return
        with self.lock() as held:
            # every writer makes its temporary files under the lock: those still here now
            # were left by one that was killed (git would show them). deals/ is listed only
            # when it changed since the last writer saw it clean: at 100,000 deals listing
            # it costs more than the rest of a one-deal change
            if not self._seen_clean(held):
                for path in self._leftovers():
                    with contextlib.suppress(OSError):
                        os.unlink(path)
            tx = Transaction(self, message)
            self._tx = tx
            try:
                yield tx
            finally:
                self._tx = None
            if tx.paths and self.on_commit is not None:
                self.on_commit(tx)
            held.leave = self._clean_mark()

    def create(self, deal: Deal) -> Path:
        """Write a new deal file in a transaction of its own. Never overwrites."""
        with self.transaction(f"Add {deal.id}") as tx:
            return tx.create(deal)

    def update(self, ref: str, change: Callable[[Deal], Deal]) -> tuple[Deal, Deal]:
        """``Transaction.update`` in a transaction of its own (see ``change``)."""
        return self.change(ref, change, lambda _, new: f"Change {new.id}")

    def save(self, old: Deal, new: Deal, text: str | None = None, path: Path | None = None) -> None:
        """``Transaction.save`` in a transaction of its own."""
        with self.transaction(f"Change {old.id}") as tx:
            tx.save(old, new, text, path)
