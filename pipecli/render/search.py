"""`pipe search`'s output: the deals found, and in each the texts that matched, in context.

For people (``table``) a block per deal: a line with its id, stage, status (unless open),
owner and title (cut to the room left), then a line per text that matched: the field, and a snippet of the text around
the match that fits the screen (the whole text with ``--wide``, and into a pipe or a
file unless ``COLUMNS`` is set, as tables keep every column there), the match highlighted in colour on a terminal (the
``match`` style of ``terminal.STYLES``). A note's snippet begins with its day.

For programs (json, jsonl, csv, tsv, yaml) and markdown, one row per matching text:
``MACHINE_KEYS``; ``match`` is the first matched text as written, ``snippet`` the text
around it (at most ``MACHINE_WIDTH`` characters).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from . import OutputFormat, markdown_table, render_rows
from .fit import Column, display_width, truncate
from .terminal import Screen, paint

MACHINE_KEYS = ("id", "title", "company", "stage", "status", "owner", "field", "at", "match", "snippet")
MACHINE_WIDTH = 80
LABEL_WIDTH = max(len(k) for k in ("contact_email", "contact_phone", "lost_reason"))

Result = tuple[Any, Sequence[Any]]  # (digest.Listed, [search.Hit])


def _width(ch: str) -> int:
    return display_width(ch)


def _snippet(hit: Any, width: int | None, ascii_only: bool) -> Any:
    from ..search import snippet

    if width is None:
        return snippet(hit, 1 << 30)
    return snippet(hit, width, _width, "~" if ascii_only else "…")


def _day(hit: Any) -> str:
    return f"{hit.item.at[:10]}: " if hit.item.at else ""


def rows(results: Sequence[Result], *, width: int | None = MACHINE_WIDTH) -> list[dict[str, Any]]:
    """One row per matching text (``MACHINE_KEYS``)."""
    out = []
    for deal, hits in results:
        for hit in hits:
            piece = _snippet(hit, width, False)
            out.append(
                {
                    "id": deal.id,
                    "title": deal.title,
                    "company": deal.company,
                    "stage": deal.stage,
                    "status": deal.status,
                    "owner": deal.owner,
                    "field": hit.item.field,
                    "at": hit.item.at,
                    "match": piece.matched(),
                    "snippet": piece.text,
                }
            )
    return out


def _markdown(results: Sequence[Result]) -> str:
    out = []
    for deal, hits in results:
        for hit in hits:
            piece = _snippet(hit, MACHINE_WIDTH, False)
            text = "".join(f"**{p}**" if on else p for p, on in piece.parts() if p)
            out.append({"id": deal.id, "title": deal.title, "field": hit.item.field, "snippet": _day(hit) + text})
    columns = [Column("id", "id"), Column("title", "title"), Column("field", "field"), Column("snippet", "snippet")]
    return markdown_table(out, columns)


def _block(deal: Any, hits: Sequence[Any], screen: Screen, width: int | None) -> list[str]:
    """A deal's heading (id, stage, status, owner, then its title in the room left) and a
    line per matching text."""
    ascii_only = not screen.unicode
    parts: list[tuple[str, str | None]] = [(deal.id, "heading"), (deal.stage, "stage")]
    if deal.status != "open":
        parts.append((deal.status, deal.status))
    if deal.owner:
        parts.append((deal.owner, None))
    used = sum(display_width(p) + 2 for p, _ in parts)
    title = deal.title if width is None else truncate(deal.title, width - used, ascii_only=ascii_only)
    head = [paint(p, style, screen) for p, style in parts]
    lines = ["  ".join([*head, title] if title else head)]
    for hit in hits:
        day = _day(hit)
        room = None if width is None else max(width - 4 - LABEL_WIDTH - display_width(day), 20)
        piece = _snippet(hit, room, ascii_only)
        text = "".join(paint(p, "match", screen) if on else p for p, on in piece.parts())
        lines.append(f"  {hit.item.field:<{LABEL_WIDTH}}  {day}{text}".rstrip())
    return lines


def render(results: Sequence[Result], fmt: OutputFormat, screen: Screen | None = None) -> str:
    """The search's results in ``fmt``; an empty result is nothing for people, ``[]`` in
    JSON and a header line in CSV."""
    screen = screen or Screen()
    if fmt is OutputFormat.table:
        width = None if screen.wide else screen.width
        blocks = ["\n".join(_block(deal, hits, screen, width)) for deal, hits in results]
        return "\n\n".join(blocks) + "\n" if blocks else ""
    if fmt is OutputFormat.markdown:
        return _markdown(results) if results else ""
    columns = [Column(k, k) for k in MACHINE_KEYS]
    return render_rows(rows(results), columns, fmt, machine_keys=MACHINE_KEYS)
