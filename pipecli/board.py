"""The pipeline as a board: a column per ladder stage, a card per open deal.

A pure function of (deals, pipeline, a cut-off): nothing here reads files or prints;
``pipecli.render.board`` draws the result. Each card is the deal as it stood at the
cut-off (``snapshot``: the same replay the report reads), marked with what
``stale.assess`` (``stale.judge`` of its row) says of it, so a card is marked exactly when `pipe stale` lists the
deal at the same moment.

- Columns: the pipeline's stages in ladder order, each with its open deals, their
  count and their value per currency (never added across currencies). Open deals in
  a stage the pipeline does not have (`pipe check` reports them) get a column of
  their own after the ladder, so no deal is left off the board.
- Days in stage: since the deal last entered the stage it is in (its current stay).
- Order within a column (``--sort``): ``value``, the largest first, the pipeline's
  currency before the others (amounts in different currencies are not comparable, so
  each currency's deals stay together, in code order), deals without a value last;
  ``age``, the longest in the stage first. Ties by id.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from .models import Deal, Pipeline
from .query import Filters
from .snapshot import snapshot
from .stale import OVERDUE, AsOf, StaleDeal, assess
from .timeutil import days_between

SORTS = ("value", "age")


@dataclass(frozen=True)
class Card:
    """One open deal as the board shows it."""

    id: str
    title: str
    company: str | None
    value: Decimal | None
    currency: str
    owner: str | None
    days_in_stage: float
    stale: StaleDeal | None  # why `pipe stale` lists it, or None

    @property
    def overdue(self) -> bool:
        return self.stale is not None and self.stale.reason == OVERDUE


@dataclass
class BoardColumn:
    """One stage: its open deals as cards, in the board's order."""

    stage: str
    label: str
    on_ladder: bool = True
    cards: list[Card] = field(default_factory=list)

    @property
    def value(self) -> dict[str, Decimal]:
        """The cards' value per currency, in code order."""
        out: dict[str, Decimal] = {}
        for c in self.cards:
            if c.value is not None:
                out[c.currency] = out.get(c.currency, Decimal(0)) + c.value
        return dict(sorted(out.items()))


@dataclass(frozen=True)
class Board:
    when: AsOf
    pipeline: str
    columns: list[BoardColumn]

    @property
    def cards(self) -> list[Card]:
        return [c for col in self.columns for c in col.cards]


def sort_key(sort: str, currency: str) -> Callable[[Card], tuple[Any, ...]]:
    """The order of the cards of a column (see the module's docstring)."""
    if sort == "age":
        return lambda c: (-c.days_in_stage, c.id)
    if sort == "value":
        return lambda c: (
            c.value is None,
            c.currency != currency,
            c.currency,
            -(c.value or 0),
            c.id,
        )
    raise ValueError(f"sort must be one of {SORTS}")


def build_board(
    deals: Iterable[Deal],
    pipeline: Pipeline,
    when: AsOf,
    *,
    filters: Filters | None = None,
    sort: str = "value",
) -> Board:
    """The open deals at ``when.moment`` as cards in their stages' columns.

    ``filters`` (owner, source, tag) match each deal as it stood then.
    """
    key = sort_key(sort, pipeline.currency)
    columns = {s.id: BoardColumn(s.id, s.title) for s in pipeline.stages}
    extra: dict[str, BoardColumn] = {}
    for deal in deals:
        snap = snapshot(deal, pipeline, when.moment)
        if snap is None or snap.status != "open":
            continue
        if filters is not None and not filters.matches(snap):
            continue
        stay = snap.stays[-1] if snap.stays else None
        entered = stay.entered if stay is not None else snap.created
        past = snap.past
        card = Card(
            id=deal.id,
            title=past.title,
            company=past.company,
            value=snap.value,
            currency=snap.currency,
            owner=snap.owner,
            days_in_stage=max(0.0, days_between(entered, when.moment)),
            stale=assess(deal, pipeline, when),
        )
        column = columns.get(snap.stage)
        if column is None:
            column = extra.setdefault(snap.stage, BoardColumn(snap.stage, snap.stage, on_ladder=False))
        column.cards.append(card)
    ordered = list(columns.values()) + [extra[k] for k in sorted(extra)]
    for column in ordered:
        column.cards.sort(key=key)
    return Board(when=when, pipeline=pipeline.name, columns=ordered)
