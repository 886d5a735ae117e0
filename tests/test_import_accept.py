"""`pipe import` on hand-made files: what a user sees after editing and re-importing them."""

from __future__ import annotations

import json
from pathlib import Path

from transfer_helpers import by_external_id


def test_update_dates_a_move_without_a_stage_date_at_the_update(pipe, tmp_path: Path) -> None:
    path = tmp_path / "deals.csv"
    header = "external_id,title,stage,created\n"
    path.write_text(header + "X1,Acme,lead,2026-01-05\n", encoding="utf-8")
    pipe("import", str(path))
    # weeks later the spreadsheet says the deal is at proposal; it gives no date for that
    path.write_text(header + "X1,Acme,proposal,2026-01-05\n", encoding="utf-8")
    result = pipe("import", str(path), "--update", "--at", "2026-02-10T12:00")
    assert "0 created, 1 updated" in result.stdout
    history = by_external_id(pipe.root)["X1"]["history"]
    assert [(h["event"], h.get("to"), h["at"]) for h in history] == [
        ("created", "lead", "2026-01-05T00:00:00+01:00"),
        ("moved", "proposal", "2026-02-10T12:00:00+01:00"),
    ]
    assert pipe("check").stdout == ""
    # so the report counts 36.5 days in lead (January 5 to February 10, noon), not none
    report = json.loads(pipe("report", "--format", "json", "--as-of", "2026-02-28").stdout)
    assert report["funnel"][0]["time_in_stage_finished_median_days"] == 36.5


def test_a_multi_line_cell_of_a_windows_file_keeps_plain_line_ends(pipe, tmp_path: Path) -> None:
    # saved on Windows: CR LF between rows and inside the quoted cells that span lines
    path = tmp_path / "deals.csv"
    text = (
        "\ufeffexternal_id;title;company;status;lost_reason;created\r\n"
        'T1;บริษัท ทดสอบ;"บริษัท\r\nสองบรรทัด";lost;"ราคา\r\nแพง";2026-01-07\r\n'
    )
    path.write_bytes(text.encode("utf-8"))
    assert "1 created" in pipe("import", str(path)).stdout
    deal_id = next(iter(by_external_id(pipe.root).values()))["id"]
    shown = json.loads(pipe("show", deal_id, "--format", "json").stdout)
    assert shown["company"] == "บริษัท\nสองบรรทัด"
    assert shown["lost_reason"] == "ราคา\nแพง"


def test_update_dates_a_win_without_a_close_date_at_the_update(pipe, tmp_path: Path) -> None:
    path = tmp_path / "deals.csv"
    header = "external_id,title,status,created\n"
    path.write_text(header + "W1,Won later,open,2026-01-05\nW2,Closed on a date,open,2026-01-05\n", encoding="utf-8")
    pipe("import", str(path))
    path.write_text(
        "external_id,title,status,created,closed_at\n"
        "W1,Won later,won,2026-01-05,\n"
        "W2,Closed on a date,won,2026-01-05,2026-01-20\n",
        encoding="utf-8",
    )
    pipe("import", str(path), "--update", "--at", "2026-02-10T12:00")
    deals = by_external_id(pipe.root)
    assert [(h["event"], h["at"]) for h in deals["W1"]["history"]] == [
        ("created", "2026-01-05T00:00:00+01:00"),
        ("won", "2026-02-10T12:00:00+01:00"),
    ]
    assert deals["W2"]["history"][-1]["at"] == "2026-01-20T00:00:00+01:00"
    # at the end of January the first deal was still open
    report = json.loads(pipe("report", "--format", "json", "--as-of", "2026-01-31").stdout)
    assert (report["totals"]["open"], report["totals"]["won"]) == (1, 1)


HUBSPOT_HEADER = "Record ID,Deal Name,Deal Stage,Amount,Close Date,Create Date,Deal owner\n"


def test_update_of_a_hubspot_deal_to_closed_won_keeps_its_stage(pipe, tmp_path: Path) -> None:
    # Closed Won names no stage: the deal is won where it was, not moved back to the first stage
    path = tmp_path / "hubspot.csv"
    path.write_text(HUBSPOT_HEADER + "9001,Acme renewal,Contract Sent,2500,2024-05-01,2024-02-01 09:00,Sarah\n")
    pipe("import", str(path), "--preset", "hubspot")
    path.write_text(HUBSPOT_HEADER + "9001,Acme renewal,Closed Won,2500,2024-05-01,2024-02-01 09:00,Sarah\n")
    pipe("import", str(path), "--preset", "hubspot", "--update", "--at", "2024-06-01T10:00")
    deal = by_external_id(pipe.root)["9001"]
    assert (deal["stage"], deal["status"]) == ("negotiation", "won")
    assert [(h["event"], h.get("to"), h["at"]) for h in deal["history"]] == [
        ("created", "negotiation", "2024-02-01T09:00:00+01:00"),
        ("won", "negotiation", "2024-05-01T00:00:00+02:00"),
    ]
    report = json.loads(pipe("report", "--format", "json", "--as-of", "2024-06-30").stdout)
    assert report["totals"]["back_moves"] == 0


def test_a_stage_map_to_a_stage_the_pipeline_lacks_is_a_command_line_mistake(pipe, tmp_path: Path) -> None:
    path = tmp_path / "fasi.csv"
    path.write_text("title,stage,created\nA,Fase uno,2026-01-01\nB,Fase tre,2026-01-01\n", encoding="utf-8")
    result = pipe("import", str(path), "--stage-map", "Fase uno=Lead", "--stage-map", "Fase tre=chiusura", ok=False)
    assert result.exit_code == 2
    assert result.stderr.startswith("pipe: --stage-map Fase tre=chiusura: unknown stage 'chiusura'")
    assert len(result.stderr.splitlines()) == 1
    assert list((pipe.root / "deals").iterdir()) == []
