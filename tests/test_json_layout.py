"""Listings as JSON with an indent: tens of thousands of records are laid out by the C encoder
(``render._records_json``), byte for byte what ``json.dumps`` writes with that indent."""

from __future__ import annotations

import json
import sys
from datetime import datetime, timezone
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pipecli import render

texts = st.text(st.characters(codec="utf-8"), max_size=12) | st.sampled_from(
    ["},\n    {", '"}, {"', "Zamówienie", "ร้านกาแฟ", "caffè\n", "\\", ""]
)
scalars = texts | st.integers() | st.floats() | st.booleans() | st.none()
records = st.lists(st.dictionaries(texts, scalars, min_size=1, max_size=6), max_size=6)


@given(records, st.sampled_from([1, 2, 4]), st.booleans())
def test_records_are_laid_out_as_json_dumps_lays_them_out(data: list, indent: int, sort_keys: bool) -> None:
    assert render.flat_records(data)
    expected = json.dumps(data, ensure_ascii=False, indent=indent, sort_keys=sort_keys)
    assert render.json_text(data, indent=indent, sort_keys=sort_keys) == expected


amounts = st.decimals(allow_nan=False, allow_infinity=False, places=2, min_value=-(10**9), max_value=10**9)


@given(st.lists(st.fixed_dictionaries({"id": texts, "value": amounts, "due": st.none() | texts}), max_size=5))
def test_amounts_keep_their_digits_in_either_layout(data: list) -> None:
    fast = render.json_text(data, indent=2)
    with pytest.MonkeyPatch.context() as m:
        m.setattr(render, "flat_records", lambda _: False)
        general = render.json_text(data, indent=2)
    assert fast == general
    assert [r["value"] for r in json.loads(fast, parse_float=Decimal)] == [r["value"] for r in data]


@pytest.mark.parametrize(
    "data",
    [[{"tags": ["a", "b"]}], [{"money": {"EUR": 1}}], [{}], {"a": 1}, [[1, 2]], [{"n": 1}, "x"]],
)
def test_anything_else_takes_json_dumps_own_layout(data: object) -> None:
    assert not render.flat_records(data)
    assert render.json_text(data, indent=2) == json.dumps(data, ensure_ascii=False, indent=2)


def test_a_stale_list_as_json_keeps_its_layout_and_digits(pipe) -> None:
    for i in range(3):
        pipe.add(f"Trattativa {i} ร้าน", "--value", f"{1000 + i}.50", "--at", f"2026-01-0{i + 1}T09:00:00+01:00")
    out = pipe("stale", "--format", "json", "--as-of", "2026-06-01").stdout
    rows = json.loads(out, parse_float=Decimal)
    assert sorted(r["value"] for r in rows) == [Decimal("1000.50"), Decimal("1001.50"), Decimal("1002.50")]
    assert out.startswith('[\n  {\n    "id": "') and out.endswith("\n  }\n]\n")
    assert out.count('\n  },\n  {\n    "id": ') == 2
    assert '"title": "Trattativa 0 ร้าน",\n' in out and '"value": 1000.50,\n' in out


@given(scalars)
def test_the_values_a_listing_keeps_as_they_are_are_their_own_plain_form(value: object) -> None:
    """``render_rows`` skips ``plain`` for these types: it would give each back unchanged."""
    assert type(value) in render._AS_IS
    assert render.plain(value, exact=True) is value


@given(st.decimals(allow_nan=False, allow_infinity=False) | st.sampled_from([Decimal("-0"), Decimal("1E+3")]))
def test_an_amount_is_written_with_its_own_digits(value: Decimal) -> None:
    """Whole amounts are handed to the encoder as whole numbers, the others marked and put
    back: either way the digits a file has (``format(value, "f")``), never a float's."""
    digits = format(value, "f")
    assert render.json_text({"value": value}) == '{"value": ' + digits + "}"
    assert render.json_text([{"value": value}], indent=2) == '[\n  {\n    "value": ' + digits + "\n  }\n]"


@given(records, st.booleans())
def test_without_orjson_the_json_module_lays_records_out_alike(data: list, sort_keys: bool) -> None:
    """orjson writes a listing only where its bytes are json's; without it, json writes them."""
    with_orjson = render.json_text(data, indent=2, sort_keys=sort_keys)
    with pytest.MonkeyPatch.context() as m:
        m.setitem(sys.modules, "orjson", None)  # import orjson raises ImportError
        assert render._orjson_text(data, 2, sort_keys, None, True) is None
        without = render.json_text(data, indent=2, sort_keys=sort_keys)
    assert with_orjson == without == json.dumps(data, ensure_ascii=False, indent=2, sort_keys=sort_keys)


@pytest.mark.parametrize("value", [1e-05, -3e-07, 9.99e-05, float("nan"), float("inf"), 2**64, -(2**63) - 1, "\ud800"])
def test_values_orjson_would_write_otherwise_are_left_to_json(value: object) -> None:
    data = [{"id": "deal-1", "x": value}]
    assert render._orjson_text(data, 2, False, None, True) is None
    assert render._orjson_text([{"deal": data}], 2, False, None, False) is None  # nested: the same
    assert render.json_text(data, indent=2) == json.dumps(data, ensure_ascii=False, indent=2)
    assert render.json_text({"deals": data}, indent=2) == json.dumps({"deals": data}, ensure_ascii=False, indent=2)


def test_rows_of_other_keys_are_not_taken_as_records() -> None:
    """``plain_scalars`` writes rows as they are only when they hold the machine keys, in order."""
    columns = [render.Column("id", "deal"), render.Column("n", "n")]
    rows = [{"id": "a", "n": 1}, {"n": 2, "id": "b"}, {"id": "c", "n": 3, "extra": "x"}]
    out = render.render_rows(rows, columns, "json", machine_keys=["id", "n"], plain_scalars=True)
    assert json.loads(out) == [{"id": "a", "n": 1}, {"id": "b", "n": 2}, {"id": "c", "n": 3}]
    assert out == json.dumps([{"id": "a", "n": 1}, {"id": "b", "n": 2}, {"id": "c", "n": 3}], indent=2) + "\n"


nested = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.lists(inner, max_size=3).map(tuple) | st.dictionaries(texts, inner, max_size=4)
    ),
    max_leaves=20,
)


@given(nested, st.booleans())
def test_any_plain_data_is_laid_out_as_json_dumps_lays_it_out(data: object, sort_keys: bool) -> None:
    """Deals exported whole (nested mappings and lists) go through orjson where it writes
    json's bytes, through json otherwise, with orjson installed or not."""
    expected = json.dumps(data, ensure_ascii=False, indent=2, sort_keys=sort_keys)
    assert render.json_text(data, indent=2, sort_keys=sort_keys) == expected
    with pytest.MonkeyPatch.context() as m:
        m.setitem(sys.modules, "orjson", None)
        assert render.json_text(data, indent=2, sort_keys=sort_keys) == expected


@pytest.mark.parametrize(
    "data",
    [{1: "a"}, {"a": {None: 1}}, [{"when": datetime(2026, 1, 2, tzinfo=timezone.utc)}], [("x", 1e-9)], {"n": 2**70}],
)
def test_what_orjson_would_write_otherwise_is_left_to_json(data: object) -> None:
    """Keys that are not text, times (orjson would write them; json refuses), small floats, big integers."""
    assert render._orjson_text(data, 2, False, None, False) is None
