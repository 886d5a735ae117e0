"""Finding deals by their text: folding, matching and snippets (``pipe search``).

Pure functions over given texts; ``pipecli.textindex`` keeps the folded texts of every
deal file in ``.pipe/`` and ``cli/search.py`` is the command.

**Folding** (:func:`fold`) makes the text and the query comparable, one character at a
time, so that a position in the folded text maps back to the text shown:

1. the text is put in Unicode's composed form (NFC), which also puts the marks on a
   letter in one order, however they were typed;
2. case is folded (``str.casefold``: ``ß`` is ``ss``, ``Σ`` and ``ς`` are ``σ``);
3. each character is decomposed (NFKD: ``è`` is ``e`` and a grave accent, ``ﬁ`` is
   ``fi``, a full-width ``Ａ`` is ``A``) and the marks of the Combining Diacritical
   Marks blocks (``MARKS``: the accents of Latin, Greek and Cyrillic letters) are
   removed. The vowel and tone marks of Thai (and the marks of other scripts) are
   kept: in Thai they are part of the word, and ``ก่า`` is not ``กา``;
4. letters that have no decomposition are spelt as their base letters (``LETTERS``:
   ``ł`` is ``l``, ``ø`` is ``o``, ``đ`` and ``ð`` are ``d``, ``æ`` is ``ae``, ``œ`` is
   ``oe``, ``þ`` is ``th``, ``ı`` is ``i`` ...);
5. control characters and every kind of space are a space, and a run of spaces is one.

Steps 2 to 5 are repeated on a character until it no longer changes (a case fold can
bring a mark). ``FOLD_VERSION`` names these rules in ``.pipe/search``.

The query is folded the same way, so accents never matter in either direction: ``caffe``,
``Caffè`` and ``CAFFÉ`` all find both "Caffè" and "Caffe"; ``zazolc`` and ``Zażółć`` find
"Zażółć". Scripts without case (Thai) are matched as written, marks included.

**Queries** (:func:`parse_query`): the words of the query, each of which must be found
somewhere in the deal (in any of its searched fields: AND), as part of a word (``ross``
finds "Rossi"). A part in double quotes is one term, spaces included (``"revised
offer"``). A term that is a number of three digits or more, written with spaces,
dashes, dots, brackets, slashes or a plus (``+48 600-123-456``, ``(02) 1234``), is also
found in a phone number whose digits contain its digits, however either is spaced.
"""

from __future__ import annotations

import bisect
import functools
import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

MARKS: tuple[tuple[int, int], ...] = (
    (0x0300, 0x036F),  # Combining Diacritical Marks
    (0x1AB0, 0x1AFF),  # Combining Diacritical Marks Extended
    (0x1DC0, 0x1DFF),  # Combining Diacritical Marks Supplement
    (0x20D0, 0x20FF),  # Combining Diacritical Marks for Symbols
    (0xFE20, 0xFE2F),  # Combining Half Marks
)
"""The marks folding removes: accents, never the vowel or tone marks of a script."""

LETTERS: dict[str, str] = {
    "ł": "l",
    "ø": "o",
    "đ": "d",
    "ð": "d",
    "ħ": "h",
    "ŧ": "t",
    "ı": "i",
    "ĸ": "k",
    "ŋ": "n",
    "æ": "ae",
    "œ": "oe",
    "þ": "th",
    "ƒ": "f",
    "ɫ": "l",
    "ƀ": "b",
    "ɨ": "i",
}
"""Letters with no Unicode decomposition, spelt as their base letters (after case folding)."""

FOLD_VERSION = 1
"""Raised when what ``fold`` gives changes: texts folded before are folded again."""

SEPARATOR = "\x1f"
"""Between two texts of one deal in its folded haystack: folding never produces it, so no
term is found across two fields."""

PHONE_FIELD = "contact_phone"
_PHONE_TERM = re.compile(r"\+?[\d\s().\-/]*\d[\d\s().\-/]*")
_NOT_DIGIT = re.compile(r"\D+")


def _is_mark(ch: str) -> bool:
    o = ord(ch)
    return any(lo <= o <= hi for lo, hi in MARKS)


def _step(text: str) -> str:
    out = []
    for ch in unicodedata.normalize("NFKD", text.casefold()):
        if _is_mark(ch):
            continue
        if unicodedata.category(ch) in ("Cc", "Zs", "Zl", "Zp"):
            out.append(" ")
            continue
        out.append(LETTERS.get(ch, ch))
    return "".join(out)


@functools.lru_cache(maxsize=65536)
def fold_char(ch: str) -> str:
    """One character folded (steps 2 to 5 above, but for the runs of spaces): zero, one or more characters."""
    out = ch
    for _ in range(4):  # till it no longer changes: a case fold may bring a mark, a decomposition a capital
        again = _step(out)
        if again == out:
            break
        out = again
    return out


def fold(text: str) -> str:
    """``text`` folded for comparison (see the module's docstring); a run of spaces is one."""
    if text.isascii():
        out = text.lower().translate(_ASCII_SPACES)
    else:
        out = "".join(map(fold_char, unicodedata.normalize("NFC", text)))
    return _SPACES.sub(" ", out) if "  " in out else out


_ASCII_SPACES = str.maketrans({i: " " for i in (*range(32), 127)})
_SPACES = re.compile(" {2,}")


def folded_spans(text: str) -> tuple[str, str, list[int]]:
    """``(shown, folded, starts)``: the text as shown (NFC), folded (``fold``), and where in
    the folded text each shown character begins (one more at the end: the folded length)."""
    if text.isascii():
        out = text.lower().translate(_ASCII_SPACES)
        if "  " not in out:  # one character for one: positions are the same
            return text, out, list(range(len(text) + 1))
    shown = unicodedata.normalize("NFC", text)
    starts = [0]
    pieces: list[str] = []
    after_space = False
    for ch in shown:
        piece = fold_char(ch)
        if " " in piece:
            piece = _SPACES.sub(" ", piece)
            if after_space and piece.startswith(" "):
                piece = piece[1:]
        if piece:
            after_space = piece.endswith(" ")
        pieces.append(piece)
        starts.append(starts[-1] + len(piece))
    return shown, "".join(pieces), starts


# -- queries --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Term:
    """One term of a query: its folded text, and the digits of a number (for phones)."""

    text: str
    folded: str
    digits: str | None = None


def _term(text: str) -> Term | None:
    folded = " ".join(fold(text).split())
    if not folded:
        return None
    digits = None
    if _PHONE_TERM.fullmatch(text.strip()):
        digits = _NOT_DIGIT.sub("", text)
        digits = digits if len(digits) >= 3 else None  # a date's day, a count: only as written
    return Term(text, folded, digits)


def parse_query(text: str) -> list[Term]:
    """The terms of a query: its words, and each part in double quotes as one term (an
    unclosed quote runs to the end); every term must be found (AND). Duplicates count once."""
    terms: list[Term] = []
    for i, part in enumerate(text.split('"')):
        pieces = [part] if i % 2 else part.split()
        for piece in pieces:
            term = _term(piece)
            if term is not None and term.folded not in {t.folded for t in terms}:
                terms.append(term)
    return terms


# -- what a deal offers to search ----------------------------------------------------------------
@dataclass(frozen=True)
class Item:
    """One searched text of a deal: the field it is in (a column name: ``contact_email``),
    the time of a note (ISO text) and the text."""

    field: str
    text: str
    at: str | None = None


def deal_items(deal: Any, fields: Sequence[str]) -> list[Item]:
    """The texts of ``deal`` in ``fields`` (dotted names: ``contact.name``; the list is
    ``models.SEARCHABLE_FIELDS``): a list (tags, notes) gives one item per element; a next
    step or a note its text (a note with its time)."""
    out: list[Item] = []
    for name in fields:
        value: Any = deal
        for part in name.split("."):
            value = getattr(value, part, None) if value is not None else None
        label = name.replace(".", "_")
        for v in value if isinstance(value, (list, tuple)) else [value]:
            if v is None:
                continue
            if isinstance(v, str):
                out.append(Item(label, v))
                continue
            text = getattr(v, "text", None)
            if isinstance(text, str):
                at = getattr(v, "at", None)
                out.append(Item(label, text, at.isoformat() if at is not None else None))
    return out


def haystack(items: Iterable[Item], folded: Sequence[str] | None = None) -> str:
    """The folded texts of a deal (``folded``, when they are at hand), one after another
    with ``SEPARATOR`` between them; a phone also as its digits alone."""
    parts = []
    for n, item in enumerate(items):
        parts.append(fold(item.text) if folded is None else folded[n])
        if item.field == PHONE_FIELD:
            parts.append(_NOT_DIGIT.sub("", item.text))
    return SEPARATOR.join(parts)


def term_in(term: Term, folded: str) -> bool:
    """Whether ``term`` is found in a folded text (a haystack)."""
    return term.folded in folded or bool(term.digits and term.digits in folded)


# -- what matched, in context ---------------------------------------------------------------------
@dataclass(frozen=True)
class Hit:
    """A searched text of a deal in which a term was found: the text as shown, and each
    place a term was found in it (start, end: positions in ``shown``)."""

    item: Item
    shown: str
    spans: tuple[tuple[int, int], ...]


def _digit_spans(shown: str, digits: str) -> list[tuple[int, int]]:
    positions = [i for i, ch in enumerate(shown) if ch.isdigit() and ch.isascii()]
    joined = "".join(shown[i] for i in positions)
    out = []
    at = joined.find(digits)
    while at >= 0 and digits:
        out.append((positions[at], positions[at + len(digits) - 1] + 1))
        at = joined.find(digits, at + len(digits))
    return out


def find(item: Item, terms: Sequence[Term], folded: str | None = None) -> Hit | None:
    """Where the terms are found in one text, or None when none is (``folded``: the text
    folded, when it is at hand: a text in which no term is found is not mapped)."""
    if folded is not None and not any(
        t.folded in folded or (t.digits and t.digits in _NOT_DIGIT.sub("", item.text)) for t in terms
    ):
        return None
    shown, folded, starts = folded_spans(item.text)
    spans: list[tuple[int, int]] = []
    for term in terms:
        needle = term.folded
        at = folded.find(needle)
        while at >= 0:
            end = at + len(needle)
            # the shown characters whose folded pieces hold the match
            spans.append((bisect.bisect_right(starts, at) - 1, min(bisect.bisect_left(starts, end), len(shown))))
            at = folded.find(needle, end)
        if term.digits:
            spans.extend(_digit_spans(shown, term.digits))
    if not spans:
        return None
    return Hit(item, shown, tuple(_merge(spans)))


def _merge(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if out and start <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], end))
        else:
            out.append((start, end))
    return out


def matches(items: Sequence[Item], terms: Sequence[Term]) -> list[Hit] | None:
    """The texts of a deal in which a term is found, when every term is found in one of
    them (AND); None when some term is found nowhere."""
    folded = [fold(item.text) for item in items]
    whole = haystack(items, folded)
    if not terms or not all(term_in(t, whole) for t in terms):
        return None
    return [h for h in (find(item, terms, f) for item, f in zip(items, folded, strict=True)) if h is not None]


@dataclass(frozen=True)
class Snippet:
    """A piece of a text around what matched: the text (an ellipsis where it was cut, line
    ends as spaces) and the places of the matches in it."""

    text: str
    marks: tuple[tuple[int, int], ...]

    def parts(self) -> list[tuple[str, bool]]:
        """The text in pieces, each with whether it is a match."""
        out: list[tuple[str, bool]] = []
        at = 0
        for start, end in self.marks:
            if start > at:
                out.append((self.text[at:start], False))
            out.append((self.text[start:end], True))
            at = end
        if at < len(self.text):
            out.append((self.text[at:], False))
        return out

    def matched(self) -> str:
        """The first match's text."""
        return self.text[self.marks[0][0] : self.marks[0][1]] if self.marks else ""


def _flat(text: str) -> str:
    return "".join(" " if unicodedata.category(ch) in ("Cc", "Zl", "Zp") else ch for ch in text)


def _mark(ch: str) -> bool:
    return unicodedata.category(ch) in ("Mn", "Mc", "Me")


def snippet(hit: Hit, width: int = 60, measure: Callable[[str], int] = len, ellipsis: str = "…") -> Snippet:
    """The part of ``hit``'s text around its first match that takes at most ``width``
    columns (``measure``: a character's width), about a third of the room before the
    match; an ellipsis marks each cut, which never parts a letter from its marks. Every
    match inside the piece is marked."""
    text = _flat(hit.shown)
    w = [max(measure(ch), 0) for ch in text]
    if sum(w) <= width:
        return Snippet(text, hit.spans)
    first, last = hit.spans[0]
    room = max(width - 2 * measure(ellipsis), 1)
    start, end = first, first
    used = 0
    while end < last and used + w[end] <= room:  # the match itself, cut when it is wider than the room
        used += w[end]
        end += 1
    before = (room - used) // 3
    while start > 0 and w[start - 1] <= before:
        start -= 1
        before -= w[start]
        used += w[start]
    while end < len(text) and used + w[end] <= room:
        used += w[end]
        end += 1
    while start > 0 and used + w[start - 1] <= room:  # room left at the end goes before the match
        start -= 1
        used += w[start]
    while start < first and _mark(text[start]):
        start += 1
    while first < end < len(text) and _mark(text[end]):
        end -= 1
    head = ellipsis if start > 0 else ""
    tail = ellipsis if end < len(text) else ""
    shift = len(head) - start
    marks = tuple((max(s, start) + shift, min(e, end) + shift) for s, e in hit.spans if s < end and e > start)
    return Snippet(head + text[start:end] + tail, marks)
