"""Dates, time stamps and durations: parsing what users type, and the clock.

Every stored time stamp is ISO 8601 with an offset. Input without an offset is
taken in the local time zone (``TZ``), as a person at the keyboard means it.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .errors import LocalTimeError, PipeError, usage_error

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([hdw])\s*$", re.IGNORECASE)
_UNIT_HOURS = {"h": 1, "d": 24, "w": 24 * 7}


_zone: tzinfo | None = None


class SystemZone(tzinfo):
    """The system's local time zone (``TZ``), daylight saving time included, as a tzinfo.

    For computations that take their time zone as an argument: a pipeline without a
    ``timezone`` of its own reads dates in this one.
    """

    def utcoffset(self, dt: datetime | None) -> timedelta:
        local = _system_local((dt or datetime.now()).replace(tzinfo=None))
        offset = local.utcoffset()
        assert offset is not None  # astimezone() of a naive time always attaches one
        return offset

    def dst(self, dt: datetime | None) -> timedelta | None:
        return None

    def tzname(self, dt: datetime | None) -> str | None:
        return _system_local((dt or datetime.now()).replace(tzinfo=None)).tzname()

    def __repr__(self) -> str:
        return "SystemZone()"


SYSTEM_ZONE = SystemZone()


def _system_local(dt: datetime) -> datetime:
    """``dt`` (naive: local wall time; aware: any) in the system's time zone, with its offset.

    A ``TZ`` a day or more away from UTC (``UTC+24``) has no offset a time stamp can carry:
    a usage error that says so, never an internal error.
    """
    try:
        return dt.astimezone()
    except (ValueError, OverflowError):
        raise usage_error(
            "the local time zone (TZ) is a day or more away from UTC, which no time stamp can say; "
            "set TZ to a zone such as Europe/Warsaw"
        ) from None


def use_zone(zone: tzinfo | None) -> None:
    """Make ``zone`` the local time zone of dates and times (None: the system's, ``TZ``).

    A pipeline that names its ``timezone`` uses it, so that everyone on a team gets
    the same day boundaries for ``--as-of`` and the same meaning for ``--at 14:00``.
    """
    global _zone
    _zone = zone


def zone_from_name(name: str) -> tzinfo:
    """A tzinfo for an IANA name such as Europe/Warsaw; ValueError if unknown."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {name!r}; use an IANA name such as Europe/Warsaw") from None


def now() -> datetime:
    """The current time, local time zone, whole seconds: what a command writes."""
    return this_instant().replace(microsecond=0)


def this_instant() -> datetime:
    """The current time to the microsecond, local time zone: the cut-off of a list of "now"
    (``stale.AsOf.now``). An entry written this very second is stamped with the second it
    began (``now``), so it is before this instant and counts."""
    return datetime.now(_zone) if _zone is not None else _system_local(datetime.now())


def today() -> date:
    return now().date()


def localize(dt: datetime) -> datetime:
    """Attach the local offset to a naive date-time (DST-correct for that moment): ``local_time``
    in the local time zone."""
    return local_time(dt)


def _in_zone(moment: datetime, zone: tzinfo | None) -> datetime:
    """An aware ``moment`` in ``zone`` (None: the system's, ``TZ``)."""
    return moment.astimezone(zone) if zone is not None else _system_local(moment)


def day_in(moment: datetime, zone: tzinfo | None) -> date:
    """The calendar day of an aware ``moment`` in ``zone`` (None or ``SYSTEM_ZONE``: the system's)."""
    return _in_zone(moment, None if zone is SYSTEM_ZONE else zone).date()


def zone_label(zone: tzinfo | None) -> str:
    """How messages name a time zone: its IANA name, else the system's."""
    key = getattr(zone, "key", None)
    return str(key) if key else "the local time zone (TZ)"


def local_time(dt: datetime, zone: tzinfo | None = None) -> datetime:
    """``dt`` with its offset: a naive ``dt`` is a wall-clock time in ``zone`` (None: the local
    time zone, the pipeline's ``timezone`` else ``TZ``); an aware one is returned as it is.

    The one rule for every time pipe reads without an offset (``--at``, a cell of ``pipe
    import``): a time the clocks skip (the spring change: 02:30 in Warsaw on the last Sunday
    of March) or show twice (the autumn one) is refused with ``LocalTimeError``, which says
    which offsets to write; it is never moved to a time nobody wrote.
    """
    if dt.tzinfo is not None:
        return dt
    if zone is None or zone is SYSTEM_ZONE:
        zone = _zone if zone is None else None
    probe = dt.replace(tzinfo=timezone.utc)
    before = _in_zone(probe - timedelta(days=1), zone).utcoffset()
    after = _in_zone(probe + timedelta(days=1), zone).utcoffset()
    if before == after:  # no change of clocks within a day of it: the common case
        return dt.replace(tzinfo=zone) if zone is not None else _system_local(dt)
    found = []
    for offset in (before, after):
        assert offset is not None
        moment = _in_zone(dt.replace(tzinfo=timezone(offset)), zone)
        if moment.replace(tzinfo=None) == dt:
            found.append(moment)
    if len(found) == 1:
        return found[0]
    # the clocks skip it: the wall time read with the offset before the change, on the clock after it
    assert before is not None
    later = _in_zone(dt.replace(tzinfo=timezone(before)), zone)
    raise LocalTimeError(
        dt,
        zone_label(zone),
        [m.isoformat()[len(dt.isoformat()) :] for m in found],
        later.replace(tzinfo=timezone(later.utcoffset() or timedelta())).isoformat(),
    )


# -- dates people type -----------------------------------------------------------------------
# The one grammar of every option that takes a day or a time (docs/format.md, "Dates you type"):
#   2026-03-31  2026-03-31T14:30  2026-03-31 14:30  2026-03-31T14:30+01:00  (ISO 8601)
#   today  tomorrow  yesterday  now
#   +3d  -2w  +1m  -1y           (days, weeks, calendar months and years; a month end clamps)
#   monday ... sunday, mon ... sun   (the next one after the day: on a Friday, `friday` is in a week)
#   eow  eom  eoq                (the last day of the week (Sunday), the month, the quarter)
#   a day form then a time: 14:00 (today), yesterday 14:00, friday 9:30, +1d 08:00
# Relative forms count from ``relative_to`` (``--at`` or ``--as-of`` when given), else from today.
_RELATIVE = re.compile(r"^([+-])\s*(\d{1,6})\s*([dwmy])$", re.IGNORECASE)
_CLOCK = re.compile(r"^(\d{1,2}):(\d{2})(?::(\d{2}))?$")
_WITH_CLOCK = re.compile(r"^(.*?)[\sT]+(\d{1,2}:\d{2}(?::\d{2})?)$", re.IGNORECASE)
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
MAX_DATE_TEXT = 64
DATE_FORMS = "2026-03-31, today, tomorrow, yesterday, +3d, -2w, +1m, friday, eow, eom or eoq"
TIME_FORMS = "2026-03-31T14:30, 14:30, yesterday 14:30, now, or a day (2026-03-31, -2d: its start)"


def add_months(day: date, months: int) -> date:
    """``day`` moved by calendar months; a day the month lacks becomes its last day
    (January 31 + 1 month is February 28, or 29 in a leap year). OverflowError past year 1..9999."""
    year, month0 = divmod(day.month - 1 + months, 12)
    year += day.year
    if not 1 <= year <= 9999:
        raise OverflowError("date out of range")
    return date(year, month0 + 1, min(day.day, _month_days(year, month0 + 1)))


def _month_days(year: int, month: int) -> int:
    after = date(year + 1, 1, 1) if month == 12 else date(year, month + 1, 1)
    return (after - date(year, month, 1)).days


def end_of_week(day: date) -> date:
    """The Sunday of ``day``'s week (weeks start on Monday, as ISO 8601's do): ``eow``."""
    return day + timedelta(days=6 - day.weekday())


def end_of_month(day: date) -> date:
    """The last day of ``day``'s month: ``eom``."""
    return day.replace(day=_month_days(day.year, day.month))


def end_of_quarter(day: date) -> date:
    """The last day of ``day``'s calendar quarter (March 31, June 30, September 30, December 31): ``eoq``."""
    return end_of_month(day.replace(month=(day.month - 1) // 3 * 3 + 3, day=1))


def next_weekday(day: date, weekday: int) -> date:
    """The first day after ``day`` that is ``weekday`` (0 Monday .. 6 Sunday): a week later on that weekday."""
    return day + timedelta(days=(weekday - day.weekday() - 1) % 7 + 1)


def _weekday(word: str) -> int | None:
    if len(word) < 3:
        return None
    for i, name in enumerate(WEEKDAYS):
        if name.startswith(word):
            return i
    return None


def local_day(moment: datetime) -> date:
    """The day ``moment`` falls on in the local time zone (a naive moment: its own date)."""
    return moment.date() if moment.tzinfo is None else _in_zone(moment, _zone).date()


def _base_day(relative_to: date | datetime | None) -> date:
    """The day relative forms count from: ``relative_to``'s local day, else today."""
    if relative_to is None:
        return today()
    return local_day(relative_to) if isinstance(relative_to, datetime) else relative_to


def _day_form(word: str, base: date) -> date | None:
    """The day a word or relative form names, counted from ``base`` (None: not one)."""
    if word == "today":
        return base
    if word == "tomorrow":
        return base + timedelta(days=1)
    if word == "yesterday":
        return base - timedelta(days=1)
    if word == "eow":
        return end_of_week(base)
    if word == "eom":
        return end_of_month(base)
    if word == "eoq":
        return end_of_quarter(base)
    rel = _RELATIVE.match(word)
    if rel:
        n = int(rel.group(2)) * (1 if rel.group(1) == "+" else -1)
        unit = rel.group(3).lower()
        if unit == "m":
            return add_months(base, n)
        if unit == "y":
            return add_months(base, 12 * n)
        return base + timedelta(days=n * (7 if unit == "w" else 1))
    weekday = _weekday(word)
    return next_weekday(base, weekday) if weekday is not None else None


def _clock(text: str) -> time | None:
    m = _CLOCK.match(text)
    if not m:
        return None
    try:
        return time(int(m.group(1)), int(m.group(2)), int(m.group(3) or 0))
    except ValueError:
        return None


def parse_when(
    text: str, *, option: str = "--at", relative_to: date | datetime | None = None, _forms: str = TIME_FORMS
) -> date | datetime:
    """What a person typed for a day or a moment: a ``date`` when it names a day, an aware
    ``datetime`` when it names a time (``now``, an ISO date-time, a day form with a clock time).

    The one grammar of ``parse_date`` and ``parse_datetime`` (see above); a time without an
    offset is read in the local time zone (``local_time``: a time the clocks skip or show
    twice is a usage error). Anything else is a usage error (exit 2) naming ``option``.
    """
    raw = str(text).strip()
    word = raw.lower()
    problem = f"{option}: {text!r} is not a {'date' if _forms is DATE_FORMS else 'date or time'}; use {_forms}"
    if not raw or len(raw) > MAX_DATE_TEXT:
        raise usage_error(problem)
    try:
        if word == "now":
            return now()
        base = _base_day(relative_to)
        day = _day_form(word, base)
        if day is not None:
            return day
        try:
            return date.fromisoformat(raw)
        except ValueError:
            pass
        clock = _clock(raw)
        if clock is not None:
            return _local(datetime.combine(base, clock), option)
        split = _WITH_CLOCK.match(raw)
        if split:
            clock = _clock(split.group(2))
            head = split.group(1).strip().lower()
            day = _day_form(head, base) if clock is not None else None
            if clock is not None and day is not None:
                return _local(datetime.combine(day, clock), option)
        dt = datetime.fromisoformat(raw.replace("Z", "+00:00").replace("z", "+00:00"))
    except (ValueError, OverflowError):
        raise usage_error(problem) from None
    return _local(dt, option)


def _local(dt: datetime, option: str) -> datetime:
    try:
        local = local_time(dt)
    except LocalTimeError as err:
        raise usage_error(f"{option}: {err.message}") from None
    return local.replace(microsecond=0) if local.microsecond else local


def parse_datetime(text: str, *, option: str = "--at", relative_to: date | datetime | None = None) -> datetime:
    """A moment a person typed (``parse_when``'s grammar); a day alone means its start, local time
    (``start_of_day``): ``--at 2026-03-02``, ``--at yesterday``, ``--at -2d``."""
    when = parse_when(text, option=option, relative_to=relative_to)
    return when if isinstance(when, datetime) else start_of_day(when)


def parse_date(text: str, *, option: str = "--due", relative_to: date | datetime | None = None) -> date:
    """A day a person typed (``parse_when``'s grammar): ISO ``2026-03-31``, ``today``, ``tomorrow``,
    ``yesterday``, ``+3d``, ``-2w``, ``+1m``, a weekday, ``eow``, ``eom``, ``eoq``; relative forms
    count from ``relative_to`` (a day, or a moment's local day), else from today. A time of day
    is refused: the option takes a day."""
    when = parse_when(text, option=option, relative_to=relative_to, _forms=DATE_FORMS)
    if isinstance(when, datetime):
        raise usage_error(f"{option}: {text!r} has a time of day; {option} takes a day: {DATE_FORMS}")
    return when


def parse_duration(text: str) -> timedelta:
    """Parse ``36h``, ``14d`` or ``2w`` into a timedelta."""
    m = _DURATION.match(str(text))
    if not m:
        raise PipeError(f"{text!r} is not a duration; write a number and a unit: 36h, 14d or 2w")
    hours = float(m.group(1)) * _UNIT_HOURS[m.group(2).lower()]
    return timedelta(hours=hours)


def format_duration(delta: timedelta) -> str:
    """The shortest of ``Nw``, ``Nd``, ``Nh`` that states ``delta`` exactly."""
    hours = delta.total_seconds() / 3600
    for unit, size in (("w", 168), ("d", 24), ("h", 1)):
        if hours % size == 0:
            return f"{int(hours // size)}{unit}"
    return f"{hours:g}h"


def start_of_day(day: date, zone: tzinfo | None = None) -> datetime:
    """The first instant of ``day`` in ``zone`` (None: the local time zone): midnight, or,
    where the clocks skip midnight, the moment they go forward (a date alone never fails).

    With a zone, the result carries that day's offset (fixed), so that differences
    between such instants are elapsed time, even across a change of clocks.
    """
    midnight = datetime.combine(day, time())
    if zone is None:
        zone = _zone
    if zone is None or zone is SYSTEM_ZONE:
        return _system_local(midnight)
    offset = midnight.replace(tzinfo=zone).utcoffset()  # fold 0: the offset before a change at midnight
    return midnight.replace(tzinfo=timezone(offset)) if offset is not None else _system_local(midnight)


def end_of_day(day: date, zone: tzinfo | None = None) -> datetime:
    """The first instant after ``day`` ends, in ``zone`` (None: the local time zone): the cut-off of ``--as-of``."""
    return start_of_day(day + timedelta(days=1), zone)


def format_ts(dt: datetime) -> str:
    """ISO 8601 with offset, no microseconds when there are none."""
    return dt.isoformat()


def days_between(start: datetime, end: datetime) -> float:
    """Elapsed days, as a fraction."""
    return (end - start).total_seconds() / 86400
