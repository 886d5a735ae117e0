"""`pipe list` and `pipe show`: filters, sorting, every format parsed back, bad files named."""

from __future__ import annotations

import csv
import io
import json
import re
from decimal import Decimal

import pytest
import yaml

from pipecli import yamlio


@pytest.fixture
def sample(pipe):
    """Five deals with known values; returns the pipe and their ids by short name."""
    ids = {
        "acme": pipe.add("Acme rollout", "--id", "acme", "--value", "12000.50", "--currency", "PLN",
                         "--owner", "anna", "--source", "referral", "--tag", "retail", "--tag", "q2",
                         "--stage", "proposal", "--contact", "Marta Nowak", "--email", "marta@example.pl",
                         "--phone", "0612345678", "--close-date", "2026-06-30", "--at", "2026-03-02T10:00"),
        "beta": pipe.add("Beta pilot", "--id", "beta", "--value", "500", "--owner", "Bartek",
                         "--source", "website", "--at", "2026-03-03T10:00"),
        "caffe": pipe.add("Caffè Società", "--id", "caffe", "--value", "80000", "--owner", "anna",
                          "--stage", "meeting", "--tag", "Italy", "--at", "2026-03-04T10:00"),
        "thai": pipe.add("บริษัท สยาม", "--id", "thai", "--currency", "THB", "--owner", "somchai",
                         "--stage", "qualified", "--at", "2026-03-05T10:00"),
        "won": pipe.add("Won deal", "--id", "won-deal", "--value", "3000", "--at", "2026-03-01T10:00"),
        "lost": pipe.add("Lost deal", "--id", "lost-deal", "--value", "7000", "--at", "2026-03-01T11:00"),
    }  # fmt: skip
    pipe("won", "won-deal", "--at", "2026-03-06")
    pipe("lost", "lost-deal", "--reason", "price", "--at", "2026-03-06")
    pipe("next", "acme", "Send contract", "--due", "2026-03-20", "--at", "2026-03-07")
    return pipe, ids


def listed(pipe, *args: str) -> list[str]:
    return [r["id"] for r in json.loads(pipe("list", "--format", "json", *args).stdout)]


def test_list_table_shows_open_deals_in_stage_order(sample) -> None:
    pipe, _ = sample
    out = pipe("list").stdout
    lines = out.splitlines()
    assert lines[0].split() == [
        "id",
        "title",
        "company",
        "stage",
        "status",
        "value",
        "cur",
        "owner",
        "due",
        "days",
        "!",
    ]
    body = [line.split()[0] for line in lines[2:]]
    # lead, qualified, meeting, proposal; won and lost are not open
    assert body == ["beta", "thai", "caffe", "acme"]
    assert "12,000.50" in out and "80,000" in out
    assert "บริษัท สยาม" in out


def test_list_filters(sample) -> None:
    pipe, _ = sample
    assert listed(pipe, "--owner", "ANNA") == ["caffe", "acme"]
    assert listed(pipe, "--source", "website") == ["beta"]
    assert listed(pipe, "--tag", "italy") == ["caffe"]
    assert listed(pipe, "--stage", "meeting", "--stage", "proposal") == ["caffe", "acme"]
    assert listed(pipe, "--stage", "Proposal") == ["acme"]
    assert listed(pipe, "--status", "won") == ["won-deal"]
    assert listed(pipe, "--status", "lost") == ["lost-deal"]
    assert sorted(listed(pipe, "--status", "all")) == ["acme", "beta", "caffe", "lost-deal", "thai", "won-deal"]
    assert listed(pipe, "--owner", "nobody") == []
    assert pipe("list", "--owner", "nobody").stdout == ""


def test_list_sort(sample) -> None:
    pipe, _ = sample
    # values: acme 12000.50, beta 500, caffe 80000, thai none (empty sorts last either way)
    assert listed(pipe, "--sort", "value") == ["beta", "acme", "caffe", "thai"]
    assert listed(pipe, "--sort", "-value") == ["caffe", "acme", "beta", "thai"]
    assert listed(pipe, "--sort", "created") == ["acme", "beta", "caffe", "thai"]
    assert listed(pipe, "--sort", "-created") == ["thai", "caffe", "beta", "acme"]
    assert listed(pipe, "--sort", "title") == ["acme", "beta", "caffe", "thai"]
    assert listed(pipe, "--sort", "-stage") == ["acme", "caffe", "thai", "beta"]
    assert listed(pipe, "--sort", "due") == ["acme", "beta", "caffe", "thai"]
    assert listed(pipe, "--sort", "owner") == ["acme", "caffe", "beta", "thai"]  # ties by id; case ignored
    bad = pipe("list", "--sort", "colour", ok=False)
    assert bad.exit_code == 2
    assert bad.stderr.startswith("pipe: --sort 'colour': sort by one of id, title")


def test_list_json(sample) -> None:
    pipe, _ = sample
    rows = {r["id"]: r for r in json.loads(pipe("list", "--format", "json", "--status", "all").stdout)}
    acme = rows["acme"]
    assert acme["title"] == "Acme rollout"
    assert acme["value"] == 12000.5
    assert acme["currency"] == "PLN"
    assert acme["stage"] == "proposal"
    assert acme["status"] == "open"
    assert acme["owner"] == "anna"
    assert acme["source"] == "referral"
    assert acme["tags"] == ["retail", "q2"]
    assert acme["contact_name"] == "Marta Nowak"
    assert acme["contact_email"] == "marta@example.pl"
    assert acme["contact_phone"] == "0612345678"
    assert acme["created"] == "2026-03-02T10:00:00+01:00"
    assert acme["close_date"] == "2026-06-30"
    assert acme["next_step"] == "Send contract"
    assert acme["next_due"] == "2026-03-20"
    assert acme["last_activity"] == "2026-03-07T00:00:00+01:00"
    assert rows["beta"]["value"] == 500 and isinstance(rows["beta"]["value"], int)
    assert rows["beta"]["currency"] == "EUR"  # the pipeline's
    assert rows["thai"]["value"] is None
    assert rows["thai"]["title"] == "บริษัท สยาม"
    assert rows["lost-deal"]["lost_reason"] == "price"
    assert rows["won-deal"]["status"] == "won"


def test_list_csv(sample) -> None:
    pipe, _ = sample
    text = pipe("list", "--format", "csv", "--status", "all").stdout
    rows = {r["id"]: r for r in csv.DictReader(io.StringIO(text))}
    assert set(rows) == {"acme", "beta", "caffe", "thai", "won-deal", "lost-deal"}
    assert rows["acme"]["value"] == "12000.50"  # as typed
    assert rows["acme"]["tags"] == "retail,q2"
    assert rows["acme"]["contact_phone"] == "0612345678"
    assert rows["acme"]["created"] == "2026-03-02T10:00:00+01:00"
    assert rows["thai"]["value"] == ""
    assert rows["caffe"]["title"] == "Caffè Società"
    assert rows["won-deal"]["status"] == "won"
    assert rows["lost-deal"]["lost_reason"] == "price"


@pytest.mark.parametrize("reader", ["pyyaml", "yaml12"])
def test_list_yaml(sample, reader: str) -> None:
    pipe, _ = sample
    text = pipe("list", "--format", "yaml").stdout
    rows = yaml.safe_load(text) if reader == "pyyaml" else yamlio.load_fast(text)
    rows = {r["id"]: r for r in rows}
    assert "value: 12000.50\n" in text  # the digits typed; a number to every reader (pipe's keeps the text)
    assert Decimal(str(rows["acme"]["value"])) == Decimal("12000.50")
    assert rows["acme"]["contact_phone"] == "0612345678"
    assert rows["acme"]["tags"] == ["retail", "q2"]
    assert str(rows["acme"]["close_date"]) == "2026-06-30"
    assert rows["thai"]["value"] is None
    assert rows["beta"]["owner"] == "Bartek"


def test_list_markdown(sample) -> None:
    pipe, _ = sample
    lines = pipe("list", "--format", "markdown").stdout.splitlines()
    assert [c.strip() for c in lines[0].strip("|").split("|")] == [
        "id", "title", "company", "stage", "status", "value", "cur", "owner", "due", "days", "!",
    ]  # fmt: skip
    assert re.fullmatch(r"\|[-:| ]+\|", lines[1])
    assert len(lines) == 2 + 4


def test_empty_list_in_machine_formats(pipe) -> None:
    assert json.loads(pipe("list", "--format", "json").stdout) == []
    assert yaml.safe_load(pipe("list", "--format", "yaml").stdout) == []
    assert pipe("list", "--format", "csv").stdout.splitlines()[0].startswith("id,title,")
    assert pipe("list").stdout == ""


def test_show_text_has_everything(sample) -> None:
    pipe, _ = sample
    pipe("note", "acme", "Line one\nLine two", "--at", "2026-03-08T09:30")
    out = pipe("show", "acme").stdout
    for expected in (
        "Acme rollout\n",
        "  id:          acme\n",
        "  contact:     Marta Nowak · marta@example.pl · 0612345678\n",
        "  stage:       Proposal\n",
        "  status:      open\n",
        "  value:       12,000.50 PLN\n",
        "  probability: 60% (stage)\n",
        "  owner:       anna\n",
        "  source:      referral\n",
        "  tags:        retail, q2\n",
        "  created:     2026-03-02T10:00:00+01:00\n",
        "  close date:  2026-06-30\n",
        "  next step:   Send contract (due 2026-03-20)\n",
        "History\n  2026-03-02T10:00:00+01:00  tester: created in proposal\n",  # by whom: the login name
        "Notes\n  2026-03-08T09:30:00+01:00  tester: Line one\n                             Line two\n",
    ):
        assert expected in out, expected
    lost = pipe("show", "lost-deal").stdout
    assert "  status:      LOST\n" in lost
    assert "  lost reason: price\n" in lost
    assert "lost (at lead): price" in lost


def test_show_json_and_yaml(sample) -> None:
    pipe, _ = sample
    data = json.loads(pipe("show", "acme", "--format", "json").stdout)
    assert data["id"] == "acme"
    assert data["value"] == 12000.5
    assert data["contact"] == {"name": "Marta Nowak", "email": "marta@example.pl", "phone": "0612345678"}
    assert data["history"][0] == {
        "at": "2026-03-02T10:00:00+01:00",
        "event": "created",
        "to": "proposal",
        "by": "tester",
    }
    assert data["next_step"] == {"text": "Send contract", "due": "2026-03-20"}
    for load in (yaml.safe_load, yamlio.load_fast):
        y = load(pipe("show", "acme", "-f", "yaml").stdout)
        assert y["contact"]["phone"] == "0612345678"
        assert y["title"] == "Acme rollout"
        assert Decimal(str(y["value"])) == Decimal("12000.50")
    bad = pipe("show", "acme", "-f", "xml", ok=False)
    assert bad.exit_code == 2
    assert bad.stderr == "pipe: --format 'xml': use text, json or yaml\n"


def test_bad_file_is_named_and_the_rest_listed(sample) -> None:
    pipe, _ = sample
    deals = pipe.root / "deals"
    (deals / "broken.yaml").write_text("title: ok\nstage: lead\ntags: [unclosed\n", encoding="utf-8")
    (deals / "negative.yaml").write_text(
        "title: Neg\nstage: lead\ncreated: 2026-03-01T10:00:00+01:00\nvalue: -5\n", encoding="utf-8"
    )
    result = pipe("list", "--format", "json", ok=False)
    assert result.exit_code == 1
    assert [r["id"] for r in json.loads(result.stdout)] == ["beta", "thai", "caffe", "acme"]
    errors = result.stderr.splitlines()
    assert len(errors) == 2
    assert re.fullmatch(r"pipe: .*deals/broken\.yaml:\d+: YAML syntax: .*", errors[0])
    assert re.fullmatch(r"pipe: .*deals/negative\.yaml:4: value: must not be negative", errors[1])
    # the table goes on too
    table = pipe("list", ok=False)
    assert table.exit_code == 1
    assert "acme" in table.stdout
    # show of a bad deal names it; show of a good one still works
    shown = pipe("show", "negative", ok=False)
    assert shown.exit_code == 1
    assert re.fullmatch(r"pipe: .*negative\.yaml:4: value: must not be negative\n", shown.stderr)
    assert pipe("show", "acme").exit_code == 0


def test_bad_file_in_a_real_process(sample, run_pipe) -> None:
    pipe, _ = sample
    (pipe.root / "deals" / "broken.yaml").write_text("title: [\n", encoding="utf-8")
    r = run_pipe("list", cwd=pipe.root)
    assert r.returncode == 1
    assert "acme" in r.stdout
    assert r.stderr.startswith("pipe: deals/broken.yaml:")
    assert "Traceback" not in r.stderr


def test_show_names_a_bad_file_as_list_does(sample, run_pipe) -> None:
    pipe, _ = sample
    (pipe.root / "deals" / "broken.yaml").write_text("title: x\nstage: lead\nvalue: -1\n", encoding="utf-8")
    listed = run_pipe("list", cwd=pipe.root)
    shown = run_pipe("show", "broken", cwd=pipe.root)
    assert shown.returncode == 1
    assert shown.stderr.startswith("pipe: deals/broken.yaml:")
    assert shown.stderr in listed.stderr


def test_show_own_fields_as_the_file_spells_them(pipe) -> None:
    (pipe.root / "deals" / "ex.yaml").write_text(
        "title: Extras\nstage: lead\ncreated: 2026-03-02T10:00:00+01:00\n"
        "meta: {a: 1, b: [x, y]}\nflag: true\nregion: Śląsk\n",
        encoding="utf-8",
    )
    out = pipe("show", "ex").stdout
    assert '  meta:        {"a": 1, "b": ["x", "y"]}\n' in out
    assert "  flag:        true\n" in out
    assert "  region:      Śląsk\n" in out
    data = json.loads(pipe("show", "ex", "--format", "json").stdout)
    assert (data["meta"], data["flag"], data["region"]) == ({"a": 1, "b": ["x", "y"]}, True, "Śląsk")
