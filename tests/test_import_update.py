"""The pure core of `pipe import --update`: a row merged into a deal imported before (``update_deal``)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

import pytest
from transfer_helpers import WARSAW

from pipecli import actions
from pipecli.errors import PipeError
from pipecli.importing.convert import Importer, build_deal
from pipecli.importing.mapping import Options, parse_pairs, resolve
from pipecli.importing.update import update_deal
from pipecli.models import DEFAULT_STAGES, Deal, Pipeline

PIPELINE = Pipeline.model_validate({"stages": DEFAULT_STAGES, "currency": "EUR"})
HEADER = "Nr,Name,Amount,Owner,Mail,Region,Stage,Status,Created,Meeting,Closed,Next"
MAPS = (
    "external_id=Nr",
    "title=Name",
    "value=Amount",
    "owner=Owner",
    "contact.email=Mail",
    "extra.region=Region",
    "stage=Stage",
    "status=Status",
    "created=Created",
    "entered.meeting=Meeting",
    "closed_at=Closed",
    "next_step=Next",
)
FIRST = {
    "Nr": "7",
    "Name": "Nordwind",
    "Amount": "1000",
    "Owner": "Anna",
    "Mail": "jens@nordwind.de",
    "Region": "Nord",
    "Stage": "qualified",
    "Status": "open",
    "Created": "2024-03-01",
    "Meeting": "",
    "Closed": "",
    "Next": "",
}
AT = datetime(2024, 6, 1, 12, 0, tzinfo=WARSAW)  # --at of the update


def local(m: int, d: int, hh: int = 0) -> datetime:
    return datetime(2024, m, d, hh, tzinfo=WARSAW)


def deal_of(importer: Importer, cells: dict[str, str]) -> Deal:
    row = [cells[h] for h in HEADER.split(",")]
    return build_deal(importer.convert(row), "nordwind-7")


def merge(old: Deal, **changed: str) -> tuple[Deal, Deal]:
    """``update_deal`` as `pipe import --update` calls it, for a row like FIRST with changes."""
    imp = Importer(resolve(HEADER.split(","), Options(maps=tuple(parse_pairs(MAPS, "--map"))), PIPELINE), PIPELINE)
    cells = {**FIRST, **changed}
    row = [cells[h] for h in HEADER.split(",")]
    fresh = deal_of(imp, cells)
    dated = bool(cells["Closed"])
    new = update_deal(
        old, fresh, set(imp.cmap.sources), PIPELINE, AT, close_dated=dated, stage_named=imp.names_stage(row)
    )
    return fresh, new


def imported(**changed: str) -> Deal:
    imp = Importer(resolve(HEADER.split(","), Options(maps=tuple(parse_pairs(MAPS, "--map"))), PIPELINE), PIPELINE)
    return deal_of(imp, {**FIRST, **changed})


def added(deal: Deal, old: Deal) -> list[tuple[Any, ...]]:
    """The history entries the update appended: (event, field or from, to, at)."""
    assert deal.history[: len(old.history)] == old.history  # the past is never rewritten
    return [(h.event, h.field or h.from_, h.to, h.at) for h in deal.history[len(old.history) :]]


def test_a_row_that_changes_nothing_leaves_the_deal_equal() -> None:
    old = imported()
    _, new = merge(old)
    assert new == old


def test_changed_fields_are_set_at_the_update_and_recorded() -> None:
    old = imported()
    _, new = merge(old, Name="Nordwind GmbH", Amount="1,500", Mail="jv@nordwind.de", Region="Süd", Owner="")
    assert (new.title, new.value, new.contact and new.contact.email) == (
        "Nordwind GmbH",
        Decimal(1500),
        "jv@nordwind.de",
    )
    assert (new.owner, (new.model_extra or {})["region"]) == (None, "Süd")
    assert added(new, old) == [
        ("changed", "title", "Nordwind GmbH", AT),
        ("changed", "value", 1500, AT),
        ("changed", "owner", None, AT),
        ("changed", "contact.email", "jv@nordwind.de", AT),
        ("changed", "region", "Süd", AT),
    ]
    assert (new.created, new.stage, new.status) == (old.created, old.stage, old.status)


def test_a_key_of_your_own_the_deal_lacks_is_added_by_the_update() -> None:
    old = imported(Region="")
    assert "region" not in (old.model_extra or {})
    _, new = merge(old, Region="Süd")
    assert (new.model_extra or {})["region"] == "Süd"
    assert added(new, old) == [("changed", "region", "Süd", AT)]


def test_fields_the_mapping_does_not_fill_are_left_alone() -> None:
    old = actions.set_fields(imported(), local(3, 2), [("source", "fair"), ("company", "Nordwind GmbH")])
    old = actions.add_note(old, local(3, 3), "called; wants a demo")
    _, new = merge(old, Amount="2000")
    assert (new.source, new.company, [n.text for n in new.notes]) == ("fair", "Nordwind GmbH", ["called; wants a demo"])
    assert added(new, old) == [("changed", "value", 2000, AT)]


def test_a_move_is_dated_at_the_rows_stage_date() -> None:
    old = imported()
    _, new = merge(old, Stage="meeting", Meeting="2024-04-15")
    assert new.stage == "meeting"
    assert added(new, old) == [("moved", "qualified", "meeting", local(4, 15))]


def test_a_move_without_a_stage_date_is_dated_at_the_update() -> None:
    old = imported()
    _, new = merge(old, Stage="proposal")
    assert added(new, old) == [("moved", "qualified", "proposal", AT)]


def test_a_stage_date_before_the_deals_last_entry_gives_way_to_the_update() -> None:
    old = actions.add_note(imported(), local(5, 1), "late note")
    old = actions.set_fields(old, local(5, 2), [("source", "fair")])
    _, new = merge(old, Stage="meeting", Meeting="2024-04-15")
    assert added(new, old) == [("moved", "qualified", "meeting", AT)]


def test_an_update_dated_before_the_last_entry_is_dated_at_that_entry() -> None:
    last = datetime(2024, 7, 1, 9, 0, tzinfo=WARSAW)  # after AT
    old = actions.set_fields(imported(), last, [("source", "fair")])
    _, new = merge(old, Amount="3000")
    assert added(new, old) == [("changed", "value", 3000, last)]


def test_a_win_is_dated_at_the_rows_close_or_at_the_update() -> None:
    old = imported()
    _, new = merge(old, Status="won", Closed="2024-05-20")
    assert (new.status, new.stage) == ("won", "qualified")
    assert added(new, old) == [("won", None, "qualified", local(5, 20))]
    _, undated = merge(old, Status="won")
    assert added(undated, old) == [("won", None, "qualified", AT)]


def test_won_then_lost_reopens_and_loses_with_the_reason() -> None:
    old = imported(Status="won", Closed="2024-04-01")
    _, new = merge(old, Status="lost", Closed="2024-05-10")
    assert (new.status, new.lost_reason) == ("lost", "not recorded")
    assert added(new, old) == [("reopened", "won", "qualified", AT), ("lost", None, "qualified", AT)]


def test_a_lost_deal_found_open_again_is_reopened_in_the_rows_stage() -> None:
    old = imported(Status="lost", Closed="2024-04-01")
    _, new = merge(old, Status="open", Stage="meeting")
    assert (new.status, new.stage, new.lost_reason) == ("open", "meeting", None)
    assert added(new, old) == [("reopened", "lost", "meeting", AT)]


def test_a_close_in_a_row_that_names_no_stage_keeps_the_stage() -> None:
    old = imported(Stage="proposal")
    _, new = merge(old, Stage="", Status="won", Closed="2024-05-01")
    assert (new.stage, new.status) == ("proposal", "won")
    assert added(new, old) == [("won", None, "proposal", local(5, 1))]


def test_a_next_step_is_set_and_cleared() -> None:
    old = imported()
    _, new = merge(old, Next="send the offer")
    assert new.next_step is not None and new.next_step.text == "send the offer"
    _, cleared = merge(new)
    assert cleared.next_step is None


def test_an_update_the_actions_refuse_is_their_error() -> None:
    old = imported()
    fresh, _ = merge(old)
    broken = fresh.model_copy(update={"stage": "icebox"})
    with pytest.raises(PipeError, match="unknown stage 'icebox'"):
        update_deal(old, broken, {"stage"}, PIPELINE, AT)
