"""The pipeline folder on disk: finding it, reading deals, locking, atomic writes.

Layout::

    pipeline.yaml        the stages
    deals/<id>.yaml      one file per deal; the file name is the deal's id
    .pipe/               local state, never committed: the lock (and caches)

One-deal commands touch one file: resolving an id or a prefix of one needs only
the directory listing, never a parse of every deal.
"""

from __future__ import annotations

import codecs
import contextlib
import difflib
import os
import re
import stat
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from . import yamlfast, yamlio
from .cache import ParseCache, file_key
from .errors import PipeError
from .models import Deal, Pipeline, error_text

PIPELINE_FILE = "pipeline.yaml"
DEALS_DIR = "deals"
STATE_DIR = ".pipe"
LOCK_FILE = "lock"
MAX_FILE_BYTES = 1 << 20
LOCK_TIMEOUT_S = float(os.environ.get("PIPE_LOCK_TIMEOUT", "30"))

_CONFLICT = re.compile(r"^(<{7}|={7}|>{7})(?: |$)", re.MULTILINE)


@dataclass(frozen=True)
class Problem:
    """A finding about one file: printed as ``path:line: message``."""

    path: Path
    line: int | None
    message: str

    def __str__(self) -> str:
        where = display_path(self.path)
        return f"{where}:{self.line}: {self.message}" if self.line else f"{where}: {self.message}"

    @classmethod
    def from_error(cls, err: PipeError) -> Problem:
        return cls(err.path or Path("?"), err.line, err.message)


@dataclass
class LoadResult:
    deals: list[Deal] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


def display_path(path: Path) -> str:
    """A path relative to the working directory when it lies below it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except (ValueError, OSError):
        return str(path)


def validation_message(exc: ValidationError, text: str) -> tuple[str, int | None]:
    """The first validation error as one line, and the line of the file it points at."""
    err = exc.errors()[0]
    loc = tuple(p for p in err["loc"] if p != "__root__")
    msg = error_text(err)
    name = ".".join(str(p) for p in loc) or "file"
    more = len(exc.errors()) - 1
    suffix = f" (and {more} more problem{'s' if more > 1 else ''})" if more else ""
    return f"{name}: {msg}{suffix}", yamlio.locate(text, loc)


def parse_document(path: Path | str, text: str) -> dict[str, Any]:
    """Parse a YAML mapping, or raise a PipeError that names path and line."""
    if len(text) > MAX_FILE_BYTES:
        raise PipeError("file is larger than 1 MiB; not a deal file?", path=path)
    m = _CONFLICT.search(text)
    if m:
        line = text.count("\n", 0, m.start()) + 1
        raise PipeError(
            "unresolved git merge conflict marker; edit the file to keep the right lines",
            path=path,
            line=line,
        )
    try:
        data = yamlio.load_fast(text)
    except Exception as exc:  # yaml.YAMLError, and recursion errors from hostile nesting
        raise PipeError(yamlio.error_reason(exc), path=path, line=yamlio.error_line(exc)) from None
    if not isinstance(data, dict):
        raise PipeError("expected a YAML mapping of fields (key: value)", path=path, line=1)
    if "&" in text or "*" in text:
        line = yamlio.anchor_line(text)
        if line is not None:
            # aliases let a few lines stand for billions of values ("billion laughs"), and
            # nothing pipe writes uses them: refuse them before anything walks the data
            raise PipeError(
                "YAML anchors and aliases (&name, *name) are not allowed in pipe files; write the value out",
                path=path,
                line=line,
            )
    return data


def parse_deal(path: Path, text: str) -> Deal:
    """Parse and validate one deal file. The id defaults to the file name."""
    return deal_from_data(path, parse_document(path, text), text)


def deal_from_data(path: Path | str, data: dict[str, Any], text: str | None = None) -> Deal:
    """Validate parsed data of a deal file; on error, find the line (reading the file if need be)."""
    if "id" not in data:
        data = {**data, "id": os.path.basename(path).removesuffix(".yaml")}
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


def read_text(path: Path | str) -> str:
    try:
        with open(path, encoding="utf-8") as f:
            return f.read()
    except UnicodeDecodeError:
        raise PipeError("file is not UTF-8 text", path=path) from None
    except FileNotFoundError:
        raise PipeError("file does not exist", path=path) from None
    except OSError as exc:
        raise PipeError(f"cannot read file: {exc.strerror}", path=path) from None


def atomic_write(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` so that readers see the old file or the new one, never half.

    Temporary file in the same folder, fsync, rename over, fsync the folder.
    """
    try:
        mode = path.stat().st_mode & 0o777
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        mode = 0o666 & ~umask
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    if hasattr(os, "O_DIRECTORY"):
        dfd = os.open(path.parent, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)


@contextlib.contextmanager
def file_lock(path: Path, timeout: float = LOCK_TIMEOUT_S) -> Iterator[None]:
    """An exclusive advisory lock on ``path``, released even if the process is killed."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                _lock(fd)
                break
            except OSError:
                if time.monotonic() >= deadline:
                    raise PipeError(
                        f"another pipe command has held the lock {display_path(path)} for "
                        f"{timeout:g}s; wait for it to finish and try again"
                    ) from None
                time.sleep(0.01)
        try:
            yield
        finally:
            _unlock(fd)
    finally:
        os.close(fd)


if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
    import msvcrt

    def _lock(fd: int) -> None:
        msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)

    def _unlock(fd: int) -> None:
        os.lseek(fd, 0, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)

else:
    import fcntl

    def _lock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)

    def _unlock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_UN)


def find_root(start: Path | None = None) -> Path:
    """The folder holding pipeline.yaml: ``start`` (or ``PIPE_DIR``, or the working
    directory) or the nearest parent of it, as git finds its repository."""
    if start is None:
        env = os.environ.get("PIPE_DIR")
        start = Path(env) if env else Path.cwd()
    start = start.expanduser()
    if not start.exists():
        raise PipeError(f"folder {start} does not exist; check -C or PIPE_DIR")
    here = start.resolve()
    for folder in (here, *here.parents):
        if (folder / PIPELINE_FILE).is_file():
            return folder
    raise PipeError(
        f"no {PIPELINE_FILE} in {start} or any folder above it; run `pipe init` to create a pipeline, or pass -C DIR"
    )


class Store:
    """A pipeline folder: its configuration and its deal files."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.deals_dir = root / DEALS_DIR
        self.state_dir = root / STATE_DIR
        self._pipeline: Pipeline | None = None

    @classmethod
    def open(cls, start: Path | None = None) -> Store:
        return cls(find_root(start))

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
        """A deal id from an id or a unique prefix of one; a clear error otherwise."""
        ref = ref.strip()
        if ref and self.exists(ref) and "/" not in ref:
            return ref
        ids = self.deal_ids()
        matches = [i for i in ids if i.startswith(ref)] if ref else []
        if len(matches) == 1:
            return matches[0]
        if len(matches) > 1:
            shown = ", ".join(matches[:8]) + (f" and {len(matches) - 8} more" if len(matches) > 8 else "")
            raise PipeError(f"deal {ref!r} is ambiguous: it starts {shown}; type more of the id")
        close = [i for i in ids if ref and ref.lower() in i][:5]
        close += [c for c in difflib.get_close_matches(ref, ids, n=5, cutoff=0.5) if c not in close]
        hint = f"; did you mean {', '.join(close[:5])}?" if close else "; `pipe list` shows the ids"
        raise PipeError(f"no deal {ref!r}{hint}")

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
        with file_lock(self.state_dir / LOCK_FILE):
            yield

    def create(self, deal: Deal) -> Path:
        """Write a new deal file; the caller holds the lock. Never overwrites."""
        path = self.deal_path(deal.id)
        if path.exists():
            raise PipeError(f"deal {deal.id!r} already exists; choose another --id")
        self.deals_dir.mkdir(parents=True, exist_ok=True)
        atomic_write(path, yamlfast.dump(deal.canonical()))
        return path

    def save(self, old: Deal, new: Deal, text: str | None = None, path: Path | None = None) -> None:
        """Rewrite a deal file with the change from ``old`` to ``new``, keeping the rest.

        The caller holds the lock and read ``old`` (from ``path``, by default the
        file named by its id) under it.
        """
        path = path or self.deal_path(old.id)
        if text is None:
            text = read_text(path)
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
        with open(path, "rb") as f:
            head = f.read(MAX_FILE_BYTES + 4)
        if b"\r\n" in head:
            out = out.replace("\n", "\r\n")
        if head.startswith(codecs.BOM_UTF8) and not out.startswith("\ufeff"):
            out = "\ufeff" + out
        atomic_write(path, out)

    def update(self, ref: str, change: Callable[[Deal], Deal]) -> tuple[Deal, Deal]:
        """Lock, read one deal, apply ``change`` and save: no lost update between processes.

        Returns (old, new); when ``change`` returns an equal deal nothing is written.
        """
        with self.lock():
            deal_id = self.resolve(ref)
            path = self.deal_path(deal_id)
            text = read_text(path)
            old = parse_deal(path, text)
            new = change(old)
            if new != old:
                self.save(old, new, text, path)  # the file it was read from, whatever id it says
            return old, new


_PIPELINE_TEMPLATE = """\
# The pipeline: its name, default currency and ordered stages.
# Won and lost are a deal's status, not stages: a deal lost at "proposal" keeps
# stage: proposal, so the report can tell where deals drop off.
name: {name}
currency: {currency}      # ISO 4217 code used when a deal names none
# timezone: Europe/Warsaw   # IANA name: where days begin and end, the same for the whole team
stale_after: 14d     # a deal idle this long in a stage is stale (h, d or w); stages may override
stages:
{stages}"""

_GITIGNORE = "# local state of pipe (lock, caches): never committed\n.pipe/\n"


def init_pipeline(directory: Path, *, stage_ids: list[str] | None, currency: str, name: str) -> Path:
    """Create pipeline.yaml, deals/ and .gitignore in ``directory``; refuse to overwrite."""
    from .models import DEFAULT_STAGES, Stage

    root = directory.expanduser()
    if (root / PIPELINE_FILE).exists():
        raise PipeError(f"{display_path(root / PIPELINE_FILE)} exists already; nothing changed")
    if not name.strip():
        raise PipeError("--name: give the pipeline a name", exit_code=2)
    if stage_ids is None:
        stages = [Stage.model_validate(s) for s in DEFAULT_STAGES]
    else:
        if not stage_ids:
            raise PipeError("--stages: name at least one stage", exit_code=2)
        stages = []
        for i, sid in enumerate(stage_ids):
            try:
                stages.append(Stage(id=sid, probability=round((i + 1) / (len(stage_ids) + 1), 2)))
            except ValidationError as exc:
                raise PipeError(
                    f"--stages: {exc.errors()[0]['msg'].removeprefix('Value error, ')}", exit_code=2
                ) from None
        if len(set(stage_ids)) != len(stage_ids):
            raise PipeError("--stages: a stage id appears twice", exit_code=2)
    lines = []
    for s in stages:
        lines.append(f"  - id: {s.id}")
        lines.append(f"    label: {s.title}")
        lines.append(f"    probability: {s.probability:g}")
        if s.stale_after:
            lines.append(f"    stale_after: {s.stale_after}")
    # the name as deal files write text: quoted when plain it would read back as something else
    plain = yamlio.dump_new({"name": name.strip()}).removeprefix("name: ").rstrip("\n")
    text = _PIPELINE_TEMPLATE.format(name=plain, currency=currency, stages="\n".join(lines) + "\n")
    # validate what we are about to write, exactly as it will be read back
    Pipeline.model_validate(yamlio.load_fast(text))
    root.mkdir(parents=True, exist_ok=True)
    (root / DEALS_DIR).mkdir(exist_ok=True)
    atomic_write(root / PIPELINE_FILE, text)
    gitignore = root / ".gitignore"
    if not gitignore.exists():
        atomic_write(gitignore, _GITIGNORE)
    elif ".pipe/" not in read_text(gitignore):
        atomic_write(gitignore, read_text(gitignore).rstrip("\n") + "\n" + _GITIGNORE)
    return root
