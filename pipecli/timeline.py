"""The timeline of a pipeline (``pipe log``): every move, status change, field change and
note across deals, newest first, read from the deal files' own histories (no git needed).

An entry's place: its time; at equal times, later in its deal's file first (a deal's
notes after its history entries), and deals by id.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from .models import Deal
from .query import Filters

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
