"""Stale deals: open deals in limbo, and why.

Pure functions of (deals, pipeline, as-of): nothing here reads files or prints.

The rules (docs/stale.md has examples):

* Only deals open at the cut-off count; won and lost deals are never stale.
* A snoozed deal is left out until its snooze ends: on the ``until`` day it is back.
* A next step with a due date keeps the deal fresh up to and including that day.
  From the day after, the deal is listed as ``overdue``, whatever its last activity.
* Otherwise a deal is stale when its idle time (since its last activity) is longer
  than its stage's ``stale_after`` (the pipeline's default when the stage has none).
  It is listed as ``no next step`` when it has none, ``idle`` when its next step
  has no due date.
* Activity is the creation, a stage move (back moves too), a status change, a note
  and a field change. Snoozing is not activity: when a snooze ends, the idle time
  counts from the last real activity.
* A new deal nobody has touched yet (``pipecli.touch``: no note, move or status change
  since its creation) is listed as ``not touched`` once it is older than the pipeline's
  ``first_touch_within`` (default 24h), unless a next step with a due date says when
  (then the due date rules: ahead, it keeps the deal off; past, it is ``overdue``).
  Its limit is that setting, whatever the stage's ``stale_after``.
* As of a cut-off, only entries before it count: the stage, status, next step,
  snooze, owner and value are those the deal had then (``Deal.as_of``, which replays
  the history with ``pipecli.history``).

``judge`` is the one function that says whether a deal is stale: `pipe stale` lists
what ``find_stale`` finds with it, and `pipe report` counts what it finds among the
report's deals (``report.stale_figures``), with the same ``summarize``.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, tzinfo
from decimal import Decimal
from operator import attrgetter
from typing import Any, NamedTuple

from .digest import Row, at, digest, ladder_of, micros, row_at
from .models import Deal, Pipeline
from .query import Filters
from .timeutil import end_of_day, this_instant
from .touch import untouched

IDLE = "idle"
OVERDUE = "overdue"
NO_NEXT_STEP = "no next step"
UNTOUCHED = "not touched"
REASONS = (UNTOUCHED, OVERDUE, NO_NEXT_STEP, IDLE)

DAY = timedelta(days=1)
DAY_MICROS = 86_400_000_000


@dataclass(frozen=True)
class AsOf:
    """When the list is computed: entries before ``moment`` count; ``day`` is the
    calendar day that snoozes and due dates are compared with."""

    moment: datetime
    day: date

    @functools.cached_property
    def micros(self) -> int:
        """``moment`` in microseconds since 1970 (``digest.micros``)."""
        return micros(self.moment)

    @classmethod
    def end_of(cls, day: date, zone: tzinfo | None = None) -> AsOf:
        """As the pipeline stood at the end of ``day`` in ``zone`` (``--as-of DATE``; None: the local zone)."""
        return cls(end_of_day(day, zone), day)

    @classmethod
    def at(cls, moment: datetime) -> AsOf:
        """As the pipeline stands at ``moment``."""
        return cls(moment, moment.date())

    @classmethod
    def now(cls) -> AsOf:
        """As the pipeline stands now (no ``--as-of``): every entry written so far counts, one
        stamped with the current second too (``timeutil.this_instant``)."""
        return cls.at(this_instant())


def as_of(when: AsOf | date | datetime) -> AsOf:
    """An AsOf from a date (its end), a time stamp (that moment) or an AsOf."""
    if isinstance(when, AsOf):
        return when
    if isinstance(when, datetime):
        return AsOf.at(when)
    return AsOf.end_of(when)


class StaleDeal(NamedTuple):
    """One stale deal, as it stood at the cut-off (``deal``: its row, ``digest.row_at``), and why it is listed.

    A named tuple: a report at 100,000 deals makes tens of thousands of them (``judge`` makes
    them with ``_stale_deal``)."""

    deal: Row
    reason: str
    idle: timedelta
    threshold: timedelta
    threshold_text: str  # as pipeline.yaml writes it: "48h", "10d", "2w"
    past: timedelta  # how far past its threshold (or its due date) the deal is
    overdue_days: int | None
    currency: str

    @property
    def last_activity(self) -> datetime:
        """The deal's last activity (``last_activity``), in the UTC offset its file wrote it with:
        made when asked for, as only a list that shows it needs it."""
        return at(self.deal.last_activity, self.deal.last_offset)

    @property
    def idle_days(self) -> int:
        """Whole days idle."""
        return self.idle // DAY

    @property
    def past_days(self) -> float:
        return self.past / DAY


@dataclass(frozen=True)
class StaleSummary:
    """The totals a report shows: how many, the value at risk per currency, how many overdue."""

    count: int = 0
    value: dict[str, Decimal] = field(default_factory=dict)
    overdue: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {"count": self.count, "value": dict(self.value), "overdue": self.overdue}


# -- the deal at a cut-off ----------------------------------------------------------------
def last_activity(deal: Deal, moment: datetime | None = None) -> datetime:
    """The newest creation, history entry or note before ``moment``; snoozing does not count
    (what ``digest.row_at`` puts in a row's ``last_activity``)."""
    times = [deal.created]
    times += [
        h.at
        for h in deal.history
        if not (h.event == "changed" and h.field == "snooze") and (moment is None or h.at < moment)
    ]
    times += [n.at for n in deal.notes if moment is None or n.at < moment]
    return max(times)


def is_snoozed(deal: Row | Deal, day: date) -> bool:
    """Snoozed on ``day``: the snooze ends on its ``until`` day."""
    return deal.snooze is not None and day < deal.snooze.until


_LIMITS: list[Any] = [None, {}]  # the pipeline they were computed for, and stage -> (limit, text)


def _limit(pipeline: Pipeline, stage_id: str) -> tuple[timedelta, str, int]:
    """The stage's stale limit, its text, and the limit in microseconds (computed once per
    pipeline and stage)."""
    if _LIMITS[0] is not pipeline:
        _LIMITS[:] = [pipeline, {}]
    known: dict[str, tuple[timedelta, str, int]] = _LIMITS[1]
    found = known.get(stage_id)
    if found is None:
        limit = pipeline.stale_after_for(stage_id)
        found = known[stage_id] = (limit, threshold_text(pipeline, stage_id), limit // timedelta(microseconds=1))
    return found


def _first_touch_limit(pipeline: Pipeline) -> tuple[timedelta, str, int]:
    """``first_touch_within``, its text, and the limit in microseconds (computed once per pipeline)."""
    if _LIMITS[0] is not pipeline:
        _LIMITS[:] = [pipeline, {}]
    known: dict[Any, tuple[timedelta, str, int]] = _LIMITS[1]
    found = known.get(UNTOUCHED)  # never a stage id: stage ids have no spaces
    if found is None:
        limit = pipeline.first_touch_limit
        found = known[UNTOUCHED] = (limit, pipeline.first_touch_within, limit // timedelta(microseconds=1))
    return found


def threshold_text(pipeline: Pipeline, stage_id: str) -> str:
    """The stage's ``stale_after`` as written (the pipeline's default when it has none)."""
    stage = pipeline.stage(stage_id)
    return stage.stale_after if stage is not None and stage.stale_after else pipeline.stale_after


# -- the rules ----------------------------------------------------------------------------
def row_of(deal: Deal, pipeline: Pipeline, when: AsOf | date | datetime) -> Row | None:
    """The deal's row as it stood at ``when`` (None: not yet created)."""
    return row_at(digest(deal), ladder_of(pipeline.stage_ids), as_of(when).moment)


def assess(deal: Deal, pipeline: Pipeline, when: AsOf | date | datetime) -> StaleDeal | None:
    """Why ``deal`` is stale at ``when``, or None when it is not (or was not open)."""
    cut = as_of(when)
    return judge(row_of(deal, pipeline, cut), pipeline, cut)


def judge(d: Row | None, pipeline: Pipeline, cut: AsOf) -> StaleDeal | None:
    """The rules, applied to a deal's row at ``cut.moment`` (``digest.row_at``; None: not yet created).

    The one place that says whether a deal is stale: `pipe stale` (through ``find_stale``)
    and `pipe report` (on the rows it has already taken to the cut-off) both ask it.
    """
    if d is None or d.status != "open" or is_snoozed(d, cut.day):
        return None
    idle_us = max(cut.micros - d.last_activity, 0)
    step = d.next_step
    due = step.due if step is not None else None
    if due is not None and overdue_by(d, cut.day) is None:
        return None
    if due is None and untouched(d):
        first, first_text, first_us = _first_touch_limit(pipeline)
        over_us = cut.micros - d.created - first_us
        if over_us > 0:
            return _stale_deal(
                (
                    d,
                    UNTOUCHED,
                    timedelta(microseconds=idle_us),
                    first,
                    first_text,
                    timedelta(microseconds=over_us),
                    None,
                    d.currency or pipeline.currency,
                )
            )
    threshold, text, limit_us = _limit(pipeline, d.stage)
    if due is None and idle_us <= limit_us:
        return None
    idle = timedelta(microseconds=idle_us)
    over = idle - threshold
    overdue_days: int | None = None
    if due is not None:
        overdue_days = (cut.day - due).days
        reason = OVERDUE
        past = max(overdue_days * DAY, over)
    else:
        reason = NO_NEXT_STEP if step is None else IDLE
        past = over
    return _stale_deal((d, reason, idle, threshold, text, past, overdue_days, d.currency or pipeline.currency))


def _stale_deal(fields: tuple[Row, str, timedelta, timedelta, str, timedelta, int | None, str]) -> StaleDeal:
    """A StaleDeal of its fields in order: ``tuple.__new__`` skips the named tuple's ``__new__``
    and its keyword arguments, which at tens of thousands of stale deals is a measurable part of a report."""
    return tuple.__new__(StaleDeal, fields)


def overdue_by(d: Row, day: date) -> int | None:
    """Days an open deal's next step is past its due date on ``day`` (None: not overdue, no due
    date, or not open): a step due on ``day`` is not overdue yet."""
    step = d.next_step
    if d.status != "open" or step is None or step.due is None or day <= step.due:
        return None
    return (day - step.due).days


def list_marks(d: Row | None, pipeline: Pipeline, cut: AsOf | None) -> dict[str, Any]:
    """What `pipe list` shows of a deal's state at ``cut`` (``query.STATE_KEYS``): whole days in
    the stage it is in, since it last entered it (an open deal; else None), why ``judge`` finds it
    stale (None: it is not), and how many days its next step is overdue (``overdue_by``)."""
    if d is None or cut is None:
        return {"days_in_stage": None, "stale": None, "overdue_days": None}
    found = judge(d, pipeline, cut)
    days_in = max(cut.micros - d.entered, 0) // DAY_MICROS if d.status == "open" else None
    return {"days_in_stage": days_in, "stale": found.reason if found else None, "overdue_days": overdue_by(d, cut.day)}


def find_stale(
    deals: Iterable[Deal],
    pipeline: Pipeline,
    when: AsOf | date | datetime,
    *,
    filters: Filters | None = None,
    min_idle: timedelta | None = None,
) -> list[StaleDeal]:
    """The stale deals, furthest past their threshold first (then by id).

    ``filters`` (owner, stages, ...) apply to each deal as it stood at the cut-off;
    ``min_idle`` keeps only deals idle at least that long.
    """
    cut = as_of(when)
    ladder = ladder_of(pipeline.stage_ids)
    rows = [r for d in deals if (r := row_at(digest(d), ladder, cut.moment)) is not None]
    return stale_rows(rows, pipeline, cut, filters=filters, min_idle=min_idle)


def stale_rows(
    rows: Iterable[Row],
    pipeline: Pipeline,
    cut: AsOf,
    *,
    filters: Filters | None = None,
    min_idle: timedelta | None = None,
) -> list[StaleDeal]:
    """``find_stale`` of deals already taken to the cut-off (``digest.row_at``, or the index)."""
    found = []
    for row in rows:
        item = judge(row, pipeline, cut)
        if item is None:
            continue
        if filters is not None and not filters.matches(item.deal):
            continue
        if min_idle is not None and item.idle < min_idle:
            continue
        found.append(item)
    return in_list_order(found)


def in_list_order(items: Iterable[StaleDeal]) -> list[StaleDeal]:
    """Stale deals in the order every stale list shows them: furthest past their threshold first, then by id."""
    # two stable sorts, by id and then by how far past (a sort with reverse=True keeps equals in
    # their order): the order of the key (-past, id) without a negated timedelta and a tuple per deal
    ordered = sorted(items, key=_DEAL_ID)
    ordered.sort(key=_PAST, reverse=True)
    return ordered


_DEAL_ID = attrgetter("deal.id")
_PAST = attrgetter("past")


def summarize(items: Sequence[StaleDeal]) -> StaleSummary:
    """Count, value at risk per currency (never added across currencies), overdue count."""
    value: dict[str, Decimal] = {}
    for amount, currency in map(_VALUE_AND_CURRENCY, items):
        if amount is not None:
            value[currency] = value.get(currency, Decimal(0)) + amount
    return StaleSummary(
        count=len(items),
        value=dict(sorted(value.items())),
        overdue=list(map(_REASON, items)).count(OVERDUE),
    )


_VALUE_AND_CURRENCY = attrgetter("deal.value", "currency")
_REASON = attrgetter("reason")


def stale_summary(deals: Iterable[Deal], pipeline: Pipeline, when: AsOf | date | datetime) -> StaleSummary:
    """The stale totals of a pipeline at ``when`` (a date means its end): what `pipe report` shows."""
    return summarize(find_stale(deals, pipeline, when))


def group_by_owner(items: Sequence[StaleDeal]) -> list[tuple[str | None, list[StaleDeal]]]:
    """Stale deals per owner (owners compared ignoring case, as ``--owner`` does).

    Owners in alphabetical order, deals with no owner last; each group keeps the
    order of ``items``. A group is named by the spelling most of its deals use
    (the first in sorted order on a tie), so the name does not change with the order.
    """
    groups: dict[str | None, list[StaleDeal]] = {}
    spellings: dict[str | None, Counter[str]] = {}
    for s in items:
        owner = (s.deal.owner or "").strip() or None
        key = owner.casefold() if owner else None
        groups.setdefault(key, []).append(s)
        if owner:
            spellings.setdefault(key, Counter())[owner] += 1
    names: dict[str | None, str | None] = {None: None}
    for key, counts in spellings.items():
        names[key] = min(counts, key=lambda name: (-counts[name], name))
    keys: list[str | None] = sorted((k for k in groups if k is not None), key=lambda k: (k, names[k] or ""))
    if None in groups:
        keys.append(None)
    return [(names[k], groups[k]) for k in keys]


# -- one file per owner -------------------------------------------------------------------
NO_OWNER_STEM = "_no-owner"
_WINDOWS_RESERVED = {"CON", "PRN", "AUX", "NUL"} | {f"{p}{i}" for p in ("COM", "LPT") for i in range(1, 10)}
_STEM_MAX = 80
_STEM_MAX_BYTES = 180  # a name may have 255 bytes; Thai letters take 3 each, and the temporary file a few more


def owner_stem(owner: str | None) -> str:
    """A file name (without extension) for an owner, safe on Linux, macOS and Windows.

    Letters and digits of any script are kept (NFC), so Polish or Thai names stay
    readable; anything else becomes ``-``. Names never start with ``.``, ``-`` or
    ``_``, so the stem of deals with no owner, ``_no-owner``, cannot be taken.
    """
    if owner is None or not owner.strip():
        return NO_OWNER_STEM
    text = unicodedata.normalize("NFC", owner.strip())
    out: list[str] = []
    for ch in text:
        keep = ch.isalnum() or ch in "._@+" or unicodedata.category(ch).startswith("M")
        out.append(ch if keep else "-")
    stem = re.sub(r"-{2,}", "-", "".join(out)).strip("-._")
    stem = stem[:_STEM_MAX]
    while len(stem.encode("utf-8")) > _STEM_MAX_BYTES:
        stem = stem[:-1]
    stem = stem.rstrip("-._")
    if not stem:
        stem = "owner"
    if stem.split(".")[0].upper() in _WINDOWS_RESERVED:
        stem += "_"
    return stem


def owner_file_stems(owners: Iterable[str | None]) -> dict[str | None, str]:
    """A distinct stem for each owner; owners whose stems clash (ignoring case, as
    case-insensitive file systems do) get ``-2``, ``-3``, ... in sorted order.
    No owner and a blank owner share ``_no-owner``."""
    taken: set[str] = {NO_OWNER_STEM.casefold()}
    result: dict[str | None, str] = {}
    ordered = sorted(set(owners), key=lambda o: (o is not None, o or ""))
    for owner in ordered:
        stem = owner_stem(owner)
        if stem == NO_OWNER_STEM:
            result[owner] = stem
            continue
        candidate, n = stem, 1
        while candidate.casefold() in taken:
            n += 1
            candidate = f"{stem}-{n}"
        taken.add(candidate.casefold())
        result[owner] = candidate
    return result
