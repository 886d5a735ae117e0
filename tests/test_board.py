"""`pipe board`: a column per stage, a card per open deal, read back cell by cell as a terminal shows it."""

from __future__ import annotations

import itertools
import json
import os
import re
import subprocess
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from conftest import PIPE_SCRIPT
from terminal_helpers import DEMO, in_terminal, plain
from typer.testing import CliRunner
from wcwidth import wcwidth

from pipecli.cli import app
from pipecli.render.fit import display_width

AS_OF = "2026-03-20"
CUTOFF = datetime(2026, 3, 21, tzinfo=ZoneInfo("Europe/Warsaw"))
STAGES = ["Lead", "Qualified", "Meeting", "Proposal", "Negotiation"]
SGR = re.compile(r"\x1b\[([0-9;]*)m")

# id: (title, company, owner, value, currency, created, stage, entered)
DEALS = {
    "zazolc": ("Zażółć gęślą jaźń: wdrożenie systemu CRM w oddziałach", "Zażółć Sp. z o.o.", "marek",
               "43900", "PLN", "2026-03-02T10:00", "lead", "2026-03-02T10:00"),
    "caffe": ("Caffè Società Cooperativa: più tavoli, più caffè per tutti", "Caffè Società Coop.", "giulia",
              "13900", "EUR", "2026-03-01T09:00", "qualified", "2026-03-05T12:00"),
    "thai": ("ระบบบัญชี สยามเทค จำกัด มหาชน สำนักงานใหญ่ กรุงเทพมหานคร", "บริษัท สยามเทค จำกัด", "somchai",
             "901500", "THB", "2026-03-03T08:30", "meeting", "2026-03-12T15:00"),
    "kawa": ("ร้านกาแฟ", None, None, None, None, "2026-03-15T11:00", "proposal", "2026-03-18T09:00"),
    "piekarnia": ("Wrocławska Piekarnia – kasy", "Piekarnia Wrocławska", "marek",
                  "8800", "PLN", "2026-03-10T10:00", "negotiation", "2026-03-19T16:00"),
    "osteria": ("Osteria dell'Università: più coperti", "Osteria", "giulia",
                "60000", "EUR", "2026-03-04T10:00", "qualified", "2026-03-06T10:00"),
}  # fmt: skip


@pytest.fixture
def board_pipe(pipe: Any) -> Any:
    """Six open deals with Polish, Italian and Thai titles in every stage; one won, one created too late."""
    for deal_id, (title, company, owner, value, currency, created, stage, entered) in DEALS.items():
        args = ["--id", deal_id, "--at", created]
        args += ["--company", company] if company else []
        args += ["--owner", owner] if owner else []
        args += ["--value", value, "--currency", currency] if value else []
        pipe("add", title, *args)
        if stage != "lead":
            pipe("move", deal_id, stage, "--at", entered)
    pipe("next", "zazolc", "Zadzwonić do prezesa", "--due", "2026-03-10", "--at", "2026-03-05")  # overdue by the 20th
    pipe("next", "piekarnia", "Wysłać umowę", "--due", "2026-03-25", "--at", "2026-03-19T16:00")  # not stale
    pipe("next", "kawa", "โทรหาลูกค้า", "--due", "2026-03-30", "--at", "2026-03-18T09:00")  # not stale
    pipe("add", "Won already", "--id", "won", "--at", "2026-03-01")
    pipe("won", "won", "--at", "2026-03-02")
    pipe("add", "Created after the day", "--id", "later", "--at", "2026-03-25")
    return pipe


# -- reading a board back, cell by cell ------------------------------------------------------------
def columns_at(line: str) -> list[tuple[int, int]]:
    """(start, end) display columns of each run of rule characters on a line."""
    out, pos, start = [], 0, None
    for ch in line + " ":
        if ch in "━=" and start is None:
            start = pos
        elif ch not in "━=" and start is not None:
            out.append((start, pos))
            start = None
        pos += max(wcwidth(ch), 0)
    return out


def cell(line: str, start: int, end: int) -> str:
    """The characters of ``line`` shown in display columns [start, end); a mark stays with its letter."""
    out, pos = [], 0
    for ch in line:
        w = max(wcwidth(ch), 0)
        if start <= pos < end or (w == 0 and out and start < pos <= end):
            out.append(ch)
        pos += w
    return "".join(out)


@dataclass
class Column:
    header: list[str]
    cards: list[list[str]] = field(default_factory=list)  # each card's text lines, borders removed


def read_board(text: str, width: int | None) -> list[Column]:
    """Every column of every row of columns, checking the alignment of each cell of each line on the way."""
    lines = [plain(line) for line in text.splitlines()]
    if width is not None:
        assert all(display_width(line) <= width for line in lines), [
            line for line in lines if display_width(line) > width
        ]
    columns: list[Column] = []
    blocks = "\n".join(lines[2:]).split("\n\n")
    for block in blocks:
        rows = block.splitlines()
        rule_at = next(i for i, line in enumerate(rows) if columns_at(line))
        spans = columns_at(rows[rule_at])
        widths = {e - s for s, e in spans}
        assert len(widths) == 1, spans  # every column of a row as wide as the others
        outer = widths.pop()
        for (s, _), (s2, _) in itertools.pairwise(spans):
            assert s2 - s == outer + 2  # two spaces between columns
        for s, e in spans:
            col = Column(header=[cell(r, s, e).rstrip() for r in rows[:rule_at] if cell(r, s, e).strip()])
            card: list[str] | None = None
            for r in rows[rule_at + 1 :]:
                c = cell(r, s, e)
                if not c.strip():
                    assert card is None, "a card is broken by a blank line"
                    continue
                assert display_width(c) == outer or (
                    display_width(c.rstrip()) <= outer and not c.startswith(("┌", "│", "└", "+", "|"))
                ), repr(c)
                if c[0] in "┌+" and c[1] in "─-":
                    assert c == c[0] + c[1] * (outer - 2) + c[0].replace("┌", "┐"), repr(c)
                    card = []
                elif c[0] in "└+":
                    assert c == c[0] + c[1] * (outer - 2) + c[0].replace("└", "┘"), repr(c)
                    assert card is not None
                    col.cards.append(card)
                    card = None
                elif c[0] in "│|":
                    assert card is not None
                    assert c[1] == " " and c[-2] == " " and c[-1] == c[0], repr(c)  # the border in its column
                    card.append(c[2:-2].rstrip())
                else:
                    col.cards.append([c.strip()])  # "no open deals"
            assert card is None
            columns.append(col)
    return columns


def shortened(shown: str, full: str) -> bool:
    return shown == full or (shown.endswith(("…", "~")) and full.startswith(shown[:-1]) and len(shown) > 1)


def expected_stale(pipe: Any) -> dict[str, dict[str, Any]]:
    r = pipe("stale", "--as-of", AS_OF, "--format", "json", ok=False)
    return {row["id"]: row for row in json.loads(r.stdout)}


def check_board(pipe: Any, text: str, width: int | None) -> list[Column]:
    columns = read_board(text, width)
    assert [c.header[0].rsplit("  ", 1)[0].strip() for c in columns] == STAGES
    stale = expected_stale(pipe)
    seen = []
    for stage, column in zip(STAGES, columns, strict=True):
        head = column.header[0]
        mine = {k: v for k, v in DEALS.items() if v[6] == stage.lower()}
        n = len(mine)
        assert head.endswith(f"{n} deal{'' if n == 1 else 's'}")
        for card in column.cards:
            title_line = card[0]
            deal_id = next(k for k, v in mine.items() if shortened(title_line, v[0]))
            seen.append(deal_id)
            _, company, owner, value, currency, _, _, entered = DEALS[deal_id]
            lines = card[1:]
            if company:
                assert shortened(lines.pop(0), company)
            if value:
                assert lines.pop(0) == f"{int(value):,} {currency}"
            days = (CUTOFF - datetime.fromisoformat(entered).replace(tzinfo=ZoneInfo("Europe/Warsaw"))).days
            assert lines.pop(0).split() == [owner or "no", *(["owner"] if not owner else []), f"{days}d"]
            if deal_id in stale:
                row = stale[deal_id]
                want = (
                    f"! overdue {row['overdue_days']}d"
                    if row["reason"] == "overdue"
                    else f"! stale {row['idle_days']}d"
                )
                assert lines == [want], (deal_id, lines)
            else:
                assert lines == [], (deal_id, lines)
    assert sorted(seen) == sorted(DEALS)  # each open deal once; not the won one, nor the later one
    return columns


@pytest.mark.parametrize(("width", "rows"), [(80, [3, 2]), (160, [5])])
def test_the_board_at_a_terminal_is_aligned_cell_by_cell(board_pipe: Any, width: int, rows: list[int]) -> None:
    code, out = in_terminal("-C", str(board_pipe.root), "board", "--as-of", AS_OF, columns=width)
    assert code == 0, out
    columns = check_board(board_pipe, out, width)
    blocks = plain(out).split("\n\n")[1:]
    assert [len(columns_at(next(li for li in b.splitlines() if columns_at(li)))) for b in blocks] == rows
    assert len(columns) == 5
    # at 160 columns each column is 30 wide, at 80 25: the titles are cut less on the wider screen
    outer = {80: 25, 160: 30}[width]
    assert columns_at(next(li for li in plain(out).splitlines() if columns_at(li)))[0] == (0, outer)
    # colour: the stage names, a stale card's marker and border, an overdue one's
    assert "\x1b[36mLead\x1b[0m" in out
    assert "\x1b[1;31m! overdue 10d\x1b[0m" in out  # zazolc: due on the 10th
    assert re.search(r"\x1b\[33m! stale \d+d\x1b\[0m", out)  # caffe: idle past 14 days
    assert "\x1b[1;31m┌" in out and "\x1b[33m┌" in out


def test_into_a_file_every_stage_is_in_one_row_without_colour(board_pipe: Any, run_pipe: Any) -> None:
    r = run_pipe("-C", str(board_pipe.root), "board", "--as-of", AS_OF)
    assert r.returncode == 0, r.stderr
    assert "\x1b[" not in r.stdout
    columns = check_board(board_pipe, r.stdout, None)
    assert len(plain(r.stdout).split("\n\n")) == 2  # the summary, one row of columns
    # each column as wide as its longest text needs, up to 36: the long titles are cut at 32
    assert any(card[0] == DEALS["zazolc"][0][:31] + "…" for c in columns for card in c.cards)


def test_width_and_columns_fit_the_board(board_pipe: Any, run_pipe: Any) -> None:
    for width in (20, 44, 60, 100, 130):
        r = run_pipe("-C", str(board_pipe.root), "board", "--as-of", AS_OF, "--width", str(width))
        assert r.returncode == 0, r.stderr
        check_board(board_pipe, r.stdout, width)
    r = run_pipe("-C", str(board_pipe.root), "board", "--as-of", AS_OF, env={"COLUMNS": "80"})
    check_board(board_pipe, r.stdout, 80)


def test_the_summary_line_counts_what_pipe_stale_lists(board_pipe: Any) -> None:
    out = board_pipe("board", "--as-of", AS_OF).stdout
    stale = expected_stale(board_pipe)
    overdue = sum(1 for row in stale.values() if row["reason"] == "overdue")
    assert out.splitlines()[0] == (
        f"Sales as of {AS_OF}: {len(DEALS)} open deals, {len(stale)} stale, {overdue} overdue"
    )


def test_ascii_when_the_output_cannot_carry_box_characters(make_pipe: Any) -> None:
    p = make_pipe("--stages", "lead,offer")
    p("add", "Caffè Società Cooperativa: più tavoli, più caffè per tutti", "--id", "caffe", "--value", "1200",
      "--at", "2026-03-01")  # fmt: skip
    p("add", "Università di Bologna", "--id", "uni", "--stage", "offer", "--at", "2026-03-19")
    env = {**os.environ, "PYTHONIOENCODING": "latin-1"}
    args = [str(PIPE_SCRIPT), "-C", str(p.root), "board", "--as-of", AS_OF, "--width", "60"]
    r = subprocess.run(args, capture_output=True, env=env, timeout=60)
    assert r.returncode == 0, r.stderr
    out = r.stdout.decode("latin-1")  # the Italian letters are there, in Latin-1
    assert not set("┌┐└┘─│━…") & set(out)
    lines = out.splitlines()
    assert lines[4] == "=" * 29 + "  " + "=" * 29
    assert lines[5] == "+" + "-" * 27 + "+  +" + "-" * 27 + "+"
    assert lines[6] == "| Caffè Società Cooperativ~ |  | Università di Bologna     |"
    assert re.search(r"^\| ! stale \d+d +\|", out, re.M)


def test_sort_by_value_or_by_age(make_pipe: Any) -> None:
    p = make_pipe("--stages", "lead,offer", "--currency", "PLN")
    p("add", "Small PLN", "--id", "small", "--value", "100", "--at", "2026-03-01")
    p("add", "Big EUR", "--id", "big-eur", "--value", "90000", "--currency", "EUR", "--at", "2026-03-10")
    p("add", "Big PLN", "--id", "big", "--value", "5000", "--at", "2026-03-05")
    p("add", "No value", "--id", "none", "--at", "2026-03-15")

    def titles(*args: str) -> list[str]:
        columns = read_board(p("board", "--as-of", AS_OF, *args).stdout, None)
        return [card[0] for card in columns[0].cards]

    # the pipeline's currency first, largest first; other currencies after; no value last
    assert titles() == ["Big PLN", "Small PLN", "Big EUR", "No value"]
    assert titles("--sort", "age") == ["Small PLN", "Big PLN", "Big EUR", "No value"]
    assert titles("--sort", "AGE") == titles("--sort", "age")


def test_filters_and_as_of_show_the_deals_as_they_stood(board_pipe: Any) -> None:
    board_pipe("set", "caffe", "owner=anna", "--at", "2026-03-22")
    board_pipe("won", "thai", "--at", "2026-03-23")
    columns = read_board(board_pipe("board", "--as-of", AS_OF, "--owner", "GIULIA").stdout, None)
    cards = {c.header[0].split()[0]: [card[0] for card in c.cards] for c in columns}
    assert [shortened(t, DEALS[k][0]) for t, k in zip(cards["Qualified"], ["osteria", "caffe"], strict=True)] == [
        True,
        True,
    ]
    assert cards["Meeting"] == ["no open deals"]
    today = read_board(board_pipe("board", "--as-of", "2026-03-25").stdout, None)
    assert today[2].cards == [["no open deals"]]  # thai was won on the 23rd
    assert "Created after the day" in today[0].cards[-1][0]
    assert all(
        "Caffè" not in card[0]
        for card in read_board(board_pipe("board", "--as-of", "2026-03-25", "--owner", "giulia").stdout, None)[1].cards
    )


def test_a_deal_in_a_stage_the_pipeline_lacks_gets_a_column(board_pipe: Any) -> None:
    path = board_pipe.root / "pipeline.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("id: meeting", "id: demo"), encoding="utf-8")
    columns = read_board(board_pipe("board", "--as-of", AS_OF).stdout, None)
    assert [c.header[0].split("  ")[0] for c in columns] == [*STAGES, "meeting (unknown stage)"]
    assert columns[2].cards == [["no open deals"]]
    assert shortened(columns[-1].cards[0][0], DEALS["thai"][0])


def test_control_characters_in_a_file_never_reach_the_terminal(board_pipe: Any) -> None:
    path = board_pipe.root / "deals" / "kawa.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("title: ร้านกาแฟ", 'title: "evil\\e[2J\\e[31mred\\ttab"'), encoding="utf-8")
    out = board_pipe("board", "--as-of", AS_OF).stdout
    assert "\x1b" not in out
    assert "evil?[2J?[31mred tab" in out


def test_wrong_options_are_one_line_and_status_2(board_pipe: Any, run_pipe: Any) -> None:
    for args, words in (
        (["--width", "5"], "--width 5: give a width of at least 20 columns"),
        (["--sort", "size"], "--sort 'size': use value (largest first) or age"),
        (["--as-of", "yesterday-ish"], "--as-of"),
    ):
        r = run_pipe("-C", str(board_pipe.root), "board", *args)
        assert r.returncode == 2, (args, r.stderr)
        assert r.stderr.count("\n") == 1 and words in r.stderr and "Traceback" not in r.stderr


def test_a_bad_file_is_named_and_the_good_deals_still_shown(board_pipe: Any, run_pipe: Any) -> None:
    (board_pipe.root / "deals" / "broken.yaml").write_text("id: broken\ntitle: [\n", encoding="utf-8")
    r = run_pipe("-C", str(board_pipe.root), "board", "--as-of", AS_OF)
    assert r.returncode == 1
    assert "broken.yaml" in r.stderr
    check_board(board_pipe, r.stdout, None)


def test_the_demo_board(run_pipe: Any) -> None:
    r = run_pipe("-C", str(DEMO), "board", "--as-of", "2026-11-20", env={"COLUMNS": "80"})
    assert r.returncode == 0
    lists = json.loads(run_pipe("-C", str(DEMO), "list", "--format", "json").stdout)
    columns = read_board(r.stdout, 80)
    assert sum(len(c.cards) for c in columns) == len(lists) == 20


def test_the_board_capture_in_the_readme_is_what_pipe_prints_at_80_columns() -> None:
    readme = (DEMO.parent.parent / "README.md").read_text(encoding="utf-8")
    section = readme.split("## What the board looks like", 1)[1].split("\n## ", 1)[0]
    command = re.search(r"`(pipe -C examples/demo board[^`]*)`", section).group(1)  # type: ignore[union-attr]
    block = re.search(r"```\n(.*?)```", section, re.S).group(1)  # type: ignore[union-attr]
    args = command.split()[1:]
    args[1] = str(DEMO)
    result = CliRunner().invoke(app, args, env={"COLUMNS": "80"})
    assert result.exit_code == 0, result.output
    assert result.stdout == block
    check = read_board(block, 80)  # aligned cell by cell, every line within 80 columns
    assert sum(len(c.cards) for c in check) == 20


def test_tag_and_source_choose_the_cards_and_an_empty_board_says_so(make_pipe: Any) -> None:
    p = make_pipe("--stages", "lead,offer")
    empty = read_board(p("board", "--as-of", AS_OF).stdout, None)
    assert [c.cards for c in empty] == [[["no open deals"]], [["no open deals"]]]
    assert p("board", "--as-of", AS_OF).stdout.splitlines()[0].endswith(": 0 open deals, 0 stale, 0 overdue")
    p("add", "Tagged", "--id", "a", "--tag", "Retail", "--source", "web", "--at", "2026-03-01")
    p("add", "Other", "--id", "b", "--tag", "b2b", "--source", "Referral", "--stage", "offer", "--at", "2026-03-01")

    def titles(*args: str) -> list[list[str]]:
        return [[card[0] for card in c.cards] for c in read_board(p("board", "--as-of", AS_OF, *args).stdout, None)]

    assert titles() == [["Tagged"], ["Other"]]
    assert titles("--tag", "retail") == [["Tagged"], ["no open deals"]]
    assert titles("--source", "REFERRAL") == [["no open deals"], ["Other"]]
    assert titles("--tag", "retail", "--source", "referral") == [["no open deals"], ["no open deals"]]
