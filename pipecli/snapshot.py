"""One deal as it stood at a cut-off, with what its history implies: what every report figure reads.

``snapshot`` replays the deal's history once (``pipecli.history``) and takes its
field values back to the cut-off (``Deal.as_of``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from . import history
from .history import Stay
from .models import Deal, Pipeline, Status


@dataclass(frozen=True)
class Snapshot:
    """A deal as it stood just before the cut-off, with what its history implies."""

    deal: Deal
    past: Deal  # the deal file as it stood then (Deal.as_of)
    stage: str
    status: Status
    value: Decimal | None
    currency: str
    probability: float | None
    owner: str | None
    source: str | None
    tags: tuple[str, ...]
    close_date: date | None
    lost_reason: str | None
    created: datetime
    won_at: datetime | None
    stays: tuple[Stay, ...]
    entered: frozenset[int]  # ladder positions of every stage it ever entered
    back_moves: int

    @property
    def id(self) -> str:
        return self.deal.id

    def furthest(self) -> int:
        """Ladder position of the furthest stage ever entered; -1 when none is on the ladder."""
        return max(self.entered, default=-1)

    def ordered_furthest(self) -> int:
        """For the strict funnel: the last stage of the unbroken run from the first stage."""
        k = -1
        while k + 1 in self.entered:
            k += 1
        return k


def snapshot(deal: Deal, pipeline: Pipeline, cutoff: datetime) -> Snapshot | None:
    """The deal as it stood just before ``cutoff``; None if it did not exist yet."""
    if deal.created >= cutoff:
        return None
    walk = history.replay(deal, cutoff)
    past = deal.as_of(cutoff, (walk.stage, walk.status)) or deal  # field values as they were at the cut-off
    positions = {s.id: i for i, s in enumerate(pipeline.stages)}
    entered = {positions.get(e.stage, -1) for e in walk.entrances}
    entered.discard(-1)
    back_moves = sum(
        1
        for step in walk.steps
        if step.entry.event == "moved"
        and step.to_stage is not None
        and 0 <= positions.get(step.to_stage, -1) < positions.get(step.from_stage or "", -1)
    )
    stays, won_at, lost_reason = walk.stays, walk.won_at, walk.lost_reason
    if not deal.history and walk.status != "open":
        # a hand-written file with no history says it is closed, not when: its time in
        # stage and its sales cycle are unknown, not zero
        stays, won_at = (), None
        if walk.status == "lost":
            lost_reason = deal.lost_reason
    return Snapshot(
        deal=deal,
        past=past,
        stage=walk.stage,
        status=walk.status,
        value=past.value,
        currency=past.currency or pipeline.currency,
        probability=past.probability,
        owner=past.owner,
        source=past.source,
        tags=tuple(past.tags),
        close_date=past.close_date,
        lost_reason=lost_reason,
        created=deal.created,
        won_at=won_at,
        stays=stays,
        entered=frozenset(entered),
        back_moves=back_moves,
    )
