"""Tables that fit the screen: columns with priorities and minimum widths.

A table is a list of :class:`Column` and rows of cells. :func:`fit_table` lays
it out in the width it is given:

- ``width=None`` (output that is not a terminal: scripts, files, cron mail):
  every column, each cut at its ``max_width``.
- a width: columns are dropped, the highest ``priority`` number first (the
  rightmost of equals first; priority 0 is never dropped), until the rest fit
  at their ``min_width``; the room left is then shared out, the most shortened
  column first, so text is cut as little as it can be.
- ``wide=True`` (``--wide``): every column, nothing shortened.

Widths are display widths (Thai vowel marks take no column, CJK two), and text
is cut with an ellipsis, never through a character and its combining marks.
Colour, when asked for, wraps a cell's text after it is cut and padded, so it
never counts towards a width.

This module imports nothing but the standard library at first, and wcwidth when
there is text to measure (a command that prints no table never pays for it).
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .terminal import Screen, paint

GAP = 2  # spaces between two columns
Cell = str


@dataclass(frozen=True)
class Column:
    """One column of a table.

    ``key`` picks the value from a row and ``show`` turns it into text (else the
    value as text). ``max_width`` caps the text unless ``--wide``. ``priority``
    0 keeps the column on every screen; 1, 2, 3... are dropped on narrow screens,
    the highest number first. ``min_width`` is how narrow its text may be cut to
    make room (``None``: never cut; ids are copied from tables). ``style`` names
    the colour of a row's cell (``"stage"``, ``"won"``, ``"overdue"``...; see
    ``terminal.STYLES``), or None for none.
    """

    key: str
    header: str
    show: Callable[[Any], str] | None = None
    max_width: int | None = None
    align: str | None = None
    priority: int = 0
    min_width: int | None = None
    style: Callable[[Mapping[str, Any]], str | None] | None = None


# Below U+0300 (where the combining marks begin), every printable character takes one column:
# ASCII, and the Latin letters of Italian, Polish and the other European languages.
# tests/test_fit.py holds wcwidth to it for each of them.
FIRST_NOT_NARROW = "\u0300"


def narrow(text: str) -> bool:
    """Whether each character of ``text`` takes exactly one column (so its width is its length)."""
    return (text.isascii() or max(text) < FIRST_NOT_NARROW) and text.isprintable()


def display_width(text: str) -> int:
    """Columns a string takes on a terminal: Thai vowel marks take none, CJK two."""
    if narrow(text):
        return len(text)  # what wcwidth says of such text, without asking it per character
    from wcwidth import wcswidth, wcwidth

    width = wcswidth(text)
    if width >= 0:
        return width
    return sum(max(wcwidth(ch), 0) for ch in text)  # a control character: counted as nothing


def truncate(text: str, width: int | None, *, ascii_only: bool = False) -> str:
    """Cut ``text`` to at most ``width`` display columns, marking the cut with an ellipsis.

    A combining mark stays with the character it belongs to: the cut falls between
    whole characters as they show on the screen.
    """
    if width is None or display_width(text) <= width:
        return text
    if width <= 0:
        return ""
    from wcwidth import wcwidth

    out: list[str] = []
    used = 0
    for ch in text:
        w = max(wcwidth(ch), 0)
        if w and used + w > width - 1:
            break
        out.append(ch)
        used += w
    return "".join(out) + ("~" if ascii_only else "…")


def plan(columns: Sequence[Column], natural: Sequence[int], width: int | None) -> list[int | None]:
    """Each column's width on a screen ``width`` columns wide, or None for a dropped column.

    ``natural`` is each column's width when nothing is cut (already capped at
    ``max_width`` where that applies).
    """
    if width is None:
        return list(natural)
    least = [n if c.min_width is None else min(n, c.min_width) for c, n in zip(columns, natural, strict=True)]
    keep = list(range(len(columns)))

    def total(indexes: Sequence[int], widths: Sequence[int]) -> int:
        return sum(widths[i] for i in indexes) + GAP * max(0, len(indexes) - 1)

    while total(keep, least) > width:
        droppable = [i for i in keep if columns[i].priority > 0]
        if not droppable:
            break  # the essential columns alone do not fit: they still show, the lines overflow
        keep.remove(max(droppable, key=lambda i: (columns[i].priority, i)))
    widths = {i: least[i] for i in keep}
    spare = width - total(keep, least)
    while spare > 0:
        short = [i for i in keep if widths[i] < natural[i]]
        if not short:
            break
        i = max(short, key=lambda i: (natural[i] - widths[i], -i))
        widths[i] += 1
        spare -= 1
    return [widths.get(i) for i in range(len(columns))]


def fit(
    columns: Sequence[Column],
    cells: Sequence[Sequence[Cell]],
    screen: Screen | None = None,
    *,
    styles: Sequence[Sequence[str | None]] | None = None,
) -> str:
    """Lay out rows of text cells (a cell may hold several lines) under ``columns``:
    a header line, a rule of dashes, then the rows; no trailing spaces."""
    screen = screen or Screen()
    capped = [None if screen.wide else c.max_width for c in columns]
    # each cell's widest line, measured once; a row of narrow text (most rows: one line a
    # cell, a column a character) is measured by its lengths, the others line by line
    lines_of: dict[int, list[list[str]]] = {}  # rows that are not narrow: each cell's lines ...
    widths_of: dict[int, list[list[int]]] = {}  # ... and each line's display width
    widest: list[list[int]] = []  # per row, per column: the display width of its widest line
    for r, texts in enumerate(cells):
        if narrow("".join(texts)):
            widest.append(list(map(len, texts)))
        else:
            split = [text.split("\n") if "\n" in text else [text] for text in texts]
            measured = [[display_width(text) for text in parts] for parts in split]
            lines_of[r], widths_of[r] = split, measured
            widest.append(list(map(max, measured)))
    natural = []
    for j, c in enumerate(columns):
        longest = max(map(operator.itemgetter(j), widest), default=0)
        cap = capped[j]
        natural.append(max(display_width(c.header), longest if cap is None else min(longest, cap)))
    widths = plan(columns, natural, None if screen.wide else screen.width)
    shown = [j for j, w in enumerate(widths) if w is not None]
    ascii_only = not screen.unicode

    def line(parts: list[str]) -> str:
        return (" " * GAP).join(parts).rstrip()

    def cell(text: str, used: int, j: int) -> tuple[str, str, str]:
        """(left padding, text cut to fit, right padding) that make ``text`` (``used`` columns wide)
        exactly column ``j``'s width."""
        width = widths[j] or 0
        if used > width:
            text = truncate(text, width, ascii_only=ascii_only)
            used = display_width(text)
        room = width - used if width > used else 0
        align = columns[j].align
        if align == "right":
            return " " * room, text, ""
        if align == "center":
            return " " * (room // 2), text, " " * (room - room // 2)
        return "", text, " " * room

    out = [
        line(["".join(cell(columns[j].header, display_width(columns[j].header), j)) for j in shown]),
        line(["-" * (widths[j] or 0) for j in shown]),
    ]
    plain = styles is None and not screen.color
    # how a narrow cell that fits is padded, by str's own methods (its length is its width):
    # per shown column, its width and whether it aligns right (None: centred, padded by ``cell``)
    padding = [
        (j, widths[j] or 0, None if columns[j].align == "center" else columns[j].align == "right") for j in shown
    ]
    for r, texts in enumerate(cells):
        if plain and r not in lines_of:
            padded = []
            for j, width, to_right in padding:
                one = texts[j]
                if to_right is None or len(one) > width:  # centred, or cut
                    padded.append("".join(cell(one, len(one), j)))
                else:
                    padded.append(one.rjust(width) if to_right else one.ljust(width))
            out.append(line(padded))
            continue
        row = lines_of[r] if r in lines_of else [[text] for text in texts]
        measured = widths_of[r] if r in widths_of else [[len(text)] for text in texts]
        height = max((len(row[j]) for j in shown), default=1)
        for k in range(height):
            parts = []
            for j in shown:
                lines = row[j]
                text, used = (lines[k], measured[j][k]) if k < len(lines) else ("", 0)
                left, text, right = cell(text, used, j)
                if plain:
                    parts.append(left + text + right)
                else:
                    role = styles[r][j] if styles is not None else None
                    parts.append(left + paint(text, role, screen) + right)
            out.append(line(parts))
    return "\n".join(out) + "\n"


def cell_text(value: Any) -> str:
    """A row value as table text: nothing for None, a list comma separated."""
    if value is None:
        return ""
    if isinstance(value, (list, tuple)):
        return ", ".join(str(v) for v in value)
    return str(value)


def fit_table(rows: Sequence[Mapping[str, Any]], columns: Sequence[Column], screen: Screen | None = None) -> str:
    """Rows (mappings) as a table that fits ``screen``: each column's ``show`` (else the
    value as text) and ``style`` applied."""
    shows = [(c.key, c.show or cell_text) for c in columns]
    cells = [[show(row.get(key)) for key, show in shows] for row in rows]
    styles = None
    if screen is not None and screen.color and any(c.style for c in columns):
        styles = [[c.style(row) if c.style else None for c in columns] for row in rows]
    return fit(columns, cells, screen, styles=styles)
