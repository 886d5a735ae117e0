"""The board as text: a column per stage, a card per open deal, fitted to a width.

:func:`render_board` draws a :class:`pipecli.board.Board`:

- A column is headed by the stage's name, its deal count and its value per
  currency (one line each), then a rule; under it the cards, each in a box:
  title, company, value, owner and days in the stage, and a marker line for a
  stale deal (``! stale 12d``: idle that long) or an overdue next step
  (``! overdue 3d``). On a screen that takes colour the marker and the card's
  border are coloured too (``terminal.STYLES``: ``stale``, ``overdue``).
- Width: as many columns side by side as fit at ``MIN_OUTER`` columns each;
  when the stages do not all fit, they wrap into rows of columns, as evenly as
  the rows allow (5 stages at 80 columns: 3, then 2), each column as wide as the
  row leaves (at most ``MAX_OUTER``). Every line fits; text is cut with an
  ellipsis, never broken over lines. Without a width (output that is not a
  terminal, and no ``COLUMNS``), every stage is in one row, each column as wide
  as its text needs (up to ``MAX_OUTER``).
- Widths are display widths (``fit.display_width``): a Thai title's vowel marks
  take no column, a CJK character two; colour never counts.
- Box characters when the screen can carry them (``Screen.unicode``), else plain
  ASCII (``+-|``, ``~`` for the ellipsis).
- Control characters in a deal's text are shown as ``?`` (tabs and line breaks as
  a space): a file's bytes never move the cursor or colour the terminal.
"""

from __future__ import annotations

import math
import unicodedata
from dataclasses import dataclass
from datetime import timedelta

from ..board import Board, BoardColumn, Card
from ..stale import OVERDUE
from . import money
from .fit import display_width, truncate
from .terminal import Screen, paint

GAP = 2  # spaces between two columns
PAD = 4  # a card's border and the space inside it, both sides
MIN_OUTER = 20  # the narrowest column: a card's text gets 16 columns
MAX_OUTER = 36  # the widest


@dataclass(frozen=True)
class Glyphs:
    top_left: str
    top_right: str
    bottom_left: str
    bottom_right: str
    across: str
    down: str
    rule: str


BOX = Glyphs("┌", "┐", "└", "┘", "─", "│", "━")
ASCII = Glyphs("+", "+", "+", "+", "-", "|", "=")

Segment = tuple[str, str | None]  # text and its style
Line = list[Segment]


def clean(text: str) -> str:
    """A deal's text for a terminal: control characters as ``?``, tabs and line breaks as a space."""
    if text.isprintable():
        return text
    return "".join(" " if ch in "\t\n\r" else ("?" if unicodedata.category(ch) == "Cc" else ch) for ch in text)


def _days(days: float) -> str:
    return f"{int(days)}d"


def _idle(idle: timedelta) -> str:
    """Whole days, or whole hours under two days (as `pipe stale` shows idle time)."""
    if idle >= timedelta(days=2):
        return f"{idle // timedelta(days=1)}d"
    return f"{idle // timedelta(hours=1)}h"


def marker(card: Card) -> tuple[str, str] | None:
    """The marker line of a stale card and its style, or None."""
    item = card.stale
    if item is None:
        return None
    if item.reason == OVERDUE:
        return f"! overdue {item.overdue_days}d", "overdue"
    return f"! stale {_idle(item.idle)}", "stale"


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _label(column: BoardColumn) -> str:
    return clean(column.label) if column.on_ladder else f"{clean(column.stage)} (unknown stage)"


def _card_texts(card: Card) -> list[str]:
    """A card's lines of text, before they are cut to its width (the owner line is laid out apart)."""
    lines = [clean(card.title)]
    if card.company:
        lines.append(clean(card.company))
    if card.value is not None:
        lines.append(money(card.value, card.currency))
    return lines


def _owner(card: Card) -> str:
    return clean(card.owner) if card.owner else "no owner"


def natural_inner(board: Board) -> int:
    """The width a card's text needs when nothing is cut (before the caps)."""
    widths = [0]
    for column in board.columns:
        count = _plural(len(column.cards), "deal")
        widths.append(display_width(_label(column)) + 1 + len(count) - PAD)
        widths += [len(money(v, c)) - PAD for c, v in column.value.items()]
        for card in column.cards:
            widths += [display_width(t) for t in _card_texts(card)]
            widths.append(display_width(_owner(card)) + 1 + len(_days(card.days_in_stage)))
            mark = marker(card)
            if mark:
                widths.append(len(mark[0]))
    return max(widths)


@dataclass(frozen=True)
class Layout:
    per_row: int  # columns side by side
    outer: int  # each column's width, border included


def layout(columns: int, width: int | None, natural: int) -> Layout:
    """How many columns go in a row, and how wide each is, on a screen ``width`` wide (None: unbounded)."""
    columns = max(1, columns)
    if width is None:
        return Layout(columns, min(max(natural + PAD, MIN_OUTER), MAX_OUTER))
    fit = max(1, (width + GAP) // (MIN_OUTER + GAP))
    rows = math.ceil(columns / fit)
    per_row = math.ceil(columns / rows)
    outer = min(MAX_OUTER, (width - GAP * (per_row - 1)) // per_row)
    return Layout(per_row, max(outer, PAD + 4))  # narrower than one column: the lines overflow


class _Draw:
    def __init__(self, screen: Screen, outer: int) -> None:
        self.screen = screen
        self.outer = outer
        self.inner = outer - PAD
        self.ascii = not screen.unicode
        self.g = ASCII if self.ascii else BOX

    def cut(self, text: str, width: int) -> str:
        return truncate(text, width, ascii_only=self.ascii)

    def padded(self, text: str, width: int) -> str:
        return text + " " * max(0, width - display_width(text))

    def header(self, column: BoardColumn) -> list[Line]:
        count = _plural(len(column.cards), "deal")
        label = self.cut(_label(column), max(1, self.outer - len(count) - 1))
        room = self.outer - display_width(label) - len(count)
        lines: list[Line] = [[(label, "stage"), (" " * max(1, room) + count, None)]]
        for currency, amount in column.value.items():
            lines.append([(self.padded(self.cut(money(amount, currency), self.outer), self.outer), None)])
        return lines

    def rule(self) -> Line:
        return [(self.g.rule * self.outer, None)]

    def card(self, card: Card) -> list[Line]:
        mark = marker(card)
        border = mark[1] if mark else None
        g = self.g
        across = g.across * (self.outer - 2)
        out: list[Line] = [[(g.top_left + across + g.top_right, border)]]

        def content(text: str, style: str | None = None) -> None:
            shown = self.cut(text, self.inner)
            out.append(
                [
                    (g.down, border),
                    (" ", None),
                    (shown, style),
                    (" " * (self.inner - display_width(shown)) + " ", None),
                    (g.down, border),
                ]
            )

        for text in _card_texts(card):
            content(text)
        days = _days(card.days_in_stage)
        owner = self.cut(_owner(card), max(1, self.inner - len(days) - 1))
        content(owner + " " * max(1, self.inner - display_width(owner) - len(days)) + days)
        if mark:
            content(mark[0], mark[1])
        out.append([(g.bottom_left + across + g.bottom_right, border)])
        return out

    def empty(self) -> list[Line]:
        return [[(self.padded("no open deals", self.outer), None)]]

    def text(self, line: Line) -> str:
        return "".join(paint(text, style, self.screen) for text, style in line)


def render_board(board: Board, screen: Screen | None = None, width: int | None = None) -> str:
    """The board as lines no wider than ``width`` (default: the screen's; None: as wide as the text needs)."""
    screen = screen or Screen()
    if width is None and not screen.wide:
        width = screen.width
    columns = board.columns
    shape = layout(len(columns), width, natural_inner(board))
    draw = _Draw(screen, shape.outer)
    cards = board.cards
    stale = sum(1 for c in cards if c.stale is not None)
    overdue = sum(1 for c in cards if c.overdue)
    top = (
        f"{clean(board.pipeline)} as of {board.when.day.isoformat()}: {_plural(len(cards), 'open deal')}, "
        f"{stale} stale, {overdue} overdue"
    )
    out = [draw.cut(top, width) if width else top]
    blank: Line = [(" " * shape.outer, None)]
    for start in range(0, len(columns), shape.per_row):
        row = columns[start : start + shape.per_row]
        heads = [draw.header(c) for c in row]
        tall = max(len(h) for h in heads)
        blocks = []
        for column, head in zip(row, heads, strict=True):
            block = head + [blank] * (tall - len(head)) + [draw.rule()]
            if column.cards:
                for card in column.cards:
                    block += draw.card(card)
            else:
                block += draw.empty()
            blocks.append(block)
        out.append("")
        for i in range(max(len(b) for b in blocks)):
            parts = [draw.text(b[i] if i < len(b) else blank) for b in blocks]
            out.append((" " * GAP).join(parts).rstrip())
    return "\n".join(out) + "\n"
