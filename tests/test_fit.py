"""Tables that fit: priorities, minimum widths, display width of Thai, Polish and Italian text."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from wcwidth import wcswidth

from pipecli.render.fit import FIRST_NOT_NARROW, Column, display_width, fit, fit_table, narrow, plan, truncate
from pipecli.render.terminal import Screen, decide, paint, screen_lines

COLUMNS = [
    Column("id", "id"),
    Column("title", "title", max_width=32, min_width=12),
    Column("company", "company", max_width=20, min_width=10, priority=3),
    Column("stage", "stage", priority=1, style=lambda row: "stage"),
    Column("value", "value", align="right", priority=2),
]
ROWS = [
    {"id": "zazolc-k3f9", "title": "Zażółć gęślą jaźń: wdrożenie CRM", "company": "Zażółć Sp. z o.o.",
     "stage": "qualified", "value": "12,000"},
    {"id": "rabbbanchi-x2", "title": "ระบบบัญชี สยามเทค จำกัด มหาชน", "company": "สยามเทค",
     "stage": "lead", "value": "1,500"},
    {"id": "caffe-roma-9a", "title": "Caffè Roma: più tavoli", "company": "Caffè Roma S.r.l.",
     "stage": "proposal", "value": "800"},
]  # fmt: skip


def widths(text: str) -> list[int]:
    return [wcswidth(line) for line in text.splitlines()]


def test_display_width_of_thai_polish_and_wide_characters() -> None:
    assert display_width("Zażółć") == 6
    assert display_width("ร้านกาแฟ") == 7  # the tone mark over ร takes no column
    assert display_width("東京") == 4


def test_truncate_cuts_by_display_width_and_keeps_marks_with_their_letter() -> None:
    assert truncate("Caffè Nero Torino", 8) == "Caffè N…"
    assert truncate("ร้", 1) == "ร้" and truncate("ร้x", 1) == "…"  # a mark is never cut from its letter
    assert truncate("Caffè Nero Torino", 8, ascii_only=True) == "Caffè N~"
    cut = truncate("ร้านกาแฟ เชียงใหม่", 6)
    assert wcswidth(cut) == 6 and cut == "ร้านกา…"  # the tone mark stays on its ร
    assert truncate("東京タワー", 5) == "東京…"  # a wide character never half shown
    assert truncate("short", 10) == "short"


def test_without_a_width_every_column_shows_capped_at_its_max_width() -> None:
    text = fit_table(ROWS, COLUMNS, Screen())
    assert text.splitlines()[0].split() == ["id", "title", "company", "stage", "value"]
    assert "Zażółć gęślą jaźń: wdrożenie CRM" in text  # 32 columns: not cut
    assert max(widths(text)) > 80


@pytest.mark.parametrize("width", [60, 80, 100, 160])
def test_every_line_fits_the_width(width: int) -> None:
    text = fit_table(ROWS, COLUMNS, Screen(width=width))
    assert max(widths(text)) <= width
    assert all(line == line.rstrip() for line in text.splitlines())


def test_the_least_useful_columns_give_way_first() -> None:
    assert fit_table(ROWS, COLUMNS, Screen(width=160)).splitlines()[0].split() == [
        "id",
        "title",
        "company",
        "stage",
        "value",
    ]
    # company (priority 3) goes first, then value (2), then stage (1); id and title stay
    assert fit_table(ROWS, COLUMNS, Screen(width=50)).splitlines()[0].split() == ["id", "title", "stage", "value"]
    assert fit_table(ROWS, COLUMNS, Screen(width=40)).splitlines()[0].split() == ["id", "title", "stage"]
    assert fit_table(ROWS, COLUMNS, Screen(width=28)).splitlines()[0].split() == ["id", "title"]


def test_room_left_goes_to_the_most_shortened_column() -> None:
    natural = [13, 32, 17, 9, 6]  # ROWS: ids of 13, the 32-column cap of title, ...
    # at their minimum widths all five need 13 + 12 + 10 + 9 + 6 + 4 gaps of 2 = 58
    assert plan(COLUMNS, natural, 58) == [13, 12, 10, 9, 6]
    # 6 more: all to title, which is cut the most (20 short of its 32, company 7 of its 17)
    assert plan(COLUMNS, natural, 64) == [13, 18, 10, 9, 6]
    # 22 more: title until it is as short as company, then one each in turn
    assert plan(COLUMNS, natural, 80) == [13, 30, 14, 9, 6]
    # 50: company goes (58 > 50); the 4 left over widen title
    assert plan(COLUMNS, natural, 50) == [13, 16, None, 9, 6]
    assert plan(COLUMNS, natural, None) == natural


def test_wide_shows_everything_uncut() -> None:
    long = [{**ROWS[0], "title": "A title much longer than thirty-two columns, in full"}]
    text = fit_table(long, COLUMNS, Screen(width=40, wide=True))
    assert "A title much longer than thirty-two columns, in full" in text
    assert text.splitlines()[0].split() == ["id", "title", "company", "stage", "value"]


def test_essential_columns_stay_even_when_they_overflow() -> None:
    text = fit_table(ROWS, COLUMNS, Screen(width=10))
    assert text.splitlines()[0].split() == ["id", "title"]
    assert "zazolc-k3f9" in text  # an id is never cut


def test_colour_wraps_the_text_not_the_padding() -> None:
    text = fit_table(ROWS, COLUMNS, Screen(width=80, color=True))
    line = text.splitlines()[2]
    assert "\x1b[36mqualified\x1b[0m" in line
    plain = fit_table(ROWS, COLUMNS, Screen(width=80))
    assert [wcswidth(s) for s in plain.splitlines()] == [
        wcswidth(s.replace("\x1b[36m", "").replace("\x1b[0m", "")) for s in text.splitlines()
    ]
    assert paint("x", "stage", Screen()) == "x"


def test_multi_line_cells_are_aligned_line_by_line() -> None:
    cols = [Column("k", "total"), Column("v", "value", align="right")]
    text = fit(cols, [["won value", "122,400 EUR\n25,800 GBP"], ["deals", "40"]])
    assert text.splitlines() == [
        "total            value",
        "---------  -----------",
        "won value  122,400 EUR",
        "            25,800 GBP",
        "deals               40",
    ]


TEXT = st.text(alphabet=st.sampled_from([*"abcząęółżźćń ", "ร", "้", "า", "น", "ก", "แ", "ฟ", "東", "è"]), max_size=40)


@settings(max_examples=200, deadline=None)
@given(titles=st.lists(TEXT, min_size=1, max_size=5), width=st.integers(min_value=30, max_value=200))
def test_any_text_fits_any_width_that_holds_the_essentials(titles: list[str], width: int) -> None:
    rows = [{**ROWS[i % 3], "title": t} for i, t in enumerate(titles)]
    text = fit_table(rows, COLUMNS, Screen(width=width))
    assert max(widths(text)) <= width
    lines = text.splitlines()
    assert len(lines) == 2 + len(rows)


def test_decide_width_colour_and_pager_for_a_file() -> None:
    class File:
        encoding = "utf-8"

        def isatty(self) -> bool:
            return False

    screen = decide(File(), term="xterm")
    assert (screen.width, screen.color, screen.pager) == (None, False, None)
    assert decide(File(), columns=80).width == 80  # COLUMNS asks for a width, terminal or not
    assert decide(File(), color="always").color is True
    assert decide(File(), wide=True).wide is True


def test_screen_lines_counts_wrapped_lines() -> None:
    assert screen_lines("a\nb\n", 80) == 2
    assert screen_lines("x" * 170 + "\n", 80) == 3
    assert screen_lines("\x1b[36m" + "x" * 80 + "\x1b[0m\n", 80) == 1


@settings(max_examples=300)
@given(st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=20) | st.text(max_size=20))
def test_display_width_is_what_wcwidth_counts(text: str) -> None:
    """Printable ASCII is counted by its length without asking wcwidth: the same number it gives."""
    from wcwidth import wcwidth

    expected = wcswidth(text)
    if expected < 0:  # a control character: counted as nothing
        expected = sum(max(wcwidth(ch), 0) for ch in text)
    assert display_width(text) == expected


def test_every_printable_character_before_the_combining_marks_takes_one_column() -> None:
    """What ``narrow`` rests on, asked of wcwidth for each such character: Latin letters of
    Italian and Polish among them. Thai and combining marks are not narrow."""
    from wcwidth import wcwidth

    chars = [chr(c) for c in range(0x20, ord(FIRST_NOT_NARROW)) if chr(c).isprintable()]
    assert len(chars) == 0x300 - 0x20 - 35  # DEL, the C1 controls, the no-break space and the soft hyphen are not
    assert [wcwidth(ch) for ch in chars] == [1] * len(chars)
    assert all(narrow(ch) and display_width(ch) == 1 for ch in chars)
    assert narrow("Zażółć gęślą jaźń: Caffè più") and display_width("Zażółć gęślą jaźń") == 17
    assert not narrow("ร้านกาแฟ") and display_width("ร้านกาแฟ") == 7
    assert not narrow("e\u0301") and display_width("e\u0301") == 1
    assert not narrow("soft\u00adhyphen") and not narrow("tab\there") and narrow("")


def test_a_cell_cut_and_padded_in_every_alignment() -> None:
    columns = [
        Column("a", "a", max_width=6, align="right"),
        Column("b", "b", max_width=7, align="center"),
        Column("c", "c"),
    ]
    rows = [{"a": "Zażółć gęślą", "b": "ab", "c": "x"}, {"a": "12", "b": "ร้านกาแฟ ok", "c": "tab\there"}]
    out = fit_table(rows, columns, Screen(width=None, unicode=True))
    assert out.splitlines() == [
        "     a     b     c",
        "------  -------  -------",
        "Zażół…    ab     x",
        "    12  ร้านกาแ…  tab\there",
    ]


ASCII_CELL = st.text(alphabet=st.sampled_from([*"ab Z9-,.~"]), max_size=30)
LATIN_CELL = st.text(alphabet=st.sampled_from([*"ab Z9-,.àèéìòùÈąęłżźśćńóŁŻ\u00a0ÿ\u02ff"]), max_size=30)
ANY_CELL = ASCII_CELL | LATIN_CELL | TEXT | st.lists(ASCII_CELL, min_size=2, max_size=3).map("\n".join)


@settings(max_examples=300, deadline=None)
@given(
    aligns=st.lists(st.sampled_from([None, "left", "right", "center"]), min_size=1, max_size=5),
    caps=st.lists(st.none() | st.integers(min_value=1, max_value=12), min_size=5, max_size=5),
    rows=st.lists(st.lists(ANY_CELL, min_size=5, max_size=5), min_size=1, max_size=6),
    width=st.none() | st.integers(min_value=10, max_value=120),
)
def test_each_ascii_cell_sits_in_its_column_cut_and_aligned(
    aligns: list[str | None], caps: list[int | None], rows: list[list[str]], width: int | None
) -> None:
    """Rows of plain ASCII or Italian and Polish letters, and rows of Thai or several lines, in
    one table: every one-line cell of such letters shows at its column's place, cut to the
    column's width with "…" and padded as the column aligns it; other rows keep their display
    widths."""
    columns = [Column(f"c{j}", f"h{j}", max_width=caps[j], align=a, min_width=3) for j, a in enumerate(aligns)]
    cells = [row[: len(columns)] for row in rows]
    lines = fit(columns, cells, Screen(width=width)).splitlines()
    natural = [
        max(len(c.header), *(min(display_width(x), c.max_width or 10**9) for r in cells for x in r[j].split("\n")))
        for j, c in enumerate(columns)
    ]
    shown = plan(columns, natural, width)
    starts, at = {}, 0
    for j, w in enumerate(shown):
        if w is not None:
            starts[j] = at
            at += w + 2
    k = 2  # after the header and the rule
    for row in cells:
        if not all(c.isprintable() and all(ch < FIRST_NOT_NARROW for ch in c) for c in row):
            height = max([1] + [len(row[j].split("\n")) for j in starts])
            assert all(display_width(x) <= at for x in lines[k : k + height])
            k += height
            continue
        line = lines[k].ljust(at)
        for j, start in starts.items():
            w = shown[j] or 0
            expected = truncate(row[j], w)
            got = line[start : start + w]
            assert display_width(got) == w
            if aligns[j] == "right":
                assert got == expected.rjust(w)
            elif aligns[j] == "center":
                room = w - display_width(expected)
                assert got == " " * (room // 2) + expected + " " * (room - room // 2)
            else:
                assert got == expected + " " * (w - display_width(expected))
        k += 1
    assert k == len(lines)
