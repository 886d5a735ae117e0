"""Building deals with real histories for report tests, through the same actions the CLI uses."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

from pipecli import actions
from pipecli.models import Deal, Pipeline

CET = timezone(timedelta(hours=1))  # Europe/Warsaw in March before the clocks change
BASE = datetime(2026, 3, 2, 10, 0, tzinfo=CET)  # a Monday

PIPE = Pipeline.model_validate(
    {
        "currency": "EUR",
        "stages": [
            {"id": "a", "probability": 0.1},
            {"id": "b", "probability": 0.3},
            {"id": "c", "probability": 0.5},
            {"id": "d", "probability": 0.8},
        ],
    }
)


def t(day: float) -> datetime:
    """``day`` days after the base time (2026-03-02 10:00 +01:00)."""
    return BASE + timedelta(days=day)


def d(day: int) -> date:
    """The calendar date ``day`` days after 2026-03-02."""
    return date(2026, 3, 2) + timedelta(days=day)


def build(
    deal_id: str,
    steps: list[tuple[float, str]],
    *,
    pipeline: Pipeline = PIPE,
    value: str | None = "1000",
    currency: str = "EUR",
    **fields: Any,
) -> Deal:
    """A deal created at ``steps[0]`` in its stage, then each step in turn.

    A step is (day, op): a stage id moves there; ``won``; ``lost:REASON``;
    ``reopen`` or ``reopen:STAGE``; ``set:FIELD=VALUE``.
    """
    day0, stage0 = steps[0]
    deal = actions.new_deal(
        pipeline,
        deal_id=deal_id,
        title=deal_id,
        at=t(day0),
        stage=stage0,
        value=Decimal(value) if value is not None else None,
        currency=currency,
        **fields,
    )
    for day, op in steps[1:]:
        deal = apply(deal, pipeline, day, op)
    return deal


def apply(deal: Deal, pipeline: Pipeline, day: float, op: str) -> Deal:
    at = t(day)
    if op == "won":
        return actions.won(deal, at)
    if op.startswith("lost"):
        return actions.lost(deal, at, op.partition(":")[2] or "no reason")
    if op.startswith("reopen"):
        return actions.reopen(deal, pipeline, at, op.partition(":")[2] or None)
    if op.startswith("set:"):
        name, _, raw = op[4:].partition("=")
        return actions.set_fields(deal, at, [(name, raw)])
    return actions.move(deal, pipeline, op, at)
