"""Spreadsheets from real offices: delimiters, decimal commas, Excel's encodings, --map over a
preset, rows with cells too many. Each through the installed `pipe`."""

from __future__ import annotations

import codecs
from decimal import Decimal

import pytest
import yaml
from conftest import tree_bytes
from hypothesis import given, settings
from hypothesis import strategies as st

from pipecli.importing.convert import RowError, amount_text


def deals(pipe) -> dict[str, dict]:
    """Each deal file's data (as text, the way it is written), by title."""
    out = {}
    for path in sorted((pipe.root / "deals").glob("*.yaml")):
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=yaml.BaseLoader)
        out[data["title"]] = data
    return out


def run_import(pipe, run_pipe, content: bytes | str, *args: str, name: str = "sheet.csv"):
    path = pipe.root.parent / name
    path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    r = run_pipe("-C", str(pipe.root), "import", str(path), "--default-date", "2026-03-02", *args)
    return path, r


def test_a_delimiter_inside_quotes_does_not_count(pipe, run_pipe) -> None:
    _, r = run_import(pipe, run_pipe, 'title;"Value, EUR"\nCaffè Roma;1200\n', "--map", "value=Value, EUR")
    assert (r.returncode, r.stderr) == (0, ""), r.stderr
    assert deals(pipe)["Caffè Roma"]["value"] == "1200"


def test_a_tie_the_rows_settle_and_one_they_do_not(pipe, run_pipe) -> None:
    # header: one comma, one semicolon; only the semicolon gives every row the header's width
    _, r = run_import(pipe, run_pipe, "title;value,net\nAcme;100,50\nBeta;200\n", "--map", "value=value,net")
    assert r.returncode == 1  # 100,50 is a decimal comma: refused, not read as 10050
    _, r = run_import(pipe, run_pipe, "title;owner,x\nGamma;anna\nDelta;bob\n")
    assert (r.returncode, r.stderr) == (0, ""), r.stderr
    assert sorted(deals(pipe)) == ["Beta", "Delta", "Gamma"]
    path, r = run_import(pipe, run_pipe, "title,owner;source\nAcme,anna;fair\n", name="tie.csv")
    assert (r.returncode, r.stdout) == (2, "")
    assert r.stderr == (
        f"pipe: {path}:1: cannot tell whether the columns are separated by comma or semicolon; give --delimiter\n"
    )
    _, r = run_import(pipe, run_pipe, "title,owner;source\nAcme,anna;fair\n", "--delimiter", ",", name="tie.csv")
    assert (r.returncode, r.stderr) == (0, ""), r.stderr
    assert deals(pipe)["Acme"]["title"] == "Acme"


@pytest.mark.parametrize(("given", "sep"), [("tab", "\t"), ("|", "|"), ("semicolon", ";")])
def test_delimiter_option(pipe, run_pipe, given: str, sep: str) -> None:
    _, r = run_import(pipe, run_pipe, f"title{sep}owner\nŁódź, Sp. z o.o.{sep}Łukasz\n", "--delimiter", given)
    assert (r.returncode, r.stderr) == (0, ""), r.stderr
    assert deals(pipe)["Łódź, Sp. z o.o."]["owner"] == "Łukasz"


def test_a_wrong_delimiter_option_is_a_usage_error(pipe, run_pipe) -> None:
    _, r = run_import(pipe, run_pipe, "title\nAcme\n", "--delimiter", ";;")
    assert (r.returncode, r.stderr) == (
        2,
        "pipe: --delimiter: ';;' is not a delimiter; give one character such as ; or , or tab\n",
    )


POLISH = "title;value\nZażółć;12.000,50\nŁódź;12 000,50\nKraków;12\u00a0000,50\nGdańsk;1.000\nPoznań;7,5\n"


def test_decimal_comma_reads_amounts_as_milan_and_warsaw_write_them(pipe, run_pipe) -> None:
    _, r = run_import(pipe, run_pipe, POLISH, "--decimal-comma")
    assert (r.returncode, r.stderr) == (0, ""), r.stderr
    assert {t: d["value"] for t, d in deals(pipe).items()} == {
        "Zażółć": "12000.50",
        "Łódź": "12000.50",
        "Kraków": "12000.50",
        "Gdańsk": "1000",
        "Poznań": "7.5",
    }


def test_without_decimal_comma_such_amounts_are_refused_never_misread(pipe, run_pipe) -> None:
    before = tree_bytes(pipe.root)
    path, r = run_import(pipe, run_pipe, POLISH, "--strict")
    assert r.returncode == 1
    hint = "give --decimal-comma if the file's decimals are commas"
    assert r.stderr.splitlines() == [
        f"pipe: {path}:2: value: '12.000,50' looks like a decimal comma; {hint}, or write the value with a "
        "decimal point (12000.50)",
        f"pipe: {path}:3: value: '12 000,50' looks like a decimal comma; {hint}, or write the value with a "
        "decimal point (12000.50)",
        f"pipe: {path}:4: value: '12\\xa0000,50' looks like a decimal comma; {hint}, or write the value with a "
        "decimal point (12000.50)",
        f"pipe: {path}:5: value: '1.000' is 1000 with a point grouping thousands (Italy, Poland) and 1.000 "
        f"elsewhere; {hint}, or write 1000 or 1.00",
        f"pipe: {path}:6: value: '7,5' looks like a decimal comma; {hint}, or write the value with a decimal "
        "point (12000.50)",
    ]
    assert tree_bytes(pipe.root) == before
    # a point with other than three digits after it, or a comma grouping thousands, is no question
    _, r = run_import(pipe, run_pipe, 'title,value\nA,1.5\nB,0.125\nC,"1,000.50"\nD,12.5000\n')
    assert (r.returncode, r.stderr) == (0, ""), r.stderr
    assert {t: d["value"] for t, d in deals(pipe).items()} == {"A": "1.5", "B": "0.125", "C": "1000.50", "D": "12.5000"}


def test_decimal_comma_refuses_an_amount_written_otherwise(pipe, run_pipe) -> None:
    path, r = run_import(pipe, run_pipe, 'title;value\nA;"1,000.50"\n', "--decimal-comma")
    assert r.stderr == (
        f"pipe: {path}:2: value: '1,000.50' is not an amount with a decimal comma; write e.g. 12000,50, "
        "12.000,50 or 12 000,50\n"
    )


def test_windows_code_pages_are_named_or_refused_with_the_fix(pipe, run_pipe) -> None:
    italian = "title;company;value\nCaffè Società;Università di Bologna;1.500,00\n".encode("cp1252")
    path, r = run_import(pipe, run_pipe, italian, "--decimal-comma")
    assert (r.returncode, r.stdout) == (1, "")
    assert r.stderr == (
        f"pipe: {path}:2: not UTF-8 text; a file Excel saved as plain CSV is in the Windows code page: give "
        "--encoding cp1252 (Italy, Western Europe) or --encoding cp1250 (Poland, Central Europe), or save it "
        "as CSV UTF-8\n"
    )
    _, r = run_import(pipe, run_pipe, italian, "--decimal-comma", "--encoding", "cp1252")
    assert (r.returncode, r.stderr) == (0, ""), r.stderr
    polish = "title;owner\nZażółć gęślą jaźń;Łukasz\n".encode("cp1250")
    _, r = run_import(pipe, run_pipe, polish, "--encoding", "windows-1250", name="pl.csv")
    assert (r.returncode, r.stderr) == (0, ""), r.stderr
    got = deals(pipe)
    assert (got["Caffè Società"]["company"], got["Caffè Società"]["value"]) == ("Università di Bologna", "1500.00")
    assert got["Zażółć gęślą jaźń"]["owner"] == "Łukasz"
    _, r = run_import(pipe, run_pipe, "title\nx\n", "--encoding", "klingon", name="k.csv")
    assert (r.returncode, r.stderr) == (
        2,
        "pipe: --encoding: unknown encoding 'klingon'; e.g. utf-8, cp1252, cp1250, utf-16\n",
    )


@pytest.mark.parametrize("bom", [codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE])
def test_utf16_with_a_byte_order_mark_is_read(pipe, run_pipe, bom: bytes) -> None:
    # Excel's "Unicode text": UTF-16 with a byte order mark, tab separated, CR LF
    text = "title\towner\tvalue\r\nร้านกาแฟ\tสมชาย\t1500\r\nCaffè\tGiulia\t20\r\n"
    data = bom + text.encode("utf-16-le" if bom == codecs.BOM_UTF16_LE else "utf-16-be")
    _, r = run_import(pipe, run_pipe, data)
    assert (r.returncode, r.stderr) == (0, ""), r.stderr
    got = deals(pipe)
    assert (got["ร้านกาแฟ"]["owner"], got["ร้านกาแฟ"]["value"], got["Caffè"]["owner"]) == ("สมชาย", "1500", "Giulia")


def test_one_map_adds_to_the_presets_mappings(pipe, run_pipe) -> None:
    # a file of pipe's own columns plus one of the user's: the default preset still maps the rest
    _, r = run_import(pipe, run_pipe, "title,value,owner,Region\nAcme,100,anna,Nord\n", "--map", "extra.region=Region")
    assert (r.returncode, r.stderr) == (0, ""), r.stderr
    acme = deals(pipe)["Acme"]
    assert (acme["value"], acme["owner"], acme["region"]) == ("100", "anna", "Nord")
    # FIELD= still drops one
    _, r = run_import(pipe, run_pipe, "title,value,owner\nBeta,100,bob\n", "--map", "owner=", name="b.csv")
    assert (r.returncode, r.stderr) == (0, ""), r.stderr
    assert "owner" not in deals(pipe)["Beta"]


def test_a_row_with_cells_too_many_fails_naming_it(pipe, run_pipe) -> None:
    content = "title,value\nAcme,100,EUR\nBeta,200\nGamma,300,,\n"
    path, r = run_import(pipe, run_pipe, content)
    assert r.returncode == 1
    assert r.stderr == (
        f"pipe: {path}:2: 3 cells but the header has 2 columns; quote a cell that holds the delimiter, or name "
        "the extra column in the header\n"
    )
    assert r.stdout.endswith("2 created, 0 updated, 0 skipped, 1 failed\n")
    assert sorted(deals(pipe)) == ["Beta", "Gamma"]  # empty cells after the last column are no data


def test_pipes_own_export_comes_back_with_three_decimals(pipe, make_pipe, run_pipe) -> None:
    """pipe export writes a decimal point: 1.250 is no thousands, and a re-import keeps it, byte
    for byte; the same column named with --map is a spreadsheet of the user's, where 1.250 is
    ambiguous."""
    pipe.add("Quarter", "--value", "1.250", "--at", "2026-03-02T10:00")
    pipe.add("Grams", "--value", "12.500", "--currency", "PLN", "--at", "2026-03-02T11:00")
    first = pipe("export", "--format", "csv").stdout
    path = pipe.root.parent / "export.csv"
    path.write_text(first, encoding="utf-8")
    fresh = make_pipe(name="fresh")
    r = run_pipe("-C", str(fresh.root), "import", str(path))
    assert (r.returncode, r.stderr) == (0, ""), r.stderr
    assert {t: d["value"] for t, d in deals(fresh).items()} == {"Quarter": "1.250", "Grams": "12.500"}
    assert fresh("export", "--format", "csv").stdout == first
    other = make_pipe(name="other")
    r = run_pipe("-C", str(other.root), "import", str(path), "--map", "value=value")
    assert r.returncode == 1 and "'1.250' is 1250 with a point grouping thousands" in r.stderr


def _european(amount: Decimal, group: str, places: int) -> str:
    """``amount`` as a spreadsheet in Milan or Warsaw writes it: ``group`` between thousands, a comma
    before the decimals."""
    whole, _, frac = f"{amount:.{places}f}".partition(".")
    groups = []
    while len(whole) > 3:
        whole, groups = whole[:-3], [whole[-3:], *groups]
    text = group.join([whole, *groups])
    return f"{text},{frac}" if places else text


@settings(max_examples=400, deadline=None)
@given(
    amount=st.decimals(min_value=0, max_value=10**12, places=2, allow_nan=False, allow_infinity=False),
    group=st.sampled_from([".", " ", "\u00a0", "\u202f", ""]),
    places=st.sampled_from([0, 2]),
)
def test_an_amount_written_in_milan_or_warsaw_is_never_misread(amount: Decimal, group: str, places: int) -> None:
    """With --decimal-comma it reads as the amount; without, it reads as the same amount or
    fails its row: never 1000 times off."""
    amount = amount.quantize(Decimal(1).scaleb(-places))
    cell = _european(amount, group, places)
    assert Decimal(amount_text(cell, "value", ",")) == amount
    try:
        plain = amount_text(cell, "value")
    except RowError:
        return
    assert Decimal(plain) == amount, cell
