"""Rewriting hand-edited deal files: comments, key order, unknown keys and layout survive,
and only the lines a command means to change do change."""

from __future__ import annotations

import difflib

import yaml

HAND_EDITED = """\
# Acme: big one, handle with care
title: "Acme CRM rollout"   # the name sales uses
stage: qualified
id: acme
status: open
value: 12000  # EUR, before discount
owner: 'anna'
tags:
- retail
- "q2"
created: 2026-03-02T10:00:00+01:00
region: Lombardia        # our own field
contact:
    name: Marta Nowak
    email: marta@example.pl
history:
- at: 2026-03-02T10:00:00+01:00
  event: created
  to: lead
# moved after the first call
- at: 2026-03-03T09:00:00+01:00
  event: moved
  from: lead
  to: qualified
notes:
- at: 2026-03-03T09:00:00+01:00
  text: First call went well.
priority: high
"""

# the same deal, the other common style: four-space mappings, indented dashes
FOUR_SPACES = """\
id: beta
title: Beta
stage: lead
status: open
created: 2026-03-02T10:00:00+01:00
contact:
    name: Jan
history:
    -   at: 2026-03-02T10:00:00+01:00
        event: created
        to: lead
notes: []
"""


def changes(before: str, after: str) -> tuple[list[str], list[str]]:
    """(removed lines, added lines), as `git diff` would show them."""
    removed, added = [], []
    for line in difflib.ndiff(before.splitlines(), after.splitlines()):
        if line.startswith("- "):
            removed.append(line[2:])
        elif line.startswith("+ "):
            added.append(line[2:])
    return removed, added


def write(pipe, deal_id: str, text: str) -> None:
    (pipe.root / "deals" / f"{deal_id}.yaml").write_text(text, encoding="utf-8")


def test_move_changes_only_stage_and_appends_history(pipe) -> None:
    write(pipe, "acme", HAND_EDITED)
    pipe("move", "acme", "meeting", "--at", "2026-03-05T10:00")
    after = pipe.deal_text("acme")
    assert changes(HAND_EDITED, after) == (
        ["stage: qualified"],
        [
            "stage: meeting",
            "- at: 2026-03-05T10:00:00+01:00",
            "  event: moved",
            "  from: qualified",
            "  to: meeting",
            "  by: tester",
        ],
    )
    # the new entry is at the end of the history, before the notes
    assert after.index("  to: meeting") < after.index("notes:")


def test_note_only_appends_lines(pipe) -> None:
    write(pipe, "acme", HAND_EDITED)
    pipe("note", "acme", "Sent the deck", "--at", "2026-03-05T11:00")
    after = pipe.deal_text("acme")
    assert changes(HAND_EDITED, after) == (
        [],
        ["- at: 2026-03-05T11:00:00+01:00", "  text: Sent the deck", "  by: tester"],
    )
    assert after.endswith("  text: Sent the deck\n  by: tester\npriority: high\n")


def test_set_keeps_comments_quotes_and_unknown_keys(pipe) -> None:
    write(pipe, "acme", HAND_EDITED)
    pipe("set", "acme", "value=15000", "contact.phone=+48 600 100 200", "region=Veneto", "--at", "2026-03-06")
    after = pipe.deal_text("acme")
    removed, added = changes(HAND_EDITED, after)
    assert removed == ["value: 12000  # EUR, before discount", "region: Lombardia        # our own field"]
    assert added[:3] == [
        "value: 15000  # EUR, before discount",
        "region: Veneto           # our own field",  # the comment keeps its column
        "    phone: +48 600 100 200",
    ]
    assert added[3:] == [
        "- at: 2026-03-06T00:00:00+01:00",
        "  event: changed",
        "  field: value",
        "  from: 12000",
        "  to: 15000",
        "  by: tester",
        "- at: 2026-03-06T00:00:00+01:00",
        "  event: changed",
        "  field: contact.phone",
        "  to: +48 600 100 200",
        "  by: tester",
        "- at: 2026-03-06T00:00:00+01:00",
        "  event: changed",
        "  field: region",
        "  from: Lombardia",
        "  to: Veneto",
        "  by: tester",
    ]
    data = yaml.safe_load(after)
    assert data["priority"] == "high"
    assert list(data)[:4] == ["title", "stage", "id", "status"]
    assert pipe("check").exit_code == 0


def test_set_tags_keeps_a_block_list_a_block_list(pipe) -> None:
    write(pipe, "acme", HAND_EDITED)
    pipe("set", "acme", "tags=retail,q3", "--at", "2026-03-06")
    removed, added = changes(HAND_EDITED, pipe.deal_text("acme"))
    assert removed == ['- "q2"']
    assert added[0] == "- q3"


def test_four_space_layout_is_kept(pipe) -> None:
    write(pipe, "beta", FOUR_SPACES)
    pipe("move", "beta", "qualified", "--at", "2026-03-05T10:00")
    pipe("set", "beta", "contact.email=jan@example.com", "--at", "2026-03-05T10:00")
    removed, added = changes(FOUR_SPACES, pipe.deal_text("beta"))
    assert removed == ["stage: lead"]
    assert added == [
        "stage: qualified",
        "    email: jan@example.com",
        "    -   at: 2026-03-05T10:00:00+01:00",
        "        event: moved",
        "        from: lead",
        "        to: qualified",
        "        by: tester",
        "    -   at: 2026-03-05T10:00:00+01:00",
        "        event: changed",
        "        field: contact.email",
        "        to: jan@example.com",
        "        by: tester",
    ]


def test_file_without_history_gets_one_on_first_change(pipe) -> None:
    minimal = "title: Minimal\nstage: meeting\ncreated: 2026-03-02T09:00:00+01:00\n"
    write(pipe, "minimal", minimal)
    shown = pipe("show", "minimal").stdout
    assert "created in meeting" in shown
    pipe("move", "minimal", "proposal", "--at", "2026-03-05T10:00")
    data = yaml.load(pipe.deal_text("minimal"), Loader=yaml.BaseLoader)
    assert data["title"] == "Minimal"
    assert data["stage"] == "proposal"
    # the history the file implied (created in meeting) is written out before the move, which
    # alone says who made it
    assert data["history"] == [
        {"at": "2026-03-02T09:00:00+01:00", "event": "created", "to": "meeting"},
        {"at": "2026-03-05T10:00:00+01:00", "event": "moved", "from": "meeting", "to": "proposal", "by": "tester"},
    ]
    # nothing else was added: no id, status, tags or notes the file left to their defaults
    assert sorted(data) == ["created", "history", "stage", "title"]
    assert pipe("check").exit_code == 0, pipe("check", ok=False).stdout


def test_yaml_11_words_in_a_hand_edited_file_stay_text(pipe) -> None:
    write(
        pipe,
        "words",
        "title: no\nowner: on\nsource: yes\ncompany: off\nstage: lead\ncreated: 2026-03-02T10:00:00+01:00\n"
        "contact:\n  phone: '0612345678'\n",
    )
    data = __import__("json").loads(pipe("show", "words", "--format", "json").stdout)
    assert (data["title"], data["owner"], data["source"], data["company"]) == ("no", "on", "yes", "off")
    assert data["contact"]["phone"] == "0612345678"
    pipe("note", "words", "ok", "--at", "2026-03-03")
    after = pipe.deal_text("words")
    assert after.startswith("title: no\nowner: on\nsource: yes\ncompany: off\n")


def test_time_stamp_without_offset_is_named_with_its_line(pipe) -> None:
    write(pipe, "naive", "title: Naive\nstage: lead\ncreated: 2026-03-02\n")
    result = pipe("show", "naive", ok=False)
    assert result.exit_code == 1
    assert result.stderr == (
        f"pipe: {pipe.root / 'deals' / 'naive.yaml'}:3: created: time stamp needs a UTC offset, "
        "e.g. 2026-03-02T10:15:00+01:00\n"
    )


def test_empty_keys_and_flow_lists_written_by_hand(pipe) -> None:
    start = "id: v\ntitle: V\nstage: lead\ncreated: 2026-03-02T10:00:00+01:00\nhistory:\nnotes:\ntags:\n"
    write(pipe, "v", start)
    assert pipe("check").exit_code == 0
    pipe("note", "v", "hello", "--at", "2026-03-03")
    pipe("move", "v", "meeting", "--at", "2026-03-04")
    data = yaml.load(pipe.deal_text("v"), Loader=yaml.BaseLoader)
    assert data["notes"] == [{"at": "2026-03-03T00:00:00+01:00", "text": "hello", "by": "tester"}]
    assert [h["event"] for h in data["history"]] == ["created", "moved"]
    assert pipe("check").exit_code == 0
    flow = "id: f\ntitle: F\nstage: lead\ncreated: 2026-03-02T10:00:00+01:00\nnotes: []  # none yet\n"
    write(pipe, "f", flow)
    pipe("note", "f", "first", "--at", "2026-03-03")
    after = pipe.deal_text("f")
    assert "# none yet" in after
    assert yaml.safe_load(after)["notes"][0]["text"] == "first"


def test_change_is_written_to_the_file_it_was_read_from(pipe) -> None:
    write(pipe, "mine", "id: other\ntitle: Mismatch\nstage: lead\ncreated: 2026-03-02T10:00:00+01:00\n")
    pipe("note", "mine", "hello", "--at", "2026-03-03")
    assert sorted(p.name for p in (pipe.root / "deals").iterdir()) == ["mine.yaml"]
    assert "text: hello" in pipe.deal_text("mine")


def test_windows_line_ends_and_byte_order_mark_are_kept(pipe) -> None:
    original = "\ufeffid: win\r\ntitle: Windows\r\nstage: lead\r\ncreated: 2026-03-02T10:00:00+01:00\r\n"
    (pipe.root / "deals" / "win.yaml").write_bytes(original.encode("utf-8"))
    pipe("note", "win", "hello", "--at", "2026-03-03")
    after = (pipe.root / "deals" / "win.yaml").read_bytes().decode("utf-8")
    assert after.startswith(original)
    assert after[len(original) :] == (
        "notes:\r\n  - at: 2026-03-03T00:00:00+01:00\r\n    text: hello\r\n    by: tester\r\n"
    )
    assert pipe("check").exit_code == 0


def test_mixed_list_styles_change_the_fewest_lines(pipe) -> None:
    mixed = (
        "id: mix\ntitle: Mix\nstage: lead\ntags:\n- a\n- b\ncreated: 2026-03-02T10:00:00+01:00\n"
        "history:\n  - at: 2026-03-02T10:00:00+01:00\n    event: created\n    to: lead\n"
    )
    write(pipe, "mix", mixed)
    pipe("move", "mix", "meeting", "--at", "2026-03-03")
    removed, added = changes(mixed, pipe.deal_text("mix"))
    # the short tags list follows the history's style; the history itself is untouched
    assert removed == ["stage: lead", "- a", "- b"]
    assert added == [
        "stage: meeting",
        "  - a",
        "  - b",
        "  - at: 2026-03-03T00:00:00+01:00",
        "    event: moved",
        "    from: lead",
        "    to: meeting",
        "    by: tester",
    ]
