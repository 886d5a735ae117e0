"""One field list: every list of deal field names is built from the metadata on the model's fields,
and the columns users' scripts read keep their names and their order."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path
from typing import Annotated

import pytest
from pydantic import BaseModel

from pipecli import actions, export, query
from pipecli.fields import Col, model_columns, names
from pipecli.importing import fields as import_fields
from pipecli.models import (
    DEAL_COLUMNS,
    EXPORTED_COLUMNS,
    IMPORTABLE_FIELDS,
    LISTED_COLUMNS,
    PLAIN_SETTABLE_FIELDS,
    SETTABLE_FIELDS,
    TRACKED_FIELDS,
    Deal,
)
from pipecli.render import stale as render_stale

DOCS = Path(__file__).resolve().parent.parent / "docs"

# The columns as `pipe list`, `pipe export` and `pipe stale` printed them before the lists were
# derived: scripts read these names in this order, so they must not move.
LIST_COLUMNS = (
    "id", "title", "company", "stage", "status", "value", "currency", "probability", "owner", "source",
    "tags", "contact_name", "contact_email", "contact_phone", "created", "close_date", "lost_reason",
    "next_step", "next_due", "last_activity",
)  # fmt: skip
EXPORT_COLUMNS = (
    "id", "external_id", "title", "company", "contact_name", "contact_email", "contact_phone", "stage",
    "status", "value", "currency", "probability", "owner", "source", "tags", "created", "created_stage",
    "close_date", "closed_at", "lost_reason", "next_step", "next_due",
)  # fmt: skip
STALE_COLUMNS = (
    "id", "title", "company", "owner", "stage", "reason", "idle_days", "idle_hours", "stale_after",
    "past_days", "overdue_days", "value", "currency", "next_step", "next_due", "last_activity",
)  # fmt: skip


def test_the_derived_lists_keep_the_names_and_order_they_had() -> None:
    assert LISTED_COLUMNS == LIST_COLUMNS
    assert (
        query.ROW_KEYS
        == (*LIST_COLUMNS, *query.STATE_KEYS)
        == (*LIST_COLUMNS, "days_in_stage", "stale", "overdue_days")
    )
    assert EXPORTED_COLUMNS == export.BASE_COLUMNS == EXPORT_COLUMNS
    assert tuple(render_stale.MACHINE_KEYS) == STALE_COLUMNS
    # import names a contact's fields with a dot, as --map does; same order as the export's columns
    assert IMPORTABLE_FIELDS == import_fields.FIELDS
    assert [f.replace(".", "_") for f in IMPORTABLE_FIELDS if f not in ("value", "currency")] == [
        c for c in EXPORT_COLUMNS if c not in ("value", "currency")
    ]
    assert PLAIN_SETTABLE_FIELDS == import_fields.PLAIN_FIELDS  # what import --update compares, in that order
    assert actions.SETTABLE == SETTABLE_FIELDS == (
        "title", "company", "contact.name", "contact.email", "contact.phone", "value", "currency",
        "owner", "source", "tags", "close_date", "probability",
    )  # fmt: skip
    assert TRACKED_FIELDS == (
        "title", "company", "value", "currency", "owner", "source", "tags", "close_date", "probability",
        "next_step", "snooze",
    )  # fmt: skip


def test_every_field_set_can_change_is_undone_as_of_an_earlier_day_but_the_contact() -> None:
    assert set(SETTABLE_FIELDS) - set(TRACKED_FIELDS) == {"contact.name", "contact.email", "contact.phone"}
    # the protected fields have commands of their own; none of them is settable
    assert not set(actions.PROTECTED) & set(SETTABLE_FIELDS)


def test_listing_rows_have_the_listed_columns_in_order(pipe) -> None:
    deal = pipe.add("Acme", "--value", "100", "--owner", "anna", "--at", "2026-03-02")
    pipe("next", deal, "Call", "--due", "2026-03-05", "--at", "2026-03-02")
    listing = (*LIST_COLUMNS, "days_in_stage", "stale", "overdue_days")  # the fields, then the deal's state now
    header = next(csv.reader(io.StringIO(pipe("list", "--format", "csv").stdout)))
    assert tuple(header) == listing
    (row,) = json.loads(pipe("list", "--format", "json").stdout)
    assert tuple(row) == listing
    header = next(csv.reader(io.StringIO(pipe("export", "--format", "csv").stdout)))
    stages = ("lead", "qualified", "meeting", "proposal", "negotiation")
    assert tuple(header) == EXPORT_COLUMNS + tuple(f"entered_{s}" for s in stages)
    out = pipe("stale", "--as-of", "2026-03-20", "--format", "csv").stdout
    assert tuple(next(csv.reader(io.StringIO(out)))) == STALE_COLUMNS
    (item,) = json.loads(pipe("stale", "--as-of", "2026-03-20", "--format", "json").stdout)
    assert tuple(item) == STALE_COLUMNS


def test_docs_list_the_export_columns_in_order_and_the_import_fields() -> None:
    text = (DOCS / "export.md").read_text(encoding="utf-8")
    table = text.split("| column | content |", 1)[1].split("\n\n", 1)[0]
    cells = re.findall(r"^\| (.*?) \|", table, re.M)
    documented = [n for cell in cells for n in re.findall(r"`([a-z_]+)`", cell) if not n.startswith("entered_")]
    assert documented == list(EXPORTED_COLUMNS)
    text = (DOCS / "import.md").read_text(encoding="utf-8")
    table = text.split("| field | from the cell |", 1)[1].split("\n\n", 1)[0]
    fields = {n for n in re.findall(r"^\| (.*?) \|", table, re.M) for n in re.findall(r"`([a-z_.]+)`", n)}
    assert fields == set(IMPORTABLE_FIELDS)


# -- the metadata itself ---------------------------------------------------------------------------
class _Contact(BaseModel):
    name: Annotated[str | None, Col(settable=20, listed=30)] = None


class _Thing(BaseModel):
    id: Annotated[str, Col(listed=10)]
    note: Annotated[str | None, Col(settable=10, tracked=10, listed=20)] = None
    due: Annotated[str | None, Col(name="next_due", listed=25)] = None
    secret: str | None = None


def test_a_field_is_in_the_lists_its_col_names_at_its_position() -> None:
    entries = [*model_columns(_Thing), *model_columns(_Contact, "contact.")]
    assert names(entries, "listed") == ("id", "note", "next_due", "contact_name")
    assert names(entries, "settable") == ("note", "contact.name")  # people type the dot
    assert names(entries, "tracked") == ("note",)
    assert names(entries, "stale", {"reason": 5}) == ("reason",)
    assert "secret" not in {n for n, _ in entries}
    with pytest.raises(ValueError, match="share a position"):
        names([*entries, ("other", Col(listed=20))], "listed")


def test_every_deal_field_with_a_col_is_a_field_or_a_documented_derived_column() -> None:
    fields = set(Deal.model_fields) | {"contact.name", "contact.email", "contact.phone", "next_due"}
    derived = {"external_id", "created_stage", "closed_at", "last_activity"}
    assert {n for n, _ in DEAL_COLUMNS} <= fields | derived
    assert derived <= {n for n, _ in DEAL_COLUMNS}
