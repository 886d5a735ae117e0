"""A deal reduced to what reports, `pipe stale` and `pipe list` read, and its row at a cut-off.

A :class:`Digest` is a validated deal in plain data: its fields, its history as the
replay reads it (``pipecli.history``), the times of its notes, and for each ``changed``
entry of a tracked field the value it records in ``from``, validated as the model
validates that field (or marked invalid). It is independent of the pipeline and of
any cut-off, and it survives a trip through JSON exactly (:func:`to_plain`,
:func:`from_plain`): the index in ``.pipe/`` keeps one per deal.

:func:`row_at` takes a digest to a cut-off: a :class:`Row` says where the deal stood
just before it (``Deal.as_of``'s rules: stage and status from the replay, each tracked
field back to the ``from`` of its first later change when that value is valid) and
what every report figure reads of it. Reports, stale lists and the report's stale
totals are computed from rows only (``pipecli.report``, ``pipecli.stale``), whether
the rows come from deal files or from the index, so both give the same figures.
:func:`row_at_many` gives a deal's rows at many cut-offs (a report's period boundaries)
from one replay of its history.

A row with cut-off None is the deal after its last entry: the row of every cut-off
later than :attr:`Row.settled` (the newest of its creation, history and notes). The
index stores that row; only deals with entries at or after a cut-off are replayed.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from typing import TYPE_CHECKING, Any, NamedTuple

from . import history
from .touch import first_touch

if TYPE_CHECKING:
    from .models import Deal, Status

EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
MICROSECOND = timedelta(microseconds=1)
FORMAT = 1  # of to_plain's output: a change makes stored digests unreadable (and rebuilt)


def micros(t: datetime) -> int:
    """Microseconds since 1970 (UTC) of an aware time: exact, so differences are too."""
    return (t - EPOCH) // MICROSECOND


_EPOCHS: dict[int, datetime] = {}  # UTC offset in seconds -> 1970 in a zone of that offset, made once


def at(us: int, offset: int) -> datetime:
    """The time ``micros`` gave, in the UTC offset (seconds) it was written with."""
    epoch = _EPOCHS.get(offset)
    if epoch is None:
        epoch = _EPOCHS[offset] = EPOCH.astimezone(timezone(timedelta(seconds=offset)))
    return epoch + timedelta(microseconds=us)  # a fixed offset: wall-clock and elapsed time agree


def _offset(t: datetime) -> int:
    delta = t.utcoffset()
    if delta is None or delta % timedelta(seconds=1):
        raise ValueError("a time stamp needs a whole-second UTC offset")
    return delta // timedelta(seconds=1)


def days(start_us: int, end_us: int) -> float:
    """Elapsed days between two ``micros`` values: ``timeutil.days_between``'s float exactly."""
    return (end_us - start_us) / 1_000_000 / 86400


class Entry(NamedTuple):
    """A history entry as the replay reads it (the attributes of ``models.HistoryEntry``)."""

    at: datetime
    event: str
    to: Any
    from_: Any
    reason: str | None
    field: str | None
    by: str | None = None


class Step(NamedTuple):
    """A next step: its text and due date."""

    text: str
    due: date | None


class Pause(NamedTuple):
    """A snooze: until when, and why."""

    until: date
    reason: str | None


class Contact(NamedTuple):
    name: str | None
    email: str | None
    phone: str | None


class Change(NamedTuple):
    """A ``changed`` entry of a tracked field: ``value`` is its ``from`` as the model reads
    it; ``ok`` False when the model refuses it (then ``Deal.as_of`` keeps today's value)."""

    at: datetime
    field: str
    ok: bool
    value: Any


@dataclass(frozen=True, slots=True)
class Digest:
    """What reports, stale lists and listings read of a deal (see the module's docstring)."""

    id: str
    title: str
    company: str | None
    contact: Contact | None
    value: Decimal | None
    currency: str | None
    stage: str
    status: str
    probability: float | None
    owner: str | None
    source: str | None
    tags: tuple[str, ...]
    created: datetime
    close_date: date | None
    lost_reason: str | None
    next_step: Step | None
    snooze: Pause | None
    history: tuple[Entry, ...]  # as the file has it
    implied: tuple[Entry, ...]  # Deal.timeline() of a file without a history; else empty
    notes: tuple[datetime, ...]
    changes: tuple[Change, ...]  # of tracked fields, in the order of the history

    def timeline(self) -> list[Entry]:
        return list(self.history or self.implied)

    def tracked(self) -> dict[str, Any]:
        """The tracked fields' values today (the ones ``Row`` carries)."""
        return {
            "title": self.title,
            "company": self.company,
            "value": self.value,
            "currency": self.currency,
            "owner": self.owner,
            "source": self.source,
            "tags": self.tags,
            "close_date": self.close_date,
            "probability": self.probability,
            "next_step": self.next_step,
            "snooze": self.snooze,
        }

    def last_activity(self) -> datetime:
        """``Deal.last_activity()``: the newest of creation, history entries and notes."""
        return max([self.created, *(h.at for h in self.history), *self.notes])


class Row(NamedTuple):
    """A deal as it stood just before a cut-off, with what its history implies: all that
    report figures, stale lists and their filters read.

    Times are microseconds since 1970 (``micros``). ``stage_days`` has one item per stage
    of the ladder: the days the deal spent in it, all its stays added up, if it has left it
    (else None); ``sitting`` is the ladder stage an open deal is in (its position, the days
    of its earlier stays there, when it entered), so that its time there at any cut-off is
    ``earlier + days(entered, cutoff)``. Stages off the ladder count in no time in stage.
    ``entered`` is when its current stay began, in any stage (the board's days in stage).
    """

    id: str
    title: str
    company: str | None
    status: str
    stage: str
    furthest: int  # ladder position of the furthest stage ever entered; -1 when none
    ordered: int  # the end of its unbroken run of stages from the first (strict funnel)
    back_moves: int
    value: Decimal | None
    currency: str | None  # None: the pipeline's
    probability: float | None
    owner: str | None
    source: str | None
    tags: tuple[str, ...]
    close_date: date | None
    lost_reason: str | None
    created: int
    cycle: float | None  # days from creation to the last win, for a won deal
    stage_days: tuple[float | None, ...]
    sitting: tuple[int, float, int] | None
    entered: int  # when it entered the stage it is in (its current stay; its creation when none), in micros
    last_activity: int  # stale.last_activity (snoozing is not activity), in micros
    last_offset: int  # its UTC offset in seconds, as the file wrote it (see ``at``)
    next_step: Step | None
    snooze: Pause | None
    settled: int  # the newest of creation, history and notes: any later cut-off gives this row
    touched: int | None = None  # its first touch before the cut-off (pipecli.touch), in micros; None: none yet
    closed: int | None = None  # when a closed deal was won (its last win) or lost; None: open, or not known
    entered_first: tuple[int | None, ...] = ()  # per ladder stage: when it first entered it (None: never)
    slips: tuple[tuple[int, int], ...] = ()  # close date moved later: (when, by how many days), in order


class Listed(NamedTuple):
    """A deal as `pipe list` reads it (``query.deal_row``, ``sort_deals``, ``Filters``): its
    fields as the file says them today."""

    id: str
    title: str
    company: str | None
    contact: Contact | None
    stage: str
    status: str
    value: Decimal | None
    currency: str | None
    probability: float | None
    owner: str | None
    source: str | None
    tags: tuple[str, ...]
    created: datetime
    close_date: date | None
    lost_reason: str | None
    next_step: Step | None
    activity: datetime

    def last_activity(self) -> datetime:
        """``Deal.last_activity()``."""
        return self.activity


def listed(dg: Digest) -> Listed:
    return Listed(
        dg.id,
        dg.title,
        dg.company,
        dg.contact,
        dg.stage,
        dg.status,
        dg.value,
        dg.currency,
        dg.probability,
        dg.owner,
        dg.source,
        dg.tags,
        dg.created,
        dg.close_date,
        dg.lost_reason,
        dg.next_step,
        dg.last_activity(),
    )


# -- from a deal ---------------------------------------------------------------------------
_RECORDED: dict[tuple[Any, ...], tuple[bool, Any]] = {}  # (field, raw's key) -> what _recorded gave
_RECORDED_MAX = 65536  # entries kept before the memory is emptied (one worker reads many files)


def _scalar_key(raw: Any) -> Any:
    """A key that tells apart every scalar the model could read differently (1, 1.0 and True;
    0.0 and -0.0; Decimal 1.0 and 1.00), or None for a value not remembered."""
    kind = type(raw)
    if kind is str or kind is int or kind is bool or raw is None:
        return (kind, raw)
    if kind is float or kind is Decimal:
        return (kind, repr(raw))
    return None


def _raw_key(raw: Any) -> Any:
    """``_scalar_key``, also for a flat mapping or list of scalars (a next step, tags); else None."""
    kind = type(raw)
    if kind is dict:
        items = tuple((_scalar_key(k), _scalar_key(v)) for k, v in raw.items())
        return None if any(k is None or v is None for k, v in items) else (kind, items)
    if kind is list:
        values = tuple(_scalar_key(v) for v in raw)
        return None if None in values else (kind, values)
    return _scalar_key(raw)


def _recorded(deal: Deal, field: str, raw: Any) -> tuple[bool, Any]:
    """``raw`` as the model reads field ``field``: (True, value), or (False, None) if refused.

    What the model reads depends on the field and the value alone (no validator of a deal
    field looks at another field), so the answer for a value seen before is remembered: a
    pipeline repeats its owners, amounts, next steps and dates across many changes."""
    key = _raw_key(raw)
    if key is not None:
        known = _RECORDED.get((field, key))
        if known is not None:
            return known
    found = _validated(deal, field, raw)
    if key is not None:
        if len(_RECORDED) >= _RECORDED_MAX:
            _RECORDED.clear()
        _RECORDED[(field, key)] = found
    return found


def _validated(deal: Deal, field: str, raw: Any) -> tuple[bool, Any]:
    from pydantic import ValidationError

    trial = deal.model_copy()
    try:
        type(deal).__pydantic_validator__.validate_assignment(trial, field, raw)
    except (ValidationError, ValueError, TypeError):
        return False, None
    return True, _field_value(getattr(trial, field))


def _field_value(value: Any) -> Any:
    """A model's field value in the digest's form (Step and Pause for the small models)."""
    if value is None or isinstance(value, (str, Decimal, float, int, date)):
        return value
    if isinstance(value, list):
        return tuple(value)
    if hasattr(value, "text") and hasattr(value, "due"):
        return Step(value.text, value.due)
    if hasattr(value, "until"):
        return Pause(value.until, value.reason)
    return value


def _entry(h: Any) -> Entry:
    return Entry(h.at, h.event, h.to, h.from_, h.reason, h.field, h.by)


def digest(deal: Deal) -> Digest:
    """The digest of a validated deal."""
    from .models import TRACKED_FIELDS

    changes = tuple(
        Change(h.at, h.field, *_recorded(deal, h.field, h.from_))
        for h in deal.history
        if h.event == "changed" and h.field in TRACKED_FIELDS
    )
    c = deal.contact
    return Digest(
        id=deal.id,
        title=deal.title,
        company=deal.company,
        contact=Contact(c.name, c.email, c.phone) if c is not None else None,
        value=deal.value,
        currency=deal.currency,
        stage=deal.stage,
        status=deal.status,
        probability=deal.probability,
        owner=deal.owner,
        source=deal.source,
        tags=tuple(deal.tags),
        created=deal.created,
        close_date=deal.close_date,
        lost_reason=deal.lost_reason,
        next_step=_field_value(deal.next_step),
        snooze=_field_value(deal.snooze),
        history=tuple(_entry(h) for h in deal.history),
        implied=() if deal.history else tuple(_entry(h) for h in deal.timeline()),
        notes=tuple(n.at for n in deal.notes),
        changes=changes,
    )


# -- at a cut-off ---------------------------------------------------------------------------
def row_at(dg: Digest, ladder: Mapping[str, int], cutoff: datetime | None) -> Row | None:
    """The deal as it stood just before ``cutoff`` (None: after its last entry); None when
    it was created at or after the cut-off. ``ladder`` maps stage ids to positions.

    The same rules as ``Deal.as_of`` and ``snapshot.snapshot``; a test keeps them equal.
    """
    if cutoff is not None and dg.created >= cutoff:
        return None
    times = _Times(dg)
    touch = first_touch(dg.created, dg.history, dg.notes, cutoff)
    return _row(dg, ladder, cutoff, history.replay(dg, cutoff), times, touch)


def row_at_many(dg: Digest, ladder: Mapping[str, int], cutoffs: Sequence[datetime | None]) -> list[Row | None]:
    """``row_at`` at each of ``cutoffs`` (any order), in one replay of the history.

    A row depends on its cut-off only through which of the deal's times (its creation,
    history entries and notes) come before it, so cut-offs with none of them between
    give the same row, made once. The stages are replayed once, to the end, and the
    walk to each cut-off is the first part of it (:func:`cut_replay`)."""
    if len(cutoffs) == 1:  # the walk to the one cut-off, and no further
        return [row_at(dg, ladder, cutoffs[0])]
    prepared = _Times(dg)
    us = prepared.us
    every = (dg.created, *(h.at for h in dg.history), *(h.at for h in dg.implied), *dg.notes)
    times = sorted([us(t) for t in every])
    whole: history.Replay | None = None
    touch_ever = first_touch(dg.created, dg.history, dg.notes)
    made: dict[int | None, Row | None] = {}
    out: list[Row | None] = []
    for cutoff in cutoffs:
        key = None if cutoff is None else bisect_left(times, micros(cutoff))  # how many of its times precede it
        if key not in made:
            if cutoff is not None and cutoff <= dg.created:
                made[key] = None
            else:
                if whole is None:
                    whole = history.replay(dg)
                walk = whole if cutoff is None else cut_replay(whole, cutoff)
                touch = touch_ever if cutoff is None or (touch_ever is not None and touch_ever < cutoff) else None
                made[key] = _row(dg, ladder, cutoff, walk, prepared, touch)
        out.append(made[key])
    return out


def cut_replay(whole: history.Replay, until: datetime) -> history.Replay:
    """``history.replay(deal, until)`` from ``whole``, the deal's replay to the end, for an
    ``until`` after its creation: the replay takes the entries in time order, so the walk
    to ``until`` is the whole walk's first part. Its steps, entrances and ended stays are
    those of the entries before ``until``; the stage, status and times are the ones the
    last of those left; an open deal's current stay is the whole walk's next one, lasting."""
    steps = whole.steps
    k = 0
    while k < len(steps) and steps[k].entry.at < until:
        k += 1
    kept = steps[:k]
    status: Status = kept[-1].status if kept else "open"
    stage = whole.entrances[0].stage  # the stage it was created in
    won_at: datetime | None = None
    closed_at: datetime | None = None
    lost_reason: str | None = None
    for step in kept:
        event = step.entry.event
        if event == "won" or event == "lost":
            closed_at = step.entry.at
            if event == "won":
                won_at = step.entry.at
            else:
                lost_reason = step.entry.reason
        elif step.to_stage is not None:
            stage = step.to_stage
    if status == "open":
        closed_at = None
    entrances = whole.entrances
    e = 1
    while e < len(entrances) and entrances[e].at < until:
        e += 1
    stays = whole.stays
    m = 0
    while m < len(stays):
        left = stays[m].left
        if left is None or left >= until:
            break
        m += 1
    ended = stays[:m]
    if status == "open":
        ended += (stays[m]._replace(left=None, left_by=None),)
    return history.Replay(
        stage=stage,
        status=status,
        stays=ended,
        entrances=entrances[:e],
        steps=kept,
        won_at=won_at,
        closed_at=closed_at,
        lost_reason=lost_reason,
        in_order=whole.in_order,
    )


class _Times:
    """A digest's times, worked out once for all the cut-offs it is taken to: ``us``, the
    ``micros`` of a time, remembered (a time is converted again for each cut-off and stay,
    and the conversion is most of a microsecond); the times that are activity (the creation,
    history entries but snooze changes, notes) in time order, of equal instants the first
    written last, so that the one just before a cut-off is what ``max`` of them gives; and
    ``settled``, the newest of the creation, the history and the notes."""

    __slots__ = ("_known", "activity", "activity_us", "settled")

    def __init__(self, dg: Digest) -> None:
        self._known: dict[datetime, int] = {}
        us = self.us
        found = [dg.created]
        found += [h.at for h in dg.history if not (h.event == "changed" and h.field == "snooze")]
        found += dg.notes
        keyed = sorted(
            zip(map(us, found), range(0, -len(found), -1), found, strict=True)
        )  # time, then written reversed
        self.activity_us = [k[0] for k in keyed]
        self.activity = [k[2] for k in keyed]
        self.settled = max([us(dg.created), *(us(h.at) for h in dg.history), *map(us, dg.notes)])

    def us(self, t: datetime) -> int:
        """``micros(t)``, remembered: equal times (one instant) have equal micros."""
        known = self._known.get(t)
        if known is None:
            known = self._known[t] = micros(t)
        return known

    def last_before(self, cutoff: datetime | None) -> datetime:
        """The newest activity before ``cutoff`` (None: of all), the first written of equals; the
        deal was created before ``cutoff``, so there is one."""
        if cutoff is None:
            return self.activity[-1]
        return self.activity[bisect_left(self.activity_us, micros(cutoff)) - 1]


def _row(
    dg: Digest,
    ladder: Mapping[str, int],
    cutoff: datetime | None,
    walk: history.Replay,
    times: _Times,
    touch: datetime | None,
) -> Row:
    """The row of ``row_at``: ``walk`` is the replay to ``cutoff``, ``times`` the deal's
    (``_Times``), ``touch`` its first touch before ``cutoff``."""
    us = times.us
    values = dg.tracked()
    if cutoff is not None:
        undone: set[str] = set()
        for ch in dg.changes:
            if ch.at < cutoff or ch.field in undone:
                continue
            undone.add(ch.field)
            if ch.ok:
                values[ch.field] = ch.value
    entered = {ladder.get(e.stage, -1) for e in walk.entrances}
    entered.discard(-1)
    ordered = -1
    while ordered + 1 in entered:
        ordered += 1
    back = sum(
        1
        for step in walk.steps
        if step.entry.event == "moved"
        and step.to_stage is not None
        and 0 <= ladder.get(step.to_stage, -1) < ladder.get(step.from_stage or "", -1)
    )
    stays, won_at, lost_reason = walk.stays, walk.won_at, walk.lost_reason
    if not dg.history and walk.status != "open":
        # a hand-written file with no history says it is closed, not when: its time in
        # stage and its sales cycle are unknown, not zero
        stays, won_at = (), None
        if walk.status == "lost":
            lost_reason = dg.lost_reason
    totals: dict[str, float] = {}
    sitting: tuple[int, float, int] | None = None
    for stay in stays:
        if stay.left is None:  # the last stay of an open deal: it lasts
            earlier = totals.pop(stay.stage, 0.0)
            if stay.stage in ladder:
                sitting = (ladder[stay.stage], earlier, us(stay.entered))
        else:
            totals[stay.stage] = totals.get(stay.stage, 0.0) + days(us(stay.entered), us(stay.left))
    stage_days: list[float | None] = [None] * len(ladder)
    for stage_id, total in totals.items():
        if stage_id in ladder:
            stage_days[ladder[stage_id]] = total
    created = us(dg.created)
    cycle = days(created, us(won_at)) if walk.status == "won" and won_at is not None else None
    closed_at = walk.closed_at if dg.history else None  # a file without a history: when is unknown
    first_in: list[int | None] = [None] * len(ladder)
    for e in walk.entrances:
        i = ladder.get(e.stage, -1)
        if i >= 0 and first_in[i] is None:
            first_in[i] = max(us(e.at), created)
    last = times.last_before(cutoff)
    return Row(
        id=dg.id,
        title=values["title"],
        company=values["company"],
        status=walk.status,
        stage=walk.stage,
        furthest=max(entered, default=-1),
        ordered=ordered,
        back_moves=back,
        value=values["value"],
        currency=values["currency"],
        probability=values["probability"],
        owner=values["owner"],
        source=values["source"],
        tags=tuple(values["tags"]),
        close_date=values["close_date"],
        lost_reason=lost_reason,
        created=created,
        cycle=cycle,
        stage_days=tuple(stage_days),
        sitting=sitting,
        entered=us(stays[-1].entered) if stays else created,
        last_activity=us(last),
        last_offset=_offset(last),
        next_step=values["next_step"],
        snooze=values["snooze"],
        settled=times.settled,
        touched=None if touch is None else us(touch),
        closed=None if walk.status == "open" or closed_at is None else us(closed_at),
        entered_first=tuple(first_in),
        slips=_slips(dg, cutoff, us),
    )


def _slips(dg: Digest, cutoff: datetime | None, us: Callable[[datetime], int] = micros) -> tuple[tuple[int, int], ...]:
    """The ``changed`` entries of ``close_date`` before ``cutoff`` that moved a date to a later
    one: (when, days later). The date after a change is the ``from`` of the next change of
    the field, else today's (``row_at``'s rule); a change from or to no date is no slip."""
    dated = [ch for ch in dg.changes if ch.field == "close_date"]
    out: list[tuple[int, int]] = []
    for i, ch in enumerate(dated):
        if (cutoff is not None and ch.at >= cutoff) or not ch.ok or ch.value is None:
            continue
        after = dated[i + 1] if i + 1 < len(dated) else None
        new = after.value if after is not None and after.ok else dg.close_date
        if new is not None and new > ch.value:
            out.append((us(ch.at), (new - ch.value).days))
    return tuple(out)


# -- stored as plain data (JSON) ----------------------------------------------------------------
def _iso(t: date | datetime | None) -> str | None:
    return None if t is None else t.isoformat()


def _day(text: Any) -> date | None:
    return None if text is None else date.fromisoformat(text)


def _time(text: Any) -> datetime:
    t = datetime.fromisoformat(text)
    if t.tzinfo is None:
        raise ValueError("a stored time without its offset")
    return t


def _text(v: Any) -> str | None:
    return None if v is None else str(v)


def _plain_value(field: str, v: Any) -> Any:
    if v is None:
        return None
    if field == "value":
        return str(v)
    if field == "close_date":
        return v.isoformat()
    if field == "tags":
        return list(v)
    if field == "next_step":
        return [v.text, _iso(v.due)]
    if field == "snooze":
        return [v.until.isoformat(), v.reason]
    return v


def _value_of(field: str, v: Any) -> Any:
    if v is None:
        return None
    if field == "value":
        return Decimal(v)
    if field == "close_date":
        return date.fromisoformat(v)
    if field == "tags":
        return tuple(str(t) for t in v)
    if field == "next_step":
        return Step(str(v[0]), _day(v[1]))
    if field == "snooze":
        return Pause(date.fromisoformat(v[0]), _text(v[1]))
    if field == "probability":
        return float(v)
    return str(v)


def _plain_entry(h: Entry) -> list[Any]:
    stage_event = h.event != "changed"
    # what the replay reads of ``to`` and ``from`` is their text, and only of stage events
    to = _text(h.to) if stage_event else None
    frm = _text(h.from_) if stage_event else None
    return [h.at.isoformat(), h.event, to, frm, h.reason, h.field, h.by]


def _entry_of(v: Sequence[Any]) -> Entry:
    at, event, to, frm, reason, field, by = v
    # ``_text`` of each, written out: a report as of a past day decodes tens of thousands of entries
    return _new_tuple(
        Entry,
        (
            _time(at),
            event if type(event) is str else str(event),
            to if to is None or type(to) is str else str(to),
            frm if frm is None or type(frm) is str else str(frm),
            reason if reason is None or type(reason) is str else str(reason),
            field if field is None or type(field) is str else str(field),
            by if by is None or type(by) is str else str(by),
        ),
    )


_new_tuple = tuple.__new__  # a named tuple of its fields in order, without its ``__new__``'s keywords


def to_plain(dg: Digest) -> list[Any]:
    """The digest as JSON-ready data; ``from_plain`` gives back an equal digest."""
    return [
        FORMAT,
        dg.id,
        dg.title,
        dg.company,
        list(dg.contact) if dg.contact is not None else None,
        _plain_value("value", dg.value),
        dg.currency,
        dg.stage,
        dg.status,
        dg.probability,
        dg.owner,
        dg.source,
        list(dg.tags),
        dg.created.isoformat(),
        _iso(dg.close_date),
        dg.lost_reason,
        _plain_value("next_step", dg.next_step),
        _plain_value("snooze", dg.snooze),
        [_plain_entry(h) for h in dg.history],
        [_plain_entry(h) for h in dg.implied],
        [t.isoformat() for t in dg.notes],
        [[c.at.isoformat(), c.field, c.ok, _plain_value(c.field, c.value) if c.ok else None] for c in dg.changes],
    ]


def from_plain(v: Sequence[Any]) -> Digest:
    """The digest ``to_plain`` wrote; any other data raises (ValueError, TypeError, ...)."""
    (
        fmt,
        deal_id,
        title,
        company,
        contact,
        value,
        currency,
        stage,
        status,
        probability,
        owner,
        source,
        tags,
        created,
        close_date,
        lost_reason,
        next_step,
        snooze,
        entries,
        implied,
        notes,
        changes,
    ) = v
    if fmt != FORMAT:
        raise ValueError("another format")
    return Digest(
        id=str(deal_id),
        title=str(title),
        company=_text(company),
        contact=Contact(*(_text(x) for x in contact)) if contact is not None else None,
        value=_value_of("value", value),
        currency=_text(currency),
        stage=str(stage),
        status=str(status),
        probability=_value_of("probability", probability),
        owner=_text(owner),
        source=_text(source),
        tags=_value_of("tags", tags) or (),
        created=_time(created),
        close_date=_day(close_date),
        lost_reason=_text(lost_reason),
        next_step=_value_of("next_step", next_step),
        snooze=_value_of("snooze", snooze),
        history=tuple(_entry_of(h) for h in entries),
        implied=tuple(_entry_of(h) for h in implied),
        notes=tuple(_time(t) for t in notes),
        changes=tuple(
            Change(_time(at), str(field), bool(ok), _value_of(str(field), val) if ok else None)
            for at, field, ok, val in changes
        ),
    )


def rows_at(digests: Sequence[Digest], ladder: Mapping[str, int], cutoff: datetime | None) -> list[Row]:
    """The rows at ``cutoff`` of the deals that existed then, in the order given."""
    return [r for dg in digests if (r := row_at(dg, ladder, cutoff)) is not None]


def rows_at_many(
    digests: Sequence[Digest], ladder: Mapping[str, int], cutoffs: Sequence[datetime | None]
) -> list[list[Row]]:
    """``rows_at`` at each of ``cutoffs``: each deal replayed once for all of them (``row_at_many``)."""
    out: list[list[Row]] = [[] for _ in cutoffs]
    for dg in digests:
        for rows, r in zip(out, row_at_many(dg, ladder, cutoffs), strict=True):
            if r is not None:
                rows.append(r)
    return out


def ladder_of(stage_ids: Sequence[str]) -> dict[str, int]:
    return {s: i for i, s in enumerate(stage_ids)}
