"""Deal files from elsewhere (a colleague's push, a merge) cannot hang or trick pipe."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

PIPE = str(Path(sys.executable).with_name("pipe"))


def _laughs(levels: int = 12) -> str:
    lines = [
        "title: Bomb",
        "stage: lead",
        "created: 2026-03-02T10:00:00+01:00",
        "a0: &a0 [x, x, x, x, x, x, x, x, x, x]",
    ]
    for i in range(1, levels):
        lines.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]")
    return "\n".join(lines) + "\n"


def test_an_alias_bomb_is_refused_quickly_and_the_other_deals_still_list(pipe) -> None:
    good = pipe.add("Good deal", "--at", "2026-03-02")
    (pipe.root / "deals" / "bomb.yaml").write_text(_laughs(), encoding="utf-8")
    for args in (["list"], ["check"], ["report", "--as-of", "2026-03-10"], ["stale", "--as-of", "2026-03-10"]):
        # a real process with a deadline: a regression hangs here instead of passing
        done = subprocess.run(
            [PIPE, "-C", str(pipe.root), *args], capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL
        )
        assert done.returncode == 1, (args, done.stderr)
        out = done.stdout + done.stderr
        assert "deals/bomb.yaml:4: YAML anchors and aliases (&name, *name) are not allowed" in out
        assert "Traceback" not in out
    listed = pipe("list", "--format", "json", ok=False)
    assert [d["id"] for d in json.loads(listed.stdout)] == [good]


def test_note_text_that_looks_like_yaml_syntax_is_just_text(pipe) -> None:
    deal = pipe.add("Acme", "--at", "2026-03-02")
    for text in ("*important* call back", "&co. meeting", "- not a list", "key: value"):
        pipe("note", deal, "--at", "2026-03-03", "--", text)
    shown = pipe("show", deal, "--format", "json").stdout
    notes = [n["text"] for n in json.loads(shown)["notes"]]
    assert notes == ["*important* call back", "&co. meeting", "- not a list", "key: value"]
    assert pipe("check").exit_code == 0


def test_python_tags_are_never_constructed(pipe, tmp_path) -> None:
    marker = tmp_path / "pwned"
    (pipe.root / "deals" / "evil.yaml").write_text(
        "title: Evil\nstage: lead\ncreated: 2026-03-02T10:00:00+01:00\n"
        f"x: !!python/object/apply:os.system ['touch {marker}']\n",
        encoding="utf-8",
    )
    result = pipe("list", ok=False)
    assert result.exit_code == 1
    assert "evil.yaml:4:" in result.stderr
    assert not marker.exists()
