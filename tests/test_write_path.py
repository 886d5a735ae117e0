"""The one write path: every command changes files in a store transaction, under the lock,
and hands it, with a message a person would write, to ``Store.on_commit``."""

from __future__ import annotations

import csv
from datetime import datetime, timezone
from pathlib import Path

import pytest

from pipecli import actions
from pipecli.errors import AlreadyExists, LockTimeout, PipeError
from pipecli.fsio import file_lock
from pipecli.store import LOCK_FILE, Store, Transaction

T0 = datetime(2026, 3, 2, 10, tzinfo=timezone.utc)


class Recorder:
    """A test-only on_commit: what each finished transaction said and wrote."""

    def __init__(self) -> None:
        self.commits: list[tuple[str, list[str]]] = []

    def __call__(self, tx: Transaction) -> None:
        self.commits.append((tx.message, [p.relative_to(tx.store.root).as_posix() for p in tx.paths]))

    @property
    def messages(self) -> list[str]:
        return [m for m, _ in self.commits]


@pytest.fixture
def commits(monkeypatch: pytest.MonkeyPatch) -> Recorder:
    """Every Store (those the commands open too) reports its transactions here."""
    recorder = Recorder()
    monkeypatch.setattr(Store, "on_commit", staticmethod(recorder))
    return recorder


def test_each_command_commits_with_a_message(pipe, commits: Recorder, monkeypatch, tmp_path: Path) -> None:
    d = pipe.add("Acme rollout", "--id", "acme-rollout-7f3k", "--at", "2026-03-02")
    pipe("move", d, "qualified", "--at", "2026-03-03")
    pipe("move", d, "proposal", "--note", "sent", "--at", "2026-03-04")
    pipe("note", d, "Call went well", "--at", "2026-03-05")
    pipe("next", d, "Send the offer", "--due", "2026-03-20", "--at", "2026-03-05")
    pipe("next", d, "--clear", "--at", "2026-03-06")
    pipe("set", d, "value=15000", "owner=anna", "source=", "--at", "2026-03-06")
    pipe("snooze", d, "--until", "2026-04-01", "--reason", "holiday", "--at", "2026-03-07")
    pipe("snooze", d, "--clear", "--at", "2026-03-08")
    pipe("lost", d, "--reason", "price", "--at", "2026-03-09")
    pipe("reopen", d, "--stage", "qualified", "--at", "2026-03-10")
    pipe("won", d, "--at", "2026-03-11")
    editor = tmp_path / "editor.py"
    editor.write_text(
        "import sys\np = sys.argv[-1]\nt = open(p, encoding='utf-8').read().replace('owner: anna', 'owner: marek')\n"
        "open(p, 'w', encoding='utf-8').write(t)\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("EDITOR", f"python3 {editor}")
    monkeypatch.delenv("VISUAL", raising=False)
    pipe("edit", d, "--at", "2026-03-12")
    assert commits.messages == [
        "Add acme-rollout-7f3k",
        "Move acme-rollout-7f3k: lead -> qualified",
        "Move acme-rollout-7f3k: qualified -> proposal",
        "Note on acme-rollout-7f3k",
        "Next step for acme-rollout-7f3k",
        "Clear the next step of acme-rollout-7f3k",
        "Set value, owner of acme-rollout-7f3k",
        "Snooze acme-rollout-7f3k until 2026-04-01",
        "End the snooze of acme-rollout-7f3k",
        "Lost acme-rollout-7f3k: price",
        "Reopen acme-rollout-7f3k in qualified",
        "Won acme-rollout-7f3k",
        "Edit acme-rollout-7f3k",
    ]
    assert {tuple(paths) for _, paths in commits.commits} == {("deals/acme-rollout-7f3k.yaml",)}


def test_a_move_to_the_same_stage_with_a_note_is_a_note(pipe, commits: Recorder) -> None:
    d = pipe.add("Acme", "--at", "2026-03-02")
    pipe("move", d, "lead", "--note", "still a lead", "--at", "2026-03-03")
    assert commits.messages[-1] == f"Note on {d}"


def test_nothing_written_is_no_commit(pipe, commits: Recorder) -> None:
    d = pipe.add("Acme", "--at", "2026-03-02")
    pipe("move", d, "lead")  # already there
    pipe("set", d, "owner=")  # no owner to clear
    pipe("snooze", d, "--clear")  # not snoozed
    assert pipe("won", "nobody", ok=False).exit_code == 1
    assert pipe("note", d, "too early", "--at", "2026-03-01", ok=False).exit_code == 1
    assert commits.messages == [f"Add {d}"]


def test_init_writes_outside_the_write_path(runner, commits: Recorder, tmp_path: Path) -> None:
    from pipecli.cli import app

    assert runner.invoke(app, ["init", str(tmp_path / "new")]).exit_code == 0
    assert commits.commits == []


def write_csv(path: Path, n: int) -> None:
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["external_id", "title", "created", "value"])
        for i in range(n):
            w.writerow([f"R{i}", f"Deal {i}", "2026-01-05", "1000"])


def test_import_commits_once_with_the_count(pipe, commits: Recorder, tmp_path: Path) -> None:
    many = tmp_path / "sales_pipeline.csv"
    write_csv(many, 1200)
    pipe("import", str(many))
    assert len(commits.commits) == 1
    message, paths = commits.commits[0]
    assert message == "Import 1,200 deals from sales_pipeline.csv"
    assert len(paths) == 1200 and all(p.startswith("deals/deal-") for p in paths)
    pipe("import", str(many))  # every row imported before: nothing written
    assert len(commits.commits) == 1
    few = tmp_path / "few.csv"
    with open(few, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["external_id", "title", "created", "value"])
        w.writerows([["R0", "Deal 0", "2026-01-05", "2000"], ["R1", "Deal 1", "2026-01-05", "3000"]])
        w.writerow(["N1", "New one", "2026-01-05", "10"])
    pipe("import", str(few), "--update", "--at", "2026-03-01")
    assert commits.messages[-1] == "Import 1 deal and update 2 from few.csv"
    pipe("import", str(few), "--dry-run")
    assert len(commits.commits) == 2


def test_on_commit_runs_under_the_lock_after_the_files_are_written(pipe) -> None:
    store = Store.open(pipe.root)
    seen: list[tuple[str, bool]] = []

    def hook(tx: Transaction) -> None:
        with pytest.raises(LockTimeout), file_lock(store.state_dir / LOCK_FILE, 0.05):
            pass
        seen.append((tx.message, all(p.is_file() for p in tx.paths)))

    store.on_commit = hook
    deal = actions.new_deal(store.pipeline, deal_id="acme", title="Acme", at=T0)
    store.create(deal)
    assert seen == [("Add acme", True)]


def test_a_failing_block_writes_what_it_wrote_but_commits_nothing(pipe) -> None:
    store = Store.open(pipe.root)
    recorder = Recorder()
    store.on_commit = recorder
    with pytest.raises(PipeError), store.transaction("Two deals") as tx:
        tx.create(actions.new_deal(store.pipeline, deal_id="one", title="One", at=T0))
        tx.update("nobody", lambda d: d)
    assert recorder.commits == []
    assert store.exists("one")


def test_a_nested_transaction_joins_the_open_one(pipe) -> None:
    store = Store.open(pipe.root)
    recorder = Recorder()
    store.on_commit = recorder
    with store.transaction() as outer:
        with store.transaction("Inner") as inner:
            assert inner is outer
            inner.create(actions.new_deal(store.pipeline, deal_id="one", title="One", at=T0))
        store.create(actions.new_deal(store.pipeline, deal_id="two", title="Two", at=T0))
        outer.message = "Add one and two"
    assert recorder.commits == [("Add one and two", ["deals/one.yaml", "deals/two.yaml"])]


def test_update_reads_under_the_lock_and_writes_only_a_change(pipe) -> None:
    store = Store.open(pipe.root)
    store.create(actions.new_deal(store.pipeline, deal_id="acme", title="Acme", at=T0))
    before = (pipe.root / "deals" / "acme.yaml").stat().st_ino
    with store.transaction() as tx:
        old, new = tx.update("ac", lambda d: d)
        assert old == new and tx.paths == []
    assert (pipe.root / "deals" / "acme.yaml").stat().st_ino == before
    old, new = store.update("acme", lambda d: actions.add_note(d, T0, "hello"))
    assert [n.text for n in store.read("acme").notes] == ["hello"]


def test_create_never_overwrites_and_create_many_is_all_or_nothing(pipe) -> None:
    store = Store.open(pipe.root)
    first = actions.new_deal(store.pipeline, deal_id="b", title="B", at=T0)
    store.create(first)
    text = (pipe.root / "deals" / "b.yaml").read_bytes()
    batch = [actions.new_deal(store.pipeline, deal_id=i, title=i.upper(), at=T0) for i in ("a", "b", "c")]
    with pytest.raises(AlreadyExists) as caught, store.transaction() as tx:
        tx.create_many(batch)
    assert caught.value.deal_id == "b"
    assert sorted(p.name for p in (pipe.root / "deals").iterdir()) == ["b.yaml"]
    assert (pipe.root / "deals" / "b.yaml").read_bytes() == text
    with store.transaction() as tx:
        paths = tx.create_many([batch[0], batch[2]])
    assert [p.name for p in paths] == ["a.yaml", "c.yaml"]
    assert store.read("c") == batch[2]


@pytest.mark.parametrize("where", ["../outside.yaml", "deals/../../outside.yaml", ".pipe/lock", "."])
def test_write_text_stays_inside_the_pipeline(pipe, where: str) -> None:
    store = Store.open(pipe.root)
    lock = (pipe.root / ".pipe" / "lock").read_bytes() if (pipe.root / ".pipe" / "lock").exists() else None
    with pytest.raises(PipeError), store.transaction() as tx:
        tx.write_text(pipe.root / where, "x: 1\n")
    assert not (pipe.root.parent / "outside.yaml").exists()
    assert pipe.root.is_dir() and (pipe.root / ".pipe" / "lock").read_bytes() == (lock or b"")


def test_a_hostile_id_never_names_a_file_outside_deals(pipe) -> None:
    store = Store.open(pipe.root)
    deal = actions.new_deal(store.pipeline, deal_id="acme", title="Acme", at=T0)
    escaped = deal.model_copy(update={"id": "../../escaped"})
    with pytest.raises(PipeError):
        store.create(escaped)
    with pytest.raises(PipeError), store.transaction() as tx:
        tx.create_many([escaped])
    assert not (pipe.root.parent / "escaped.yaml").exists()
    assert list((pipe.root / "deals").iterdir()) == []
