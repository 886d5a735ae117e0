"""The pipeline as a board: a column per ladder stage, a card per open deal.

A pure function of (deals' rows, pipeline, a cut-off): nothing here reads files or
prints; ``pipecli.render.board`` draws the result. Each card is the deal as it stood at
the cut-off (its row, ``digest.row_at``: the same replay the report reads, which the
index keeps), marked with what ``stale.judge`` says of that row, so a card is marked
exactly when `pipe stale` lists the deal at the same moment.

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

from .digest import Row, days
from .models import Deal, Pipeline
from .query import Filters
from .stale import OVERDUE, AsOf, StaleDeal, judge, row_of

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
    return board_from_rows((row_of(d, pipeline, when) for d in deals), pipeline, when, filters=filters, sort=sort)


def board_from_rows(
    rows: Iterable[Row | None],
    pipeline: Pipeline,
    when: AsOf,
    *,
    filters: Filters | None = None,
    sort: str = "value",
) -> Board:
    """``build_board`` of the deals' rows at ``when.moment`` (``digest.row_at``; None: not yet
    created), as the index gives them, so that no file is read on a warm run."""
    key = sort_key(sort, pipeline.currency)
    columns = {s.id: BoardColumn(s.id, s.title) for s in pipeline.stages}
    extra: dict[str, BoardColumn] = {}
    for row in rows:
        if row is None or row.status != "open":
            continue
        if filters is not None and not filters.matches(row):
            continue
        card = Card(
            id=row.id,
            title=row.title,
            company=row.company,
            value=row.value,
            currency=row.currency or pipeline.currency,
            owner=row.owner,
            days_in_stage=max(0.0, days(row.entered, when.micros)),
            stale=judge(row, pipeline, when),
        )
        column = columns.get(row.stage)
        if column is None:
            column = extra.setdefault(row.stage, BoardColumn(row.stage, row.stage, on_ladder=False))
        column.cards.append(card)
    ordered = list(columns.values()) + [extra[k] for k in sorted(extra)]
    for column in ordered:
        column.cards.sort(key=key)
    return Board(when=when, pipeline=pipeline.name, columns=ordered)
