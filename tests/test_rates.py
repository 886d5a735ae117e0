"""rates.yaml and `pipe report --currency`: every amount in one currency, at the rate of its day.

The pipeline (default stages lead .1, qualified .25, meeting .4, proposal .6, negotiation .8; EUR)
and its rates, computed by hand:

    - 2026-01-01 EUR PLN 4.00
    - 2026-02-01 EUR PLN 4.25
    - 2026-03-15 EUR PLN 4.30
    - 2026-01-01 USD EUR 0.90

  a  10,000 PLN anna  created 01-05, won 02-10   -> 10,000 / 4.25 = 2,352.94 EUR (the rate of 02-10)
  b   3,000 PLN bob   created 01-10, lost 01-20  ->  3,000 / 4.00 =   750.00 EUR (the rate of 01-20)
  c   4,300 PLN anna  created 03-01, open        ->  4,300 / 4.30 = 1,000.00 EUR as of 03-20;
                                                     4,300 / 4.25 = 1,011.76 EUR as of 03-10
  d   1,000 USD bob   created 01-06, open        ->  1,000 x 0.90 =   900.00 EUR
  e   2,000 EUR -     created 01-07, open        ->  2,000.00 EUR
"""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from deal_strategies import deals_with_ids
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from pipecli.currencies import minor_digits
from pipecli.errors import MissingRate
from pipecli.rates import RateTable, convert, read_rates

RATES = """\
# 1 EUR in PLN, from the day on
- 2026-01-01 EUR PLN 4.00
- 2026-02-01 EUR PLN 4.25
- 2026-03-15 EUR PLN 4.30
- 2026-01-01 USD EUR 0.90
"""


@pytest.fixture
def money(pipe):
    a = pipe.add("Alpha", "--id", "a", "--value", "10000", "--currency", "PLN", "--owner", "anna", "--at", "2026-01-05")
    pipe("won", a, "--at", "2026-02-10")
    b = pipe.add("Beta", "--id", "b", "--value", "3000", "--currency", "PLN", "--owner", "bob", "--at", "2026-01-10")
    pipe("lost", b, "--reason", "price", "--at", "2026-01-20")
    pipe.add("Gamma", "--id", "c", "--value", "4300", "--currency", "PLN", "--owner", "anna", "--at", "2026-03-01")
    pipe.add("Delta", "--id", "d", "--value", "1000", "--currency", "USD", "--owner", "bob", "--at", "2026-01-06")
    pipe.add("Epsilon", "--id", "e", "--value", "2000", "--at", "2026-01-07")
    (pipe.root / "rates.yaml").write_text(RATES, encoding="utf-8")
    return pipe


def report_json(pipe, *args: str) -> dict:
    return json.loads(pipe("report", "--format", "json", *args).stdout)


def test_every_amount_at_the_rate_of_its_day(money) -> None:
    data = report_json(money, "--as-of", "2026-03-20", "--currency", "EUR")
    t = data["totals"]
    assert t["won_value"] == {"EUR": 2352.94}  # won on 02-10: the 02-01 rate, not today's
    assert t["lost_value"] == {"EUR": 750}  # lost on 01-20: the 01-01 rate
    assert t["open_value"] == {"EUR": 3900}  # 1,000 + 900 + 2,000 at the as-of day's rates
    assert t["weighted_value"] == {"EUR": 390}  # all in lead, 0.1
    assert data["converted_to"] == "EUR"
    assert data["currency"] == "EUR"  # the pipeline's own, as before
    assert [(r["date"], r["from"], r["to"], r["rate"], r["line"]) for r in data["rates_used"]] == [
        ("2026-01-01", "EUR", "PLN", 4, 2),
        ("2026-01-01", "USD", "EUR", 0.9, 5),
        ("2026-02-01", "EUR", "PLN", 4.25, 3),
        ("2026-03-15", "EUR", "PLN", 4.3, 4),
    ]
    # every figure converts, the funnel and velocity too
    lead = data["funnel"][0]
    assert lead["reached_value"] == {"EUR": 7002.94}  # 2,352.94 + 750 + 1,000 + 900 + 2,000
    assert [v["currency"] for v in data["velocity"]] == ["EUR"]
    assert data["velocity"][0]["average_won_value"] == 2352.94


def test_open_deals_take_the_rate_of_the_as_of_day(money) -> None:
    data = report_json(money, "--as-of", "2026-03-10", "--currency", "EUR")
    assert data["totals"]["open_value"] == {"EUR": 3911.76}  # 4,300 / 4.25 = 1,011.76; + 900 + 2,000
    assert "2026-03-15" not in [r["date"] for r in data["rates_used"]]


def test_in_another_currency_the_inverse_pair_is_implied(money) -> None:
    (money.root / "rates.yaml").write_text(RATES + "- 2026-01-01 USD PLN 3.70\n", encoding="utf-8")
    data = report_json(money, "--as-of", "2026-03-20", "--currency", "pln")
    t = data["totals"]
    assert t["won_value"] == {"PLN": 10000} and t["lost_value"] == {"PLN": 3000}
    # 4,300 PLN + 1,000 USD x 3.70 + 2,000 EUR x 4.30 (EUR PLN, taken the other way)
    assert t["open_value"] == {"PLN": 4300 + 3700 + 8600}


def test_without_currency_nothing_changes_and_rates_are_not_read(money) -> None:
    before = report_json(money, "--as-of", "2026-03-20")
    (money.root / "rates.yaml").write_text("- not a rate\n", encoding="utf-8")
    after = report_json(money, "--as-of", "2026-03-20")
    assert before == after
    assert "converted_to" not in after and "rates_used" not in after
    assert after["totals"]["open_value"] == {"EUR": 2000, "PLN": 4300, "USD": 1000}


def test_the_table_says_which_rates_it_used(money) -> None:
    out = money("report", "--as-of", "2026-03-20", "--currency", "EUR").stdout
    assert "2,352.94 EUR" in out
    assert out.endswith(  # wrapped to 80 columns
        "\nAmounts in EUR at the rates of rates.yaml: 2026-01-01 EUR PLN 4.00; 2026-01-01\n"
        "  USD EUR 0.90; 2026-02-01 EUR PLN 4.25; 2026-03-15 EUR PLN 4.30.\n"
    )
    md = money("report", "--as-of", "2026-03-20", "--currency", "EUR", "--format", "markdown").stdout
    assert "at the rates of rates.yaml: 2026-01-01 EUR PLN 4.00" in md


def test_a_missing_rate_is_one_line_naming_pair_day_and_deal(money, run_pipe) -> None:
    r = run_pipe("-C", str(money.root), "report", "--as-of", "2026-03-20", "--currency", "PLN")
    assert r.returncode == 1
    assert r.stdout == ""
    assert r.stderr == (
        "pipe: no USD-PLN rate in force on 2026-03-20 (deal d) in rates.yaml; add one on or before that day, "
        "such as '- 2026-03-20 PLN USD RATE' (1 PLN = RATE USD); rates are not chained\n"
    )
    # before the first rate: no rate in force yet
    (money.root / "rates.yaml").write_text("- 2026-02-01 EUR PLN 4.25\n- 2026-01-01 USD EUR 0.90\n", encoding="utf-8")
    r = run_pipe("-C", str(money.root), "report", "--as-of", "2026-03-20", "--currency", "EUR")
    assert r.returncode == 1
    assert r.stderr.startswith("pipe: no PLN-EUR rate in force on 2026-01-20 (deal b) in rates.yaml;")


def test_end_to_end_as_of_through_the_installed_pipe(money, run_pipe) -> None:
    r = run_pipe("-C", str(money.root), "report", "--as-of", "2026-02-05", "--currency", "EUR", "--format", "json")
    assert r.returncode == 0, r.stderr
    data = json.loads(r.stdout)
    t = data["totals"]
    # as of 02-05, a is still open (won on 02-10) and c does not exist: open at the 02-01 rates
    assert (t["open"], t["won"], t["lost"]) == (3, 0, 1)
    assert t["open_value"] == {"EUR": 5252.94}  # 2,352.94 + 900 + 2,000
    assert t["lost_value"] == {"EUR": 750}


def test_an_unknown_currency_is_a_usage_error(money, run_pipe) -> None:
    r = run_pipe("-C", str(money.root), "report", "--currency", "EUX")
    assert r.returncode == 2
    assert r.stderr.startswith("pipe: --currency: 'EUX' is not an ISO 4217 currency code")


BAD = """\
- 2026-01-01 EUR PLN 4.00
- 2026-01-01 PLN EUR 0.25
- 2026-01-01 EUR EUR 1
- 2026-01-01 eur PLN 1
- 2026-01-01 EUR PLN 4,2
- 2026-02-30 EUR PLN 4
- 2026-01-01 EUR PLN 1 2
- [a]
- 2026-02-01 EUR PLN 1e3
- 2026-02-01 EUR XXY 1
- 2026-03-01 EUR PLN 0.000
"""


def test_check_names_each_bad_line(money, run_pipe) -> None:
    (money.root / "rates.yaml").write_text(BAD, encoding="utf-8")
    r = run_pipe("check", cwd=money.root)
    assert r.returncode == 1
    lines = [x for x in r.stdout.splitlines() + r.stderr.splitlines() if x.startswith("rates.yaml:")]
    assert [x.split(":")[1] for x in lines] == ["2", "3", "4", "5", "6", "7", "8", "9", "10", "11"]
    assert lines[0] == "rates.yaml:2: a second PLN-EUR rate for 2026-01-01 (line 1); keep one"
    assert lines[3] == "rates.yaml:5: '4,2' is not a rate: write it with digits and a point, such as 4.28"
    assert lines[4] == "rates.yaml:6: '2026-02-30' is not a date as YYYY-MM-DD"
    # a report in one currency stops at the first, with the exit code of an error
    r = run_pipe("report", "--currency", "EUR", cwd=money.root)
    assert r.returncode == 1
    assert r.stderr == "pipe: rates.yaml:2: a second PLN-EUR rate for 2026-01-01 (line 1); keep one\n"


def test_check_passes_a_good_file_and_refuses_a_mapping_and_a_link(money, run_pipe, tmp_path: Path) -> None:
    r = run_pipe("-C", str(money.root), "check")
    assert r.returncode == 0, r.stdout + r.stderr
    (money.root / "rates.yaml").write_text("EUR: 4.28\n", encoding="utf-8")
    r = run_pipe("-C", str(money.root), "check")
    assert "rates.yaml:1: expected a list of rates, one a line" in r.stdout + r.stderr
    outside = tmp_path / "elsewhere.yaml"
    outside.write_text(RATES, encoding="utf-8")
    (money.root / "rates.yaml").unlink()
    (money.root / "rates.yaml").symlink_to(outside)
    r = run_pipe("-C", str(money.root), "report", "--currency", "EUR")
    assert r.returncode == 1 and "symlink" in r.stderr and "Traceback" not in r.stderr


def test_rates_are_read_as_written_never_as_floats() -> None:
    table, problems = read_rates(Path("rates.yaml"), "- 2026-01-01 EUR PLN 4.2800000000000000001\n")
    assert problems == []
    assert table.rates[0].rate == Decimal("4.2800000000000000001")
    rate, inverse, line = table.rate_at("PLN", "EUR", date(2026, 5, 1))
    assert (rate, inverse, line) == (Decimal("4.2800000000000000001"), True, table.rates[0])
    with pytest.raises(MissingRate) as info:
        table.rate_at("PLN", "EUR", date(2025, 12, 31))
    assert (info.value.frm, info.value.to, info.value.day) == ("PLN", "EUR", date(2025, 12, 31))


def test_rounding_follows_minor_units_half_up() -> None:
    assert convert(Decimal("12.345"), Decimal(160), False, "JPY") == Decimal("1975")  # 1,975.2
    assert convert(Decimal("10.003125"), Decimal(160), False, "JPY") == Decimal("1601")  # 1,600.5: up
    assert convert(Decimal("1"), Decimal("3"), True, "EUR") == Decimal("0.33")
    assert convert(Decimal("0.005"), Decimal(1), False, "EUR") == Decimal("0.01")  # half up, not to even
    assert convert(Decimal("1.0005"), Decimal(1), False, "KWD") == Decimal("1.001")  # three digits


def test_no_chaining_through_a_third_currency() -> None:
    table, _ = read_rates(Path("r.yaml"), "- 2026-01-01 EUR PLN 4\n- 2026-01-01 USD EUR 0.9\n")
    with pytest.raises(MissingRate):
        table.rate_at("USD", "PLN", date(2026, 2, 1))
    assert RateTable().rate_at("EUR", "EUR", date(2026, 2, 1)) == (Decimal(1), False, None)


CODES = ["EUR", "PLN", "JPY", "KWD", "USD"]


@given(
    st.sampled_from(CODES),
    st.sampled_from(CODES),
    st.decimals(min_value=Decimal("0.01"), max_value=Decimal("1e9"), places=3),
    st.decimals(min_value=Decimal("0.001"), max_value=Decimal("1000"), places=4),
)
def test_to_a_currency_and_back_at_the_same_rate_is_within_one_minor_unit(
    frm: str, to: str, amount: Decimal, rate: Decimal
) -> None:
    unit = Decimal(1).scaleb(-minor_digits(frm))
    amount = amount.quantize(unit)
    # the way back can only be as exact as the currency in between: its minor unit, brought
    # back, is at most one minor unit of the first (else no rounding rule could promise it)
    assume(rate > 0 and Decimal(1).scaleb(-minor_digits(to)) / rate <= unit)
    there = convert(amount, rate, False, to)
    back = convert(there, rate, True, frm)
    assert abs(back - amount) <= unit


def test_export_adds_each_value_in_one_currency(money, run_pipe) -> None:
    import csv
    import io

    r = run_pipe("-C", str(money.root), "export", "--currency", "EUR")
    assert r.returncode == 0, r.stderr
    rows = {row["id"]: row for row in csv.DictReader(io.StringIO(r.stdout))}
    # closed deals at the rate of their day; open ones at today's (every rate here is older than today)
    got = {
        i: (row["value"], row["currency"], row["converted_value"], row["converted_currency"]) for i, row in rows.items()
    }
    assert got == {
        "a": ("10000", "PLN", "2352.94", "EUR"),
        "b": ("3000", "PLN", "750.00", "EUR"),
        "c": ("4300", "PLN", "1000.00", "EUR"),
        "d": ("1000", "USD", "900.00", "EUR"),
        "e": ("2000", "EUR", "2000", "EUR"),
    }
    plain = run_pipe("-C", str(money.root), "export")
    assert "converted_value" not in plain.stdout
    assert plain.stdout.splitlines()[0] == r.stdout.splitlines()[0].removesuffix(",converted_value,converted_currency")
    wrong = run_pipe("-C", str(money.root), "export", "--currency", "EUR", "--format", "json")
    assert wrong.returncode == 2 and wrong.stderr.startswith("pipe: --currency adds columns to csv and tsv")
    missing = run_pipe("-C", str(money.root), "export", "--currency", "PLN")
    assert missing.returncode == 1
    assert missing.stderr.startswith("pipe: no USD-PLN rate in force on ")
    assert "(deal d) in rates.yaml" in missing.stderr and missing.stdout == ""


PARITY = "".join(f"- 2026-01-01 {c} EUR 1\n" for c in ("PLN", "USD", "THB"))


@settings(max_examples=60, deadline=None)
@given(deals_with_ids(8), st.integers(0, 80), st.sampled_from([None, "owner"]))
def test_at_parity_every_figure_is_the_sum_of_its_currencies(deals, day, by) -> None:
    """With every rate 1, a report in EUR adds up what the report per currency keeps apart:
    every money figure goes through the conversion (none keeps its own currency)."""
    from datetime import timedelta

    from deal_strategies import PIPELINE

    from pipecli.report import ReportSpec, build_report

    table = read_rates(Path("rates.yaml"), PARITY)[0]
    as_of = date(2026, 1, 5) + timedelta(days=day)
    apart = build_report(deals, PIPELINE, ReportSpec(as_of, by=by))
    together = build_report(deals, PIPELINE, ReportSpec(as_of, by=by, currency="EUR", rates=table))

    def one(m: dict[str, Decimal]) -> dict[str, Decimal]:
        return {"EUR": sum(m.values(), Decimal(0))} if m else {}

    pairs = [(apart.totals, together.totals)] + [
        (a.totals, b.totals) for a, b in zip(apart.groups, together.groups, strict=True)
    ]
    for a, b in pairs:
        for key in ("won_value", "open_value", "lost_value", "stale_value"):
            assert one(getattr(a, key)) == getattr(b, key), key
        assert (a.deals, a.won, a.lost, a.open, a.stale) == (b.deals, b.won, b.lost, b.open, b.stale)
        weighted = one(a.weighted_value).get("EUR", Decimal(0))
        assert abs(weighted - b.weighted_value.get("EUR", Decimal(0))) <= Decimal("0.005") * len(a.weighted_value)
    for fa, fb in zip(apart.funnel, together.funnel, strict=True):
        assert one(fa.reached_value) == fb.reached_value and one(fa.lost_here_value) == fb.lost_here_value
    assert sum((one(b.value).get("EUR", Decimal(0)) for b in apart.forecast), Decimal(0)) == sum(
        (b.value.get("EUR", Decimal(0)) for b in together.forecast), Decimal(0)
    )
    assert {v.currency for v in together.velocity} <= {"EUR"}


def test_extra_totals_still_get_the_deals_as_recorded() -> None:
    from report_helpers import PIPE, build

    from pipecli.report import ReportSpec, build_report

    deals = [build("x", [(0, "a")], value="430", currency="PLN"), build("y", [(0, "a")], value="100")]
    table = read_rates(Path("rates.yaml"), "- 2026-01-01 EUR PLN 4.30\n")[0]

    def extras(found, cutoff):
        return {"recorded": {d.currency: d.value for d in found}}

    spec = ReportSpec(date(2026, 3, 20), currency="EUR", rates=table, extras=extras)
    t = build_report(deals, PIPE, spec).totals
    assert t.open_value == {"EUR": Decimal(200)}  # 430 / 4.30 + 100
    assert t.extra == {"recorded": {"PLN": Decimal(430), "EUR": Decimal(100)}}


def test_per_period_the_pipeline_at_each_end_is_at_that_day_s_rate_and_its_rates_are_listed(money) -> None:
    args = ("--as-of", "2026-03-20", "--owner", "anna", "--currency", "EUR")
    plain = report_json(money, *args)
    assert [r["line"] for r in plain["rates_used"]] == [3, 4]  # won at 4.25, open at 4.30
    data = report_json(money, *args, "--period", "month", "--since", "2026-01-01")
    ends = [(p["end"], p["open_value"], p["won_value"]) for p in data["periods"]]
    assert ends == [
        ("2026-01-31", {"EUR": 2500}, {}),  # Alpha open: 10,000 PLN at 01-31's 4.00
        ("2026-02-28", {}, {"EUR": 2352.94}),  # won on 02-10 at 4.25
        ("2026-03-20", {"EUR": 1000}, {}),  # Gamma open: 4,300 PLN at 03-20's 4.30
    ]
    assert [r["line"] for r in data["rates_used"]] == [2, 3, 4]  # the end of January's rate too
    out = money("report", *args, "--period", "month", "--since", "2026-01-01").stdout
    assert "Amounts in EUR at the rates of rates.yaml: 2026-01-01 EUR PLN 4.00; 2026-02-01" in out
