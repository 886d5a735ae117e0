"""pipecli.settings: PIPE_DIR, PIPE_LOCK_TIMEOUT, PIPE_DEBUG and PIPE_USER, read once at start-up."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from pipecli import settings
from pipecli.errors import BadSetting, PipeError
from pipecli.settings import Settings

PACKAGE = Path(settings.__file__).parent


def test_defaults_and_values() -> None:
    assert Settings.from_environ({}) == Settings(pipe_dir=None, lock_timeout=30.0, debug=False, user=None)
    got = Settings.from_environ(
        {"PIPE_DIR": "/srv/sales", "PIPE_LOCK_TIMEOUT": "2.5", "PIPE_DEBUG": "1", "PIPE_USER": " Zofia Łęcka "}
    )
    assert got == Settings(pipe_dir=Path("/srv/sales"), lock_timeout=2.5, debug=True, user="Zofia Łęcka")
    assert Settings.from_environ({"PIPE_DEBUG": "0", "PIPE_LOCK_TIMEOUT": "0", "PIPE_DIR": ""}) == Settings(
        lock_timeout=0.0
    )


@pytest.mark.parametrize(
    ("name", "value", "hint"),
    [
        ("PIPE_LOCK_TIMEOUT", "abc", "not a number of seconds"),
        ("PIPE_LOCK_TIMEOUT", "-1", "0 or more"),
        ("PIPE_LOCK_TIMEOUT", "nan", "finite"),
        ("PIPE_LOCK_TIMEOUT", "inf", "finite"),
        ("PIPE_USER", "anna\nmallory", "on one line"),
        ("PIPE_USER", "x" * 300, "at most 200 characters"),
    ],
)
def test_a_bad_value_names_the_variable(name: str, value: str, hint: str) -> None:
    with pytest.raises(BadSetting) as caught:
        Settings.from_environ({name: value})
    err = caught.value
    assert isinstance(err, PipeError)
    assert (err.name, err.value) == (name, value)
    assert err.message.startswith(f"{name}={value!r}: ") and hint in err.message


FINITE = "seconds must be a finite number, 0 or more; set it to e.g. 30, or unset it"


@pytest.mark.parametrize(
    ("value", "line"),
    [
        ("abc", "pipe: PIPE_LOCK_TIMEOUT='abc': not a number of seconds; set it to e.g. 30, or unset it\n"),
        ("-3", f"pipe: PIPE_LOCK_TIMEOUT='-3': {FINITE}\n"),
        ("NaN", f"pipe: PIPE_LOCK_TIMEOUT='NaN': {FINITE}\n"),
    ],
)
def test_bad_lock_timeout_is_one_line_and_exit_2(pipe, run_pipe, value: str, line: str) -> None:
    for args in (["list"], ["add", "Acme"], ["check"]):
        r = run_pipe("-C", str(pipe.root), *args, env={"PIPE_LOCK_TIMEOUT": value})
        assert (r.returncode, r.stdout, r.stderr) == (2, "", line)
    assert list((pipe.root / "deals").iterdir()) == []


def test_bad_setting_does_not_stop_version_or_help(run_pipe) -> None:
    assert run_pipe("--version", env={"PIPE_LOCK_TIMEOUT": "abc"}).returncode == 0
    assert run_pipe("--help", env={"PIPE_LOCK_TIMEOUT": "abc"}).returncode == 0


def test_importing_the_library_never_reads_a_bad_value() -> None:
    code = "import pipecli.store, pipecli.cli; print('ok')"
    r = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env={"PIPE_LOCK_TIMEOUT": "abc", "PATH": ""}
    )
    assert (r.returncode, r.stdout, r.stderr) == (0, "ok\n", "")


def test_lock_timeout_is_the_one_read_at_start(pipe, run_pipe) -> None:
    from pipecli.store import Store

    with Store.open(pipe.root).lock():
        r = run_pipe("-C", str(pipe.root), "add", "Waiting", env={"PIPE_LOCK_TIMEOUT": "0.2"})
    assert r.returncode == 1
    assert r.stderr.startswith("pipe: another pipe command has held the lock ")
    # the holder (this test's process) wrote its pid into the lock file
    assert r.stderr.endswith(f".pipe/lock (pid {os.getpid()}) for 0.2s; wait for it to finish and try again\n")


def test_no_other_module_reads_these_variables() -> None:
    pattern = re.compile(r"""(\.get\(|environ\[|getenv\()\s*["']PIPE_""")
    readers = [
        p.relative_to(PACKAGE).as_posix()
        for p in sorted(PACKAGE.rglob("*.py"))
        if pattern.search(p.read_text(encoding="utf-8"))
    ]
    assert readers == ["settings.py"]
