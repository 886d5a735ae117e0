"""Hypothesis strategies for random deals and pipelines: commands applied in random order,
and hand-written files (no history, history out of order, recorded values the model refuses)."""

from __future__ import annotations

import contextlib
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

from hypothesis import strategies as st

from pipecli import actions
from pipecli.errors import PipeError
from pipecli.models import Deal, Pipeline

PIPELINE = Pipeline.model_validate(
    {
        "name": "Prop",
        "currency": "EUR",
        "stale_after": "10d",
        "stages": [
            {"id": "lead", "stale_after": "3d"},
            {"id": "qualified", "probability": 0.3},
            {"id": "proposal", "probability": 0.6, "stale_after": "5d"},
            {"id": "closing"},
        ],
    }
)
STAGES = [*PIPELINE.stage_ids, "gone"]  # "gone": a stage the pipeline no longer has
ZONES = [timezone.utc, timezone(timedelta(hours=1)), timezone(timedelta(hours=-5)), timezone(timedelta(hours=7))]
T0 = datetime(2026, 1, 5, 9, 0, tzinfo=timezone(timedelta(hours=1)))
OWNERS = ["anna", "Anna", "bartek", "Łucja", None]
TAGS = ["smb", "SMB", "eu", "ไทย"]

operation = st.one_of(
    st.tuples(st.just("move"), st.sampled_from(PIPELINE.stage_ids)),
    st.tuples(st.just("won"), st.sampled_from([None, "1200", "99.5"])),
    st.tuples(st.just("lost"), st.sampled_from(["price", "timing", " ghosted "])),
    st.tuples(st.just("reopen"), st.sampled_from([None, *PIPELINE.stage_ids])),
    st.tuples(st.just("note"), st.just("called")),
    st.tuples(st.just("next"), st.sampled_from([None, "send offer"]), st.integers(-5, 20)),
    st.tuples(st.just("snooze"), st.integers(-3, 12)),
    st.tuples(st.just("value"), st.sampled_from(["", "0", "100", "2500.50", "99999"])),
    st.tuples(st.just("owner"), st.sampled_from(OWNERS)),
    st.tuples(st.just("currency"), st.sampled_from(["", "PLN", "usd", "THB"])),
    st.tuples(st.just("close_date"), st.sampled_from(["", "2026-02-01", "2026-03-15", "2026-12-31"])),
    st.tuples(st.just("tags"), st.sampled_from(["", "smb", "eu,SMB", "ไทย"])),
    st.tuples(st.just("probability"), st.sampled_from(["", "0.1", "0.9"])),
)


def apply_op(deal: Deal, op: tuple[Any, ...], at: datetime) -> Deal:
    """One of ``ops`` done to ``deal`` at ``at`` by pipe's own actions."""
    kind = op[0]
    if kind == "move":
        return actions.move(deal, PIPELINE, op[1], at)
    if kind == "won":
        return actions.won(deal, at, actions.parse_money(op[1]))
    if kind == "lost":
        return actions.lost(deal, at, op[1])
    if kind == "reopen":
        return actions.reopen(deal, PIPELINE, at, op[1])
    if kind == "note":
        return actions.add_note(deal, at, op[1])
    if kind == "next":
        return actions.set_next_step(deal, at, op[1], (at + timedelta(days=op[2])).date() if op[1] else None)
    if kind == "snooze":
        until = (at + timedelta(days=op[1])).date() if op[1] > 0 else None
        return actions.set_snooze(deal, at, until, "away" if until else None)
    return actions.set_fields(deal, at, [(kind, op[1] or "")])


@st.composite
def command_deals(draw: st.DrawFn, deal_id: str = "deal") -> Deal:
    """A deal built by pipe's own commands, in random order, at random times (several offsets)."""
    zone = draw(st.sampled_from(ZONES))
    at = (T0 + timedelta(hours=draw(st.integers(0, 24 * 60)))).astimezone(zone)
    deal = actions.new_deal(
        PIPELINE,
        deal_id=deal_id,
        title=draw(st.sampled_from(["Acme", "Zażółć gęślą jaźń", "ร้านกาแฟ", "Caffè"])),
        at=at,
        stage=draw(st.sampled_from(PIPELINE.stage_ids[:2])),
        value=draw(st.sampled_from([None, Decimal(500), Decimal("1234.56")])),
        currency=draw(st.sampled_from([None, "PLN", "USD"])),
        owner=draw(st.sampled_from(OWNERS)),
        source=draw(st.sampled_from(["web", "Web", None])),
        tags=draw(st.lists(st.sampled_from(TAGS), max_size=2)),
        close_date=draw(st.sampled_from([None, date(2026, 2, 20), date(2026, 4, 1)])),
        probability=draw(st.sampled_from([None, 0.5])),
    )
    for op in draw(st.lists(operation, max_size=12)):
        at = at + timedelta(minutes=draw(st.integers(0, 60 * 24 * 9)))
        with contextlib.suppress(PipeError):
            deal = apply_op(deal, op, at.astimezone(draw(st.sampled_from(ZONES))))
    return deal


@st.composite
def hand_written_deals(draw: st.DrawFn, deal_id: str = "hand") -> Deal:
    """A deal edited by hand: its history shuffled, cut, or with recorded values the model
    refuses; or no history at all, open, won or lost."""
    deal = draw(command_deals(deal_id))
    data = deal.model_dump(by_alias=True)
    how = draw(st.sampled_from(["shuffle", "drop", "bad-from", "no-history", "stage-disagrees"]))
    history = data["history"]
    if how == "shuffle" and len(history) > 1:
        history[:] = draw(st.permutations(history))
    elif how == "drop" and history:
        del history[draw(st.integers(0, len(history) - 1))]
    elif how == "bad-from":
        history.append(
            {
                "at": deal.last_activity() + timedelta(hours=1),
                "event": "changed",
                "field": draw(st.sampled_from(["value", "close_date", "tags", "next_step", "probability", "owner"])),
                "from": draw(st.sampled_from(["not a number", -5, {"text": 3}, [1, 2], "2026-13-45", 7])),
                "to": None,
            }
        )
    elif how == "no-history":
        data["history"] = []
        data["status"] = draw(st.sampled_from(["open", "won", "lost"]))
        data["lost_reason"] = "price" if data["status"] == "lost" else None
    else:
        data["stage"] = draw(st.sampled_from(STAGES))
    return Deal.model_validate(data)


def deals_with_ids(n_max: int = 8) -> st.SearchStrategy[list[Deal]]:
    """A few deals with distinct ids, some by commands and some by hand."""

    @st.composite
    def build(draw: st.DrawFn) -> list[Deal]:
        n = draw(st.integers(1, n_max))
        return [
            draw(st.one_of(command_deals(f"d{i:02d}"), hand_written_deals(f"d{i:02d}")))  # type: ignore[arg-type]
            for i in range(n)
        ]

    return build()


cutoffs = st.integers(-24, 24 * 130).map(lambda h: T0 + timedelta(hours=h))
