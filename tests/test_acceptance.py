"""Acceptance: what a new user does with only the README and docs/ in hand."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import subprocess
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from clock_helpers import on_one_clock
from conftest import PIPE_SCRIPT

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_the_readme_lead_to_won_walkthrough_runs_as_written(tmp_path: Path) -> None:
    section = README.split("## A deal from lead to won", 1)[1].split("\n## ", 1)[0]
    script, morning = re.findall(r"```sh\n(.+?)\n```", section, re.S)[:2]
    script += "\n" + morning  # the morning after, in the same folder
    env = {**os.environ, "PATH": f"{PIPE_SCRIPT.parent}{os.pathsep}{os.environ['PATH']}"}
    run = subprocess.run(
        ["bash", "-e", "-c", script],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=env,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    assert run.stderr == ""
    new_id = run.stdout.splitlines()[1]  # after init's line, add prints the id
    assert re.fullmatch(r"zazolc-sp-z-o-o-rollout-[a-z0-9]{4}", new_id), new_id
    csv_rows = [line for line in run.stdout.splitlines() if line.startswith(new_id + ",")]
    assert len(csv_rows) == 1
    # won from the proposal stage it was moved to, 12,000 PLN
    assert ",proposal,won,12000,PLN," in csv_rows[0]
    deal = (Path(os.environ["HOME"]) / "sales" / "deals" / f"{new_id}.yaml").read_text(encoding="utf-8")
    assert "at: 2026-03-09T14:00:00+01:00" in deal
    # the morning: the agenda, the search and the step done
    assert "Agenda of marek" in run.stdout
    assert re.search(r"^wroclawska-piekarnia-[a-z0-9]{4} .*Wrocławska Piekarnia: kasy$", run.stdout, re.M)
    assert re.search(r"^  company +Wrocławska Piekarnia$", run.stdout, re.M)  # what search matched
    bakery = next((Path(os.environ["HOME"]) / "sales" / "deals").glob("wroclawska-*.yaml")).read_text("utf-8")
    assert "Done: Send the pilot offer" in bakery and "Offer sent" in bakery
    assert "done on wroclawska-piekarnia-" in run.stdout and "it has no next step now" in run.stdout
    ics = (Path(os.environ["HOME"]) / "next-steps.ics").read_text(encoding="utf-8")
    assert ics.startswith("BEGIN:VCALENDAR")


def _pipeline(tmp_path: Path) -> Path:
    root = tmp_path / "sales"
    subprocess.run([str(PIPE_SCRIPT), "init", str(root)], check=True, capture_output=True)
    return root


def test_report_refuses_the_email_format_of_stale_with_one_line(tmp_path: Path) -> None:
    root = _pipeline(tmp_path)
    run = subprocess.run(
        [str(PIPE_SCRIPT), "-C", str(root), "report", "--format", "email"],
        capture_output=True,
        text=True,
        encoding="utf-8",
    )
    assert run.returncode == 2
    assert run.stdout == ""
    assert run.stderr.count("\n") == 1
    assert "internal error" not in run.stderr
    # the formats a report has, and where email is
    assert run.stderr == (
        "pipe: --format 'email': use table, markdown, json, csv, tsv, yaml or html (email is for `pipe stale`)\n"
    )


def test_the_annotated_files_of_the_format_page_pass_check(tmp_path: Path) -> None:
    page = (ROOT / "docs" / "format.md").read_text(encoding="utf-8")
    pipeline_yaml, deal_yaml = re.findall(r"```yaml\n(.+?)```", page, re.S)[:2]
    root = tmp_path / "fmt"
    (root / "deals").mkdir(parents=True)
    (root / "pipeline.yaml").write_text(pipeline_yaml, encoding="utf-8")
    deal_id = re.search(r"^id: (\S+)", deal_yaml, re.M).group(1)  # type: ignore[union-attr]
    (root / "deals" / f"{deal_id}.yaml").write_text(deal_yaml, encoding="utf-8")
    run = subprocess.run([str(PIPE_SCRIPT), "check"], cwd=root, capture_output=True, text=True, encoding="utf-8")
    assert (run.returncode, run.stdout, run.stderr) == (0, "", "")
    # the id is the one the Ids section derives from the title, plus a suffix
    assert re.fullmatch(r"zazolc-sp-z-o-o-rollout-[a-z0-9]{4}", deal_id), deal_id
    run = subprocess.run(
        [str(PIPE_SCRIPT), "-C", str(root), "show", deal_id, "--format", "json"],
        capture_output=True,
        text=True,
        encoding="utf-8",
    )
    shown = json.loads(run.stdout)
    assert (shown["stage"], shown["status"], shown["owner"]) == ("qualified", "open", "marek")
    assert "lost_reason" not in shown  # an open deal has none


def test_check_names_every_problem_of_a_file_on_its_own_line(tmp_path: Path) -> None:
    root = _pipeline(tmp_path)
    (root / "deals" / "ujemna.yaml").write_text(
        "title: Wartość ujemna\nstage: lead\nvalue: -5\ncurrency: zł\ncreated: 2026-03-06\n", encoding="utf-8"
    )
    run = subprocess.run([str(PIPE_SCRIPT), "check"], cwd=root, capture_output=True, text=True, encoding="utf-8")
    assert run.returncode == 1
    lines = run.stdout.splitlines()
    assert [line.split(": ", 1)[0] for line in lines] == [
        "deals/ujemna.yaml:3",
        "deals/ujemna.yaml:4",
        "deals/ujemna.yaml:5",
    ], lines
    assert lines[0].startswith("deals/ujemna.yaml:3: value: ")
    assert lines[1].startswith("deals/ujemna.yaml:4: currency: ")
    assert lines[2].startswith("deals/ujemna.yaml:5: created: ")
    assert not any("more problem" in line for line in lines)
    assert run.stderr == "3 problems\n"


def test_list_and_show_on_an_ascii_only_output(tmp_path: Path) -> None:
    """Output its stream cannot carry is never mangled: JSON escapes it (the same JSON),
    a table or CSV is refused with one line that says what to do."""
    root = _pipeline(tmp_path)
    titles = {"thai": "ร้านกาแฟ เชียงใหม่", "lodz": "Łódzkie Młyny ERP", "caffe": "Caffè Nero Torino"}
    for deal_id, title in titles.items():
        subprocess.run(
            [str(PIPE_SCRIPT), "-C", str(root), "add", title, "--id", deal_id, "--at", "2026-03-02"],
            check=True,
            capture_output=True,
        )
    env = {**os.environ, "PYTHONIOENCODING": "ascii"}
    for args in (["list"], ["show", "thai"], ["list", "--format", "csv"], ["list", "--format", "tsv"]):
        run = subprocess.run([str(PIPE_SCRIPT), "-C", str(root), *args], capture_output=True, env=env)
        assert (run.returncode, run.stdout) == (1, b""), args
        line = run.stderr.decode("ascii")
        assert line.startswith("pipe: standard output is ascii, which cannot carry "), line
        assert line.count("\n") == 1 and "PYTHONIOENCODING=utf-8" in line
        assert ("-o FILE" in line) is (args[0] == "list")  # show has no -o
    # the same listing to a file with -o: UTF-8, whatever the terminal's encoding
    target = tmp_path / "deals.csv"
    run = subprocess.run([str(PIPE_SCRIPT), "-C", str(root), "list", "-f", "csv", "-o", str(target)], env=env)
    assert run.returncode == 0
    assert {row["id"]: row["title"] for row in csv.DictReader(io.StringIO(target.read_text("utf-8")))} == titles
    for fmt in ("json", "jsonl"):
        run = subprocess.run([str(PIPE_SCRIPT), "-C", str(root), "list", "-f", fmt], capture_output=True, env=env)
        assert run.returncode == 0, run.stderr
        # JSON stays exact: what ASCII cannot carry comes as \\u escapes
        text = run.stdout.decode("ascii")
        records = json.loads(text) if fmt == "json" else [json.loads(line) for line in text.splitlines()]
        assert {d["id"]: d["title"] for d in records} == titles


def test_check_says_in_plain_words_what_a_hand_typed_value_should_be(tmp_path: Path) -> None:
    root = _pipeline(tmp_path)
    (root / "deals" / "reka.yaml").write_text(
        "title: Ręcznie\n"
        "stage: lead\n"
        "created: yesterday\n"
        "probability: 70%\n"
        "close_date: 30/06/2026\n"
        "next_step: Zadzwonić do prezesa\n"
        "tags: 5\n",
        encoding="utf-8",
    )
    run = subprocess.run([str(PIPE_SCRIPT), "check"], cwd=root, capture_output=True, text=True, encoding="utf-8")
    assert run.returncode == 1
    assert run.stdout.splitlines() == [
        "deals/reka.yaml:3: created: 'yesterday' is not a time stamp; write e.g. 2026-03-02T10:15:00+01:00",
        "deals/reka.yaml:4: probability: '70%' is not a number; write digits with a dot for decimals, e.g. 0.7",
        "deals/reka.yaml:5: close_date: '30/06/2026' is not a date; write YYYY-MM-DD, e.g. 2026-06-30",
        "deals/reka.yaml:6: next_step: expected indented `key: value` lines below it, not 'Zadzwonić do prezesa'",
        "deals/reka.yaml:7: tags: expected a list such as [a, b], not 5",
    ]


def test_report_as_of_yesterday_like_at_yesterday(tmp_path: Path) -> None:
    root = _pipeline(tmp_path)
    expected, run = on_one_clock(
        lambda: datetime.now(ZoneInfo(os.environ["TZ"])).date() - timedelta(days=1),
        lambda: subprocess.run(
            [str(PIPE_SCRIPT), "-C", str(root), "report", "--as-of", "yesterday", "--format", "json"],
            capture_output=True,
            text=True,
            encoding="utf-8",
        ),
    )
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout)["as_of"] == expected.isoformat()


def test_list_stage_won_points_to_status_won(tmp_path: Path) -> None:
    root = _pipeline(tmp_path)
    run = subprocess.run(
        [str(PIPE_SCRIPT), "-C", str(root), "list", "--stage", "won"],
        capture_output=True,
        text=True,
        encoding="utf-8",
    )
    assert run.returncode == 2  # a wrong command line
    assert run.stdout == ""
    assert run.stderr.count("\n") == 1
    assert "--status won" in run.stderr


def _cells(line: str) -> int:
    """Cells of a markdown table row: the | that are not escaped as \\|."""
    return len(re.findall(r"(?<!\\)\|", line)) - 1


def test_markdown_tables_keep_their_columns_when_a_title_or_owner_has_a_bar(tmp_path: Path) -> None:
    root = _pipeline(tmp_path)
    subprocess.run(
        [
            str(PIPE_SCRIPT),
            "-C",
            str(root),
            "add",
            "CRM | ERP bundle",
            "--id",
            "bar",
            "--owner",
            "a|b",
            "--at",
            "2026-03-02",
        ],
        check=True,
        capture_output=True,
    )
    for args in (
        ["list", "--format", "markdown"],
        ["report", "--as-of", "2026-03-03", "--by", "owner", "-f", "markdown"],
    ):
        run = subprocess.run(
            [str(PIPE_SCRIPT), "-C", str(root), *args], capture_output=True, text=True, encoding="utf-8"
        )
        assert run.returncode == 0, run.stderr
        table_lines = [line for line in run.stdout.splitlines() if line.startswith("|")]
        assert table_lines
        blocks: list[list[str]] = [[]]
        for line in run.stdout.splitlines():
            if line.startswith("|"):
                blocks[-1].append(line)
            elif blocks[-1]:
                blocks.append([])
        for block in (b for b in blocks if b):
            assert len({_cells(line) for line in block}) == 1, block
    listing = subprocess.run(
        [str(PIPE_SCRIPT), "-C", str(root), "list", "--format", "markdown"], capture_output=True, text=True
    ).stdout
    assert "CRM \\| ERP bundle" in listing and "a\\|b" in listing
