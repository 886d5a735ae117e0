"""Exchange rates (``rates.yaml``) and reports in one currency.

``rates.yaml`` at the pipeline's root is a YAML list of dated rates, written like
hledger's price directives::

    - 2026-01-01 EUR PLN 4.28    # 1 EUR = 4.28 PLN from 2026-01-01 on
    - 2026-03-10 EUR PLN 4.30

A rate holds from its day until the next rate of the same pair; the inverse pair
is implied (1 PLN = 1/4.28 EUR). Rates are never chained through a third
currency: a report in EUR of a deal in USD needs a USD-EUR (or EUR-USD) line.
Rates are read as the text says them (Decimal, never a float).

A report in one currency is a transformation of rows before any figure is
computed (:func:`convert_rows`): each deal's value becomes its value in the
target currency at the rate of one day, rounded half up to the target's minor
unit (``currencies.minor_digits``): an open deal at the as-of day, a won or lost
deal at the day it was won or lost (in the report's time zone; the as-of day
when the file does not say when). Every figure then adds up converted values,
so each one converts without code of its own. docs/metrics.md has the worked
example, docs/format.md the file format.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, tzinfo
from decimal import ROUND_HALF_UP, Decimal, localcontext
from functools import cached_property
from pathlib import Path

from . import currencies
from .digest import Row, at
from .documents import Problem, read_text
from .errors import MissingRate, PipeError
from .timeutil import day_in

RATES_FILE = "rates.yaml"
EXAMPLE = "- 2026-01-01 EUR PLN 4.28"
MAX_RATE_DIGITS = 30  # significant digits of a rate; more is a typo, not precision
_LINE = re.compile(r"^(\S+)\s+(\S+)\s+(\S+)\s+(\S+)$")
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_NUMBER = re.compile(r"^[0-9]+(?:\.[0-9]+)?$")
_CONFLICT = re.compile(r"^(<{7}|={7}|>{7})(?: |$)", re.MULTILINE)


@dataclass(frozen=True)
class Rate:
    """One line of rates.yaml: from ``day`` on, 1 ``base`` = ``rate`` ``quote``."""

    day: date
    base: str
    quote: str
    rate: Decimal
    line: int = 0

    def text(self) -> str:
        """The rate as the file writes it: ``2026-01-01 EUR PLN 4.28``."""
        return f"{self.day.isoformat()} {self.base} {self.quote} {self.rate}"


@dataclass(frozen=True)
class RateTable:
    """The rates of a pipeline, in file order; ``path`` is the file they came from (if any)."""

    rates: tuple[Rate, ...] = ()
    path: Path | None = None

    def rate_at(self, frm: str, to: str, day: date) -> tuple[Decimal, bool, Rate | None]:
        """The rate in force on ``day`` between two currencies: (rate, inverse, line).

        ``inverse`` says the file has the pair the other way round: divide by the rate.
        The same currency is (1, False, None). No rate: ``MissingRate``.
        """
        if frm == to:
            return Decimal(1), False, None
        days, lines = self._pairs.get(frozenset((frm, to)), ((), ()))
        i = bisect.bisect_right(days, day)
        if i == 0:
            raise MissingRate(frm, to, day, self.path)
        best = lines[i - 1]
        return best.rate, best.base != frm, best

    @cached_property
    def _pairs(self) -> dict[frozenset[str], tuple[list[date], list[Rate]]]:
        """Each pair's rates in date order (one per day: ``read_rates`` refuses a second)."""
        by_pair: dict[frozenset[str], list[Rate]] = {}
        for r in self.rates:
            by_pair.setdefault(frozenset((r.base, r.quote)), []).append(r)
        out = {}
        for pair, rates in by_pair.items():
            rates.sort(key=lambda r: r.day)
            out[pair] = ([r.day for r in rates], rates)
        return out


def convert(amount: Decimal, rate: Decimal, inverse: bool, to: str) -> Decimal:
    """``amount`` times ``rate`` (divided by it when ``inverse``), rounded half up to ``to``'s minor unit."""
    with localcontext() as ctx:
        ctx.prec = 50
        exact = amount / rate if inverse else amount * rate
        return exact.quantize(Decimal(1).scaleb(-currencies.minor_digits(to)), rounding=ROUND_HALF_UP)


# -- reading the file ------------------------------------------------------------------------
def _line_problem(text: str) -> tuple[Rate | None, str | None]:
    """One item's text as a rate, or what is wrong with it."""
    m = _LINE.match(text.strip())
    if m is None:
        return None, f"expected a rate as DATE FROM TO RATE, such as '{EXAMPLE}'; found {text.strip()!r}"
    day_text, base_text, quote_text, rate_text = m.groups()
    if not _DAY.match(day_text):
        return None, f"{day_text!r} is not a date as YYYY-MM-DD"
    try:
        day = date.fromisoformat(day_text)
    except ValueError:
        return None, f"{day_text!r} is not a date as YYYY-MM-DD"
    codes = []
    for code in (base_text, quote_text):
        if code != code.upper():
            return None, f"{code!r}: write currency codes in capitals, such as EUR"
        try:
            codes.append(currencies.normalize(code))
        except ValueError as exc:
            return None, str(exc)
    base, quote = codes
    if base == quote:
        return None, f"a rate from {base} to itself; name two currencies"
    if not _NUMBER.match(rate_text):
        return None, f"{rate_text!r} is not a rate: write it with digits and a point, such as 4.28"
    rate = Decimal(rate_text)
    if rate == 0:
        return None, "a rate of 0 converts nothing; give the rate"
    if len(rate.normalize().as_tuple().digits) > MAX_RATE_DIGITS:
        return None, f"a rate of more than {MAX_RATE_DIGITS} significant digits"
    return Rate(day, base, quote, rate), None


def read_rates(path: Path, text: str) -> tuple[RateTable, list[Problem]]:
    """The rates of a rates.yaml's text and every problem in it (path and line of each)."""
    import yaml

    from . import yamlio

    m = _CONFLICT.search(text)
    if m:
        line = text.count("\n", 0, m.start()) + 1
        return RateTable(path=path), [Problem(path, line, "unresolved git merge conflict marker; keep the right lines")]
    try:
        root = yaml.compose(text, Loader=yamlio.FastLoader)
    except Exception as exc:  # yaml.YAMLError, and recursion errors from hostile nesting
        return RateTable(path=path), [Problem(path, yamlio.error_line(exc, text), yamlio.error_reason(exc))]
    if root is None:
        return RateTable(path=path), []
    anchor = yamlio.anchor_line(text) if ("&" in text or "*" in text) else None
    if anchor is not None:
        return RateTable(path=path), [Problem(path, anchor, "YAML anchors and aliases are not allowed; write it out")]
    if not isinstance(root, yaml.SequenceNode):
        return RateTable(path=path), [
            Problem(path, root.start_mark.line + 1, f"expected a list of rates, one a line: '{EXAMPLE}'")
        ]
    rates: list[Rate] = []
    problems: list[Problem] = []
    seen: dict[tuple[date, frozenset[str]], int] = {}
    for node in root.value:
        line = node.start_mark.line + 1
        if not isinstance(node, yaml.ScalarNode):
            problems.append(Problem(path, line, f"expected a rate on one line, such as '{EXAMPLE}'"))
            continue
        rate, problem = _line_problem(str(node.value))
        if rate is None:
            problems.append(Problem(path, line, problem or "not a rate"))
            continue
        key = (rate.day, frozenset((rate.base, rate.quote)))
        if key in seen:
            problems.append(
                Problem(
                    path, line, f"a second {rate.base}-{rate.quote} rate for {rate.day} (line {seen[key]}); keep one"
                )
            )
            continue
        seen[key] = line
        rates.append(Rate(rate.day, rate.base, rate.quote, rate.rate, line))
    return RateTable(tuple(rates), path), problems


def rates_path(root: Path) -> Path:
    return root / RATES_FILE


def load_rates(root: Path) -> RateTable:
    """The rates of the pipeline at ``root`` (none when it has no rates.yaml); the first
    problem of the file as a PipeError naming file and line: a report is not converted
    with a rate missing or misread."""
    path = rates_path(root)
    if not path.exists() and not path.is_symlink():
        return RateTable(path=path)
    table, problems = read_rates(path, read_text(path, root))
    if problems:
        first = problems[0]
        raise PipeError(first.message, path=first.path, line=first.line)
    return table


def check_rates(root: Path) -> list[Problem]:
    """Every problem of the pipeline's rates.yaml (none when there is no such file), for `pipe check`."""
    path = rates_path(root)
    if not path.exists() and not path.is_symlink():
        return []
    try:
        text = read_text(path, root)
    except PipeError as err:
        return [Problem.from_error(err)]
    return read_rates(path, text)[1]


# -- converting rows -------------------------------------------------------------------------
def rate_day(row: Row, as_of: date, zone: tzinfo) -> date:
    """The day whose rate converts a row: when it was won or lost, else the as-of day."""
    if row.status != "open" and row.closed is not None:
        return day_in(at(row.closed, 0), zone)
    return as_of


def convert_amount(table: RateTable, amount: Decimal, frm: str, to: str, day: date) -> tuple[Decimal, Rate | None]:
    """``amount`` in ``frm`` as ``to`` at the rate in force on ``day`` (rounded as ``convert``), and
    the line of the table used (None for the same currency, which is never rounded)."""
    if frm == to:
        return amount, None
    rate, inverse, line = table.rate_at(frm, to, day)
    return convert(amount, rate, inverse, to), line


def convert_rows(
    rows: Iterable[Row], table: RateTable, target: str, default: str, as_of: date, zone: tzinfo
) -> tuple[list[Row], list[Rate]]:
    """The rows with every value in ``target`` (see the module's docstring), and the
    lines of the table that were used, in date order. ``default`` is the currency of a
    row without one (the pipeline's). ``MissingRate`` (with the deal's id) when a rate
    is missing."""
    out: list[Row] = []
    used: dict[int, Rate] = {}
    for r in rows:
        source = r.currency or default
        if r.value is None or source == target:
            out.append(r if r.currency == target else r._replace(currency=target))
            continue
        try:
            value, line = convert_amount(table, r.value, source, target, rate_day(r, as_of, zone))
        except MissingRate as err:
            raise MissingRate(err.frm, err.to, err.day, err.path, deal_id=r.id) from None
        if line is not None:
            used[line.line] = line
        out.append(r._replace(value=value, currency=target))
    return out, sorted(used.values(), key=lambda x: (x.day, x.base, x.quote, x.line))


def rates_data(used: Sequence[Rate]) -> list[dict[str, object]]:
    """The rates a report used, as JSON: date (in force from), from, to, rate, line."""
    return [{"date": r.day.isoformat(), "from": r.base, "to": r.quote, "rate": r.rate, "line": r.line} for r in used]
