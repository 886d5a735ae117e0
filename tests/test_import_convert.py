"""The pure core of an import: one row -> the data of one deal (``Importer``), called directly."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from transfer_helpers import WARSAW

from pipecli.importing.convert import Importer, RowError, build_deal, make_id, parse_when
from pipecli.importing.mapping import Options, parse_pairs, resolve
from pipecli.models import DEFAULT_STAGES, Pipeline

PIPELINE = Pipeline.model_validate({"stages": DEFAULT_STAGES, "currency": "EUR"})


def importer(header: str, *maps: str, **options: Any) -> Importer:
    """An Importer for a file with this header (comma-separated) and these --map options."""
    opts = Options(maps=tuple(parse_pairs(maps, "--map")), **options)
    return Importer(resolve(header.split(","), opts, PIPELINE), PIPELINE)


def local(y: int, m: int, d: int, hh: int = 0, mm: int = 0) -> datetime:
    """A local time in the tests' time zone (Europe/Warsaw)."""
    return datetime(y, m, d, hh, mm, tzinfo=WARSAW)


def events(data: dict[str, Any]) -> list[tuple[Any, ...]]:
    return [(h["event"], h.get("from"), h["to"], h["at"]) for h in data["history"]]


def test_a_row_becomes_the_data_of_a_deal() -> None:
    imp = importer(
        "Nr,Firma,Projekt,Betrag,Kontakt,Mail,Chance,Etiketten,Region,Angelegt,Qualifiziert,Phase,Status,Schluss",
        "external_id=Nr",
        "title={Firma}: {Projekt}",
        "company=Firma",
        "value=Betrag",
        "contact.name=Kontakt",
        "contact.email=Mail",
        "probability=Chance",
        "tags=Etiketten",
        "extra.region=Region",
        "created=Angelegt",
        "entered.qualified=Qualifiziert",
        "stage=Phase",
        "status=Status",
        "closed_at=Schluss",
        date_format="%d.%m.%Y",
    )
    row = [
        "1041",
        "Zażółć Sp. z o.o.",
        "Umbau Kraków",
        "12,000.50",
        "Jan Kowalski",
        "jan@example.pl",
        "40%",
        "retail, priority,",
        "Süd",
        "05.02.2024",
        "2024-02-19 10:30",
        "Proposal",
        "WON",
        "01.03.2024",
    ]
    data = imp.convert(row)
    history = data.pop("history")
    assert data == {
        "title": "Zażółć Sp. z o.o.: Umbau Kraków",
        "external_id": "1041",
        "company": "Zażółć Sp. z o.o.",
        "contact": {"name": "Jan Kowalski", "email": "jan@example.pl"},
        "tags": ["retail", "priority"],
        "value": Decimal("12000.50"),
        "currency": "EUR",
        "probability": 0.4,
        "region": "Süd",
        "stage": "proposal",
        "status": "won",
        "created": local(2024, 2, 5),
        "notes": [],
    }
    # created in the first stage, into qualified at its date, to the stage the row names at
    # that same time, won at the close date
    assert [(h["event"], h.get("from"), h["to"], h["at"]) for h in history] == [
        ("created", None, "lead", local(2024, 2, 5)),
        ("moved", "lead", "qualified", local(2024, 2, 19, 10, 30)),
        ("moved", "qualified", "proposal", local(2024, 2, 19, 10, 30)),
        ("won", None, "proposal", local(2024, 3, 1)),
    ]
    deal = build_deal({**data, "history": history}, "zazolc-1041")
    assert (deal.id, deal.stage, deal.status, deal.value) == ("zazolc-1041", "proposal", "won", Decimal("12000.50"))


def test_a_template_leaves_out_an_empty_placeholder_with_its_text() -> None:
    imp = importer("account,product", "title={account} – {product}", default_date=date(2024, 1, 1))
    assert imp.convert(["Cancity", "GTX Basic"])["title"] == "Cancity – GTX Basic"
    assert imp.convert(["", "GTX Basic"])["title"] == "GTX Basic"
    assert imp.convert(["Cancity", ""])["title"] == "Cancity"
    with pytest.raises(RowError, match=r"^no title: \{account\} – \{product\} is empty$"):
        imp.convert(["", " "])


@pytest.mark.parametrize(
    ("cell", "value"),
    [("12000", Decimal(12000)), ("12 000", Decimal(12000)), ("1,250,000.5", Decimal("1250000.5")), ("0", Decimal(0))],
)
def test_values_with_thousands_separators(cell: str, value: Decimal) -> None:
    imp = importer("Name,Amount", "title=Name", "value=Amount", default_date=date(2024, 1, 1))
    assert imp.convert(["A", cell])["value"] == value


@pytest.mark.parametrize("cell", ["12 000,50", "1,5", "12.000,50"])
def test_a_decimal_comma_fails_the_row_rather_than_be_misread(cell: str) -> None:
    imp = importer("Name,Amount", "title=Name", "value=Amount", default_date=date(2024, 1, 1))
    with pytest.raises(RowError) as err:
        imp.convert(["A", cell])
    assert str(err.value) == (
        f"Amount: {cell!r} looks like a decimal comma; give --decimal-comma if the file's decimals are commas, "
        "or write the value with a decimal point (12000.50)"
    )


def test_a_zero_value_is_unknown_only_where_the_preset_says_so() -> None:
    pipeline = Pipeline.model_validate({"stages": [{"id": "prospecting"}, {"id": "engaging"}], "currency": "USD"})
    header = ["opportunity_id", "account", "product", "deal_stage", "engage_date", "close_date", "close_value"]
    sample = Importer(resolve(header, Options(preset="crm-sales-opportunities"), pipeline), pipeline)
    lost = sample.convert(["1C1I7A6R", "Cancity", "GTX Plus Basic", "Lost", "10/20/2016", "3/1/2017", "0"])
    assert "value" not in lost
    assert (lost["stage"], lost["status"], lost["currency"]) == ("engaging", "lost", "USD")
    assert lost["lost_reason"] == "not recorded"
    assert events(lost) == [
        ("created", None, "engaging", local(2016, 10, 20)),
        ("lost", None, "engaging", local(2017, 3, 1)),
    ]
    plain = importer("Name,Amount", "title=Name", "value=Amount", default_date=date(2024, 1, 1))
    assert plain.convert(["A", "0"])["value"] == Decimal(0)


def test_the_creation_date_and_stage_when_the_row_has_none() -> None:
    imp = importer(
        "Name,Stage,Qualified,Meeting",
        "title=Name",
        "stage=Stage",
        "entered.qualified=Qualified",
        "entered.meeting=Meeting",
    )
    # created at the earliest stage date, in the stage entered then
    data = imp.convert(["A", "", "2024-03-04", "2024-03-01"])
    assert data["created"] == local(2024, 3, 1)
    assert events(data) == [
        ("created", None, "meeting", local(2024, 3, 1)),
        ("moved", "meeting", "qualified", local(2024, 3, 4)),
    ]
    # no stage dates: created in the stage the row names; no date at all fails the row
    with pytest.raises(RowError, match=r"^no date in this row; pass --default-date DATE"):
        imp.convert(["B", "Meeting", "", ""])
    dated = importer("Name,Stage", "title=Name", "stage=Stage", default_date=date(2017, 12, 31))
    assert events(dated.convert(["B", "Meeting"])) == [("created", None, "meeting", local(2017, 12, 31))]


def test_stage_dates_of_the_same_moment_follow_the_ladder() -> None:
    imp = importer("Name,P,Q,L", "title=Name", "entered.proposal=P", "entered.qualified=Q", "entered.lead=L")
    data = imp.convert(["A", "2024-03-01", "2024-03-01", "2024-02-01"])
    assert [(e, t) for e, _, t, _ in events(data)] == [
        ("created", "lead"),
        ("moved", "qualified"),
        ("moved", "proposal"),
    ]
    assert data["stage"] == "proposal"


def test_dates_out_of_order_fail_the_row_naming_the_columns() -> None:
    imp = importer(
        "Name,Created,Qualified,Closed,Status",
        "title=Name",
        "created=Created",
        "entered.qualified=Qualified",
        "closed_at=Closed",
        "status=Status",
    )
    with pytest.raises(RowError) as err:
        imp.convert(["A", "2024-03-05", "2024-03-01", "", ""])
    assert str(err.value) == "Qualified 2024-03-01 is before the creation date 2024-03-05"
    with pytest.raises(RowError) as err:
        imp.convert(["A", "2024-03-01", "2024-03-05", "2024-03-02", "won"])
    assert str(err.value) == "Closed 2024-03-02 is before the last stage date 2024-03-05"


def test_a_close_without_its_own_date_and_the_lost_reason() -> None:
    imp = importer(
        "Name,Status,Expected,Why",
        "title=Name",
        "status=Status",
        "close_date=Expected",
        "lost_reason=Why",
        default_date=date(2024, 1, 2),
        lost_reason="no reply",
    )
    lost = imp.convert(["A", "lost", "2024-02-10", ""])
    assert (lost["close_date"], lost["lost_reason"]) == (date(2024, 2, 10), "no reply")
    assert events(lost)[-1] == ("lost", None, "lead", local(2024, 2, 10))
    assert lost["history"][-1]["reason"] == "no reply"
    assert imp.convert(["A", "Lost", "", "price"])["lost_reason"] == "price"
    # closed without any date: at the creation, the only date there is
    assert events(imp.convert(["A", "won", "", ""]))[-1] == ("won", None, "lead", local(2024, 1, 2))


def test_stage_and_status_values_through_their_maps() -> None:
    imp = importer(
        "Name,Phase",
        "title=Name",
        "stage=Phase",
        "status=Phase",
        default_date=date(2024, 1, 1),
        stage_map=(("Closed Won", ""), ("Demo", "meeting")),
        status_map=(("closed won", "won"), ("*", "open")),
    )
    assert (imp.stage_of("demo", "stage"), imp.stage_of("Qualified", "stage"), imp.stage_of("closed WON", "stage")) == (
        "meeting",
        "qualified",
        None,
    )
    assert (imp.status_of("Closed Won"), imp.status_of("LOST"), imp.status_of("Demo")) == ("won", "lost", "open")
    with pytest.raises(RowError) as err:
        imp.stage_of("Icebox", "stage")
    assert str(err.value) == (
        "Phase: unknown stage 'Icebox'; the stages are lead, qualified, meeting, proposal, negotiation; "
        "map it with --stage-map Icebox=STAGE"
    )
    assert imp.names_stage(["A", "Demo"]) is True
    assert imp.names_stage(["A", "Closed Won"]) is False
    strict = importer("Name,Status", "title=Name", "status=Status", default_date=date(2024, 1, 1))
    with pytest.raises(RowError) as err:
        strict.convert(["A", "Deleted"])
    assert (
        str(err.value) == "Status: 'Deleted' is not open, won or lost; map it with --status-map Deleted=open|won|lost"
    )


def test_next_step_and_its_due_date() -> None:
    imp = importer("Name,Next,Due", "title=Name", "next_step=Next", "next_due=Due", default_date=date(2024, 1, 1))
    assert imp.convert(["A", "call back", "2024-03-01"])["next_step"] == {"text": "call back", "due": date(2024, 3, 1)}
    assert imp.convert(["A", "call back", ""])["next_step"] == {"text": "call back"}
    with pytest.raises(RowError, match=r"^Due has a date but there is no next step to go with it$"):
        imp.convert(["A", "", "2024-03-01"])


def test_dates_in_a_format_in_iso_8601_with_an_offset_or_local() -> None:
    assert parse_when("03/01/2017", "%m/%d/%Y", "d") == local(2017, 3, 1)
    assert parse_when("2017-03-01", "%m/%d/%Y", "d") == local(2017, 3, 1)
    assert parse_when(" 2024-07-01 09:30:00 ", None, "d") == local(2024, 7, 1, 9, 30)
    assert parse_when("2024-07-01T09:30Z", None, "d") == datetime(2024, 7, 1, 9, 30, tzinfo=timezone.utc)
    assert parse_when("2024-07-01T09:30+07:00", None, "d").utcoffset() == timedelta(hours=7)
    with pytest.raises(RowError) as err:
        parse_when("1.3.2017", None, "Created")
    assert str(err.value) == "Created: '1.3.2017' is not a date in ISO 8601 (2017-03-01), or give --date-format"
    with pytest.raises(RowError) as err:
        parse_when("1.3.2017", "%m/%d/%Y", "Created")
    assert str(err.value) == "Created: '1.3.2017' is not a date in the format %m/%d/%Y or ISO 8601"


def test_build_deal_names_the_field_that_is_wrong() -> None:
    imp = importer("Name,Mail", "title=Name", "contact.email=Mail", default_date=date(2024, 1, 1))
    with pytest.raises(RowError) as err:
        build_deal(imp.convert(["A", "not-an-address"]), "a")
    assert str(err.value) == "contact.email: 'not-an-address' is not an e-mail address (name@example.com)"


def test_ids_from_the_title_and_the_source_id() -> None:
    assert make_id({"title": "Università di Bologna – Wartung", "external_id": "1C1I7A6R"}, set()) == (
        "universita-di-bologna-1c1i7a6r"  # the title's slug is cut at a word, at most 24 letters
    )
    taken = {"acme-7"}
    # taken already: the slug and a random suffix, as `pipe add` makes them
    assert re.fullmatch(r"acme-[a-km-np-z2-9]{4}", make_id({"title": "Acme", "external_id": "7"}, taken))
    assert re.fullmatch(r"rabb-erp-[a-km-np-z2-9]{4}", make_id({"title": "ระบบ ERP"}, set()))


# random rows: every converted row is a valid deal whose history is in time order


cells = st.one_of(st.just(""), st.dates(date(2020, 1, 1), date(2021, 12, 31)).map(date.isoformat))


@settings(max_examples=200, deadline=None)
@given(
    created=cells,
    entered=st.lists(cells, min_size=3, max_size=3),
    closed=cells,
    status=st.sampled_from(["", "open", "won", "lost"]),
    stage=st.sampled_from(["", "lead", "Meeting", "negotiation"]),
)
def test_any_row_is_a_valid_deal_or_fails_with_a_reason(
    created: str, entered: list[str], closed: str, status: str, stage: str
) -> None:
    imp = importer(
        "Name,Created,Q,M,P,Closed,Status,Stage",
        "title=Name",
        "created=Created",
        "entered.qualified=Q",
        "entered.meeting=M",
        "entered.proposal=P",
        "closed_at=Closed",
        "status=Status",
        "stage=Stage",
    )
    try:
        data = imp.convert(["Deal", created, *entered, closed, status, stage])
    except RowError as err:
        assert str(err).startswith(("no date in this row", "Q ", "M ", "P ", "Closed "))
        return
    deal = build_deal(data, "deal")
    times = [h.at for h in deal.history]
    assert times == sorted(times)
    assert deal.history[0].event == "created" and deal.created == times[0]
    assert (deal.status, deal.stage) == ((status or "open"), deal.history[-1].to)
    if stage:
        assert deal.stage == stage.lower()
    if created:
        assert deal.created == local(*(int(x) for x in created.split("-")))
    else:
        known = [d for d in entered if d] + ([closed] if closed and status in ("won", "lost") else [])
        assert deal.created == local(*(int(x) for x in min(known).split("-")))
