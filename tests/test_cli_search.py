"""`pipe search` end to end: Polish, Italian and Thai text, which field matched and in what
context, filters, formats, exit codes, and a warm search that never shows a stale text."""

from __future__ import annotations

import csv
import io
import json
import os
from pathlib import Path

import pytest
from test_index import age, age_all, trust_all

from pipecli import index, textindex
from pipecli.store import Store

AT = "2026-03-02T10:00"


@pytest.fixture
def deals(pipe) -> dict[str, str]:
    """Four deals in three languages, with notes, a contact and a lost one."""
    ids = {
        "pl": pipe.add(
            "Zażółć Sp. z o.o. rollout",
            "--company",
            "Zażółć Sp. z o.o.",
            "--contact",
            "Jan Kowalski",
            "--email",
            "jan@zazolc.pl",
            "--phone",
            "+48 600-123-456",
            "--owner",
            "marek",
            "--tag",
            "pilot",
            "--at",
            AT,
        ),
        "it": pipe.add("Caffè Nero Torino: upsell", "--company", "Caffè Nero", "--owner", "giulia", "--at", AT),
        "th": pipe.add("ร้านกาแฟดอยช้าง สาขาใหม่", "--owner", "somchai", "--stage", "meeting", "--at", AT),
        "en": pipe.add("Nordic renewal", "--owner", "sarah", "--at", AT),
    }
    pipe("note", ids["pl"], "Spotkanie w Łodzi: chcą pilotażu w gęślą jaźń.", "--at", "2026-03-03T10:00")
    pipe("note", ids["it"], "Call with Giulia: the revised offer goes out on Friday.", "--at", "2026-03-04T10:00")
    pipe("note", ids["th"], "ลูกค้าต้องการใบเสนอราคาใหม่", "--at", "2026-03-05T10:00")
    pipe("next", ids["en"], "Send the caffe price list", "--due", "2026-03-20", "--at", "2026-03-05T11:00")
    pipe("lost", ids["en"], "--reason", "Prezzo troppo alto", "--at", "2026-03-06T10:00")
    age_all(pipe.root)
    return ids


def search(pipe, *args: str, ok: bool = True) -> list[dict]:
    result = pipe("search", *args, "--format", "json", ok=ok)
    return json.loads(result.stdout)


def ids_of(rows: list[dict]) -> list[str]:
    return sorted({r["id"] for r in rows})


def test_polish_italian_and_thai_text_is_found_whatever_the_case_and_accents(run_pipe, pipe, deals) -> None:
    for query, expected in [
        ("zazolc", ["pl"]),
        ("ZAŻÓŁĆ", ["pl"]),
        ("lodzi", ["pl"]),
        ("gesla jazn", ["pl"]),
        ("caffe", ["en", "it"]),
        ("caffè", ["en", "it"]),
        ("CAFFÉ nero", ["it"]),
        ("กาแฟ", ["th"]),
        ("ใบเสนอราคา", ["th"]),
        ('"revised offer"', ["it"]),
        ("prezzo", ["en"]),
        ("600123456", ["pl"]),
    ]:
        run = run_pipe("-C", str(pipe.root), "search", query, "--format", "json")
        assert run.returncode == 0, (query, run.stderr)
        assert ids_of(json.loads(run.stdout)) == sorted(deals[k] for k in expected), query


def test_each_matching_text_says_its_field_and_shows_the_match_as_written(pipe, deals) -> None:
    rows = search(pipe, "zazolc")
    assert [(r["field"], r["match"]) for r in rows] == [
        ("title", "Zażółć"),
        ("company", "Zażółć"),
        ("contact_email", "zazolc"),
    ]
    (note,) = search(pipe, "lodzi")
    assert note["field"] == "notes" and note["at"].startswith("2026-03-03T10:00")
    assert note["match"] == "Łodzi" and note["snippet"] == "Spotkanie w Łodzi: chcą pilotażu w gęślą jaźń."
    # losing the deal closed its open step and kept it in the notes, where it is found
    (step,) = [r for r in search(pipe, "caffe") if r["id"] == deals["en"]]
    assert (step["field"], step["status"], step["owner"]) == ("notes", "lost", "sarah")
    assert step["snippet"].startswith("Open when lost: Send the caffe price list")
    pipe("next", deals["it"], "Bring the espresso samples", "--due", "2026-03-25", "--at", "2026-03-07T09:00")
    (step,) = search(pipe, "espresso")
    assert (step["field"], step["match"], step["owner"]) == ("next_step", "espresso", "giulia")
    (phone,) = search(pipe, '"600 123"')
    assert (phone["field"], phone["match"]) == ("contact_phone", "600-123")


def test_every_word_must_be_found_somewhere_in_the_deal(pipe, deals) -> None:
    assert ids_of(search(pipe, "giulia", "friday")) == [deals["it"]]
    assert ids_of(search(pipe, "zazolc pilot")) == [deals["pl"]]  # the title and a tag
    result = pipe("search", "zazolc", "friday", "--format", "json", ok=False)
    assert result.exit_code == 1 and json.loads(result.stdout) == []


def test_thai_marks_are_never_stripped(pipe, deals) -> None:
    assert ids_of(search(pipe, "ดอยช้าง")) == [deals["th"]]
    result = pipe("search", "ดอยชาง", ok=False)  # without the tone mark: another word
    assert result.exit_code == 1 and result.stdout == ""


def test_filters_narrow_the_hits(pipe, deals) -> None:
    assert ids_of(search(pipe, "caffe", "--status", "open")) == [deals["it"]]
    assert ids_of(search(pipe, "caffe", "--status", "lost")) == [deals["en"]]
    assert ids_of(search(pipe, "caffe", "--owner", "SARAH")) == [deals["en"]]
    assert ids_of(search(pipe, "กาแฟ", "--stage", "meeting")) == [deals["th"]]
    assert ids_of(search(pipe, "zazolc", "--tag", "pilot")) == [deals["pl"]]
    assert pipe("search", "zazolc", "--owner", "giulia", ok=False).exit_code == 1


def test_the_table_shows_a_block_per_deal_with_each_field_in_context(pipe, deals) -> None:
    out = pipe("search", "giulia").stdout
    lines = out.splitlines()
    assert lines[0].split()[:3] == [deals["it"], "lead", "giulia"]
    assert lines[1].split()[0] == "notes"
    assert "2026-03-04: Call with Giulia: the revised offer goes out on Friday." in lines[1]
    assert "\x1b[" not in out  # no colour into a pipe


def test_a_long_note_is_cut_to_the_screen_with_the_match_in_colour(pipe, deals) -> None:
    long = "Zadzwonić do klienta. " * 8 + "Klient chce rabatu na wdrożenie. " + "Spotkanie. " * 8
    pipe("note", deals["pl"], long, "--at", "2026-03-07T10:00")
    result = pipe.runner.invoke(
        __import__("pipecli.cli", fromlist=["app"]).app,
        ["-C", str(pipe.root), "--color", "always", "search", "rabatu", "wdrozenie"],
        env={"COLUMNS": "70"},
    )
    assert result.exit_code == 0, result.output
    (line,) = [x for x in result.stdout.splitlines() if "notes" in x]
    plain = line.replace("\x1b[1;31m", "").replace("\x1b[0m", "")
    assert len(plain) <= 70
    assert "…" in plain and "\x1b[1;31mrabatu\x1b[0m" in line and "\x1b[1;31mwdrożenie\x1b[0m" in line


def test_every_listing_format(pipe, deals) -> None:
    table = pipe("search", "caffe", "--format", "csv").stdout
    rows = list(csv.DictReader(io.StringIO(table)))
    assert list(rows[0]) == ["id", "title", "company", "stage", "status", "owner", "field", "at", "match", "snippet"]
    assert {r["id"] for r in rows} == {deals["it"], deals["en"]}
    tsv = pipe("search", "caffe", "--format", "tsv").stdout
    assert tsv.splitlines()[0].split("\t")[0] == "id"
    jsonl = [json.loads(x) for x in pipe("search", "caffe", "--format", "jsonl").stdout.splitlines()]
    assert jsonl == search(pipe, "caffe")
    md = pipe("search", "lodzi", "--format", "markdown").stdout
    assert "| " + deals["pl"] in md and "**Łodzi**" in md
    assert "field: notes" in pipe("search", "lodzi", "--format", "yaml").stdout


def test_exit_codes(run_pipe, pipe, deals) -> None:
    root = str(pipe.root)
    assert run_pipe("-C", root, "search", "zazolc").returncode == 0
    nothing = run_pipe("-C", root, "search", "nowhere-at-all")
    assert (nothing.returncode, nothing.stdout, nothing.stderr) == (1, "", "")
    empty_csv = run_pipe("-C", root, "search", "nowhere", "--format", "csv")
    assert empty_csv.returncode == 1 and empty_csv.stdout.startswith("id,title")
    for bad in (["search", '""'], ["search", "x", "--status", "closed"], ["search", "x", "--stage", "nope"]):
        run = run_pipe("-C", root, *bad)
        assert run.returncode == 2, bad
        assert "Traceback" not in run.stderr and run.stderr.count("\n") == 1, run.stderr
    assert run_pipe("-C", root, "search").returncode == 2


def test_a_bad_file_is_named_and_the_good_ones_still_found(run_pipe, pipe, deals) -> None:
    (pipe.root / "deals" / "broken.yaml").write_text("id: broken\ntitle: [zazolc\n", encoding="utf-8")
    run = run_pipe("-C", str(pipe.root), "search", "zazolc", "--format", "json")
    assert run.returncode == 1
    assert ids_of(json.loads(run.stdout)) == [deals["pl"]]
    assert "broken.yaml" in run.stderr


def test_a_warm_search_shows_a_duplicated_deal_once_and_names_the_copy(run_pipe, pipe, deals) -> None:
    """The views of the deals found come from the index (the deals found alone are decoded):
    a second file with a deal's id is named, never shown, before the index trusts it or after."""
    before = search(pipe, "zazolc")
    deals_dir = pipe.root / "deals"
    (deals_dir / "zz-copy.yaml").write_bytes((deals_dir / f"{deals['pl']}.yaml").read_bytes())
    for _ in range(2):
        run = run_pipe("-C", str(pipe.root), "search", "zazolc", "--format", "json")
        assert run.returncode == 1
        assert json.loads(run.stdout) == before
        assert "zz-copy.yaml:1: duplicate id" in run.stderr
        trust_texts(pipe.root)  # the second time, every entry comes from the index
    assert Store(pipe.root).index().parsed == 0


def test_the_sample_in_the_docs_is_what_pipe_prints(runner) -> None:
    from pipecli.cli import app

    docs = (Path(__file__).resolve().parent.parent / "docs" / "search.md").read_text(encoding="utf-8")
    block = docs.split("```\n$ pipe -C examples/demo search zazolc\n", 1)[1].split("```", 1)[0]
    demo = Path(__file__).resolve().parent.parent / "examples" / "demo"
    result = runner.invoke(app, ["-C", str(demo), "search", "zazolc"])
    assert result.exit_code == 0, result.output
    assert result.stdout == block


# -- never a stale text -----------------------------------------------------------------------
def search_path(root: Path) -> Path:
    return Store(root).state_path(textindex.NAME)


def trust_texts(root: Path) -> None:
    """Bring the index and the search texts up to date, then mark every entry as read long
    after its file's last stamp: from now on only a file whose key changed is read again."""
    trust_all(root)
    store = Store(root)
    textindex.refresh(store, store.index(texts=True))
    texts = textindex.read(search_path(root))
    assert texts is not None
    reads = [max(k[1], k[2]) + index.RACY_NS for k in texts.keys]
    entries = [texts.entry(i) for i in range(len(texts.names))]
    search_path(root).write_bytes(textindex.encode(texts.names, texts.keys, reads, entries))


def test_a_warm_search_reads_no_file_and_sees_every_change(pipe, deals) -> None:
    assert ids_of(search(pipe, "zazolc")) == [deals["pl"]]
    trust_texts(pipe.root)
    store = Store(pipe.root)
    fresh = store.index(texts=True)
    assert fresh.parsed == 0
    before = search_path(pipe.root).stat()
    assert textindex.refresh(store, fresh).read == 0  # warm: nothing read, nothing written
    assert search_path(pipe.root).stat().st_mtime_ns == before.st_mtime_ns
    assert ids_of(search(pipe, "zazolc")) == [deals["pl"]]
    # a command's change
    pipe("note", deals["en"], "Zażółć called back", "--at", "2026-03-08T10:00")
    assert ids_of(search(pipe, "zazolc")) == sorted([deals["pl"], deals["en"]])
    # a deleted file
    (pipe.root / "deals" / f"{deals['pl']}.yaml").unlink()
    assert ids_of(search(pipe, "zazolc")) == [deals["en"]]
    # an added file
    text = pipe.deal_text(deals["it"]).replace(deals["it"], "hand-made").replace("Caffè Nero Torino", "Zażółć bis")
    (pipe.root / "deals" / "hand-made.yaml").write_text(text, encoding="utf-8")
    assert ids_of(search(pipe, "zazolc")) == sorted([deals["en"], "hand-made"])


def test_a_same_size_edit_with_its_mtime_put_back_is_seen(pipe, deals) -> None:
    assert ids_of(search(pipe, "nordic")) == [deals["en"]]
    path = pipe.root / "deals" / f"{deals['en']}.yaml"
    before = path.stat()
    with open(path, "r+", encoding="utf-8") as f:  # same inode, same size
        text = f.read()
        f.seek(0)
        f.write(text.replace("Nordic renewal", "Baltic renewal"))
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    after = path.stat()
    assert (after.st_ino, after.st_size, after.st_mtime_ns) == (before.st_ino, before.st_size, before.st_mtime_ns)
    assert pipe("search", "nordic", ok=False).exit_code == 1
    assert ids_of(search(pipe, "baltic")) == [deals["en"]]


def test_a_text_read_within_the_time_stamp_granularity_is_read_again(pipe, deals) -> None:
    """Racily clean: texts stored under the file's current key but read 1 ms after its
    last stamp (the file could have changed since without its stamps moving) are not
    trusted; the same texts read long after are."""
    path = pipe.root / "deals" / f"{deals['en']}.yaml"
    search(pipe, "nordic")
    store = Store(pipe.root)
    texts = textindex.read(search_path(pipe.root))
    assert texts is not None
    pos = texts.names.index(path.name)
    old = [texts.entry(i) for i in range(len(texts.names))]
    old[pos] = textindex.texts_of(store.load(deals["it"]))  # another deal's texts under this key
    reads = list(texts.reads)
    reads[pos] = max(texts.keys[pos][1], texts.keys[pos][2]) + 1_000_000
    search_path(pipe.root).write_bytes(textindex.encode(texts.names, texts.keys, reads, old))
    assert ids_of(search(pipe, "nordic")) == [deals["en"]]
    assert ids_of(search(pipe, "giulia")) == [deals["it"]]


def test_texts_are_kept_fresh_when_a_report_refreshed_the_index_first(pipe, deals) -> None:
    search(pipe, "zazolc")
    trust_texts(pipe.root)
    pipe("note", deals["it"], "Zażółć recommended us", "--at", "2026-03-08T10:00")
    path = pipe.root / "deals" / f"{deals['it']}.yaml"
    age(path)
    pipe("list")  # the index reads the changed file; the search texts are older
    trust_all(pipe.root)  # and from now on the index trusts it: search reads it for its texts
    store = Store(pipe.root)
    fresh = store.index(texts=True)
    assert fresh.parsed == 0
    assert textindex.refresh(store, fresh).read == 1  # that one file, read again
    assert ids_of(search(pipe, "zazolc")) == sorted([deals["pl"], deals["it"]])


@pytest.mark.parametrize("kind", ["garbage", "truncated", "empty", "other-version", "symlink"])
def test_a_broken_texts_file_is_ignored_and_rebuilt(pipe, deals, kind: str, tmp_path: Path) -> None:
    search(pipe, "zazolc")
    path = search_path(pipe.root)
    good = path.read_bytes()
    if kind == "garbage":
        path.write_bytes(b"\x00" * 300)
    elif kind == "truncated":
        path.write_bytes(good[: len(good) // 2])
    elif kind == "empty":
        path.write_bytes(b"")
    elif kind == "other-version":
        path.write_bytes(good.replace(b'"version": 1', b'"version": 9', 1))
    else:
        target = tmp_path / "elsewhere"
        target.write_bytes(good)
        path.unlink()
        path.symlink_to(target)
    assert ids_of(search(pipe, "zazolc")) == [deals["pl"]]
    assert ids_of(search(pipe, "caffe")) == sorted([deals["it"], deals["en"]])
    if kind == "symlink":
        assert (tmp_path / "elsewhere").read_bytes() == good  # never written through
