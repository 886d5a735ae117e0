"""No input reaches the user as a traceback: hostile arguments and hostile files."""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from pipecli.cli import app

HOSTILE = settings(
    max_examples=int(os.environ.get("PIPE_HOSTILE_EXAMPLES", "120")),
    deadline=None,
    suppress_health_check=list(HealthCheck),
)


@pytest.fixture(autouse=True)
def no_editor(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EDITOR", "false")
    monkeypatch.delenv("VISUAL", raising=False)


def assert_clean(result, args) -> None:
    output = result.stdout + result.stderr
    assert "Traceback" not in output, (args, output)
    assert "internal error" not in output, (args, output)
    assert result.exception is None or isinstance(result.exception, SystemExit), (args, repr(result.exception))
    assert result.exit_code in (0, 1, 2), (args, result.exit_code, output)
    if result.exit_code != 0 and args and args[0] != "check":
        assert result.stderr.strip(), (args, result.exit_code)
        assert all(line.startswith("pipe: ") for line in result.stderr.splitlines()), (args, result.stderr)


WORDS = [
    "acme", "acme-one", "a", "", " ", "-", "--", "-x", "--at", "--value", "--due", "--stage", "--format", "json",
    "lead", "meeting", "won", "lost", "all", "open", "2026-03-01", "2026-02-30", "1e400", "-5", "NaN", "12,5",
    "+3d", "-2w", "now", "today", "EUR", "eur", "X", "title=", "value=", "contact.email=x", "a.b.c=1", "=x",
    "../x", "/", "\x00", "\n", "é", "สวัสดี", "%s", "{}", "'", '"', "*", "?", "tags=a,,b", "--clear", "-C", ".",
    "2026-03-01T25:00", "2026-03-01T10:00+25:00", "9999-12-31T23:59:59-23:59", "0001-01-01", "--status",
    "--sort", "-value", "value", "stage", "--tag", "--owner", "--id", "--reason", "--note", "--stages", "a,b",
    "--name", "--currency", "--git", "Sales: EMEA",
]  # fmt: skip
words = st.one_of(st.sampled_from(WORDS), st.text(max_size=12))
commands = st.sampled_from(
    [
        "add",
        "move",
        "won",
        "lost",
        "reopen",
        "note",
        "next",
        "set",
        "edit",
        "list",
        "show",
        "check",
        "log",
        "sync",
        "undo",
    ]
)


@HOSTILE
@given(command=commands, args=st.lists(words, max_size=6))
def test_hostile_arguments(pipe, command: str, args: list[str]) -> None:
    if not (pipe.root / "deals" / "acme-one.yaml").exists():
        pipe.add("Acme one", "--id", "acme-one", "--at", "2026-03-01")
        pipe.add("Acme two", "--id", "acme-two", "--at", "2026-03-01")
    argv = [command, *args]
    if "\x00" in "".join(argv):
        argv = [a.replace("\x00", "") for a in argv]  # a process cannot receive NUL in an argument
    result = pipe(*argv, input="", ok=False)
    assert_clean(result, argv)


@HOSTILE
@given(args=st.lists(words, max_size=5))
def test_hostile_init(runner, tmp_path_factory, args: list[str]) -> None:
    root = tmp_path_factory.mktemp("init")
    argv = ["init", str(root / "p"), *[a.replace("\x00", "") for a in args]]
    result = runner.invoke(app, argv)
    assert_clean(result, argv)


FRAGMENTS = [
    "title: x\n", "title:\n", "title: [a]\n", "title: {a: 1}\n", "stage: lead\n", "stage: 7\n", "stage: [lead]\n",
    "status: won\n", "status: 1\n", "id: ../../etc/passwd\n", "id: 5\n", "id: [x]\n",
    "created: 2026-03-01T10:00:00+01:00\n", "created: 2026-03-01\n", "created: 2026-13-45T99:00\n", "created: 1\n",
    "value: 1e999\n", "value: .nan\n", "value: -.inf\n", "value: '12,5'\n", "value: true\n", "value: 0x10\n",
    "value: 99999999999999999999999999999999\n", "currency: xx\n", "currency: 5\n", "probability: 7\n",
    "tags: 5\n", "tags: [1, [2]]\n", "tags: {a: b}\n", "contact: x\n", "contact: {email: 5}\n",
    "next_step: 3\n", "next_step: {text: [1], due: x}\n", "snooze: {until: never}\n",
    "history: [1]\n", "history:\n  - at: 2026-03-01T10:00:00+01:00\n    event: moved\n    to: [x]\n",
    "history:\n  - {at: 2026-03-01T10:00:00+01:00, event: teleported}\n", "history: {a: 1}\n",
    "notes: [{at: x}]\n", "notes:\n  - at: 2026-03-01T10:00:00+01:00\n    text: 5\n", "notes: x\n",
    "a: &a [*a]\n", "b: &b {c: *b}\n", "<<: {title: merged}\n", "<<: 5\n", "x: !!python/object/apply:os.system [ls]\n",
    "x: !!binary aGk=\n", "x: !custom 1\n", "? [a, b]\n: c\n", "[1, 2]: x\n", "1: x\n", "null: x\n",
    "{", "[", "]\n", "- a\n", "---\n", "...\n", "--- a\n--- b\n", "%YAML 1.1\n---\n", "\t", "  ", "\x00", "\ufeff",
    "<<<<<<< HEAD\n", "=======\n", ">>>>>>> b\n", "#", "'", '"', "|\n", ">\n", "\x85", "\r", "\r\n", "é", "สวัสดี",
    "[" * 200, "{a: " * 60,
]  # fmt: skip
VALID_START = "id: hostile\ntitle: Hostile\nstage: lead\ncreated: 2026-03-01T10:00:00+01:00\n"
yaml_texts = st.tuples(
    st.sampled_from(["", VALID_START]),
    st.lists(st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=10)), max_size=10).map("".join),
).map("".join)


@pytest.mark.slow
@HOSTILE
@given(text=yaml_texts, raw=st.none() | st.binary(max_size=60))
@example(text=VALID_START + "a: &a [*a]\n", raw=None)
@example(text=VALID_START + "custom: &b {c: *b}\n", raw=None)
@example(text=VALID_START + "notes: [{at: 2026-03-02T10:00:00+01:00, text: hi, x: &x [*x]}]\n", raw=None)
@example(text="[" * 5000, raw=None)
@example(text="", raw=b"\xff\xfe\x00t")
def test_hostile_deal_file(pipe, text: str, raw: bytes | None) -> None:
    if not (pipe.root / "deals" / "good.yaml").exists():
        pipe.add("Good", "--id", "good", "--at", "2026-03-01")
    path = pipe.root / "deals" / "hostile.yaml"
    if raw is None:
        path.write_text(text, encoding="utf-8", errors="surrogatepass")
    else:
        path.write_bytes(raw)
    for argv in (
        ["list", "--status", "all"],
        ["list", "--format", "json"],
        ["show", "hostile"],
        ["show", "hostile", "--format", "json"],
        ["show", "hostile", "--format", "yaml"],
        ["check"],
        ["move", "hostile", "meeting"],
        ["note", "hostile", "hi"],
        ["set", "hostile", "owner=x"],
    ):
        result = pipe(*argv, ok=False)
        assert_clean(result, [*argv, text])
    assert "Good" in pipe("list", "--status", "all", ok=False).stdout


@pytest.mark.slow
@HOSTILE
@given(text=yaml_texts)
def test_hostile_pipeline_file(pipe, text: str) -> None:
    (pipe.root / "pipeline.yaml").write_text("stages:\n  - id: lead\n" + text, encoding="utf-8", errors="surrogatepass")
    for argv in (["list"], ["check"], ["add", "x"], ["show", "x"]):
        result = pipe(*argv, ok=False)
        assert_clean(result, [*argv, text])
