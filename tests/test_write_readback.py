"""No command writes a file pipe cannot read back: the write path reads what it is about
to write with the reader every command uses, before the rename."""

from __future__ import annotations

import subprocess
from datetime import datetime, timezone

import pytest
from conftest import PIPE_SCRIPT, tree_bytes

from pipecli import actions
from pipecli.documents import MAX_FILE_BYTES
from pipecli.errors import PipeError, Unwritable
from pipecli.store import Store

T0 = datetime(2026, 3, 2, 10, tzinfo=timezone.utc)
T1 = datetime(2026, 3, 3, 10, tzinfo=timezone.utc)


@pytest.fixture
def store(pipe) -> Store:
    store = Store.open(pipe.root)
    store.create(actions.new_deal(store.pipeline, deal_id="acme", title="Acme", at=T0))
    return store


def hidden(root) -> list[str]:
    return sorted(p.name for p in (root / "deals").iterdir() if p.name.startswith("."))


def test_a_lone_surrogate_from_a_library_caller_is_not_written(pipe, store: Store) -> None:
    before = tree_bytes(pipe.root)
    with pytest.raises(Unwritable) as caught:
        store.update("acme", lambda d: actions.add_note(d, T1, "caf\udce9"))
    err = caught.value
    assert isinstance(err, PipeError)
    assert err.deal_id == "acme" and err.internal
    assert tree_bytes(pipe.root) == before
    assert hidden(pipe.root) == []
    assert store.read("acme").notes == []


def test_a_new_deal_that_would_not_read_back_is_not_created(pipe, store: Store) -> None:
    good = actions.new_deal(store.pipeline, deal_id="bad", title="Bad", at=T0)
    deal = good.model_copy(update={"title": "Bad \udcff"})  # as a library caller may build it
    with pytest.raises(Unwritable) as caught:
        store.create(deal)
    assert caught.value.deal_id == "bad"
    assert not (pipe.root / "deals" / "bad.yaml").exists()
    with pytest.raises(Unwritable), store.transaction() as tx:
        tx.create_many([actions.new_deal(store.pipeline, deal_id="ok", title="Ok", at=T0), deal])
    assert sorted(p.name for p in (pipe.root / "deals").iterdir()) == ["acme.yaml"]


def test_the_cli_words_it_as_an_internal_error_naming_the_deal(pipe, store: Store, monkeypatch) -> None:
    monkeypatch.chdir(pipe.root)
    # a writer that loses a character on the way stands in for any bug of the YAML writer
    from pipecli import store as store_module

    real = store_module.new_deal_text
    monkeypatch.setattr(store_module, "new_deal_text", lambda deal: real(deal).replace("title: Widget", "title: W"))
    before = tree_bytes(pipe.root)
    result = pipe("add", "Widget", "--id", "widget", "--at", "2026-03-02", ok=False)
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr == (
        "pipe: internal error: the new text of deal widget (deals/widget.yaml) would not read back as written "
        "(title differs); nothing was written (set PIPE_DEBUG=1 to see where, and please report it)\n"
    )
    assert tree_bytes(pipe.root) == before


def test_a_note_that_would_make_the_file_too_large_is_refused(pipe, store: Store) -> None:
    before = tree_bytes(pipe.root)
    big = ("Zażółć gęślą jaźń " * 40 + "\n") * (MAX_FILE_BYTES // 900)  # fewer characters than bytes
    assert len(big) < MAX_FILE_BYTES < len(big.encode())
    done = subprocess.run(
        [str(PIPE_SCRIPT), "-C", str(pipe.root), "note", "acme", "-"],
        input=big.encode(),
        cwd=pipe.root,
        capture_output=True,
        timeout=120,
    )
    assert done.returncode == 1
    assert done.stderr.decode() == (
        "pipe: deals/acme.yaml would be larger than 1 MiB with this change; nothing was written "
        "(keep long texts in a file of their own and note where it is)\n"
    )
    assert tree_bytes(pipe.root) == before
    assert hidden(pipe.root) == []
    assert pipe("show", "acme").exit_code == 0
