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
_RELATIVE = re.compile(r"^\s*([+-]?\d+)\s*([dw])\s*$", re.IGNORECASE)
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
    """The current time, local time zone, whole seconds."""
    current = datetime.now(_zone) if _zone is not None else _system_local(datetime.now())
    return current.replace(microsecond=0)


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


def parse_datetime(text: str, *, option: str = "--at") -> datetime:
    """Parse an ISO date or date-time; a date alone means its start, local time.

    ``now``, ``today`` and ``yesterday`` are accepted too.
    """
    raw = text.strip()
    word = raw.lower()
    if word == "now":
        return now()
    if word in ("today", "yesterday"):
        return start_of_day(today() - timedelta(days=1 if word == "yesterday" else 0))
    try:
        if len(raw) == 10:
            return start_of_day(date.fromisoformat(raw))
        dt = datetime.fromisoformat(raw.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise usage_error(
            f"{option}: {text!r} is not a date or time; use ISO 8601 such as "
            "2026-03-02, 2026-03-02T14:30 or 2026-03-02T14:30+01:00"
        ) from None
    try:
        local = local_time(dt)
    except LocalTimeError as err:
        raise usage_error(f"{option}: {err.message}") from None
    return local.replace(microsecond=0) if local.microsecond else local


def parse_date(text: str, *, option: str = "--due") -> date:
    """Parse an ISO date, ``today``, ``tomorrow``, ``yesterday``, or a relative ``+3d`` / ``-2w``."""
    raw = text.strip()
    word = raw.lower()
    if word == "today":
        return today()
    if word == "tomorrow":
        return today() + timedelta(days=1)
    if word == "yesterday":
        return today() - timedelta(days=1)
    rel = _RELATIVE.match(raw)
    if rel and raw[0] in "+-":
        n, unit = int(rel.group(1)), rel.group(2).lower()
        return today() + timedelta(days=n * (7 if unit == "w" else 1))
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise usage_error(
            f"{option}: {text!r} is not a date; use ISO 8601 (2026-03-31), today, yesterday, tomorrow or +3d / -2w"
        ) from None


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
