"""The report's stale figures are `pipe stale`'s list, counted: for random pipelines, deals and days."""

from __future__ import annotations

import contextlib
import json
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from pipecli import actions
from pipecli.errors import PipeError
from pipecli.models import Deal, Pipeline
from pipecli.render import OutputFormat
from pipecli.render import stale as render_stale
from pipecli.render.report import report_data
from pipecli.report import ReportSpec, build_report
from pipecli.stale import AsOf, find_stale
from pipecli.timeutil import end_of_day

UTC = timezone.utc
START = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
FIRST_DAY = START.date()
ZONES = [None, "Europe/Warsaw", "Asia/Bangkok", "America/New_York"]


@st.composite
def pipelines(draw: st.DrawFn) -> Pipeline:
    n = draw(st.integers(1, 4))
    limits = st.one_of(st.none(), st.sampled_from(["12h", "36h", "2d", "5d", "1w"]))
    return Pipeline.model_validate(
        {
            "currency": draw(st.sampled_from(["EUR", "PLN"])),
            "timezone": draw(st.sampled_from(ZONES)),
            "stale_after": draw(st.sampled_from(["3d", "7d"])),
            "stages": [{"id": f"s{i}", "stale_after": draw(limits)} for i in range(n)],
        }
    )


OP = st.sampled_from(["move", "won", "lost", "reopen", "note", "next", "next-undated", "snooze", "set"])


@st.composite
def deals_in(draw: st.DrawFn, pipeline: Pipeline) -> list[Deal]:
    out = []
    stages = pipeline.stage_ids
    for i in range(draw(st.integers(0, 8))):
        at = START + timedelta(hours=draw(st.integers(0, 24 * 10)))
        deal = actions.new_deal(
            pipeline,
            deal_id=f"d{i}",
            title=f"Deal {i}",
            at=at,
            stage=draw(st.sampled_from(stages)),
            value=draw(st.one_of(st.none(), st.integers(0, 5000).map(Decimal))),
            currency=draw(st.sampled_from(["EUR", "PLN", None])),
            owner=draw(st.sampled_from(["anna", "Anna", "bob", None])),
        )
        for op in draw(st.lists(OP, max_size=6)):
            at += timedelta(hours=draw(st.integers(0, 72)))
            day = at.date()
            with contextlib.suppress(PipeError):
                if op == "move":
                    deal = actions.move(deal, pipeline, draw(st.sampled_from(stages)), at)
                elif op == "won":
                    deal = actions.won(deal, at)
                elif op == "lost":
                    deal = actions.lost(deal, at, "price")
                elif op == "reopen":
                    deal = actions.reopen(deal, pipeline, at)
                elif op == "note":
                    deal = actions.add_note(deal, at, "called")
                elif op == "next":
                    due = day + timedelta(days=draw(st.integers(-2, 10)))
                    deal = actions.set_next_step(deal, at, "Send offer", due)
                elif op == "next-undated":
                    deal = actions.set_next_step(deal, at, "Think", None)
                elif op == "snooze":
                    until = day + timedelta(days=draw(st.integers(1, 10)))
                    deal = actions.set_snooze(deal, at, until, "holiday")
                else:
                    deal = actions.set_fields(deal, at, [("owner", draw(st.sampled_from(["anna", "bob", ""])))])
        out.append(deal)
    return out


@st.composite
def cases(draw: st.DrawFn) -> tuple[Pipeline, list[Deal], date]:
    pipeline = draw(pipelines())
    return pipeline, draw(deals_in(pipeline)), FIRST_DAY + timedelta(days=draw(st.integers(-1, 30)))


def listed(deals: list[Deal], pipeline: Pipeline, day: date, owner: str | None = None) -> list[dict[str, Any]]:
    """What `pipe stale --as-of DAY [--owner O] --format json` prints, as data."""
    from pipecli.query import Filters

    cut = AsOf(end_of_day(day, pipeline.zone), day)
    items = find_stale(deals, pipeline, cut, filters=Filters(status="open", owner=owner))
    text = render_stale.listing(items, OutputFormat.json)
    return json.loads(text) if text else []


def figures(rows: list[dict[str, Any]]) -> dict[str, Any]:
    value: dict[str, Decimal] = {}
    for row in rows:
        if row["value"] is not None:
            value[row["currency"]] = value.get(row["currency"], Decimal(0)) + Decimal(str(row["value"]))
    return {
        "stale": len(rows),
        "stale_value": {c: float(v) if v != v.to_integral_value() else int(v) for c, v in sorted(value.items())},
        "overdue_next_steps": sum(1 for row in rows if row["reason"] == "overdue"),
    }


def stale_part(totals: dict[str, Any]) -> dict[str, Any]:
    return {k: totals[k] for k in ("stale", "stale_value", "overdue_next_steps")}


@settings(max_examples=200, deadline=None)
@given(cases(), st.booleans())
def test_report_stale_totals_are_the_stale_list_counted(case, strict: bool) -> None:
    pipeline, deals, day = case
    data = report_data(build_report(deals, pipeline, ReportSpec(as_of=day, by="owner", strict=strict)))
    assert stale_part(data["totals"]) == figures(listed(deals, pipeline, day))
    for group in data["groups"]:
        if group["key"] is not None:  # `pipe stale --owner` picks one owner, ignoring case
            assert stale_part(group["totals"]) == figures(listed(deals, pipeline, day, owner=group["key"])), group
    keyed = sum(g["totals"]["stale"] for g in data["groups"])
    assert keyed == data["totals"]["stale"]  # every deal has one owner (or none): the groups add up
