"""Updating a deal imported before with what its row says now (pure).

``update_deal`` brings an existing deal in line with the deal the row would
make, through the usual actions (set, move, won, lost, reopen), so the change
is recorded in the history and the creation and past entries stay as they are.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from .. import actions
from ..history import last_entrance
from ..models import Deal, Pipeline
from .fields import CONTACT_KEYS, ENTERED, EXTRA, PLAIN_FIELDS


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return ",".join(value)
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return str(value)


def update_deal(
    old: Deal,
    fresh: Deal,
    mapped: set[str],
    pipeline: Pipeline,
    at: datetime,
    *,
    close_dated: bool = True,
    stage_named: bool = True,
) -> Deal:
    """``old`` changed to agree with the row's ``fresh`` deal, through the usual actions.

    Only mapped fields change; stage and status changes are recorded at the row's
    dates when they are not before the deal's last entry, else at ``at``. Creation
    and past history are never rewritten. ``close_dated``: the row gives the date of
    its close (``closed_at`` or ``close_date``); without one a win or loss is dated at ``at``.
    ``stage_named``: the row names a stage or gives stage dates; without, the stage is kept
    (a HubSpot "Closed Won" is won where the deal was).
    """
    deal = old

    def when(t: datetime | None) -> datetime:
        last = deal.last_activity()
        candidate = t if t is not None else at
        return candidate if candidate >= last else max(at, last)

    status_mapped = "status" in mapped or any(m.startswith(ENTERED) for m in mapped) or "stage" in mapped
    if status_mapped:
        close_entry = fresh.history[-1] if fresh.status != "open" and close_dated else None
        entered_at = last_entrance(fresh, fresh.stage)
        if deal.status != "open" and fresh.status != deal.status:
            deal = actions.reopen(deal, pipeline, when(None), fresh.stage if stage_named else None)
        if deal.status == "open" and stage_named and fresh.stage != deal.stage:
            deal = actions.move(deal, pipeline, fresh.stage, when(entered_at))
        if deal.status == "open" and fresh.status == "won":
            deal = actions.won(deal, when(close_entry.at if close_entry else None))
        elif deal.status == "open" and fresh.status == "lost":
            deal = actions.lost(deal, when(close_entry.at if close_entry else None), fresh.lost_reason or "")
    pairs: list[tuple[str, str]] = []
    own: list[tuple[str, str]] = []
    for name in PLAIN_FIELDS:
        if name in mapped and getattr(fresh, name) != getattr(deal, name):
            pairs.append((name, _text(getattr(fresh, name))))
    for key in CONTACT_KEYS:
        if f"contact.{key}" in mapped:
            new = getattr(fresh.contact, key) if fresh.contact else None
            cur = getattr(deal.contact, key) if deal.contact else None
            if new != cur:
                pairs.append((f"contact.{key}", new or ""))
    for name in mapped:
        if name.startswith(EXTRA):
            key = name[len(EXTRA) :]
            new = (fresh.model_extra or {}).get(key)
            if new != (deal.model_extra or {}).get(key):
                own.append((key, _text(new)))
    if pairs or own:
        deal = actions.set_fields(deal, when(None), pairs, own)
    if "next_step" in mapped and fresh.next_step != deal.next_step:
        deal = actions.set_next_step(
            deal,
            when(None),
            fresh.next_step.text if fresh.next_step else None,
            fresh.next_step.due if fresh.next_step else None,
        )
    return deal
