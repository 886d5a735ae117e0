"""Reading pipe's files: text, YAML documents and their safety checks, and how a
problem in one is reported (``Problem``, the first-error formatter for the models).

Every byte read here is treated as hostile: a file over 1 MiB, a git merge-conflict
marker, YAML anchors and aliases ("billion laughs") and anything that is not a
mapping are refused with the file and the line, before any model sees the data.
"""

from __future__ import annotations

import errno
import os
import re
import stat
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from . import yamlio
from .errors import PipeError, UnsafePath
from .models import error_text

MAX_FILE_BYTES = 1 << 20

_CONFLICT = re.compile(r"^(<{7}|={7}|>{7})(?: |$)", re.MULTILINE)


def printable(text: str) -> str:
    """``text`` as it can be printed: bytes that are not UTF-8 (a file name, an argument)
    shown as ``\\xNN`` escapes; any other lone surrogate (only a caller of the library can
    pass one) as ``\\udNNN``."""
    if text.isascii():
        return text
    try:
        return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    except UnicodeEncodeError:
        return "".join(ch.encode("unicode_escape").decode("ascii") if "\ud800" <= ch <= "\udfff" else ch for ch in text)


def display_path(path: Path | str) -> str:
    """A path relative to the working directory when it lies below it; a symlink is named
    as itself, never as what it points to. Bytes that are not UTF-8 are shown escaped."""
    where = os.path.abspath(path)
    try:
        here = os.getcwd()
    except OSError:
        return printable(where)
    for base in (here, os.path.realpath(here)):
        for candidate in (where, os.path.join(os.path.realpath(os.path.dirname(where)), os.path.basename(where))):
            if candidate == base:
                return "."
            if candidate.startswith(base.rstrip(os.sep) + os.sep):
                return printable(os.path.relpath(candidate, base))
    return printable(str(path))


@dataclass(frozen=True)
class Problem:
    """A finding about one file: printed as ``path:line: message``.

    A warning (``warning=True``) is printed as ``path:line: warning: message``; it
    says something is likely wrong without making the file unusable.
    """

    path: Path
    line: int | None
    message: str
    warning: bool = False

    def __str__(self) -> str:
        where = display_path(self.path)
        text = f"warning: {self.message}" if self.warning else self.message
        return f"{where}:{self.line}: {text}" if self.line else f"{where}: {text}"

    @classmethod
    def from_error(cls, err: PipeError) -> Problem:
        return cls(err.path or Path("?"), err.line, err.message)


_READ_FLAGS = (
    os.O_RDONLY
    | getattr(os, "O_NOFOLLOW", 0)
    | getattr(os, "O_NONBLOCK", 0)  # a FIFO named like a deal file never blocks the open
    | getattr(os, "O_CLOEXEC", 0)
    | getattr(os, "O_BINARY", 0)
)
_LINK_ERRNOS = {errno.ELOOP, getattr(errno, "EMLINK", errno.ELOOP), getattr(errno, "EFTYPE", errno.ELOOP)}


def inside(path: str, root: str) -> bool:
    """True when the real path ``path`` is ``root`` (a real path) or below it."""
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


def follow_link(path: Path | str, root: Path | str | None, *, folder: bool = False) -> str:
    """The real path a symlink at ``path`` leads to, when it stays inside ``root``.

    ``UnsafePath`` otherwise: ``outside`` the folder, ``dangling`` or a ``loop``; with
    no ``root``, no symlink is followed at all (``outside``).
    """
    name = os.fspath(path)
    try:
        real = os.path.realpath(name, strict=True)
    except FileNotFoundError:
        raise UnsafePath(path, "dangling", folder=folder, target=printable(os.readlink(name))) from None
    except OSError as exc:
        if exc.errno in _LINK_ERRNOS:
            raise UnsafePath(path, "loop", folder=folder) from None
        raise PipeError(f"cannot read: {exc.strerror}", path=path) from None
    except RuntimeError:  # pragma: no cover - older Pythons report a loop so
        raise UnsafePath(path, "loop", folder=folder) from None
    if root is None or not inside(real, os.path.realpath(root)):
        raise UnsafePath(path, "outside", folder=folder)
    return real


def _open(path: Path | str, root: Path | str | None) -> int:
    name = os.fspath(path)
    try:
        return os.open(name, _READ_FLAGS)
    except OSError as exc:
        if exc.errno not in _LINK_ERRNOS or not os.path.islink(name):
            raise
    real = follow_link(path, root)
    return os.open(real, _READ_FLAGS)


def read_bytes(path: Path | str, root: Path | str | None = None, *, limit: int = MAX_FILE_BYTES) -> bytes:
    """The bytes of a file of the pipeline, with every rule about reading one.

    * a symlink is followed only when it stays inside ``root`` (never without a root);
      one that leads outside, a dangling one and a loop are ``UnsafePath`` errors;
    * only a regular file is read (a FIFO, a folder or a device is refused, never waited on);
    * the size limit is checked before reading, in bytes, and no more than ``limit``
      bytes are ever read (a file that grows meanwhile is refused too).
    """
    try:
        fd = _open(path, root)
    except FileNotFoundError:
        raise PipeError("file does not exist", path=path) from None
    except OSError as exc:
        raise PipeError(f"cannot read file: {exc.strerror}", path=path) from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise UnsafePath(path, "special")
        if st.st_size > limit:
            raise PipeError(_TOO_LARGE, path=path)
        chunks: list[bytes] = []
        size = 0
        while size <= limit:
            chunk = os.read(fd, min(1 << 20, limit + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        if size > limit:
            raise PipeError(_TOO_LARGE, path=path)
        return b"".join(chunks)
    except OSError as exc:
        raise PipeError(f"cannot read file: {exc.strerror}", path=path) from None
    finally:
        os.close(fd)


_TOO_LARGE = "file is larger than 1 MiB; not a deal file?"


def decode(data: bytes, path: Path | str) -> str:
    """UTF-8 bytes as text, line ends as Python's text files give them (CR LF and CR as LF);
    a PipeError naming the file and the line otherwise."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise PipeError("file is not UTF-8 text", path=path, line=line) from None
    return unix_lines(text)


def unix_lines(text: str) -> str:
    """Text with its line ends as Python's text files give them: CR LF and a lone CR as LF."""
    return text.replace("\r\n", "\n").replace("\r", "\n") if "\r" in text else text


def read_text(path: Path | str, root: Path | str | None = None) -> str:
    """A file's text (UTF-8), read by the rules of ``read_bytes``, or a PipeError naming the file."""
    return decode(read_bytes(path, root), path)


MAX_DEPTH = 32  # a deal file is 4 levels deep (deal, history, entry, a value); custom keys may add a few


def _too_deep(data: Any, limit: int = MAX_DEPTH) -> bool:
    """True when lists and mappings nest more than ``limit`` levels (walked level by level,
    without recursion)."""
    level = [data]
    depth = 1
    while level:
        if depth > limit:
            return True
        below: list[Any] = []
        for value in level:
            if isinstance(value, dict):
                below += [v for v in value.values() if isinstance(v, (dict, list))]
            elif isinstance(value, list):
                below += [v for v in value if isinstance(v, (dict, list))]
        level = below
        depth += 1
    return False


def _deep_line(text: str, limit: int = MAX_DEPTH) -> int | None:
    """The line where the nesting of ``text`` first goes past ``limit`` levels."""
    import yaml

    depth = 0
    try:
        for event in yaml.parse(text, Loader=yamlio.fast_loader()):
            if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
                depth += 1
                if depth > limit and event.start_mark is not None:
                    return int(event.start_mark.line) + 1
            elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
                depth -= 1
    except yaml.YAMLError:
        return None
    return None


def parse_document(path: Path | str, text: str) -> dict[str, Any]:
    """Parse a YAML mapping, or raise a PipeError that names path and line."""
    if len(text) > MAX_FILE_BYTES and len(text.encode("utf-8", "surrogatepass")) > MAX_FILE_BYTES:
        raise PipeError(_TOO_LARGE, path=path)
    # a marker is seven '<', '=' or '>': look for it with ``in`` first (a search of every line costs more)
    m = _CONFLICT.search(text) if "<<<<<<<" in text or "=======" in text or ">>>>>>>" in text else None
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
        raise PipeError(yamlio.error_reason(exc), path=path, line=yamlio.error_line(exc, text)) from None
    if not isinstance(data, dict):
        raise PipeError("expected a YAML mapping of fields (key: value)", path=path, line=1)
    if "&" in text or "*" in text:
        anchor = yamlio.anchor_line(text)
        if anchor is not None:
            # aliases let a few lines stand for billions of values ("billion laughs"), and
            # nothing pipe writes uses them: refuse them before anything walks the data
            raise PipeError(
                "YAML anchors and aliases (&name, *name) are not allowed in pipe files; write the value out",
                path=path,
                line=anchor,
            )
    if _too_deep(data):
        # every reader of the data recurses (validation, JSON, the rewriter): refuse it here
        raise PipeError(
            f"nested deeper than {MAX_DEPTH} levels; pipe files are plain key: value lines",
            path=path,
            line=_deep_line(text),
        )
    return data


def order_finding(name: str, entries: Sequence[Any]) -> tuple[tuple[object, ...], str] | None:
    """Where a list of dated entries (``history``, ``notes``) first goes back in time, and
    what to say about it; None when it is in time order."""
    for i in range(1, len(entries)):
        if entries[i].at < entries[i - 1].at:
            return (name, i, "at"), (
                f"{name} out of time order: {entries[i].at.isoformat()} comes after "
                f"{entries[i - 1].at.isoformat()}; move the entry to its place"
            )
    return None


def duplicate_message(deal_id: str, first: Path | str) -> str:
    """What to say about a second file with the id of the deal in ``first``."""
    return f"duplicate id {deal_id!r}, also in {os.path.basename(first)}"


def file_name_id(path: Path | str) -> str:
    """The deal id a file name gives: ``deals/acme-7f3k.yaml`` -> ``acme-7f3k``."""
    return os.path.basename(path).removesuffix(".yaml")


# -- what the models refused -------------------------------------------------------------
def _location(err: Any) -> tuple[Any, ...]:
    return tuple(p for p in err["loc"] if p != "__root__")


def field_error(err: Any) -> str:
    """One model error as ``field: what is wrong`` (``file: ...`` for the whole document)."""
    name = ".".join(str(p) for p in _location(err)) or "file"
    return f"{name}: {error_text(err)}"


def first_error(exc: ValidationError) -> str:
    """The first thing the model refused, as one line: ``value: must not be negative``."""
    return field_error(exc.errors()[0])


def validation_message(exc: ValidationError, text: str) -> tuple[str, int | None]:
    """The first error as one line (saying how many more there are), and the line of
    ``text`` it points at."""
    errors = exc.errors()
    more = len(errors) - 1
    suffix = f" (and {more} more problem{'s' if more > 1 else ''})" if more else ""
    return first_error(exc) + suffix, yamlio.locate(text, _location(errors[0]))


def validation_problems(path: Path, text: str, exc: ValidationError) -> list[Problem]:
    """Each thing the model refused, on its own line, where it is in the file."""
    out = [Problem(path, yamlio.locate(text, _location(err)), field_error(err)) for err in exc.errors()]
    return sorted(out, key=lambda p: p.line or 0)  # in the order of the file
