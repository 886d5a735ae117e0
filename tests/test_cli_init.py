"""`pipe init`: the pipeline folder it creates, its options and what it refuses."""

from __future__ import annotations

import subprocess
from pathlib import Path

import yaml
from conftest import tree_bytes

from pipecli.cli import app


def test_init_default_pipeline(runner, tmp_path: Path) -> None:
    root = tmp_path / "new" / "pipeline"
    result = runner.invoke(app, ["init", str(root)])
    assert result.exit_code == 0, result.output
    data = yaml.safe_load((root / "pipeline.yaml").read_text(encoding="utf-8"))
    assert [s["id"] for s in data["stages"]] == ["lead", "qualified", "meeting", "proposal", "negotiation"]
    assert data["currency"] == "EUR"
    assert data["first_touch_within"] == "24h"  # written out, so it can be found and changed
    probs = [s["probability"] for s in data["stages"]]
    assert probs == sorted(probs) and all(0 < p < 1 for p in probs)
    assert (root / "deals").is_dir()
    assert ".pipe/" in (root / ".gitignore").read_text(encoding="utf-8").splitlines()
    assert not (root / ".git").exists()


def test_init_in_working_directory(runner, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["init"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "pipeline.yaml").is_file()


def test_init_with_stages_and_currency(runner, tmp_path: Path) -> None:
    root = tmp_path / "p"
    result = runner.invoke(app, ["init", str(root), "--stages", "intro, demo,trial,contract", "--currency", "pln"])
    assert result.exit_code == 0, result.output
    data = yaml.safe_load((root / "pipeline.yaml").read_text(encoding="utf-8"))
    assert [s["id"] for s in data["stages"]] == ["intro", "demo", "trial", "contract"]
    assert data["currency"] == "PLN"
    # the probabilities climb an even ladder: 1/5, 2/5, 3/5, 4/5
    assert [s["probability"] for s in data["stages"]] == [0.2, 0.4, 0.6, 0.8]
    # a new deal starts in the first stage and takes the pipeline's currency
    add = runner.invoke(app, ["-C", str(root), "add", "Trial deal"])
    assert add.exit_code == 0, add.output
    deal = yaml.safe_load((root / "deals" / f"{add.stdout.strip()}.yaml").read_text(encoding="utf-8"))
    assert (deal["stage"], deal["currency"]) == ("intro", "PLN")


def test_init_with_git_makes_a_repository(runner, tmp_path: Path) -> None:
    root = tmp_path / "p"
    result = runner.invoke(app, ["init", str(root), "--git"])
    assert result.exit_code == 0, result.output
    top = subprocess.run(
        ["git", "rev-parse", "--show-toplevel"], cwd=root, capture_output=True, text=True, check=True
    ).stdout.strip()
    assert Path(top).resolve() == root.resolve()
    # the new files are committed; the lock folder is ignored
    committed = subprocess.run(
        ["git", "show", "--format=%s", "--name-only", "HEAD"], cwd=root, capture_output=True, text=True, check=True
    ).stdout.split()
    assert committed == ["Create", "the", "pipeline", "Sales", ".gitattributes", ".gitignore", "pipeline.yaml"]
    (root / ".pipe").mkdir()
    (root / ".pipe" / "lock").write_text("")
    status = subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=all"], cwd=root, capture_output=True, text=True, check=True
    ).stdout
    assert status == ""


def test_init_refuses_to_overwrite(runner, tmp_path: Path) -> None:
    root = tmp_path / "p"
    assert runner.invoke(app, ["init", str(root), "--stages", "a,b"]).exit_code == 0
    (root / "pipeline.yaml").write_text((root / "pipeline.yaml").read_text() + "# mine\n")
    before = tree_bytes(root)
    result = runner.invoke(app, ["init", str(root)])
    assert result.exit_code == 1
    assert result.stderr.startswith("pipe: ")
    assert "exists already" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert tree_bytes(root) == before


def test_init_keeps_an_existing_gitignore(runner, tmp_path: Path) -> None:
    root = tmp_path / "p"
    root.mkdir()
    (root / ".gitignore").write_text("*.tmp\n")
    assert runner.invoke(app, ["init", str(root)]).exit_code == 0
    assert (root / ".gitignore").read_text().splitlines()[0] == "*.tmp"
    assert ".pipe/" in (root / ".gitignore").read_text().splitlines()


def test_init_bad_options_write_nothing(runner, tmp_path: Path) -> None:
    cases = [
        (["--stages", "lead,Won"], "stage id"),
        (["--stages", "lead,won"], "status"),
        (["--stages", "a,b,a"], "twice"),
        (["--stages", ","], "at least one stage"),
        (["--currency", "EURO"], "ISO 4217"),
    ]
    for args, words in cases:
        root = tmp_path / "bad"
        result = runner.invoke(app, ["init", str(root), *args])
        assert result.exit_code == 2, (args, result.output)
        assert result.stderr.startswith("pipe: "), args
        assert words in result.stderr, (args, result.stderr)
        assert len(result.stderr.strip().splitlines()) == 1, args
        assert not (root / "pipeline.yaml").exists(), args


def test_init_with_any_pipeline_name(runner, tmp_path: Path) -> None:
    from pipecli import yamlio

    for i, name in enumerate(["Sales: EMEA", "#team", "Zażółć gęślą", "no", "[x", "a'b", '"q"', "2026", "ขาย"]):
        root = tmp_path / f"p{i}"
        result = runner.invoke(app, ["init", str(root), "--name", name])
        assert result.exit_code == 0, (name, result.output)
        text = (root / "pipeline.yaml").read_text(encoding="utf-8")
        assert yaml.safe_load(text)["name"] == name
        assert yamlio.load_fast(text)["name"] == name
        assert runner.invoke(app, ["-C", str(root), "check"]).exit_code == 0


def test_init_with_an_empty_name(runner, tmp_path: Path) -> None:
    result = runner.invoke(app, ["init", str(tmp_path / "p"), "--name", " "])
    assert result.exit_code == 2
    assert result.stderr == "pipe: --name: give the pipeline a name\n"
    assert not (tmp_path / "p" / "pipeline.yaml").exists()


def test_init_honours_dash_c(runner, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "work").mkdir()
    assert runner.invoke(app, ["-C", "work", "init"]).exit_code == 0
    assert (tmp_path / "work" / "pipeline.yaml").is_file()
    assert runner.invoke(app, ["-C", "work", "init", "sub"]).exit_code == 0
    assert (tmp_path / "work" / "sub" / "pipeline.yaml").is_file()
    assert runner.invoke(app, ["-C", "work", "init", str(tmp_path / "abs")]).exit_code == 0
    assert (tmp_path / "abs" / "pipeline.yaml").is_file()
    assert not (tmp_path / "pipeline.yaml").exists()
