"""Reading the CSV file: its header and its rows, each with the line it starts on.

Files as spreadsheets write them: UTF-8 (with or without a byte order mark), UTF-16 with a
byte order mark (Excel's "Unicode text"), or a code page named with ``encoding``
(``cp1252``: Excel's "CSV" in Italy and Western Europe; ``cp1250``: in Poland); the
delimiter sniffed among comma, semicolon and tab, or given.
"""

from __future__ import annotations

import codecs
import csv
import io
from pathlib import Path

from ..errors import EXIT_USAGE, PipeError, usage_error

DELIMITERS = (",", ";", "\t")
_DELIMITER_NAMES = {"tab": "\t", "\\t": "\t", "comma": ",", "semicolon": ";", "pipe": "|"}
_SAMPLE_ROWS = 50  # rows looked at to settle a delimiter tie


def delimiter_of(text: str) -> str:
    """``--delimiter``: one character (``tab``, ``\\t``, ``comma``, ``semicolon`` and ``pipe`` by name)."""
    value = _DELIMITER_NAMES.get(text.strip().lower(), text)
    if len(value) != 1 or value in '"\r\n' or value.isalnum():
        raise usage_error(f"--delimiter: {text!r} is not a delimiter; give one character such as ; or , or tab")
    return value


def _decode(raw: bytes, path: Path, encoding: str | None) -> str:
    if encoding is not None:
        try:
            codec = codecs.lookup(encoding).name
        except LookupError:
            raise usage_error(
                f"--encoding: unknown encoding {encoding!r}; e.g. utf-8, cp1252, cp1250, utf-16"
            ) from None
        name = "utf-8-sig" if codec == "utf-8" else codec
    elif raw.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
        name = "utf-32"
    elif raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        name = "utf-16"  # Excel's "Unicode text": the byte order mark says which order
    else:
        name = "utf-8-sig"
    try:
        text = raw.decode(name)
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        if encoding is not None:
            raise PipeError(
                f"not {encoding} text: byte {raw[exc.start]:#04x} cannot be read", path=path, line=line
            ) from None
        if b"\x00" in raw[:200]:
            hint = "UTF-16 without a byte order mark? give --encoding utf-16-le (or utf-16-be)"
        else:
            hint = (
                "a file Excel saved as plain CSV is in the Windows code page: give --encoding cp1252 "
                "(Italy, Western Europe) or --encoding cp1250 (Poland, Central Europe), or save it as CSV UTF-8"
            )
        raise PipeError(f"not UTF-8 text; {hint}", path=path, line=line) from None
    return text[1:] if text.startswith("\ufeff") else text


def _outside_quotes(line: str) -> str:
    """``line`` without its double-quoted parts: delimiters inside quotes are a cell's text."""
    out, quoted = [], False
    for ch in line:
        if ch == '"':
            quoted = not quoted
        elif not quoted:
            out.append(ch)
    return "".join(out)


def _sniff(text: str, path: Path) -> str:
    """The delimiter among comma, semicolon and tab: the one the header has most often outside
    quotes (``"Value, EUR";title`` is two columns); a tie is settled by the rows: the delimiter
    that gives every row as many cells as the header. A tie the rows do not settle is refused."""
    first = _outside_quotes(text.split("\n", 1)[0])
    counts = {d: first.count(d) for d in DELIMITERS}
    best = max(counts.values())
    tied = [d for d in DELIMITERS if counts[d] == best]
    if len(tied) == 1 or best == 0:
        return tied[0]
    fitting = []
    for d in tied:
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=d)
        try:
            width = len(next(reader))
            if all(len(row) == width for _, row in zip(range(_SAMPLE_ROWS), reader, strict=False) if row):
                fitting.append(d)
        except csv.Error:
            continue
    if len(fitting) == 1:
        return fitting[0]
    names = " or ".join({",": "comma", ";": "semicolon", "\t": "tab"}[d] for d in tied)
    raise PipeError(
        f"cannot tell whether the columns are separated by {names}; give --delimiter",
        path=path,
        line=1,
        exit_code=EXIT_USAGE,
    )


def read_csv(
    path: Path, data: bytes | None = None, *, delimiter: str | None = None, encoding: str | None = None
) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """The header and the rows of a CSV file, each row with the line it starts on.

    ``data`` is the file's content when it comes from elsewhere (standard input):
    ``path`` then only names it in messages. A row keeps every cell it has, more than
    the header's too: the caller says which rows have too many (``plan``).
    """
    if data is not None:
        raw = data
    else:
        try:
            raw = path.read_bytes()
        except FileNotFoundError:
            raise PipeError(f"{path}: no such file") from None
        except OSError as exc:
            raise PipeError(f"{path}: cannot read: {exc.strerror}") from None
    text = _decode(raw, path, encoding)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter or _sniff(text, path))
    try:
        header = next(reader)
    except StopIteration:
        raise PipeError("the file is empty; expected a header line and rows", path=path) from None
    except csv.Error as exc:
        raise PipeError(f"CSV: {exc}", path=path, line=1) from None
    header = [h.strip() for h in header]
    rows: list[tuple[int, list[str]]] = []
    start = reader.line_num + 1
    try:
        for row in reader:
            if any(cell.strip() for cell in row):
                # a cell spanning lines in a file saved on Windows: plain LF, as notes have
                rows.append((start, [c.replace("\r\n", "\n") if "\r" in c else c for c in row]))
            start = reader.line_num + 1
    except csv.Error as exc:
        raise PipeError(f"CSV: {exc}", path=path, line=start) from None
    return header, rows
