"""The derived index in .pipe/ is never trusted over the files: every change is seen, and a
broken, foreign or planted index is ignored and rebuilt."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from pipecli import index
from pipecli.store import Store

HOUR_AGO_NS = time.time_ns() - 3600 * 10**9


def age(path: Path, ns: int = HOUR_AGO_NS) -> None:
    """Make a file look an hour old, so that its index entry is trusted."""
    os.utime(path, ns=(ns, ns))


def age_all(root: Path) -> None:
    for p in (root / "deals").glob("*.yaml"):
        age(p)


def listing(pipe) -> dict[str, dict]:
    """`pipe list --status all --format json`, by id."""
    out = pipe("list", "--status", "all", "--format", "json").stdout
    return {r["id"]: r for r in json.loads(out)}


def report(pipe, *args: str) -> dict:
    return json.loads(pipe("report", "--format", "json", "--as-of", "2026-12-31", *args).stdout)


def index_path(root: Path) -> Path:
    return Store(root).state_path(index.INDEX_NAME)


@pytest.fixture
def three(pipe):
    ids = [pipe.add(f"Deal {n}", "--value", str(1000 * n), "--at", "2026-03-02T10:00") for n in (1, 2, 3)]
    age_all(pipe.root)
    assert sorted(listing(pipe)) == sorted(ids)  # builds the index
    assert index_path(pipe.root).is_file()
    return ids


def test_a_command_s_change_is_seen(pipe, three) -> None:
    pipe("move", three[0], "proposal", "--at", "2026-03-03")
    assert listing(pipe)[three[0]]["stage"] == "proposal"


def test_an_added_file_is_seen(pipe, three) -> None:
    text = pipe.deal_text(three[0]).replace(three[0], "hand-made").replace("Deal 1", "Hand made")
    (pipe.root / "deals" / "hand-made.yaml").write_text(text, encoding="utf-8")
    assert listing(pipe)["hand-made"]["title"] == "Hand made"


def test_a_deleted_file_is_gone(pipe, three) -> None:
    (pipe.root / "deals" / f"{three[1]}.yaml").unlink()
    assert sorted(listing(pipe)) == sorted([three[0], three[2]])
    assert report(pipe)["totals"]["deals"] == 2


def test_a_renamed_file_is_seen_under_its_new_name(pipe, three) -> None:
    old = pipe.root / "deals" / f"{three[1]}.yaml"
    text = old.read_text(encoding="utf-8").replace(f"id: {three[1]}\n", "")  # the id is the file name
    old.write_text(text, encoding="utf-8")
    age(old)
    listing(pipe)
    old.rename(pipe.root / "deals" / "renamed.yaml")
    assert sorted(listing(pipe)) == sorted([three[0], three[2], "renamed"])


def test_a_same_size_edit_in_place_is_seen_even_with_its_mtime_put_back(pipe, three) -> None:
    path = pipe.root / "deals" / f"{three[0]}.yaml"
    before = path.stat()
    with open(path, "r+", encoding="utf-8") as f:  # same inode, same size
        text = f.read()
        f.seek(0)
        f.write(text.replace("value: 1000", "value: 9000"))
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    after = path.stat()
    assert (after.st_ino, after.st_size, after.st_mtime_ns) == (before.st_ino, before.st_size, before.st_mtime_ns)
    assert listing(pipe)[three[0]]["value"] == 9000


def test_a_file_replaced_by_another_of_the_same_size_and_mtime_is_seen(pipe, three) -> None:
    path = pipe.root / "deals" / f"{three[0]}.yaml"
    before = path.stat()
    other = pipe.root / "deals" / ".incoming"
    other.write_text(path.read_text(encoding="utf-8").replace("value: 1000", "value: 7000"), encoding="utf-8")
    os.utime(other, ns=(before.st_atime_ns, before.st_mtime_ns))
    other.rename(path)
    assert (path.stat().st_size, path.stat().st_mtime_ns) == (before.st_size, before.st_mtime_ns)
    assert listing(pipe)[three[0]]["value"] == 7000


def test_an_entry_read_within_the_time_stamp_granularity_is_read_again(pipe, three) -> None:
    """Racily clean: on a file system whose stamps did not move when the file changed
    (simulated by an index entry holding the old deal under the file's current key), an
    entry read less than the granularity after the file's last stamp is not trusted."""
    path = pipe.root / "deals" / f"{three[0]}.yaml"
    store = Store(pipe.root)
    ids = store.pipeline.stage_ids
    path.write_text(path.read_text(encoding="utf-8").replace("value: 1000", "value: 1001"), encoding="utf-8")
    digests = store.state_path(index.DIGESTS_NAME)
    entries = index.refresh(store.deals_dir, index_path(pipe.root), digests, ids, save=False).entries()
    (entry,) = [e for e in entries if e.name == path.name]
    assert entry.row is not None and entry.view is not None
    # the old deal (value 1000), read 1 ms after the file's last stamp, under its current key
    entry.read_ns = max(entry.key[1], entry.key[2]) + 1_000_000
    entry.row = entry.row._replace(value=entry.row.value - 1)
    entry.view = entry.view._replace(value=entry.view.value - 1)
    assert index.write_index(index_path(pipe.root), entries, ids)
    assert listing(pipe)[three[0]]["value"] == 1001
    # read again now, long after the change: from now on the entry is trusted, and right
    assert listing(pipe)[three[0]]["value"] == 1001


def test_a_git_checkout_of_many_files_is_seen(pipe) -> None:
    ids = [pipe.add(f"Deal {n}", "--value", "100", "--at", "2026-03-02T10:00") for n in range(40)]
    git = ["git", "-C", str(pipe.root)]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-qm", "start"], check=True)
    start = subprocess.run([*git, "rev-parse", "HEAD"], check=True, capture_output=True, text=True).stdout.strip()
    age_all(pipe.root)
    for i in ids:
        pipe("won", i, "--at", "2026-03-05")
    age_all(pipe.root)
    assert report(pipe)["totals"]["won"] == 40
    # each `pipe won` committed its change (a git work tree): check out the files as first committed
    subprocess.run([*git, "checkout", "-q", start, "--", "deals"], check=True)
    age_all(pipe.root)  # even with every file an hour old, as if checked out earlier
    assert report(pipe)["totals"]["won"] == 0
    assert all(r["status"] == "open" for r in listing(pipe).values())


def test_deleting_the_state_folder_only_costs_time(pipe, three) -> None:
    first = report(pipe)
    shutil.rmtree(pipe.root / ".pipe")
    assert report(pipe) == first
    assert index_path(pipe.root).is_file()


BROKEN = {
    "empty": b"",
    "garbage": b"\x00\xff" * 1000,
    "json": b'{"version": 1}',
    "truncated": None,
    "older format": None,
    "other stages": None,
    "deep nesting": None,
    "huge counts": None,
    "codes out of range": None,
    "an amount that is no number": None,
}


def _broken(kind: str, good: bytes) -> bytes:
    head_at = len(index.MAGIC) + 4
    (n,) = __import__("struct").unpack_from("<I", good, len(index.MAGIC))
    header = json.loads(good[head_at : head_at + n])
    body = good[head_at + n :]

    def with_header(h: object) -> bytes:
        raw = json.dumps(h).encode()
        return index.MAGIC + len(raw).to_bytes(4, "little") + raw + body

    if kind == "truncated":
        return good[: len(good) // 2]
    if kind == "older format":
        return with_header({**header, "version": index.VERSION - 1})
    if kind == "other stages":
        return with_header({**header, "stages": ["a", "b"]})
    if kind == "deep nesting":
        raw = b"[" * 100_000 + b"]" * 100_000
        return index.MAGIC + len(raw).to_bytes(4, "little") + raw + body
    if kind == "huge counts":
        return with_header({**header, "files": 10**12, "deals": 10**12})
    if kind == "codes out of range":
        name_table = header["sections"]["owner"]
        start = head_at + n + name_table[1]
        return good[:start] + b"\xff\xff\xff\x7f" * (name_table[2] // 4) + good[start + name_table[2] :]
    if kind == "an amount that is no number":
        assert good.count(b'"2000"') == 1  # in the table of values, as text
        return good.replace(b'"2000"', b'"2x00"')
    out = BROKEN[kind]
    assert out is not None
    return out


@pytest.mark.parametrize("kind", sorted(BROKEN))
def test_a_broken_index_is_ignored_and_rebuilt(pipe, three, kind: str) -> None:
    pipe("set", three[0], "owner=anna", "--at", "2026-03-04")
    age_all(pipe.root)
    expected_report, expected_list = report(pipe), listing(pipe)
    path = index_path(pipe.root)
    path.write_bytes(_broken(kind, path.read_bytes()))
    assert report(pipe) == expected_report
    assert listing(pipe) == expected_list
    assert index.read_index(path, Store(pipe.root).pipeline.stage_ids) is not None  # rebuilt whole


def test_a_symlinked_index_is_not_followed_nor_written_through(pipe, three, tmp_path: Path) -> None:
    expected = listing(pipe)
    target = tmp_path / "elsewhere"
    target.write_bytes(index_path(pipe.root).read_bytes())
    index_path(pipe.root).unlink()
    index_path(pipe.root).symlink_to(target)
    before = target.read_bytes()
    pipe("note", three[0], "a note", "--at", "2026-03-05")
    age_all(pipe.root)
    assert listing(pipe)[three[0]]["last_activity"] == "2026-03-05T00:00:00+01:00"
    assert {k: v for k, v in listing(pipe).items() if k != three[0]} == {
        k: v for k, v in expected.items() if k != three[0]
    }
    assert target.read_bytes() == before
    assert not index_path(pipe.root).is_symlink()


@pytest.mark.parametrize("kind", ["garbage", "foreign", "symlink"])
def test_broken_digests_only_cost_a_reread(pipe, kind: str, tmp_path: Path) -> None:
    deal = pipe.add("Moving", "--value", "500", "--at", "2026-03-02T10:00")
    pipe("move", deal, "proposal", "--at", "2026-04-10")
    age_all(pipe.root)
    past = report(pipe, "--as-of", "2026-03-31")  # built from the files
    digests = Store(pipe.root).state_path(index.DIGESTS_NAME)
    digests.unlink()
    if kind == "garbage":
        digests.write_bytes(b"not a database" * 100)
    elif kind == "foreign":
        import sqlite3

        db = sqlite3.connect(digests)
        db.execute("CREATE TABLE digests (name TEXT, version TEXT, data BLOB)")
        db.execute("INSERT INTO digests VALUES (?, ?, ?)", (f"{deal}.yaml", "x", b"[1]"))
        db.commit()
        db.close()
    else:
        outside = tmp_path / "outside.db"
        outside.write_bytes(b"keep me")
        digests.symlink_to(outside)
    pipe("note", deal, "later", "--at", "2026-04-11")  # a change, so the index writes digests again
    age_all(pipe.root)
    assert report(pipe, "--as-of", "2026-03-31") == past
    stages = {r["stage"]: r["reached"] for r in past["funnel"]}
    assert stages["proposal"] == 0 and stages["lead"] == 1
    if kind == "symlink":
        assert (tmp_path / "outside.db").read_bytes() == b"keep me"


def test_bad_files_are_reported_from_the_index_too(pipe, three) -> None:
    bad = pipe.root / "deals" / "broken.yaml"
    bad.write_text("title: [unclosed\n", encoding="utf-8")
    age(bad)
    for _ in range(2):  # read, then from the index
        result = pipe("list", ok=False)
        assert result.exit_code == 1
        assert "broken.yaml:2: YAML syntax" in result.stderr
        shown = json.loads(pipe("list", "--format", "json", ok=False).stdout)
        assert sorted(r["id"] for r in shown) == sorted(three)


def test_a_second_file_with_a_deal_s_id_is_reported_from_the_index_too(pipe, three) -> None:
    copy = pipe.root / "deals" / "zz-copy.yaml"
    copy.write_text(pipe.deal_text(three[1]).replace("Deal 2", "Deal 2 again"), encoding="utf-8")
    Store(pipe.root).index()
    time.sleep(index.RACY_NS / 1e9 + 0.1)  # until then, entries read are read again (racily clean)
    for parsed in (4, 0):  # read long after the files' stamps, then every entry from the index
        assert Store(pipe.root).index().parsed == parsed
        result = pipe("report", "--format", "json", "--as-of", "2026-12-31", ok=False)
        assert result.exit_code == 1
        assert f"zz-copy.yaml:1: duplicate id '{three[1]}', also in {three[1]}.yaml" in result.stderr
        assert json.loads(result.stdout)["totals"]["deals"] == 3
        shown = json.loads(pipe("list", "--format", "json", ok=False).stdout)
        assert {r["id"]: r["title"] for r in shown}[three[1]] == "Deal 2"


def test_completion_offers_owners_and_tags_from_the_index(pipe) -> None:
    from typer.testing import CliRunner

    from pipecli.cli import app

    pipe.add("A", "--owner", "anna", "--tag", "smb")
    pipe.add("B", "--owner", "Łucja", "--tag", "enterprise")
    pipe("list")
    env = {"_PIPE_COMPLETE": "complete_bash", "COMP_WORDS": f"pipe -C {pipe.root} list --owner ", "COMP_CWORD": "5"}
    out = CliRunner().invoke(app, [], env=env, prog_name="pipe").stdout
    assert out.split() == ["anna", "Łucja"]
    env = {"_PIPE_COMPLETE": "complete_bash", "COMP_WORDS": f"pipe -C {pipe.root} list --tag e", "COMP_CWORD": "5"}
    out = CliRunner().invoke(app, [], env=env, prog_name="pipe").stdout
    assert out.split() == ["enterprise"]


# -- what pipe's other write paths write: undo, sync and its merge driver, import ----------------
def trust_all(root: Path) -> None:
    """Bring the index up to date, then mark every entry as read long after its file's last
    stamp (as if every file had been still for minutes): from now on only a file whose key
    changed is read again, so a write path that kept a key would show an old deal."""
    store = Store(root)
    ids = store.pipeline.stage_ids
    fresh = index.refresh(store.deals_dir, index_path(root), store.state_path(index.DIGESTS_NAME), ids)
    entries = fresh.entries()
    for e in entries:
        e.read_ns = max(e.key[1], e.key[2]) + index.RACY_NS
    assert index.write_index(index_path(root), entries, ids)
    again = index.refresh(store.deals_dir, index_path(root), store.state_path(index.DIGESTS_NAME), ids, save=False)
    assert again.parsed == 0  # every entry is trusted now


def stale_ids(pipe) -> list[str]:
    out = pipe("stale", "--format", "json", "--as-of", "2026-12-31").stdout
    return sorted(r["id"] for r in json.loads(out))


def test_a_pipe_undo_is_seen(runner, tmp_path: Path) -> None:
    from conftest import Pipe

    from pipecli.cli import app

    root = tmp_path / "sales"
    assert runner.invoke(app, ["init", str(root), "--git"]).exit_code == 0
    pipe = Pipe(runner, root)
    acme = pipe.add("Acme", "--value", "1000", "--at", "2026-03-02T10:00")
    pipe("next", acme, "Call the CFO", "--due", "2027-01-15", "--at", "2026-03-02T11:00")
    pipe("won", acme, "--at", "2026-03-05")
    trust_all(root)
    assert report(pipe)["totals"]["won"] == 1
    assert listing(pipe)[acme]["status"] == "won"

    assert pipe("undo").stdout.splitlines()[-1].endswith(f'Revert "Won {acme}"')
    assert report(pipe)["totals"]["won"] == 0
    assert listing(pipe)[acme]["status"] == "open"
    assert stale_ids(pipe) == []  # open again, with its next step due in 2027

    trust_all(root)
    assert pipe("undo").stdout.splitlines()[-1].endswith(f'Revert "Next step for {acme}"')
    assert stale_ids(pipe) == [acme]  # no next step any more
    trust_all(root)
    assert pipe("undo").stdout.splitlines()[-1].endswith(f'Revert "Add {acme}"')  # its file is removed
    assert listing(pipe) == {}
    assert report(pipe)["totals"]["deals"] == 0


def test_a_pipe_import_is_seen(pipe, three, tmp_path: Path) -> None:
    trust_all(pipe.root)
    before = report(pipe)["totals"]["deals"]
    csv = tmp_path / "leads.csv"
    csv.write_text("title,value\nImported one,2500\nImported two,500\n", encoding="utf-8")
    pipe("import", str(csv), "--default-date", "2026-03-02")
    assert report(pipe)["totals"]["deals"] == before + 2
    assert sorted(r["title"] for r in listing(pipe).values() if r["title"].startswith("Imported")) == [
        "Imported one",
        "Imported two",
    ]


@pytest.mark.slow
def test_a_pipe_sync_and_its_merge_driver_are_seen(run_pipe, tmp_path: Path) -> None:
    from git_helpers import git

    def run(clone: Path, *args: str, user: str) -> str:
        result = run_pipe(*args, cwd=clone, env={"PIPE_USER": user})
        assert result.returncode == 0, (args, result.stdout, result.stderr)
        return result.stdout

    def report_of(clone: Path, user: str) -> dict:
        return json.loads(run(clone, "report", "--format", "json", "--as-of", "2026-12-31", user=user))

    server = tmp_path / "server.git"
    git(tmp_path, "init", "-q", "--bare", "-b", "main", str(server))
    anna = tmp_path / "anna"
    assert run_pipe("init", str(anna), "--git").returncode == 0
    git(anna, "branch", "-M", "main")
    git(anna, "remote", "add", "origin", str(server))
    d = run(anna, "add", "Shared rollout", "--value", "4000", "--at", "2026-03-02T09:00", user="anna").strip()
    run(anna, "sync", user="anna")
    git(tmp_path, "clone", "-q", str(server), "marek")
    marek = tmp_path / "marek"
    run(marek, "sync", user="marek")
    assert report_of(marek, "marek")["totals"]["won"] == 0
    trust_all(marek)

    run(anna, "note", d, "Signed today", "--at", "2026-03-04T10:00", user="anna")
    run(anna, "won", d, "--at", "2026-03-04T11:00", user="anna")
    run(anna, "sync", user="anna")
    run(marek, "note", d, "Sent the contract", "--at", "2026-03-03T10:00", user="marek")  # both sides changed it
    trust_all(marek)
    assert run(marek, "sync", user="marek").startswith("synced with origin/main: 2 commits in")
    assert report_of(marek, "marek")["totals"]["won"] == 1  # the file the merge driver wrote
    shown = json.loads(run(marek, "list", "--status", "all", "--format", "json", user="marek"))
    assert [(r["id"], r["status"], r["last_activity"]) for r in shown] == [(d, "won", "2026-03-04T11:00:00+01:00")]


def _many_deal_files(deals: Path, count: int) -> None:
    """``count`` deal files, every tenth with a recorded change, and some a reader refuses."""
    deals.mkdir(parents=True)
    for i in range(count):
        change = (
            f"  - at: 2026-02-0{1 + i % 9}T10:00:00+01:00\n    event: changed\n    field: owner\n"
            f"    from: {['anna', 7, 'bartek'][i % 3]}\n    to: Łucja\n"
            if i % 10 == 0
            else ""
        )
        text = (
            f"id: d{i:04d}\ntitle: Trattativa {i} ไทย\nvalue: {1000 + i}.50\nstage: {['lead', 'proposal'][i % 2]}\n"
            f"owner: Łucja\ncreated: 2026-01-0{1 + i % 9}T09:00:00+01:00\nhistory:\n"
            f"  - at: 2026-01-0{1 + i % 9}T09:00:00+01:00\n    event: created\n    to: lead\n{change}"
        )
        if i % 97 == 5:
            text = text.replace("value: ", "value: -")  # refused by the model
        elif i % 97 == 6:
            text += "  - at: 2025-01-01T00:00:00Z\n    event: moved\n    to: lead\n"  # out of time order
        elif i % 97 == 7:
            text = "id: [unclosed\n"  # not YAML
        (deals / f"d{i:04d}.yaml").write_text(text, encoding="utf-8")


def test_files_read_by_worker_processes_give_what_one_process_gives(tmp_path: Path) -> None:
    deals = tmp_path / "deals"
    count = index.PARALLEL_FROM + 120
    _many_deal_files(deals, count)
    files, _ = index.scan(deals)
    stages = ["lead", "proposal"]
    parallel = index.read_entries(str(deals), files, stages, root=str(tmp_path))
    ladder = {s: i for i, s in enumerate(stages)}
    alone = [index.read_entry(str(deals), name, key, ladder, str(tmp_path)) for name, key in files]
    assert len(parallel) == len(alone) == count
    problems = 0
    for a, b in zip(parallel, alone, strict=True):
        assert (a.name, a.key, a.problem, a.deal_id) == (b.name, b.key, b.problem, b.deal_id)
        assert repr(a.row) == repr(b.row) and repr(a.view) == repr(b.view)
        assert bytes(a.digest_json) == bytes(b.digest_json)
        problems += a.problem is not None
    assert problems == 3 * len(range(5, count, 97))
