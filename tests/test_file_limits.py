"""Files that `pipe check` calls clean never crash another command, and every file another
command skips is a `check` finding with the same words.

Each case: the file is named (with its line) by list, report, stale and export, which
still show the good deals and exit 1; `check` has the same line among its findings.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import time
from pathlib import Path

import pytest
from conftest import PIPE_SCRIPT

HEAD = "title: {title}\nstage: lead\ncreated: 2026-03-01T10:00:00+01:00\n"
LISTINGS = [
    ["list", "--status", "all", "--format", "json"],
    ["report", "--as-of", "2026-03-10", "--format", "json"],
    ["stale", "--as-of", "2026-03-10", "--format", "json"],
    ["export", "--format", "json"],
    ["export", "--format", "csv"],
]


@pytest.fixture
def good(pipe, monkeypatch) -> str:
    monkeypatch.chdir(pipe.root)
    pipe.add("Good deal", "--id", "good", "--value", "1000", "--at", "2026-03-02")
    return "good"


def put(pipe, name: str, text: str) -> Path:
    path = pipe.root / "deals" / f"{name}.yaml"
    path.write_text(text, encoding="utf-8")
    old = time.time() - 3600  # old enough for the parse cache to keep it
    os.utime(path, (old, old))
    return path


def named_everywhere(pipe, line: str, *, twice: bool = True) -> None:
    """Every listing names the file with ``line`` and still shows the good deal; so does check."""
    for _ in range(2 if twice else 1):  # the second run reads through the parse cache
        for args in LISTINGS:
            result = pipe(*args, ok=False)
            assert result.exit_code == 1, (args, result.output)
            assert "internal error" not in result.output, (args, result.output)
            assert f"pipe: {line}" in result.stderr.splitlines(), (args, result.stderr)
            if args[0] != "report":
                assert "good" in result.stdout, args
    checked = pipe("check", ok=False)
    assert checked.exit_code == 1
    assert line in checked.stdout.splitlines(), checked.stdout


def test_deep_nesting_is_named_not_an_internal_error(pipe, good: str) -> None:
    put(pipe, "deep", HEAD.format(title="Deep") + "custom: " + "[" * 400 + "]" * 400 + "\n")
    named_everywhere(pipe, "deals/deep.yaml:4: nested deeper than 32 levels; pipe files are plain key: value lines")
    shown = pipe("show", "deep", "--format", "json", ok=False)
    assert (shown.exit_code, shown.stderr) == (
        1,
        "pipe: deals/deep.yaml:4: nested deeper than 32 levels; pipe files are plain key: value lines\n",
    )


def test_block_nesting_names_the_line_where_it_goes_too_deep(pipe, good: str) -> None:
    lines = [HEAD.format(title="Deep").rstrip("\n"), "custom:"]
    lines += [" " * (2 * i) + f"k{i}:" for i in range(1, 40)]
    put(pipe, "deep", "\n".join(lines) + " end\n")
    named_everywhere(pipe, "deals/deep.yaml:36: nested deeper than 32 levels; pipe files are plain key: value lines")


AMOUNT = "value: more digits than an amount can keep exactly (at most 15 before the point)"


@pytest.mark.parametrize(
    ("digits", "message"),
    [
        ("1" * 16, AMOUNT),
        ("9223372036854775808", AMOUNT),
        ("1" * 28, AMOUNT),
        ("1e300", AMOUNT),
        ("1" * 5000, AMOUNT),
    ],
)
def test_an_amount_too_large_to_keep_exactly_is_named(pipe, good: str, digits: str, message: str) -> None:
    put(pipe, "huge", HEAD.format(title="Huge") + f"value: {digits}\n")
    named_everywhere(pipe, f"deals/huge.yaml:4: {message}")
    sqlite = pipe("export", "--format", "sqlite", "--output", "out.db", ok=False)
    assert sqlite.exit_code == 1 and "internal error" not in sqlite.output
    assert "exported 1 deal to out.db" in sqlite.stderr


@pytest.mark.parametrize("tag", ["!!set {a, b}", "!x 1", "!!python/name:os.system"])
def test_yaml_tags_other_than_plain_data_are_named(pipe, good: str, tag: str) -> None:
    put(pipe, "tagged", HEAD.format(title="Tagged") + f"custom: {tag}\n")
    shown_tag = tag.split()[0]
    line = f"deals/tagged.yaml:4: the YAML tag {shown_tag} is not allowed in pipe files; write the value plainly"
    named_everywhere(pipe, line)
    for fmt in ("text", "json", "yaml"):
        shown = pipe("show", "tagged", "--format", fmt, ok=False)
        assert (shown.exit_code, shown.stderr) == (1, f"pipe: {line}\n")


@pytest.mark.parametrize("tag", ["!!binary aGk=", "!!timestamp 2026-03-01", "!!omap [a: 1]", "!!pairs [a: 1, a: 2]"])
def test_other_yaml_types_work_in_every_command(pipe, good: str, tag: str) -> None:
    put(pipe, "typed", HEAD.format(title="Typed") + f"custom: {tag}\n")
    for args in [*LISTINGS, ["check"], ["show", "typed"], ["show", "typed", "--format", "json"]]:
        result = pipe(*args, ok=False)
        assert (result.exit_code, result.stderr) == (0, ""), (args, result.output)
    assert pipe("note", "typed", "still writable", "--at", "2026-03-05").exit_code == 0


def test_a_duplicate_id_is_named_and_counted_once(pipe, good: str) -> None:
    put(pipe, "zz-copy", "id: good\n" + HEAD.format(title="Copy") + "value: 5000\n")
    named_everywhere(pipe, "deals/zz-copy.yaml:1: duplicate id 'good', also in good.yaml")
    listed = json.loads(pipe("list", "--status", "all", "--format", "json", ok=False).stdout)
    assert [(d["id"], d["title"]) for d in listed] == [("good", "Good deal")]
    report = json.loads(pipe("report", "--as-of", "2026-03-10", "--format", "json", ok=False).stdout)
    assert (report["totals"]["deals"], report["totals"]["open_value"]) == (1, {"EUR": 1000})


def test_a_history_out_of_order_is_named(pipe, good: str) -> None:
    put(
        pipe,
        "late",
        HEAD.format(title="Late")
        + "history:\n"
        + "  - {at: 2026-03-05T10:00:00+01:00, event: created, to: lead}\n"
        + "  - {at: 2026-03-02T10:00:00+01:00, event: moved, from: lead, to: qualified}\n",
    )
    named_everywhere(
        pipe,
        "deals/late.yaml:6: history out of time order: 2026-03-02T10:00:00+01:00 comes after "
        "2026-03-05T10:00:00+01:00; move the entry to its place",
    )


def test_size_is_counted_in_bytes(pipe, good: str) -> None:
    # 700,000 characters, 1,400,000 bytes
    put(pipe, "wide", HEAD.format(title="Wide") + "custom: " + "ż" * 700_000 + "\n")
    named_everywhere(pipe, "deals/wide.yaml: file is larger than 1 MiB; not a deal file?", twice=False)


def test_a_huge_sparse_file_is_refused_without_reading_it(pipe, good: str) -> None:
    path = pipe.root / "deals" / "sparse.yaml"
    with open(path, "wb") as f:
        f.truncate(2 << 30)  # 2 GiB of nothing, no disk used

    def small_memory() -> None:  # the reader may not hold the file, let alone twice
        resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))

    for args in (["list"], ["check"], ["show", "sparse"]):
        done = subprocess.run(
            [str(PIPE_SCRIPT), *args],
            cwd=pipe.root,
            capture_output=True,
            text=True,
            timeout=120,
            preexec_fn=small_memory,
        )
        assert done.returncode == 1, (args, done.stderr)
        out = done.stdout + done.stderr
        assert "deals/sparse.yaml: file is larger than 1 MiB; not a deal file?" in out, (args, out)
        assert "internal error" not in out and "Traceback" not in out
