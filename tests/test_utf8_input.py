"""Bytes that are not UTF-8, in an argument or on standard input: refused with one line, nothing written.

A shell passes arguments as bytes; Python hands bytes that are not UTF-8 on as lone
surrogates ('caf\\udce9' for b'caf\\xe9'). Written to a deal file they would become an
escape no YAML reader accepts, and the deal could no longer be read.
"""

from __future__ import annotations

import json
import os
import subprocess

import pytest
from conftest import PIPE_SCRIPT, tree_bytes

LATIN1 = os.fsdecode(b"caf\xe9")  # what Python makes of the bytes c a f 0xE9 on the command line


@pytest.fixture
def deal(pipe) -> str:
    pipe.add("Acme", "--id", "acme", "--at", "2026-03-02")
    return "acme"


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["note", "acme", LATIN1], "TEXT"),
        (["add", LATIN1], "TITLE"),
        (["add", "Acme two", "--owner", LATIN1], "--owner"),
        (["add", "Acme two", f"--company={LATIN1}"], "--company"),
        (["lost", "acme", "--reason", LATIN1], "--reason"),
        (["set", "acme", f"owner={LATIN1}"], "FIELD=VALUE: 'owner="),
        (["next", "acme", LATIN1, "--due", "2026-04-01"], "TEXT"),
        (["snooze", "acme", "--until", "2026-09-01", "--reason", LATIN1], "--reason"),
        (["move", "acme", "meeting", "--note", LATIN1], "--note"),
        (["list", "--owner", LATIN1], "--owner"),
    ],
)
def test_an_argument_that_is_not_utf8_is_refused(pipe, deal: str, args: list[str], named: str) -> None:
    before = tree_bytes(pipe.root)
    result = pipe(*args, ok=False)
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    named = named if named.endswith("=") else f"{named}: '"
    assert result.stderr == (
        f"pipe: {named}caf\\xe9' is not valid UTF-8 text; "
        "retype it, or convert it first (e.g. iconv -f latin1 -t utf-8)\n"
    )
    assert tree_bytes(pipe.root) == before
    assert pipe("check").exit_code == 0


def test_bytes_on_the_command_line_of_a_real_process(pipe, deal: str) -> None:
    before = tree_bytes(pipe.root)
    done = subprocess.run(
        [str(PIPE_SCRIPT), "-C", str(pipe.root), "note", "acme", b"caf\xe9 au lait"],
        capture_output=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )
    assert done.returncode == 2
    assert done.stderr.decode() == (
        "pipe: TEXT: 'caf\\xe9 au lait' is not valid UTF-8 text; "
        "retype it, or convert it first (e.g. iconv -f latin1 -t utf-8)\n"
    )
    assert tree_bytes(pipe.root) == before
    shown = subprocess.run([str(PIPE_SCRIPT), "-C", str(pipe.root), "show", "acme"], capture_output=True, timeout=60)
    assert shown.returncode == 0


def test_bytes_on_standard_input_are_refused(pipe, deal: str) -> None:
    before = tree_bytes(pipe.root)
    done = subprocess.run(
        [str(PIPE_SCRIPT), "-C", str(pipe.root), "note", "acme", "-"],
        input=b"first line\ncaf\xe9\n",
        capture_output=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert done.stderr.decode() == (
        "pipe: standard input (the note) is not valid UTF-8 text (line 2); "
        "convert it first (e.g. iconv -f latin1 -t utf-8)\n"
    )
    assert tree_bytes(pipe.root) == before


def test_utf8_on_standard_input_is_kept_exactly(pipe, deal: str) -> None:
    text = "Zażółć gęślą jaźń\nระบบบัญชี\nCaffè"
    done = subprocess.run(
        [str(PIPE_SCRIPT), "-C", str(pipe.root), "note", "acme", "-", "--at", "2026-03-03"],
        input=text.encode("utf-8"),
        capture_output=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    notes = json.loads(pipe("show", "acme", "--format", "json").stdout)["notes"]
    assert [n["text"] for n in notes] == [text]


def test_a_non_utf8_folder_name_still_works(runner, tmp_path) -> None:
    """-C takes a folder: its name is the file system's business, not text pipe writes."""
    from pipecli.cli import app

    root = tmp_path / os.fsdecode(b"sprzeda\xbf")
    assert runner.invoke(app, ["init", str(root)]).exit_code == 0
    result = runner.invoke(app, ["-C", str(root), "add", "Acme", "--id", "acme", "--at", "2026-03-02"])
    assert result.exit_code == 0, result.output
    assert result.stdout == "acme\n"


def test_pipe_user_that_is_not_utf8_is_a_bad_setting(pipe, deal: str, run_pipe) -> None:
    done = subprocess.run(
        [str(PIPE_SCRIPT), "-C", str(pipe.root), "note", "acme", "hello"],
        env={**os.environ, "PIPE_USER": LATIN1},
        capture_output=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert done.stderr.decode() == (
        "pipe: PIPE_USER='caf\\udce9': not valid UTF-8 text; set it to a name such as anna, or unset it\n"
    )


@pytest.mark.parametrize("text", ["\udbdc\x9a Zamówienie", "trattativa \ud800", "\udfff"])
def test_any_lone_surrogate_a_caller_passes_is_refused_like_bytes(pipe, deal: str, text: str) -> None:
    """No command line makes these (only bytes U+DC80 to U+DCFF), but a caller of the library
    can: no UTF-8 file can hold them, so they are refused as bytes are, not written."""
    before = tree_bytes(pipe.root)
    result = pipe("add", "Acme two", "--owner", text, ok=False)
    assert result.exit_code == 2, result.output
    shown = "".join(f"\\u{ord(ch):x}" if "\ud800" <= ch <= "\udfff" else ch for ch in text)
    assert result.stderr == (
        f"pipe: --owner: '{shown}' is not valid UTF-8 text; "
        "retype it, or convert it first (e.g. iconv -f latin1 -t utf-8)\n"
    )
    assert tree_bytes(pipe.root) == before
