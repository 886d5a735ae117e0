"""A column damaged inside an index whose header and frame are whole (its bytes changed, its
length kept) is found only when a command first decodes it: a command that changes no file
(so writes nothing) still gives what a good index gives, with no word on stderr, and the
index is written whole again."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from clock_helpers import on_one_clock
from conftest import PIPE_SCRIPT
from test_index_split import paths, trust

from pipecli import index, indexfile, timeutil
from pipecli.store import Store

# what each command that only reads is run with (a day given wherever the command takes one)
COMMANDS: dict[str, tuple[str, ...]] = {
    "report": ("report", "--as-of", "2026-12-31", "--format", "json"),
    "report table": ("report", "--as-of", "2026-12-31"),
    "stale": ("stale", "--as-of", "2026-12-31", "--format", "json"),
    "list": ("list", "--status", "all", "--format", "json"),
    "list table": ("list",),
    "search": ("search", "piekarnia", "--status", "all", "--format", "json"),
    "board": ("board", "--as-of", "2026-12-31"),
    "agenda": ("agenda", "--as-of", "2026-03-20", "--format", "json"),
}
# a TAB after --owner: answered from the index's table of owners, before typer is imported or
# (PIPE_COMPLETE_FULL) by the command line's completion
TABS: dict[str, dict[str, str]] = {"complete owner": {}, "complete owner full": {"PIPE_COMPLETE_FULL": "1"}}


def run(root: Path, *args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    r = subprocess.run(
        [str(PIPE_SCRIPT), "-C", str(root), *args],
        capture_output=True,
        text=True,
        encoding="utf-8",
        env={**os.environ, **(env or {})},
        timeout=120,
    )
    return r.returncode, r.stdout, r.stderr


def tab(root: Path, env: dict[str, str]) -> tuple[int, str, str]:
    """What `pipe` answers bash for a TAB after `pipe list --owner ` (in ``root``)."""
    words = ("list", "--owner", "")
    request = {
        **env,
        "_PIPE_COMPLETE": "complete_bash",
        "COMP_WORDS": " ".join(["pipe", *words]),
        "COMP_CWORD": str(len(words)),
    }
    r = subprocess.run(
        [str(PIPE_SCRIPT)], cwd=root, capture_output=True, text=True, env={**os.environ, **request}, timeout=60
    )
    return r.returncode, r.stdout, r.stderr


def section_at(data: bytes, magic: bytes, name: str) -> tuple[int, int]:
    """Where the bytes of section ``name`` are in the file ``data``: start, length."""
    head, base = indexfile.header(data, magic)
    _, offset, length = head["sections"][name]
    return base + offset, length


def damaged(data: bytes, magic: bytes, name: str, how: Callable[[bytes], bytes]) -> bytes:
    start, length = section_at(data, magic, name)
    new = how(data[start : start + length])
    assert len(new) == length and new != data[start : start + length]
    return data[:start] + new + data[start + length :]


def garbled(raw: bytes) -> bytes:
    return b"#" * len(raw)  # a table that is no JSON


def off_the_table(raw: bytes) -> bytes:
    return b"\xff\xff\xff\x7f" * (len(raw) // 4)  # codes past the end of their table


def off_the_ladder(raw: bytes) -> bytes:
    return (99).to_bytes(8, "little", signed=True) * (len(raw) // 8)  # a stage past the last one


def text_for_a_time(raw: bytes) -> bytes:
    # every time stamp of the table loses its offset: `+01:00"` becomes `"     ` (still JSON, not a time)
    return raw.replace(b'+01:00"', b'"      ')


# a section, how its bytes are changed (its length kept), and the commands that surely decode it
# (a row's column: every command; a column of the listing only: those that list deals; the
# owners: a TAB after --owner too), after which the index must be whole again
EVERY = frozenset(COMMANDS)
DAMAGE: dict[str, tuple[str, Callable[[bytes], bytes], frozenset[str]]] = {
    "owners no JSON": ("owner.table", garbled, EVERY | set(TABS)),
    # a search decodes only the views of the deals it finds: never the rows' stage, nor where a deal sits
    "stage codes off the table": ("stage", off_the_table, EVERY - {"search"}),
    "sitting stage off the ladder": ("sitting.stage", off_the_ladder, EVERY - {"search"}),
    "listing times without offset": ("activity.table", text_for_a_time, frozenset({"list", "list table", "search"})),
}


@pytest.fixture
def sample(pipe) -> Path:
    late = pipe.add("Wrocławska Piekarnia", "--owner", "Łucja", "--value", "12000", "--at", "2026-03-02T00:00")
    pipe("move", late, "qualified", "--at", "2026-03-03T00:00")
    pipe("next", late, "Zadzwonić", "--due", "2026-03-10", "--at", "2026-03-03T09:00")
    caffe = pipe.add("Caffè Nero", "--owner", "Giulia", "--value", "4000", "--tag", "pilot", "--at", "2026-03-02T00:00")
    pipe("note", caffe, "Piekarnia obok: chiamare", "--at", "2026-03-04T10:00")
    thai = pipe.add("ระบบบัญชี สยามเทค", "--owner", "Somchai", "--value", "800", "--at", "2026-03-02T00:00")
    pipe("next", thai, "โทรหาลูกค้า", "--due", "2026-03-20", "--at", "2026-03-05T09:00")
    won = pipe.add("Won already", "--owner", "Giulia", "--value", "500", "--at", "2026-03-02T00:00")
    pipe("won", won, "--at", "2026-03-06T00:00")
    assert run(pipe.root, *COMMANDS["report"])[0] == 0  # makes the index
    trust(pipe.root, whole=True)  # every entry trusted: a command reads no file, so writes nothing
    return pipe.root


def outputs(root: Path) -> dict[str, tuple[int, str, str]]:
    out = {name: run(root, *args) for name, args in COMMANDS.items()}
    return out | {name: tab(root, env) for name, env in TABS.items()}


def decodes_whole(root: Path) -> bool:
    """The index there (with its delta) decodes, every row and view of it."""
    stored = index.read_index(paths(root)[0], Store(root).pipeline.stage_ids)
    if stored is None:
        return False
    try:
        stored.views  # noqa: B018 (decodes every row and view)
    except indexfile.Unreadable:
        return False
    return isinstance(stored, index.Layered) or not paths(root)[1].exists()  # a delta there is applied


def each_on_a_damaged_index(root: Path, path: Path, bad: bytes) -> tuple[dict, dict, dict]:
    """Every command with the good index, then each with the damaged file put back first, and
    what it left: the index whole again, or the damaged file untouched."""
    good_bytes = {p: p.read_bytes() for p in paths(root) if p.exists()}
    good = outputs(root)
    seen, left = {}, {}
    for name in [*COMMANDS, *TABS]:
        for p, data in good_bytes.items():
            p.write_bytes(bad if p == path else data)
        assert not decodes_whole(root)
        seen[name] = run(root, *COMMANDS[name]) if name in COMMANDS else tab(root, TABS[name])
        left[name] = "whole" if decodes_whole(root) else "untouched" if path.read_bytes() == bad else "neither"
    for p, data in good_bytes.items():
        p.write_bytes(data)
    return good, seen, left


@pytest.mark.parametrize("kind", sorted(DAMAGE))
def test_a_damaged_column_of_the_base_is_read_past_and_rebuilt(sample: Path, kind: str) -> None:
    path, delta = paths(sample)
    assert not delta.exists()
    name, how, readers = DAMAGE[kind]
    bad = damaged(path.read_bytes(), indexfile.MAGIC, name, how)
    # `pipe list` counts days in stage from now: every command runs on one day (stages entered at midnight)
    _, (good, seen, left) = on_one_clock(timeutil.today, lambda: each_on_a_damaged_index(sample, path, bad))
    assert all(code == 0 and err == "" for code, _, err in good.values()), good
    assert json.loads(good["report"][1])["totals"]["deals"] == 4
    assert "Wrocławska Piekarnia" in good["list table"][1] and "ระบบบัญชี สยามเทค" in good["board"][1]
    assert good["complete owner"][1].splitlines() == ["Giulia", "Somchai", "Łucja"]
    assert seen == good
    assert {n for n, state in left.items() if state == "whole"} >= readers
    assert set(left.values()) <= {"whole", "untouched"}


@pytest.mark.parametrize("kind", ["owners no JSON", "stage codes off the table", "listing times without offset"])
def test_a_damaged_column_of_the_delta_is_left_out(sample: Path, kind: str) -> None:
    delta = paths(sample)[1]
    thai = next(r["id"] for r in json.loads(run(sample, *COMMANDS["list"])[1]) if r["title"].startswith("ระบบ"))
    assert run(sample, "set", thai, "owner=Anna", "--at", "2026-03-07T00:00")[0] == 0
    trust(sample, whole=False)
    assert delta.exists()
    name, how, _ = DAMAGE[kind]
    bad = damaged(delta.read_bytes(), indexfile.DELTA_MAGIC, name, how)
    _, (good, seen, left) = on_one_clock(timeutil.today, lambda: each_on_a_damaged_index(sample, delta, bad))
    assert all(code == 0 and err == "" for code, _, err in good.values()), good
    assert {r["id"]: r["owner"] for r in json.loads(good["list"][1])}[thai] == "Anna"
    # the TAB offers the owners the base held too; the command line's completion only those of the deals
    assert good["complete owner"][1].splitlines() == ["Anna", "Giulia", "Somchai", "Łucja"]
    assert good["complete owner full"][1].splitlines() == ["Anna", "Giulia", "Łucja"]
    if name == "owner.table":  # the TAB cannot read the delta's owners: it leaves it to the command line
        assert seen.pop("complete owner") == good["complete owner full"]
        good.pop("complete owner")
    assert seen == good
    # a delta is decoded whole when it is read: every command leaves it out, reads the file it held
    # again and writes a good delta in its place (a TAB writes nothing: it answers from a table it can
    # read, or leaves the request to the command line, which refreshes the index)
    assert {n for n, state in left.items() if state == "whole"} >= EVERY
    assert left["complete owner"] == ("whole" if name == "owner.table" else "untouched")
    assert left["complete owner full"] == "whole"  # its refresh reads the file the delta held
