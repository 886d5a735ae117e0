"""Unix manners: a closed pipe is not an error, an empty result is still valid output, `-` is
standard input, and --format offers exactly the formats that work, the same ones for every listing."""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
import sqlite3
import subprocess
from pathlib import Path
from typing import Any

import pytest
import typer
import yaml
from conftest import PIPE_SCRIPT
from terminal_helpers import DEMO, demo_copies
from typer.testing import CliRunner

from pipecli.cli import app
from pipecli.query import ROW_KEYS
from pipecli.render import OutputFormat

BASH = shutil.which("bash")
MACHINE = ["json", "jsonl", "csv", "tsv"]
EVERY_FORMAT = sorted({f.value for f in OutputFormat} | {"sqlite", "xml"})
COMMANDS: dict[str, Any] = dict(typer.main.get_command(app).commands)  # type: ignore[attr-defined]


@pytest.fixture(scope="module")
def many(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo pipeline with every deal copied 25 times: 1,000 deals, output far over a pipe's buffer."""
    return demo_copies(tmp_path_factory.mktemp("many") / "pipeline", 25)


@pytest.mark.skipif(BASH is None, reason="bash is not installed")
@pytest.mark.parametrize(
    "args",
    [["list"], ["list", "--format", "json"], ["export"], ["stale", "--as-of", "2026-11-20"], ["report"]],
    ids=" ".join,
)
def test_a_reader_that_stops_early_is_not_an_error(many: Path, args: list[str]) -> None:
    assert BASH is not None
    command = " ".join([str(PIPE_SCRIPT), "-C", str(many), *args])
    run = subprocess.run(
        [BASH, "-c", f"set -o pipefail; {command} | head -1"], capture_output=True, text=True, timeout=120
    )
    assert (run.returncode, run.stderr) == (0, "")
    assert len(run.stdout.splitlines()) == 1


# -- an empty result ---------------------------------------------------------------------------------
def _header(stdout: str, delimiter: str) -> list[str]:
    return next(csv.reader(io.StringIO(stdout), delimiter=delimiter))


@pytest.mark.parametrize(
    "args",
    [["list", "--owner", "nobody"], ["stale", "--as-of", "2026-03-01"], ["export", "--owner", "nobody"]],
    ids=lambda a: a[0],
)
def test_an_empty_result_is_an_empty_listing_in_every_machine_format(pipe: Any, args: list[str]) -> None:
    pipe.add("Fresh", "--owner", "anna", "--at", "2026-03-01T10:00")
    out = {fmt: pipe(*args, "--format", fmt).stdout for fmt in MACHINE}
    assert json.loads(out["json"]) == []
    assert out["jsonl"] == ""
    assert out["csv"].count("\n") == 1 and out["tsv"].count("\n") == 1  # the header line, nothing else
    assert _header(out["csv"], ",") == _header(out["tsv"], "\t")
    assert _header(out["csv"], ",")[0] == "id"
    if args[0] == "list":
        assert _header(out["csv"], ",") == list(ROW_KEYS)


# -- standard input ----------------------------------------------------------------------------------
def test_import_dash_reads_standard_input(pipe: Any, run_pipe: Any) -> None:
    exported = run_pipe("-C", str(DEMO), "export", "--status", "won")
    assert exported.returncode == 0
    run = run_pipe("-C", str(pipe.root), "import", "-", input=exported.stdout)
    assert run.returncode == 0, run.stderr
    assert run.stdout == "<stdin>: 9 created, 0 updated, 0 skipped, 0 failed\n"
    won = json.loads(run_pipe("-C", str(pipe.root), "list", "--status", "won", "-f", "json").stdout)
    assert len(won) == 9
    # a bad row is named by its line in standard input
    bad = "title,stage,created\nFine,lead,2026-03-01\nBroken,nowhere,2026-03-01\n"
    run = run_pipe("-C", str(pipe.root), "import", "-", input=bad)
    assert run.returncode == 1
    assert run.stderr.startswith("pipe: <stdin>:3: ")


# -- formats: offered exactly where they work ----------------------------------------------------------
def offered(name: str) -> list[str]:
    result = CliRunner().invoke(app, [name, "--help"], env={"COLUMNS": "200"})
    text = " ".join(result.stdout.split())
    found = re.search(r"--format FORMAT Output format: ([a-z, ]+?) or ([a-z]+)\.", text)
    assert found, f"pipe {name}: --format help does not name its formats"
    return [*found.group(1).split(", "), found.group(2)]


WITH_FORMAT = sorted(n for n, c in COMMANDS.items() if any("--format" in p.opts for p in c.params))
DEMO_ARGS = {
    "show": ["acme"],
    "report": ["--as-of", "2026-11-20"],
    "stale": ["--as-of", "2026-11-20"],
    "search": ["zazolc"],
}


def test_the_listings_share_the_machine_formats() -> None:
    assert {"list", "stale", "export", "report", "show"} <= set(WITH_FORMAT)
    for name in ("list", "stale", "export"):
        assert set(MACHINE) <= set(offered(name)), name


@pytest.mark.parametrize("name", WITH_FORMAT)
def test_help_offers_exactly_the_formats_that_work(name: str, tmp_path: Path) -> None:
    runner = CliRunner()
    formats = offered(name)
    for fmt in formats:
        args = ["-C", str(DEMO), name, *DEMO_ARGS.get(name, []), "--format", fmt]
        if fmt == "sqlite":
            args += ["--output", str(tmp_path / "deals.db")]
        result = runner.invoke(app, args)
        assert result.exit_code == 0, (name, fmt, result.output)
        text = result.stdout
        if fmt == "json":
            assert json.loads(text)
        elif fmt == "jsonl":
            assert all(json.loads(line) for line in text.splitlines()) and text
        elif fmt in ("csv", "tsv"):
            rows = list(csv.reader(io.StringIO(text), delimiter="\t" if fmt == "tsv" else ","))
            assert len(rows) > 1 and len({len(r) for r in rows}) == 1
        elif fmt == "yaml":
            assert yaml.safe_load(text)
        elif fmt == "sqlite":
            with sqlite3.connect(tmp_path / "deals.db") as db:
                assert db.execute("select count(*) from deals").fetchone()[0] == 40
        else:
            assert text.strip(), (name, fmt)
    for fmt in sorted(set(EVERY_FORMAT) - set(formats)):
        result = runner.invoke(app, ["-C", str(DEMO), name, *DEMO_ARGS.get(name, []), "--format", fmt])
        assert result.exit_code == 2, (name, fmt)
        assert result.stderr.count("\n") == 1
        assert ", ".join(formats[:-1]) in result.stderr, result.stderr
