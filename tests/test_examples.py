"""The bundled example pipeline is what its generator writes, and it is valid."""

from __future__ import annotations

import filecmp
import json
import runpy
from pathlib import Path

import yaml
from typer.testing import CliRunner

from pipecli.cli import app

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "examples" / "demo"


def _generate(out: Path) -> None:
    module = runpy.run_path(str(ROOT / "examples" / "generate_demo.py"))
    module["generate"](out)


def test_demo_is_reproducible(tmp_path: Path) -> None:
    out = tmp_path / "demo"
    _generate(out)
    committed = sorted(p.name for p in (DEMO / "deals").iterdir())
    generated = sorted(p.name for p in (out / "deals").iterdir())
    assert generated == committed
    _same, mismatch, errors = filecmp.cmpfiles(DEMO / "deals", out / "deals", committed, shallow=False)
    assert mismatch == [] and errors == []
    assert (out / "pipeline.yaml").read_bytes() == (DEMO / "pipeline.yaml").read_bytes()
    assert (out / "rates.yaml").read_bytes() == (DEMO / "rates.yaml").read_bytes()


def test_demo_passes_check_and_has_what_the_readme_promises(runner: CliRunner) -> None:
    assert runner.invoke(app, ["-C", str(DEMO), "check"]).exit_code == 0
    result = runner.invoke(app, ["-C", str(DEMO), "list", "--status", "all", "--format", "json"])
    assert result.exit_code == 0
    deals = json.loads(result.stdout)
    assert len(deals) == 40
    assert {d["status"] for d in deals} == {"open", "won", "lost"}
    assert {d["currency"] for d in deals} >= {"EUR", "PLN", "THB", "GBP", "USD"}
    assert len({d["owner"] for d in deals}) >= 3
    assert all(d["lost_reason"] for d in deals if d["status"] == "lost")
    titles = " ".join(d["title"] for d in deals)
    for sample in ("Zażółć", "Università", "ระบบ"):
        assert sample in titles
    texts = [p.read_text(encoding="utf-8") for p in (DEMO / "deals").glob("*.yaml")]
    back_moves = 0
    skips = 0
    stages = ["lead", "qualified", "meeting", "proposal", "negotiation"]
    for text in texts:
        data = yaml.safe_load(text)
        for h in data["history"]:
            if h["event"] == "moved":
                step = stages.index(h["to"]) - stages.index(h["from"])
                back_moves += step < 0
                skips += step > 1
    assert back_moves >= 3
    assert skips >= 3
