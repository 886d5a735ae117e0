"""The timeline of a pipeline (``pipe log``): every move, status change, field change and
note across deals, newest first, read from the deal files' own histories (no git needed).

An entry's place: its time; at equal times, later in its deal's file first (a deal's
notes after its history entries), and deals by id.

:func:`newest` gives the same entries as :func:`timeline` over every deal, reading only
the deals that can hold them: no entry of a deal is newer than the index row's
``settled`` (its creation, history and notes), so the deals are read newest ``settled``
first, and no further once the entries shown are all newer than the next deal's.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from .digest import micros
from .query import Filters

if TYPE_CHECKING:
    from .digest import Row
    from .models import Deal

NOTE = "note"
"""The event of a note in the timeline (history entries keep theirs: created, moved, won ...)."""
KEYS = ("at", "deal", "title", "owner", "event", "field", "from", "to", "reason", "text", "by")
"""The keys of an entry in the machine formats of ``pipe log``, in order."""


@dataclass(frozen=True)
class Entry:
    """One line of the timeline: a history entry or a note of a deal."""

    at: datetime
    deal: str
    title: str
    owner: str | None
    event: str  # created, moved, won, lost, reopened, changed, or note
    seq: int  # its place in the deal's file: history entries first, then notes
    field: str | None = None
    from_: Any = None
    to: Any = None
    reason: str | None = None
    text: str | None = None  # a note's text
    by: str | None = None

    def row(self) -> dict[str, Any]:
        """The entry as a row of ``KEYS``."""
        return {
            "at": self.at,
            "deal": self.deal,
            "title": self.title,
            "owner": self.owner,
            "event": self.event,
            "field": self.field,
            "from": self.from_,
            "to": self.to,
            "reason": self.reason,
            "text": self.text,
            "by": self.by,
        }


@dataclass(frozen=True)
class LogSpec:
    """Which entries ``pipe log`` shows; None means any."""

    deal: str | None = None  # one deal's id
    since: datetime | None = None  # entries at or after it
    until: datetime | None = None  # entries before it (the end of --as-of's day)
    owner: str | None = None  # deals of this owner (as `pipe list --owner`)
    by: str | None = None  # entries this person made (any case)


def entries_of(deal: Deal) -> list[Entry]:
    """Every entry of one deal, in file order: its history (or the one it implies), then its notes."""
    out = [
        Entry(
            h.at,
            deal.id,
            deal.title,
            deal.owner,
            h.event,
            i,
            field=h.field,
            from_=h.from_,
            to=h.to,
            reason=h.reason,
            by=h.by,
        )
        for i, h in enumerate(deal.timeline())
    ]
    base = len(out)
    out += [
        Entry(n.at, deal.id, deal.title, deal.owner, NOTE, base + i, text=n.text, by=n.by)
        for i, n in enumerate(deal.notes)
    ]
    return out


def timeline(deals: Iterable[Deal], spec: LogSpec) -> list[Entry]:
    """The entries of these deals that ``spec`` selects, newest first."""
    owner = Filters(status=None, owner=spec.owner)
    who = spec.by.casefold() if spec.by is not None else None
    out: list[Entry] = []
    for deal in deals:
        if spec.deal is not None and deal.id != spec.deal:
            continue
        if spec.owner is not None and not owner.matches(deal):
            continue
        for e in entries_of(deal):
            if spec.since is not None and e.at < spec.since:
                continue
            if spec.until is not None and e.at >= spec.until:
                continue
            if who is not None and (e.by or "").casefold() != who:
                continue
            out.append(e)
    # newest first; at equal times deals by id, and a deal's later entry first
    out.sort(key=lambda e: e.seq, reverse=True)
    out.sort(key=lambda e: e.deal)
    out.sort(key=lambda e: e.at, reverse=True)
    return out


def reading_order(rows: Sequence[Row], spec: LogSpec) -> list[tuple[int, int]]:
    """``(bound, position)`` of each row whose deal can hold an entry ``spec`` selects, the
    highest bound first: the bound is the newest such an entry can be (micros), its deal's
    ``settled`` time, before the end of --as-of's day."""
    owner = Filters(status=None, owner=spec.owner)
    since = micros(spec.since) if spec.since is not None else None
    last = micros(spec.until) - 1 if spec.until is not None else None  # entries before ``until``
    out = []
    for pos, row in enumerate(rows):
        if spec.deal is not None and row.id != spec.deal:
            continue
        if spec.owner is not None and not owner.matches(row):
            continue
        bound = row.settled if last is None or row.settled < last else last
        if since is not None and bound < since:
            continue
        out.append((bound, pos))
    out.sort(reverse=True)
    return out


def newest(
    rows: Sequence[Row], spec: LogSpec, limit: int | None, read: Callable[[list[int]], Iterable[Deal]]
) -> list[Entry]:
    """``timeline(deals, spec)[:limit]`` over the deals of ``rows`` (the index's), reading
    only deals that can hold one of those entries: ``read(positions)`` gives the deals of
    those rows. Deals are read in ``reading_order``, ``limit`` of them first and twice as
    many each time after, until the ``limit`` newest entries read are all newer than the
    bound of the next deal, which none of its entries passes."""
    order = reading_order(rows, spec)
    if limit is None:
        return timeline(read([pos for _, pos in order]), spec)
    deals: list[Deal] = []
    done, batch = 0, limit
    out: list[Entry] = []
    while done < len(order):
        part = order[done : done + batch]
        deals += read([pos for _, pos in part])
        done += len(part)
        out = timeline(deals, spec)
        if len(out) >= limit and done < len(order) and micros(out[limit - 1].at) > order[done][0]:
            break
        batch *= 2
    return out[:limit]
