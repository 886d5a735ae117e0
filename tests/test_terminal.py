"""Output at a terminal, through the installed `pipe` in a real pseudo-terminal: tables that fit
its width, colour, and the pager; and what changes when the output is not a terminal."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
from conftest import PIPE_SCRIPT
from terminal_helpers import DEMO, in_terminal, plain, terminal_env, widest
from wcwidth import wcswidth

TITLES = {
    "zazolc": "Zażółć gęślą jaźń: wdrożenie systemu CRM w oddziałach",
    "caffe": "Caffè Società Cooperativa: più tavoli, più caffè per tutti",
    "thai": "ระบบบัญชี สยามเทค จำกัด มหาชน สำนักงานใหญ่ กรุงเทพมหานคร",
    "plain": "Short one",
}
LIST_HEADERS = ["id", "title", "company", "stage", "status", "value", "cur", "owner", "due", "days", "!"]
STALE_HEADERS = ["deal", "title", "company", "owner", "stage", "idle (limit)", "value", "next step", "due", "reason"]


@pytest.fixture
def titled(pipe: Any) -> Any:
    """Four open deals with long Polish, Italian and Thai titles, stale by 2026-03-20."""
    companies = {"zazolc": "Zażółć Sp. z o.o.", "caffe": "Caffè Società Coop.", "thai": "บริษัท สยามเทค จำกัด"}
    for i, (deal_id, title) in enumerate(TITLES.items()):
        pipe("add", title, "--id", deal_id, "--company", companies.get(deal_id, "Plain Ltd"),
             "--owner", "Anna Snelling", "--value", str(1000 * (i + 1)), "--at", f"2026-03-0{i + 1}T10:00")  # fmt: skip
    pipe("move", "caffe", "qualified", "--at", "2026-03-05")
    pipe("next", "zazolc", "Zadzwonić do prezesa w sprawie umowy", "--due", "2026-03-10", "--at", "2026-03-05")
    pipe("won", "plain", "--at", "2026-03-06")
    return pipe


def headers(text: str) -> list[str]:
    """The column names of a table's first line (names are separated by two spaces or more)."""
    return re.split(r" {2,}", plain(text.splitlines()[0]).strip())


def body(text: str) -> list[str]:
    return [plain(line) for line in text.splitlines()[2:] if line.strip()]


def assert_fits(text: str, width: int) -> None:
    for line in text.splitlines():
        assert wcswidth(plain(line)) <= width, (width, line)


@pytest.mark.parametrize("width", [60, 80, 100, 160])
def test_list_fits_the_terminal(titled: Any, width: int) -> None:
    code, out = in_terminal("-C", str(titled.root), "list", columns=width)
    assert code == 0, out
    assert_fits(out, width)
    shown = headers(out)
    assert shown[:2] == ["id", "title"]
    assert [h for h in LIST_HEADERS if h in shown] == shown  # in their order, the least useful gone
    rows = body(out)
    assert sorted(r.split()[0] for r in rows) == ["caffe", "thai", "zazolc"]  # ids never cut
    if width == 160:
        assert shown == LIST_HEADERS
    if width == 60:
        assert "company" not in shown and "status" not in shown
    # long titles end in an ellipsis, cut by display width: the Thai one too
    thai = next(r for r in rows if r.startswith("thai"))
    cell = thai[len("thai") :].strip().split("  ")[0]
    assert cell.endswith("…") and TITLES["thai"].startswith(cell[:-1])


@pytest.mark.parametrize("width", [60, 80, 100, 160])
def test_stale_fits_the_terminal(titled: Any, width: int) -> None:
    code, out = in_terminal("-C", str(titled.root), "stale", "--as-of", "2026-03-20", columns=width)
    assert code == 0, out
    assert_fits(out, width)
    shown = headers(out)
    assert shown[:2] == ["deal", "title"] and shown[-1] == "reason"
    assert [h for h in STALE_HEADERS if h in shown] == shown
    assert sorted(r.split()[0] for r in body(out)) == ["caffe", "thai", "zazolc"]
    if width == 160:
        assert shown == STALE_HEADERS


@pytest.mark.parametrize("width", [60, 80, 100])
def test_report_fits_the_terminal(width: int) -> None:
    code, out = in_terminal("-C", str(DEMO), "report", "--as-of", "2026-11-20", columns=width)
    assert code == 0
    assert_fits(out, width)
    assert "Funnel" in out and "Forecast: weighted open value by expected close" in out


def test_wide_shows_every_column_in_full_on_a_narrow_terminal(titled: Any) -> None:
    code, out = in_terminal("-C", str(titled.root), "list", "--wide", columns=60)
    assert code == 0
    assert headers(out) == LIST_HEADERS
    for deal_id in ("zazolc", "caffe", "thai"):
        assert TITLES[deal_id] in plain(out)
    assert widest(out) > 60


def test_columns_sets_the_width_when_the_output_is_not_a_terminal(titled: Any, run_pipe: Any) -> None:
    for width in (60, 80, 100, 160):
        r = run_pipe("-C", str(titled.root), "list", env={"COLUMNS": str(width)})
        assert r.returncode == 0
        assert_fits(r.stdout, width)
        assert "\x1b[" not in r.stdout


def test_output_that_is_not_a_terminal_keeps_every_column(titled: Any, run_pipe: Any) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES")}
    r = subprocess.run(
        [str(PIPE_SCRIPT), "-C", str(titled.root), "stale", "--as-of", "2026-03-20"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert headers(r.stdout) == STALE_HEADERS  # for cron's mail: everything, as before
    r = subprocess.run(
        [str(PIPE_SCRIPT), "-C", str(titled.root), "list"], capture_output=True, text=True, env=env, timeout=60
    )
    assert headers(r.stdout) == LIST_HEADERS
    assert widest(r.stdout) > 100


# -- colour ----------------------------------------------------------------------------------------
def test_colour_at_a_terminal(titled: Any) -> None:
    code, out = in_terminal("-C", str(titled.root), "list", "--status", "all", columns=160)
    assert code == 0
    assert "\x1b[36mlead\x1b[0m" in out  # stage names
    assert "\x1b[32mwon\x1b[0m" in out  # a won deal's status
    assert "\x1b[1;31m2026-03-10\x1b[0m" in out  # an overdue next step
    code, out = in_terminal("-C", str(titled.root), "stale", "--as-of", "2026-03-20", columns=160)
    assert "\x1b[1;31moverdue 10d\x1b[0m" in out
    assert "\x1b[33mno next step\x1b[0m" in out
    code, out = in_terminal("-C", str(DEMO), "report", "--as-of", "2026-11-20", columns=100)
    assert "\x1b[1mFunnel\x1b[0m" in out  # section titles
    assert "\x1b[32mWon\x1b[0m" in out


@pytest.mark.parametrize(
    ("args", "env"),
    [
        (["list"], {"NO_COLOR": "1"}),
        (["list"], {"TERM": "dumb"}),
        (["--color", "never", "list"], {}),
        (["--color", "never", "report"], {}),
    ],
    ids=["NO_COLOR", "TERM=dumb", "--color never", "--color never report"],
)
def test_no_colour_when_asked_at_a_terminal(titled: Any, args: list[str], env: dict[str, str]) -> None:
    code, out = in_terminal("-C", str(titled.root), *args, columns=120, env=terminal_env(**env))
    assert code == 0 and ("thai" in out if args[-1] == "list" else "Funnel" in out)
    assert "\x1b[" not in out


def test_colour_always_even_into_a_pipe(titled: Any, run_pipe: Any) -> None:
    r = run_pipe("-C", str(titled.root), "--color", "always", "list")
    assert "\x1b[36mlead\x1b[0m" in r.stdout
    assert "\x1b[" not in run_pipe("-C", str(titled.root), "list", env={"TERM": "xterm-256color"}).stdout
    # machine formats never carry colour
    assert "\x1b[" not in run_pipe("-C", str(titled.root), "--color", "always", "list", "-f", "csv").stdout
    bad = run_pipe("--color", "sometimes", "list")
    assert bad.returncode == 2
    assert bad.stderr.startswith("pipe: Invalid value for '--color': 'sometimes': use auto, always or never")


# -- the pager -------------------------------------------------------------------------------------
MARK = "sed -e 's/^/paged: /'"


def test_long_output_goes_through_the_pager(titled: Any) -> None:
    code, out = in_terminal("-C", str(DEMO), "list", columns=100, lines=10, env=terminal_env(PIPE_PAGER=MARK))
    assert code == 0
    lines = out.splitlines()
    assert len(lines) == 22 and all(line.startswith("paged: ") for line in lines)
    # PAGER when PIPE_PAGER is not set
    code, out = in_terminal("-C", str(DEMO), "list", columns=100, lines=10, env=terminal_env(PAGER=MARK))
    assert out.startswith("paged: id ")


def test_no_pager_for_short_output_nor_when_asked(titled: Any) -> None:
    env = terminal_env(PIPE_PAGER=MARK)
    code, out = in_terminal("-C", str(titled.root), "list", columns=100, lines=10, env=env)  # 5 lines
    assert code == 0 and out.startswith("id ") and "paged:" not in out
    code, out = in_terminal("--no-pager", "-C", str(DEMO), "list", columns=100, lines=10, env=env)
    assert out.startswith("id ") and "paged:" not in out
    for off in ("", "cat"):
        code, out = in_terminal("-C", str(DEMO), "list", columns=100, lines=10, env=terminal_env(PIPE_PAGER=off))
        assert out.startswith("id ") and len(out.splitlines()) == 22
    code, out = in_terminal(
        "-C", str(DEMO), "list", columns=100, lines=10, env=terminal_env(PIPE_PAGER=MARK, TERM="dumb")
    )
    assert out.startswith("id ")


def test_no_pager_when_the_output_is_not_a_terminal(run_pipe: Any) -> None:
    r = run_pipe("-C", str(DEMO), "list", env={"PIPE_PAGER": MARK, "LINES": "5"})
    assert r.returncode == 0 and r.stdout.startswith("id ")


def test_less_is_the_default_pager_and_q_quits_it(tmp_path: Path) -> None:
    if not any((Path(d) / "less").exists() for d in os.environ.get("PATH", "").split(os.pathsep)):
        pytest.skip("less is not installed")
    code, out = in_terminal(
        "-C", str(DEMO), "report", "--as-of", "2026-11-20", columns=100, lines=12, keys=b"q", timeout=30
    )
    assert code == 0
    assert "Demo Sales pipeline as of 2026-11-20" in out
    assert "Lost reasons" not in out  # less showed the first screen and quit at q
