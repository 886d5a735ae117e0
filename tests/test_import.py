"""`pipe import`: presets, mappings, history from dates, bad rows, re-runs."""

from __future__ import annotations

import csv
import io
import os
import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from transfer_helpers import EXCERPT, by_external_id, midnight, read_deals, sample_rows, us_date

SAMPLE_ARGS = ("--preset", "crm-sales-opportunities", "--default-date", "2017-12-31")


@pytest.fixture
def sample_pipe(make_pipe):
    """The pipeline docs/import.md recommends for the sample."""
    return make_pipe("--stages", "prospecting,engaging", "--currency", "USD", name="sample")


def test_excerpt_imports_every_row_with_its_history(sample_pipe) -> None:
    result = sample_pipe("import", str(EXCERPT), *SAMPLE_ARGS)
    assert result.stdout.strip().endswith("40 created, 0 updated, 0 skipped, 0 failed")
    deals = by_external_id(sample_pipe.root)
    rows = sample_rows(EXCERPT)
    assert len(deals) == len(rows) == 40
    for row in rows:
        d = deals[row["opportunity_id"]]
        assert d["owner"] == row["sales_agent"]
        assert d["tags"] == [row["product"]]
        assert d.get("company") == (row["account"] or None)
        assert d["currency"] == "USD"
        expected_title = f"{row['account']} – {row['product']}" if row["account"] else row["product"]
        assert d["title"] == expected_title
        history = d["history"]
        if row["deal_stage"] == "Prospecting":
            assert (d["stage"], d["status"]) == ("prospecting", "open")
            assert d["created"] == midnight(date(2017, 12, 31))
            assert [(h["event"], h["to"]) for h in history] == [("created", "prospecting")]
            continue
        engaged = midnight(us_date(row["engage_date"]))
        assert d["stage"] == "engaging"
        assert d["created"] == engaged
        assert (history[0]["at"], history[0]["event"], history[0]["to"]) == (engaged, "created", "engaging")
        if row["deal_stage"] == "Engaging":
            assert d["status"] == "open"
            assert len(history) == 1
            assert "value" not in d
        else:
            status = row["deal_stage"].lower()
            assert d["status"] == status
            closed = us_date(row["close_date"])
            assert d["close_date"] == closed.isoformat()
            assert (history[1]["at"], history[1]["event"]) == (midnight(closed), status)
            assert len(history) == 2
            if status == "won":
                assert d["value"] == row["close_value"]
            else:  # the sample writes 0 for every lost deal: not a value, so none is kept
                assert row["close_value"] == "0"
                assert "value" not in d
                assert d["lost_reason"] == "not recorded"
    check = sample_pipe("check")
    assert check.stdout == ""


def test_rows_without_a_date_fail_with_their_line_unless_default_date(sample_pipe) -> None:
    result = sample_pipe("import", str(EXCERPT), "--preset", "crm-sales-opportunities", ok=False)
    assert result.exit_code == 1
    lines = EXCERPT.read_text().splitlines()
    prospecting_lines = [i for i, line in enumerate(lines, 1) if ",Prospecting," in line]
    assert len(prospecting_lines) == 10
    errors = result.stderr.splitlines()
    assert len(errors) == 10
    for err, line in zip(errors, prospecting_lines, strict=True):
        assert err.startswith("pipe: ") and f"sales_pipeline_excerpt.csv:{line}: " in err
        assert "no date in this row; pass --default-date DATE" in err
    assert result.stdout.strip().endswith("30 created, 0 updated, 0 skipped, 10 failed")
    assert len(read_deals(sample_pipe.root)) == 30


def test_strict_writes_nothing_when_a_row_fails(sample_pipe) -> None:
    result = sample_pipe("import", str(EXCERPT), "--preset", "crm-sales-opportunities", "--strict", ok=False)
    assert result.exit_code == 1
    assert "nothing written" in result.stdout
    assert read_deals(sample_pipe.root) == {}


def test_dry_run_writes_nothing(sample_pipe) -> None:
    result = sample_pipe("import", str(EXCERPT), *SAMPLE_ARGS, "--dry-run")
    assert "dry run, nothing written: 40 would be created, 0 would be updated, 0 skipped, 0 failed" in result.stdout
    assert read_deals(sample_pipe.root) == {}


def test_running_the_import_again_skips_what_is_there(sample_pipe) -> None:
    sample_pipe("import", str(EXCERPT), *SAMPLE_ARGS)
    before = {p.name: p.read_bytes() for p in (sample_pipe.root / "deals").iterdir()}
    again = sample_pipe("import", str(EXCERPT), *SAMPLE_ARGS)
    assert "0 created, 0 updated, 40 skipped, 0 failed (40 imported before; --update updates them)" in again.stdout
    assert {p.name: p.read_bytes() for p in (sample_pipe.root / "deals").iterdir()} == before
    unchanged = sample_pipe("import", str(EXCERPT), *SAMPLE_ARGS, "--update")
    assert "0 created, 0 updated, 40 skipped, 0 failed (40 unchanged)" in unchanged.stdout
    assert {p.name: p.read_bytes() for p in (sample_pipe.root / "deals").iterdir()} == before


def test_update_applies_changes_through_the_history(sample_pipe, tmp_path: Path) -> None:
    sample_pipe("import", str(EXCERPT), *SAMPLE_ARGS)
    rows = sample_rows(EXCERPT)
    engaging = next(r for r in rows if r["deal_stage"] == "Engaging")
    won = next(r for r in rows if r["deal_stage"] == "Won")
    prospect = next(r for r in rows if r["deal_stage"] == "Prospecting")
    engaging.update(deal_stage="Won", close_date="12/20/2017", close_value="2500")
    won["sales_agent"] = "Zofia Łukasiewicz"
    prospect.update(deal_stage="Engaging", engage_date="12/30/2017")
    changed = tmp_path / "changed.csv"
    _write_csv(changed, rows)
    result = sample_pipe("import", str(changed), *SAMPLE_ARGS, "--update", "--at", "2018-01-05T09:00")
    assert "0 created, 3 updated, 37 skipped, 0 failed (37 unchanged)" in result.stdout
    deals = by_external_id(sample_pipe.root)
    d = deals[engaging["opportunity_id"]]
    assert (d["status"], d["value"]) == ("won", "2500")
    assert [h["event"] for h in d["history"]] == ["created", "won", "changed", "changed"]
    assert d["history"][1]["at"] == midnight(date(2017, 12, 20))
    assert [(h["field"], h["to"]) for h in d["history"][2:]] == [("value", "2500"), ("close_date", "2017-12-20")]
    assert d["close_date"] == "2017-12-20"
    w = deals[won["opportunity_id"]]
    assert w["owner"] == "Zofia Łukasiewicz"
    assert w["history"][-1]["field"] == "owner"
    assert w["history"][-1]["at"] == "2018-01-05T09:00:00+01:00"
    p = deals[prospect["opportunity_id"]]
    assert p["stage"] == "engaging"
    # created 2017-12-31 (--default-date); the engage date is before that, so the move is recorded at --at
    assert (p["history"][-1]["event"], p["history"][-1]["at"]) == ("moved", "2018-01-05T09:00:00+01:00")
    assert sample_pipe("check").stdout == ""


def test_default_stages_with_a_stage_map(pipe) -> None:
    result = pipe(
        "import",
        str(EXCERPT),
        *SAMPLE_ARGS,
        "--stage-map",
        "Prospecting=lead",
        "--stage-map",
        "Engaging=qualified",
    )
    assert "40 created" in result.stdout
    deals = by_external_id(pipe.root)
    stages = {(r["deal_stage"], deals[r["opportunity_id"]]["stage"]) for r in sample_rows(EXCERPT)}
    assert stages == {("Prospecting", "lead"), ("Engaging", "qualified"), ("Won", "qualified"), ("Lost", "qualified")}
    assert pipe("check").stdout == ""


def test_a_preset_stage_the_pipeline_lacks_is_named(pipe) -> None:
    # the stage a date column stands for: one line before any row is read
    result = pipe("import", str(EXCERPT), *SAMPLE_ARGS, ok=False)
    assert result.exit_code == 2
    assert result.stderr == (
        "pipe: engage_date is the date of entering stage 'engaging', which this pipeline lacks "
        "(its stages are lead, qualified, meeting, proposal, negotiation); add --stage-map Engaging=STAGE\n"
    )
    assert read_deals(pipe.root) == {}
    # a stage value only some rows have: those rows fail, each with its line
    result = pipe("import", str(EXCERPT), *SAMPLE_ARGS, "--stage-map", "Engaging=qualified", ok=False)
    assert result.exit_code == 1
    errors = result.stderr.splitlines()
    lines = [i for i, line in enumerate(EXCERPT.read_text().splitlines(), 1) if ",Prospecting," in line]
    assert [int(e.split(":")[2]) for e in errors] == lines
    assert errors[0].endswith(
        "deal_stage: 'Prospecting' maps to stage 'prospecting', which this pipeline lacks "
        "(its stages are lead, qualified, meeting, proposal, negotiation); add --stage-map Prospecting=STAGE"
    )
    assert "30 created, 0 updated, 0 skipped, 10 failed" in result.stdout


def _write_csv(path: Path, rows: list[dict[str, str]], *, delimiter: str = ",") -> None:
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]), delimiter=delimiter)
        w.writeheader()
        w.writerows(rows)


def test_generic_mapping_with_templates_formats_and_maps(pipe, tmp_path: Path) -> None:
    path = tmp_path / "szanse.csv"
    path.write_text(
        "Nr;Imię;Nazwisko;Firma;Kwota;Etap;Wynik;Utworzono;Zamknięto;Powód\n"
        "101;Łucja;Wrześniewska;Zażółć Sp. z o.o.;12 500,00;Oferta;otwarta;02.03.2026;;\n"
        "102;Somchai;Jaidee;บริษัท ทดสอบ;4000;Negocjacje;wygrana;01.02.2026;15.03.2026;\n"
        "103;Anna;Nowak;Kowalski i S-ka;900;Kontakt;przegrana;05.01.2026;20.01.2026;cena\n",
        encoding="utf-8",
    )
    result = pipe(
        "import",
        str(path),
        "--map",
        "external_id=Nr",
        "--map",
        "title={Firma}: {Imię} {Nazwisko}",
        "--map",
        "company=Firma",
        "--map",
        "contact.name={Imię} {Nazwisko}",
        "--map",
        "stage=Etap",
        "--map",
        "status=Wynik",
        "--map",
        "created=Utworzono",
        "--map",
        "closed_at=Zamknięto",
        "--map",
        "lost_reason=Powód",
        "--date-format",
        "%d.%m.%Y",
        "--stage-map",
        "Kontakt=qualified",
        "--stage-map",
        "Oferta=proposal",
        "--stage-map",
        "Negocjacje=negotiation",
        "--status-map",
        "otwarta=open",
        "--status-map",
        "wygrana=won",
        "--status-map",
        "przegrana=lost",
    )
    assert "3 created, 0 updated, 0 skipped, 0 failed" in result.stdout
    deals = by_external_id(pipe.root)
    a = deals["101"]
    assert a["title"] == "Zażółć Sp. z o.o.: Łucja Wrześniewska"
    assert a["contact"] == {"name": "Łucja Wrześniewska"}
    assert (a["stage"], a["status"], a["currency"]) == ("proposal", "open", "EUR")
    assert a["created"] == "2026-03-02T00:00:00+01:00"
    b = deals["102"]
    assert b["title"] == "บริษัท ทดสอบ: Somchai Jaidee"
    assert b["id"] == "brisath-thdsob-somchai-102"  # the title transliterated, cut at a word, and the source id
    assert [(h["event"], h["to"], h["at"]) for h in b["history"]] == [
        ("created", "negotiation", "2026-02-01T00:00:00+01:00"),
        ("won", "negotiation", "2026-03-15T00:00:00+01:00"),
    ]
    c = deals["103"]
    assert (c["status"], c["lost_reason"], c["history"][-1]["reason"]) == ("lost", "cena", "cena")
    # the value column was not mapped: no values
    assert all("value" not in d for d in deals.values())
    shown = pipe("show", b["id"]).stdout
    assert "บริษัท ทดสอบ: Somchai Jaidee" in shown
    assert pipe("check").stdout == ""


def test_bad_rows_are_reported_with_line_and_reason_and_the_rest_imported(pipe, tmp_path: Path) -> None:
    path = tmp_path / "deals.csv"
    path.write_text(
        "id,external_id,title,value,stage,status,created,contact_email\n"
        "ok-1,A1,Good one,100,lead,open,2026-01-05,\n"
        ",A2,,100,lead,open,2026-01-05,\n"  # line 3: no title
        ',A3,"Two\nlines",100,lead,open,2026-01-05,\n'  # lines 4-5: a title on two lines is fine
        ",A4,Bad value,-5,lead,open,2026-01-05,\n"  # line 6
        ",A5,Bad stage,5,nowhere,open,2026-01-05,\n"  # line 7
        ",A6,Bad status,5,lead,maybe,2026-01-05,\n"  # line 8
        ",A7,Bad date,5,lead,open,05/01/2026,\n"  # line 9
        ",A8,Bad mail,5,lead,open,2026-01-05,not-an-address\n"  # line 10
        ",A1,Same source id,5,lead,open,2026-01-05,\n"  # line 11
        "Bad Id!,A9,Bad id,5,lead,open,2026-01-05,\n"  # line 12
        ",A10,Good two,5,qualified,won,2026-01-06,\n"  # line 13
        ',A11,Decimal comma,"12 000,50",lead,open,2026-01-05,\n'  # line 14
        ',A12,Thousands,"12,000.50",lead,open,2026-01-05,\n',  # line 15
        encoding="utf-8",
    )
    result = pipe("import", str(path), ok=False)
    assert result.exit_code == 1
    errors = {int(e.split(":")[2]): e.split(": ", 2)[2] for e in result.stderr.splitlines()}
    assert sorted(errors) == [3, 6, 7, 8, 9, 10, 11, 12, 14]
    assert errors[3] == "no title: title is empty"
    assert "negative" in errors[6]
    assert "unknown stage 'nowhere'" in errors[7] and "--stage-map nowhere=STAGE" in errors[7]
    assert "'maybe' is not open, won or lost" in errors[8]
    assert "'05/01/2026' is not a date" in errors[9] and "--date-format" in errors[9]
    assert errors[10].startswith("contact.email:")
    assert errors[11] == "external_id 'A1' appears again; first on line 2"
    assert "'Bad Id!' cannot be a deal id" in errors[12]
    assert "'12 000,50' looks like a decimal comma" in errors[14]
    assert "4 created, 0 updated, 0 skipped, 9 failed" in result.stdout
    deals = by_external_id(pipe.root)
    assert sorted(deals) == ["A1", "A10", "A12", "A3"]
    assert deals["A12"]["value"] == "12000.50"
    assert deals["A1"]["id"] == "ok-1"
    assert deals["A3"]["title"] == "Two\nlines"
    assert pipe("check").stdout == ""


def test_usage_errors_exit_2_with_one_line(pipe, tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_text("Name,Amount\nA,1\n", encoding="utf-8")
    r = pipe("import", str(path), "--map", "titel=Name", ok=False)
    assert r.exit_code == 2
    assert r.stderr.startswith("pipe: --map titel: unknown field")
    r = pipe("import", str(path), "--map", "title=Nme", ok=False)
    assert r.exit_code == 2
    assert "no column 'Nme' in the file; it has Name, Amount" in r.stderr
    r = pipe("import", str(path), ok=False)  # default preset pipe: no title column
    assert r.exit_code == 2
    assert "--map title=COLUMN" in r.stderr
    r = pipe("import", str(path), "--preset", "salesforce", ok=False)
    assert r.exit_code == 2
    assert "crm-sales-opportunities" in r.stderr
    r = pipe("import", str(tmp_path / "missing.csv"), ok=False)
    assert r.exit_code == 1
    assert "no such file" in r.stderr
    latin = tmp_path / "latin.csv"
    latin.write_bytes("title\nZa\xbf\xf3\xb3\xe6\n".encode("latin-1"))
    r = pipe("import", str(latin), ok=False)
    assert r.exit_code == 1
    assert "latin.csv:2: not UTF-8 text" in r.stderr


# Pipedrive: Deals list > "..." > Export, CSV. The columns are the deal fields' names
# as Pipedrive shows them, prefixed with the entity ("Deal - ").
PIPEDRIVE_CSV = (
    "Deal - ID,Deal - Title,Deal - Creator,Deal - Owner,Deal - Value,Deal - Currency,Deal - Weighted value,"
    "Deal - Probability,Deal - Organization,Deal - Pipeline,Deal - Contact person,Deal - Stage,Deal - Label,"
    "Deal - Status,Deal - Deal created,Deal - Update time,Deal - Last stage change,Deal - Next activity date,"
    "Deal - Expected close date,Deal - Won time,Deal - Lost time,Deal - Deal closed on,Deal - Lost reason,"
    "Deal - Source channel\n"
    "7,Nordwind website,Anna Kowalska,Anna Kowalska,12000,EUR,7200,,Nordwind GmbH,Sales,Jens Vogt,Proposal Made,"
    "Hot,Open,2024-02-01 09:30:00,2024-03-01 10:00:00,2024-02-20 11:00:00,2024-03-10,2024-04-30,,,,,Referral\n"
    "8,Kraków fit-out,Anna Kowalska,Piotr Zieliński,4500.50,PLN,4500.50,,Zażółć Sp. z o.o.,Sales,,Contact Made,"
    ",Won,2024-01-10 08:00:00,2024-02-02 16:00:00,2024-01-20 12:00:00,,2024-02-15,2024-02-02 15:45:00,,"
    "2024-02-02 15:45:00,,Web\n"
    "9,Lost cause,Anna Kowalska,Anna Kowalska,800,EUR,0,,Acme,Sales,,Lead In,,Lost,2024-01-03 10:00:00,"
    "2024-01-09 10:00:00,,,,,2024-01-09 09:00:00,2024-01-09 09:00:00,Price too high,\n"
)


def test_pipedrive_export(pipe, tmp_path: Path) -> None:
    path = tmp_path / "deals-pipedrive.csv"
    path.write_text(PIPEDRIVE_CSV, encoding="utf-8")
    result = pipe("import", str(path), "--preset", "pipedrive")
    assert "3 created, 0 updated, 0 skipped, 0 failed" in result.stdout
    deals = by_external_id(pipe.root)
    a = deals["7"]
    assert (a["title"], a["owner"], a["company"], a["value"], a["currency"]) == (
        "Nordwind website",
        "Anna Kowalska",
        "Nordwind GmbH",
        "12000",
        "EUR",
    )
    assert (a["stage"], a["status"], a["source"], a["tags"]) == ("proposal", "open", "Referral", ["Hot"])
    assert a["contact"] == {"name": "Jens Vogt"}
    assert a["created"] == "2024-02-01T09:30:00+01:00"
    assert a["close_date"] == "2024-04-30"
    b = deals["8"]
    assert (b["stage"], b["status"], b["value"], b["currency"]) == ("qualified", "won", "4500.50", "PLN")
    assert b["history"][-1]["at"] == "2024-02-02T15:45:00+01:00"
    c = deals["9"]
    assert (c["stage"], c["status"], c["lost_reason"]) == ("lead", "lost", "Price too high")
    assert c["history"][-1]["at"] == "2024-01-09T09:00:00+01:00"
    assert pipe("check").stdout == ""


# HubSpot: Deals index > Export (CSV). Columns are the property labels; the first is "Record ID".
HUBSPOT_CSV = (
    "\ufeffRecord ID,Deal Name,Deal Stage,Pipeline,Amount,Close Date,Create Date,Deal owner,Deal Type,"
    "Associated Company,Closed Lost Reason,Next step\n"
    "15011,Acme renewal,Presentation Scheduled,Sales Pipeline,3000,2024-06-30,2024-03-04 14:05,Mia Chen,"
    "Existing Business,Acme Inc,,Send the deck\n"
    "15012,Globex new logo,Closed Won,Sales Pipeline,25000,2024-05-20 10:00,2024-02-01 09:00,Mia Chen,"
    "New Business,Globex,,\n"
    "15013,Initech pilot,Closed Lost,Sales Pipeline,1800,2024-04-02 17:30,2024-03-01 08:15,Raj Patel,"
    "New Business,Initech,Went with a competitor,\n"
)


def test_hubspot_export(pipe, tmp_path: Path) -> None:
    path = tmp_path / "hubspot-deals.csv"
    path.write_text(HUBSPOT_CSV, encoding="utf-8")
    result = pipe("import", str(path), "--preset", "hubspot")
    assert "3 created, 0 updated, 0 skipped, 0 failed" in result.stdout
    deals = by_external_id(pipe.root)
    a = deals["15011"]
    assert (a["title"], a["stage"], a["status"], a["owner"], a["company"]) == (
        "Acme renewal",
        "meeting",
        "open",
        "Mia Chen",
        "Acme Inc",
    )
    assert a["next_step"] == {"text": "Send the deck"}
    assert a["created"] == "2024-03-04T14:05:00+01:00"
    assert a["tags"] == ["Existing Business"]
    b = deals["15012"]
    # a closed HubSpot deal says nothing of its stage: it keeps the first one
    assert (b["stage"], b["status"], b["value"]) == ("lead", "won", "25000")
    assert b["history"][-1]["at"] == "2024-05-20T10:00:00+02:00"
    c = deals["15013"]
    assert (c["status"], c["lost_reason"]) == ("lost", "Went with a competitor")
    assert pipe("check").stdout == ""


def test_real_process_imports_and_exports(tmp_path: Path, env_without_pipe_dir: dict[str, str]) -> None:
    exe = Path(sys.executable).with_name("pipe")
    cmd = [str(exe)] if exe.exists() else [shutil.which("pipe") or "pipe"]
    root = tmp_path / "real"
    env = {**env_without_pipe_dir, "TZ": "Europe/Warsaw"}

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([*cmd, *args], capture_output=True, text=True, env=env, check=False)

    assert run("init", str(root), "--stages", "prospecting,engaging", "--currency", "USD").returncode == 0
    r = run("-C", str(root), "import", str(EXCERPT), *SAMPLE_ARGS)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip().endswith("40 created, 0 updated, 0 skipped, 0 failed")
    assert r.stderr == ""  # no progress bar when standard error is not a terminal
    r = run("-C", str(root), "export", "--format", "csv", "--status", "won")
    assert r.returncode == 0
    won = [row for row in sample_rows(EXCERPT) if row["deal_stage"] == "Won"]
    lines = r.stdout.splitlines()
    assert len(lines) == 1 + len(won)
    exported = {row["external_id"]: row for row in csv.DictReader(io.StringIO(r.stdout))}
    assert {k: v["value"] for k, v in exported.items()} == {w["opportunity_id"]: w["close_value"] for w in won}


def test_update_of_a_broken_file_fails_that_row_only(sample_pipe) -> None:
    sample_pipe("import", str(EXCERPT), *SAMPLE_ARGS)
    first = sample_rows(EXCERPT)[0]
    deal_id = by_external_id(sample_pipe.root)[first["opportunity_id"]]["id"]
    path = sample_pipe.root / "deals" / f"{deal_id}.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("status: won", "status: [won"), encoding="utf-8")
    result = sample_pipe("import", str(EXCERPT), *SAMPLE_ARGS, "--update", ok=False)
    assert result.exit_code == 1
    (err,) = result.stderr.splitlines()
    assert err.startswith("pipe: ") and f"{EXCERPT.name}:2: cannot update {deal_id}: " in err
    assert f"{deal_id}.yaml:" in err  # the broken file, with its line
    assert "0 created, 0 updated, 39 skipped, 1 failed (39 unchanged)" in result.stdout


def _real_pipe() -> list[str]:
    exe = Path(sys.executable).with_name("pipe")
    return [str(exe)] if exe.exists() else [shutil.which("pipe") or "pipe"]


def _many_rows(path: Path, n: int) -> None:
    lines = ["external_id,title,stage,created"] + [f"E{i},Deal {i},lead,2026-01-05" for i in range(n)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


@pytest.mark.skipif(sys.platform == "win32", reason="needs a pseudo-terminal")
def test_progress_bar_only_on_a_terminal(pipe, tmp_path: Path, env_without_pipe_dir: dict[str, str]) -> None:
    import pty

    path = tmp_path / "many.csv"
    _many_rows(path, 600)
    master, slave = pty.openpty()
    try:
        proc = subprocess.run(
            [*_real_pipe(), "-C", str(pipe.root), "import", str(path), "--dry-run"],
            stdout=subprocess.PIPE,
            stderr=slave,
            env=env_without_pipe_dir,
            check=False,
        )
        os.close(slave)
        seen = b""
        while True:
            try:
                chunk = os.read(master, 4096)
            except OSError:
                break
            if not chunk:
                break
            seen += chunk
    finally:
        os.close(master)
    assert proc.returncode == 0
    assert b"importing [" in seen and b"400/600" in seen
    assert b"600 would be created" in proc.stdout
    assert b"importing" not in proc.stdout


def test_import_holds_the_lock(pipe, tmp_path: Path, env_without_pipe_dir: dict[str, str]) -> None:
    from pipecli.store import Store

    path = tmp_path / "few.csv"
    _many_rows(path, 3)
    env = {**env_without_pipe_dir, "PIPE_LOCK_TIMEOUT": "0.3"}
    with Store.open(pipe.root).lock():
        proc = subprocess.run(
            [*_real_pipe(), "-C", str(pipe.root), "import", str(path)],
            capture_output=True,
            text=True,
            env=env,
            check=False,
        )
    assert proc.returncode == 1
    assert "another pipe command has held the lock" in proc.stderr
    assert read_deals(pipe.root) == {}
    assert "3 created" in pipe("import", str(path)).stdout


def test_update_reopens_and_recloses(pipe, tmp_path: Path) -> None:
    path = tmp_path / "crm.csv"
    header = "Ref,Name,Phase,Result,Opened,Closed,Why,Region\n"
    path.write_text(
        header + "R1,Won then lost,proposal,won,2026-01-05,2026-01-20,,north\n"
        "R2,Lost then open,meeting,lost,2026-01-05,2026-01-21,budget,south\n"
        "R3,Open then won,qualified,open,2026-01-05,,,west\n",
        encoding="utf-8",
    )
    args = [
        "import",
        str(path),
        "--map",
        "external_id=Ref",
        "--map",
        "title=Name",
        "--map",
        "stage=Phase",
        "--map",
        "status=Result",
        "--map",
        "created=Opened",
        "--map",
        "closed_at=Closed",
        "--map",
        "lost_reason=Why",
        "--map",
        "extra.region=Region",
    ]
    pipe(*args)
    assert by_external_id(pipe.root)["R1"]["region"] == "north"
    path.write_text(
        header + "R1,Won then lost,proposal,lost,2026-01-05,2026-02-01,competitor,north\n"
        "R2,Lost then open,negotiation,open,2026-01-05,,,south\n"
        "R3,Open then won,qualified,won,2026-01-05,2026-02-03,,east\n",
        encoding="utf-8",
    )
    result = pipe(*args, "--update", "--at", "2026-02-10T12:00")
    assert "0 created, 3 updated, 0 skipped, 0 failed" in result.stdout
    deals = by_external_id(pipe.root)
    r1, r2, r3 = deals["R1"], deals["R2"], deals["R3"]
    at = "2026-02-10T12:00:00+01:00"
    assert [(h["event"], h["at"]) for h in r1["history"][2:]] == [("reopened", at), ("lost", at)]
    assert (r1["status"], r1["lost_reason"]) == ("lost", "competitor")
    assert [(h["event"], h.get("to")) for h in r2["history"][2:]] == [("reopened", "negotiation")]
    assert (r2["status"], r2["stage"], "lost_reason" in r2) == ("open", "negotiation", False)
    assert [(h["event"], h["at"]) for h in r3["history"][1:]] == [
        ("won", "2026-02-03T00:00:00+01:00"),
        ("changed", at),
    ]
    assert (r3["status"], r3["region"], r3["history"][-1]["field"]) == ("won", "east", "region")
    assert pipe("check").stdout == ""


def test_map_with_nothing_drops_a_preset_field(sample_pipe) -> None:
    sample_pipe("import", str(EXCERPT), *SAMPLE_ARGS, "--map", "tags=", "--map", "owner=")
    deals = read_deals(sample_pipe.root).values()
    assert len(deals) == 40
    assert all("owner" not in d and d.get("tags", []) == [] for d in deals)
