"""The Pipedrive and HubSpot presets against files of the shape the products export: the headers
public code reads from real exports ("Deal - Currency of Value", the import template's
"Deal - Stage (pipeline)"; HubSpot's "Company Name", "Deal Owner", "Currency" and
"Amount in company currency"), their date formats and several currencies in one file."""

from __future__ import annotations

from pathlib import Path

from transfer_helpers import by_external_id, read_deals

# Deals list > Export: every deal field, "Deal - " first; money in the deal's own currency,
# with its code in "Deal - Currency of Value"; times as the account's local time
PIPEDRIVE_EXPORT = (
    "Deal - ID,Deal - Title,Deal - Creator,Deal - Owner,Deal - Value,Deal - Currency of Value,"
    "Deal - Weighted value,Deal - Currency of Weighted value,Deal - Probability,Deal - Organization,"
    "Deal - Organization ID,Deal - Pipeline,Deal - Contact person,Deal - Contact person ID,Deal - Stage,"
    "Deal - Label,Deal - Status,Deal - Deal created,Deal - Update time,Deal - Last stage change,"
    "Deal - Next activity date,Deal - Last activity date,Deal - Won time,Deal - Lost time,"
    "Deal - Deal closed on,Deal - Lost reason,Deal - Visible to,Deal - Expected close date,"
    "Deal - Source origin,Deal - Source channel\n"
    "101,Nordwind website,Anna,Anna,12000,EUR,7200,EUR,60,Nordwind GmbH,11,Sales,Jens Vogt,21,Proposal Made,"
    "Hot,Open,2024-02-01 09:30:00,2024-03-01 10:00:00,2024-02-20 11:00:00,2024-03-10,2024-02-28,,,,,"
    "Owner's visibility group,2024-04-30,Manually created,Referral\n"
    "102,Kraków fit-out,Anna,Piotr,4500.50,PLN,4500.50,PLN,100,Zażółć Sp. z o.o.,12,Sales,,,Contact Made,,"
    "Won,2024-01-10 08:00:00,2024-02-02 16:00:00,2024-01-20 12:00:00,,2024-02-02,2024-02-02 15:45:00,,"
    "2024-02-02 15:45:00,,Entire company,2024-02-15,API,Web\n"
    "103,Bangkok kiosk,Anna,Anna,150000,THB,0,THB,0,ร้านกาแฟ,13,Sales,,,Lead In,,Lost,2024-01-03 10:00:00,"
    "2024-01-09 10:00:00,,,,,2024-01-09 09:00:00,2024-01-09 09:00:00,Price too high,Entire company,,Import,\n"
)

# The same fields as Pipedrive's own import template names them
PIPEDRIVE_TEMPLATE = (
    "Deal - Title,Deal - Value,Deal - Currency of value,Organization,Contact person,Deal - Owner,"
    "Deal - Stage (pipeline),Deal - Status,Deal - Creation date,Deal - Closed on,Deal - Lost reason\n"
    "Milano showroom,8500.50,EUR,Caffè Roma S.r.l.,Giulia,Marco,Proposal Made,Won,2024-03-01,2024-03-20,\n"
    "Warszawa office,3000,PLN,Łódź Sp. z o.o.,,Piotr,Contact Made,Open,2024-03-05,,\n"
)

# CRM > Deals > Export: property labels as headers, Record ID first; multi-currency portals add
# the deal's currency and the amount in the company's currency
HUBSPOT_EXPORT = (
    "\ufeffRecord ID,Deal Name,Amount,Deal Stage,Close Date,Deal Owner,Company Name,Pipeline,Create Date,"
    "Currency,Amount in company currency,Last Activity Date\n"
    "7001,Acme expansion,125000,Contract Sent,2026-04-15,Nate Phillips,Acme Corp,Sales Pipeline,"
    "2026-01-10 09:30,USD,115000.00,2026-02-01\n"
    "7002,Globex renewal,85000.50,Closed Won,2026-02-20 16:00,Sara Bollman,Globex Industries Inc.,"
    "Sales Pipeline,2026-01-20,EUR,85000.50,2026-02-20\n"
    "7003,Initech pilot,3000,qualifiedtobuy,2026-05-01,Carter McKay,Initech LLC,Sales Pipeline,2026-01-05,"
    "GBP,3510.00,\n"
)


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_pipedrive_export_keeps_each_deals_currency(pipe, run_pipe, tmp_path: Path) -> None:
    path = write(tmp_path, "deals-export.csv", PIPEDRIVE_EXPORT)
    r = run_pipe("-C", str(pipe.root), "import", str(path), "--preset", "pipedrive")
    assert (r.returncode, r.stderr) == (0, ""), r.stderr
    deals = by_external_id(pipe.root)
    got = {k: (d["value"], d["currency"], d["stage"], d["status"]) for k, d in deals.items()}
    assert got == {
        "101": ("12000", "EUR", "proposal", "open"),
        "102": ("4500.50", "PLN", "qualified", "won"),
        "103": ("150000", "THB", "lead", "lost"),
    }
    assert (deals["101"]["created"], deals["101"]["close_date"]) == ("2024-02-01T09:30:00+01:00", "2024-04-30")
    assert deals["102"]["history"][-1]["at"] == "2024-02-02T15:45:00+01:00"
    assert (deals["103"]["company"], deals["103"]["lost_reason"]) == ("ร้านกาแฟ", "Price too high")
    assert run_pipe("-C", str(pipe.root), "check").stdout == ""


def test_pipedrive_import_template_columns(pipe, run_pipe, tmp_path: Path) -> None:
    path = write(tmp_path, "template.csv", PIPEDRIVE_TEMPLATE)
    r = run_pipe("-C", str(pipe.root), "import", str(path), "--preset", "pipedrive")
    assert (r.returncode, r.stderr) == (0, ""), r.stderr
    deals = {d["title"]: d for d in read_deals(pipe.root).values()}  # no ids in this shape
    m, w = deals["Milano showroom"], deals["Warszawa office"]
    assert (m["value"], m["currency"], m["company"], m["stage"], m["status"]) == (
        "8500.50",
        "EUR",
        "Caffè Roma S.r.l.",
        "proposal",
        "won",
    )
    assert (m["created"], m["history"][-1]["at"]) == ("2024-03-01T00:00:00+01:00", "2024-03-20T00:00:00+01:00")
    assert (w["currency"], w["company"], w["stage"], w["owner"]) == ("PLN", "Łódź Sp. z o.o.", "qualified", "Piotr")


def test_hubspot_export_with_several_currencies(pipe, run_pipe, tmp_path: Path) -> None:
    path = write(tmp_path, "hubspot-crm-exports-all-deals.csv", HUBSPOT_EXPORT)
    r = run_pipe("-C", str(pipe.root), "import", str(path), "--preset", "hubspot")
    assert (r.returncode, r.stderr) == (0, ""), r.stderr
    deals = by_external_id(pipe.root)
    got = {k: (d["value"], d["currency"], d["stage"], d["status"], d["owner"], d["company"]) for k, d in deals.items()}
    assert got == {
        "7001": ("125000", "USD", "negotiation", "open", "Nate Phillips", "Acme Corp"),
        "7002": ("85000.50", "EUR", "lead", "won", "Sara Bollman", "Globex Industries Inc."),
        "7003": ("3000", "GBP", "qualified", "open", "Carter McKay", "Initech LLC"),
    }
    assert deals["7001"]["created"] == "2026-01-10T09:30:00+01:00"
    assert deals["7002"]["history"][-1]["at"] == "2026-02-20T16:00:00+01:00"


def test_hubspot_amount_with_a_currency_sign_fails_its_row(pipe, run_pipe, tmp_path: Path) -> None:
    text = "Record ID,Deal Name,Amount,Deal Stage,Create Date\n1,Acme,$125000,Contract Sent,2026-01-10\n"
    path = write(tmp_path, "signs.csv", text)
    r = run_pipe("-C", str(pipe.root), "import", str(path), "--preset", "hubspot")
    assert (r.returncode, r.stderr) == (
        1,
        f"pipe: {path}:2: Amount: '$125000' is not a number; write e.g. 12000 or 12000.50\n",
    )


# HubSpot's export of the default pipeline with its per-stage date properties
HUBSPOT_STAGE_DATES = (
    'Record ID,Deal Name,Deal Stage,Amount,Create Date,Close Date,Deal Owner,"Date entered ""Appointment '
    'Scheduled (Sales Pipeline)""","Date entered ""Contract Sent (Sales Pipeline)""",'
    '"Date entered ""Closed Won (Sales Pipeline)"""\n'
    "8001,Umbrella order,Closed Won,4200,2026-01-05 09:00,2026-02-10 15:00,Mia Chen,2026-01-05 09:00,"
    "2026-01-28 11:30,2026-02-10 15:00\n"
    "8002,Hooli trial,Contract Sent,900,2026-01-07,,Raj Patel,2026-01-07 00:00,2026-02-01 10:00,\n"
)


def test_hubspot_stage_dates_place_a_closed_deal_where_it_closed(pipe, run_pipe, tmp_path: Path) -> None:
    path = write(tmp_path, "stage-dates.csv", HUBSPOT_STAGE_DATES)
    r = run_pipe("-C", str(pipe.root), "import", str(path), "--preset", "hubspot")
    assert (r.returncode, r.stderr) == (0, ""), r.stderr
    deals = by_external_id(pipe.root)
    won, open_ = deals["8001"], deals["8002"]
    assert (won["stage"], won["status"], open_["stage"], open_["status"]) == (
        "negotiation",
        "won",
        "negotiation",
        "open",
    )
    assert [(h["event"], h.get("to"), h["at"]) for h in won["history"]] == [
        ("created", "lead", "2026-01-05T09:00:00+01:00"),
        ("moved", "negotiation", "2026-01-28T11:30:00+01:00"),
        ("won", "negotiation", "2026-02-10T15:00:00+01:00"),
    ]
