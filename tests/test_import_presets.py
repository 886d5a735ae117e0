"""Presets as files: the built-in ones shipped as package data, a pipeline's own in presets/."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import zipfile
from importlib import resources
from pathlib import Path

import pytest
from transfer_helpers import by_external_id, read_deals

from pipecli.importing import presets

ROOT = Path(__file__).resolve().parent.parent
DOC = (ROOT / "docs" / "import.md").read_text(encoding="utf-8")
BUILT_IN = ("crm-sales-opportunities", "hubspot", "pipe", "pipedrive")


def _doc_blocks() -> list[str]:
    """The fenced blocks of the worked example in docs/import.md, "Your own presets"."""
    section = DOC.split("### Your own presets", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```[a-z]*\n(.*?)```", section, flags=re.DOTALL)


def _doc_example() -> dict[str, str]:
    preset, csv_text, run, deal, mistake = _doc_blocks()
    command, output = run.split("\n", 1)
    bad_command, bad_output = mistake.split("\n", 1)
    assert command == bad_command == "$ pipe import verkauf.csv --preset vertrieb"
    return {
        "preset": preset,
        "csv": csv_text,
        "output": output,
        "deal": deal,
        "error": bad_output,
        "deal_id": re.search(r"^id: (\S+)$", deal, flags=re.MULTILINE).group(1),  # type: ignore[union-attr]
    }


def _write(root: Path, name: str, text: str) -> Path:
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


# --------------------------------------------------------------------------------------
# A pipeline's own preset, end to end


def test_the_worked_example_of_the_docs(pipe, monkeypatch: pytest.MonkeyPatch) -> None:
    ex = _doc_example()
    _write(pipe.root, "presets/vertrieb.yaml", ex["preset"])
    _write(pipe.root, "verkauf.csv", ex["csv"])
    monkeypatch.chdir(pipe.root)
    monkeypatch.setenv("PIPE_USER", "anna")  # who imports, as the docs say
    result = pipe("import", "verkauf.csv", "--preset", "vertrieb")
    assert result.stdout == ex["output"]
    assert pipe.deal_text(ex["deal_id"]) == ex["deal"]
    deals = by_external_id(pipe.root)
    assert {k: (d["stage"], d["status"], d.get("region")) for k, d in deals.items()} == {
        "1041": ("proposal", "open", "Süd"),
        "1042": ("proposal", "won", "Nord"),
        "1043": ("lead", "lost", None),
    }
    assert deals["1043"]["lost_reason"] == "zu teuer"
    assert pipe("check").stdout == ""
    # the mistake the docs show: one line, file and line, exit 2, nothing more written
    _write(pipe.root, "presets/vertrieb.yaml", ex["preset"].replace("stage_map:", "stage_maps:"))
    before = read_deals(pipe.root)
    _write(pipe.root, "verkauf2.csv", ex["csv"].replace("1041;", "2041;"))
    result = pipe("import", "verkauf2.csv", "--preset", "vertrieb", ok=False)
    assert result.exit_code == 2
    assert result.stderr == ex["error"]
    assert read_deals(pipe.root) == before


def test_a_user_preset_in_a_real_process(tmp_path: Path, run_pipe, env_without_pipe_dir: dict[str, str]) -> None:
    ex = _doc_example()
    root = tmp_path / "sales"
    assert run_pipe("init", str(root), env=env_without_pipe_dir).returncode == 0
    _write(root, "presets/vertrieb.yaml", ex["preset"])
    _write(root, "verkauf.csv", ex["csv"])
    result = run_pipe(
        "import", "verkauf.csv", "--preset", "vertrieb", cwd=root, env={**env_without_pipe_dir, "PIPE_USER": "anna"}
    )
    assert (result.returncode, result.stderr, result.stdout) == (0, "", ex["output"])
    assert (root / "deals" / f"{ex['deal_id']}.yaml").read_text(encoding="utf-8") == ex["deal"]
    # a broken file: one line on stderr naming file and line, exit code 2, no traceback
    _write(root, "presets/vertrieb.yaml", ex["preset"].replace('  "*": open\n', '  "*": offen\n'))
    result = run_pipe("-C", str(root), "import", "verkauf.csv", "--preset", "vertrieb", cwd=root)
    assert result.returncode == 2
    line = ex["preset"].splitlines().index('  "*": open') + 1
    assert (
        result.stderr == f"pipe: presets/vertrieb.yaml:{line}: status_map.*: Input should be 'open', 'won' or 'lost'\n"
    )
    assert result.stdout == ""


BAD = [
    ("columns:\n  title: Name\n  titel: Amount\n", 3, "columns.titel: unknown field; map one of id, external_id,"),
    ("columns:\n  title: Name\n  extra.value: Amount\n", 3, "columns.extra.value: value is a deal field; map it as"),
    ("columns:\n  title: ['{First} {Last}', Name]\n", 2, "columns.title: a template ({column} ...) stands alone"),
    ("columns:\n  title: []\n", 2, "columns.title: name at least one column"),
    ("columns:\n  title: 12\n", 2, "columns.title: 12 is not text; put it in quotes"),
    ("columns:\n  title: Name\nstage_map:\n  1: lead\n", 4, "stage_map.1: 1 is not text; put it in quotes"),
    ("columns:\n  title: Name\nstage_map:\n  Won: 3\n", 4, "stage_map.Won: 3 is not text; put it in quotes"),
    ("columns:\n  title: Name\nstatus_map:\n  Offen: offen\n", 4, "status_map.Offen: Input should be 'open', 'won' or"),
    ("columns:\n  title: Name\ndate_format: d.m.Y\n", 3, "date_format: 'd.m.Y' is not a strptime format"),
    ("columns:\n  title: Name\nzero_value_unknown: maybe\n", 3, "zero_value_unknown: Input should be a valid bool"),
    ("colums:\n  title: Name\n", 1, "colums: not a key of a preset file; it has columns, stage_map,"),
    (
        "columns:\n  title: Name\n  title: Other\n",
        3,
        "YAML syntax: while constructing a mapping; found the key 'title' twice",
    ),
    ("columns:\n  title: [Name\n", 3, "YAML syntax: "),
    ("- title\n", 1, "expected a YAML mapping of fields (key: value)"),
    ("columns: &c\n  title: Name\nstage_map: *c\n", 1, "YAML anchors and aliases (&name, *name) are not allowed"),
]


@pytest.mark.parametrize(("text", "line", "message"), BAD)
def test_a_bad_preset_file_is_one_line_naming_file_and_line(
    pipe, tmp_path: Path, text: str, line: int, message: str
) -> None:
    _write(pipe.root, "presets/acme.yaml", text)
    csv_path = _write(tmp_path, "deals.csv", "Name,Amount\nA,1\n")
    result = pipe("import", str(csv_path), "--preset", "acme", ok=False)
    assert result.exit_code == 2
    prefix = f"pipe: {pipe.root / 'presets' / 'acme.yaml'}:{line}: "
    assert result.stderr.startswith(prefix + message), result.stderr
    assert result.stderr.count("\n") == 1
    assert read_deals(pipe.root) == {}


def test_a_preset_path_that_is_no_file(pipe, tmp_path: Path) -> None:
    (pipe.root / "presets" / "acme.yaml").mkdir(parents=True)
    csv_path = _write(tmp_path, "deals.csv", "Name\nA\n")
    result = pipe("import", str(csv_path), "--preset", "acme", ok=False)
    assert (result.exit_code, result.stderr) == (
        2,
        f"pipe: {pipe.root / 'presets' / 'acme.yaml'}: not a file; a preset is a YAML file\n",
    )


def test_only_the_preset_named_is_read(pipe, tmp_path: Path) -> None:
    _write(pipe.root, "presets/broken.yaml", "colums: [\n")
    _write(pipe.root, "presets/names.yaml", "columns:\n  title: Name\n  value: Amount\n")
    csv_path = _write(tmp_path, "deals.csv", "Name,Amount\nAcme,1200\n")
    assert "1 created" in pipe("import", str(csv_path), "--preset", "names", "--default-date", "2024-03-01").stdout
    assert [(d["title"], d["value"]) for d in read_deals(pipe.root).values()] == [("Acme", "1200")]


def test_an_unknown_preset_names_the_pipelines_own(pipe, tmp_path: Path) -> None:
    _write(pipe.root, "presets/acme.yaml", "columns:\n  title: Name\n")
    csv_path = _write(tmp_path, "deals.csv", "Name\nA\n")
    result = pipe("import", str(csv_path), "--preset", "acne", ok=False)
    assert result.exit_code == 2
    assert result.stderr == (
        "pipe: --preset 'acne': use one of acme, crm-sales-opportunities, hubspot, pipe, pipedrive "
        "or a file presets/acne.yaml in the pipeline folder\n"
    )
    # a name is looked up among the files, never made into a path
    result = pipe("import", str(csv_path), "--preset", "../presets/acme", ok=False)
    assert result.exit_code == 2
    assert result.stderr.startswith("pipe: --preset '../presets/acme': use one of acme, crm-sales-opportunities,")


def test_a_preset_named_like_a_built_in_one_takes_its_place(pipe, tmp_path: Path) -> None:
    _write(
        pipe.root,
        "presets/hubspot.yaml",
        "columns:\n  external_id: Record ID\n  title: Deal Name\n  stage: Deal Stage\n"
        "stage_map:\n  Verhandlung: negotiation\n",
    )
    csv_path = _write(tmp_path, "hubspot.csv", "Record ID,Deal Name,Deal Stage,Amount\n1,Nordwind,Verhandlung,500\n")
    assert "1 created" in pipe("import", str(csv_path), "--preset", "hubspot", "--default-date", "2024-03-01").stdout
    deal = by_external_id(pipe.root)["1"]
    # the pipeline's file, not the built-in one: its stage map, and no Amount column mapped
    assert (deal["stage"], deal["status"], "value" in deal) == ("negotiation", "open", False)


def test_command_line_options_apply_over_a_users_preset(pipe, tmp_path: Path) -> None:
    _write(
        pipe.root,
        "presets/acme.yaml",
        "columns:\n  title: Name\n  stage: Phase\n  created: Since\nstage_map:\n  Warm: qualified\n"
        "date_format: '%d.%m.%Y'\n",
    )
    csv_path = _write(tmp_path, "deals.csv", "Name,Phase,Since\nAcme,Warm,2024-03-01\nBeta,Hot,02.03.2024\n")
    pipe("import", str(csv_path), "--preset", "acme", "--stage-map", "Warm=meeting", "--stage-map", "Hot=proposal")
    deals = {d["title"]: d for d in read_deals(pipe.root).values()}
    assert (deals["Acme"]["stage"], deals["Acme"]["created"]) == ("meeting", "2024-03-01T00:00:00+01:00")
    assert (deals["Beta"]["stage"], deals["Beta"]["created"]) == ("proposal", "2024-03-02T00:00:00+01:00")


def test_a_stage_label_in_a_preset_and_a_stage_the_pipeline_lacks(pipe, tmp_path: Path) -> None:
    _write(
        pipe.root,
        "presets/acme.yaml",
        "columns:\n  title: Name\n  stage: Phase\nstage_map:\n  Warm: Qualified\n  Cold: icebox\n",
    )
    csv_path = _write(tmp_path, "deals.csv", "Name,Phase\nAcme,Warm\nBeta,Cold\n")
    result = pipe("import", str(csv_path), "--preset", "acme", "--default-date", "2024-03-01", ok=False)
    assert result.exit_code == 1
    assert result.stderr == (
        f"pipe: {csv_path}:3: Phase: 'Cold' maps to stage 'icebox', which this pipeline lacks "
        "(its stages are lead, qualified, meeting, proposal, negotiation); add --stage-map Cold=STAGE\n"
    )
    assert [(d["title"], d["stage"]) for d in read_deals(pipe.root).values()] == [("Acme", "qualified")]


# --------------------------------------------------------------------------------------
# The built-in presets: package data


def test_the_built_in_presets_are_the_files_of_the_package() -> None:
    files = resources.files("pipecli.importing") / "preset_files"
    assert presets.built_in_names() == BUILT_IN
    assert sorted(p.name for p in files.iterdir()) == [f"{n}.yaml" for n in BUILT_IN]
    hubspot = presets.find("hubspot")
    assert hubspot.columns["external_id"] == ("Record ID", "Deal ID")
    assert hubspot.stage_map["Contract Sent"] == "negotiation"
    assert hubspot.stage_map["Closed Won"] == ""
    assert hubspot.status_map["*"] == "open"
    sample = presets.find("crm-sales-opportunities")
    assert (sample.date_format, sample.zero_value_unknown) == ("%m/%d/%Y", True)
    assert sample.columns["title"] == ("{account} – {product}",)
    # the pipe preset is the export's columns, from the one list of fields
    columns = presets.find("pipe").field_columns(["title", "contact_name", "entered_lead"])
    assert columns["contact.name"] == ("contact_name",)
    assert columns["entered.lead"] == ("entered_lead",)
    assert columns["next_due"] == ("next_due",)


def test_the_packaging_ships_every_preset_file() -> None:
    import tomllib

    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    globs = config["tool"]["setuptools"]["package-data"]["pipecli.importing"]
    folder = ROOT / "pipecli" / "importing"
    shipped = {p for g in globs for p in folder.glob(g)}
    assert shipped == set((folder / "preset_files").iterdir())


@pytest.mark.slow
def test_a_built_wheel_imports_with_its_presets(tmp_path: Path) -> None:
    """A non-editable install: the wheel pip builds from the sources, installed and run."""
    src = tmp_path / "src"
    src.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, src / name)
    shutil.copytree(ROOT / "pipecli", src / "pipecli", ignore=shutil.ignore_patterns("__pycache__"))
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(tmp_path / "dist"), str(src)],
        capture_output=True,
        text=True,
    )
    assert built.returncode == 0, built.stderr
    (wheel,) = (tmp_path / "dist").glob("pipecli-*.whl")
    with zipfile.ZipFile(wheel) as z:
        shipped = sorted(n for n in z.namelist() if n.startswith("pipecli/importing/preset_files/"))
    assert shipped == [f"pipecli/importing/preset_files/{n}.yaml" for n in BUILT_IN]
    site = tmp_path / "site"
    installed = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "--quiet", "--target", str(site), str(wheel)],
        capture_output=True,
        text=True,
    )
    assert installed.returncode == 0, installed.stderr
    root = tmp_path / "sales"
    csv_path = _write(tmp_path, "pipedrive.csv", "Deal - ID,Deal - Title,Deal - Stage\n7,Nordwind,Proposal Made\n")
    code = "import sys, pipecli; from pipecli.cli import main; print(pipecli.__file__); sys.argv[0] = 'pipe'; main()"
    env = {**os.environ, "PYTHONPATH": str(site)}
    for args in (
        ["init", str(root)],
        ["-C", str(root), "import", str(csv_path), "--preset", "pipedrive", "--default-date", "2024-03-01"],
    ):
        run = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, env=env, cwd=tmp_path)
        assert run.returncode == 0, run.stderr
        assert run.stdout.startswith(str(site / "pipecli" / "__init__.py") + "\n")
    assert "1 created" in run.stdout
    assert by_external_id(root)["7"]["stage"] == "proposal"
