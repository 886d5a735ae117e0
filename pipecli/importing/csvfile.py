"""Reading the CSV file: its header and its rows, each with the line it starts on."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from ..errors import PipeError


def read_csv(path: Path, data: bytes | None = None) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """The header and the rows of a CSV file, each row with the line it starts on.

    UTF-8 (a byte-order mark is fine); the delimiter is sniffed among , ; and tab.
    ``data`` is the file's content when it comes from elsewhere (standard input):
    ``path`` then only names it in messages.
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
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise PipeError(
            "not UTF-8 text; save the file as CSV UTF-8 (e.g. iconv -f cp1252 -t utf-8)", path=path, line=line
        ) from None
    first = text.split("\n", 1)[0]
    delimiter = max((",", ";", "\t"), key=first.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
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
