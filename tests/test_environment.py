"""The machine around pipe: a time zone no offset can express, a closed or full standard
output, Ctrl-C while it starts, and names Windows cannot check out."""

from __future__ import annotations

import os
import signal
import subprocess
import time

import pytest
from conftest import PIPE_SCRIPT, tree_bytes

from pipecli import ids
from pipecli.errors import PipeError


def run(root, *args: str, **kwargs) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **kwargs.pop("env", {})}
    return subprocess.run(
        [str(PIPE_SCRIPT), "-C", str(root), *args], capture_output=True, text=True, timeout=60, env=env, **kwargs
    )


@pytest.mark.parametrize("zone", ["UTC+24", "UTC-25"])
def test_a_time_zone_of_a_day_or_more_is_a_clear_error(pipe, zone: str) -> None:
    d = pipe.add("Acme", "--id", "acme", "--at", "2026-03-02")
    before = tree_bytes(pipe.root)
    assert run(pipe.root, "list", env={"TZ": zone}).returncode == 0  # listing needs no clock
    for args in (["note", d, "hi"], ["report"], ["add", "New"], ["stale"]):
        r = run(pipe.root, *args, env={"TZ": zone})
        assert (r.returncode, r.stdout) == (2, ""), (args, r.stderr)
        assert r.stderr == (
            "pipe: the local time zone (TZ) is a day or more away from UTC, which no time stamp can say; "
            "set TZ to a zone such as Europe/Warsaw\n"
        ), args
    assert tree_bytes(pipe.root) == before


def test_a_closed_standard_output_is_one_line_not_an_internal_error(pipe) -> None:
    pipe.add("Acme", "--id", "acme", "--at", "2026-03-02")
    r = subprocess.run(
        f"exec {PIPE_SCRIPT} -C {pipe.root} list >&-", shell=True, capture_output=True, text=True, timeout=60
    )
    assert r.returncode == 1
    assert r.stderr == "pipe: cannot write the output: standard output is closed\n"


def test_a_full_standard_output(pipe) -> None:
    pipe.add("Acme", "--id", "acme", "--at", "2026-03-02")
    with open("/dev/full", "w") as full:
        for args in (["list"], ["note", "acme", "hello", "--at", "2026-03-03"]):
            r = subprocess.run(
                [str(PIPE_SCRIPT), "-C", str(pipe.root), *args], stdout=full, stderr=subprocess.PIPE, text=True
            )
            assert r.returncode == 1, args
            assert r.stderr == "pipe: cannot write the output: No space left on device\n", args


def _interrupted_before_main(err: str) -> bool:
    """True when Ctrl-C landed while the installer's wrapper script was still importing the
    entry point module (pipecli/__init__.py sets __version__, launch.py imports os, signal
    and sys), before ``launch.main`` ran: Python prints that traceback, nothing can catch it."""
    lines = err.strip().splitlines()
    if not lines or lines[0] != "Traceback (most recent call last):" or lines[-1] != "KeyboardInterrupt":
        return False
    frames = [line.strip() for line in lines if line.strip().startswith('File "')]
    for frame in frames:
        if "<frozen " in frame or (
            frame.endswith("in <module>")
            and (
                frame.startswith(f'File "{PIPE_SCRIPT}"')
                or "pipecli/launch.py" in frame
                or "pipecli/__init__.py" in frame
            )
        ):
            continue
        return False
    return bool(frames)


@pytest.mark.parametrize("delay", [0.0, 0.05, 0.1, 0.2, 0.3, 0.5])
def test_ctrl_c_while_starting_prints_no_traceback(pipe, delay: float) -> None:
    proc = subprocess.Popen(
        [str(PIPE_SCRIPT), "-C", str(pipe.root), "list"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    time.sleep(delay)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    if "init_import_site" in err:
        return  # the interpreter itself was starting (its site module): before any of pipe's code
    if _interrupted_before_main(err):
        return
    assert "Traceback" not in err and "KeyboardInterrupt" not in err, err
    assert proc.returncode in (0, 130, -signal.SIGINT), (proc.returncode, err)


@pytest.mark.parametrize("name", ["con", "prn", "aux", "nul", "com1", "com9", "lpt1", "lpt9", "nul.x", "con.tar.gz"])
def test_windows_reserved_names_are_refused_as_ids(pipe, name: str) -> None:
    before = tree_bytes(pipe.root)
    r = pipe("add", "Acme", "--id", name, ok=False)
    assert r.exit_code == 2
    assert r.stderr == (
        f"pipe: --id {name!r}: {name.split('.')[0]} is a reserved file name on Windows "
        "(a clone there could not check the file out); choose another\n"
    )
    assert tree_bytes(pipe.root) == before
    with pytest.raises(PipeError):
        ids.check_id(name.upper())


def test_reserved_names_are_never_generated() -> None:
    for title in ("Con", "NUL", "aux", "Com1", "LPT9", "prn"):
        made = ids.new_id(title)
        assert not ids.reserved(made), made
    assert ids.reserved("con") and ids.reserved("com1.yaml") and not ids.reserved("console")


def test_import_refuses_a_reserved_id(pipe, tmp_path) -> None:
    csv = tmp_path / "in.csv"
    csv.write_text("id,title,created\naux,Acme,2026-03-01\nok-1,Fine,2026-03-01\n", encoding="utf-8")
    r = pipe("import", str(csv), ok=False)
    assert r.exit_code == 1
    assert "in.csv:2: id: 'aux' cannot be a deal id (a file name)" in r.stderr
    assert sorted(p.name for p in (pipe.root / "deals").iterdir()) == ["ok-1.yaml"]


def test_a_killed_writers_leftover_is_removed_by_the_next_write(pipe) -> None:
    d = pipe.add("Acme", "--id", "acme", "--at", "2026-03-02")
    left = pipe.root / "deals" / ".acme.yaml.0123456789abcdef.tmp"
    left.write_text("half a fi", encoding="utf-8")
    keep = pipe.root / "deals" / ".notes-of-mine.txt"  # not a name pipe makes: left alone
    keep.write_text("mine", encoding="utf-8")
    pipe("list")
    assert left.exists()  # reading never removes anything
    pipe("note", d, "hello", "--at", "2026-03-03")
    assert not left.exists() and keep.exists()
