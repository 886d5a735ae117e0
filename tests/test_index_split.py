"""The split index: a few changed files are written to a small delta beside the whole index
(its base), readers apply the delta over the base and see exactly what a whole index gives,
the delta is folded into a new base when it grows, and a delta that is broken or written for
another base is ignored and rebuilt."""

from __future__ import annotations

import json
import os
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from conftest import PIPE_SCRIPT
from deal_strategies import deals_with_ids
from hypothesis import given, settings
from hypothesis import strategies as st
from test_index_agrees import list_filters, outputs_from_files, outputs_from_index, specs, write_pipeline

from pipecli import index
from pipecli.models import Deal
from pipecli.store import Store, new_deal_text

HOUR_AGO_NS = time.time_ns() - 3600 * 10**9


def age_all(root: Path) -> None:
    for p in (root / "deals").glob("*.yaml"):
        os.utime(p, ns=(HOUR_AGO_NS, HOUR_AGO_NS))


def paths(root: Path) -> tuple[Path, Path]:
    path = Store(root).state_path(index.INDEX_NAME)
    return path, index.delta_path(path)


def fingerprint(path: Path) -> tuple[int, bytes]:
    return path.stat().st_ino, path.read_bytes()


def listing(pipe) -> dict[str, dict]:
    out = pipe("list", "--status", "all", "--format", "json").stdout
    return {r["id"]: r for r in json.loads(out)}


def report(pipe) -> dict:
    return json.loads(pipe("report", "--format", "json", "--as-of", "2026-12-31").stdout)


def trust(root: Path, *, whole: bool) -> None:
    """Mark every entry of the index as read long after its file's last stamp (as if every file
    had been still for minutes when read), so that only a file whose key changes is read again:
    written whole as a new base, or (``whole=False``) as the delta over the base there is."""
    store = Store(root)
    ids = store.pipeline.stage_ids
    path, _ = paths(root)
    fresh = index.refresh(store.deals_dir, path, store.state_path(index.DIGESTS_NAME), ids, save=False)
    stored = fresh.stored
    base = stored.base if isinstance(stored, index.Layered) else stored
    if whole or base is None:
        entries = fresh.entries()
        removed: list[str] = []
    else:
        entries, removed = fresh.changes(base)
    for e in entries:
        e.read_ns = max(e.key[1], e.key[2]) + index.RACY_NS
    if whole or base is None:
        assert index.write_index(path, entries, ids)
    else:
        assert index.write_delta(path, base, entries, removed, ids)
    again = index.refresh(store.deals_dir, path, store.state_path(index.DIGESTS_NAME), ids, save=False)
    assert again.parsed == 0  # every entry is trusted now


@pytest.fixture
def five(pipe):
    ids = [pipe.add(f"Deal {n}", "--value", str(1000 * n), "--at", "2026-03-02T10:00") for n in range(1, 6)]
    trust(pipe.root, whole=True)
    return ids


def test_a_few_changes_write_a_delta_and_leave_the_base_untouched(pipe, five) -> None:
    path, delta = paths(pipe.root)
    base = fingerprint(path)
    assert not delta.exists()
    pipe("move", five[0], "proposal", "--at", "2026-03-03")
    pipe("won", five[1], "--at", "2026-03-04")
    (pipe.root / "deals" / f"{five[2]}.yaml").unlink()
    added = pipe.add("Nowa umowa ąę", "--value", "700", "--at", "2026-03-05T10:00")
    shown = listing(pipe)
    assert fingerprint(path) == base  # the base is neither rewritten nor renamed over
    assert delta.is_file() and delta.stat().st_size < path.stat().st_size
    assert sorted(shown) == sorted([five[0], five[1], five[3], five[4], added])
    assert shown[five[0]]["stage"] == "proposal"
    assert shown[five[1]]["status"] == "won"
    assert shown[added]["title"] == "Nowa umowa ąę"
    stored = index.read_index(path, Store(pipe.root).pipeline.stage_ids)
    assert isinstance(stored, index.Layered)
    assert stored.delta.names == sorted(f"{i}.yaml" for i in (five[0], five[1], added))
    totals = report(pipe)["totals"]
    assert (totals["deals"], totals["won"]) == (5, 1)
    assert fingerprint(path) == base


def test_entries_kept_in_the_delta_are_trusted_and_carried_on(pipe, five) -> None:
    path, _ = paths(pipe.root)
    base = fingerprint(path)
    pipe("set", five[0], "owner=anna", "--at", "2026-03-03")
    listing(pipe)
    trust(pipe.root, whole=False)  # the delta's entry is trusted from now on
    pipe("set", five[1], "owner=marek", "--at", "2026-03-03")
    shown = listing(pipe)  # reads only the second file, keeps the first one's entry from the delta
    assert (shown[five[0]]["owner"], shown[five[1]]["owner"]) == ("anna", "marek")
    stored = index.read_index(path, Store(pipe.root).pipeline.stage_ids)
    assert isinstance(stored, index.Layered)
    assert stored.delta.names == sorted([f"{five[0]}.yaml", f"{five[1]}.yaml"])
    assert fingerprint(path) == base


def test_a_delta_past_its_limit_is_folded_into_a_new_base(pipe, five, monkeypatch) -> None:
    monkeypatch.setattr(index, "DELTA_MIN", 2)
    path, delta = paths(pipe.root)
    base = fingerprint(path)
    pipe("set", five[0], "owner=anna", "--at", "2026-03-03")
    pipe("set", five[1], "owner=anna", "--at", "2026-03-03")
    assert listing(pipe)[five[1]]["owner"] == "anna"
    assert fingerprint(path) == base and delta.is_file()
    (pipe.root / "deals" / f"{five[2]}.yaml").unlink()  # a third change: past the limit
    shown = listing(pipe)
    assert sorted(shown) == sorted([five[0], five[1], five[3], five[4]])
    assert fingerprint(path) != base  # a new base, renamed into place
    assert not delta.exists()  # the old delta is gone with the base it extended
    stored = index.read_index(path, Store(pipe.root).pipeline.stage_ids)
    assert isinstance(stored, index.Stored) and stored.names == sorted(f"{i}.yaml" for i in shown)
    assert [shown[i]["owner"] for i in five[:2]] == ["anna", "anna"]


def _with_header(data: bytes, change: dict) -> bytes:
    magic = index.DELTA_MAGIC
    (n,) = struct.unpack_from("<I", data, len(magic))
    header = json.loads(data[len(magic) + 4 : len(magic) + 4 + n])
    raw = json.dumps({**header, **change}).encode()
    return magic + len(raw).to_bytes(4, "little") + raw + data[len(magic) + 4 + n :]


def _lying_delta(root: Path, deal: str) -> bytes:
    """A delta for the base there is whose entry for ``deal`` holds another value (1) under the
    file's current key, as trusted: used, it would show that value."""
    store = Store(root)
    ids = store.pipeline.stage_ids
    path, _ = paths(root)
    fresh = index.refresh(store.deals_dir, path, None, ids, save=False)
    base = fresh.stored
    assert isinstance(base, index.Stored)
    (e,) = [e for e in fresh.entries() if e.name == f"{deal}.yaml"]
    assert e.row is not None and e.view is not None
    e.read_ns = max(e.key[1], e.key[2]) + index.RACY_NS
    e.row = e.row._replace(value=type(e.row.value)(1))
    e.view = e.view._replace(value=type(e.view.value)(1))
    return index.encode([e], ids, base=base)


def test_a_delta_is_applied_only_over_the_base_it_names(pipe, five) -> None:
    path, delta = paths(pipe.root)
    lying = _lying_delta(pipe.root, five[0])
    delta.write_bytes(lying)
    assert listing(pipe)[five[0]]["value"] == 1  # the delta is read: so it must name its base right
    for change in ({"base": "0" * 32}, {"base_bytes": path.stat().st_size + 1}):
        delta.write_bytes(_with_header(lying, change))
        assert listing(pipe)[five[0]]["value"] == 1000
    delta.unlink()
    pipe("set", five[1], "owner=anna", "--at", "2026-03-03")
    trust(pipe.root, whole=True)  # a new base: the delta written for the old one no longer applies
    delta.write_bytes(lying)
    assert listing(pipe)[five[0]]["value"] == 1000


BROKEN_DELTAS = [
    "empty",
    "garbage",
    "truncated",
    "older format",
    "other stages",
    "a base's magic",
    "removed unsorted",
    "removed not texts",
    "names a file twice",
    "codes out of range",
    "symlink",
]


def _broken_delta(kind: str, good: bytes, path: Path) -> bytes | None:
    if kind == "empty":
        return b""
    if kind == "garbage":
        return b"\x00\xff" * 500
    if kind == "truncated":
        return good[: len(good) - 7]
    if kind == "older format":
        return _with_header(good, {"version": index.VERSION - 1})
    if kind == "other stages":
        return _with_header(good, {"stages": ["a", "b"]})
    if kind == "a base's magic":
        return index.MAGIC + good[len(index.DELTA_MAGIC) :]
    if kind == "removed unsorted":
        return _with_header(good, {"removed": ["z.yaml", "a.yaml"]})
    if kind == "removed not texts":
        return _with_header(good, {"removed": [1]})
    if kind == "names a file twice":  # both as held anew and as removed
        names = index.decode(good, Store(path.parent.parent).pipeline.stage_ids, index.DELTA_MAGIC).names
        return _with_header(good, {"removed": names[:1]})
    if kind == "codes out of range":
        magic = index.DELTA_MAGIC
        (n,) = struct.unpack_from("<I", good, len(magic))
        header = json.loads(good[len(magic) + 4 : len(magic) + 4 + n])
        _, offset, length = header["sections"]["owner"]
        start = len(magic) + 4 + n + offset
        return good[:start] + b"\xff\xff\xff\x7f" * (length // 4) + good[start + length :]
    return None


@pytest.mark.parametrize("kind", BROKEN_DELTAS)
def test_a_broken_delta_is_ignored_and_rebuilt(pipe, five, kind: str, tmp_path: Path) -> None:
    path, delta = paths(pipe.root)
    lying = _lying_delta(pipe.root, five[0])  # whatever is left of it must not be used
    pipe("set", five[1], "owner=anna", "--at", "2026-03-03")
    broken = _broken_delta(kind, lying, path)
    if kind == "symlink":
        outside = tmp_path / "outside"
        outside.write_bytes(lying)
        delta.symlink_to(outside)
    else:
        assert broken is not None
        delta.write_bytes(broken)
    shown = listing(pipe)
    assert shown[five[0]]["value"] == 1000
    assert shown[five[1]]["owner"] == "anna"
    assert report(pipe)["totals"]["deals"] == 5
    # the delta is rebuilt: a good one, for the base there is, holding the changed file
    stored = index.read_index(path, Store(pipe.root).pipeline.stage_ids)
    assert isinstance(stored, index.Layered)
    assert stored.delta.names == [f"{five[1]}.yaml"]
    assert not delta.is_symlink()
    if kind == "symlink":
        assert (tmp_path / "outside").read_bytes() == lying


def test_the_views_at_some_files_are_those_of_the_whole_listing(pipe, five) -> None:
    """``Fresh.views_at`` (what `pipe search` decodes: the deals found alone) gives each file's
    view as ``views`` does, from the base and the delta, a duplicate and a broken file left out."""
    deals = pipe.root / "deals"
    pipe("set", five[1], "owner=Łucja", "--at", "2026-03-03")
    (deals / "zz-copy.yaml").write_bytes((deals / f"{five[0]}.yaml").read_bytes())  # a duplicate of five[0]
    (deals / "broken.yaml").write_text("id: broken\ntitle: [x\n", encoding="utf-8")
    assert pipe("list", ok=False).exit_code == 1  # the broken file and the duplicate are named
    trust(pipe.root, whole=False)
    store = Store(pipe.root)
    fresh = store.index()
    assert fresh.parsed == 0 and isinstance(fresh.stored, index.Layered)
    names = [name for name, _ in fresh.files]
    every = fresh.views_at(range(len(names)))
    assert isinstance(fresh.stored.base, index.Stored) and fresh.stored.base._views is None  # decoded none whole
    assert [names[pos] for pos in every] == store.index().names
    assert list(every.values()) == store.index().views
    assert [v.owner for v in every.values()] == [None, "Łucja", None, None, None]
    some = [names.index(n) for n in ("zz-copy.yaml", f"{five[4]}.yaml", "broken.yaml", f"{five[1]}.yaml")]
    assert [(names[pos], v.id) for pos, v in fresh.views_at(some).items()] == [
        (f"{five[4]}.yaml", five[4]),
        (f"{five[1]}.yaml", five[1]),
    ]
    assert fresh.views_at([]) == {}


def test_completion_sees_the_owners_of_the_delta(pipe, five) -> None:
    path, _ = paths(pipe.root)
    pipe("set", five[0], "owner=Łucja", "--at", "2026-03-03")
    listing(pipe)
    assert isinstance(index.read_index(path, Store(pipe.root).pipeline.stage_ids), index.Layered)
    owners = index.known_values(path, "owner")
    assert owners is not None and "Łucja" in owners
    # and a TAB, answered before typer is imported, reads the delta too
    from pipecli.quickcomplete import answer

    words = ["-C", str(pipe.root), "list", "--owner", "Łu"]
    request = {"_PIPE_COMPLETE": "complete_bash", "COMP_WORDS": " ".join(["pipe", *words]), "COMP_CWORD": "5"}
    assert answer({**os.environ, **request}) == ("Łucja", 0)
    for deal in five:
        pipe("set", deal, "owner=anna", "--at", "2026-03-04")
    listing(pipe)
    assert index.known_values(path, "owner") == ["anna"]  # not the owners the base still holds


# -- random sequences of changes: base + delta is the whole index --------------------------------
operations = st.lists(
    st.one_of(
        st.tuples(st.just("add"), st.integers(0, 3)),
        st.tuples(st.just("change"), st.integers(0, 50), st.integers(0, 3)),
        st.tuples(st.just("delete"), st.integers(0, 50)),
        st.tuples(st.just("rename"), st.integers(0, 50)),
        st.tuples(st.just("copy"), st.integers(0, 50)),
        st.tuples(st.just("settle")),
    ),
    min_size=1,
    max_size=6,
)


def _apply(root: Path, op: tuple, step: int, pool: list[Deal]) -> None:
    deals = root / "deals"
    files = sorted(deals.glob("*.yaml"))
    kind = op[0]
    if kind == "settle":
        trust(root, whole=False)
        return
    if kind == "add":
        stem = f"n{step:02d}"
        (deals / f"{stem}.yaml").write_text(new_deal_text(pool[op[1] % len(pool)].model_copy(update={"id": stem})))
        return
    if not files:
        return
    path = files[op[1] % len(files)]
    if kind == "change":
        deal = pool[op[2] % len(pool)].model_copy(update={"id": path.stem})
        tmp = path.with_name("." + path.name)
        tmp.write_text(new_deal_text(deal), encoding="utf-8")
        tmp.rename(path)  # as git writes
    elif kind == "delete":
        path.unlink()
    elif kind == "rename":
        path.rename(deals / f"r{step:02d}.yaml")
    elif kind == "copy":  # a second file with the same id: a duplicate
        (deals / f"c{step:02d}.yaml").write_bytes(path.read_bytes())


def _problems(problems: list) -> list[tuple[str, int | None, str]]:
    return [(str(p.path), p.line, p.message) for p in problems]


@pytest.mark.slow
@settings(max_examples=25, deadline=None)
@given(
    deals_with_ids(6),
    deals_with_ids(4),
    operations,
    st.sampled_from([0, 2, 200]),
    specs,
    list_filters,
    st.sampled_from(["stage", "-value", "activity", "owner"]),
)
def test_base_and_delta_agree_with_the_files(
    deals: list[Deal], pool: list[Deal], ops: list[tuple], limit: int, spec, filters, sort: str
) -> None:
    saved = index.DELTA_MIN
    index.DELTA_MIN = limit
    try:
        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp) / "pipeline"
            write_pipeline(root, deals)
            Store(root).index()
            trust(root, whole=True)
            path, _ = paths(root)
            base = fingerprint(path)
            for step, op in enumerate(ops):
                _apply(root, op, step, pool)
                expected = outputs_from_files(Store(root), spec, filters, sort)
                assert outputs_from_index(Store(root), spec, filters, sort) == expected, op
                store = Store(root)
                assert _problems(store.index().problems) == _problems(store.load_all(use_cache=False).problems)
                fresh = store.index()
                assert list(fresh.views_at(range(len(fresh.files))).values()) == store.index().views
                kept = index.read_index(path, store.pipeline.stage_ids)  # what the next run starts from
                assert kept is not None and kept.names == sorted(p.name for p in (root / "deals").glob("*.yaml"))
            if limit == 200:
                assert fingerprint(path) == base  # every change went to the delta
    finally:
        index.DELTA_MIN = saved


# -- real processes at once ---------------------------------------------------------------------
def _start(root: Path, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [str(PIPE_SCRIPT), "-C", str(root), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
        env={**os.environ, "PIPE_LOCK_TIMEOUT": "120"},
    )


REWRITE = """
import sys
from pathlib import Path
for path in sorted(Path(sys.argv[1]).glob("*.yaml"))[: int(sys.argv[2])]:
    tmp = path.with_name("." + path.name)
    tmp.write_text(path.read_text(encoding="utf-8").replace("title: ", "title: Edited ", 1), encoding="utf-8")
    tmp.rename(path)
"""


@pytest.mark.slow
def base_id_of(path: Path) -> str:
    """The random id a base is written with (its inode may be reused by the next one)."""
    from pipecli.indexfile import header

    return str(header(path.read_bytes())[0]["id"])


def test_writers_of_deltas_and_bases_and_readers_at_once(pipe) -> None:
    """Readers while some processes write deltas (one-deal commands) and a change of more files
    than a delta holds makes others write a new base: every reader sees a whole state."""
    first = pipe.add("Template", "--value", "100", "--at", "2026-03-02T10:00")
    text = pipe.deal_text(first)
    count = index.DELTA_MIN + 60
    for n in range(count):
        stem = f"bulk-{n:04d}"
        (pipe.root / "deals" / f"{stem}.yaml").write_text(
            text.replace(first, stem).replace("Template", f"Bulk {n}"), encoding="utf-8"
        )
    age_all(pipe.root)
    trust(pipe.root, whole=True)
    path, _ = paths(pipe.root)
    base_id = base_id_of(path)
    total = count + 1
    notes = [_start(pipe.root, "note", f"bulk-{n:04d}", f"note {n}", "--at", "2026-03-03") for n in range(4)]
    readers = [_start(pipe.root, "report", "--format", "json", "--as-of", "2026-12-31") for _ in range(3)]
    bulk = subprocess.Popen([sys.executable, "-c", REWRITE, str(pipe.root / "deals"), str(index.DELTA_MIN + 20)])
    readers += [_start(pipe.root, "list", "--status", "all", "--format", "json") for _ in range(2)]
    readers += [_start(pipe.root, "report", "--format", "json", "--as-of", "2026-12-31") for _ in range(3)]
    assert bulk.wait(timeout=300) == 0
    results = [(p, *p.communicate(timeout=300)) for p in notes + readers]
    assert [p.returncode for p, _, _ in results] == [0] * len(results), [e for p, _, e in results if p.returncode]
    for _, out, _ in results[len(notes) :]:
        data = json.loads(out)
        if isinstance(data, list):
            assert len(data) == total
        else:
            t = data["totals"]
            assert t["deals"] == total and t["open"] + t["won"] + t["lost"] == total
    final = pipe("list", "--status", "all", "--format", "json").stdout
    assert sum(r["title"].startswith("Edited ") for r in json.loads(final)) == index.DELTA_MIN + 20
    assert base_id_of(path) != base_id  # so many changes made a new base
    store = Store(pipe.root)
    from test_index_agrees import Filters, ReportSpec

    spec = ReportSpec(as_of=__import__("datetime").date(2026, 12, 31), filters=Filters(status=None))
    assert outputs_from_index(store, spec, Filters(status=None), "title") == outputs_from_files(
        store, spec, Filters(status=None), "title"
    )
