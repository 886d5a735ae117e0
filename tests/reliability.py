"""The reliability runs behind docs/reliability.md: each returns how many cases it tried
and how many failed, so that a test can assert 0 and a person can print the figures.

    python tests/reliability.py files 10000     # generated deal and pipeline files
    python tests/reliability.py writes 2000     # hostile text through every writing command
    python tests/reliability.py kills 400       # kill -9 during writes
    python tests/reliability.py concurrency 8 100 3   # writers x notes x rounds, readers alongside
    python tests/reliability.py paths           # hostile ids, references and symlinks

The quick versions of these run in the normal test suite (tests/test_reliability.py);
PIPE_RELIABILITY_SCALE=N multiplies their counts for a longer run.
"""

from __future__ import annotations

import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from pipecli.cli import app
from pipecli.store import Store

PIPE = str(Path(sys.executable).with_name("pipe"))
SCALE = max(1, int(os.environ.get("PIPE_RELIABILITY_SCALE", "1")))


@dataclass
class Tally:
    name: str
    cases: int = 0
    failures: list[str] = field(default_factory=list)

    def fail(self, what: str) -> None:
        self.failures.append(what)

    def __str__(self) -> str:
        return f"{self.name}: {self.cases} cases, failures: {len(self.failures)}"


# -- generated files --------------------------------------------------------------------
VALID = (
    "title: {title}\nstage: {stage}\ncreated: 2026-03-01T10:00:00+01:00\nvalue: {value}\n"
    "history:\n  - at: 2026-03-01T10:00:00+01:00\n    event: created\n    to: {stage}\n"
    "notes:\n  - at: 2026-03-02T10:00:00+01:00\n    text: {note}\n"
)
FRAGMENTS = [
    "title: x\n", "stage: 7\n", "status: won\n", "status: lost\n", "id: ../../etc/passwd\n", "id: good\n",
    "created: 2026-03-01\n", "created: 9999-12-31T23:59:59-23:59\n", "created: 0001-01-01T00:00:00+14:00\n",
    "value: 1e999\n", "value: 99999999999999999999999999999999\n", "value: 9223372036854775808\n",
    "value: 0.1234567890123456789\n", "value: -1\n", "value: '12,5'\n", "currency: xx\n", "probability: 7\n",
    "tags: [1, [2]]\n", "tags: {a: b}\n", "contact: {email: 5}\n", "next_step: {text: [1], due: x}\n",
    "snooze: {until: never}\n", "history: [1]\n", "history: {a: 1}\n",
    "history:\n  - {at: 2026-03-05T10:00:00+01:00, event: created, to: lead}\n"
    "  - {at: 2026-03-02T10:00:00+01:00, event: moved, from: lead, to: meeting}\n",
    "history:\n  - {at: 2026-03-01T10:00:00+01:00, event: teleported}\n",
    "notes: [{at: x}]\n", "a: &a [*a]\n", "<<: {title: merged}\n", "x: !!python/object/apply:os.system [ls]\n",
    "x: !!binary aGk=\n", "x: !!set {a, b}\n", "x: !!timestamp 2026-01-01\n", "x: !!omap [a: 1]\n", "x: !c 1\n",
    "? [a, b]\n: c\n", "1: x\n", "null: x\n", "true: x\n", "{", "[", "- a\n", "---\n", "--- a\n--- b\n",
    "%YAML 1.1\n---\n", "\t", "\x00", "\ufeff", "<<<<<<< HEAD\n", "=======\n", ">>>>>>> b\n", "'", '"', "|\n",
    "\x85", "\r", "\r\n", "\u2028", "é", "สวัสดี", "Zażółć", "[" * 40 + "]" * 40 + "\n",
    "x: " + "[" * 300 + "]" * 300 + "\n",
    "x: " + "9" * 5000 + "\n", "x: {" * 50 + "}" * 50 + "\n",
]  # fmt: skip
titles = st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=12)
valid_files = st.builds(
    lambda t, s, v, n: VALID.format(title=json.dumps(t), stage=s, value=v, note=json.dumps(n)),
    titles,
    st.sampled_from(["lead", "qualified", "meeting", "nowhere"]),
    st.one_of(st.integers(0, 10**15 + 5), st.floats(allow_nan=True, allow_infinity=True).map(repr)),
    titles,
)
broken_files = st.tuples(
    st.sampled_from(["", VALID.format(title="Base", stage="lead", value=1, note="n")]),
    st.lists(st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=8)), max_size=6).map("".join),
).map("".join)
deal_files = st.one_of(
    valid_files,
    broken_files,
    broken_files.map(lambda t: t.replace("\n", "\r\n")),
    broken_files.map(lambda t: "\ufeff" + t),
    st.binary(max_size=200),
)

PIPELINE = "stages:\n  - id: lead\n  - id: qualified\n  - id: meeting\n"
pipeline_files = st.one_of(
    st.just(PIPELINE),
    st.tuples(st.just(PIPELINE), st.lists(st.sampled_from(FRAGMENTS), max_size=4).map("".join)).map("".join),
    st.binary(max_size=120),
)

LISTINGS = [
    ["list", "--status", "all", "--format", "json"],
    ["report", "--as-of", "2026-03-10", "--format", "json"],
    ["stale", "--as-of", "2026-03-10"],
    ["export", "--format", "json"],
    ["export", "--format", "csv"],
]
_MORE = re.compile(r" \(and \d+ more problems?\)$")


def _fast_runner() -> None:
    """Typer builds the whole command tree on every in-process call (a tenth of a second);
    build it once for runs of thousands of calls."""
    import typer.main
    import typer.testing

    built = typer.main.get_command(app)
    original = typer.testing._get_command  # type: ignore[attr-defined]
    typer.testing._get_command = lambda given: built if given is app else original(given)  # type: ignore[attr-defined]


_fast_runner()


def _invoke(runner: CliRunner, root: Path, args: list[str]):
    return runner.invoke(app, ["-C", str(root), *args], catch_exceptions=True)


def _clean(tally: Tally, result, what: str) -> bool:
    out = result.stdout + result.stderr
    if "Traceback" in out or "internal error" in out or result.exit_code not in (0, 1, 2):
        tally.fail(f"{what}: exit {result.exit_code}: {out[-300:]!r}")
        return False
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        tally.fail(f"{what}: {result.exception!r}")
        return False
    return True


def check_batch(tally: Tally, runner: CliRunner, root: Path, names: list[str]) -> None:
    """Run every reader on a folder of generated files and check what they say agrees."""
    checked = _invoke(runner, root, ["check"])
    if not _clean(tally, checked, "check"):
        return
    findings = {line for line in checked.stdout.splitlines() if ": warning: " not in line}
    flagged = {line.split(":", 1)[0] for line in findings}
    broken_pipeline = "pipeline.yaml" in flagged  # then check says only that, and commands refuse at once
    for args in LISTINGS:
        result = _invoke(runner, root, args)
        if not _clean(tally, result, " ".join(args)):
            continue
        for line in result.stderr.splitlines():
            if not line.startswith("pipe: "):
                tally.fail(f"{args[0]}: stderr line without 'pipe: ': {line!r}")
                continue
            said = _MORE.sub("", line.removeprefix("pipe: "))
            if said not in findings and not broken_pipeline:
                tally.fail(f"{args[0]} skipped a file check does not flag the same way: {said!r}")
            if "YAML syntax" in said and not re.match(r"^[^:]+:\d+: ", said):
                tally.fail(f"{args[0]}: a YAML error without a line: {said!r}")
    for name in names:
        result = _invoke(runner, root, ["show", name, "--format", "json"])
        if not _clean(tally, result, f"show {name}"):
            continue
        if result.exit_code != 0 and not broken_pipeline and f"deals/{name}.yaml" not in flagged:
            tally.fail(f"show {name} failed but check is silent: {result.stderr!r}")


def run_files(count: int, seed: int = 0) -> Tally:
    """``count`` generated deal files (and one generated pipeline file per batch of 25)
    through check, list, report, stale, export and show."""
    tally = Tally("generated files")
    runner = CliRunner()
    batch = 25
    work = Path(tempfile.mkdtemp(prefix="pipe-fuzz-"))
    cwd = os.getcwd()

    @settings(
        max_examples=max(1, count // batch),
        deadline=None,
        suppress_health_check=list(HealthCheck),
        database=None,
        derandomize=True,
    )
    @given(files=st.lists(deal_files, min_size=batch, max_size=batch), pipeline=pipeline_files)
    def one(files: list[str | bytes], pipeline: str | bytes) -> None:
        root = work / "p"
        shutil.rmtree(root, ignore_errors=True)
        (root / "deals").mkdir(parents=True)
        valid_pipeline = tally.cases % 4 != 0  # one batch in four gets a generated pipeline.yaml
        raw = PIPELINE if valid_pipeline else pipeline
        (root / "pipeline.yaml").write_bytes(raw.encode("utf-8", "surrogatepass") if isinstance(raw, str) else raw)
        names = []
        for i, text in enumerate(files):
            name = f"d{i:02d}"
            data = text.encode("utf-8", "surrogatepass") if isinstance(text, str) else text
            (root / "deals" / f"{name}.yaml").write_bytes(data)
            names.append(name)
        (root / "deals" / "good.yaml").write_text(VALID.format(title="Good", stage="lead", value=5, note="ok"), "utf-8")
        tally.cases += len(files) + (0 if valid_pipeline else 1)
        os.chdir(root)
        try:
            check_batch(tally, runner, root, names)
        finally:
            os.chdir(cwd)

    try:
        one()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return tally


# -- hostile text through the writing commands ----------------------------------------------
hostile_text = st.one_of(
    st.text(max_size=40),
    st.text(st.characters(), max_size=40),
    st.binary(max_size=30).map(lambda b: os.fsdecode(b) if b"\0" not in b else "x"),
    st.sampled_from(["\u2028", "\x85", "\ufeff", "a\r\nb", "\t", "- x", "key: value", "'", '"', "|", "!!set", "*a"]),
)
WRITERS = [
    lambda t: ["note", "acme", t],
    lambda t: ["add", t],
    lambda t: ["add", "Named", "--owner", t, "--company", t],
    lambda t: ["set", "acme", f"owner={t}"],
    lambda t: ["set", "acme", "--custom", f"custom_field={t}"],
    lambda t: ["next", "acme", t, "--due", "2099-01-01"],
    lambda t: ["snooze", "acme", "--until", "2099-01-01", "--reason", t],
    lambda t: ["move", "acme", "qualified", "--note", t],
    lambda t: ["move", "acme", "lead", "--note", t],
]


def run_writes(count: int) -> Tally:
    """``count`` hostile texts through every writing command: every file must read back."""
    tally = Tally("hostile writes")
    runner = CliRunner()
    work = Path(tempfile.mkdtemp(prefix="pipe-writes-"))
    root = work / "p"
    assert runner.invoke(app, ["init", str(root)]).exit_code == 0
    assert runner.invoke(app, ["-C", str(root), "add", "Acme", "--id", "acme", "--at", "2026-03-01"]).exit_code == 0

    @settings(max_examples=count, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    @given(text=hostile_text, which=st.integers(0, len(WRITERS) - 1))
    def one(text: str, which: int) -> None:
        args = [a.replace("\x00", "") for a in WRITERS[which](text)]
        result = _invoke(runner, root, args)
        tally.cases += 1
        _clean(tally, result, " ".join(map(repr, args)))
        loaded = Store.open(root).load_all(use_cache=False)
        for problem in loaded.problems:
            tally.fail(f"{args!r} left an unreadable file: {problem}")

    try:
        one()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return tally


# -- kill -9 ------------------------------------------------------------------------------
def _init(root: Path) -> None:
    subprocess.run([PIPE, "init", str(root)], check=True, capture_output=True)
    for i in range(3):
        subprocess.run([PIPE, "-C", str(root), "add", f"Deal {i}", "--id", f"d{i}", "--at", "2026-03-01"], check=True)


def _torn(root: Path) -> list[str]:
    bad = []
    for path in (root / "deals").iterdir():
        if path.name.startswith("."):
            continue
        if path.stat().st_size == 0:
            bad.append(f"{path.name} is empty")
    bad += [str(p) for p in Store.open(root).load_all(use_cache=False).problems]
    return bad


def run_kills(count: int, seed: int = 0) -> Tally:
    """``count`` writing commands killed with SIGKILL at random moments of their run, and
    as many aimed at the write (after the command said it started writing)."""
    tally = Tally("kill -9")
    rng = random.Random(seed)
    work = Path(tempfile.mkdtemp(prefix="pipe-kills-"))
    root = work / "p"
    _init(root)
    csv = work / "few.csv"
    csv.write_text("title,created\n" + "".join(f"Row {i},2026-03-01\n" for i in range(40)), encoding="utf-8")
    commands = [
        lambda i: ["note", "d0", f"note {i} " + "x" * rng.randint(0, 20000)],
        lambda i: ["move", "d1", rng.choice(["lead", "qualified", "meeting"])],
        lambda i: ["set", "d2", f"owner=o{i}"],
        lambda i: ["add", f"Added {i}"],
        lambda i: ["import", str(csv)],
    ]
    started = time.monotonic()
    probe = subprocess.run([PIPE, "-C", str(root), "note", "d0", "probe"], capture_output=True)
    run_time = max(0.2, time.monotonic() - started)
    try:
        for i in range(count):
            args = commands[i % len(commands)](i)
            proc = subprocess.Popen(
                [PIPE, "-C", str(root), *args], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
            )
            # half at random moments of the whole run, half in its last part, where it writes
            delay = rng.uniform(0, run_time * 1.2) if i % 2 else rng.uniform(run_time * 0.6, run_time * 1.1)
            time.sleep(delay)
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            tally.cases += 1
            for bad in _torn(root):
                tally.fail(f"after killing {args[0]}: {bad}")
            after = subprocess.run([PIPE, "-C", str(root), "note", "d0", f"after {i}"], capture_output=True, text=True)
            if after.returncode != 0:
                tally.fail(f"the next command failed: {after.stderr!r}")
            left = [p.name for p in (root / "deals").iterdir() if p.name.startswith(".")]
            if left:
                tally.fail(f"leftovers after the next command: {left}")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    assert probe.returncode == 0
    return tally


# -- concurrency ----------------------------------------------------------------------------
WRITER = """
import subprocess, sys
pipe, root, name, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
refused = 0
for i in range(n):
    r = subprocess.run([pipe, "-C", root, "note", "busy", f"{name} note {i}"], capture_output=True, text=True)
    if r.returncode != 0:
        refused += 1
        print(r.stderr.strip(), file=sys.stderr)
print(refused)
"""


def run_concurrency(writers: int, notes: int, rounds: int = 1) -> Tally:
    """``writers`` processes adding ``notes`` notes each to one deal, with as many readers
    showing and listing it meanwhile; every note must be there, none refused."""
    tally = Tally(f"{writers} writers x {notes} notes")
    for round_ in range(rounds):
        work = Path(tempfile.mkdtemp(prefix="pipe-conc-"))
        root = work / "p"
        try:
            subprocess.run([PIPE, "init", str(root)], check=True, capture_output=True)
            subprocess.run([PIPE, "-C", str(root), "add", "Busy", "--id", "busy", "--at", "2026-03-01"], check=True)
            env = {**os.environ, "PIPE_LOCK_TIMEOUT": "30"}
            procs = [
                subprocess.Popen(
                    [sys.executable, "-c", WRITER, PIPE, str(root), f"w{w}", str(notes)],
                    stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE,
                    text=True,
                    env=env,
                )
                for w in range(writers)
            ]
            readers = 0
            while any(p.poll() is None for p in procs):
                for args in (["show", "busy", "--format", "json"], ["list", "--format", "json"]):
                    r = subprocess.run([PIPE, "-C", str(root), *args], capture_output=True, text=True)
                    readers += 1
                    if r.returncode != 0:
                        tally.fail(f"reader {args[0]} failed: {r.stderr!r}")
            refused = 0
            for p in procs:
                out, err = p.communicate()
                refused += int(out.strip() or 0)
                if err.strip():
                    tally.fail(f"round {round_}: {err.strip()[:300]}")
            shown = subprocess.run([PIPE, "-C", str(root), "show", "busy", "--format", "json"], capture_output=True)
            texts = [n["text"] for n in json.loads(shown.stdout)["notes"]]
            expected = {f"w{w} note {i}" for w in range(writers) for i in range(notes)}
            lost = expected - set(texts)
            tally.cases += writers * notes
            if refused:
                tally.fail(f"round {round_}: {refused} notes refused")
            if lost and len(lost) > refused:
                tally.fail(f"round {round_}: {len(lost) - refused} notes lost")
            if len(texts) != len(set(texts)):
                tally.fail(f"round {round_}: a note written twice")
        finally:
            shutil.rmtree(work, ignore_errors=True)
    return tally


# -- paths -----------------------------------------------------------------------------------
HOSTILE_REFS = [
    "..", "../pipeline", "../../etc/passwd", "/etc/passwd", "deals/../pipeline", "a/b", "a\\b", "x" * 300,
    "x" * 5000, "con", "nul.yaml", ".hidden", "-", "", " ", "acme\x00x", "acme/../acme", "~", "$HOME", "*",
]  # fmt: skip


def run_paths() -> Tally:
    """Hostile ids and references through every command that takes one, and symlinks of
    every kind: nothing outside the folder changes, and no byte of it is printed."""
    tally = Tally("paths")
    runner = CliRunner()
    work = Path(tempfile.mkdtemp(prefix="pipe-paths-"))
    outside = work / "outside"
    outside.mkdir()
    secret = "SECRET-OUTSIDE-BYTES"
    (outside / "x.yaml").write_text(f"title: {secret}\nstage: lead\ncreated: 2026-03-01T10:00:00+01:00\n", "utf-8")
    root = work / "p"
    before = {p.name: p.read_bytes() for p in outside.iterdir()}
    try:
        assert runner.invoke(app, ["init", str(root)]).exit_code == 0
        assert _invoke(runner, root, ["add", "Acme", "--id", "acme", "--at", "2026-03-01"]).exit_code == 0
        for ref in HOSTILE_REFS:
            ref = ref.replace("\x00", "")
            for args in (
                ["show", ref],
                ["note", ref, "x"],
                ["move", ref, "meeting"],
                ["set", ref, "owner=x"],
                ["add", "T", "--id", ref],
            ):
                result = _invoke(runner, root, args)
                tally.cases += 1
                _clean(tally, result, repr(args))
        links = {
            "deals/out.yaml": outside / "x.yaml",
            "deals/loop.yaml": root / "deals" / "loop.yaml",
            "deals/gone.yaml": root / "deals" / "nothing.yaml",
        }
        for rel, target in links.items():
            os.symlink(target, root / rel)
        for args in [*LISTINGS, ["check"], ["show", "out"], ["note", "out", "x"], ["edit", "out"]]:
            result = _invoke(runner, root, args)
            tally.cases += 1
            if _clean(tally, result, repr(args)) and secret in result.stdout + result.stderr:
                tally.fail(f"{args}: printed bytes from outside the folder")
        for rel in links:
            os.unlink(root / rel)
        for state_link in (".pipe", ".pipe/lock", ".pipe/cache"):
            shutil.rmtree(root / ".pipe", ignore_errors=True)
            if state_link != ".pipe":
                (root / ".pipe").mkdir()
            os.symlink(outside if state_link != ".pipe/lock" else outside / "x.yaml", root / state_link)
            for args in (["note", "acme", "x"], ["list"], ["add", "New"]):
                result = _invoke(runner, root, args)
                tally.cases += 1
                _clean(tally, result, f"{state_link}: {args}")
            os.unlink(root / state_link)
        (root / "deals").rename(work / "deals-moved")
        os.symlink(outside, root / "deals")
        for args in [*LISTINGS, ["add", "New", "--id", "new"], ["note", "x", "y"]]:
            result = _invoke(runner, root, args)
            tally.cases += 1
            if _clean(tally, result, repr(args)) and secret in result.stdout + result.stderr:
                tally.fail(f"deals/ linked outside: {args} printed bytes from outside")
        after = {p.name: p.read_bytes() for p in outside.iterdir()}
        if after != before:
            tally.fail(f"files outside the folder changed: {sorted(set(after) ^ set(before))}")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return tally


def main(argv: list[str]) -> int:
    what, *numbers = argv or ["paths"]
    n = [int(x) for x in numbers]
    runs = {
        "files": lambda: run_files(*(n or [10000])),
        "writes": lambda: run_writes(*(n or [2000])),
        "kills": lambda: run_kills(*(n or [400])),
        "concurrency": lambda: run_concurrency(*(n or [8, 100, 3])),
        "paths": run_paths,
    }
    started = time.monotonic()
    tally = runs[what]()
    print(f"{tally} ({time.monotonic() - started:.0f} s)")
    for failure in tally.failures[:20]:
        print("  " + failure)
    return 1 if tally.failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
