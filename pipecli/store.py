"""The pipeline folder on disk: finding it, resolving ids, reading deals, and the one
write path.

Layout::

    pipeline.yaml        the stages
    deals/<id>.yaml      one file per deal; the file name is the deal's id
    .pipe/               local state, never committed: the lock (and caches)

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
import stat
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from .cache import ParseCache, file_key
from .documents import (
    MAX_FILE_BYTES,
    Problem,
    display_path,
    file_name_id,
    parse_document,
    read_text,
    validation_message,
)
from .errors import AlreadyExists, Ambiguous, InvalidValue, NoPipeline, NotFound, PipeError
from .fsio import atomic_write, file_lock, write_many
from .models import Deal, Pipeline
from .settings import Settings, current

if TYPE_CHECKING:
    from .index import Fresh

PIPELINE_FILE = "pipeline.yaml"
DEALS_DIR = "deals"
STATE_DIR = ".pipe"
LOCK_FILE = "lock"


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


def find_root(start: Path | None = None, settings: Settings | None = None) -> Path:
    """The folder holding pipeline.yaml: ``start`` (or ``PIPE_DIR``, or the working
    directory) or the nearest parent of it, as git finds its repository."""
    if start is None:
        start = (settings or current()).pipe_dir or Path.cwd()
    start = start.expanduser()
    if not start.exists():
        raise NoPipeline(start, missing=True)
    here = start.resolve()
    for folder in (here, *here.parents):
        if (folder / PIPELINE_FILE).is_file():
            return folder
    raise NoPipeline(start)


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
    CR LF line ends and a byte order mark stay as they were."""
    from . import yamlio

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
        with open(path, "rb") as f:
            head = f.read(MAX_FILE_BYTES + 4)
    except FileNotFoundError:
        head = b""
    if b"\r\n" in head:
        out = out.replace("\n", "\r\n")
    if head.startswith(codecs.BOM_UTF8) and not out.startswith("\ufeff"):
        out = "\ufeff" + out
    return out


def _file_name_ok(deal_id: str) -> bool:
    """A deal id that names a file inside deals/ and nothing else."""
    return (
        bool(deal_id)
        and not deal_id.startswith(".")
        and not any(ch in deal_id for ch in "/\\\0")
        and len(deal_id.encode("utf-8")) <= 200
    )


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
        self.store.deals_dir.mkdir(parents=True, exist_ok=True)
        atomic_write(path, new_deal_text(deal))
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
            items.append((path, new_deal_text(deal)))
        if not items:
            return []
        self.store.deals_dir.mkdir(parents=True, exist_ok=True)
        written: list[Path] = []
        try:
            written = write_many(items, progress=progress)
        finally:
            for path in written:
                self._wrote(path)
        return written

    def update(self, ref: str, change: Callable[[Deal], Deal]) -> tuple[Deal, Deal]:
        """Read one deal (by id or prefix) under the lock, apply ``change`` and save the
        result if it differs: no lost update between processes.

        Returns (old, new); when ``change`` returns an equal deal nothing is written.
        """
        store = self.store
        deal_id = store.resolve(ref)
        path = store.deal_path(deal_id)
        text = read_text(path)
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
            text = read_text(path)
        atomic_write(path, rewritten_text(path, text, old, new))
        self._wrote(path)
        return path

    def write_text(self, path: Path, text: str) -> None:
        """Replace a file of the pipeline with ``text``, which the caller has validated
        (``pipe edit``). Only files inside the pipeline folder, outside .pipe/."""
        where = Path(os.path.abspath(path))
        root = Path(os.path.abspath(self.store.root))
        try:
            rel = where.relative_to(root)
        except ValueError:
            raise PipeError(f"{display_path(path)} is outside the pipeline folder; not written") from None
        if not rel.parts or rel.parts[0] == STATE_DIR:
            raise PipeError(f"{display_path(path)} is not a file of the pipeline; not written")
        atomic_write(where, text)
        self._wrote(where)


class Store:
    """A pipeline folder: its configuration and its deal files.

    ``on_commit``, when set, is called with each transaction that wrote something,
    as it ends (still under the lock, after every file is written).
    """

    on_commit: Callable[[Transaction], None] | None = None

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

    def state_path(self, name: str) -> Path:
        """A file of the folder's local state in ``.pipe/`` (the lock, the index)."""
        if not name or name.startswith(".") or "/" in name or "\\" in name or "\0" in name:
            raise ValueError(f"{name!r} is not a state file name")
        return self.state_dir / name

    def index(self, progress: Callable[[int, int], None] | None = None) -> Fresh:
        """Every deal file as the derived index in ``.pipe/`` knows it, brought up to date
        first (``pipecli.index``): what reports, stale lists and listings read."""
        from .index import DIGESTS_NAME, INDEX_NAME, refresh

        return refresh(
            self.deals_dir,
            self.state_path(INDEX_NAME),
            self.state_path(DIGESTS_NAME),
            self.pipeline.stage_ids,
            progress,
        )

    # -- configuration -----------------------------------------------------------------
    @property
    def pipeline_path(self) -> Path:
        return self.root / PIPELINE_FILE

    @property
    def pipeline(self) -> Pipeline:
        if self._pipeline is None:
            path = self.pipeline_path
            text = read_text(path)
            data = parse_document(path, text)
            try:
                self._pipeline = Pipeline.model_validate(data)
            except ValidationError as exc:
                msg, line = validation_message(exc, text)
                raise PipeError(msg, path=path, line=line) from None
        return self._pipeline

    # -- finding deals -----------------------------------------------------------------
    def deal_path(self, deal_id: str) -> Path:
        return self.deals_dir / f"{deal_id}.yaml"

    def deal_ids(self) -> list[str]:
        """Every deal id, sorted: names of ``deals/*.yaml`` (hidden files excluded)."""
        try:
            entries = os.scandir(self.deals_dir)
        except FileNotFoundError:
            return []
        with entries:
            ids = [
                e.name[:-5] for e in entries if e.name.endswith(".yaml") and not e.name.startswith(".") and e.is_file()
            ]
        return sorted(ids)

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
        return parse_deal(path, read_text(path))

    def load(self, ref: str) -> Deal:
        """One deal by id or prefix."""
        return self.read(self.resolve(ref))

    def load_all(self, *, use_cache: bool = True) -> LoadResult:
        """Every deal that reads and validates, and a Problem for each one that does not.

        Parsed files come from the disposable cache in .pipe/cache when their size,
        mtime and inode are unchanged (see pipecli.cache); models are validated anew.
        """
        result = LoadResult()
        cache = ParseCache(self.state_dir / "cache" / "deals.json") if use_cache else None
        try:
            scan = os.scandir(self.deals_dir)
        except FileNotFoundError:
            return result
        with scan:
            entries = sorted(
                (e for e in scan if e.name.endswith(".yaml") and not e.name.startswith(".")),
                key=lambda e: e.name,
            )
        names: set[str] = set()
        for entry in entries:
            path = entry.path  # a str: a Path per file would cost a tenth of the load
            try:
                st = entry.stat()
                if not stat.S_ISREG(st.st_mode):
                    continue
                names.add(entry.name)
                key = file_key(st)
                data = cache.get(entry.name, key) if cache else None
                text = None
                if data is None:
                    text = read_text(path)
                    data = parse_document(path, text)
                    if cache:
                        cache.put(entry.name, key, data)
                result.deals.append(deal_from_data(path, data, text))
            except PipeError as err:
                result.problems.append(Problem.from_error(err))
            except OSError as err:
                result.problems.append(Problem(Path(path), None, f"cannot read file: {err.strerror}"))
        if cache:
            cache.retain(names)
            cache.save()
        return result

    # -- writing -----------------------------------------------------------------------
    @contextlib.contextmanager
    def lock(self) -> Iterator[None]:
        """Serialize writers: one pipe command changes the folder at a time."""
        with file_lock(self.state_dir / LOCK_FILE, self.settings.lock_timeout):
            yield

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
        with self.lock():
            tx = Transaction(self, message)
            self._tx = tx
            try:
                yield tx
            finally:
                self._tx = None
            if tx.paths and self.on_commit is not None:
                self.on_commit(tx)

    def create(self, deal: Deal) -> Path:
        """Write a new deal file in a transaction of its own. Never overwrites."""
        with self.transaction(f"Add {deal.id}") as tx:
            return tx.create(deal)

    def update(self, ref: str, change: Callable[[Deal], Deal]) -> tuple[Deal, Deal]:
        """``Transaction.update`` in a transaction of its own."""
        with self.transaction() as tx:
            old, new = tx.update(ref, change)
            if not tx.message:
                tx.message = f"Change {new.id}"
            return old, new

    def save(self, old: Deal, new: Deal, text: str | None = None, path: Path | None = None) -> None:
        """``Transaction.save`` in a transaction of its own."""
        with self.transaction(f"Change {old.id}") as tx:
            tx.save(old, new, text, path)
