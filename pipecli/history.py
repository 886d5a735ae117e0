"""A deal's history replayed: the one walk that says which stage a deal was in, from when to when.

Every figure that depends on where a deal was (its stage and status at a cut-off, the
report's funnel and time in stage, export's stage columns and ``stage_changes`` table,
``pipe check``'s "the history ends in") reads the result of :func:`replay`. The rules:

* Entries are taken in time order (a hand-edited file may have them out of order; the
  order of equal times is the file's).
* The deal starts at its creation in its first stage: the ``to`` of its first ``created``
  entry, else the ``from`` of its first ``moved`` entry, else the stage the file names.
* ``created`` (after the first), ``moved`` and ``reopened`` entries with a ``to`` put
  the deal in that stage; ``won`` and ``lost`` close it; ``reopened`` opens it again (in
  its ``to``, else in the stage it was in).
* A **stay** is a stretch of time an *open* deal spent in one stage: it begins when the
  deal is created, enters a stage or is reopened, and ends when it enters another stage
  (or the same one again), is won or lost, or is reopened while open (a hand edit). While
  a deal is won or lost it is in no stage. The last stay of an open deal lasts (``left``
  is None). So stays never overlap and, with the closed stretches between them, cover
  the time from creation to the cut-off.
* An entry dated before the deal's creation (``pipe check`` reports it) counts, for the
  stays, as made at the creation.

Nothing here reads files or knows the pipeline's ladder: callers add that.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol

if TYPE_CHECKING:
    from .models import Status

STAGE_EVENTS = ("created", "moved", "won", "lost", "reopened")
"""History events that set a deal's stage or status (the rest, ``changed``, set fields)."""


class HistoryEntry(Protocol):
    """What the replay reads of a history entry (a ``models.HistoryEntry``, or a digest's)."""

    @property
    def at(self) -> datetime: ...

    @property
    def event(self) -> str: ...

    @property
    def to(self) -> Any: ...

    @property
    def from_(self) -> Any: ...

    @property
    def reason(self) -> str | None: ...

    @property
    def by(self) -> str | None: ...


class Stay(NamedTuple):
    """A stretch of time an open deal spent in one stage."""

    stage: str
    entered: datetime
    left: datetime | None  # None while it lasts (at the cut-off of the replay)
    entered_by: str  # the event that began it: created, moved or reopened
    left_by: str | None  # the event that ended it: moved, won, lost (created or reopened in hand edits)

    def days(self, until: datetime) -> float:
        """Its length in days (elapsed time), up to ``until`` when it still lasts."""
        end = self.left if self.left is not None else until
        return (end - self.entered).total_seconds() / 86400


class Entrance(NamedTuple):
    """The deal came into ``stage`` at ``at``: its creation, or a created, moved or reopened entry."""

    at: datetime
    stage: str
    how: str  # created, moved or reopened


class Step(NamedTuple):
    """One history entry that sets the stage or the status, as the replay read it."""

    seq: int  # the entry's position in the deal's history as written
    entry: HistoryEntry
    from_stage: str | None  # of a move: the entry's ``from``, else the stage the deal was in
    to_stage: str | None
    status: Status  # the deal's status after the entry


class Replay(NamedTuple):
    """What a deal's history says, up to a cut-off."""

    stage: str  # the stage at the cut-off (for a closed deal: the one it was closed in)
    status: Status
    stays: tuple[Stay, ...]
    entrances: tuple[Entrance, ...]  # every time it came into a stage, the creation first
    steps: tuple[Step, ...]  # the stage and status entries, in time order
    won_at: datetime | None  # the last win
    closed_at: datetime | None  # when it was won or lost, when it is closed at the cut-off
    lost_reason: str | None  # the reason given with the last loss
    in_order: bool  # the history as written is in time order


class HasHistory(Protocol):
    """What the replay reads of a deal (a ``models.Deal``)."""

    @property
    def created(self) -> datetime: ...

    @property
    def stage(self) -> str: ...

    def timeline(self) -> Sequence[HistoryEntry]: ...


def first_stage(entries: Sequence[HistoryEntry], fallback: str) -> str:
    """The stage a deal was created in: its first ``created`` entry's ``to``, else its first
    move's ``from``, else ``fallback`` (the stage its file names)."""
    for h in entries:
        if h.event == "created" and h.to is not None:
            return str(h.to)
        if h.event == "moved" and h.from_ is not None:
            return str(h.from_)
    return fallback


def in_time_order(entries: Sequence[HistoryEntry]) -> bool:
    previous: datetime | None = None
    for h in entries:
        if previous is not None and h.at < previous:
            return False
        previous = h.at
    return True


def replay(deal: HasHistory, until: datetime | None = None, *, detail: bool = True) -> Replay:
    """Walk the deal's history (``deal.timeline()``) up to ``until``, exclusive (None: all of it).

    ``detail=False`` skips collecting ``stays``, ``entrances`` and ``steps`` (left empty)
    for callers that only need where the deal ended: the same walk, cheaper.
    """
    written = deal.timeline()
    in_order = in_time_order(written)
    seqs: Sequence[int] = range(len(written))
    entries = written
    if not in_order:
        seqs = sorted(seqs, key=lambda i: written[i].at)
        entries = [written[i] for i in seqs]
    created = deal.created
    stage = first_stage(entries, deal.stage)
    status: Status = "open"
    start, start_by = created, "created"
    stays: list[Stay] = []
    entrances = [Entrance(created, stage, "created")] if detail else []
    steps: list[Step] = []
    won_at: datetime | None = None
    closed_at: datetime | None = None
    lost_reason: str | None = None
    first = True  # no stage or status entry read yet
    for seq, h in zip(seqs, entries, strict=False):
        if until is not None and h.at >= until:
            break
        event = h.event
        if event == "changed":
            continue
        at = h.at if h.at > created else created
        to = None if h.to is None else str(h.to)
        # of a move: the entry's ``from``, else the stage the deal was in
        from_stage = (stage if h.from_ is None else str(h.from_)) if event == "moved" else None
        if event == "created" or event == "moved" or event == "reopened":
            if event == "created" and first:
                # the first entry names the first stage: the stay from the creation goes on
                if to is not None:
                    stage = to
                    if detail:
                        entrances[0] = Entrance(created, stage, "created")
            elif to is not None or event == "reopened":
                if detail and status == "open":
                    stays.append(Stay(stage, start, at, start_by, event))
                if to is not None:
                    stage = to
                start, start_by = at, event
                if event == "reopened":
                    status = "open"
                    closed_at = None
                if detail:
                    entrances.append(Entrance(h.at, stage, event))
        else:  # won or lost
            if detail and status == "open":
                stays.append(Stay(stage, start, at, start_by, event))
            status = "won" if event == "won" else "lost"
            closed_at = h.at
            if event == "won":
                won_at = h.at
            else:
                lost_reason = h.reason
        if detail:
            steps.append(Step(seq, h, from_stage, to, status))
        first = False
    if detail and status == "open":
        stays.append(Stay(stage, start, None, start_by, None))
    return Replay(
        stage=stage,
        status=status,
        stays=tuple(stays),
        entrances=tuple(entrances),
        steps=tuple(steps),
        won_at=won_at,
        closed_at=closed_at,
        lost_reason=lost_reason,
        in_order=in_order,
    )


def state_at(deal: HasHistory, cutoff: datetime) -> tuple[str, Status] | None:
    """(stage, status) as of just before ``cutoff``; None when the deal was created later."""
    if deal.created >= cutoff:
        return None
    r = replay(deal, cutoff, detail=False)
    return r.stage, r.status


def last_entrance(deal: HasHistory, stage: str, how: Sequence[str] = ("moved",)) -> datetime | None:
    """When the deal last came into ``stage`` by one of ``how`` (default: a move); None if never.

    For ``import --update``: the date a row gives for entering the deal's stage
    (``last_entrance(fresh, fresh.stage)``).
    """
    for e in reversed(replay(deal).entrances):
        if e.stage == stage and e.how in how:
            return e.at
    return None
