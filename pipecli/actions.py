"""What commands do to a deal: pure functions from a deal (and the pipeline) to a new deal.

Nothing here touches the disk; a store transaction applies these under the lock.
Every change appends to the deal's history, so the past can be replayed.
Errors are typed (``InvalidValue``, ``OutOfOrder``, ``WrongStatus`` ...) and carry
the facts; the command line words them.
"""

from __future__ import annotations

import difflib
import re
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from pydantic import ValidationError

from . import currencies
from .documents import first_error
from .errors import InvalidValue, NoNextStep, OutOfOrder, UnknownField, UnknownStage, WrongStatus
from .models import SETTABLE_FIELDS, TRACKED_FIELDS, Deal, NextStep, Note, Pipeline, Snooze, money_text
from .timeutil import parse_date

# Fields `pipe set` may change (marked ``settable`` in pipecli.models); the rest have commands of their own.
SETTABLE = SETTABLE_FIELDS
PROTECTED = {
    "id": "a deal's id is its file name; it does not change",
    "stage": "use `pipe move DEAL STAGE`",
    "status": "use `pipe won`, `pipe lost` or `pipe reopen`",
    "created": "the creation time is part of the history",
    "history": "history is append-only; commands add to it",
    "notes": "use `pipe note DEAL TEXT`",
    "lost_reason": "use `pipe lost DEAL --reason TEXT`",
    "next_step": "use `pipe next DEAL TEXT --due DATE`",
    "snooze": "use `pipe snooze`",
    "contact": "set contact.name, contact.email or contact.phone",
}
MAX_DIGITS = 15
MAX_VALUE = Decimal(10) ** MAX_DIGITS
_FIELD_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?$")


# -- parsing what users type ----------------------------------------------------------
def parse_money(text: str | None, option: str = "--value") -> Decimal | None:
    if text is None:
        return None
    try:
        raw = money_text(str(text))
    except ValueError as exc:
        raise InvalidValue(option, text, str(exc)) from None
    if raw == "":
        return None
    try:
        value = Decimal(raw)
    except InvalidOperation:
        raise InvalidValue(option, text, f"{text!r} is not a number; write e.g. 12000 or 12000.50") from None
    if not value.is_finite():
        raise InvalidValue(option, text, f"{text!r} is not a finite number")
    if value < 0:
        raise InvalidValue(option, text, f"{text!r} is negative; a deal's value is 0 or more")
    if value >= MAX_VALUE or len(value.normalize().as_tuple().digits) > MAX_DIGITS:
        # the file keeps amounts as YAML numbers, exact to 15 significant digits
        raise InvalidValue(
            option, text, f"{text!r} has more digits than an amount can keep exactly (at most {MAX_DIGITS})"
        )
    return value


def parse_currency(text: str | None, option: str = "--currency") -> str | None:
    if text is None:
        return None
    try:
        return currencies.normalize(text)
    except ValueError as exc:
        raise InvalidValue(option, text, str(exc)) from None


def parse_probability(text: str | None) -> float | None:
    if text is None or str(text).strip() == "":
        return None
    raw = str(text).strip()
    try:
        p = float(raw[:-1]) / 100 if raw.endswith("%") else float(raw)
    except ValueError:
        hint = f"{text!r} is not a number; write 0.4 or 40%"
        raise InvalidValue("probability", text, hint, message=f"probability {hint}") from None
    if not 0 <= p <= 1:
        hint = f"{text!r} is outside 0..1 (0%..100%)"
        raise InvalidValue("probability", text, hint, message=f"probability {hint}")
    return p


def check_stage(pipeline: Pipeline, stage: str) -> str:
    """The stage id, or an error naming the valid stages and the closest match."""
    if pipeline.stage(stage) is not None:
        return stage
    ids = pipeline.stage_ids
    lowered = stage.strip().lower()
    for s in pipeline.stages:  # accept the label or any case of the id
        if lowered in (s.id, (s.label or "").lower()):
            return s.id
    close = difflib.get_close_matches(lowered, ids, n=1, cutoff=0.4)
    raise UnknownStage(stage, ids, close[0] if close else None)


# -- building deals -------------------------------------------------------------------
def _validated(data: dict[str, Any]) -> Deal:
    """A Deal from ``data``, or an InvalidValue naming the field that is wrong."""
    try:
        return Deal.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        name = ".".join(str(p) for p in err["loc"])
        message = first_error(exc)
        raise InvalidValue(name, err.get("input"), message.split(": ", 1)[-1], message=message) from None


def _rebuild(deal: Deal, **changes: Any) -> Deal:
    data = deal.model_dump(by_alias=True)
    data.update(changes)
    return _validated(data)


def _check_order(deal: Deal, at: datetime) -> None:
    last = deal.last_activity()
    if at < last:
        raise OutOfOrder(deal.id, at, last)


def entry_time(deal: Deal, clock: datetime) -> datetime:
    """The time to stamp on a change made now, when ``clock`` is the wall clock: never before
    the deal's last entry. A clock that stepped back, or another machine's that ran ahead,
    makes the entry share the last one's time rather than be refused (--at is checked as given)."""
    last = deal.last_activity()
    return clock if clock >= last else last.astimezone(clock.tzinfo)


def _entry(at: datetime, event: str, **fields: Any) -> dict[str, Any]:
    entry: dict[str, Any] = {"at": at, "event": event}
    entry.update({k: v for k, v in fields.items() if v is not None})
    return entry


def _history(deal: Deal, *entries: dict[str, Any]) -> list[Any]:
    # a hand-written file without a history gets the one it implies (created, closed) first
    return [h.model_dump(by_alias=True) for h in deal.timeline()] + list(entries)


def new_deal(
    pipeline: Pipeline,
    *,
    deal_id: str,
    title: str,
    at: datetime,
    stage: str | None = None,
    company: str | None = None,
    contact: dict[str, str] | None = None,
    value: Decimal | None = None,
    currency: str | None = None,
    owner: str | None = None,
    source: str | None = None,
    tags: list[str] | None = None,
    close_date: date | None = None,
    probability: float | None = None,
) -> Deal:
    if not title.strip():
        raise InvalidValue("title", title, "a deal needs a title", message="a deal needs a title")
    stage_id = check_stage(pipeline, stage) if stage else pipeline.stages[0].id
    contact = {k: v for k, v in (contact or {}).items() if v}
    data: dict[str, Any] = {
        "id": deal_id,
        "title": title.strip(),
        "company": company,
        "contact": contact or None,
        "value": value,
        "currency": currency or pipeline.currency,
        "stage": stage_id,
        "status": "open",
        "probability": probability,
        "owner": owner,
        "source": source,
        "tags": tags or [],
        "created": at,
        "close_date": close_date,
        "history": [_entry(at, "created", to=stage_id)],
        "notes": [],
    }
    return _validated(data)


def move(deal: Deal, pipeline: Pipeline, stage: str, at: datetime, note: str | None = None) -> Deal:
    """Move an open deal to another stage, forward or back. Same stage: unchanged."""
    target = check_stage(pipeline, stage)
    if deal.status != "open":
        raise WrongStatus(deal.id, deal.status, "move")
    if target == deal.stage:
        # nothing to move, but a note given with the move is still kept
        return add_note(deal, at, note) if note and note.strip() else deal
    _check_order(deal, at)
    changes: dict[str, Any] = {
        "stage": target,
        "history": _history(deal, _entry(at, "moved", **{"from": deal.stage, "to": target})),
    }
    if note:
        changes["notes"] = _notes(deal, at, note)
    return _rebuild(deal, **changes)


def won(deal: Deal, at: datetime, value: Decimal | None = None) -> Deal:
    """Mark an open deal won (at its stage), with its final ``value`` when given; an open
    next step is cleared and recorded in the notes (``close_step``)."""
    if deal.status != "open":
        raise WrongStatus(deal.id, deal.status, "close")
    _check_order(deal, at)
    changes: dict[str, Any] = {
        "status": "won",
        "history": _history(deal, _entry(at, "won", to=deal.stage)),
    }
    if value is not None and value != deal.value:
        changes["history"].append(
            _entry(at, "changed", field="value", **{"from": _plain(deal.value), "to": _plain(value)})
        )
        changes["value"] = value
    return close_step(_rebuild(deal, **changes), at, "won")


def lost(deal: Deal, at: datetime, reason: str) -> Deal:
    if not reason.strip():
        raise InvalidValue("reason", reason, "say why the deal was lost (price, timing, competitor, ...)")
    if deal.status != "open":
        raise WrongStatus(deal.id, deal.status, "close")
    _check_order(deal, at)
    closed = _rebuild(
        deal,
        status="lost",
        lost_reason=reason.strip(),
        history=_history(deal, _entry(at, "lost", to=deal.stage, reason=reason.strip())),
    )
    return close_step(closed, at, "lost")


def reopen(deal: Deal, pipeline: Pipeline, at: datetime, stage: str | None = None) -> Deal:
    if deal.status == "open":
        raise WrongStatus(deal.id, deal.status, "reopen")
    target = check_stage(pipeline, stage) if stage else deal.stage
    _check_order(deal, at)
    entry = _entry(at, "reopened", **{"from": deal.status, "to": target})
    return _rebuild(deal, status="open", stage=target, lost_reason=None, history=_history(deal, entry))


def _notes(deal: Deal, at: datetime, text: str) -> list[Any]:
    return [n.model_dump() for n in deal.notes] + [Note(at=at, text=text).model_dump()]


def add_note(deal: Deal, at: datetime, text: str) -> Deal:
    if not text.strip():
        raise InvalidValue("note", text, "a note needs some text", message="a note needs some text")
    _check_order(deal, at)
    return _rebuild(deal, notes=_notes(deal, at, text.rstrip()))


def set_next_step(deal: Deal, at: datetime, text: str | None, due: date | None) -> Deal:
    """Set the next step (or clear it with ``text=None``); recorded as a field change."""
    new = NextStep(text=text.strip(), due=due) if text else None
    if new == deal.next_step:
        return deal
    _check_order(deal, at)
    old_plain = deal.next_step.canonical() if deal.next_step else None
    new_plain = new.canonical() if new else None
    entry = _entry(at, "changed", field="next_step", **{"from": old_plain, "to": new_plain})
    return _rebuild(
        deal,
        next_step=new.model_dump() if new else None,
        history=_history(deal, entry),
    )


def reschedule(deal: Deal, at: datetime, due: date) -> Deal:
    """The current next step, due on ``due`` instead (its text unchanged); ``NoNextStep`` when
    the deal has none. Recorded as a change of ``next_step``, as ``set_next_step`` records it."""
    if deal.next_step is None:
        raise NoNextStep(deal.id, "reschedule")
    return set_next_step(deal, at, deal.next_step.text, due)


def step_note(step: NextStep, outcome: str, note: str | None = None) -> str:
    """How the notes record a next step that ends: ``Done: Send the offer (due 2026-03-07)``,
    or, for a deal closed with its step open, ``Open when won: ...``; then ``note`` on a line of its own."""
    due = f" (due {step.due.isoformat()})" if step.due is not None else ""
    head = "Done" if outcome == "done" else f"Open when {outcome}"
    text = f"{head}: {step.text}{due}"
    return f"{text}\n{note.strip()}" if note and note.strip() else text


def complete_step(deal: Deal, at: datetime, note: str | None = None) -> Deal:
    """Mark the current next step done (``pipe done``): a note at ``at`` records its text and due
    date (and ``note``, when given), and the step is cleared (a change of ``next_step``).
    ``NoNextStep`` when the deal has none."""
    if deal.next_step is None:
        raise NoNextStep(deal.id, "done")
    return close_step(deal, at, "done", note)


def close_step(deal: Deal, at: datetime, outcome: str, note: str | None = None) -> Deal:
    """``deal`` with its next step (if any) cleared at ``at`` and recorded in a note (``step_note``)."""
    step = deal.next_step
    if step is None:
        return deal
    cleared = set_next_step(deal, at, None, None)
    return _rebuild(cleared, notes=_notes(cleared, at, step_note(step, outcome, note)))


def set_snooze(deal: Deal, at: datetime, until: date | None, reason: str | None) -> Deal:
    new = Snooze(until=until, reason=reason) if until else None
    if new == deal.snooze:
        return deal
    _check_order(deal, at)
    entry = _entry(
        at,
        "changed",
        field="snooze",
        **{"from": deal.snooze.canonical() if deal.snooze else None, "to": new.canonical() if new else None},
    )
    return _rebuild(deal, snooze=new.model_dump() if new else None, history=_history(deal, entry))


def _plain(value: Any) -> Any:
    """A field's value as a ``changed`` entry records it: dates as ISO text; amounts stay
    Decimals, written with their own digits."""
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return value


def field_value(deal: Deal, name: str) -> Any:
    """A tracked field's value in the plain form a ``changed`` entry records it, as
    ``pipe set``, ``pipe next`` and ``pipe snooze`` write ``from`` and ``to``."""
    value = getattr(deal, name, None)
    if isinstance(value, (NextStep, Snooze)):
        return value.canonical()
    return _plain(value)


def _changes_of(deal: Deal, name: str) -> int:
    return sum(1 for h in deal.history if h.event == "changed" and h.field == name)


def record_edit(before: Deal, after: Deal, at: datetime) -> Deal:
    """``after`` (``before`` changed by hand in an editor) with a ``changed`` entry at
    ``at`` for each tracked field whose value the edit changed, exactly as ``pipe set``
    records it; a field the edit gave a new ``changed`` entry of its own is left alone.
    """
    entries = [
        _entry(at, "changed", field=name, **{"from": field_value(before, name), "to": field_value(after, name)})
        for name in TRACKED_FIELDS
        if field_value(before, name) != field_value(after, name)
        and _changes_of(after, name) <= _changes_of(before, name)
    ]
    if not entries:
        return after
    _check_order(after, at)
    return _rebuild(after, history=_history(after, *entries))


def parse_assignment(text: str) -> tuple[str, str]:
    if "=" not in text:
        hint = "write FIELD=VALUE, e.g. owner=anna or value=15000"
        raise InvalidValue(text, text, hint, message=f"{text!r}: {hint}")
    name, value = text.split("=", 1)
    name = name.strip()
    if not _FIELD_NAME.match(name):
        raise InvalidValue(name, name, "not a field name", message=f"{name!r} is not a field name")
    if name in PROTECTED:
        raise InvalidValue(name, value, PROTECTED[name], message=f"{name} cannot be set: {PROTECTED[name]}")
    if "." in name and not name.startswith("contact."):
        raise InvalidValue(name, value, "only contact.name, contact.email and contact.phone have dots")
    return name, value


_OWN_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def parse_custom(text: str) -> tuple[str, str]:
    """``KEY=VALUE`` for a field of the user's own (``pipe set --custom``): a key that is no
    field of pipe's, kept in the deal file as it is, its value as text."""
    if "=" not in text:
        hint = "write KEY=VALUE, e.g. region=Lombardia"
        raise InvalidValue(text, text, hint, message=f"{text!r}: {hint}")
    name, value = text.split("=", 1)
    name = name.strip()
    if not _OWN_KEY.match(name):
        hint = "a key of your own is letters, digits and _, starting with a letter or _"
        raise InvalidValue(name, value, hint, message=f"{name!r}: {hint}")
    if name in Deal.model_fields or name in SETTABLE:
        hint = PROTECTED.get(name, f"{name} is a field of pipe's: set it as {name}=VALUE")
        raise InvalidValue(name, value, hint, message=f"{name} is not a field of your own: {hint}")
    return name, value


def check_field(deal: Deal, name: str, value: str) -> None:
    """``UnknownField`` unless ``pipe set`` may set ``name`` on ``deal`` without ``--custom``:
    a settable field, or a key the deal's file has already (a field of the user's own)."""
    own = list(deal.model_extra or {})
    if name in SETTABLE or name in own:
        return
    if name.startswith("contact."):
        raise InvalidValue(name, value, "a contact has name, email and phone")
    known = [*SETTABLE, *own]
    by_case = [f for f in known if f.lower() == name.lower()]
    close = by_case or difflib.get_close_matches(name, known, n=1, cutoff=0.6)
    raise UnknownField(name, value, SETTABLE, close[0] if close else None)


def _coerce(name: str, raw: str, at: datetime | None = None) -> Any:
    text = raw.strip()
    if name == "value":
        return parse_money(text, option="value")
    if name == "currency":
        return parse_currency(text, option="currency") if text else None
    if name == "probability":
        return parse_probability(text)
    if name == "close_date":
        return parse_date(text, option="close_date", relative_to=at) if text else None
    if name == "tags":
        return [t.strip() for t in text.split(",") if t.strip()]
    if name == "title" and not text:
        raise InvalidValue("title", raw, "cannot be empty", message="title cannot be empty")
    return text or None


def set_fields(
    deal: Deal, at: datetime, assignments: list[tuple[str, str]], custom: list[tuple[str, str]] | None = None
) -> Deal:
    """Set plain fields (``contact.email``, and keys of the user's own the file has) and, from
    ``custom`` (``parse_custom``), keys of the user's own, new ones too; each change is
    recorded. A name that is neither is ``UnknownField`` (a typo: ``valeu=5``)."""
    for name, raw in assignments:
        check_field(deal, name, raw)
    data = deal.model_dump(by_alias=True)
    entries: list[dict[str, Any]] = []
    for name, raw in [*assignments, *(custom or [])]:
        value = _coerce(name, raw, at)
        if name.startswith("contact."):
            key = name.split(".", 1)[1]
            if key not in ("name", "email", "phone"):
                raise InvalidValue(name, raw, "a contact has name, email and phone")
            contact = dict(data.get("contact") or {})
            before = contact.get(key)
            if value is None:
                contact.pop(key, None)
            else:
                contact[key] = value
            data["contact"] = contact or None
        else:
            before = data.get(name)
            if value is None and name not in Deal.model_fields:
                data.pop(name, None)
            else:
                data[name] = value
        if _plain(before) != _plain(value):
            entries.append(_entry(at, "changed", field=name, **{"from": _plain(before), "to": _plain(value)}))
    if not entries:
        return deal
    _check_order(deal, at)
    data["history"] = _history(deal) + entries
    return _validated(data)


# -- who did it ---------------------------------------------------------------------------
def with_by(before: Deal | None, after: Deal, by: str | None) -> Deal:
    """``after`` with ``by`` recorded on each history entry and note it added to
    ``before`` (all of them for a new deal, ``before=None``) that does not name anyone.

    A history that a hand-written file only implied (``Deal.timeline``) is not the
    command's: entries it materialized are left as they were.
    """
    if not by:
        return after
    old_history = 0 if before is None else len(before.history or before.timeline())
    old_notes = 0 if before is None else len(before.notes)
    history = [h if i < old_history or h.by else h.model_copy(update={"by": by}) for i, h in enumerate(after.history)]
    notes = [n if i < old_notes or n.by else n.model_copy(update={"by": by}) for i, n in enumerate(after.notes)]
    if history == after.history and notes == after.notes:
        return after
    return after.model_copy(update={"history": history, "notes": notes})
