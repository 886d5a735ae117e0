"""`pipe report --format html` and `pipe stale --format html`: one page, every figure as in the JSON.

The page is read back with Python's own HTML parser, as a browser would read it:
each table's cells as text, the totals and tiles by their key, the funnel's bars by
their width. Every figure is compared with `--format json` of the same command.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal
from html.parser import HTMLParser
from pathlib import Path
from typing import Any, ClassVar

import pytest
from conftest import PIPE_SCRIPT
from hypothesis import given
from hypothesis import strategies as st
from terminal_helpers import DEMO
from test_no_traceback import HOSTILE as HOSTILE_SETTINGS
from test_no_traceback import assert_clean, words, yaml_texts

from pipecli.render.html import FUNNEL_BAR, _page, esc

AS_OF = "2026-11-20"
TAGS = {  # every element a page may hold; nothing that loads or runs anything
    "html", "head", "meta", "title", "style", "body", "main", "header", "footer", "section", "h1", "h2", "h3",
    "p", "time", "div", "span", "table", "thead", "tbody", "tr", "th", "td", "br", "svg", "text", "rect",
}  # fmt: skip


@dataclass
class Page:
    tags: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    tables: dict[str, list[list[str]]] = field(default_factory=dict)  # id -> rows of cell texts (header first)
    keyed: dict[str, dict[str, str]] = field(default_factory=dict)  # "tile"/"row" -> data-key -> text
    by_id: dict[str, str] = field(default_factory=dict)  # text of the elements with an id (as-of, filters)
    bars: list[tuple[int, float]] = field(default_factory=list)  # the funnel's (count, width)
    text: str = ""


class _Reader(HTMLParser):
    VOID: ClassVar[set[str]] = {"meta", "br", "rect"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.page = Page()
        self.stack: list[tuple[str, dict[str, str], list[str]]] = []  # tag, attributes, text inside
        self.table: str | None = None
        self.row: list[str] | None = None
        self.cell: list[str] | None = None
        self.chunks: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        self.page.tags.append((tag, a))
        if tag == "br":
            self._text("\n")
            return
        if tag == "rect" and "funnel-bar" in a.get("class", ""):
            self.page.bars.append((int(a["data-count"]), float(a["width"])))
        if tag == "table":
            self.table = a["id"]
            self.page.tables[self.table] = []
        elif tag == "tr" and self.table:
            self.row = []
        elif tag in ("td", "th") and self.row is not None:
            self.cell = []
        if tag not in self.VOID:
            self.stack.append((tag, a, []))

    def handle_endtag(self, tag: str) -> None:
        if tag in self.VOID:
            return
        open_tag, a, inside = self.stack.pop()
        assert open_tag == tag, (open_tag, tag)  # well nested
        text = "".join(inside).strip()
        if tag in ("td", "th") and self.row is not None and self.cell is not None:
            self.row.append("".join(self.cell).strip())
            self.cell = None
        elif tag == "tr" and self.row is not None and self.table:
            self.page.tables[self.table].append(self.row)
            if "data-key" in a:
                self.page.keyed.setdefault("row", {})[a["data-key"]] = self.row[1]
            self.row = None
        elif tag == "table":
            self.table = None
        if "data-key" in a and "tile" in a.get("class", ""):
            self.page.keyed.setdefault("tile", {})[a["data-key"]] = text.split("\n", 1)[1] if "\n" in text else ""
        if "id" in a:
            self.page.by_id[a["id"]] = text
        if self.stack:
            self.stack[-1][2].append("".join(inside) + ("\n" if tag == "div" else ""))

    def handle_data(self, data: str) -> None:
        if self.stack and self.stack[-1][0] in ("style", "title"):
            return
        self._text(data)

    def _text(self, data: str) -> None:
        self.chunks.append(data)
        if self.cell is not None:
            self.cell.append(data)
        if self.stack:
            self.stack[-1][2].append(data)


def read_page(text: str) -> Page:
    reader = _Reader()
    reader.feed(text)
    reader.close()
    assert not reader.stack, "every element is closed"
    reader.page.text = "".join(reader.chunks)
    return reader.page


# -- figures as shown, and as the JSON has them ---------------------------------------------------------
def money_of(text: str) -> dict[str, Decimal]:
    if text == "-":
        return {}
    out = {}
    for line in text.split("\n"):
        amount, currency = line.strip().rsplit(" ", 1)
        out[currency] = Decimal(amount.replace(",", ""))
    return out


def same_money(shown: str, data: dict[str, Any]) -> bool:
    return money_of(shown) == {c: Decimal(str(v)) for c, v in data.items()}


def same_rate(shown: str, rate: float | None) -> bool:
    if rate is None:
        return shown == "-"
    return shown.endswith("%") and abs(int(shown[:-1]) - rate * 100) <= 0.5


def same_days(shown: str, days: float | None) -> bool:
    if days is None:
        return shown == "-"
    return abs(float(shown) - days) <= 0.05 + 1e-9  # shown to one decimal, stored to two: 299.55 is "299.6"


def same(shown: str, value: Any) -> bool:
    """A figure as the page shows it is the JSON's value: a count, a rate, days or money."""
    if isinstance(value, dict):
        return same_money(shown, value)
    if isinstance(value, bool) or value is None:
        return shown == "-"
    if isinstance(value, int):
        return shown == str(value)
    if isinstance(value, float) and shown.endswith("%"):
        return same_rate(shown, value)
    return same_days(shown, value)


RATES = {"win_rate"}


def check_totals(page: Page, totals: dict[str, Any]) -> None:
    rows = page.keyed["row"]
    assert set(rows) == set(totals)  # every total is on the page, and nothing else
    for key, value in totals.items():
        shown = rows[key]
        if key in RATES:
            assert same_rate(shown, value), (key, shown, value)
        else:
            assert same(shown, value), (key, shown, value)
    for key, shown in page.keyed["tile"].items():
        assert shown == rows[key], key


def body(page: Page, table: str) -> list[list[str]]:
    return page.tables[table][1:]


def check_funnel(rows: list[list[str]], funnel: list[dict[str, Any]], strict: bool = False) -> None:
    assert [r[0] for r in rows] == [s["label"] for s in funnel]
    for r, s in zip(rows, funnel, strict=True):
        assert r[1] == str(s["reached"]) and r[2] == str(s["advanced"]), (r, s)
        assert same_rate(r[3], s["conversion"]) and same_rate(r[4], s["cumulative_conversion"]), (r, s)
        assert same_rate(r[5], s["win_from_stage"]) and r[6] == str(s["lost"]), (r, s)
        assert same_rate(r[7], s["drop_off"]) and r[8] == str(s["open"]), (r, s)
        if strict:
            assert r[9] == str(s["skipped"])


def check_report(page: Page, data: dict[str, Any]) -> None:
    assert page.by_id["as-of"] == data["as_of"]
    check_totals(page, data["totals"])
    funnel = data["funnel"]
    check_funnel(body(page, "funnel"), funnel, data["filters"]["strict"])
    # the bars: proportional to the deals that reached each stage, then the won ones
    top = max([s["reached"] for s in funnel] + [funnel[-1]["advanced"]])
    assert [c for c, _ in page.bars] == [s["reached"] for s in funnel] + [funnel[-1]["advanced"]]
    for count, width in page.bars:
        assert abs(width - (count / top * FUNNEL_BAR if top else 0)) < 0.01
    for r, s in zip(body(page, "value"), funnel, strict=True):
        assert r[0] == s["label"]
        for shown, key in zip(r[1:], ("reached_value", "advanced_value", "lost_value", "open_value"), strict=True):
            assert same_money(shown, s[key]), (s["stage"], key, shown, s[key])
    for r, s in zip(body(page, "time"), funnel, strict=True):
        assert r[0] == s["label"] and r[1] == ""  # the bar has no text
        if s["time_in_stage_all_median_days"] is None and s["time_in_stage_all_median_above_days"] is not None:
            assert r[2].startswith(">") and same_days(r[2][1:], s["time_in_stage_all_median_above_days"])
        else:
            assert same_days(r[2], s["time_in_stage_all_median_days"]), (r, s)
        assert r[3] == str(s["open_now"]) and r[4] == str(s["time_in_stage_finished_deals"])
        assert same_days(r[5], s["time_in_stage_finished_median_days"])
        assert same_days(r[6], s["time_in_stage_finished_mean_days"])
        assert same_days(r[7], s["open_age_median_days"])
    for r, s in zip(body(page, "lost"), funnel, strict=True):
        assert r[0] == s["label"] and r[1] == str(s["lost"]) and r[2] == str(s["lost_here"])
        assert same_money(r[3], s["lost_here_value"])
    names = {"past": "past (overdue)", "none": "no close date"}
    forecast = body(page, "forecast")
    assert len(forecast) == len(data["forecast"])
    for r, b in zip(forecast, data["forecast"], strict=True):
        assert r[0] == (b["month"] or names[b["kind"]]) and r[2] == str(b["deals"])
        assert same_money(r[3], b["value"]) and same_money(r[4], b["weighted_value"])
    if data["lost_reasons"]:
        for r, x in zip(body(page, "reasons"), data["lost_reasons"], strict=True):
            assert r[0] == (x["reason"] or "(no reason)") and r[2] == str(x["deals"]) and same_money(r[3], x["value"])
        assert len(body(page, "reasons")) == len(data["lost_reasons"])
    else:
        assert "reasons" not in page.tables
    velocity = body(page, "velocity")
    assert len(velocity) == len(data["velocity"])
    for r, v in zip(velocity, data["velocity"], strict=True):
        assert r[0] == v["currency"] and r[1] == str(v["open"]) and same_rate(r[2], v["win_rate"])
        for shown, key in ((r[3], "average_won_value"), (r[5], "per_day"), (r[6], "per_day_mean_cycle")):
            assert shown == "-" if v[key] is None else Decimal(shown.replace(",", "")) == Decimal(str(v[key]))
        assert same_days(r[4], v["median_days_to_win"])
    if "groups" in data:
        groups = body(page, "groups")
        assert [r[0] for r in groups] == [g["key"] or "(none)" for g in data["groups"]]
        for i, (r, g) in enumerate(zip(groups, data["groups"], strict=True)):
            t = g["totals"]
            assert r[1:6] == [str(t["deals"]), str(t["open"]), str(t["won"]), str(t["lost"]), r[5]]
            assert same_rate(r[5], t["win_rate"]) and same_money(r[6], t["won_value"])
            assert same_money(r[7], t["open_value"])
            assert same_money(r[8], t["weighted_value"]) and same_money(r[9], t["lost_value"])
            assert same_days(r[10], t["median_cycle_days"])
            assert r[11:13] == [str(t["stale"]), str(t["overdue_next_steps"])]
            assert same_days(r[13], t["first_touch_median_hours"]) and same_days(r[14], t["first_touch_mean_hours"])
            assert same_rate(r[15], t["first_touch_within_rate"]) and r[16] == str(t["untouched"])
            check_funnel(body(page, f"group-{i}-funnel"), g["funnel"], data["filters"]["strict"])
    else:
        assert "groups" not in page.tables
    if "calibration" in data:
        check_calibration(body(page, "calibration"), data["calibration"])
        for i, g in enumerate(data.get("groups", [])):
            check_calibration(body(page, f"group-{i}-calibration"), g["calibration"])
    else:
        assert "calibration" not in page.tables
    if "rates_used" in data:
        for r in data["rates_used"]:
            assert f"{r['date']} {r['from']} {r['to']} " in page.by_id["rates"]
    else:
        assert "rates" not in page.by_id


VERDICTS = {"ok": "ok", "low": "too low", "high": "too high", "too_few": "too few"}


def check_calibration(rows: list[list[str]], calibration: list[dict[str, Any]]) -> None:
    assert [r[0] for r in rows] == [c["label"] for c in calibration]
    for r, c in zip(rows, calibration, strict=True):
        assert same_rate(r[1], c["probability"]) and same_rate(r[2], c["observed"]), (r, c)
        assert r[3] == str(c["closed"]) and r[5] == VERDICTS[c["verdict"]], (r, c)
        if c["low"] is None:
            assert r[4] == "-"
        else:
            low, high = r[4].split("-")
            assert same_rate(low, c["low"]) and same_rate(high, c["high"]), (r, c)


def check_stale_rows(rows: list[list[str]], listed: list[dict[str, Any]]) -> None:
    """Rows of a stale table against `pipe stale --format json`: the same deals, in the same order."""
    assert [r[0] for r in rows] == [x["id"] for x in listed]
    for r, x in zip(rows, listed, strict=True):
        assert r[1:5] == [x["title"], x["company"] or "", x["owner"] or "", x["stage"]], (r, x)
        idle, limit = r[5].split(" ")
        assert limit == f"({x['stale_after']})"
        assert idle == (f"{x['idle_days']}d" if x["idle_hours"] >= 48 else f"{int(x['idle_hours'])}h"), (r, x)
        assert (money_of(r[6]) if r[6] else {}) == (
            {x["currency"]: Decimal(str(x["value"]))} if x["value"] is not None else {}
        )
        assert r[7] == (x["next_step"] or "") and r[8] == (x["next_due"] or "")
        reasons = {"overdue": f"overdue {x['overdue_days']}d", "not touched": f"not touched within {x['stale_after']}"}
        assert r[9] == reasons.get(x["reason"], x["reason"])


def assert_self_contained(text: str, page: Page) -> None:
    assert text.isascii()  # any mailer, any locale: the rest as character references
    assert {t for t, _ in page.tags} <= TAGS
    assert "<script" not in text.lower() and "javascript:" not in text.lower()
    assert not re.search(r"(https?:|ftp:|//[a-z0-9])", text, re.I), re.search(r".{40}(https?:|//).{40}", text)
    for _, attrs in page.tags:
        assert not {"src", "href", "srcset", "action", "background"} & set(attrs)
        assert not any(k.startswith("on") for k in attrs)
    assert "url(" not in text and "@import" not in text


def report_of(run_pipe: Any, *args: str) -> tuple[str, Page, dict[str, Any]]:
    r = run_pipe(*args, "--format", "html")
    assert r.returncode == 0, r.stderr
    j = run_pipe(*args, "--format", "json")
    return r.stdout, read_page(r.stdout), json.loads(j.stdout)


# -- the report ---------------------------------------------------------------------------------------
def test_the_demo_report_page_shows_every_figure_of_the_json(run_pipe: Any) -> None:
    text, page, data = report_of(run_pipe, "-C", str(DEMO), "report", "--as-of", AS_OF)
    assert_self_contained(text, page)
    check_report(page, data)
    assert page.by_id["filters"] == "Filters: none: every deal"
    h1 = next(i for i, (t, _) in enumerate(page.tags) if t == "h1")
    assert h1 < min(i for i, (t, _) in enumerate(page.tags) if t == "table")  # as-of and filters at the top
    # the stale list: what `pipe stale` lists that day, in its order
    stale = json.loads(run_pipe("-C", str(DEMO), "stale", "--as-of", AS_OF, "--format", "json").stdout)
    assert len(stale) == data["totals"]["stale"] == 16
    check_stale_rows(body(page, "stale"), stale)
    # Thai, Polish and Italian text arrives whole, as character references
    assert "ระบบบัญชี สยามเทค" in page.text and "Zażółć" in page.text and "Sant'Orsola" in page.text
    for title in ("Funnel", "Value by stage", "Time in stage (days)", "Forecast by expected close month"):
        assert title in page.text
    assert "Lost reasons" in page.text and "Stale deals" in page.text


def test_filters_groups_and_strict_are_on_the_page(run_pipe: Any) -> None:
    args = ["-C", str(DEMO), "report", "--as-of", AS_OF, "--since", "2026-03-01", "--by", "owner", "--strict"]
    _, page, data = report_of(run_pipe, *args)
    check_report(page, data)
    assert page.by_id["filters"] == "Filters: created 2026-03-01 to ...; by owner; strict funnel"
    assert len(body(page, "groups")) == len(data["groups"]) > 1
    _, page, data = report_of(run_pipe, "-C", str(DEMO), "report", "--as-of", AS_OF, "--owner", "giulia")
    check_report(page, data)
    assert page.by_id["filters"] == "Filters: owner giulia"
    assert {r[3] for r in body(page, "stale")} == {"giulia"}


def test_calibration_and_one_currency_are_on_the_page(run_pipe: Any) -> None:
    args = ["-C", str(DEMO), "report", "--as-of", AS_OF, "--by", "owner", "--calibration", "--currency", "EUR"]
    _, page, data = report_of(run_pipe, *args)
    check_report(page, data)
    assert len(body(page, "calibration")) == len(data["calibration"]) == 5
    assert len(data["rates_used"]) >= 4
    assert all(set(t["won_value"]) <= {"EUR"} for t in [data["totals"], *(g["totals"] for g in data["groups"])])


@pytest.mark.parametrize(("day", "deals"), [("2026-05-25", 4), ("2026-04-01", 0)])
def test_a_day_with_nothing_lost_yet_or_no_deal_at_all(run_pipe: Any, day: str, deals: int) -> None:
    _, page, data = report_of(run_pipe, "-C", str(DEMO), "report", "--as-of", day)
    assert data["totals"]["deals"] == deals and data["totals"]["lost"] == 0
    check_report(page, data)
    assert page.by_id["as-of"] == day
    assert "No deal was lost." in page.text


HOSTILE = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "Tom & Jerry's <b>bold</b> </table></section>",
    "<!-- a comment --> <style>body{display:none}</style>",
    "evil\x1b[31m]]>\x00",
]


@pytest.fixture
def hostile(pipe: Any) -> Any:
    """Deals whose every text is markup: titles, company, owner, lost reason, next step, a stage label."""
    path = pipe.root / "pipeline.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("label: Lead", "label: \"<i>Lead</i> & 'co'\"", 1), encoding="utf-8")
    for i, title in enumerate(HOSTILE[:3]):
        pipe("add", title, "--id", f"h{i}", "--company", HOSTILE[(i + 1) % 3], "--owner", HOSTILE[(i + 2) % 3],
             "--value", "1000", "--at", "2026-03-01")  # fmt: skip
    pipe("next", "h1", HOSTILE[0], "--due", "2026-03-05", "--at", "2026-03-02")
    pipe("lost", "h2", "--reason", HOSTILE[1], "--at", "2026-03-03")
    pipe("add", "plain", "--id", "h3", "--at", "2026-03-01")
    deal = pipe.root / "deals" / "h3.yaml"
    deal.write_text(
        deal.read_text(encoding="utf-8").replace("title: plain", 'title: "' + HOSTILE[3] + ' evil\\e[31m]]>"'),
        encoding="utf-8",
    )
    return pipe


def test_user_text_is_escaped_and_shown_as_text(hostile: Any, run_pipe: Any) -> None:
    for command in ("report", "stale"):
        r = run_pipe("-C", str(hostile.root), command, "--as-of", "2026-03-20", "--format", "html")
        assert r.returncode == 0, r.stderr
        page = read_page(r.stdout)
        assert_self_contained(r.stdout, page)
        for text in HOSTILE[:4]:
            assert text in page.text, (command, text)  # shown, as text
        assert "evil?[31m]]>" in page.text  # a control character as ?, never sent on
        assert not {"img", "script", "b", "i"} & {t for t, _ in page.tags}
    report = read_page(run_pipe("-C", str(hostile.root), "report", "--as-of", "2026-03-20", "--format", "html").stdout)
    assert body(report, "funnel")[0][0] == "<i>Lead</i> & 'co'"
    assert body(report, "reasons")[0][0] == HOSTILE[1]
    assert report.text.count("<i>Lead</i> & 'co'") == 5  # the funnel's bar and four tables, as text
    stale = read_page(run_pipe("-C", str(hostile.root), "stale", "--as-of", "2026-03-20", "--format", "html").stdout)
    rows = [r for t, rs in stale.tables.items() for r in rs[1:]]
    assert {r[1] for r in rows} >= {HOSTILE[0], HOSTILE[1]}
    assert any(r[7] == HOSTILE[0] for r in rows)  # the next step


# -- the stale list -----------------------------------------------------------------------------------
def test_the_stale_page_lists_what_the_json_lists_grouped_by_owner(run_pipe: Any) -> None:
    for args in ([], ["--owner", "sarah"], ["--stage", "proposal", "--min-idle", "2d"]):
        common = ["-C", str(DEMO), "stale", "--as-of", AS_OF, *args]
        r = run_pipe(*common, "--format", "html")
        assert r.returncode == 0, r.stderr
        page = read_page(r.stdout)
        assert_self_contained(r.stdout, page)
        listed = json.loads(run_pipe(*common, "--format", "json").stdout)
        assert page.by_id["as-of"] == AS_OF
        owners = sorted({x["owner"] for x in listed})
        rows = [row for i in range(len(owners)) for row in body(page, f"stale-{i}")]
        order = {x["id"]: n for n, x in enumerate(listed)}
        check_stale_rows(sorted(rows, key=lambda r: order[r[0]]), listed)
        for i in range(len(owners)):  # each table is one owner's, in the list's order
            ids = [r[0] for r in body(page, f"stale-{i}")]
            assert ids == sorted(ids, key=order.__getitem__) and len({r[3] for r in body(page, f"stale-{i}")}) == 1
        email = run_pipe(*common, "--format", "email").stdout.splitlines()
        assert page.by_id["summary"] == email[0]
    assert page.by_id["filters"] == "Filters: stage proposal; idle at least 2d"


def test_no_stale_deal_prints_nothing_so_cron_mails_only_news(pipe: Any, run_pipe: Any) -> None:
    pipe("add", "Fresh", "--id", "fresh", "--at", "2026-03-19T10:00")
    pipe("next", "fresh", "Call", "--due", "2026-03-25", "--at", "2026-03-19T10:00")
    r = run_pipe("-C", str(pipe.root), "stale", "--as-of", "2026-03-20", "--format", "html")
    assert r.returncode == 0 and r.stdout == "" and r.stderr == ""
    r = run_pipe("-C", str(pipe.root), "stale", "--as-of", "2026-04-20", "--format", "html")
    assert "Fresh" in read_page(r.stdout).text  # overdue by then
    # the report's page says it in words
    page = read_page(run_pipe("-C", str(pipe.root), "report", "--as-of", "2026-03-20", "--format", "html").stdout)
    assert "No deal is stale." in page.text and "stale" not in page.tables


def test_a_page_per_owner_and_into_a_file(run_pipe: Any, tmp_path: Path) -> None:
    out = tmp_path / "lists"
    r = run_pipe("-C", str(DEMO), "stale", "--as-of", AS_OF, "--format", "html", "--by-owner-dir", str(out))
    assert r.returncode == 0, r.stderr
    listed = json.loads(run_pipe("-C", str(DEMO), "stale", "--as-of", AS_OF, "--format", "json").stdout)
    files = sorted(p.name for p in out.glob("*.html"))
    assert files == sorted(f"{o}.html" for o in {x["owner"] for x in listed})
    sarah = read_page((out / "sarah.html").read_text(encoding="ascii"))
    check_stale_rows(body(sarah, "stale-0"), [x for x in listed if x["owner"] == "sarah"])
    report = tmp_path / "report.html"
    r = run_pipe("-C", str(DEMO), "report", "--as-of", AS_OF, "--format", "html", "--output", str(report))
    assert r.returncode == 0 and r.stdout == ""
    printed = run_pipe("-C", str(DEMO), "report", "--as-of", AS_OF, "-f", "html").stdout
    assert report.read_text(encoding="ascii") == printed


def test_an_ascii_only_output_still_gets_the_whole_page(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONIOENCODING": "ascii"}
    r = subprocess.run(
        [str(PIPE_SCRIPT), "-C", str(DEMO), "report", "--as-of", AS_OF, "--format", "html"],
        capture_output=True,
        env=env,
        timeout=60,
    )
    assert r.returncode == 0, r.stderr
    assert "ระบบบัญชี" in read_page(r.stdout.decode("ascii")).text


def test_html_is_offered_by_report_and_stale_only(run_pipe: Any) -> None:
    for command in ("report", "stale"):
        help_text = " ".join(run_pipe(command, "--help").stdout.split())
        assert re.search(r"Output format: [a-z, ]+ or html\.", help_text), command
    r = run_pipe("-C", str(DEMO), "list", "--format", "html")
    assert r.returncode == 2
    assert "html is for `pipe report`" in r.stderr and r.stderr.count("\n") == 1


# -- the cron recipes of docs/cron.md, run as cron would --------------------------------------------------
def cron_commands(title: str) -> list[str]:
    """The commands (after the five time fields) of the crontab lines under a heading of docs/cron.md."""
    doc = (DEMO.parent.parent / "docs" / "cron.md").read_text(encoding="utf-8")
    section = doc.split(f"### {title}", 1)[1].split("\n## ", 1)[0].split("\n### ", 1)[0]
    lines = [line for block in re.findall(r"```crontab\n(.*?)```", section, re.S) for line in block.splitlines()]
    return [line.split(None, 5)[5] for line in lines if re.match(r"^[0-9*]", line)]


def run_cron(command: str, tmp_path: Path, mailer: str) -> subprocess.CompletedProcess[str]:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    fake = bin_dir / mailer
    fake.write_text(f'#!/bin/sh\nprintf "%s\\n" "$@" > {tmp_path}/args\ncat > {tmp_path}/mail\n', encoding="utf-8")
    fake.chmod(0o755)
    command = command.replace("/srv/sales", str(DEMO)).replace("/var/tmp", str(tmp_path))
    command = command.replace("/var/www/html", str(tmp_path / "www")).replace("/usr/sbin/sendmail", str(fake))
    command = command.replace("report --format html", "report --as-of 2026-11-20 --format html")
    command = command.replace("stale --format html", "stale --as-of 2026-11-20 --format html")
    path = f"{bin_dir}:{PIPE_SCRIPT.parent}:/usr/bin:/bin"
    return subprocess.run(
        ["env", "-i", f"PATH={path}", "sh", "-c", command], capture_output=True, text=True, stdin=subprocess.DEVNULL
    )


def test_the_monday_mail_lines_send_the_page_as_html(tmp_path: Path, run_pipe: Any) -> None:
    page = run_pipe("-C", str(DEMO), "report", "--as-of", "2026-11-20", "--format", "html").stdout
    mail_line, sendmail_line = cron_commands("Mail the HTML report every Monday at 7:00")
    r = run_cron(mail_line, tmp_path, "mail")
    assert r.returncode == 0, r.stderr
    args = (tmp_path / "args").read_text(encoding="utf-8").splitlines()
    assert args[:2] == ["-a", "Content-Type: text/html; charset=UTF-8"] and args[-1] == "sales@example.com"
    assert (tmp_path / "mail").read_text(encoding="utf-8") == page
    r = run_cron(sendmail_line, tmp_path, "sendmail")
    assert r.returncode == 0, r.stderr
    head, body_text = (tmp_path / "mail").read_text(encoding="utf-8").split("\n\n", 1)
    assert "Content-Type: text/html; charset=UTF-8" in head.splitlines() and "To: sales@example.com" in head
    assert body_text == page


def test_the_web_folder_line_writes_the_pages(tmp_path: Path, run_pipe: Any) -> None:
    (line,) = cron_commands("Write the HTML report to a folder a web server serves")
    folder = tmp_path / "www" / "pipeline"
    folder.mkdir(parents=True)  # the web server's folder
    r = run_cron(line, tmp_path, "unused")
    assert r.returncode == 0, r.stderr
    page = run_pipe("-C", str(DEMO), "report", "--as-of", "2026-11-20", "--format", "html").stdout
    assert (folder / "index.html").read_text(encoding="ascii") == page
    assert {p.name for p in (folder / "stale").glob("*.html")} == {
        "giulia.html",
        "marek.html",
        "sarah.html",
        "somchai.html",
    }


# -- any text is text --------------------------------------------------------------------------------------
def _noncharacter(ch: str) -> bool:
    """Unicode's 66 noncharacters, by their definition (``unicodedata`` has no property for them)."""
    return ch in {chr(c) for c in range(0xFDD0, 0xFDF0)} | {
        chr(p * 0x10000 + e) for p in range(17) for e in (0xFFFE, 0xFFFF)
    }


@pytest.mark.parametrize("text", ["\ufdd0", "Zamówienie \ufffe", "\U0010ffff ร้าน"])
def test_noncharacters_are_shown_as_question_marks(text: str) -> None:
    page = read_page(_page("t", "<h1>t</h1>", [f'<p id="x">{esc(text)}</p>']))
    assert page.by_id["x"] == "".join("?" if _noncharacter(ch) else ch for ch in text)


@given(st.text(max_size=60))
def test_any_text_from_a_file_is_shown_as_that_text_and_never_as_markup(text: str) -> None:
    page = read_page(_page("t", f"<h1>{esc(text)}</h1>", [f'<p id="x" title="{esc(text)}">{esc(text)}</p>']))
    shown = "".join(
        " " if ch in "\t\n\r" else "?" if unicodedata.category(ch) == "Cc" or _noncharacter(ch) else ch for ch in text
    )  # control characters and noncharacters as ?, tabs and line breaks as a space
    assert [t for t, _ in page.tags][8:] == ["header", "h1", "p", "footer"]  # the text made no element
    assert page.by_id["x"] == shown.strip()
    assert next(a for t, a in page.tags if t == "p")["title"] == shown


# -- hostile arguments and files never reach a user as a traceback -------------------------------------------
PAGES = (["board"], ["report", "--format", "html"], ["stale", "--format", "html"])


@HOSTILE_SETTINGS
@given(page=st.sampled_from(PAGES), args=st.lists(words, max_size=5))
def test_hostile_arguments_to_the_board_and_the_pages(pipe: Any, page: list[str], args: list[str]) -> None:
    if not (pipe.root / "deals" / "acme-one.yaml").exists():
        pipe.add("Acme one", "--id", "acme-one", "--at", "2026-03-01")
    argv = [a.replace("\x00", "") for a in [*page, *args]]  # a process cannot receive NUL in an argument
    assert_clean(pipe(*argv, input="", ok=False), argv)


@HOSTILE_SETTINGS
@given(text=yaml_texts)
def test_a_hostile_deal_file_never_hides_the_good_ones(pipe: Any, text: str) -> None:
    if not (pipe.root / "deals" / "good.yaml").exists():
        pipe.add("Good <deal>", "--id", "good", "--at", "2026-03-01")
    (pipe.root / "deals" / "hostile.yaml").write_text(text, encoding="utf-8", errors="surrogatepass")
    for argv in (["board", "--as-of", "2026-03-20"], ["report", "--format", "html", "--as-of", "2026-03-20"]):
        result = pipe(*argv, ok=False)
        assert_clean(result, [*argv, text])
        shown = read_page(result.stdout).text if "html" in argv else result.stdout
        assert "Good <deal>" in shown, argv
