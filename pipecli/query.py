"""Selecting and ordering deals: the filters every listing, report and export shares."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from .errors import usage_error
from .models import LISTED_COLUMNS, Deal, Pipeline

if TYPE_CHECKING:
    from .digest import Listed

D = TypeVar("D", "Deal", "Listed")  # a deal, or what the index keeps of one (digest.Listed)


class Matchable(Protocol):
    """What filters read of a deal: a Deal, or the report's snapshot of one at a cut-off."""

    @property
    def stage(self) -> str: ...

    @property
    def status(self) -> str: ...

    @property
    def owner(self) -> str | None: ...

    @property
    def source(self) -> str | None: ...

    @property
    def tags(self) -> Sequence[str]: ...


SORT_KEYS = ("id", "title", "company", "stage", "status", "value", "owner", "created", "close_date", "activity", "due")


@dataclass(frozen=True)
class Filters:
    """Which deals to include. ``None`` means any."""

    stages: tuple[str, ...] = ()
    status: str | None = "open"  # open | won | lost | None (all)
    owner: str | None = None
    source: str | None = None
    tag: str | None = None

    def matches(self, deal: Matchable) -> bool:
        if self.stages and deal.stage not in self.stages:
            return False
        if self.status is not None and deal.status != self.status:
            return False
        if self.owner is not None and (deal.owner or "").casefold() != self.owner.casefold():
            return False
        if self.source is not None and (deal.source or "").casefold() != self.source.casefold():
            return False
        return not (self.tag is not None and self.tag.casefold() not in {t.casefold() for t in deal.tags})

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if v not in (None, ())}


def select(deals: Iterable[Deal], filters: Filters) -> list[Deal]:
    return [d for d in deals if filters.matches(d)]


def sort_deals(deals: list[D], key: str, pipeline: Pipeline) -> list[D]:
    """Sort by a key; a leading '-' reverses. Empty values sort last either way."""
    reverse = key.startswith("-")
    name = key.lstrip("-")
    if name not in SORT_KEYS:
        raise usage_error(f"--sort {key!r}: sort by one of {', '.join(SORT_KEYS)} (prefix - to reverse)")

    def value(d: D) -> Any:
        if name == "stage":
            return pipeline.index(d.stage)
        if name == "activity":
            return d.last_activity()
        if name == "due":
            return d.next_step.due if d.next_step and d.next_step.due else None
        v = getattr(d, name)
        return v.casefold() if isinstance(v, str) else v

    present = [d for d in deals if value(d) is not None]
    missing = [d for d in deals if value(d) is None]
    present.sort(key=lambda d: (value(d), d.id), reverse=reverse)
    return present + missing


# What `pipe list` says of a deal's state now, after its fields (``stale.list_marks``): whole days
# in its stage, why `pipe stale` lists it (or null), how many days its next step is overdue (or null).
STATE_KEYS = ("days_in_stage", "stale", "overdue_days")
# The columns of a listing's machine formats (json, csv, yaml), in order: deal_row's keys
# (the fields marked ``listed`` in pipecli.models; see pipecli.fields), then STATE_KEYS.
ROW_KEYS = (*LISTED_COLUMNS, *STATE_KEYS)


def deal_row(deal: Deal | Listed, pipeline: Pipeline) -> dict[str, Any]:
    """One deal as a flat row for listings (every field a column)."""
    contact = deal.contact
    return {
        "id": deal.id,
        "title": deal.title,
        "company": deal.company,
        "stage": deal.stage,
        "status": deal.status,
        "value": deal.value,
        "currency": deal.currency or pipeline.currency,
        "probability": deal.probability,
        "owner": deal.owner,
        "source": deal.source,
        "tags": list(deal.tags),
        "contact_name": contact.name if contact else None,
        "contact_email": contact.email if contact else None,
        "contact_phone": contact.phone if contact else None,
        "created": deal.created,
        "close_date": deal.close_date,
        "lost_reason": deal.lost_reason,
        "next_step": deal.next_step.text if deal.next_step else None,
        "next_due": deal.next_step.due if deal.next_step else None,
        "last_activity": deal.last_activity(),
    }


def days_ago(when: datetime, now: datetime) -> int:
    return max(0, (now - when).days)
