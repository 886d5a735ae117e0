"""The data: a pipeline (its ordered stages) and a deal (one YAML file each).

Models validate what is read from disk and what commands build. They keep keys
they do not know (``extra="allow"``) so that a hand-added field survives every
rewrite. Won and lost are a deal's *status*, never a stage: a deal lost at
``proposal`` keeps ``stage: proposal``, which is what makes drop-off exact.
"""

# No ``from __future__ import annotations`` here: pydantic takes the fields' annotations
# as the objects they are, where it would evaluate each string when a class is made and
# again when its schema is first built (about 5 and 15 ms of every command's start).
import re
from datetime import date, datetime, timedelta, tzinfo
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    field_validator,
    model_validator,
)

from . import currencies
from . import history as deal_history
from .fields import Col, model_columns, names
from .timeutil import parse_duration, zone_from_name

STATUSES = ("open", "won", "lost")
Status = Literal["open", "won", "lost"]
EVENTS = ("created", "moved", "won", "lost", "reopened", "changed")
Event = Literal["created", "moved", "won", "lost", "reopened", "changed"]
STAGE_ID = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
RESERVED_STAGE_IDS = frozenset(STATUSES) | {"all"}


_THOUSANDS = re.compile(r"^[+-]?\d{1,3}(?:,\d{3})+(?:\.\d*)?$")


def money_text(text: str) -> str:
    """A typed amount without its digit grouping: '12,000.50' and '12 000.50' -> '12000.50'.

    A comma is taken only as a thousands separator; '12,5' (a decimal comma in
    much of Europe) or '12.000,50' is a ValueError rather than a value 10 or
    1000 times off.
    """
    raw = "".join(ch for ch in text.strip() if ch not in " _\u00a0\u202f")
    if "," in raw:
        if not _THOUSANDS.match(raw):
            raise ValueError(f"{text!r}: write the amount with a dot for decimals, e.g. 12000.50")
        raw = raw.replace(",", "")
    return raw


def _money_in(v: Any) -> Any:
    # The file's reader gives an amount written other than as Python writes the number
    # (8500.50, 1_000) as its text, which becomes the Decimal it spells, digits and all;
    # a float (written as its repr) becomes the Decimal of that repr: 1234.56 stays 1234.56.
    if isinstance(v, bool):
        raise ValueError("value must be a number")
    if isinstance(v, float):
        return Decimal(repr(v))
    if isinstance(v, str):
        if len(v) > _MAX_AMOUNT_CHARS:
            raise ValueError(_TOO_MANY_DIGITS)
        return money_text(v)
    return v


MAX_AMOUNT = Decimal(10) ** 15  # amounts are YAML numbers: exact to 15 digits before the point
_TOO_MANY_DIGITS = "more digits than an amount can keep exactly (at most 15 before the point)"
_MAX_AMOUNT_CHARS = 100  # no amount is written longer; converting thousands of digits is slow


def _money_limit(v: Decimal) -> Decimal:
    # larger amounts cannot be kept exactly, summed to the cent or stored in SQLite's integers
    if abs(v) >= MAX_AMOUNT:
        raise ValueError(_TOO_MANY_DIGITS)
    return v


def _money_out(v: Decimal) -> int | float:
    return int(v) if v == v.to_integral_value() else float(v)


def _currency(v: str) -> str:
    return currencies.normalize(v)


def _duration(v: Any) -> str:
    text = str(v).strip()
    try:
        parse_duration(text)
    except Exception as exc:  # PipeError carries the user-facing wording
        raise ValueError(str(exc)) from None
    return text


# AwareDatetime checks the offset in pydantic's core: ~10x cheaper than a Python validator,
# which matters when a report validates 100,000 deals.
Timestamp = Annotated[
    AwareDatetime,
    PlainSerializer(lambda d: d.isoformat(), return_type=str, when_used="json"),
]
Money = Annotated[
    Decimal,
    BeforeValidator(_money_in),
    Field(ge=0, allow_inf_nan=False),
    AfterValidator(_money_limit),
    PlainSerializer(_money_out, when_used="json"),
]
Currency = Annotated[str, AfterValidator(_currency)]
Duration = Annotated[str, BeforeValidator(_duration)]
Probability = Annotated[float, Field(ge=0, le=1)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="allow", populate_by_name=True, coerce_numbers_to_str=True, defer_build=True)

    def canonical(self) -> dict[str, Any]:
        """The plain-data form written to YAML: model key order, no empty optionals."""
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)


_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def _email(v: str | None) -> str | None:
    if v is not None and not _EMAIL.match(v):
        raise ValueError(f"{v!r} is not an e-mail address (name@example.com)")
    return v


class Contact(_Model):
    name: Annotated[str | None, Col(settable=30, listed=120, exported=50, importable=50, searchable=30)] = None
    email: Annotated[
        str | None, AfterValidator(_email), Col(settable=40, listed=130, exported=60, importable=60, searchable=40)
    ] = None
    phone: Annotated[str | None, Col(settable=50, listed=140, exported=70, importable=70, searchable=50)] = None


class NextStep(_Model):
    text: str
    due: Annotated[date | None, Col(name="next_due", listed=190, exported=220, importable=220, stale=150)] = None


class Snooze(_Model):
    until: date
    reason: str | None = None


MONEY_FIELDS = frozenset({"value"})
"""Fields whose values are amounts: Decimals, in the deal and in its ``changed`` entries."""


def amount_or_raw(value: Any) -> Any:
    """``value`` as the Decimal amount it states (``'8500.50'``, ``12000``, ``8500.5``), or
    as it is when it states none (a hand-written entry pipe cannot read stays as written)."""
    if value is None or isinstance(value, (bool, Decimal)):
        return value
    try:
        raw = Decimal(repr(value)) if isinstance(value, float) else Decimal(money_text(str(value)))
    except (ValueError, ArithmeticError):
        return value
    return raw if raw.is_finite() else value


class HistoryEntry(_Model):
    """One append-only history entry: a stage move, a status change or a field change.

    The ``from`` and ``to`` of a change of an amount (``MONEY_FIELDS``) are Decimals,
    with the digits the file has."""

    at: Timestamp
    event: Event
    field: str | None = None
    from_: Any = Field(default=None, alias="from")
    to: Any = None
    reason: str | None = None
    by: str | None = None

    @model_validator(mode="after")
    def _amounts(self) -> "HistoryEntry":
        if self.field in MONEY_FIELDS:
            self.from_ = amount_or_raw(self.from_)
            self.to = amount_or_raw(self.to)
        return self


class Note(_Model):
    at: Timestamp
    text: str
    by: str | None = None


class Deal(_Model):
    """One deal file. ``Col`` says in which lists each field appears (pipecli.fields)."""

    id: Annotated[str, Col(listed=10, exported=10, importable=10, stale=10)]
    title: Annotated[
        str, Col(settable=10, tracked=10, listed=20, exported=30, importable=30, stale=20, searchable=10)
    ] = Field(min_length=1)
    company: Annotated[
        str | None, Col(settable=20, tracked=20, listed=30, exported=40, importable=40, stale=30, searchable=20)
    ] = None
    contact: Contact | None = None  # its fields carry their own Col
    value: Annotated[Money | None, Col(settable=60, tracked=60, listed=60, exported=100, importable=80, stale=120)] = (
        None
    )
    currency: Annotated[
        Currency | None, Col(settable=70, tracked=70, listed=70, exported=110, importable=90, stale=130)
    ] = None
    stage: Annotated[str, Col(listed=40, exported=80, importable=100, stale=50)]
    status: Annotated[Status, Col(listed=50, exported=90, importable=110)] = "open"
    probability: Annotated[
        Probability | None, Col(settable=120, tracked=120, listed=80, exported=120, importable=120)
    ] = None
    owner: Annotated[str | None, Col(settable=80, tracked=80, listed=90, exported=130, importable=130, stale=40)] = None
    source: Annotated[str | None, Col(settable=90, tracked=90, listed=100, exported=140, importable=140)] = None
    tags: Annotated[
        list[str], Col(settable=100, tracked=100, listed=110, exported=150, importable=150, searchable=60)
    ] = Field(default_factory=list)
    created: Annotated[Timestamp, Col(listed=150, exported=160, importable=160)]
    close_date: Annotated[date | None, Col(settable=110, tracked=110, listed=160, exported=180, importable=180)] = None
    lost_reason: Annotated[str | None, Col(listed=170, exported=200, importable=200, searchable=70)] = None
    next_step: Annotated[
        NextStep | None, Col(tracked=130, listed=180, exported=210, importable=210, stale=140, searchable=80)
    ] = None  # as a column: its text (its due date is next_due)
    snooze: Annotated[Snooze | None, Col(tracked=140)] = None
    history: list[HistoryEntry] = Field(default_factory=list)
    notes: Annotated[list[Note], Col(searchable=90)] = Field(default_factory=list)  # searched: each note's text

    @field_validator("history", "notes", mode="before")
    @classmethod
    def _empty_log(cls, v: Any) -> Any:
        return [] if v is None else v  # "notes:" with nothing after it, as people write an empty list

    @field_validator("tags", mode="before")
    @classmethod
    def _tags(cls, v: Any) -> Any:
        if v is None:
            return []
        if isinstance(v, str):
            return [t.strip() for t in v.split(",") if t.strip()]
        return v

    def canonical(self) -> dict[str, Any]:
        """The plain-data form written to YAML (``_Model.canonical``), amounts as the
        Decimals they are, so that they are written with their own digits (8500.50)."""
        data = super().canonical()
        if self.value is not None:
            data["value"] = self.value
        entries = data.get("history") or []
        for entry, h in zip(entries, self.history, strict=False):
            if h.field in MONEY_FIELDS:
                for key, amount in (("from", h.from_), ("to", h.to)):
                    if isinstance(amount, Decimal):
                        entry[key] = amount
        return data

    # -- derived state ---------------------------------------------------------
    def timeline(self) -> list[HistoryEntry]:
        """The history, or for a hand-written file without one, what it implies.

        A deal with no history entered its current stage when it was created and,
        when closed, closed then too.
        """
        if self.history:
            return self.history
        entries = [HistoryEntry(at=self.created, event="created", to=self.stage)]
        if self.status != "open":
            entries.append(HistoryEntry(at=self.created, event=self.status, to=self.stage))
        return entries

    def state_at(self, cutoff: datetime) -> tuple[str, Status] | None:
        """(stage, status) as of just before ``cutoff``; None if not yet created (``history.replay``)."""
        return deal_history.state_at(self, cutoff)

    def as_of(self, cutoff: datetime, state: tuple[str, Status] | None = None) -> "Deal | None":
        """The deal as it stood just before ``cutoff``; None if it did not exist yet.

        Stage and status come from replaying the history (``state``, when the caller
        has replayed it already); fields changed at or after ``cutoff`` get back the
        value their first later change recorded as ``from`` (a recorded value that no
        longer validates leaves today's value). History entries and notes from
        ``cutoff`` on are dropped.
        """
        if self.created >= cutoff:
            return None
        state = state or self.state_at(cutoff)
        if state is None:
            return None
        later = [h for h in self.history if h.at >= cutoff]
        stage, status = state
        if not later and (stage, status) == (self.stage, self.status) and all(n.at < cutoff for n in self.notes):
            return self
        data = self.model_dump(by_alias=True)
        data["stage"], data["status"] = stage, status
        if status != "lost":
            data["lost_reason"] = None
        data["history"] = [h.model_dump(by_alias=True) for h in self.history if h.at < cutoff]
        data["notes"] = [n.model_dump() for n in self.notes if n.at < cutoff]
        undone: set[str] = set()
        for h in later:
            if h.event != "changed" or h.field not in TRACKED_FIELDS or h.field in undone:
                continue
            undone.add(h.field)
            trial = {**data, h.field: h.from_}
            try:
                Deal.model_validate(trial)
            except ValueError:
                continue  # a hand-edited entry we cannot read: keep today's value
            data = trial
        return Deal.model_validate(data)

    def last_activity(self, cutoff: datetime | None = None) -> datetime:
        """The newest of creation, history entries and notes (before ``cutoff``)."""
        times = [self.created]
        times += [h.at for h in self.history]
        times += [n.at for n in self.notes]
        if cutoff is not None:
            times = [t for t in times if t < cutoff] or [self.created]
        return max(times)


class Stage(_Model):
    id: str
    label: str | None = None
    probability: Probability | None = None
    stale_after: Duration | None = None

    @field_validator("id")
    @classmethod
    def _stage_id(cls, v: str) -> str:
        if not STAGE_ID.match(v):
            raise ValueError(f"stage id {v!r} must be lower-case letters, digits, - or _ (e.g. 'qualified')")
        if v in RESERVED_STAGE_IDS:
            raise ValueError(f"{v!r} is a deal status, not a stage; pick another stage id")
        return v

    @property
    def title(self) -> str:
        return self.label or self.id.replace("_", " ").replace("-", " ").capitalize()


def _zone_name(v: str | None) -> str | None:
    if v is not None:
        zone_from_name(v)
    return v


class Pipeline(_Model):
    name: str = "Sales"
    currency: Currency = "EUR"
    timezone: Annotated[str | None, AfterValidator(_zone_name)] = None
    stale_after: Duration = "14d"
    first_touch_within: Duration = "24h"  # a new deal not touched this long after its creation is stale
    stages: list[Stage] = Field(min_length=1)
    auto_commit: bool = True  # in a git work tree, each writing command commits what it changed

    @field_validator("stages")
    @classmethod
    def _unique_stages(cls, stages: list[Stage]) -> list[Stage]:
        seen: set[str] = set()
        for s in stages:
            if s.id in seen:
                raise ValueError(f"stage id {s.id!r} appears twice")
            seen.add(s.id)
        return stages

    @property
    def zone(self) -> tzinfo | None:
        """The pipeline's own time zone, when it names one."""
        return zone_from_name(self.timezone) if self.timezone else None

    @property
    def stage_ids(self) -> list[str]:
        return [s.id for s in self.stages]

    def stage(self, stage_id: str) -> Stage | None:
        for s in self.stages:
            if s.id == stage_id:
                return s
        return None

    def index(self, stage_id: str) -> int:
        """Position of a stage on the ladder; -1 for a stage the pipeline lacks."""
        for i, s in enumerate(self.stages):
            if s.id == stage_id:
                return i
        return -1

    def probability(self, stage_id: str) -> float:
        """The stage's probability; when unset, its rung on an even ladder: (i+1)/(n+1)."""
        i = self.index(stage_id)
        if i < 0:
            return 0.0
        p = self.stages[i].probability
        return p if p is not None else (i + 1) / (len(self.stages) + 1)

    @property
    def first_touch_limit(self) -> timedelta:
        """``first_touch_within`` as a duration: how soon a new deal should be touched (pipecli.touch)."""
        return parse_duration(self.first_touch_within)

    def stale_after_for(self, stage_id: str) -> timedelta:
        s = self.stage(stage_id)
        text = s.stale_after if s is not None and s.stale_after else self.stale_after
        return parse_duration(text)


# -- the field lists (pipecli.fields) ---------------------------------------------------------
DERIVED_COLUMNS: tuple[tuple[str, Col], ...] = (
    ("external_id", Col(exported=20, importable=20)),  # a key an import writes: the source's id
    ("created_stage", Col(exported=170, importable=170)),  # from the history
    ("closed_at", Col(exported=190, importable=190)),  # from the history
    ("last_activity", Col(listed=200, stale=160)),  # Deal.last_activity()
)
"""Columns that are not fields of the model, placed among the fields' columns."""

DEAL_COLUMNS: tuple[tuple[str, Col], ...] = (
    *model_columns(Deal),
    *model_columns(Contact, "contact."),
    *model_columns(NextStep, "next_step."),
    *DERIVED_COLUMNS,
)
"""Every (name, Col) of a deal: the one source of the lists below."""

TRACKED_FIELDS = names(DEAL_COLUMNS, "tracked")
"""Fields whose earlier value a ``changed`` history entry records in ``from``, so that a
deal can be seen as it stood at any cut-off (``Deal.as_of``)."""
SETTABLE_FIELDS = names(DEAL_COLUMNS, "settable")
"""What ``pipe set FIELD=VALUE`` may change; the rest have commands of their own."""
PLAIN_SETTABLE_FIELDS = tuple(n for n in SETTABLE_FIELDS if "." not in n)
"""The settable fields that are not a contact's: what ``import --update`` compares one by one."""
LISTED_COLUMNS = names(DEAL_COLUMNS, "listed")
"""The columns of ``pipe list``'s machine formats, in order."""
EXPORTED_COLUMNS = names(DEAL_COLUMNS, "exported")
"""The columns of ``pipe export``'s CSV before its ``entered_STAGE`` ones, in order."""
IMPORTABLE_FIELDS = names(DEAL_COLUMNS, "importable")
"""The fields an import column may fill (besides ``entered.STAGE`` and ``extra.KEY``)."""
SEARCHABLE_FIELDS = names(DEAL_COLUMNS, "searchable")
"""The fields ``pipe search`` looks in (``search.deal_items``), in order."""


DEFAULT_STAGES: list[dict[str, Any]] = [
    {"id": "lead", "label": "Lead", "probability": 0.1, "stale_after": "7d"},
    {"id": "qualified", "label": "Qualified", "probability": 0.25, "stale_after": "14d"},
    {"id": "meeting", "label": "Meeting", "probability": 0.4, "stale_after": "14d"},
    {"id": "proposal", "label": "Proposal", "probability": 0.6, "stale_after": "10d"},
    {"id": "negotiation", "label": "Negotiation", "probability": 0.8, "stale_after": "7d"},
]


_FRIENDLY = {
    "timezone_aware": "time stamp needs a UTC offset, e.g. 2026-03-02T10:15:00+01:00",
    "greater_than_equal": "must not be negative",
    "finite_number": "must be a finite number",
    "missing": "field is missing; add it",
}


def _shown(value: Any) -> str:
    text = repr(value) if isinstance(value, str) else str(value)
    return text if len(text) <= 40 else text[:39] + "…"


def _typed(kind: str, err: Any) -> str | None:
    """What a hand-typed value of the wrong kind should look like, in plain words."""
    given = _shown(err.get("input"))
    if kind in ("date_type", "date_parsing", "date_from_datetime_parsing", "date_from_datetime_inexact"):
        return f"{given} is not a date; write YYYY-MM-DD, e.g. 2026-06-30"
    if kind in ("datetime_type", "datetime_parsing", "datetime_from_date_parsing"):
        return f"{given} is not a time stamp; write e.g. 2026-03-02T10:15:00+01:00"
    if kind in ("float_type", "float_parsing", "decimal_type", "decimal_parsing"):
        loc = err.get("loc") or ("",)
        example = "0.7" if loc[-1] == "probability" else "12000.50"
        return f"{given} is not a number; write digits with a dot for decimals, e.g. {example}"
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        return f"expected indented `key: value` lines below it, not {given}"
    if kind == "list_type":
        return f"expected a list such as [a, b], not {given}"
    if kind == "too_short":
        n = err.get("ctx", {}).get("min_length", 1)
        return f"needs at least {n} entr{'y' if n == 1 else 'ies'}"
    return None


def error_text(err: Any) -> str:
    """One pydantic error as a sentence a user can act on."""
    kind = err.get("type", "")
    if kind in _FRIENDLY and not (kind == "greater_than_equal" and err.get("ctx", {}).get("ge") not in (0, "0")):
        return _FRIENDLY[kind]
    typed = _typed(kind, err)
    if typed is not None:
        return typed
    return str(err.get("msg", "")).removeprefix("Value error, ").removeprefix("Assertion failed, ")
